package storage

import (
	"strings"
	"unicode/utf8"
)

// MaxShownName is how many characters of a member's name the bot writes into a message.
// WeChat allows long group nicknames, and nothing stops a member from taking a 10,000
// character one to make every welcome, warning and leaderboard unreadable. The full name
// stays in storage and in the audit log.
const MaxShownName = 32

// ShownName is the member's name as the bot writes it in messages: bidirectional
// formatting controls removed (a U+202E in a nickname would reverse the rest of the bot's
// sentence) and cut to MaxShownName characters with "…".
func (m Member) ShownName() string { return ShownName(m.Name()) }

// DisplayOrNick is how a member is named in a group: the group display name (群昵称, a QQ
// group card) when set, else the nickname. Every "name of a member" goes through it.
func DisplayOrNick(display, nickname string) string {
	if display != "" {
		return display
	}
	return nickname
}

// ShownName applies the display rules of Member.ShownName to any name.
func ShownName(name string) string {
	if strings.ContainsFunc(name, isBidiControl) {
		name = strings.Map(func(r rune) rune {
			if isBidiControl(r) {
				return -1
			}
			return r
		}, name)
	}
	if utf8.RuneCountInString(name) > MaxShownName {
		n := 0
		for i := range name {
			if n == MaxShownName {
				name = name[:i] + "…"
				break
			}
			n++
		}
	}
	if strings.TrimSpace(name) == "" {
		return "（无名）"
	}
	return name
}

// isBidiControl reports the explicit directional formatting characters (embeddings,
// overrides, isolates and their terminators) and the implicit marks.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}
