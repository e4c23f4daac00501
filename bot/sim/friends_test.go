package sim

import (
	"testing"
	"time"
)

func TestParseFriend(t *testing.T) {
	s, err := ParseLine(1, "@friend 张三", time.UTC)
	if err != nil || s.Kind != StepFriend || s.Member != "张三" {
		t.Fatalf("@friend 张三: %+v %v", s, err)
	}
	if _, err := ParseLine(2, "@friend", time.UTC); err == nil {
		t.Fatal("@friend needs a name")
	}
}
