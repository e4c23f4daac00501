package config

import (
	"path/filepath"
	"time"
)

// Backup configures scheduled backups of the database (`bot run` only). On by default:
// a damaged disk or a mistaken `rm` should find a copy at most a day old, without the
// owner having had to set anything up.
type Backup struct {
	// Every: a backup is made when the newest one is this old; 0 turns them off.
	Every Duration `yaml:"every"`
	// Keep: how many backups to keep; older ones are deleted after a good new one.
	Keep int `yaml:"keep"`
	// Dir: where backups go; empty: "backups" next to the database.
	Dir string `yaml:"dir"`
}

// DirFor is where backups of the database at dbPath go.
func (b Backup) DirFor(dbPath string) string {
	if b.Dir != "" {
		return b.Dir
	}
	return filepath.Join(filepath.Dir(dbPath), "backups")
}

func validateBackup(b Backup, at reporter) {
	if d := b.Every.D(); d != 0 && d < time.Hour {
		at("backup.every", "至少 1h（或写 0 关闭定时备份），现在是 %s / must be at least 1h, or 0 to turn backups off", b.Every)
	}
	if b.Keep < 1 || b.Keep > 1000 {
		at("backup.keep", "应在 1 到 1000 之间，现在是 %d / must be between 1 and 1000", b.Keep)
	}
}
