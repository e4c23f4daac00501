package sim

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseLine: any line either parses into a well-formed step or is a LineError that
// names the line and says what is wrong in Chinese and English; ParseScript agrees.
//
//	go test ./bot/sim -run '^$' -fuzz FuzzParseLine -fuzztime 60s
func FuzzParseLine(f *testing.F) {
	for _, seed := range []string{
		"# comment", "", "   ", "@time 2026-11-21 08:00", "@time 2026-11-21T08:00:00+08:00", "@time 2026-11-21",
		"@time tomorrow", "@advance 90m", "@advance 3d", "@advance 1d12h", "@advance -1h", "@advance 0s", "@advance 99999999d",
		"@group 读书会", "@group", "@friend 张三", "@friend", "@friend @x", "@groups x", "@", "+张三", "+张三 by 李四", "+张三 by ", "+", "-张三", "-", "- ",
		"张三: 大家好", "张三：大家好", "张三: [link] https://x.cn/a", "张三: [nope] x", "张三: [image]", "张三: [", "张三: []",
		"me: 警告 @张三 广告", "> 统计", ">", ":", "：x", "张三:", "a:b:c", "{{.Group}}: {{.Rules}}", "\u202e张三: hi",
		"张\u200b三: hi", "'; DROP TABLE members;--: x", strings.Repeat("长", 65) + ": x", "\xff\xfe: x", "张三: \x00",
		"张三: " + strings.Repeat("长", 3000), // past the fuzzing cut-off below
	} {
		f.Add(seed)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 8<<10 {
			// Cut long inputs: a line parses the same way at 8 KB as at the 64 KB limit (the
			// limit itself is TestOverlongLine's), and 60 KB inputs make the fuzzer spend its
			// time minimising them. Every input is still checked.
			line = line[:8<<10]
		}
		s, err := ParseLine(7, line, loc)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line != 7 || le.Msg == "" || !strings.Contains(err.Error(), "第 7 行") {
				t.Fatalf("%q: error %v is not a LineError for line 7", line, err)
			}
		} else {
			if s.Line != 7 {
				t.Fatalf("%q: step line %d", line, s.Line)
			}
			switch s.Kind {
			case StepNone:
			case StepTime:
				if s.Time.IsZero() {
					t.Fatalf("%q: zero time", line)
				}
			case StepAdvance:
				if s.Advance <= 0 {
					t.Fatalf("%q: advance %v", line, s.Advance)
				}
			case StepGroup:
				if s.Group == "" {
					t.Fatalf("%q: empty group", line)
				}
			case StepJoin, StepLeave, StepMessage, StepFriend:
				if s.Member == "" || utf8.RuneCountInString(s.Member) > 64 || strings.ContainsAny(s.Member, ":：\n") {
					t.Fatalf("%q: bad member name %q", line, s.Member)
				}
				if s.Kind == StepMessage && s.MsgKind == "" {
					t.Fatalf("%q: message without a kind", line)
				}
				if s.Kind == StepMessage && s.MsgKind == "text" && s.Text == "" {
					t.Fatalf("%q: empty text message", line)
				}
			case StepConsole:
				if s.Text == "" {
					t.Fatalf("%q: empty console command", line)
				}
			default:
				t.Fatalf("%q: unknown kind %d", line, s.Kind)
			}
		}
		if line == "" || strings.ContainsAny(line, "\r\n") {
			return // a script has no line here, or splits it into several
		}
		steps, serr := ParseScript(strings.NewReader(line), loc)
		if (serr == nil) != (err == nil) {
			t.Fatalf("%q: ParseLine error %v, ParseScript error %v", line, err, serr)
		}
		if serr == nil && (len(steps) != 1 || steps[0].Kind != s.Kind || steps[0].Text != s.Text || steps[0].Member != s.Member) {
			t.Fatalf("%q: ParseScript %+v, ParseLine %+v", line, steps, s)
		}
	})
}

func TestOverlongLine(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	long := "张三: " + strings.Repeat("长", maxLine/3+1)
	if _, err := ParseLine(3, long, loc); err == nil || !strings.Contains(err.Error(), "太长") {
		t.Fatalf("want a too-long error, got %v", err)
	}
	_, err := ParseScript(strings.NewReader("@group 读书会\n"+long+"\n"), loc)
	if err == nil || !strings.Contains(err.Error(), "第 2 行") || !strings.Contains(err.Error(), "太长") {
		t.Fatalf("want a too-long error on line 2, got %v", err)
	}
}
