package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"qunbot/bot"
	"qunbot/bot/moderate"
	"qunbot/internal/testlog"
	"qunbot/storage"
)

// Security tests: each fails if the protection it names is removed. See docs/RELIABILITY.md.

// Commands addressed to the bot by @-mentioning the owner ("@群主 警告 @x") carry only the
// sender's own power: nothing from a plain member, nothing from a member who took the
// owner's name, the real thing from the owner.
func TestMentionedCommandsCarryOnlyTheSendersPower(t *testing.T) {
	r := runScript(t, nil, "", `@time 2026-11-21 08:00
@group 读书会
王五: 大家好，今天读到第三章
李四: 大家好，我也在读这本书
李四: @群主 警告 @王五 广告
李四: ＠群主 禁言 @王五 1h 刷屏
李四: @群主 加分 @李四 100 自己加
李四: @群主 设为管理员 @李四
群主: @群主 警告 @王五 广告
群主: 设为管理员 @李四
李四: 警告 @王五 广告
me: @群主 警告 @王五 广告
`, false)
	pens := r.kind("penalty")
	if len(pens) != 1 || pens[0].str("member") != "王五" || pens[0].str("level") != "warn" {
		t.Fatalf("only the owner's warning may count, got penalties %v\n%s", pens, r.out)
	}
	for _, p := range r.kind("points") {
		if p.str("reason") == "admin" {
			t.Fatalf("a member gave himself points: %v", p)
		}
	}
	for _, s := range r.kind("send") {
		if strings.Contains(s.str("text"), "管理员") && strings.Contains(s.str("text"), "李四") {
			t.Fatalf("李四 must not have been made admin: %v", s)
		}
	}
}

// capture is a platform that keeps what the bot sends.
type capture struct {
	mu    sync.Mutex
	texts []string
}

func (c *capture) Capabilities() bot.Capabilities { return bot.Capabilities{} }
func (c *capture) SendText(_ context.Context, _, text string, _ []string) error {
	c.mu.Lock()
	c.texts = append(c.texts, text)
	c.mu.Unlock()
	return nil
}
func (c *capture) SendDM(_ context.Context, _, text string) error {
	return c.SendText(context.Background(), "", text, nil)
}
func (c *capture) RemoveMember(context.Context, string, string) error        { return bot.ErrNotSupported }
func (c *capture) Groups(context.Context) ([]bot.GroupInfo, error)           { return nil, nil }
func (c *capture) Members(context.Context, string) ([]bot.MemberInfo, error) { return nil, nil }

func (c *capture) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.texts, "\n---\n")
}

// rig is an engine with every module on a temp database, a capturing platform and a
// manual clock, for events a script cannot write (10,000-character names).
type rig struct {
	t     *testing.T
	e     *bot.Engine
	st    *storage.Store
	p     *capture
	clock *bot.ManualClock
	logs  *testlog.Errors
	n     int
}

func newRig(t *testing.T, start time.Time) *rig {
	t.Helper()
	cfg := exampleConfig(t)
	st, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &rig{t: t, st: st, p: &capture{}, clock: bot.NewManualClock(start), logs: &testlog.Errors{}}
	r.e, err = bot.New(bot.Options{Config: cfg, Store: st, Platform: r.p, Clock: r.clock, Logger: slogTo(r.logs),
		Modules: mustModules(t, cfg), Pacing: &bot.Pacing{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

var rigGroup = bot.GroupInfo{ID: "读书会", Name: "读书会", MemberCount: 10}

func (r *rig) say(from bot.MemberInfo, owner bool, text string) {
	r.n++
	r.e.Handle(context.Background(), bot.Event{Type: bot.EventMessage, ID: fmt.Sprint("m", r.n), Time: r.clock.Now(),
		Group: rigGroup, Sender: from, FromOwner: owner, Kind: bot.KindText, Text: text})
}

func (r *rig) join(who ...bot.MemberInfo) {
	r.n++
	r.e.Handle(context.Background(), bot.Event{Type: bot.EventJoin, ID: fmt.Sprint("j", r.n), Time: r.clock.Now(),
		Group: rigGroup, Members: who})
}

func (r *rig) advance(d time.Duration) {
	r.e.AdvanceTo(context.Background(), r.clock.Now().Add(d), r.clock.Set)
}

func (r *rig) noErrors() {
	r.t.Helper()
	if errs := r.logs.Take(); len(errs) > 0 {
		r.t.Fatalf("errors logged: %v", errs)
	}
}

// {{...}} in a member's name or message is data in every text that shows names: the
// welcome (tested in welcome.golden), check-in replies, auto-replies, the weekly top, silent
// reminders, the daily report and the owner's report DM.
func TestTemplatesNeverRunMemberText(t *testing.T) {
	// A Monday morning: a week of chat, then the weekly top (Mon 09:00), the daily report
	// (22:00) and, eight days on, the silent reminders (10:00).
	r := newRig(t, time.Date(2026, 11, 16, 8, 0, 0, 0, exampleConfig(t).Location))
	hostile := []string{"{{.Group}}", "{{.Rules}}", "{{.Mentions}}", `{{printf "%s" .Name}}`, "{{.Count}}"}
	var ms []bot.MemberInfo
	for _, name := range hostile {
		ms = append(ms, bot.MemberInfo{ID: "id" + name, Nickname: name})
	}
	r.join(ms...)
	r.advance(2 * time.Minute) // the welcome
	for day := 0; day < 7; day++ {
		for i, m := range ms {
			r.say(m, false, "签到")
			r.say(m, false, fmt.Sprintf("第%d天%s的读书心得 {{.Group}} {{template \"x\"}} 很有意思", day, []string{"甲", "乙", "丙", "丁", "戊"}[i]))
		}
		r.say(ms[0], false, "请问怎么报名")
		r.say(ms[1], false, "举报 @{{.Group}} {{.Rules}}{{.Count}}")
		r.advance(24 * time.Hour)
	}
	r.advance(2 * time.Hour)        // Monday 10:00: weekly top at 09:00
	r.advance(12 * time.Hour)       // the daily report at 22:00
	r.say(ms[0], false, "我还在，别提醒我") // one of them keeps talking; the rest go silent
	r.advance(8*24*time.Hour + time.Hour)
	r.noErrors()
	out := r.p.all()
	for _, want := range []string{
		"@{{.Group}}\u2005签到成功",       // check-in reply
		"@{{.Group}}\u2005报名共读",       // auto-reply
		"活跃之星",                        // the weekly top ran …
		"「读书会」日报",                     // … and the daily report …
		"好久不见",                        // … and the silent reminder
		`{{printf "%s" .Name}}`,       // names printed literally everywhere
		"{{.Rules}}{{.Count}}",        // a reason in a report to the owner
		"{{.Mentions}}", "{{.Count}}", // in lists of names
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bot output lacks %q", want)
		}
	}
	// Had any template run a name, the weekly top and the reports would show its result.
	for _, text := range r.p.texts {
		listsMembers := strings.Contains(text, "活跃之星") || strings.Contains(text, "好久不见") ||
			(strings.Contains(text, "日报") && !strings.Contains(text, "发言 0 人"))
		if listsMembers && !strings.Contains(text, "{{") {
			t.Errorf("a text about these members shows none of their names literally:\n%s", text)
		}
	}
}

// SQL in names and messages is data: the statements are parameterised.
func TestSQLInNamesAndMessagesIsData(t *testing.T) {
	r := newRig(t, time.Date(2026, 11, 21, 8, 0, 0, 0, exampleConfig(t).Location))
	evil := bot.MemberInfo{ID: "evil", Nickname: "'; DROP TABLE members;--"}
	other := bot.MemberInfo{ID: "x", Nickname: `Robert"); DELETE FROM points_ledger; --`}
	owner := bot.MemberInfo{ID: "me", Nickname: "群主"}
	r.join(evil, other)
	r.say(evil, false, "签到")
	r.say(other, false, "签到")
	r.say(evil, false, "x'); UPDATE points_balances SET balance = 999999; -- 今天读书很有收获")
	r.say(owner, true, "警告 @'; DROP TABLE members;--\u2005广告") // as WeChat writes a mention: the name has spaces
	r.say(owner, true, `加分 @Robert"); 10 奖励`)
	r.say(evil, false, "积分")
	r.noErrors()
	var names []string
	rows, err := r.st.DB().Query(`SELECT nickname FROM members ORDER BY key`)
	if err != nil {
		t.Fatalf("members table gone: %v", err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	if !strings.Contains(strings.Join(names, "|"), evil.Nickname) || !strings.Contains(strings.Join(names, "|"), other.Nickname) {
		t.Fatalf("names not stored as given: %q", names)
	}
	// Settled, so every member with points has a balance row an injected UPDATE would have hit.
	if err := r.st.SettlePoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	var ledger, balances, max int
	r.st.DB().QueryRow(`SELECT (SELECT COUNT(*) FROM points_ledger), COUNT(*), MAX(balance) FROM points_balances`).Scan(&ledger, &balances, &max)
	if ledger == 0 || balances == 0 || max >= 999999 {
		t.Fatalf("ledger %d entries, max balance %d", ledger, max)
	}
	var strikes int
	r.st.DB().QueryRow(`SELECT COUNT(*) FROM strikes`).Scan(&strikes)
	if strikes != 1 {
		t.Fatalf("the owner's warning of the SQL-named member: %d strikes", strikes)
	}
	if out := r.p.all(); !strings.Contains(out, "@'; DROP TABLE members;--") {
		t.Errorf("the name should be shown as it is:\n%s", out)
	}
}

// 10,000-character names and messages, right-to-left overrides and zero-width characters:
// nothing breaks, and the bot shows at most storage.MaxShownName characters of a name,
// without the bidi controls; the full name stays in the database.
func TestHugeAndHostileNames(t *testing.T) {
	r := newRig(t, time.Date(2026, 11, 21, 8, 0, 0, 0, exampleConfig(t).Location))
	long := strings.Repeat("长", 10_000)
	rtl := "\u202e" + "五王 evil" + "\u202c"
	zw := "零\u200b\u200c\u200d\ufeff宽"
	owner := bot.MemberInfo{ID: "me", Nickname: "群主"}
	ms := []bot.MemberInfo{{ID: "long", Nickname: long}, {ID: "rtl", Nickname: rtl}, {ID: "zw", Nickname: zw},
		{ID: "long-dn", Nickname: "短", DisplayName: strings.Repeat("显", 5000)}}
	r.join(ms...)
	r.advance(2 * time.Minute)
	hugeText := strings.Repeat("今天读书很开心。", 1250) // 10,000 characters
	for _, m := range ms {
		r.say(m, false, "签到")
		r.say(m, false, hugeText)
		r.say(m, false, "积分")
		r.say(m, false, "\u202e倒过来的消息\u200b里面有零宽字符\u200b")
	}
	r.say(owner, true, "警告 @"+long+" 名字太长")
	r.say(owner, true, "排行榜")
	r.advance(24 * time.Hour)
	r.noErrors()
	out := r.p.all()
	if strings.Contains(out, strings.Repeat("长", storage.MaxShownName+1)) || strings.Contains(out, strings.Repeat("显", storage.MaxShownName+1)) {
		t.Error("a name longer than storage.MaxShownName was shown in full")
	}
	if !strings.Contains(out, strings.Repeat("长", storage.MaxShownName)+"…") {
		t.Errorf("the long name should be shown cut with …:\n%.500s", out)
	}
	for _, text := range r.p.texts {
		if utf8.RuneCountInString(text) > 2000 {
			t.Errorf("a %d-character message: names must not blow up the bot's texts", utf8.RuneCountInString(text))
		}
		if strings.ContainsRune(text, '\u202e') && !strings.Contains(text, "倒过来的消息") {
			t.Errorf("a right-to-left override from a name reached the bot's text: %q", text)
		}
	}
	if !strings.Contains(out, "五王 evil") || !strings.Contains(out, zw) {
		t.Errorf("hostile names should still be shown (cleaned):\n%.800s", out)
	}
	var stored string
	r.st.DB().QueryRow(`SELECT nickname FROM members WHERE platform_id = 'long'`).Scan(&stored)
	if stored != long {
		t.Fatalf("the full name must stay in storage: %d characters stored", utf8.RuneCountInString(stored))
	}
	var pens int
	r.st.DB().QueryRow(`SELECT COUNT(*) FROM strikes WHERE rule = 'admin'`).Scan(&pens)
	if pens != 1 {
		t.Fatalf("warning a member by a 10,000-character @ should still work: %d strikes", pens)
	}
}

// Moderation reads the first moderate.MaxScanRunes characters of a message: an ad at the
// start of a 100,000-character message is caught, one buried past the limit is not (the
// documented trade), and neither takes the loop long (BenchmarkHugeMessage).
func TestOverlongMessagesScannedUpToTheLimit(t *testing.T) {
	r := newRig(t, time.Date(2026, 11, 21, 8, 0, 0, 0, exampleConfig(t).Location))
	filler := strings.Repeat("今天读书很开心。", 100_000/8)
	a := bot.MemberInfo{ID: "a", Nickname: "甲"}
	b := bot.MemberInfo{ID: "b", Nickname: "乙"}
	r.say(a, false, "兼职日赚三百加我微信 "+filler)
	r.say(b, false, filler[:3*moderate.MaxScanRunes+3*100]+" 兼职日赚三百加我微信")
	r.noErrors()
	var caught []string
	rows, _ := r.st.DB().Query(`SELECT m.nickname FROM strikes s JOIN members m ON m.key = s.member_key`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		caught = append(caught, n)
	}
	rows.Close()
	if strings.Join(caught, ",") != "甲" {
		t.Fatalf("want only 甲 caught (ad within the first %d characters), got %v", moderate.MaxScanRunes, caught)
	}
	var evidence string
	r.st.DB().QueryRow(`SELECT evidence FROM strikes`).Scan(&evidence)
	if utf8.RuneCountInString(evidence) > 501 {
		t.Errorf("evidence of %d characters stored; it is cut to 500", utf8.RuneCountInString(evidence))
	}
}

// BenchmarkHugeMessage: one 100,000-character chat message through the whole engine,
// against an ordinary one.
//
//	go test ./bot/app -run '^$' -bench BenchmarkHugeMessage
func BenchmarkHugeMessage(b *testing.B) {
	for _, size := range []int{30, 100_000} {
		b.Run(fmt.Sprintf("runes=%d", size), func(b *testing.B) {
			cfg := exampleConfig(b)
			st, err := storage.Open(context.Background(), filepath.Join(b.TempDir(), "q.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			clock := bot.NewManualClock(time.Date(2026, 11, 21, 8, 0, 0, 0, cfg.Location))
			mods, _ := Modules(cfg)
			e, err := bot.New(bot.Options{Config: cfg, Store: st, Platform: nopPlatform{}, Clock: clock,
				Logger: slogTo(&testlog.Errors{}), Modules: mods, Pacing: &bot.Pacing{}})
			if err != nil {
				b.Fatal(err)
			}
			e.Start(context.Background())
			text := strings.Repeat("今天读书很开心，作者的观点很有意思。", size/18+1)[:0]
			for utf8.RuneCountInString(text) < size {
				text += "今天读书很开心，作者的观点很有意思。"
			}
			text = string([]rune(text)[:size])
			b.ResetTimer()
			for i := range b.N {
				clock.Set(clock.Now().Add(time.Minute))
				e.Handle(context.Background(), bot.Event{Type: bot.EventMessage, ID: fmt.Sprint(i), Time: clock.Now(), Group: rigGroup,
					Sender: bot.MemberInfo{ID: fmt.Sprint("m", i%100), Nickname: fmt.Sprint("成员", i%100)}, Kind: bot.KindText, Text: text})
			}
		})
	}
}

func slogTo(h slog.Handler) *slog.Logger { return slog.New(h) }

// What members say is not kept: activity is a per-member daily counter. A member's text is
// stored only as the evidence of a violation (strikes, removal requests, the audit entry of
// the penalty) and, cut to a few characters, in the warning that quotes it. Chat that broke
// no rule leaves no trace of its words anywhere in the database.
func TestMemberTextNotStored(t *testing.T) {
	r := newRig(t, time.Date(2026, 11, 21, 8, 0, 0, 0, exampleConfig(t).Location))
	a := bot.MemberInfo{ID: "a", Nickname: "甲"}
	b := bot.MemberInfo{ID: "b", Nickname: "乙"}
	const chat, ad = "普通聊天内容甲乙丙丁", "广告证据戊己庚辛"
	r.say(a, false, "今天"+chat+"很有意思")
	r.say(a, false, "签到")
	r.say(b, false, chat+"我也同意")
	r.say(b, false, "兼职日赚三百加我微信"+ad)
	r.advance(24 * time.Hour) // reports and jobs run over the day's data
	r.noErrors()
	tables := queryColumn(t, r.st, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	for _, table := range tables {
		rows, err := r.st.DB().Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			row := map[string]string{}
			for i, c := range cols {
				switch v := vals[i].(type) {
				case string:
					row[c] = v
				case []byte:
					row[c] = string(v)
				}
			}
			for c, v := range row {
				if strings.Contains(v, chat) {
					t.Errorf("chat text stored in %s.%s: %.120q", table, c, v)
				}
				if strings.Contains(v, ad) {
					evidence := (table == "strikes" && c == "evidence") || (table == "removals" && c == "evidence") ||
						(table == "audit" && c == "detail" && strings.Contains("warn mute remove", row["action"]))
					if !evidence {
						t.Errorf("violating text stored outside the evidence, in %s.%s: %.160q", table, c, v)
					}
				}
			}
		}
		rows.Close()
	}
	var counters int
	r.st.DB().QueryRow(`SELECT COUNT(*) FROM activity`).Scan(&counters)
	if counters == 0 {
		t.Error("activity should be kept as per-member daily counters")
	}
}

func queryColumn(t *testing.T, st *storage.Store, q string) []string {
	t.Helper()
	rows, err := st.DB().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}
