package rules

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultLadder(t *testing.T) {
	l := DefaultLadder()
	if l.Window != 30*24*time.Hour {
		t.Errorf("window %v", l.Window)
	}
	tests := []struct {
		strikes int
		want    Step
		left    int
	}{
		{0, Step{Action: ActionWarn}, 2},
		{1, Step{Action: ActionWarn}, 1},
		{2, Step{Action: ActionMute, Mute: time.Hour}, 0},
		{3, Step{Action: ActionRemove}, 0},
		{9, Step{Action: ActionRemove}, 0},
		{-4, Step{Action: ActionWarn}, 2},
	}
	for _, tt := range tests {
		if got := l.StepFor(tt.strikes); got != tt.want {
			t.Errorf("StepFor(%d) = %+v, want %+v", tt.strikes, got, tt.want)
		}
		if got := l.StepsLeft(tt.strikes); got != tt.left {
			t.Errorf("StepsLeft(%d) = %d, want %d", tt.strikes, got, tt.left)
		}
	}
	if l.IndexOf(ActionRemove) != 2 || l.IndexOf(ActionMute) != 1 || l.IndexOf("ban") != -1 {
		t.Error("IndexOf")
	}
	if (Ladder{}).StepFor(3) != (Step{Action: ActionWarn}) {
		t.Error("empty ladder should only warn")
	}
	labels := []string{"警告", "禁言1小时", "移出群聊"}
	for i, s := range l.Steps {
		if s.Label() != labels[i] {
			t.Errorf("label %q, want %q", s.Label(), labels[i])
		}
	}
}

func TestParseLadder(t *testing.T) {
	tests := []struct {
		specs []string
		want  []Step
	}{
		{[]string{"warn", "mute 1h", "remove"}, DefaultLadder().Steps},
		{[]string{"警告", "禁言 30分钟", "禁言1小时", "移出"},
			[]Step{{Action: ActionWarn}, {Action: ActionMute, Mute: 30 * time.Minute}, {Action: ActionMute, Mute: time.Hour}, {Action: ActionRemove}}},
		{[]string{" WARN ", "mute 1h30m", "mute 2d", "kick"},
			[]Step{{Action: ActionWarn}, {Action: ActionMute, Mute: 90 * time.Minute}, {Action: ActionMute, Mute: 48 * time.Hour}, {Action: ActionRemove}}},
		{[]string{"禁言1天12小时"}, []Step{{Action: ActionMute, Mute: 36 * time.Hour}}},
	}
	for _, tt := range tests {
		l, err := ParseLadder(tt.specs)
		if err != nil {
			t.Errorf("ParseLadder(%q): %v", tt.specs, err)
			continue
		}
		if len(l.Steps) != len(tt.want) {
			t.Errorf("ParseLadder(%q) = %+v", tt.specs, l.Steps)
			continue
		}
		for i := range tt.want {
			if l.Steps[i] != tt.want[i] {
				t.Errorf("ParseLadder(%q) step %d = %+v, want %+v", tt.specs, i, l.Steps[i], tt.want[i])
			}
		}
		if l.Window != DefaultLadderWindow {
			t.Errorf("window %v", l.Window)
		}
		// String round-trips.
		var back []string
		for _, s := range l.Steps {
			back = append(back, s.String())
		}
		if again, err := ParseLadder(back); err != nil || len(again.Steps) != len(l.Steps) {
			t.Errorf("round trip %q: %v", back, err)
		}
	}
}

func TestParseLadderErrors(t *testing.T) {
	tests := []struct {
		specs []string
		want  []string
	}{
		{nil, []string{"为空"}},
		{[]string{"warn", "mute"}, []string{"第 2 步", "需要时长", "mute needs a duration"}},
		{[]string{"ban"}, []string{"第 1 步", "不认识"}},
		{[]string{"mute 1x"}, []string{"单位"}},
		{[]string{"mute 10s"}, []string{"1 分钟到 30 天"}},
		{[]string{"mute 90d"}, []string{"1 分钟到 30 天"}},
		{[]string{"remove", "warn"}, []string{"第 2 步", "移出群聊之后"}},
		{[]string{"warn 1h"}, []string{"不需要时长"}},
		{[]string{"mute h"}, []string{"看不懂"}},
		{make([]string, 11), []string{"最多 10 步"}},
	}
	for _, tt := range tests {
		_, err := ParseLadder(tt.specs)
		if err == nil {
			t.Errorf("ParseLadder(%q) accepted", tt.specs)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseLadder(%q) error %q lacks %q", tt.specs, err, w)
			}
		}
	}
}

// One parser reads every duration an owner writes: config, ladder, commands, console.
func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"90s", 90 * time.Second}, {"10m", 10 * time.Minute}, {"1h30m", 90 * time.Minute}, {"1500ms", 1500 * time.Millisecond},
		{"1.5h", 90 * time.Minute}, {"7d", 7 * day}, {"1d12h", 36 * time.Hour}, {"0", 0}, {"0s", 0}, {"30min", 30 * time.Minute},
		{"30分钟", 30 * time.Minute}, {"1小时", time.Hour}, {"2天", 2 * day}, {"半小时", 30 * time.Minute},
		{"半个小时", 30 * time.Minute}, {"一个半小时", 90 * time.Minute}, {"1小时半", 90 * time.Minute}, {"两天", 2 * day},
		{"十分钟", 10 * time.Minute}, {"二十五分钟", 25 * time.Minute}, {"1小时30分", 90 * time.Minute}, {"3天半", 84 * time.Hour},
		{"2周", 14 * day}, {"45秒", 45 * time.Second}, {"１小时", time.Hour}, {"1 小时 30 分钟", 90 * time.Minute},
		{"两个小时", 2 * time.Hour}, {"1H", time.Hour}, {"1钟头", time.Hour}, {"1天12小时", 36 * time.Hour},
	} {
		got, err := ParseDuration(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "d", "-5m", "abc", "30", "99999999d", "11年", "3650天1天", "1.h", "小时", "半", "很久"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		} else if !strings.Contains(err.Error(), "时长") {
			t.Errorf("ParseDuration(%q): error %q does not say what to write", in, err)
		}
	}
}

func TestLadderReadsChineseDurations(t *testing.T) {
	l, err := ParseLadder([]string{"警告", "禁言半小时", "禁言 1小时", "mute 2天", "移出"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range l.Steps {
		got = append(got, s.Label())
	}
	if strings.Join(got, ",") != "警告,禁言30分钟,禁言1小时,禁言2天,移出群聊" {
		t.Errorf("steps = %v", got)
	}
	if _, err := ParseLadder([]string{"warning"}); err == nil || !strings.Contains(err.Error(), "不认识") {
		t.Errorf("\"warning\" is an unknown step, not warn with a duration: %v", err)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1h30m", "半小时", "一个半小时", "二十五分钟", "3天半", "1.5h", "１小时", "99999999d", "十十", "半半"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if d < 0 || d > maxDuration {
			t.Fatalf("ParseDuration(%q) = %v: out of range", s, d)
		}
	})
}
