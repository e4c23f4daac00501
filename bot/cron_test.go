package bot

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qunbot/bot/config"
	"qunbot/storage"
)

// nullPlatform accepts everything and records nothing: these tests look at job runs.
type nullPlatform struct{}

func (nullPlatform) Capabilities() Capabilities                               { return Capabilities{} }
func (nullPlatform) SendText(context.Context, string, string, []string) error { return nil }
func (nullPlatform) SendDM(context.Context, string, string) error             { return nil }
func (nullPlatform) RemoveMember(context.Context, string, string) error       { return ErrNotSupported }
func (nullPlatform) Groups(context.Context) ([]GroupInfo, error)              { return nil, nil }
func (nullPlatform) Members(context.Context, string) ([]MemberInfo, error)    { return nil, nil }

// cronRig is an engine on a file database whose process can be "restarted".
type cronRig struct {
	t     *testing.T
	cfg   *config.Config
	db    string
	clock *ManualClock
	logs  bytes.Buffer
	runs  []time.Time
	store *storage.Store
}

func newCronRig(t *testing.T, start time.Time) *cronRig {
	cfg, err := config.Parse([]byte("timezone: Asia/Shanghai\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &cronRig{t: t, cfg: cfg, db: filepath.Join(t.TempDir(), "q.db"), clock: NewManualClock(start)}
}

// boot opens the database and starts a fresh engine with the job registered, as a
// process start would.
func (r *cronRig) boot(spec string) *Engine {
	r.t.Helper()
	if r.store != nil {
		r.store.Close()
	}
	st, err := storage.Open(context.Background(), r.db)
	if err != nil {
		r.t.Fatal(err)
	}
	r.store = st
	r.t.Cleanup(func() { st.Close() })
	e, err := New(Options{Config: r.cfg, Store: st, Platform: nullPlatform{}, Clock: r.clock,
		Logger: slog.New(slog.NewTextHandler(&r.logs, nil)), Pacing: &Pacing{}})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	if err := e.Every(context.Background(), "post", JobLabel{What: "测试任务"}, config.MustCron(spec), func(t *Turn) error {
		r.runs = append(r.runs, t.Now)
		return nil
	}); err != nil {
		r.t.Fatal(err)
	}
	return e
}

func (r *cronRig) advanceTo(e *Engine, at time.Time) {
	e.AdvanceTo(context.Background(), at, r.clock.Set)
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func at(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, shanghai) }

func TestCronSpecsRunInConfigTimezone(t *testing.T) {
	for _, c := range []struct {
		spec string
		want time.Time
	}{
		{"0 8 * * *", at(21, 8, 0)},
		{"30 0 8 * * *", at(21, 8, 0).Add(30 * time.Second)}, // optional seconds field
		{"@daily", at(22, 0, 0)},                             // midnight in Shanghai, not UTC
		{"30 9 * * 1", at(23, 9, 30)},                        // 2026-11-23 is a Monday
	} {
		r := newCronRig(t, at(21, 7, 0))
		e := r.boot(c.spec)
		r.advanceTo(e, at(24, 7, 0))
		if len(r.runs) == 0 || !r.runs[0].Equal(c.want) {
			t.Errorf("%q: first run %v, want %v", c.spec, r.runs, c.want)
		}
	}
}

func TestRestartWithClockBehindLastRunDoesNotRepeat(t *testing.T) {
	r := newCronRig(t, at(21, 7, 0))
	e := r.boot("0 8 * * *")
	r.advanceTo(e, at(22, 9, 0)) // runs on the 21st and the 22nd
	if len(r.runs) != 2 {
		t.Fatalf("runs = %v", r.runs)
	}
	// The clock was wrong and is corrected back a day before the process restarts.
	r.clock.Set(at(21, 7, 0))
	r.runs = nil
	e = r.boot("0 8 * * *")
	r.advanceTo(e, at(23, 9, 0))
	if len(r.runs) != 1 || !r.runs[0].Equal(at(23, 8, 0)) {
		t.Fatalf("the 21st and 22nd ran already; only the 23rd may run, got %v", r.runs)
	}
}

func TestTimerFiringPastGraceIsSkipped(t *testing.T) {
	r := newCronRig(t, at(21, 7, 0))
	e := r.boot("0 8 * * *")
	// The machine sleeps from 07:30 to 11:00: the loop wakes up long after 08:00.
	r.clock.Set(at(21, 11, 0))
	e.RunDue(context.Background(), r.clock.Now())
	if len(r.runs) != 0 {
		t.Fatalf("an 08:00 post is not sent at 11:00 (grace 30m): %v", r.runs)
	}
	if !strings.Contains(r.logs.String(), "skipped") {
		t.Errorf("the skip is logged:\n%s", r.logs.String())
	}
	r.advanceTo(e, at(22, 9, 0))
	if len(r.runs) != 1 || !r.runs[0].Equal(at(22, 8, 0)) {
		t.Fatalf("the next day runs as usual: %v", r.runs)
	}
	// A little late (within grace) still runs.
	r.clock.Set(at(23, 8, 10))
	e.RunDue(context.Background(), r.clock.Now())
	if len(r.runs) != 2 {
		t.Fatalf("10 minutes late is within grace: %v", r.runs)
	}
	// A restart does not bring the skipped one back.
	r.runs = nil
	e = r.boot("0 8 * * *")
	r.advanceTo(e, at(23, 9, 0))
	if len(r.runs) != 0 {
		t.Fatalf("nothing to repeat after restart: %v", r.runs)
	}
}

func TestMissedJobGraceOnStart(t *testing.T) {
	r := newCronRig(t, at(21, 7, 0))
	e := r.boot("0 8 * * *")
	r.advanceTo(e, at(21, 7, 59)) // down at 07:59
	// Back at 08:29: within the 30m grace, runs once at start, stamped with the start time.
	r.clock.Set(at(21, 8, 29))
	e = r.boot("0 8 * * *")
	r.advanceTo(e, at(21, 9, 0))
	if len(r.runs) != 1 || !r.runs[0].Equal(at(21, 8, 29)) {
		t.Fatalf("missed by 29m: run once at start, got %v", r.runs)
	}
	// Down from 07:59 on the 22nd to 08:31: past grace, skipped and logged.
	r.advanceTo(e, at(22, 7, 59))
	r.clock.Set(at(22, 8, 31))
	r.runs = nil
	e = r.boot("0 8 * * *")
	r.advanceTo(e, at(22, 12, 0))
	if len(r.runs) != 0 {
		t.Fatalf("missed by 31m: skipped, got %v", r.runs)
	}
	if !strings.Contains(r.logs.String(), "past its grace period") {
		t.Errorf("the skip is logged:\n%s", r.logs.String())
	}
}

// twice is a schedule with two occurrences and then none (robfig/cron's convention for
// "no more": the zero time), like a one-off post or a countdown that has ended.
type twice struct{ first, second time.Time }

func (s twice) Next(t time.Time) time.Time {
	switch {
	case t.Before(s.first):
		return s.first
	case t.Before(s.second):
		return s.second
	}
	return time.Time{}
}

// A schedule that runs out ends its job: no timer at the zero time (which would fire at
// once, every time), no run after the last occurrence, and a restart after it arms nothing.
func TestScheduleWithoutMoreOccurrencesEnds(t *testing.T) {
	r := newCronRig(t, at(21, 7, 0))
	spec := config.CronSpec{Spec: "twice", Schedule: twice{at(21, 8, 0), at(22, 8, 0)}}
	boot := func() *Engine {
		e := r.boot("0 8 * * *")
		e.CancelJob("post")
		if err := e.Every(context.Background(), "once", JobLabel{What: "测试任务"}, spec, func(t *Turn) error {
			r.runs = append(r.runs, t.Now)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := boot()
	r.advanceTo(e, at(25, 9, 0))
	if len(r.runs) != 2 || !r.runs[1].Equal(at(22, 8, 0)) {
		t.Fatalf("runs = %v, want the two occurrences", r.runs)
	}
	if !e.NextDue().IsZero() && e.NextDue().Before(at(25, 9, 0)) {
		t.Errorf("a timer is left at %v", e.NextDue())
	}
	for _, j := range e.jobsSnapshot() {
		if j.Job == "once" {
			t.Errorf("the ended job still has a timer: %+v", j)
		}
	}
	r.runs = nil
	e = boot()
	r.advanceTo(e, at(27, 9, 0))
	if len(r.runs) != 0 {
		t.Fatalf("after a restart the ended job ran again: %v", r.runs)
	}
}
