package moderate

import (
	"testing"

	"qunbot/rules"
)

// The check that decides when several fire on one message; the dashboard's rule tester
// marks the same one.
func TestLeadingCheck(t *testing.T) {
	r := []rules.Result{{Action: rules.ActionWarn, Strikes: 0}, {Action: rules.ActionStrike, Strikes: 1},
		{Action: rules.ActionStrike, Strikes: 2}, {Action: rules.ActionWarn}}
	if got := Lead(r); got != 2 {
		t.Errorf("Lead = %d, want 2 (strike beats warn, more strikes win)", got)
	}
	r = append(r, rules.Result{Action: rules.ActionRemove, Strikes: 1})
	if got := Lead(r); got != 4 {
		t.Errorf("Lead = %d, want 4 (remove beats all)", got)
	}
}

func TestRuleSourceIsChinese(t *testing.T) {
	for _, c := range []struct {
		rule, want string
	}{
		{"ads@builtin:ads:13 加我微信", "内置广告词库第 13 行：加我微信"},
		{"竞品@/etc/qunbot/竞品.txt:3 某某课程", "词库文件 竞品.txt 第 3 行：某某课程"},
		{"words@groups.读书会.moderation.lexicons[0].words:1 某某课程", "配置里写的词：某某课程"},
	} {
		if got := RuleSource(rules.Result{Check: rules.CheckKeyword, Rule: c.rule}); got != c.want {
			t.Errorf("RuleSource(%q) = %q, want %q", c.rule, got, c.want)
		}
	}
	if got := RuleSource(rules.Result{Check: rules.CheckPhone, Rule: "phone"}); got != "" {
		t.Errorf("a detector has no entry: %q", got)
	}
}
