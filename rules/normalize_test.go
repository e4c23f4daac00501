package rules

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii lower", "Hello World", "helloworld"},
		{"full-width", "Ｈｅｌｌｏ，ＶＸ！１２３", "hellovx123"},
		{"traditional", "今天天氣不錯，歡迎來到讀書會", "今天天气不错欢迎来到读书会"},
		{"traditional numerals", "貳參陸", "贰参陆"},
		{"circled digits", "①②③④⑤", "12345"},
		{"circled twenty", "⑩⑳", "1020"},
		{"parenthesised and full stop", "⑴⑵⒈⒉", "1212"},
		{"dingbat digits", "➀❶➊⓿⓪", "11100"},
		{"ideograph digits", "㈠㈡㊂", "123"},
		{"super and subscripts", "⁹₈¹²³", "98123"},
		{"math digits", "𝟏𝟐𝟑𝟘𝟵", "12309"},
		{"chinese numerals phone", "一三八零零一三八零零零", "13800138000"},
		{"capital numerals", "壹叁捌零零壹叁捌零零零", "13800138000"},
		{"yao for one", "幺三八", "138"},
		{"circle zero", "一〇〇八六", "10086"},
		{"numerals with noise", "一 三 八-零零一三", "1380013"},
		{"mixed digits and numerals", "1三8", "138"},
		{"short numeral run stays", "一起去", "一起去"},
		{"two numerals stay", "三个人七八个", "三个人七八个"},
		{"idiom stays", "乱七八糟", "乱七八糟"},
		{"math letters", "𝐀𝑨𝒜𝓐𝔄𝕬𝖠𝗔𝘈𝘼𝙰", "aaaaaaaaaaa"},
		{"circled letters", "Ⓥⓧ🅥🅧", "vxvx"},
		{"squared letters", "🄰🅰", "aa"},
		{"letterlike", "ℬℎ", "bh"},
		{"regional indicators", "🇻🇽", "vx"},
		{"plus is add", "+V", "加v"},
		{"full-width plus", "＋微", "加微"},
		{"zero width dropped", "加\u200b微\u200c信\ufeff", "加微信"},
		{"bidi controls dropped", "加\u202e微\u202c信", "加微信"},
		{"variation selectors", "微\ufe0f信", "微信"},
		{"combining marks", "微\u0301信\u0332", "微信"},
		{"hangul filler", "加\u3164微信", "加微信"},
		{"three noise bridged", "加...微信", "加微信"},
		{"four noise break", "加....微信", "加 微信"},
		{"emoji noise", "加😀微😀信", "加微信"},
		{"invisible does not count", "加\u200b\u200b\u200b\u200b\u200b微信", "加微信"},
		{"leading and trailing noise", "     加微信     ", "加微信"},
		{"chinese punctuation", "“你好”，【加微信】。", "你好加微信"},
		{"invalid utf8 is noise", "a\xffb", "ab"},
		{"cyrillic kept lower", "ПРИВЕТ", "привет"},
		{"keycap", "1\ufe0f\u20e3", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeString(tt.in); got != tt.want {
				t.Errorf("NormalizeString(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeSpans(t *testing.T) {
	in := "加 薇-信"
	n := Normalize(in)
	if got := n.String(); got != "加薇信" {
		t.Fatalf("String() = %q", got)
	}
	wantStart := []int{0, 4, 8}
	wantEnd := []int{3, 7, 11}
	for i := range n.Runes {
		if n.Start[i] != wantStart[i] || n.End[i] != wantEnd[i] {
			t.Errorf("rune %d span = [%d,%d), want [%d,%d)", i, n.Start[i], n.End[i], wantStart[i], wantEnd[i])
		}
	}
	if n.Joined(1) || n.Joined(2) {
		t.Error("runes separated by noise reported as joined")
	}

	// Two runes from one character share its span.
	n = Normalize("a⑩")
	if n.String() != "a10" || n.Start[1] != 1 || n.End[1] != 4 || n.Start[2] != 1 || n.End[2] != 4 {
		t.Errorf("⑩ spans: %q %v %v", n.String(), n.Start, n.End)
	}
	if !n.Joined(1) || !n.Joined(2) {
		t.Error("a⑩ should be joined throughout")
	}

	// A break carries the span of the noise run it replaces.
	n = Normalize("ab!!!!cd")
	if n.String() != "ab cd" || n.Start[2] != 2 || n.End[2] != 6 {
		t.Errorf("break span: %q %v %v", n.String(), n.Start, n.End)
	}
}

func TestNormalizeIntoReusesBuffers(t *testing.T) {
	var n Normalized
	NormalizeInto(&n, strings.Repeat("加微信", 100))
	allocs := testing.AllocsPerRun(100, func() { NormalizeInto(&n, "今天天氣不錯，加我Ｖ信 abc123") })
	if allocs != 0 {
		t.Errorf("NormalizeInto allocates %v times per call with a warm buffer", allocs)
	}
}

// The generated table must be a function into simplified characters:
// normalising twice must equal normalising once, or keywords (normalised at
// build time) and messages would disagree.
func TestTSTableIdempotent(t *testing.T) {
	for i, p := range tsPairs {
		if i > 0 && tsPairs[i-1][0] >= p[0] {
			t.Fatalf("tsPairs not sorted at %d", i)
		}
		if s := toSimplified(p[1]); s != p[1] {
			t.Errorf("%q → %q → %q: chain not resolved", p[0], p[1], s)
		}
		if p[0] == p[1] {
			t.Errorf("identity mapping for %q", p[0])
		}
	}
	for _, s := range []string{"歡迎來到讀書會", "一三八零零一三八零零零", "壹貳參", "加....微信", "Ⓥ⓪⑩", "天氣"} {
		// A break's space is noise the second time round; compare without.
		once := strings.ReplaceAll(NormalizeString(s), " ", "")
		if twice := NormalizeString(once); twice != once {
			t.Errorf("not idempotent: %q → %q → %q", s, once, twice)
		}
	}
}

// The hot path's rank/select lookup must agree with the table.
func TestCJKLookupMatchesTable(t *testing.T) {
	for r := rune(0x3400); r <= 0x9FFF; r++ {
		want := toSimplified(r)
		got := r
		if o := r - 0x3400; cjkSpecial[o>>6]&(1<<(o&63)) != 0 {
			got, _ = cjkLookup(r)
		}
		if got != want {
			t.Fatalf("U+%04X: hot path %q, table %q", r, got, want)
		}
	}
}

func TestNormalizeHugeAndHostile(t *testing.T) {
	var sb strings.Builder
	for i := 0; sb.Len() < 300_000; i++ {
		sb.WriteString("加\u200b微信😀\xff一三八⑩Ａ")
	}
	s := sb.String()
	n := Normalize(s)
	checkNormalized(t, s, &n)
}

// checkNormalized asserts the invariants FuzzNormalize relies on.
func checkNormalized(t *testing.T, s string, n *Normalized) {
	t.Helper()
	if len(n.Runes) != len(n.Start) || len(n.Runes) != len(n.End) {
		t.Fatalf("length mismatch: %d runes, %d starts, %d ends", len(n.Runes), len(n.Start), len(n.End))
	}
	prevEnd := 0
	for i, r := range n.Runes {
		st, en := n.Start[i], n.End[i]
		if st < 0 || en > len(s) || st >= en {
			t.Fatalf("rune %d (%q) span [%d,%d) outside input of %d bytes", i, r, st, en, len(s))
		}
		if st < prevEnd && !(i > 0 && n.Start[i-1] == st) {
			t.Fatalf("rune %d span [%d,%d) overlaps previous ending at %d", i, st, en, prevEnd)
		}
		if !utf8.RuneStart(s[st]) || (en < len(s) && !utf8.RuneStart(s[en])) {
			// Invalid bytes are spans of one byte and may sit anywhere.
			if utf8.ValidString(s) {
				t.Fatalf("rune %d span [%d,%d) not on UTF-8 boundaries", i, st, en)
			}
		}
		if r == BreakRune && (i == 0 || i == len(n.Runes)-1 || n.Runes[i-1] == BreakRune) {
			t.Fatalf("misplaced break at %d in %q", i, n.String())
		}
		prevEnd = en
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "加微信", "加 薇-信 abc123", "一三八零零一三八零零零", "①⑩⑳㊿", "𝐀𝟗Ⓐ🅰🇻",
		"加....微信", "\xff\xfe\xfd\xfc", "a\u200b\u200b\u200bb", "今天天氣", "👨\u200d👩\u200d👧",
		"1\ufe0f\u20e3", "\xe4\xb8", "\xed\xa0\x80", "\xef\xbc\x8b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		checkNormalized(t, s, &n)
		// Normalising the normalised text changes nothing but breaks
		// (a break's space is noise the second time round).
		once := strings.ReplaceAll(n.String(), " ", "")
		if twice := strings.ReplaceAll(NormalizeString(once), " ", ""); twice != once {
			// Numeral runs may grow when noise between them disappears
			// ("一 二" has two numerals either side of a break); compare
			// without them.
			if stripNumerals(twice) != stripNumerals(once) {
				t.Fatalf("not idempotent: %q → %q → %q", s, once, twice)
			}
		}
	})
}

func stripNumerals(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || cnNumeral(r) >= 0 {
			return -1
		}
		return r
	}, s)
}
