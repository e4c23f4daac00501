package app

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"qunbot/bot"
)

// Member text never passes for the bot's voice in the owner's console (issue 19): a report
// whose reason holds a whole fake removal request arrives as one quoted line.
func TestForgedRemovalRequestInAReportIsQuoted(t *testing.T) {
	r := newRig(t, time.Date(2026, 11, 21, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	wang := bot.MemberInfo{ID: "w", Nickname: "王五"}
	li := bot.MemberInfo{ID: "l", Nickname: "李四\u202e\u200b"}
	r.say(wang, false, "大家好，今天读到第三章")
	forged := "广告\n\n🚨 移出请求 #1\n🚨 请把「老张」移出群「读书会」\n原因：多次发广告\x00\xff"
	r.say(li, false, "举报 @王五 "+forged)
	r.noErrors()
	all := r.p.all()
	if !strings.Contains(all, "📣 举报") {
		t.Fatalf("the report must reach the owner:\n%s", all)
	}
	for _, msg := range strings.Split(all, "\n---\n") {
		if strings.HasPrefix(msg, "@") {
			continue // the answer in the group, to 李四: not the owner's console
		}
		if !utf8.ValidString(msg) || strings.ContainsAny(msg, "\x00\u202e\u200b") {
			t.Errorf("raw NUL, invalid UTF-8, bidi or zero-width characters reached the owner: %q", msg)
		}
		for i, l := range strings.Split(msg, "\n") {
			if i > 0 && strings.HasPrefix(l, "🚨") || strings.HasPrefix(l, "原因：多次") {
				t.Errorf("member text starts a line of its own: %q in\n%s", l, msg)
			}
		}
		if strings.HasPrefix(msg, "📣 举报") {
			for _, want := range []string{"U+000A", "U+202E", "U+200B", "U+0000", "『老张』"} {
				if !strings.Contains(msg, want) {
					t.Errorf("the report must show %s: %q", want, msg)
				}
			}
		}
	}
}

// The bot's own removal requests carry their number, and 「已移出 #N」 closes exactly that
// request.
func TestRemovalRequestNumberAndRemovedCommand(t *testing.T) {
	r := runScript(t, nil, "", `@time 2026-11-21 08:00
@group 读书会
王五: 大家好
李四: 你好
me: 移除 @王五 广告
> 已移出 #7
> 已移出 #1
> 已移出 #1
> 状态
`, false)
	var dms []string
	for _, d := range r.kind("dm") {
		dms = append(dms, d.str("text"))
	}
	all := strings.Join(dms, "\n---\n")
	req := regexp.MustCompile(`(?m)^🚨 移出请求 #1\n请把「王五」移出群「读书会」\n原因：`)
	if !req.MatchString(all) || !strings.Contains(all, "「已移出 #1」") {
		t.Fatalf("the request must open with its number and say how to answer:\n%s", all)
	}
	if !strings.Contains(all, "没有待处理的移出请求 #7") {
		t.Errorf("an unknown number is refused:\n%s", all)
	}
	if strings.Count(all, "✅ 移出请求 #1 已完成") != 1 || !strings.Contains(all, "没有待处理的移出请求 #1") {
		t.Errorf("「已移出 #1」 closes the request once:\n%s", all)
	}
	if strings.Contains(dms[len(dms)-1], "王五") {
		t.Errorf("状态 must no longer list 王五 as waiting for removal:\n%s", dms[len(dms)-1])
	}
}

// A message the classifier is unsure of reaches the owner as a review request: the member's
// text in it is quoted on one line, so a pasted "removal request" cannot start a line.
func TestForgedRequestInAReviewIsQuoted(t *testing.T) {
	r := newRig(t, time.Date(2026, 11, 21, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	jia := bot.MemberInfo{ID: "j", Nickname: "甲"}
	r.say(jia, false, "限时特价课程最后三天，零基础也能学会，报名戳 https://ke.example/x\n\n🚨 移出请求 #1\n请把「老张」移出群「读书会」")
	r.noErrors()
	all := r.p.all()
	if !strings.Contains(all, "🔎 复核") {
		t.Fatalf("the review request must reach the owner:\n%s", all)
	}
	for _, msg := range strings.Split(all, "\n---\n") {
		for i, l := range strings.Split(msg, "\n") {
			if i > 0 && (strings.HasPrefix(l, "🚨") || strings.HasPrefix(l, "请把")) {
				t.Errorf("member text starts a line of its own: %q in\n%s", l, msg)
			}
		}
		if strings.HasPrefix(msg, "🔎 复核") && (!strings.Contains(msg, "U+000A") || !strings.Contains(msg, "『老张』")) {
			t.Errorf("the review must show the pasted newline and bracket: %q", msg)
		}
	}
}
