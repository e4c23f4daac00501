// Package sim runs the real engine against a simulated platform, driven by a script or by
// lines typed on stdin. It is both the test harness and a tool for admins to try their
// rules on a sample chat before going live.
package sim

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"qunbot/bot"
	"qunbot/bot/config"
)

// StepKind is what one script line does.
type StepKind int

const (
	StepNone    StepKind = iota // blank line or comment
	StepTime                    // @time 2026-11-21 08:00
	StepAdvance                 // @advance 90m
	StepGroup                   // @group 读书会
	StepJoin                    // +张三 [by 李四]
	StepLeave                   // -张三
	StepMessage                 // 张三: text   /  me: text
	StepConsole                 // > text (the owner in the file helper)
	StepRelogin                 // @relogin: a new session, every member gets a new id
	StepFriend                  // @friend 张三: 张三 is the owner's friend (private messages reach them)
)

// Step is one parsed script line.
type Step struct {
	Line int
	// Key identifies the line within its script (ParseScript): its number and a hash of
	// the script's lines up to and including it, comments and blank lines left out. The message ids of
	// a script run come from it, so running a script again on the same database — or the
	// same script with lines added at its end — replays what was handled (a no-op), while
	// the lines of another script are new whatever their line numbers. Empty for a line
	// typed interactively.
	Key     string
	Kind    StepKind
	Time    time.Time     // StepTime
	Advance time.Duration // StepAdvance
	Group   string        // StepGroup
	// Member is the script name for join/leave/message ("me" is the owner). A #tag makes
	// another person with the same nickname: 老张#2 shows the nickname 老张.
	Member  string // join/leave/message/friend
	Inviter string // StepJoin
	MsgKind bot.MessageKind
	Text    string
}

// OwnerName is the script name of the bot's own account.
const OwnerName = "me"

// LineError is a script mistake: which line and what is wrong, in Chinese and English.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("第 %d 行 / line %d: %s", e.Line, e.Line, e.Msg)
}

// maxLine bounds one script line; a message longer than WeChat allows is a script error.
const maxLine = 64 * 1024

// ParseLine parses one script line. loc is the config timezone for @time.
func ParseLine(lineNo int, raw string, loc *time.Location) (Step, error) {
	s := Step{Line: lineNo}
	fail := func(format string, args ...any) (Step, error) {
		return Step{}, &LineError{Line: lineNo, Msg: fmt.Sprintf(format, args...)}
	}
	if !utf8.ValidString(raw) {
		return fail("不是有效的 UTF-8 文本 / not valid UTF-8")
	}
	if len(raw) > maxLine {
		return fail("这一行太长（%d 字节，最多 %d）/ line too long", len(raw), maxLine)
	}
	line := strings.TrimRight(raw, "\r\n")
	trimmed := strings.TrimSpace(line)
	switch {
	case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		return s, nil
	case strings.HasPrefix(trimmed, "@"):
		word, arg, _ := strings.Cut(trimmed[1:], " ")
		arg = strings.TrimSpace(arg)
		switch word {
		case "time":
			t, err := parseTime(arg, loc)
			if err != nil {
				return fail("时间「%s」看不懂，请写成 @time 2026-11-21 08:00 / bad time, use @time 2026-11-21 08:00", arg)
			}
			s.Kind, s.Time = StepTime, t
		case "advance":
			d, err := config.ParseDuration(arg)
			if err != nil || d <= 0 {
				return fail("时长「%s」看不懂，请写成 @advance 30分钟、@advance 1小时、@advance 3天（或 90m、1h、3d）/ bad duration", arg)
			}
			s.Kind, s.Advance = StepAdvance, d
		case "relogin":
			if arg != "" {
				return fail("@relogin 后面不用写东西 / @relogin takes no argument")
			}
			s.Kind = StepRelogin
		case "group":
			if arg == "" {
				return fail("@group 后面要写群名，例如 @group 读书会 / @group needs a group name")
			}
			s.Kind, s.Group = StepGroup, arg
		case "friend":
			if err := checkName(arg); err != "" {
				return fail("@friend 后面的成员%s，例如 @friend 张三 / bad member name", err)
			}
			s.Kind, s.Member = StepFriend, arg
		default:
			return fail("不认识的指令「@%s」，可用的有 @time、@advance、@group、@relogin、@friend / unknown directive; use @time, @advance, @group, @relogin or @friend", word)
		}
		return s, nil
	case strings.HasPrefix(trimmed, ">"):
		s.Kind, s.Member, s.MsgKind = StepConsole, OwnerName, bot.KindText
		s.Text = strings.TrimSpace(trimmed[1:])
		if s.Text == "" {
			return fail("「>」后面要写给文件传输助手的命令，例如 > 状态 / '>' needs a console command")
		}
		return s, nil
	case strings.HasPrefix(trimmed, "+"):
		name, inviter, hasBy := strings.Cut(strings.TrimSpace(trimmed[1:]), " by ")
		name, inviter = strings.TrimSpace(name), strings.TrimSpace(inviter)
		if err := checkName(name); err != "" {
			return fail("入群的成员%s，例如 +张三 或 +张三 by 李四 / bad member name", err)
		}
		if hasBy && inviter == "" {
			return fail("by 后面要写邀请人，例如 +张三 by 李四 / 'by' needs the inviter")
		}
		s.Kind, s.Member, s.Inviter = StepJoin, name, inviter
		return s, nil
	case strings.HasPrefix(trimmed, "-"):
		name := strings.TrimSpace(trimmed[1:])
		if err := checkName(name); err != "" {
			return fail("退群的成员%s，例如 -张三 / bad member name", err)
		}
		s.Kind, s.Member = StepLeave, name
		return s, nil
	}
	// "张三: text" — ASCII or full-width colon, whichever comes first.
	i := strings.IndexAny(trimmed, ":：")
	if i <= 0 {
		return fail("看不懂这一行。消息要写成「张三: 大家好」，其它可用写法：@time、@advance、@group、@relogin、@friend、+张三、-张三、> 命令 / cannot parse; a message is 'name: text'")
	}
	name := strings.TrimSpace(trimmed[:i])
	_, colonLen := utf8.DecodeRuneInString(trimmed[i:])
	text := strings.TrimSpace(trimmed[i+colonLen:])
	if err := checkName(name); err != "" {
		return fail("发言的成员%s / bad member name", err)
	}
	s.Kind, s.Member, s.MsgKind, s.Text = StepMessage, name, bot.KindText, text
	if strings.HasPrefix(text, "[") {
		if j := strings.Index(text, "]"); j > 0 {
			kind, ok := bot.ParseMessageKind(text[1:j])
			if !ok {
				names := make([]string, len(bot.MessageKinds))
				for k, mk := range bot.MessageKinds {
					names[k] = "[" + string(mk) + "]"
				}
				return fail("不认识的消息类型「%s」，可用的有 %s / unknown message kind", text[:j+1], strings.Join(names, " "))
			}
			s.MsgKind, s.Text = kind, strings.TrimSpace(text[j+1:])
		}
	}
	if s.Text == "" && s.MsgKind == bot.KindText {
		return fail("消息内容是空的 / empty message")
	}
	return s, nil
}

func checkName(name string) string {
	switch {
	case name == "":
		return "名字是空的"
	case utf8.RuneCountInString(name) > 64:
		return "名字太长（最多 64 个字）"
	case strings.ContainsAny(name, ":：\n"):
		return "名字里不能有冒号"
	}
	return ""
}

var timeLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"}

func parseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	var firstErr error
	for _, layout := range timeLayouts {
		t, err := time.ParseInLocation(layout, s, loc)
		if err == nil {
			return t, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, firstErr
}
