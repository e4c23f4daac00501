package config

import (
	"fmt"
	"strings"
	"testing"
)

// aliasBomb nests aliases so that a few hundred bytes stand for 10^levels nodes.
func aliasBomb(key string, levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s0: &a0 [q, q, q, q, q, q, q, q, q, q]\n", key)
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "%s%d: &a%d [", key, i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// A config of nested aliases (the "billion laughs") is refused quickly instead of hanging
// `bot check` and the reload: FuzzParse found the hang.
func TestAliasBombIsRefusedQuickly(t *testing.T) {
	for _, src := range []string{
		aliasBomb("x", 9),
		"defaults:\n  rules_text: x\n  auto_replies:\n" + indent(aliasBomb("  - triggers", 1)) + "groups:\n" + indent(aliasBomb("g", 9)),
		"groups:\n  读书会:\n    posts: [" + strings.Repeat("*p, ", 5) + "]\n" + aliasBomb("y", 8),
	} {
		if _, err := Parse([]byte(src), "bomb.yaml"); err == nil {
			t.Errorf("alias bomb accepted:\n%s", src)
		}
	}
	// Ordinary aliasing still works and keeps line numbers.
	cfg, err := Parse([]byte("defaults: &d\n  rules_text: 规则\ngroups:\n  读书会: *d\n"), "ok.yaml")
	if err != nil || cfg.Groups["读书会"].RulesText != "规则" {
		t.Fatalf("plain alias: %v", err)
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}
