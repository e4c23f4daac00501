package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/bot/sim"
	"qunbot/internal/testlog"
)

// TestEveryJobHasALabel runs every golden script a step at a time and looks at the timer
// queue after each step: every timer a module registered carries a Chinese label (the
// dashboard and 状态 show it as given, and parse no key). A registration without one is
// also logged as an error when it happens, which catches timers armed and fired within
// one step. The kinds the scripts must show cover every module's timers, so a script
// that stops exercising one is noticed here.
func TestEveryJobHasALabel(t *testing.T) {
	scripts, _ := filepath.Glob("testdata/*.script")
	more, _ := filepath.Glob("testdata/schedule/*.script")
	scripts = append(scripts, more...)
	if len(scripts) == 0 {
		t.Fatal("no golden scripts")
	}
	seen := map[string]bool{}
	for _, path := range scripts {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg := exampleConfig(t)
		if yml := strings.TrimSuffix(path, ".script") + ".yaml"; fileExists(yml) {
			if cfg, err = config.Load(yml); err != nil {
				t.Fatal(err)
			}
		}
		steps, err := sim.ParseScript(bytes.NewReader(src), cfg.Location)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		logs := &testlog.Errors{}
		var out bytes.Buffer
		clock := bot.NewManualClock(time.Date(2026, 11, 21, 0, 0, 0, 0, cfg.Location))
		s, err := NewSim(context.Background(), SimOptions{Config: cfg, DBPath: ":memory:", JSON: true,
			CanRemove: strings.Contains(string(src), "# flags: --can-remove"), Out: &out, Logger: slogTo(logs)}, clock, "s")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, step := range steps {
			if err := s.Runner.Step(ctx, step); err != nil {
				t.Fatalf("%s line %d: %v", path, step.Line, err)
			}
			jobs, err := s.Engine.Jobs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range jobs {
				kind, _, _ := strings.Cut(strings.TrimPrefix(j.Key, "job:"), ":")
				kind, _, _ = strings.Cut(kind, " ") // engage.weekly_top <cron>
				seen[kind] = true
				if !hasHan(j.Label.What) || j.Label.What == j.Key {
					t.Errorf("%s line %d: timer %s has no Chinese label: %+v", path, step.Line, j.Key, j.Label)
				}
			}
		}
		s.Runner.Finish(ctx)
		for _, e := range logs.Take() {
			if strings.Contains(e, "without a label") {
				t.Errorf("%s: %s", path, e)
			}
		}
		s.Close()
	}
	for _, kind := range []string{"welcome", "retention", "post", "silent.check", "report.daily", "report.weekly",
		"engage.weekly_top", "screening.prompt", "screening.remind", "screening.deadline", "schedule.plan",
		"lottery.draw", "lottery.ack", "poll.close", "poll.ack", "chain.post", "chain.close"} {
		if !seen[kind] {
			t.Errorf("no golden script shows a %q timer: its label is not checked", kind)
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
