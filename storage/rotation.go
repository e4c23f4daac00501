package storage

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Scheduled backups are files named <base>-YYYYMMDD-HHMMSS.db in one directory, the time
// (in the bot's zone) they were taken. Backup gives a file its name only after the copy
// passed its integrity check, so every file so named is a good backup; the newest is the
// "last good backup" that 状态 and the dashboard show, and it survives restarts with no
// state of its own.

const backupStamp = "20060102-150405"

// BackupFile is one scheduled backup.
type BackupFile struct {
	Path  string
	Taken time.Time
	Bytes int64
}

// BackupName is the file a scheduled backup of dbPath taken at t gets in dir.
func BackupName(dir, dbPath string, t time.Time) string {
	return filepath.Join(dir, backupBase(dbPath)+"-"+t.Format(backupStamp)+".db")
}

func backupBase(dbPath string) string {
	return strings.TrimSuffix(filepath.Base(dbPath), filepath.Ext(dbPath))
}

// ListBackups lists the scheduled backups of dbPath in dir, newest first; a missing dir
// has none. loc is the zone the names were written in.
func ListBackups(dir, dbPath string, loc *time.Location) ([]BackupFile, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list backups in %s: %w", dir, err)
	}
	prefix := backupBase(dbPath) + "-"
	var out []BackupFile
	for _, e := range entries {
		name := e.Name()
		stamp, ok := strings.CutPrefix(name, prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		stamp, ok = strings.CutSuffix(stamp, ".db")
		if !ok {
			continue
		}
		t, err := time.ParseInLocation(backupStamp, stamp, loc)
		if err != nil {
			continue
		}
		f := BackupFile{Path: filepath.Join(dir, name), Taken: t}
		if fi, err := e.Info(); err == nil {
			f.Bytes = fi.Size()
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b BackupFile) int { return b.Taken.Compare(a.Taken) })
	return out, nil
}

// RotateBackups deletes all but the newest keep scheduled backups of dbPath in dir and
// returns how many it deleted. Called only after a good new backup.
func RotateBackups(dir, dbPath string, loc *time.Location, keep int) (int, error) {
	list, err := ListBackups(dir, dbPath, loc)
	if err != nil || len(list) <= keep {
		return 0, err
	}
	removed := 0
	for _, f := range list[max(keep, 1):] {
		if err := os.Remove(f.Path); err != nil {
			return removed, fmt.Errorf("remove old backup: %w", err)
		}
		removed++
	}
	return removed, nil
}

// QuickCheckFile runs quick_check on the database at path through a connection of its
// own, so a running bot's store is not held for the check's duration (WAL lets it read a
// snapshot while the bot writes). Complaints are returned, none when ok.
func QuickCheckFile(ctx context.Context, path string) ([]string, error) {
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=rw&_busy_timeout=5000")
	if err != nil {
		return nil, fmt.Errorf("open %s for its check: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	problems, err := pragmaCheck(ctx, db, "quick_check")
	if err != nil && isCorrupt(err) {
		return append(problems, err.Error()), nil
	}
	return problems, err
}

// RestoreAdvice says, in Chinese then English, how to restore path from a backup.
func RestoreAdvice(path string) string { return restoreAdvice(path) }
