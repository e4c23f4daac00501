package wechat

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/eatmoreapple/openwechat"
)

func TestImageRingBounded(t *testing.T) {
	s := &session{seq: 3}
	var first, last string
	for i := range imageRingSize + 44 {
		h := s.keepImage(fmt.Sprint(i), &openwechat.Message{MsgType: openwechat.MsgTypeImage})
		if i == 0 {
			first = h
		}
		last = h
	}
	if len(s.images.byID) != imageRingSize || len(s.images.order) != imageRingSize {
		t.Fatalf("kept %d images", len(s.images.byID))
	}
	if _, ok := s.image("0"); ok {
		t.Fatal("the oldest image was kept")
	}
	if first != "wx:3:0" || !strings.HasPrefix(last, "wx:3:") {
		t.Fatalf("handles %q %q", first, last)
	}
	a := &Adapter{}
	if _, err := a.FetchImage(context.Background(), "g", "nonsense", 1<<20); err == nil {
		t.Fatal("a bad handle was accepted")
	}
}
