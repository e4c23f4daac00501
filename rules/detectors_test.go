package rules

import (
	"slices"
	"strings"
	"testing"
)

type detected struct{ check, evidence string }

func detect(text string, opts DetectorOptions) []detected {
	var out []detected
	for _, r := range DetectContent(text, opts) {
		out = append(out, detected{r.Check, r.Evidence})
		if r.Span.Start < 0 || r.Span.End > len(text) || text[r.Span.Start:r.Span.End] != r.Evidence {
			out = append(out, detected{"BAD SPAN", r.Evidence})
		}
	}
	return out
}

func TestDetectPhone(t *testing.T) {
	opts := DetectorOptions{Phone: true}
	tests := []struct {
		text string
		want []string // evidence
	}{
		{"电话13800138000", []string{"13800138000"}},
		{"电话 1３8-0013-8000 找我", []string{"1３8-0013-8000"}},
		{"一三八零零一三八零零零", []string{"一三八零零一三八零零零"}},
		{"幺三八 零零幺三 八零零零", []string{"幺三八 零零幺三 八零零零"}},
		{"①③⑧⓪⓪①③⑧⓪⓪⓪", []string{"①③⑧⓪⓪①③⑧⓪⓪⓪"}},
		{"+86 13800138000", []string{"13800138000"}},
		{"+8613800138000", []string{"13800138000"}},
		{"13800138000 13900139000", []string{"13800138000", "13900139000"}},
		{"138 0013 8000", []string{"138 0013 8000"}},
		{"12345678901234", nil},  // inside a longer run
		{"订单 213800138000", nil}, // 12 digits, no cut
		{"12800138000", nil},     // 12x is not a mobile prefix
		{"1380013800", nil},      // ten digits
		{"一起三个人一百八", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range detect(tt.text, opts) {
			if d.check != CheckPhone {
				t.Errorf("%q: unexpected %v", tt.text, d)
			}
			got = append(got, d.evidence)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("phones in %q = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestDetectQQ(t *testing.T) {
	opts := DetectorOptions{QQ: true}
	tests := []struct {
		text string
		want []string
	}{
		{"QQ：12345678", []string{"12345678"}},
		{"加扣扣 1234 5678", []string{"1234 5678"}},
		{"企鹅号是987654321", []string{"987654321"}},
		{"12345678是我的Q号", []string{"12345678"}},
		{"qq12345", []string{"12345"}},
		{"Ｑ Ｑ 一二三四五六七", []string{"一二三四五六七"}},
		{"会议号 12345678", nil},            // no marker
		{"qq 1234", nil},                 // too short
		{"qq 012345678", nil},            // QQ numbers do not start with 0
		{"QQ音乐很好用，我听了12345678遍", nil},    // too far
		{"qq....就在这里说，号码是12345678", nil}, // break between
		{"我的qq是123456789012345678", nil}, // too long, unbroken
	}
	for _, tt := range tests {
		var got []string
		for _, d := range detect(tt.text, opts) {
			got = append(got, d.evidence)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("QQ in %q = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestDetectWeChatID(t *testing.T) {
	opts := DetectorOptions{WeChatID: true}
	tests := []struct {
		text string
		want []string
	}{
		{"加我薇-信 abc123", []string{"薇-信 abc123"}},
		{"微信号：abc_123", []string{"微信号：abc_123"}},
		{"vx: Abc-123_x", []string{"vx: Abc-123_x"}},
		{"加V：hello2024", []string{"加V：hello2024"}},
		{"+v hello2024", []string{"+v hello2024"}},
		{"威信 是 zhangsan88", []string{"威信 是 zhangsan88"}},
		{"微信ID: wang_wei", []string{"微信ID: wang_wei"}},
		{"wxid_abcdef123", []string{"wxid_abcdef123"}},
		{"ⓦⓧ ａｂｃ１２３", []string{"ⓦⓧ ａｂｃ１２３"}},
		{"我在微信上看到了abcdef", nil},                 // 上看到了 are not fillers
		{"我用vxlan123搭网络", nil},                  // vx inside a word
		{"微信 abc", nil},                         // too short
		{"微信 1abcdef", nil},                     // must start with a letter
		{"vx: abcdefghijklmnopqrstuvwxyz", nil}, // too long
		{"wechat is great", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range detect(tt.text, opts) {
			got = append(got, d.evidence)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("WeChat id in %q = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestDetectURL(t *testing.T) {
	opts := DetectorOptions{URL: true, AllowDomains: []string{"qq.com"}}
	tests := []struct {
		text string
		want []string
	}{
		{"打开 https://t.cn/abc?x=1 看看", []string{"https://t.cn/abc?x=1"}},
		{"http://example.xyz", []string{"http://example.xyz"}},
		{"访问 abc.com", []string{"abc.com"}},
		{"访问 ABC.Com", []string{"ABC.Com"}},
		{"www.baidu.com", []string{"www.baidu.com"}},
		{"www.something.unknowntld", []string{"www.something.unknowntld"}},
		{"xx点com", []string{"xx点com"}},
		{"淘宝点com", []string{"点com"}},
		{"abc dot com", []string{"abc dot com"}},
		{"abc。com", []string{"abc。com"}},
		{"abc[.]top", []string{"abc[.]top"}},
		{"www点abc点cn", []string{"www点abc点cn"}},
		{"ａｂｃ．ｖｉｐ", []string{"ａｂｃ．ｖｉｐ"}},
		{"short.io/x", []string{"short.io"}},
		{"my-site.cc", []string{"my-site.cc"}},
		{"mp.weixin.qq.com/s/abc", nil},         // allowed domain
		{"https://mp.weixin.qq.com/s/abc", nil}, // allowed host
		{"node.js 和 vue.js", nil},
		{"版本 v1.2.3", nil},
		{"1.5元", nil},
		{"点app进入", nil},
		{"好的, com on", nil},
		{"abc.", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range detect(tt.text, opts) {
			got = append(got, d.evidence)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("URLs in %q = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestDetectZeroWidth(t *testing.T) {
	opts := DetectorOptions{ZeroWidth: true}
	tests := []struct {
		text string
		n    int
	}{
		{"加\u200b微\u200b信", 1},
		{"加\u200b微信", 0},
		{"a\u2060b\ufeffc", 1},
		{"\u202ea\u202c", 1},
		{"👨\u200d👩\u200d👧 一家", 0}, // emoji joiners
		{"a\u200db\u200dc", 1},    // joiners between letters
		{"普通消息", 0},
	}
	for _, tt := range tests {
		got := detect(tt.text, opts)
		if len(got) != tt.n {
			t.Errorf("%q: %v", tt.text, got)
		}
	}
	r := DetectContent("x\u200by\u200bz", opts)
	if len(r) != 1 || !strings.Contains(r[0].Reason, "2 个隐形字符") {
		t.Errorf("reason: %+v", r)
	}
}

func TestDetectorToggles(t *testing.T) {
	text := "加微信 abc123 电话13800138000 qq 12345678 abc.com a\u200bb\u200bc"
	all := detect(text, DefaultDetectorOptions())
	checks := map[string]bool{}
	for _, d := range all {
		checks[d.check] = true
	}
	for _, c := range []string{CheckPhone, CheckQQ, CheckWeChatID, CheckURL, CheckZeroWidth} {
		if !checks[c] {
			t.Errorf("%s did not fire with every detector on: %v", c, all)
		}
	}
	if got := detect(text, DetectorOptions{}); len(got) != 0 {
		t.Errorf("detectors off still fired: %v", got)
	}
}

func TestReasonsHideContacts(t *testing.T) {
	for _, r := range DetectContent("电话13800138000 vx: secretid99 qq 87654321 https://evil.example.com/x", DefaultDetectorOptions()) {
		for _, secret := range []string{"13800138000", "secretid99", "87654321", "evil.example"} {
			if strings.Contains(r.Reason, secret) {
				t.Errorf("%s reason repeats the contact: %s", r.Check, r.Reason)
			}
		}
		if r.Evidence == "" {
			t.Errorf("%s has no evidence", r.Check)
		}
	}
}

func TestCheckKind(t *testing.T) {
	if _, ok := CheckKind("text", nil); ok {
		t.Error("text refused by default")
	}
	r, ok := CheckKind("card", nil)
	if !ok || r.Check != CheckMessageKind || r.Reason != "本群不允许发送名片" {
		t.Errorf("card: %+v %v", r, ok)
	}
	allowed := map[string]bool{"text": true}
	if r, ok := CheckKind("miniapp", allowed); !ok || !strings.Contains(r.Reason, "小程序") {
		t.Errorf("miniapp: %+v %v", r, ok)
	}
	if _, ok := CheckKind("system", allowed); ok {
		t.Error("system messages must never be refused")
	}
	if _, ok := CheckKind("hologram", allowed); ok {
		t.Error("unknown kinds are let through")
	}
	if _, ok := CheckKind("", allowed); ok {
		t.Error("empty kind is text")
	}
	if err := ValidateKinds(map[string]bool{"text": true, "gif": true}); err == nil || !strings.Contains(err.Error(), "gif") {
		t.Errorf("ValidateKinds: %v", err)
	}
	for _, k := range Kinds() {
		if KindName(k) == k {
			t.Errorf("kind %s has no Chinese name", k)
		}
	}
}

func TestDetectorsSurviveHostileInput(t *testing.T) {
	var sb strings.Builder
	for sb.Len() < 200_000 {
		sb.WriteString("qq 1 2 3 4 5 微信号 a-b_c \xff\xfe 点com www.a.b. http:// 一三八 ⑩ \u200b\u200d😀 ")
	}
	s := sb.String()
	for _, r := range DetectContent(s, DefaultDetectorOptions()) {
		if r.Span.Start < 0 || r.Span.End > len(s) || r.Span.Start > r.Span.End {
			t.Fatalf("bad span %+v", r.Span)
		}
	}
	for _, s := range []string{"", "\xff", "http", "http://", "www.", "微信", "qq", "点", "a\u200d"} {
		DetectContent(s, DefaultDetectorOptions())
	}
}
