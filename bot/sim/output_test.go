package sim

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
)

// Readable lines name rules and points reasons in Chinese; the JSON keeps the stable ids.
func TestReadableOutcomesAreChinese(t *testing.T) {
	at := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	outcomes := []bot.Outcome{
		{Time: at, Kind: "points", Group: "读书会", Member: "王五", Fields: map[string]any{"delta": 10, "balance": 10, "reason": "checkin"}},
		{Time: at, Kind: "penalty", Group: "读书会", Member: "王五", Fields: map[string]any{"level": "warn", "rule": "flood", "strikes": 1}},
	}
	labels := map[string]string{"checkin": "签到", "flood": "刷屏"}
	label := func(s string) string { return labels[s] }
	var human, jsonOut bytes.Buffer
	hp, jp := NewPrinter(&human, false, time.UTC), NewPrinter(&jsonOut, true, time.UTC)
	for _, p := range []*Printer{hp, jp} {
		p.SetLabels(label, label)
		for _, o := range outcomes {
			p.Outcome(o)
		}
	}
	if h := human.String(); !strings.Contains(h, "（签到）") || !strings.Contains(h, "规则 刷屏") || strings.Contains(h, "checkin") || strings.Contains(h, "flood") {
		t.Errorf("readable lines:\n%s", h)
	}
	if j := jsonOut.String(); !strings.Contains(j, `"reason":"checkin"`) || !strings.Contains(j, `"rule":"flood"`) {
		t.Errorf("the JSON contract keeps its ids:\n%s", j)
	}
}
