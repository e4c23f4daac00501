package config

import (
	"strings"
	"testing"
	"time"
)

func TestRetention(t *testing.T) {
	c, err := Parse([]byte(""), "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Retention.Audit.D() != 180*24*time.Hour || c.Retention.Processed.D() != 7*24*time.Hour {
		t.Fatalf("defaults %+v, want audit 180d, processed 7d", c.Retention)
	}
	c, err = Parse([]byte("retention:\n  audit: 365d\n  processed: 0\n"), "ok.yaml")
	if err != nil || c.Retention.Audit.D() != 365*24*time.Hour || c.Retention.Processed != 0 {
		t.Fatalf("%+v %v", c, err)
	}
	_, err = Parse([]byte("retention:\n  audit: 30d\n  processed: 1h\n  logs: 3d\n"), "bad.yaml")
	for _, want := range []string{"bad.yaml:2: retention.audit", "91d", "bad.yaml:3: retention.processed", "bad.yaml:4", "logs"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}
