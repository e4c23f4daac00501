package config

import (
	"testing"
	"time"
)

// FuzzCron: cron specs come from the config file. ParseCron and the interval check that
// `check` runs on every spec (limits.go) must never panic or hang, and describing a spec
// in words (shown by 状态 and the dashboard) must not either.
func FuzzCron(f *testing.F) {
	for _, s := range []string{"0 8 * * *", "* * * * * *", "@every 1s", "@daily", "*/5 1-3 1,15 */2 MON-FRI", "0 0 31 2 *", "@every 0s", "TZ=Asia/Shanghai 0 8 * * *", "59 23 29 2 *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		CronWords(s)
		c, err := ParseCron(s)
		if err != nil {
			return
		}
		c.Words()
		if gap := cronMinGap(c, time.UTC, time.Minute); gap <= 0 {
			t.Fatalf("%q: gap %v", s, gap)
		}
	})
}
