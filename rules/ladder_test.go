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
