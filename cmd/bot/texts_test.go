package main

import (
	"strings"
	"testing"

	"qunbot/bot/config"
)

// What bot texts prints is a config section that reads back to the same words.
func TestTextsYAMLRoundTrip(t *testing.T) {
	var out, errOut strings.Builder
	if err := cmdTexts(nil, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	src := "defaults:\n" + indent(out.String())
	cfg, err := config.Parse([]byte(src), "texts.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	for _, s := range config.TextSpecs() {
		if !cfg.Defaults.Texts.Set(s.Key) || cfg.Defaults.Texts.Source(s.Key) != s.Default {
			t.Errorf("%s: printed %q, built in %q", s.Key, cfg.Defaults.Texts.Source(s.Key), s.Default)
		}
	}
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}
