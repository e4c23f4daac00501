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

// bot check refuses a text with an unknown placeholder (listing the valid ones) and
// command words no command has; it warns that admins: is unused on WeChat.
func TestCheckOwnerWords(t *testing.T) {
	bad := writeFile(t, "words.yaml", `defaults:
  texts:
    warn: "{昵称}注意：{理由}"
groups:
  读书会:
    commands:
      rename: {签到: 报到, 抽签: 摇号}
`)
	code, _, errOut := runCLI(t, "", "check", "--config", bad)
	if code != 1 || !strings.Contains(errOut, "words.yaml:3: defaults.texts.warn") || !strings.Contains(errOut, "{理由}") ||
		!strings.Contains(errOut, "{成员} {昵称} {原因} {后果}") {
		t.Fatalf("a bad placeholder: code %d\n%s", code, errOut)
	}
	words := writeFile(t, "cmds.yaml", `groups:
  读书会:
    commands:
      rename: {签到: 报到, 抽签: 摇号}
      off: [没这个]
`)
	code, _, errOut = runCLI(t, "", "check", "--config", words)
	if code != 1 || !strings.Contains(errOut, "groups.读书会.commands.rename.抽签") || !strings.Contains(errOut, "「没这个」") ||
		strings.Contains(errOut, "rename.签到") {
		t.Fatalf("bad command words: code %d\n%s", code, errOut)
	}
	admins := writeFile(t, "admins.yaml", "defaults:\n  admins: [\"123456\"]\n")
	code, out, errOut := runCLI(t, "", "check", "--config", admins)
	if code != 0 || !strings.Contains(out, "只在 QQ") {
		t.Fatalf("admins on WeChat: code %d\n%s\n%s", code, out, errOut)
	}
}
