package wechat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var renameCases = []struct {
	in   string
	want string
	ok   bool
}{
	{`"张三"修改群名为"读书会2"`, "读书会2", true},
	{`你修改群名为“大师是群主”`, "大师是群主", true},
	{`"luyuchao"修改群名为“北辰香麓欣麓园抗疫”`, "北辰香麓欣麓园抗疫", true},
	{`"張三"修改群名為"讀書會"`, "讀書會", true},
	{`"张三"修改群名为"有"引号"的群"`, `有"引号"的群`, true},
	{`"Alice" changed the group name to "Book Club"`, "Book Club", true},
	{`You changed the group name to "Book Club".`, "Book Club", true},
	{`"张三"修改群名为""`, "", false},
	{`有人说："张三"修改群名为"骗局"`, "", false},
	{`"张三"修改群名为"X" 撤回了一条消息`, "", false},
	{`"张三"邀请"李四"加入了群聊`, "", false},
	{`<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template><template>"$u$"修改群名为"x"</template></content_template></sysmsgtemplate></sysmsg>`, "", false},
	{``, "", false},
}

func TestParseRename(t *testing.T) {
	for _, tc := range renameCases {
		got, ok := parseRename(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRename(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestIsRemovalNotice(t *testing.T) {
	for in, want := range map[string]bool{
		`你将"瓦力"移出了群聊`:                                 true,
		`You removed "Bruce LEE" from the group chat`: true,
		`"张三"邀请"李四"加入了群聊`:                             false,
		`移出`:                                          false,
	} {
		if got := isRemovalNotice(in); got != want {
			t.Errorf("isRemovalNotice(%q) = %v", in, got)
		}
	}
}

func TestNoticeForm(t *testing.T) {
	names := []string{"张三", "张三丰", "小", "Alice"}
	for in, want := range map[string]string{
		`"张三"已被设为群管理员`:              `"…"已被设为群管理员`,
		`张三丰 开启了 12 个新功能`:           `某人 开启了 # 个新功能`,
		`Alice turned on something`: `某人 turned on something`,
		"小明\n说\x00话":                "小明 说 话", // one-character names are kept; controls go
		`<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template><template><![CDATA["$u$"做了新的事]]></template></content_template></sysmsgtemplate></sysmsg>`: `sysmsgtemplate: "$u$"做了新的事`,
		`<sysmsg type="pat"><pat><fromusername>wxid_secret</fromusername></pat></sysmsg>`:                                                                          `sysmsg type=pat`,
	} {
		if got := noticeForm(in, names); got != want {
			t.Errorf("noticeForm(%q) = %q, want %q", in, got, want)
		}
	}
	long := noticeForm(strings.Repeat("长", 500), nil)
	if utf8.RuneCountInString(long) > 121 {
		t.Errorf("form not cut: %d characters", utf8.RuneCountInString(long))
	}
	f := newNoticeForms(2)
	if !f.first("a") || f.first("a") || !f.first("b") || f.first("c") {
		t.Error("forms must be reported once each, and memory bounded")
	}
}

// FuzzSystemNotice: every parser of system messages sees member-chosen text (nicknames,
// group names, pat suffixes). None may panic, and what they report must make sense; the
// anonymised form never carries a quoted name.
func FuzzSystemNotice(f *testing.F) {
	for _, tc := range joinCases {
		f.Add(tc.in)
	}
	for _, tc := range renameCases {
		f.Add(tc.in)
	}
	f.Add(`你将"瓦力"移出了群聊`)
	f.Add(`"a"修改群名为"`)
	f.Add(`<sysmsg type="`)
	f.Fuzz(func(t *testing.T, s string) {
		if name, ok := parseRename(s); ok && (name == "" || strings.TrimSpace(name) != name) {
			t.Fatalf("rename to %q", name)
		}
		_ = isRemovalNotice(s)
		_ = knownNotice(s)
		form := noticeForm(s, []string{"张三"})
		if utf8.RuneCountInString(form) > 121 {
			t.Fatalf("form of %d characters", utf8.RuneCountInString(form))
		}
		if !strings.Contains(s, "<sysmsg") && strings.Count(s, `"`) >= 2 {
			first := strings.Index(s, `"`)
			second := strings.Index(s[first+1:], `"`)
			quoted := s[first+1 : first+1+second]
			if utf8.RuneCountInString(quoted) > 3 && !strings.ContainsAny(quoted, "“”＂’\"0123456789") &&
				utf8.ValidString(quoted) && strings.TrimSpace(quoted) == quoted && !strings.ContainsFunc(quoted, isSpaceOrControl) &&
				strings.Count(s, quoted) == 1 && strings.Contains(form, quoted) {
				t.Fatalf("quoted text %q leaked into the form %q", quoted, form)
			}
		}
	})
}

func isSpaceOrControl(r rune) bool { return r < 0x20 || r == 0x7f || r == ' ' || r == utf8.RuneError }
