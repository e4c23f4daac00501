package rules

import (
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// BreakRune marks a hard break in Normalized.Runes: a run of four or more
// visible noise characters. Spaces are always noise, so a space can never be
// a normalised character and is free to act as the marker; that also makes
// string(n.Runes) the NormalizeString form directly.
const BreakRune = ' '

// maxBridgedNoise is how many visible noise characters in a row are skipped
// silently; one more turns the run into a hard break no match may cross.
const maxBridgedNoise = 3

// minNumeralRun is the shortest run of digits and Chinese numerals in which
// the Chinese numerals are read as digits. Two is too short: 一起, 三个人 and
// 七八 are ordinary words; phone and QQ numbers are far longer.
const minNumeralRun = 3

// Normalized is the normaliser's output: the normalised runes plus, for every
// rune, the byte span of the original text it came from. One original
// character may yield two runes (⑩ → "10"); both then carry the same span.
// A BreakRune carries the span of the noise run it replaces.
type Normalized struct {
	Runes      []rune
	Start, End []int
}

// Len is the number of normalised runes, breaks included.
func (n *Normalized) Len() int { return len(n.Runes) }

// String is the normalised text with breaks as single spaces.
func (n *Normalized) String() string { return string(n.Runes) }

// Joined reports whether rune i follows rune i-1 in the original text with
// nothing skipped in between (no noise, not even invisible characters).
// Runes expanded from one character (⑩) are joined.
func (n *Normalized) Joined(i int) bool {
	return i > 0 && i < len(n.Runes) && n.End[i-1] >= n.Start[i]
}

// Normalize maps s to its normalised form; see NormalizeInto.
func Normalize(s string) Normalized {
	var n Normalized
	k := utf8.RuneCountInString(s)
	n.Runes = make([]rune, 0, k)
	n.Start = make([]int, 0, k)
	n.End = make([]int, 0, k)
	NormalizeInto(&n, s)
	return n
}

// NormalizeString returns the normalised text with noise removed and every
// hard break as a single space. Keywords are stored in this form and it is
// the key for duplicate detection.
func NormalizeString(s string) string {
	n := Normalize(s)
	return string(n.Runes)
}

// normWriter is the normaliser's working state for one call. It lives on
// the stack; its slices are the caller's buffers.
type normWriter struct {
	runes      []rune
	start, end []int
	noiseRun   int // visible noise characters since the last kept rune
	noiseStart int // byte offset where that noise run started
	noiseEnd   int // byte offset just after its last character
	numStart   int // index in runes where the current numeral run starts, -1 if none
	numCN      int // Chinese numerals in that run
}

// Kinds of kept runes, for the numeral-run rule.
const (
	kindText    = iota
	kindDigit   // ASCII digit
	kindNumeral // Chinese numeral
)

// NormalizeInto normalises s into dst, reusing dst's buffers, so a caller
// scanning many messages allocates nothing once the buffers have grown.
//
// The mapping, applied identically to keywords and messages:
//   - full-width forms → ASCII; letters lower-cased (Unicode simple lower case);
//   - traditional → simplified Chinese, one character at a time (OpenCC table);
//   - digit styles (①⑴⒈➀❶㈠⓿⁹₈𝟗, full-width) → ASCII digits; Chinese numerals
//     零〇一…九, 壹…玖 and 幺 become digits only inside a run of at least three
//     numeral characters (digits count towards the run, noise in between is
//     bridged as usual);
//   - letter styles (Ⓐⓐ🅐🄰🅰, mathematical alphanumerics, ℬ-style letterlike
//     symbols, regional indicators 🇦) → ASCII lower-case letters;
//   - '+' (any width) → 加, because "+V" and "+微" are how ads say "add";
//   - noise is dropped: spaces, punctuation, symbols, emoji, control
//     characters and invalid UTF-8 bytes are *visible* noise, and at most
//     three in a row are bridged — a fourth makes a hard break (BreakRune);
//     format characters (zero-width, bidi controls), combining marks,
//     variation selectors, Hangul fillers and emoji skin-tone modifiers are
//     *invisible* noise: dropped without counting towards a break, because
//     they render as nothing and would otherwise let
//     "加\u200b\u200b\u200b\u200b微信" split a keyword.
func NormalizeInto(dst *Normalized, s string) {
	w := normWriter{runes: dst.Runes[:0], start: dst.Start[:0], end: dst.End[:0], numStart: -1}
	for i := 0; i < len(s); {
		var (
			r    rune
			size int
		)
		c := s[i]
		if c < utf8.RuneSelf {
			switch m := asciiMap[c]; {
			case m >= 0:
				kind := kindText
				if c >= '0' && c <= '9' {
					kind = kindDigit
				}
				w.keep(m, kind, i, i+1)
			case m == mapNoise:
				w.noise(i, i+1)
			}
			i++
			continue
		}
		// Three-byte sequences decoded inline: every CJK ideograph is one,
		// and the library decoder's general path is the slowest part of a
		// scan otherwise. Anything outside U+3400–U+9FFF (including
		// overlong forms and surrogates, which land below or above it)
		// goes through the general decoder.
		if c&0xF0 == 0xE0 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			r = rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
			if r >= 0x3400 && r <= 0x9FFF {
				kind := kindText
				if o := r - 0x3400; cjkSpecial[o>>6]&(1<<(o&63)) != 0 {
					r, kind = cjkLookup(r)
				}
				w.keep(r, kind, i, i+3)
				i += 3
				continue
			}
			if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
				size = 3 // decoded already; skip the general decoder
				goto mapped
			}
		}
		r, size = utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			w.noise(i, i+1) // invalid byte: renders as �, so visible
			i++
			continue
		}
	mapped:
		r1, r2, cls := mapRune(r)
		switch cls {
		case clsNoise:
			w.noise(i, i+size)
		case clsInvisible:
		case clsTwo:
			w.keep(r1, runeKind(r1), i, i+size)
			w.keep(r2, runeKind(r2), i, i+size)
		default:
			w.keep(r1, runeKind(r1), i, i+size)
		}
		i += size
	}
	w.closeNumeralRun()
	dst.Runes, dst.Start, dst.End = w.runes, w.start, w.end
}

func runeKind(r rune) int {
	switch {
	case r >= '0' && r <= '9':
		return kindDigit
	case cnNumeral(r) >= 0:
		return kindNumeral
	}
	return kindText
}

func (w *normWriter) noise(start, end int) {
	if w.noiseRun == 0 {
		w.noiseStart = start
	}
	w.noiseRun++
	w.noiseEnd = end
}

// keep appends one normalised rune. Kept small so it inlines into the scan
// loop; the rare work (breaks, numeral runs) lives in separate functions.
func (w *normWriter) keep(r rune, kind int, start, end int) {
	if w.noiseRun != 0 {
		w.endNoise()
	}
	if kind != kindText {
		w.numeral(kind)
	} else if w.numStart >= 0 {
		w.closeNumeralRun()
	}
	w.runes = append(w.runes, r)
	w.start = append(w.start, start)
	w.end = append(w.end, end)
}

// endNoise emits a break if the noise run before a kept rune was too long.
func (w *normWriter) endNoise() {
	if w.noiseRun > maxBridgedNoise && len(w.runes) > 0 {
		w.closeNumeralRun()
		w.runes = append(w.runes, BreakRune)
		w.start = append(w.start, w.noiseStart)
		w.end = append(w.end, w.noiseEnd)
	}
	w.noiseRun = 0
}

func (w *normWriter) numeral(kind int) {
	if w.numStart < 0 {
		w.numStart = len(w.runes)
	}
	if kind == kindNumeral {
		w.numCN++
	}
}

// closeNumeralRun ends the current run of numeral characters and, if it is
// long enough, rewrites its Chinese numerals as ASCII digits.
func (w *normWriter) closeNumeralRun() {
	if w.numStart >= 0 && w.numCN > 0 && len(w.runes)-w.numStart >= minNumeralRun {
		for j := w.numStart; j < len(w.runes); j++ {
			if d := cnNumeral(w.runes[j]); d >= 0 {
				w.runes[j] = '0' + rune(d)
			}
		}
	}
	w.numStart = -1
	w.numCN = 0
}

// cnNumeral returns the digit value of a Chinese numeral character, or -1.
// Traditional forms (貳, 陸…) reach here already simplified.
func cnNumeral(r rune) int {
	switch r {
	case '零', '〇':
		return 0
	case '一', '壹', '幺':
		return 1
	case '二', '贰':
		return 2
	case '三', '叁':
		return 3
	case '四', '肆':
		return 4
	case '五', '伍':
		return 5
	case '六', '陆':
		return 6
	case '七', '柒':
		return 7
	case '八', '捌':
		return 8
	case '九', '玖':
		return 9
	}
	return -1
}

// Sentinels in asciiMap.
const (
	mapNoise     rune = -1
	mapInvisible rune = -2
)

// asciiMap is the normalised form of every ASCII byte (or a sentinel).
// Built once at package initialisation and never written again.
var asciiMap = func() (t [128]rune) {
	for c := range t {
		r := rune(c)
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			t[c] = r
		case r >= 'A' && r <= 'Z':
			t[c] = r + ('a' - 'A')
		case r == '+':
			t[c] = '加'
		case r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' || r == ' ':
			t[c] = mapNoise
		case r < 0x20 || r == 0x7f:
			t[c] = mapInvisible
		default: // punctuation and symbols
			t[c] = mapNoise
		}
	}
	return t
}()

// cjkTable indexes the traditional characters and the Chinese numerals in
// U+3400–U+9FFF, the range the hot path handles inline:
//   - special has a bit for every character the hot path must look at twice
//     (traditional characters and numerals), so ordinary simplified text
//     costs one bit test;
//   - trad has a bit for every traditional character, and rank[w] counts
//     the traditional characters before word w, which turns the position of
//     a character in the bitset into its index in tsPairs (rank/select)
//     instead of a binary search.
//
// Built once at initialisation from the generated table; read-only afterwards.
type cjkTable struct {
	special [cjkWords]uint64
	trad    [cjkWords]uint64
	rank    [cjkWords]uint16
	base    int // index in tsPairs of the first key ≥ U+3400
}

const cjkWords = (0x9FFF - 0x3400 + 1 + 63) / 64

var cjk = func() *cjkTable {
	t := new(cjkTable)
	t.base = -1
	for i, p := range tsPairs {
		if r := p[0]; r >= 0x3400 && r <= 0x9FFF {
			if t.base < 0 {
				t.base = i
			}
			o := r - 0x3400
			t.trad[o>>6] |= 1 << (o & 63)
			t.special[o>>6] |= 1 << (o & 63)
		}
	}
	for r := rune(0x3400); r <= 0x9FFF; r++ {
		if cnNumeral(r) >= 0 {
			o := r - 0x3400
			t.special[o>>6] |= 1 << (o & 63)
		}
	}
	n := 0
	for w := range t.trad {
		t.rank[w] = uint16(n)
		n += bits.OnesCount64(t.trad[w])
	}
	return t
}()

// cjkSpecial aliases the hot-path bitset so the loop indexes an array
// directly.
var cjkSpecial = &cjk.special

// cjkLookup resolves a character flagged in cjk.special: its simplified
// form, and whether that is a numeral.
func cjkLookup(r rune) (rune, int) {
	o := r - 0x3400
	w, b := o>>6, uint(o&63)
	if t := cjk.trad[w]; t&(1<<b) != 0 {
		r = tsPairs[cjk.base+int(cjk.rank[w])+bits.OnesCount64(t&(1<<b-1))][1]
	}
	if cnNumeral(r) >= 0 {
		return r, kindNumeral
	}
	return r, kindText
}

// toSimplified maps a traditional character to its simplified form.
func toSimplified(r rune) rune {
	lo, hi := 0, len(tsPairs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if tsPairs[mid][0] < r {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(tsPairs) && tsPairs[lo][0] == r {
		return tsPairs[lo][1]
	}
	return r
}

// Classes returned by mapRune.
const (
	clsOne       = iota // one normalised rune
	clsTwo              // two normalised runes (⑩ → 1, 0)
	clsNoise            // visible noise
	clsInvisible        // invisible noise
)

// letterlike maps the Letterlike Symbols that stand in for the holes of the
// Mathematical Alphanumeric block (ℬ is "script B") and friends.
var letterlike = map[rune]rune{
	0x2102: 'c', 0x210A: 'g', 0x210B: 'h', 0x210C: 'h', 0x210D: 'h', 0x210E: 'h',
	0x2110: 'i', 0x2111: 'i', 0x2112: 'l', 0x2113: 'l', 0x2115: 'n', 0x2119: 'p',
	0x211A: 'q', 0x211B: 'r', 0x211C: 'r', 0x211D: 'r', 0x2124: 'z', 0x2128: 'z',
	0x212A: 'k', 0x212B: 'a', 0x212C: 'b', 0x212D: 'c', 0x212F: 'e', 0x2130: 'e',
	0x2131: 'f', 0x2133: 'm', 0x2134: 'o', 0x2139: 'i', 0x2145: 'd', 0x2146: 'd',
	0x2147: 'e', 0x2148: 'i', 0x2149: 'j',
}

// number returns the class and runes for a small number 0–99 written as one
// character (circled ⑳ and the like).
func number(v int) (rune, rune, int) {
	if v < 10 {
		return '0' + rune(v), 0, clsOne
	}
	return '0' + rune(v/10), '0' + rune(v%10), clsTwo
}

// mapRune handles every non-ASCII rune outside U+3400–U+9FFF.
func mapRune(r rune) (rune, rune, int) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		m := asciiMap[r-0xFEE0]
		switch m {
		case mapNoise:
			return 0, 0, clsNoise
		case mapInvisible:
			return 0, 0, clsInvisible
		}
		return m, 0, clsOne
	case r == 0x3007: // 〇, a numeral outside the CJK block
		return r, 0, clsOne
	case r >= 0xF900 && r <= 0xFAFF, r >= 0x20000 && r <= 0x3FFFF:
		// Compatibility and supplementary ideographs: a few are traditional.
		return toSimplified(r), 0, clsOne
	// Digit styles.
	case r == 0xB9:
		return '1', 0, clsOne
	case r == 0xB2 || r == 0xB3:
		return '0' + (r - 0xB0), 0, clsOne
	case r == 0x2070:
		return '0', 0, clsOne
	case r >= 0x2074 && r <= 0x2079:
		return '0' + (r - 0x2070), 0, clsOne
	case r >= 0x2080 && r <= 0x2089:
		return '0' + (r - 0x2080), 0, clsOne
	case r >= 0x2460 && r <= 0x2473: // ①–⑳
		return number(int(r-0x2460) + 1)
	case r >= 0x2474 && r <= 0x2487: // ⑴–⒇
		return number(int(r-0x2474) + 1)
	case r >= 0x2488 && r <= 0x249B: // ⒈–⒛
		return number(int(r-0x2488) + 1)
	case r >= 0x249C && r <= 0x24B5: // ⒜–⒵
		return 'a' + (r - 0x249C), 0, clsOne
	case r >= 0x24B6 && r <= 0x24CF: // Ⓐ–Ⓩ
		return 'a' + (r - 0x24B6), 0, clsOne
	case r >= 0x24D0 && r <= 0x24E9: // ⓐ–ⓩ
		return 'a' + (r - 0x24D0), 0, clsOne
	case r == 0x24EA || r == 0x24FF: // ⓪ ⓿
		return '0', 0, clsOne
	case r >= 0x24EB && r <= 0x24F4: // ⓫–⓴
		return number(int(r-0x24EB) + 11)
	case r >= 0x24F5 && r <= 0x24FE: // ⓵–⓾
		return number(int(r-0x24F5) + 1)
	case r >= 0x2776 && r <= 0x277F: // ❶–❿
		return number(int(r-0x2776) + 1)
	case r >= 0x2780 && r <= 0x2789: // ➀–➉
		return number(int(r-0x2780) + 1)
	case r >= 0x278A && r <= 0x2793: // ➊–➓
		return number(int(r-0x278A) + 1)
	case r >= 0x3220 && r <= 0x3229: // ㈠–㈩
		return number(int(r-0x3220) + 1)
	case r >= 0x3251 && r <= 0x325F: // ㉑–㉟
		return number(int(r-0x3251) + 21)
	case r >= 0x3280 && r <= 0x3289: // ㊀–㊉
		return number(int(r-0x3280) + 1)
	case r >= 0x32B1 && r <= 0x32BF: // ㊱–㊿
		return number(int(r-0x32B1) + 36)
	case r >= 0x1D7CE && r <= 0x1D7FF: // mathematical digits, five styles
		return '0' + (r-0x1D7CE)%10, 0, clsOne
	case r == 0x1F100 || r == 0x1F10B || r == 0x1F10C: // 🄀 🄋 🄌
		return '0', 0, clsOne
	case r >= 0x1F101 && r <= 0x1F10A: // 🄁–🄊 digit comma
		return '0' + (r - 0x1F101), 0, clsOne
	case r >= 0x1FBF0 && r <= 0x1FBF9: // segmented digits
		return '0' + (r - 0x1FBF0), 0, clsOne
	// Letter styles.
	case r >= 0x1D400 && r <= 0x1D6A3: // mathematical alphanumerics, 13 styles of A–Z a–z
		return 'a' + (r-0x1D400)%52%26, 0, clsOne
	case r == 0x1D6A4:
		return 'i', 0, clsOne
	case r == 0x1D6A5:
		return 'j', 0, clsOne
	case r >= 0x2102 && r <= 0x2149:
		if m, ok := letterlike[r]; ok {
			return m, 0, clsOne
		}
	case r >= 0x1F110 && r <= 0x1F129: // 🄐 parenthesised
		return 'a' + (r - 0x1F110), 0, clsOne
	case r >= 0x1F130 && r <= 0x1F149: // 🄰 squared
		return 'a' + (r - 0x1F130), 0, clsOne
	case r >= 0x1F150 && r <= 0x1F169: // 🅐 negative circled
		return 'a' + (r - 0x1F150), 0, clsOne
	case r >= 0x1F170 && r <= 0x1F189: // 🅰 negative squared
		return 'a' + (r - 0x1F170), 0, clsOne
	case r >= 0x1F1E6 && r <= 0x1F1FF: // regional indicators 🇦–🇿
		return 'a' + (r - 0x1F1E6), 0, clsOne
	case r >= 0x1F3FB && r <= 0x1F3FF: // emoji skin-tone modifiers attach to the emoji
		return 0, 0, clsInvisible
	case r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0:
		// Hangul fillers are letters by category but render as nothing;
		// they are the classic "blank nickname" and word-splitting trick.
		return 0, 0, clsInvisible
	case r == 0xFE62 || r == 0x207A || r == 0x208A: // small, super- and subscript plus
		return '加', 0, clsOne
	case r == 0x85 || r == 0x2028 || r == 0x2029: // next line, line/paragraph separators
		return 0, 0, clsNoise
	// Fast paths for the punctuation of Chinese text (“”…—、。「」《》【】),
	// which would otherwise go through several Unicode table searches.
	case r >= 0x2000 && r <= 0x200A, r >= 0x2010 && r <= 0x2027, r >= 0x2030 && r <= 0x205E:
		return 0, 0, clsNoise
	case r >= 0x3000 && r <= 0x303F:
		if r == 0x3005 || r == 0x3006 || r >= 0x3021 && r <= 0x3029 || r >= 0x3031 && r <= 0x3035 || r >= 0x3038 && r <= 0x303C {
			return r, 0, clsOne // 々 〆 and the Hangzhou numerals are text
		}
		return 0, 0, clsNoise
	}
	return classify(r)
}

// classify decides by Unicode category for everything without a special
// mapping: letters and numbers are kept (lower-cased), the rest is noise.
func classify(r rune) (rune, rune, int) {
	switch {
	case unicode.IsLetter(r):
		return unicode.ToLower(r), 0, clsOne
	case unicode.IsNumber(r):
		return r, 0, clsOne
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc, unicode.Cf):
		return 0, 0, clsInvisible
	case unicode.Is(unicode.Cc, r):
		return 0, 0, clsInvisible
	}
	// Z*, P*, S* (emoji are So), private use, and unassigned code points —
	// new emoji are unassigned to older Unicode tables.
	return 0, 0, clsNoise
}

// isZeroWidth reports the invisible characters that have no business in a
// chat message except to split words: zero-width spaces and joiners, bidi
// controls, word joiner and BOM.
func isZeroWidth(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E,
		r >= 0x2060 && r <= 0x2064, r >= 0x2066 && r <= 0x2069,
		r == 0xFEFF, r == 0x180E, r == 0x034F, r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0:
		return true
	}
	return false
}

// isWordRune reports ASCII letters and digits in normalised text: the
// characters whose neighbours decide ASCII keyword boundaries.
func isWordRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
}

// runeClass is 1 for the runes that take part in ASCII keyword boundaries
// (ASCII letters and digits after normalisation) and 0 otherwise.
func runeClass(r rune) int {
	if isWordRune(r) {
		return 1
	}
	return 0
}
