package schedule

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"qunbot/bot/config"
	"qunbot/storage"
)

func TestPickSequenceWrapsAndSurvivesShrinking(t *testing.T) {
	items := []string{"a", "b", "c"}
	var rot storage.Rotation
	var got []string
	for range 7 {
		var i int
		i, rot = pick("post:g:1", items, config.OrderSequence, rot)
		got = append(got, items[i])
	}
	if strings.Join(got, "") != "abcabca" {
		t.Fatalf("sequence = %v", got)
	}
	// The list was cut to two items while the position pointed past its end.
	rot.Position = 2
	i, _ := pick("post:g:1", []string{"x", "y"}, "", rot)
	if i != 0 {
		t.Fatalf("a shortened list starts from the top, got %d", i)
	}
}

func TestPickShuffleUsesEveryItemOncePerRound(t *testing.T) {
	items := []string{"甲", "乙", "丙", "丁", "戊", "己"}
	var rot storage.Rotation
	var got []string
	for range 3 * len(items) {
		var i int
		i, rot = pick("post:g:topics", items, config.OrderShuffle, rot)
		got = append(got, items[i])
	}
	for r := 0; r < 3; r++ {
		round := slices.Clone(got[r*6 : r*6+6])
		slices.Sort(round)
		if !slices.Equal(round, []string{"丁", "丙", "乙", "己", "戊", "甲"}) {
			t.Fatalf("round %d is not a permutation: %v", r, got)
		}
		if r > 0 && got[r*6] == got[r*6-1] {
			t.Errorf("round %d starts with the item that ended the last one: %v", r, got)
		}
	}
	if slices.Equal(got[:6], items) && slices.Equal(got[6:12], items) {
		t.Errorf("shuffle looks like sequence: %v", got)
	}
	// Same state, same choice: a restart continues the same permutation.
	var a, b storage.Rotation
	for range 3 {
		_, a = pick("post:g:topics", items, config.OrderShuffle, a)
	}
	b = storage.Rotation{Position: a.Position, Cycle: a.Cycle, Used: slices.Clone(a.Used), Last: a.Last}
	i1, _ := pick("post:g:topics", items, config.OrderShuffle, a)
	i2, _ := pick("post:g:topics", items, config.OrderShuffle, b)
	if i1 != i2 {
		t.Fatalf("the choice must depend only on the stored state")
	}
}

func TestPickShuffleSurvivesEditingTheList(t *testing.T) {
	items := []string{"a", "b", "c", "d"}
	var rot storage.Rotation
	var used []string
	for range 2 {
		var i int
		i, rot = pick("j", items, config.OrderShuffle, rot)
		used = append(used, items[i])
	}
	// The admin inserts an item at the top: what was posted this round is still not repeated.
	edited := append([]string{"new"}, items...)
	for range 3 {
		var i int
		i, rot = pick("j", edited, config.OrderShuffle, rot)
		if slices.Contains(used, edited[i]) {
			t.Fatalf("%q repeated within the round after the list was edited", edited[i])
		}
		used = append(used, edited[i])
	}
}

func TestPasses(t *testing.T) {
	cfg := config.Screening{MinIntro: 10, Keywords: []string{"Read2Win"}}
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{"你好", false},
		{"大家好，我叫王五，在杭州做设计", true},
		{"。。。。。。。。。。。。。。。", false},     // punctuation is no introduction
		{"😀😀😀😀😀😀😀😀😀😀😀", false},         // nor are emoji
		{"暗号 read2win", true},          // keyword, any case
		{"ＲＥＡＤ２ＷＩＮ", true},             // full-width
		{"Hi I am Tom from NYC", true}, // 14 letters
		{"I am Tom", false},
	} {
		if got := passes(cfg, c.text); got != c.ok {
			t.Errorf("passes(%q) = %v, want %v", c.text, got, c.ok)
		}
	}
	if passes(config.Screening{Keywords: []string{"芝麻开门"}}, "大家好我叫王五来自杭州做设计的") {
		t.Error("min_intro 0: only the keyword passes")
	}
}

func TestSilenceStart(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 11, day, 9, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		name string
		m    storage.Member
		want time.Time
	}{
		{"spoke", storage.Member{FirstSeen: d(1), JoinedAt: d(2), LastSpoke: d(5)}, d(5)},
		{"never spoke: from the join", storage.Member{FirstSeen: d(2), JoinedAt: d(2)}, d(2)},
		{"there before the bot: from first seen", storage.Member{FirstSeen: d(3)}, d(3)},
		{"spoke long ago, left, came back", storage.Member{FirstSeen: d(1), LastSpoke: d(2), JoinedAt: d(20)}, d(20)},
	} {
		if got := SilenceStart(c.m); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestReportPeriod(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, loc) }
	for _, c := range []struct {
		kind     reportKind
		now      time.Time
		from, to time.Time
	}{
		{daily, at(21, 22), at(21, 0), at(22, 0)},
		{daily, at(22, 0), at(21, 0), at(22, 0)}, // a midnight report covers the day that ended
		{weekly, at(23, 9), at(16, 0), at(23, 0)},
	} {
		from, to := period(c.kind, c.now)
		if !from.Equal(c.from) || !to.Equal(c.to) {
			t.Errorf("%v at %v: [%v, %v), want [%v, %v)", c.kind, c.now, from, to, c.from, c.to)
		}
	}
}

func TestRenderFallsBackToPlainText(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	bad, err := config.NewTemplate("t", "今日：{{index .Item 99}}")
	if err != nil {
		t.Fatal(err)
	}
	data := config.PostData{Item: "一句话"}
	if got := render(log, "post", bad, data, config.Template{}, "一句话"); got != "一句话" {
		t.Errorf("with an item, the item itself: %q", got)
	}
	if got := render(log, "post", bad, data, config.Template{}, ""); got != "今日：" {
		t.Errorf("without, the template's text: %q", got)
	}
	def := config.MustTemplate("d", "默认 {{.Item}}")
	if got := render(log, "post", bad, data, def, ""); got != "默认 一句话" {
		t.Errorf("a built-in fallback is used first: %q", got)
	}
	if !strings.Contains(logs.String(), "template failed") {
		t.Error("the failure is logged")
	}
}

func TestReportTextFitsAPhone(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	from := time.Date(2026, 11, 16, 0, 0, 0, 0, loc)
	r := &report{kind: weekly, group: "读书会", from: from, to: from.AddDate(0, 0, 7), last: from.AddDate(0, 0, 6),
		members: 420, joins: 12, leaves: 3, messages: 3456, active: 80, activeDays: 300, observed: 7, firstSeen: from.AddDate(0, -1, 0),
		violations: []storage.RuleCount{{Rule: "ads", Count: 5}, {Rule: "flood", Count: 2}, {Rule: "自定义规则", Count: 1}},
		pending:    2, silent: map[int]int{1: 30, 2: 12, 3: 4},
		top:    []topMember{{"张三", 120}, {"李四", 90}, {"王五", 80}},
		alerts: []string{"每百人消息 82 条/周，低于 120 条：多发起话题引导"}}
	cfg := config.Default().Defaults
	text := r.text(cfg.Reports, cfg.Silent)
	for _, want := range []string{"周报 11月16日—11月22日", "成员 420 人，本周 +12 / -3", "消息 3456 条，每百人 822 条",
		"日均日活 10.2%", "违规 8 次：广告 5 · 刷屏 2 · 自定义规则 1", "待移出 2 人", "满7天 30 人 · 满15天 12 人 · 满30天 4 人",
		"张三 120 条", "⚠️ 每百人消息"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in\n%s", want, text)
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if n := len([]rune(l)); n > 40 {
			t.Errorf("line of %d characters: %q", n, l)
		}
	}
}
