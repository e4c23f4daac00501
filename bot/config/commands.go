package config

import (
	"sort"
	"strings"
	"unicode"
)

// Command words an owner chooses (`commands:` under defaults or a group):
//
//	commands:
//	  rename: {签到: 报到}   # the word 签到 becomes 报到; the command's other words stay
//	  off: [抽奖, 投票]      # these commands are switched off here: every word of them
//
// Which words exist is the engine's to know (the modules contribute them), so the words
// themselves are checked by bot.CheckCommandWords — `bot check` and every (re)load run it —
// and here only their form.

// validateCommandWords checks the form of rename and off.
func validateCommandWords(c Commands, path string, at reporter) {
	p := path + ".commands"
	seen := map[string]string{}
	olds := make([]string, 0, len(c.Rename))
	for old := range c.Rename {
		olds = append(olds, old)
	}
	sort.Strings(olds) // one order for the messages
	for _, old := range olds {
		word := c.Rename[old]
		switch {
		case strings.TrimSpace(old) == "" || strings.TrimSpace(word) == "":
			at(p+".rename", "命令词不能为空 / a command word must not be empty")
			continue
		case !commandWordForm(word):
			at(p+".rename."+old, "新命令词「%s」不能含空格、@ 或 #，也不能以数字开头 / a command word has no spaces, @ or #, and does not start with a digit", word)
			continue
		}
		key := FoldWord(strings.TrimSpace(word))
		if other, dup := seen[key]; dup {
			at(p+".rename."+old, "「%s」和「%s」都改成了「%s」/ two words renamed to the same word", other, old, word)
			continue
		}
		seen[key] = old
	}
	for _, w := range c.Off {
		if strings.TrimSpace(w) == "" {
			at(p+".off", "关闭的命令名不能为空 / a command to switch off must be named")
		}
	}
}

func commandWordForm(w string) bool {
	for i, r := range w {
		if unicode.IsSpace(r) || r == '@' || r == '＠' || r == '#' || r == '\u2005' || (i == 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// FoldWord makes words compare regardless of case and full-width typing (bot.Fold: command
// words and screening keywords).
func FoldWord(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// CommandOff reports whether the command known by any of words is switched off.
func (c Commands) CommandOff(words []string) bool {
	for _, off := range c.Off {
		f := FoldWord(strings.TrimSpace(off))
		for _, w := range words {
			if FoldWord(strings.TrimSpace(w)) == f {
				return true
			}
		}
	}
	return false
}

// Renamed returns the word that replaces w, or w.
func (c Commands) Renamed(w string) string {
	f := FoldWord(strings.TrimSpace(w))
	for old, word := range c.Rename {
		if FoldWord(strings.TrimSpace(old)) == f {
			return strings.TrimSpace(word)
		}
	}
	return w
}

// CustomWords reports whether the group changes any command word.
func (c Commands) CustomWords() bool { return len(c.Rename) > 0 || len(c.Off) > 0 }
