package storage

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShownName(t *testing.T) {
	long := strings.Repeat("长", 10000)
	for _, tc := range []struct{ in, want string }{
		{"王五", "王五"},
		{"\u202e五王", "五王"},
		{"a\u2066b\u2069c\u200f", "abc"},
		{strings.Repeat("字", 32), strings.Repeat("字", 32)},
		{strings.Repeat("字", 33), strings.Repeat("字", 32) + "…"},
		{long, strings.Repeat("长", 32) + "…"},
		{"\u202e", "（无名）"},
		{"", "（无名）"},
		{"零\u200b宽", "零\u200b宽"}, // zero-width characters are harmless in display and kept
		{"{{.Group}}", "{{.Group}}"},
	} {
		if got := ShownName(tc.in); got != tc.want {
			t.Errorf("ShownName(%.40q) = %.60q, want %.60q", tc.in, got, tc.want)
		}
	}
	m := Member{Nickname: long, DisplayName: ""}
	if got := m.ShownName(); utf8.RuneCountInString(got) != MaxShownName+1 || m.Name() != long {
		t.Errorf("member display %d runes; the full name must stay: %d", utf8.RuneCountInString(got), utf8.RuneCountInString(m.Name()))
	}
}
