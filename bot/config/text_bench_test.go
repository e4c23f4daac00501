package config

import "testing"

// BenchmarkTextDefault renders the check-in answer from the built-in text
// (docs/PERFORMANCE.md, "the owner's words").
func BenchmarkTextDefault(b *testing.B) {
	var ts Texts
	v := Vars{"积分": "10", "连续天数": "1", "余额": "10", "排名": "1"}
	for b.Loop() {
		_ = ts.Text("checkin.ok", v)
	}
}
