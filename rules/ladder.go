package rules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Action is a penalty step of the ladder: ActionWarn, ActionMute or
// ActionRemove (the untyped constants in lexicon.go).
type Action string

// Step is one rung of the ladder. Mute is the soft-mute duration of a mute
// step and zero otherwise.
type Step struct {
	Action Action
	Mute   time.Duration
}

// Label is the Chinese name of the step: 警告, 禁言1小时, 移出群聊.
func (s Step) Label() string {
	switch s.Action {
	case ActionWarn:
		return "警告"
	case ActionMute:
		return "禁言" + DurationZH(s.Mute)
	case ActionRemove:
		return "移出群聊"
	}
	return string(s.Action)
}

// String is the spec form ParseLadder reads back: "warn", "mute 1h", "remove".
func (s Step) String() string {
	if s.Action == ActionMute {
		return "mute " + durationSpec(s.Mute)
	}
	return string(s.Action)
}

// durationSpec writes d in the units ParseDuration reads: "1h", "1h30m", "2d".
func durationSpec(d time.Duration) string {
	var sb strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			sb.WriteString(strconv.FormatInt(int64(n), 10) + u.name)
			d -= n * u.unit
		}
	}
	if sb.Len() == 0 {
		return "0s"
	}
	return sb.String()
}

// Ladder is the escalation of penalties: the n-th strike within Window
// gets Steps[n-1], and every strike past the end gets the last step.
type Ladder struct {
	Steps  []Step
	Window time.Duration
}

// DefaultLadderWindow is how long a strike counts: 30 days.
const DefaultLadderWindow = 30 * 24 * time.Hour

// DefaultLadder is the rule group owners already use: first a warning, then
// a one-hour mute, then removal (首次警告→禁言1小时→移出群), strikes counted
// over 30 days.
func DefaultLadder() Ladder {
	return Ladder{
		Steps: []Step{
			{Action: ActionWarn},
			{Action: ActionMute, Mute: time.Hour},
			{Action: ActionRemove},
		},
		Window: DefaultLadderWindow,
	}
}

// StepFor returns the step for a member with this many strikes in the
// window, the new one(s) included. Fewer than one counts as one; beyond
// the last step stays at the last. An empty ladder only warns.
func (l Ladder) StepFor(strikes int) Step {
	if len(l.Steps) == 0 {
		return Step{Action: ActionWarn}
	}
	return l.Steps[min(max(strikes, 1), len(l.Steps))-1]
}

// StepsLeft is how many steps remain after the current one before the last
// step, for "还剩 N 次机会": with warn → mute → remove, one strike leaves 1
// (the mute), two leave 0 (the next strike removes).
func (l Ladder) StepsLeft(strikes int) int {
	return max(0, len(l.Steps)-1-max(strikes, 0))
}

// IndexOf returns the index of the first step with action a, or -1, for
// rules that jump straight to a step ("remove" on a scam link). Strikes to
// reach step i are i+1.
func (l Ladder) IndexOf(a Action) int {
	for i, s := range l.Steps {
		if s.Action == a {
			return i
		}
	}
	return -1
}

// Limits on what ParseLadder accepts.
const (
	maxLadderSteps = 10
	maxMute        = 30 * 24 * time.Hour
)

// ParseLadder reads steps written as "warn", "mute 1h", "mute 30m",
// "remove", or in Chinese: "警告", "禁言 1小时", "禁言30分钟", "移出".
// Durations are whatever ParseDuration reads (1h30m, 2d, 30分钟, 半小时). The window is DefaultLadderWindow; set it afterwards.
// Errors say which step is wrong and how to fix it, in Chinese with English.
func ParseLadder(specs []string) (Ladder, error) {
	if len(specs) == 0 {
		return Ladder{}, errors.New("处罚阶梯为空，至少写一步，例如 [\"warn\", \"mute 1h\", \"remove\"] (ladder has no steps)")
	}
	if len(specs) > maxLadderSteps {
		return Ladder{}, fmt.Errorf("处罚阶梯最多 %d 步，现在有 %d 步 (too many steps)", maxLadderSteps, len(specs))
	}
	l := Ladder{Window: DefaultLadderWindow}
	for i, spec := range specs {
		s, err := parseStep(spec)
		if err != nil {
			return Ladder{}, fmt.Errorf("处罚阶梯第 %d 步 %q: %w", i+1, spec, err)
		}
		if i > 0 && l.Steps[i-1].Action == ActionRemove {
			return Ladder{}, fmt.Errorf("处罚阶梯第 %d 步 %q: 移出群聊之后不能再有步骤，请把 remove 放在最后 (no step may follow remove)", i+1, spec)
		}
		l.Steps = append(l.Steps, s)
	}
	return l, nil
}

var stepWords = map[string]Action{
	"warn": ActionWarn, "警告": ActionWarn,
	"mute": ActionMute, "禁言": ActionMute,
	"remove": ActionRemove, "kick": ActionRemove, "移出": ActionRemove, "踢出": ActionRemove, "移出群聊": ActionRemove, "踢": ActionRemove,
}

func parseStep(spec string) (Step, error) {
	spec = strings.TrimSpace(spec)
	// Split the action word from the duration; Chinese needs no space ("禁言1小时",
	// "禁言半小时"): the longest step word the spec starts with.
	word, rest := spec, ""
	if i := strings.IndexFunc(spec, unicode.IsSpace); i >= 0 {
		word, rest = spec[:i], strings.TrimSpace(spec[i:])
	}
	a, ok := stepWords[strings.ToLower(word)]
	if !ok {
		best, lower := "", strings.ToLower(spec)
		for w := range stepWords {
			if len(w) > len(best) && strings.HasPrefix(lower, w) {
				best = w
			}
		}
		// "warning" is not "warn" with a duration "ing": only a word followed by what is
		// not a letter (a number, 半) is split off.
		if r, _ := utf8.DecodeRuneInString(spec[len(best):]); best != "" && !(r < utf8.RuneSelf && unicode.IsLetter(r)) {
			word, rest, a, ok = spec[:len(best)], strings.TrimSpace(spec[len(best):]), stepWords[best], true
		}
	}
	if !ok {
		return Step{}, errors.New("不认识的处罚，可用 warn/警告、mute/禁言（带时长）、remove/移出 (unknown step; use warn, mute <duration> or remove)")
	}
	switch a {
	case ActionMute:
		if rest == "" {
			return Step{}, errors.New("禁言需要时长，例如 \"mute 1h\" 或 \"禁言 30分钟\" (mute needs a duration)")
		}
		d, err := ParseDuration(rest)
		if err != nil {
			return Step{}, err
		}
		if d < time.Minute || d > maxMute {
			return Step{}, fmt.Errorf("禁言时长应在 1 分钟到 30 天之间，现在是 %s (mute must be between 1m and 30d)", DurationZH(d))
		}
		return Step{Action: ActionMute, Mute: d}, nil
	default:
		if rest != "" {
			return Step{}, fmt.Errorf("%s 不需要时长，请去掉 %q (%s takes no duration)", word, rest, a)
		}
		return Step{Action: a}, nil
	}
}
