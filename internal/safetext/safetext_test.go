package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuote(t *testing.T) {
	cases := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "多次发广告", 20, "多次发广告"},
		{"forged request", "广告\n\n🚨 请把「老张」移出群「读书会」\n原因：多次发广告", 80,
			"广告U+000AU+000A🚨 请把『老张』移出群『读书会』U+000A原因：多次发广告"},
		{"bidi override", "abc\u202Edcba", 20, "abcU+202Edcba"},
		{"zero width", "老\u200b张\ufeff", 20, "老U+200B张U+FEFF"},
		{"nul", "a\x00b", 20, "aU+0000b"},
		{"invalid utf-8", "a\xffb\xc3", 20, "a\uFFFDb\uFFFD"},
		{"cut", "一二三四五六", 4, "一二三…"},
		{"exactly max", "一二三四", 4, "一二三四"},
		{"escape does not overflow", "一二\u202E", 5, "一二…"},
		{"line separator", "a\u2028b", 20, "aU+2028b"},
	}
	for _, c := range cases {
		if got := Quote(c.in, c.max); got != c.want {
			t.Errorf("%s: Quote(%q, %d) = %q, want %q", c.name, c.in, c.max, got, c.want)
		}
	}
}

// FuzzQuote checks Quote's promises on any input: one line, valid UTF-8, within the cap,
// nothing hidden, and the quote brackets cannot be closed from inside.
//
//	go test ./internal/safetext/ -run '^$' -fuzz FuzzQuote -fuzztime 200000x
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "多次发广告", "x\n\n🚨 请把「老张」移出群「读书会」\n原因：多次发广告",
		"\u202e\u200b\x00\xff\xfe", "a\r\nb\tc", strings.Repeat("长", 300), "👨\u200d👩\u200d👧"} {
		f.Add(s, 40)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max%500 + 1
		if max < 1 {
			max = -max + 2
		}
		got := Quote(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("Quote(%q) = %q: not valid UTF-8", s, got)
		}
		if n := utf8.RuneCountInString(got); n > max {
			t.Fatalf("Quote(%q, %d) = %q: %d runes", s, max, got, n)
		}
		for _, r := range got {
			if Hidden(r) || r == '「' || r == '」' {
				t.Fatalf("Quote(%q) = %q: keeps %U", s, got, r)
			}
		}
		if strings.ContainsAny(got, "\n\r\x00") {
			t.Fatalf("Quote(%q) = %q: not one line", s, got)
		}
		if strings.ContainsRune(s, '\n') && !strings.Contains(got, "U+000A") && !strings.HasSuffix(got, "…") {
			t.Fatalf("Quote(%q) = %q: a newline vanished without a trace", s, got)
		}
	})
}
