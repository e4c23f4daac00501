package rules

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Check ids of the disguised-contact detectors.
const (
	// CheckContactCode is a letter+digit contact code standing on its own:
	// CAD571, KTA679, ＴＡＤ７６５, 𝐔𝐗４４４２ — the handle spam asks people to
	// search for.
	CheckContactCode = "contact_code"
	// CheckContactAlias is a spoken or written disguise of a contact channel:
	// 喂心 / 威信 / 薇 / +V for WeChat, 乞鹅 / 企鹅 / 扣扣 for QQ, 飞机 / 纸飞机 /
	// tg / t.me for Telegram, 斯挖.
	CheckContactAlias = "contact_alias"
)

// lookalikes folds normalised (lower-cased) Greek, Cyrillic and small-capital
// letters that spam uses for Latin ones: "СΕΚ571" is a contact code. The
// normaliser keeps them (a Russian word stays Russian); the contact-code
// detector and the classifier read through this table.
var lookalikes = map[rune]rune{
	'α': 'a', 'β': 'b', 'ε': 'e', 'ζ': 'z', 'η': 'h', 'ι': 'i', 'κ': 'k', 'μ': 'm', 'ν': 'v',
	'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x',
	'а': 'a', 'в': 'b', 'е': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c',
	'т': 't', 'х': 'x', 'у': 'y', 'ѕ': 's', 'і': 'i', 'ј': 'j', 'з': '3',
	'ł': 'l', 'ɑ': 'a', 'ᴀ': 'a', 'ʙ': 'b', 'ᴄ': 'c', 'ᴅ': 'd', 'ᴇ': 'e', 'ɢ': 'g',
	'ʜ': 'h', 'ɪ': 'i', 'ᴊ': 'j', 'ᴋ': 'k', 'ʟ': 'l', 'ᴍ': 'm', 'ɴ': 'n', 'ᴏ': 'o', 'ᴘ': 'p',
	'ʀ': 'r', 'ꜱ': 's', 'ᴛ': 't', 'ᴜ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ʏ': 'y', 'ᴢ': 'z',
}

// Fold maps a normalised rune through the look-alike table.
func Fold(r rune) rune {
	if r < 0x80 {
		return r
	}
	if m, ok := lookalikes[r]; ok {
		return m
	}
	return r
}

// Contact-code shape: 2–4 letters, then 3–5 digits, the whole code not
// inside a longer run of letters and digits. Lower-case ASCII letters do not
// count: spam writes codes in capitals or styled letters, and lower case is
// how ordinary chat writes model numbers and ids (mx500, win10).
const (
	codeMinLetters, codeMaxLetters = 2, 4
	codeMinDigits, codeMaxDigits   = 3, 5
)

// detectContactCodes finds letter+digit contact codes.
func detectContactCodes(text string, n *Normalized, dst []Result) []Result {
	rs := n.Runes
	for i := 0; i < len(rs); {
		if !isLetter(Fold(rs[i])) {
			i++
			continue
		}
		j := i
		for j < len(rs) && isLetter(Fold(rs[j])) {
			j++
		}
		k := j
		for k < len(rs) && isDigit(rs[k]) {
			k++
		}
		letters, digits := j-i, k-j
		startOK := i == 0 || !isWordRune(Fold(rs[i-1])) || !n.Joined(i)
		// A hyphen between letters and digits is how product and catalogue
		// numbers are written (DASD-980, KTSB-006); codes are not.
		dashed := k > j && strings.ContainsRune(text[n.End[j-1]:n.Start[j]], '-')
		endOK := k == len(rs) || !isWordRune(Fold(rs[k])) || !n.Joined(k)
		if letters >= codeMinLetters && letters <= codeMaxLetters && digits >= codeMinDigits && digits <= codeMaxDigits &&
			startOK && endOK && !dashed && styledLetters(text, n, i, j) {
			start, end := n.Start[i], n.End[k-1]
			dst = append(dst, newResult(CheckContactCode, "contact",
				fmt.Sprintf("发送联系暗号（%s）引流", maskID(string(rs[i:k]))), text, start, end))
		}
		i = max(k, j)
	}
	return dst
}

// styledLetters reports whether the letters at runes [i, j) were written in
// capitals, full width, styled or look-alike form in the original: anything
// but plain lower-case ASCII.
func styledLetters(text string, n *Normalized, i, j int) bool {
	for k := i; k < j; k++ {
		r, _ := utf8.DecodeRuneInString(text[n.Start[k]:])
		if r >= 'a' && r <= 'z' {
			return false
		}
		if r < 0x80 && !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// aliasGroups are the disguised names of contact channels, by channel.
// Strong spellings exist only to dodge a filter (喂心, 乞鹅) and count on
// their own; weak ones are also ordinary words (威信 "prestige", 卫星
// "satellite", 飞机 "plane") and count only with a handle or number near.
var aliasGroups = []struct {
	channel      string
	strong, weak []string
}{
	{"微信", []string{"喂心", "薇信", "维信", "徽信", "V信", "加V", "加薇", "家喂", "加喂", "威信号", "卫星号"}, []string{"威信", "卫星", "薇", "加微", "喂"}},
	{"QQ", []string{"乞鹅", "企鹅号", "扣扣号", "加扣", "加Q"}, []string{"企鹅", "扣扣", "球球"}},
	{"Telegram", []string{"纸飞机", "飞机号", "t.me"}, []string{"飞机", "tg", "电报"}},
	{"斯挖", []string{"斯挖"}, nil},
}

type aliasInfo struct {
	channel string
	strong  bool
}

// aliasMarkers is the flattened, normalised table: read-only after
// initialisation.
var aliasMarkers, aliasTable = func() ([]marker, map[string]aliasInfo) {
	var words []string
	info := map[string]aliasInfo{}
	for _, g := range aliasGroups {
		for _, w := range g.strong {
			words = append(words, w)
			info[NormalizeString(w)] = aliasInfo{g.channel, true}
		}
		for _, w := range g.weak {
			words = append(words, w)
			info[NormalizeString(w)] = aliasInfo{g.channel, false}
		}
	}
	return markers(words...), info
}()

// aliasNear is how many normalised runes may separate a weak alias from the
// handle it introduces: "飞机：abc123", "企鹅 12345678".
const aliasNear = 6

// handleNear reports a run of at least three ASCII letters or digits, with
// at least one digit, within aliasNear runes of [i, j) and no break between.
func handleNear(n *Normalized, i, j int) bool {
	rs := n.Runes
	lo, hi := max(0, i-aliasNear-8), min(len(rs), j+aliasNear+8)
	for k := lo; k < hi; {
		if !isWordRune(rs[k]) || (k >= i && k < j) {
			k++
			continue
		}
		e, digits := k, 0
		for e < hi && isWordRune(rs[e]) && (e < i || e >= j) {
			if isDigit(rs[e]) {
				digits++
			}
			e++
		}
		var gap []rune
		if e <= i {
			gap = rs[e:i]
		} else if k >= j {
			gap = rs[j:k]
		}
		if e-k >= 3 && digits > 0 && len(gap) <= aliasNear && !hasBreak(gap) {
			return true
		}
		k = e
	}
	return false
}

// detectContactAliases finds disguised contact-channel names.
func detectContactAliases(text string, n *Normalized, dst []Result) []Result {
	for _, m := range findMarkers(n, aliasMarkers) {
		info := aliasTable[string(n.Runes[m[0]:m[1]])]
		if !info.strong && !handleNear(n, m[0], m[1]) {
			continue
		}
		start, end := n.Start[m[0]], n.End[m[1]-1]
		dst = append(dst, newResult(CheckContactAlias, "contact",
			fmt.Sprintf("用「%s」暗指%s引流", text[start:end], info.channel), text, start, end))
	}
	return dst
}
