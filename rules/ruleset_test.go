package rules

import (
	"strings"
	"sync"
	"testing"
)

func defaultRuleset(t testing.TB) *Ruleset {
	t.Helper()
	opts, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := NewRuleset(opts)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestCheckTextBuiltins(t *testing.T) {
	rs := defaultRuleset(t)
	tests := []struct {
		text     string
		check    string
		category string
		reason   string
	}{
		{"加我微信领红包", CheckKeyword, "ad", "发送广告关键词「加我微信」"},
		{"加我威-信，有惊喜", CheckKeyword, "ad", "发送广告关键词「加我微信」（原文「加我威-信」）"},
		{"兼職刷單，日結", CheckKeyword, "ad", "发送广告关键词「兼职刷单」"},
		{"贷款秒批，无抵押", CheckKeyword, "scam", "发送诈骗关键词「贷款秒批」"},
		{"你个傻Ｂ", CheckKeyword, "abuse", "发送辱骂关键词「傻b」"},
		{"ＳＢ", CheckKeyword, "abuse", "发送辱骂关键词「sb」"},
		{"网赌上岸", CheckKeyword, "gambling", "发送赌博关键词「网赌」"},
		{"电话 1３8-0013-8000", CheckPhone, "contact", "发送手机号（138****8000）"},
		{"想要的扣扣 1234 5678", CheckQQ, "contact", "发送QQ号（12****78）引流"},
		{"vx: abc_123", CheckWeChatID, "contact", "发送微信号（ab***23）引流"},
		{"www点abc点com", CheckURL, "link", "发送变形链接（w**.a**.com），规避链接检测"},
	}
	for _, tt := range tests {
		rs := rs.CheckText(tt.text)
		if len(rs) == 0 {
			t.Errorf("%q: nothing fired", tt.text)
			continue
		}
		r := rs[0]
		if r.Check != tt.check || r.Category != tt.category || r.Reason != tt.reason ||
			r.Action != ActionStrike || r.Strikes != 1 || r.Evidence == "" {
			t.Errorf("%q: first result %+v, want %s/%s %q", tt.text, r, tt.check, tt.category, tt.reason)
		}
	}
}

func TestCheckTextDropsNestedKeywords(t *testing.T) {
	rs := defaultRuleset(t)
	got := rs.CheckText("兼职刷单")
	if len(got) != 1 || !strings.Contains(got[0].Rule, "兼职刷单") {
		t.Errorf("got %+v", got)
	}
	got = rs.CheckText("加我微信 abc123")
	checks := map[string]bool{}
	for _, r := range got {
		checks[r.Check] = true
	}
	if !checks[CheckKeyword] || !checks[CheckWeChatID] {
		t.Errorf("keyword and wechat_id should both fire: %+v", got)
	}
}

func TestPolicies(t *testing.T) {
	opts := Options{
		Entries: []Entry{
			{Text: "刷单", Category: "ad"},
			{Text: "网赌", Category: "gambling"},
			{Text: "傻逼", Category: "abuse", Action: ActionWarn},
			{Text: "套现", Category: "scam", Severity: 3},
		},
		Detectors: DefaultDetectorOptions(),
		Policies: map[string]Policy{
			"keyword":          {Strikes: 2},
			"keyword:gambling": {Action: "移出"},
			"phone":            {Action: "warn"},
			"flood":            {Action: "mute", Strikes: 2},
		},
	}
	rs, err := NewRuleset(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		action  string
		strikes int
	}{
		"刷单":          {ActionStrike, 2}, // plain keyword policy
		"网赌":          {ActionRemove, 2}, // category policy + keyword strikes
		"傻逼":          {ActionWarn, 0},   // entry action; warn adds no strike
		"套现":          {ActionStrike, 3}, // entry severity
		"13800138000": {ActionWarn, 0},
	}
	for text, w := range want {
		got := rs.CheckText(text)
		if len(got) != 1 || got[0].Action != w.action || got[0].Strikes != w.strikes {
			t.Errorf("%s: %+v, want %s ×%d", text, got, w.action, w.strikes)
		}
	}
	f := NewFlood(1, 0)
	f.Observe("g", "a", t0)
	r, _ := f.Observe("g", "a", t0)
	if r = rs.Apply(r); r.Action != ActionMute || r.Strikes != 2 {
		t.Errorf("Apply(flood) = %+v", r)
	}

	for _, bad := range []map[string]Policy{
		{"nosuch": {}},
		{"phone:x": {}},
		{"keyword": {Action: "shoot"}},
		{"keyword": {Strikes: 11}},
	} {
		if _, err := NewRuleset(Options{Policies: bad}); err == nil {
			t.Errorf("policy %v accepted", bad)
		}
	}
	if _, err := NewRuleset(Options{AllowedKinds: map[string]bool{"gif": true}}); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := NewRuleset(Options{Entries: []Entry{{Text: "。。", Source: "config.yaml:34"}}}); err == nil ||
		!strings.Contains(err.Error(), "config.yaml:34") {
		t.Errorf("bad entry error = %v", err)
	}
}

func TestRulesetCheckKind(t *testing.T) {
	rs, err := NewRuleset(Options{AllowedKinds: map[string]bool{"text": true, "image": true}, Policies: map[string]Policy{"kind": {Action: "warn"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rs.CheckKind("image"); ok {
		t.Error("image refused")
	}
	r, ok := rs.CheckKind("miniapp")
	if !ok || r.Action != ActionWarn || r.Strikes != 0 || r.Reason != "本群不允许发送小程序" {
		t.Errorf("miniapp: %+v", r)
	}
}

func TestCheckNickname(t *testing.T) {
	rs := defaultRuleset(t)
	tests := []struct {
		nick   string
		rule   string
		reason string
	}{
		{"兼职刷单找我", "nickname/keyword", "昵称含广告关键词「兼职刷单」"},
		{"小美 13800138000", "nickname/phone", "昵称含手机号（138****8000）"},
		{"加V：meimei888", "nickname/wechat_id", "昵称含微信号（me*****88）引流"},
	}
	for _, tt := range tests {
		got := rs.CheckNickname(tt.nick)
		if len(got) == 0 {
			t.Errorf("%q: nothing", tt.nick)
			continue
		}
		r := got[len(got)-1]
		if r.Check != CheckNickname || !strings.HasPrefix(r.Rule, tt.rule) || r.Reason != tt.reason || r.Strikes != 1 {
			t.Errorf("%q: %+v", tt.nick, r)
		}
	}
	for _, ok := range []string{"张三", "Lily", "\u3164\u3164", "读书会-王老师", "🌸小雨🌸"} {
		if got := rs.CheckNickname(ok); len(got) != 0 {
			t.Errorf("%q flagged: %+v", ok, got)
		}
	}
}

func TestRulesetConcurrent(t *testing.T) {
	rs := defaultRuleset(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if len(rs.CheckText("加我微信 13800138000")) != 2 {
					t.Error("wrong result under concurrency")
					return
				}
				rs.CheckNickname("兼职刷单")
				rs.CheckKind("card")
			}
		}()
	}
	wg.Wait()
}

func TestCheckTextHostileInput(t *testing.T) {
	rs := defaultRuleset(t)
	var sb strings.Builder
	for sb.Len() < 300_000 {
		sb.WriteString("傻逼\xff加\u200b我微信 一三八零零一三八零零零 ⑩ www点a点com 😀 ")
	}
	s := sb.String()
	got := rs.CheckText(s)
	if len(got) == 0 {
		t.Fatal("nothing found in a hostile message full of violations")
	}
	for _, r := range got {
		if r.Span.Start < 0 || r.Span.End > len(s) || s[r.Span.Start:r.Span.End] != r.Evidence {
			t.Fatalf("bad result %+v", r.Span)
		}
	}
}

// Messages built to hit every detector's worst case: if any check were
// quadratic these would take minutes instead of milliseconds.
func TestCheckTextAdversarialLength(t *testing.T) {
	rs := defaultRuleset(t)
	for _, s := range []string{
		strings.Repeat("a.", 50_000),
		strings.Repeat("a点", 50_000),
		strings.Repeat("微信支付加我微信", 10_000),
		strings.Repeat("qq 12345 ", 10_000),
		strings.Repeat("1 ", 50_000),
		strings.Repeat("微信号 ", 20_000),
		strings.Repeat("兼职刷单", 20_000),
		strings.Repeat("http:// ", 20_000),
		strings.Repeat("\u200b", 50_000),
	} {
		for _, r := range rs.CheckText(s) {
			if r.Span.End > len(s) {
				t.Fatalf("bad span %+v", r.Span)
			}
		}
	}
}

func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"加我薇-信 abc123", "电话 1３8-0013-8000", "qq 1234 5678", "http://a.cn/x", "点com", "\xff\u200b\u200b"} {
		f.Add(s)
	}
	rs := defaultRuleset(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range rs.CheckText(s) {
			if r.Span.Start < 0 || r.Span.End > len(s) || r.Span.Start > r.Span.End || s[r.Span.Start:r.Span.End] != r.Evidence {
				t.Fatalf("%s: bad span %+v for %q", r.Check, r.Span, s)
			}
			if r.Reason == "" || r.Check == "" {
				t.Fatalf("empty reason or check: %+v", r)
			}
		}
		rs.CheckNickname(s)
	})
}
