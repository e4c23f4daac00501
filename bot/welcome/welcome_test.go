package welcome_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
	"qunbot/storage"
)

func newSim(t *testing.T, yaml string) (*app.Sim, *bytes.Buffer) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 8, 0, 0, 0, cfg.Location))
	s, err := app.NewSim(context.Background(), app.SimOptions{Config: cfg, DBPath: ":memory:", JSON: true, Out: &out}, clock, "w")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, &out
}

func sends(t *testing.T, out string) []map[string]any {
	t.Helper()
	var got []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if m["kind"] == "send" {
			got = append(got, m)
		}
	}
	return got
}

// A graceful stop (Stopper) sends every open batch at once, in the order the batches
// opened, each naming its inviter; nothing is sent twice after.
func TestStopSendsOpenBatchesInOrder(t *testing.T) {
	s, out := newSim(t, "all_groups: true\ndefaults:\n  welcome:\n    template: \"欢迎 {{.Names}}（{{.Inviter}} 邀请）\"\n")
	ctx := context.Background()
	if err := s.Runner.RunScript(ctx, strings.NewReader("@time 2026-11-21 08:00\n@group 甲群\n张三: 早\n@group 乙群\n+王五 by 李四\n@advance 10s\n@group 甲群\n+赵六 by 孙七\n")); err != nil {
		t.Fatal(err)
	}
	got := sends(t, out.String())
	if len(got) != 2 || got[0]["group"] != "乙群" || got[1]["group"] != "甲群" {
		t.Fatalf("want 乙群's welcome then 甲群's at the stop:\n%s", out)
	}
	if got[0]["text"] != "欢迎 王五（李四 邀请）" || got[1]["text"] != "欢迎 赵六（孙七 邀请）" {
		t.Errorf("texts: %q, %q", got[0]["text"], got[1]["text"])
	}
	out.Reset()
	s.Engine.Stop(ctx)
	s.Engine.AdvanceTo(ctx, s.Engine.Now().Add(time.Hour), func(time.Time) {})
	if n := len(sends(t, out.String())); n != 0 {
		t.Errorf("a flushed batch was sent again: %s", out)
	}
}

// Where welcome is off, a joiner is marked done at the join: switching welcome on later
// does not greet them, and no batch is waiting for them after a restart.
func TestJoinerWithWelcomeOffIsNotPending(t *testing.T) {
	s, out := newSim(t, "all_groups: true\ndefaults:\n  welcome: {enabled: false}\n")
	ctx := context.Background()
	if err := s.Runner.RunScript(ctx, strings.NewReader("@time 2026-11-21 08:00\n@group 读书会\n+王五\n@advance 5m\n")); err != nil {
		t.Fatal(err)
	}
	if n := len(sends(t, out.String())); n != 0 {
		t.Fatalf("welcome is off: %s", out)
	}
	err := s.Store.View(ctx, func(tx *storage.Tx) error {
		pending, err := tx.PendingWelcomeGroups()
		if len(pending) != 0 {
			t.Errorf("joiners waiting for a welcome: %v", pending)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
