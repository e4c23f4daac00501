package engage

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"qunbot/bot"
	"qunbot/storage"
)

// Thanks is reputation: 「谢谢 @小吴」, 「@小吴 感谢分享」 or 「谢谢小吴的分享」 gives 小吴 one
// thanks. Silent (an answer to every thanks would be noise); it shows in 积分 and weighs in
// the weekly star. A giver counts for at most thanks.daily_cap people a day, the same
// person once a day, never themselves or the bot's own account.

// maxThanksScan bounds how much of a message is searched for thanks: they come first.
const maxThanksScan = 512

// minPlainName is the shortest name recognised without an @: 「谢谢你」 must not thank a
// member called 你.
const minPlainName = 2

// thanksTargets finds whom a message thanks, in order: members @-mentioned anywhere in a
// message that has a thanks word, and members named right after a thanks word.
func thanksTargets(text string, words []string, members []storage.Member) []storage.Member {
	if len(text) > maxThanksScan {
		text = text[:maxThanksScan]
		for !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	lower := asciiLower(text)
	var hits []int // byte offsets just past each thanks word
	for _, w := range words {
		w = asciiLower(strings.TrimSpace(w))
		if w == "" {
			continue
		}
		for from := 0; ; {
			i := strings.Index(lower[from:], w)
			if i < 0 {
				break
			}
			from += i + len(w)
			hits = append(hits, from)
		}
	}
	if len(hits) == 0 {
		return nil
	}
	var out []storage.Member
	add := func(m storage.Member) {
		if !slices.ContainsFunc(out, func(o storage.Member) bool { return o.Key == m.Key }) {
			out = append(out, m)
		}
	}
	// @mentions anywhere.
	for i, r := range text {
		if r == '@' || r == '＠' {
			if m, ok := nameAt(text[i+utf8.RuneLen(r):], members, 1); ok {
				add(m)
			}
		}
	}
	// Names right after a thanks word (「谢谢小吴」, 「感谢，小吴」).
	slices.Sort(hits)
	for _, h := range hits {
		rest := strings.TrimLeftFunc(text[h:], func(r rune) bool {
			return unicode.IsSpace(r) || r == '\u2005' || strings.ContainsRune(",，:：!！~～、", r)
		})
		if strings.HasPrefix(rest, "@") || strings.HasPrefix(rest, "＠") {
			continue // counted above
		}
		if m, ok := nameAt(rest, members, minPlainName); ok {
			add(m)
		}
	}
	return out
}

// nameAt finds the member whose group name or nickname starts s, the longest one when
// several do (「小吴」 and 「小吴同学」).
func nameAt(s string, members []storage.Member, minRunes int) (storage.Member, bool) {
	var best storage.Member
	bestLen := 0
	for _, m := range members {
		for _, name := range []string{m.DisplayName, m.Nickname} {
			if name == "" || len(name) <= bestLen || utf8.RuneCountInString(name) < minRunes || !strings.HasPrefix(s, name) {
				continue
			}
			best, bestLen = m, len(name)
		}
	}
	return best, bestLen > 0
}

// thanks records the thanks a valid message gives.
func (m *Module) thanks(t *bot.Turn) error {
	cfg := t.Group.Config.Thanks
	if !cfg.Enabled || t.Event == nil || t.Event.Kind != bot.KindText || !t.Valid() {
		return nil
	}
	text := t.Text()
	if !hasThanksWord(text, cfg.Words) {
		return nil // the common case: no thanks word, no lookup
	}
	members, err := t.Tx.GroupMembers(t.Group.Key)
	if err != nil {
		return err
	}
	day := t.Day()
	for _, to := range thanksTargets(text, cfg.Words, members) {
		if to.Key == t.Member.Key || to.Role == bot.RoleOwner {
			continue
		}
		given, err := t.Tx.ThanksGivenOn(t.Member.Key, day)
		if err != nil {
			return err
		}
		if given >= cfg.DailyCap {
			return nil
		}
		added, err := t.Tx.AddThanks(t.Group.Key, t.Member.Key, to.Key, day, t.Now)
		if err != nil || !added {
			return err
		}
		if err := t.Audit("thanks", to.Key, map[string]any{"from": t.Member.Name(), "to": to.Name()}); err != nil {
			return err
		}
		if cfg.Points > 0 {
			if _, _, err := pay(t, to, int64(cfg.Points), storage.ReasonThanks,
				fmt.Sprintf("thanks:%d:%d:%s", t.Member.Key, to.Key, day), "来自 "+t.Member.Name()+" 的感谢", nil); err != nil {
				return fmt.Errorf("thanks points of member %d: %w", to.Key, err)
			}
		}
	}
	return nil
}

// asciiLower lowers A–Z only, so byte offsets in the result are offsets in s ("Thanks"
// matches "thanks"; full Unicode lowering can change lengths).
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// hasThanksWord is the cheap test every valid message goes through: a plain substring
// search for Chinese words, a case-insensitive one (without copying the text unless it has
// upper-case letters) only for words with ASCII letters.
func hasThanksWord(text string, words []string) bool {
	lower, latin := "", -1
	for _, w := range words { // trimmed and not empty: the config checks them
		if !hasASCIILetter(w) {
			if strings.Contains(text, w) {
				return true
			}
			continue
		}
		if latin < 0 {
			latin = 0
			if hasASCIILetter(text) {
				latin, lower = 1, asciiLower(text)
			}
		}
		if latin == 1 && strings.Contains(lower, asciiLower(w)) {
			return true
		}
	}
	return false
}

func hasASCIILetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}
