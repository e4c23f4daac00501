package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"qunbot/bot/config"
	"qunbot/storage"
)

func TestJobsSnapshotIdle(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil)
	ctx := context.Background()
	spec, err := config.ParseCron("30 9 * * 1")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.e.Every(ctx, "report.weekly:读书会", JobLabel{What: "测试任务"}, spec, func(*Turn) error { return nil }); err != nil {
		t.Fatal(err)
	}
	h.e.Schedule("screening.deadline:7", JobLabel{What: "测试"}, t0.Add(time.Hour), func(context.Context, time.Time) {})
	jobs, err := h.e.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	jobs = slices.DeleteFunc(jobs, func(j JobInfo) bool { return j.Job == retentionJob }) // the engine's own
	if len(jobs) != 2 {
		t.Fatalf("jobs %+v", jobs)
	}
	if jobs[0].Key != "screening.deadline:7" || jobs[0].Job != "" || !jobs[0].Next.Equal(t0.Add(time.Hour)) {
		t.Errorf("first (earliest) %+v", jobs[0])
	}
	// t0 is Saturday 08:00 (UTC+8): the next Monday 09:30 is two days later.
	if jobs[1].Job != "report.weekly:读书会" || jobs[1].Next.In(t0.Location()).Format("2006-01-02 15:04 Mon") != "2026-11-23 09:30 Mon" {
		t.Errorf("cron job %+v", jobs[1])
	}
}

// TestJobsWhileRunning takes snapshots from another goroutine while the loop handles
// events that change the timer queue: -race proves the snapshot is taken on the loop.
func TestJobsWhileRunning(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil, &batchProbe{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan Event) // unbuffered: a send returns once the loop has the event
	done := make(chan error, 1)
	h.e.Live()
	go func() { done <- h.e.Run(ctx, events) }()
	for i, name := range []string{"甲", "乙", "丙"} {
		events <- Event{Type: EventJoin, ID: "j" + name, Time: h.clock.Now(), Group: GroupInfo{ID: "g1", Name: "读书会"},
			Members: []MemberInfo{member(name)}}
		jobs, err := h.e.Jobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, j := range jobs {
			found = found || strings.HasPrefix(j.Key, "probe:")
		}
		if !found {
			t.Fatalf("after join %d: no probe timer in %+v", i, jobs)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A busy or stopped loop: the caller's deadline bounds the wait.
	h.e.Live()
	short, cancelShort := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancelShort()
	for i := 0; i < cap(h.e.tasks)+1; i++ {
		if _, err := h.e.Jobs(short); err != nil {
			return // the deadline ended the wait: fine
		}
	}
	t.Error("Jobs on a stopped live engine should give up at the deadline")
}

// batchProbe is a feature like welcome: a join opens a batch (a timer a minute later), and a
// graceful stop sends the open batch early rather than lose it.
type batchProbe struct{ open map[int64]bool }

func (*batchProbe) Name() string { return "probe" }

func (b *batchProbe) OnJoin(t *Turn, joined []storage.Member) error {
	if b.open == nil {
		b.open = map[int64]bool{}
	}
	g := t.Group.Key
	b.open[g] = true
	t.Engine().Schedule(fmt.Sprintf("probe:%d", g), JobLabel{What: "测试"}, t.Now.Add(time.Minute), func(ctx context.Context, now time.Time) { b.send(ctx, t.Engine(), g) })
	return nil
}

func (b *batchProbe) Stop(ctx context.Context, e *Engine) {
	for g := range b.open {
		e.Cancel(fmt.Sprintf("probe:%d", g))
		b.send(ctx, e, g)
	}
}

func (b *batchProbe) send(ctx context.Context, e *Engine, g int64) {
	delete(b.open, g)
	_ = e.Update(ctx, func(t *Turn) error { return t.SayIn(g, "欢迎") })
}
