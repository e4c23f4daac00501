package config

import "time"

// Retention bounds how long the database keeps records nobody needs forever, so that it
// stays small for months unattended. A daily job prunes them. Zero keeps them forever.
// Points, check-ins and strikes are never pruned: they are the members' history.
type Retention struct {
	// Audit: the audit log (who did what, why, with evidence). Reports read the last 30
	// days and up to 12 weeks back (negative_growth), hence the minimum.
	Audit Duration `yaml:"audit"`
	// Processed: message ids remembered to drop replays. The adapter drops replays older
	// than its session anyway; a week covers any reconnect.
	Processed Duration `yaml:"processed"`
}

// MinAuditRetention covers the longest window reports look back on (12 weeks + 1).
const MinAuditRetention = 13 * 7 * 24 * time.Hour

func validateRetention(r Retention, at reporter) {
	if d := r.Audit.D(); d != 0 && d < MinAuditRetention {
		at("retention.audit", "审计日志至少保留 91d（周报要回看 12 周），现在是 %s；写 0 表示永久保留 / must be at least 91d (reports look back 12 weeks), or 0 to keep forever", r.Audit)
	}
	if d := r.Processed.D(); d != 0 && d < 24*time.Hour {
		at("retention.processed", "消息 ID 至少保留 1d，现在是 %s；写 0 表示永久保留 / must be at least 1d, or 0 to keep forever", r.Processed)
	}
}
