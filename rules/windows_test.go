package rules

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

func TestFloodSlidingWindow(t *testing.T) {
	f := NewFlood(3, time.Minute)
	type step struct {
		at   time.Duration
		who  string
		fire bool
	}
	steps := []step{
		{0, "a", false},
		{10 * time.Second, "a", false},
		{20 * time.Second, "a", false},
		{30 * time.Second, "a", true},  // 4th within a minute
		{31 * time.Second, "b", false}, // others are counted apart
		{35 * time.Second, "a", true},  // still over
		// The window (11s, 71s] still holds 20s, 30s and 35s: a fourth.
		{71 * time.Second, "a", true},
		// The window (36s, 96s] holds only 71s.
		{96 * time.Second, "a", false},
	}
	for _, s := range steps {
		r, fired := f.Observe("g", s.who, t0.Add(s.at))
		if fired != s.fire {
			t.Fatalf("at %v %s: fired = %v, want %v", s.at, s.who, fired, s.fire)
		}
		if fired && (r.Check != CheckFlood || !strings.Contains(r.Reason, "1分钟内发送超过 3 条消息")) {
			t.Errorf("result %+v", r)
		}
	}
	// Groups are separate.
	g := NewFlood(1, time.Minute)
	g.Observe("g1", "a", t0)
	if _, fired := g.Observe("g2", "a", t0); fired {
		t.Error("flood counted across groups")
	}
	if _, fired := g.Observe("g1", "a", t0.Add(time.Second)); !fired {
		t.Error("second message with max 1 did not fire")
	}
}

func TestFloodExactBoundary(t *testing.T) {
	f := NewFlood(1, time.Minute)
	f.Observe("g", "a", t0)
	// Exactly one window later the first message is out: (t-T, t].
	if _, fired := f.Observe("g", "a", t0.Add(time.Minute)); fired {
		t.Error("message exactly one window later counted the old one")
	}
}

func TestFloodClockBackwards(t *testing.T) {
	f := NewFlood(2, time.Minute)
	f.Observe("g", "a", t0.Add(time.Minute))
	f.Observe("g", "a", t0) // replayed: clamped, still counts
	if _, fired := f.Observe("g", "a", t0.Add(time.Minute)); !fired {
		t.Error("third message did not fire after a backwards clock")
	}
}

func TestFloodPrunesIdleMembers(t *testing.T) {
	f := NewFlood(10, time.Minute)
	for i := range 50_000 {
		// Every member speaks once; time moves a second per message, so
		// at most 60 are inside the window at any time.
		f.Observe("g", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Second))
	}
	if n := f.Len(); n > 2*minSweep {
		t.Errorf("flood holds %d keys for 60 active members", n)
	}
}

func TestDefaults(t *testing.T) {
	f := NewFlood(0, 0)
	for i := range 10 {
		if _, fired := f.Observe("g", "a", t0.Add(time.Duration(i)*time.Second)); fired {
			t.Fatalf("message %d fired with the default 10/60s", i+1)
		}
	}
	if _, fired := f.Observe("g", "a", t0.Add(10*time.Second)); !fired {
		t.Error("11th message within 60s did not fire")
	}
}

func TestDuplicates(t *testing.T) {
	d := NewDuplicates(DuplicateOptions{})
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	if _, fired := d.Observe("g", "张三", "加我微信领红包！", at(0)); fired {
		t.Fatal("first copy fired")
	}
	if _, fired := d.Observe("g", "李四", "加我 微信 领红包", at(1)); fired {
		t.Fatal("second copy fired")
	}
	r, fired := d.Observe("g", "王五", "加我微信，领红包", at(2))
	if !fired {
		t.Fatal("third copy within 10 minutes did not fire")
	}
	if !slices.Equal(r.Related, []string{"张三", "李四"}) || r.Check != CheckDuplicate ||
		!strings.Contains(r.Reason, "第 3 次") || !strings.Contains(r.Reason, "张三、李四") {
		t.Errorf("result %+v", r)
	}
	if r, fired := d.Observe("g", "张三", "加我微信领红包", at(3)); !fired || !slices.Equal(r.Related, []string{"张三", "李四", "王五"}) {
		t.Errorf("fourth copy: %v %+v", fired, r)
	}
	// Other groups and expired copies do not count.
	if _, fired := d.Observe("h", "赵六", "加我微信领红包", at(3)); fired {
		t.Error("counted across groups")
	}
	if _, fired := d.Observe("g", "赵六", "加我微信领红包", at(30)); fired {
		t.Error("copies older than the window counted")
	}
	// Short texts never count.
	for i := range 5 {
		if _, fired := d.Observe("g", "a", "好的！", at(i)); fired {
			t.Fatal("short text counted")
		}
	}
}

func TestDuplicatesBoundedMemory(t *testing.T) {
	d := NewDuplicates(DuplicateOptions{MaxTexts: 1000})
	for i := range 20_000 {
		// All within one window: pruning by age cannot help, the cap must.
		d.Observe("g", "a", fmt.Sprintf("第%d条不同的内容", i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := d.Len(); n > 1000 {
		t.Errorf("holds %d texts, cap 1000", n)
	}
	// The most recent ones survive the cap.
	d.Observe("g", "b", "第19999条不同的内容", t0.Add(20*time.Second))
	if r, fired := d.Observe("g", "c", "第19999条不同的内容", t0.Add(21*time.Second)); !fired || len(r.Related) != 2 {
		t.Errorf("recent text forgotten: %v %+v", fired, r)
	}
	// Senders per text are capped too.
	e := NewDuplicates(DuplicateOptions{})
	for i := range 100 {
		e.Observe("g", fmt.Sprint(i), "同一条很长的内容", t0)
	}
	for _, entry := range e.texts {
		if len(entry.sends) > maxDupSenders {
			t.Errorf("%d senders kept", len(entry.sends))
		}
	}
}

// The cap drops the least recently *seen* text, not the oldest first copy: a spam wave
// that keeps coming stays counted while one-off chat makes room.
func TestDuplicatesCapDropsLeastRecentlySeen(t *testing.T) {
	d := NewDuplicates(DuplicateOptions{Count: 2, MaxTexts: 3})
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	d.Observe("g", "a", "第一条广告内容", at(0))
	d.Observe("g", "a", "第二条普通聊天", at(1))
	d.Observe("g", "a", "第三条普通聊天", at(2))
	if _, fired := d.Observe("g", "b", "第一条广告内容", at(3)); !fired {
		t.Fatal("second copy within the window did not fire")
	}
	d.Observe("g", "a", "第四条普通聊天", at(4)) // full: drops 第二条, seen least recently
	if n := d.Len(); n != 3 {
		t.Fatalf("holds %d texts, cap 3", n)
	}
	if _, fired := d.Observe("g", "c", "第一条广告内容", at(5)); !fired {
		t.Error("the recently seen wave was dropped by the cap")
	}
	if _, fired := d.Observe("g", "c", "第二条普通聊天", at(6)); fired {
		t.Error("the least recently seen text was kept past the cap")
	}
}

// Texts whose last copy left the window are dropped as new ones arrive, without waiting
// for the map to grow.
func TestDuplicatesExpiredTextsDropped(t *testing.T) {
	d := NewDuplicates(DuplicateOptions{Window: time.Minute})
	for i := range 50 {
		d.Observe("g", "a", fmt.Sprintf("第%d条不同的内容", i), t0)
	}
	d.Observe("g", "a", "窗口之后的新内容", t0.Add(2*time.Minute))
	if n := d.Len(); n != 1 {
		t.Errorf("holds %d texts after the window passed, want 1", n)
	}
}

func TestPromoQuota(t *testing.T) {
	p := NewPromoQuota(0) // default 1 a day
	if _, over := p.Use("g", "店主", "2026-11-21"); over {
		t.Fatal("first promotion over quota")
	}
	if p.Remaining("g", "店主", "2026-11-21") != 0 {
		t.Error("remaining after one of one")
	}
	r, over := p.Use("g", "店主", "2026-11-21")
	if !over || r.Check != CheckPromoQuota || !strings.Contains(r.Reason, "每天 1 条") {
		t.Errorf("second promotion: %v %+v", over, r)
	}
	if _, over := p.Use("h", "店主", "2026-11-21"); over {
		t.Error("quota shared across groups")
	}
	if _, over := p.Use("g", "店主", "2026-11-22"); over {
		t.Error("quota did not reset on a new day")
	}
	// A late message from yesterday does not wipe today.
	p.Use("g", "店主", "2026-11-21")
	if _, over := p.Use("g", "店主", "2026-11-22"); !over {
		t.Error("today's count lost after a late message from yesterday")
	}
	p.Use("g", "x", "2026-11-23")
	p.Use("g", "x", "2026-11-24")
	for k := range p.used {
		if k.day < "2026-11-23" {
			t.Errorf("old day kept: %v", k)
		}
	}
}

func TestWindowsConcurrent(t *testing.T) {
	f := NewFlood(5, time.Minute)
	d := NewDuplicates(DuplicateOptions{})
	p := NewPromoQuota(3)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				at := t0.Add(time.Duration(i) * time.Second)
				f.Observe("g", fmt.Sprint(g), at)
				d.Observe("g", fmt.Sprint(g), "大家好我是新来的", at)
				p.Use("g", fmt.Sprint(g), "2026-11-21")
			}
		}()
	}
	wg.Wait()
}

func TestDurationZH(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1分钟", 10 * time.Minute: "10分钟", time.Hour: "1小时",
		90 * time.Minute: "1小时30分钟", 30 * 24 * time.Hour: "30天", 45 * time.Second: "45秒",
		0: "0秒", time.Millisecond: "不到1秒",
	} {
		if got := DurationZH(d); got != want {
			t.Errorf("DurationZH(%v) = %q, want %q", d, got, want)
		}
	}
}
