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
