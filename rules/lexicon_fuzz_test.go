package rules

import (
	"strings"
	"testing"
)

// FuzzParseLexicon: word-list files are the owner's, but often copied from elsewhere.
// Whatever the text, parsing returns entries or an error naming source:line, never panics,
// and every entry it returns has a keyword.
func FuzzParseLexicon(f *testing.F) {
	for _, s := range []string{
		"加微信\n# 注释\n\n杀你全家 | abuse | remove\n",
		"!微信支付\n=QQ\n词 | | warn | 3\n",
		"a|b|c|d|e\n", "|||\n", "词 | ad | strike | -1\n", "\xff\xfe\n", "=\n!\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := ParseLexicon(strings.NewReader(s), "f.txt", "ad", "strike")
		if err != nil {
			if !strings.Contains(err.Error(), "f.txt") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, e := range entries {
			if e.Text == "" {
				t.Fatalf("empty keyword from %q: %+v", s, e)
			}
		}
	})
}
