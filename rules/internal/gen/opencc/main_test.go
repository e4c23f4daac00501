package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	in := "# comment\n" +
		"萬\t万\n" +
		"乾\t干 乾\n" + // first candidate wins
		"㑮\t㑮 𫝈\n" + // identity dropped
		"薴\t苧\n" + // chain: 薴 → 苧 → 苎
		"苧\t苎\n" +
		"一切\t一切\n" + // phrase keys are not characters
		"\n"
	got, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]rune{{'乾', '干'}, {'苧', '苎'}, {'萬', '万'}, {'薴', '苎'}}
	if !slices.Equal(got, want) {
		t.Errorf("parse = %q, want %q", got, want)
	}
	if _, err := parse(strings.NewReader("萬 万\n")); err == nil {
		t.Error("line without a tab accepted")
	}
	if _, err := parse(strings.NewReader("甲\t乙\n乙\t甲\n")); err == nil {
		t.Error("cycle accepted")
	}
}

func TestRenderIsGoAndHexForCompat(t *testing.T) {
	src, err := render("rules", [][2]rune{{'萬', '万'}, {0xF900, '豈'}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	for _, want := range []string{"DO NOT EDIT", "Apache License 2.0", "{'萬', '万'}", "{0xF900, '豈'}"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}
