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

// flagged is the caller's "has a link, contact or lexicon hit" for the tests.
func flagged(b bool) WaveSignals { return WaveSignals{Flagged: func() bool { return b }} }

func TestDuplicatesOwnRepeats(t *testing.T) {
	d := NewDuplicates(DuplicateOptions{})
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	for i, text := range []string{"今天谁有空一起吃饭", "今天谁有空 一起吃饭！"} {
		if _, fired := d.Observe("g", "张三", text, at(i), WaveSignals{}); fired {
			t.Fatalf("copy %d of one's own line fired", i+1)
		}
	}
	r, fired := d.Observe("g", "张三", "今天谁有空，一起吃饭", at(2), WaveSignals{})
	if !fired || r.Check != CheckDuplicate || !strings.Contains(r.Reason, "第 3 次") || len(r.Related) != 0 {
		t.Fatalf("the member's own third copy in 10 minutes: %v %+v", fired, r)
	}
	if strings.Contains(r.Reason, "张三") || strings.Contains(r.Reason, "由") {
		t.Errorf("a repeat names nobody: %q", r.Reason)
	}
	// Someone else saying it once more is not their repeat.
	if _, fired := d.Observe("g", "李四", "今天谁有空一起吃饭", at(3), WaveSignals{}); fired {
		t.Error("another member's first copy fired as a repeat")
	}
	// Other groups and expired copies do not count.
	if _, fired := d.Observe("h", "张三", "今天谁有空一起吃饭", at(3), WaveSignals{}); fired {
		t.Error("counted across groups")
	}
	if _, fired := d.Observe("g", "张三", "今天谁有空一起吃饭", at(30), WaveSignals{}); fired {
		t.Error("copies older than the window counted")
	}
	// Short texts never count.
	for i := range 5 {
		if _, fired := d.Observe("g", "a", "好的！", at(i), flagged(true)); fired {
			t.Fatal("short text counted")
		}
	}
}

// Members repeating each other is group life unless the text looks like spam.
func TestDuplicatesWaves(t *testing.T) {
	const ad = "加我微信领红包，限时三天，名额有限先到先得"
	newcomers := func(fresh ...string) WaveSignals {
		return WaveSignals{NewSender: func(m string) bool { return slices.Contains(fresh, m) }}
	}
	for _, tc := range []struct {
		name    string
		text    string
		senders []string
		sig     WaveSignals
		fire    bool
	}{
		{"a blessing", "祝赵六生日快乐！天天开心", []string{"a", "b", "c", "d", "e"}, flagged(false), false},
		{"复读 of a joke", "哈哈哈哈笑死我了", []string{"a", "b", "c"}, flagged(false), false},
		{"a short shared link", "会议链接 https://m.cn/a", []string{"a", "b", "c"}, flagged(true), false},
		{"long ad copy with a contact", ad, []string{"a", "b", "c"}, flagged(true), true},
		{"long ad copy, two senders", ad, []string{"a", "b"}, flagged(true), false},
		{"long text, nothing flagged", "今天的分享非常精彩，感谢老师的辛苦付出", []string{"a", "b", "c"}, flagged(false), false},
		{"three newcomers greet alike", "大家好，请多多关照", []string{"a", "b", "c"}, newcomers("a", "b", "c"), false},
		{"five fresh accounts", "大家好，请多多关照", []string{"a", "b", "c", "d", "e"}, newcomers("a", "b", "c", "d", "e"), true},
		{"five senders, four fresh", "大家好，请多多关照", []string{"a", "b", "c", "d", "e"}, newcomers("a", "b", "c", "d"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDuplicates(DuplicateOptions{})
			var fired []string
			for i, m := range tc.senders {
				r, ok := d.Observe("g", m, tc.text, t0.Add(time.Duration(i)*time.Minute), tc.sig)
				if ok {
					fired = append(fired, m)
					if strings.ContainsAny(r.Reason, "abcde") || !strings.Contains(r.Reason, "人发送") {
						t.Errorf("a wave's reason names nobody and says how many: %q", r.Reason)
					}
				}
			}
			if got := len(fired) > 0; got != tc.fire {
				t.Fatalf("fired for %v, want a wave: %v", fired, tc.fire)
			}
			if tc.fire && fired[0] != tc.senders[max(2, len(tc.senders)-1)] && len(tc.senders) == 3 {
				t.Errorf("the wave fired first for %s", fired[0])
			}
		})
	}
}

// The signals are asked only once a text has enough copies: they may read the database.
func TestDuplicatesAskSignalsOnlyForWaves(t *testing.T) {
	d := NewDuplicates(DuplicateOptions{})
	asked := 0
	sig := WaveSignals{Flagged: func() bool { asked++; return true }}
	for i := range 100 {
		d.Observe("g", fmt.Sprint(i), fmt.Sprintf("第%d条不同的很长很长的聊天内容啊啊", i), t0, sig)
	}
	d.Observe("g", "a", "同一条很长很长的聊天内容啊啊啊", t0, sig)
	d.Observe("g", "b", "同一条很长很长的聊天内容啊啊啊", t0, sig)
	if asked != 0 {
		t.Fatalf("signals asked %d times before any text had 3 copies", asked)
	}
	d.Observe("g", "c", "同一条很长很长的聊天内容啊啊啊", t0, sig)
	if asked != 1 {
		t.Errorf("signals asked %d times for one wave copy", asked)
	}
}

func TestDuplicatesBoundedMemory(t *testing.T) {
	d := NewDuplicates(DuplicateOptions{MaxTexts: 1000, LongRunes: 1})
	for i := range 20_000 {
		// All within one window: pruning by age cannot help, the cap must.
		d.Observe("g", "a", fmt.Sprintf("第%d条不同的内容", i), t0.Add(time.Duration(i)*time.Millisecond), WaveSignals{})
	}
	if n := d.Len(); n > 1000 {
		t.Errorf("holds %d texts, cap 1000", n)
	}
	// The most recent ones survive the cap.
	d.Observe("g", "b", "第19999条不同的内容", t0.Add(20*time.Second), WaveSignals{})
	if r, fired := d.Observe("g", "c", "第19999条不同的内容", t0.Add(21*time.Second), flagged(true)); !fired || len(r.Related) != 2 {
		t.Errorf("recent text forgotten: %v %+v", fired, r)
	}
	// Senders per text are capped too.
	e := NewDuplicates(DuplicateOptions{})
	for i := range 100 {
		e.Observe("g", fmt.Sprint(i), "同一条很长的内容", t0, WaveSignals{})
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
	d := NewDuplicates(DuplicateOptions{Count: 2, MaxTexts: 3, LongRunes: 1})
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	d.Observe("g", "a", "第一条广告内容", at(0), flagged(true))
	d.Observe("g", "a", "第二条普通聊天", at(1), flagged(true))
	d.Observe("g", "a", "第三条普通聊天", at(2), flagged(true))
	if _, fired := d.Observe("g", "b", "第一条广告内容", at(3), flagged(true)); !fired {
		t.Fatal("second copy within the window did not fire")
	}
	d.Observe("g", "a", "第四条普通聊天", at(4), flagged(true)) // full: drops 第二条, seen least recently
	if n := d.Len(); n != 3 {
		t.Fatalf("holds %d texts, cap 3", n)
	}
	if _, fired := d.Observe("g", "c", "第一条广告内容", at(5), flagged(true)); !fired {
		t.Error("the recently seen wave was dropped by the cap")
	}
	if _, fired := d.Observe("g", "c", "第二条普通聊天", at(6), flagged(true)); fired {
		t.Error("the least recently seen text was kept past the cap")
	}
}

// Texts whose last copy left the window are dropped as new ones arrive, without waiting
// for the map to grow.
func TestDuplicatesExpiredTextsDropped(t *testing.T) {
	d := NewDuplicates(DuplicateOptions{Window: time.Minute})
	for i := range 50 {
		d.Observe("g", "a", fmt.Sprintf("第%d条不同的内容", i), t0, flagged(true))
	}
	d.Observe("g", "a", "窗口之后的新内容", t0.Add(2*time.Minute), flagged(true))
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
				d.Observe("g", fmt.Sprint(g), "大家好我是新来的", at, flagged(true))
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
