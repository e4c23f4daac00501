package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// ErrBackupExists is returned when the backup file already exists and overwriting was not
// asked for.
var ErrBackupExists = errors.New("备份文件已存在 / backup file exists")

// BackupResult describes a finished backup.
type BackupResult struct {
	Pages int   // database pages copied
	Bytes int64 // size of the copy
}

// Backup copies the database at src to dst with SQLite's online backup API: the copy is
// one consistent snapshot even while a running bot keeps writing (WAL lets the backup read
// a snapshot without blocking the writer). The copy is written next to dst under a
// temporary name, checked with PRAGMA integrity_check, synced, and only then given its
// name, so dst is either absent or a complete, checked database; it is created 0600 (it
// holds member names and evidence). An existing dst is refused with ErrBackupExists
// unless overwrite is set.
func Backup(ctx context.Context, src, dst string, overwrite bool) (BackupResult, error) {
	var res BackupResult
	st, err := os.Stat(src)
	if err != nil {
		return res, fmt.Errorf("数据库 %s 不存在或无法读取 / cannot read database: %w", src, err)
	}
	if !st.Mode().IsRegular() {
		return res, fmt.Errorf("%s 不是数据库文件 / not a regular file", src)
	}
	if !overwrite {
		if _, err := os.Lstat(dst); err == nil {
			return res, fmt.Errorf("%s: %w（加 --force 覆盖 / add --force to overwrite）", dst, ErrBackupExists)
		}
	}
	if same, _ := sameFile(src, dst); same {
		return res, fmt.Errorf("备份文件不能是数据库本身 / the backup must not be the database itself: %s", dst)
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, fmt.Errorf("无法创建备份目录 %s / create backup directory: %w", dir, err)
	}
	tmpFile, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return res, fmt.Errorf("无法创建备份文件 / create backup file in %s: %w", dir, err)
	}
	tmp := tmpFile.Name()
	tmpFile.Close()
	keep := false
	defer func() {
		if !keep {
			for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
				os.Remove(tmp + suffix)
			}
		}
	}()
	if err := os.Chmod(tmp, 0o600); err != nil {
		return res, fmt.Errorf("set mode of backup file: %w", err)
	}

	if res.Pages, err = copyDatabase(ctx, src, tmp); err != nil {
		return res, err
	}
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return res, fmt.Errorf("open backup copy: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return res, fmt.Errorf("sync backup copy: %w", err)
	}
	if fi, err := f.Stat(); err == nil {
		res.Bytes = fi.Size()
	}
	f.Close()
	if overwrite {
		err = os.Rename(tmp, dst)
	} else {
		// A hard link fails if dst appeared meanwhile: never clobber without --force.
		if err = os.Link(tmp, dst); err == nil {
			os.Remove(tmp)
		} else if errors.Is(err, os.ErrExist) {
			return res, fmt.Errorf("%s: %w（加 --force 覆盖 / add --force to overwrite）", dst, ErrBackupExists)
		}
	}
	if err != nil {
		return res, fmt.Errorf("保存备份到 %s 失败 / move backup into place: %w", dst, err)
	}
	keep = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the new name durable; best effort (not every filesystem allows it)
		d.Close()
	}
	return res, nil
}

// copyDatabase runs the backup API from src into the (empty) file at dst and checks the copy.
func copyDatabase(ctx context.Context, src, dst string) (int, error) {
	// mode=rw: never create a database where the user mistyped a path.
	srcDB, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: src}).EscapedPath()+"?mode=rw&_busy_timeout=5000")
	if err != nil {
		return 0, fmt.Errorf("open database %s: %w", src, err)
	}
	defer srcDB.Close()
	dstDB, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: dst}).EscapedPath()+"?_busy_timeout=5000")
	if err != nil {
		return 0, fmt.Errorf("open backup copy: %w", err)
	}
	defer dstDB.Close()
	srcConn, err := srcDB.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("打开数据库 %s 失败 / open database: %w", src, err)
	}
	defer srcConn.Close()
	// A file that is not a qunbot database fails here rather than producing a useless copy.
	var version int
	if err := srcConn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return 0, fmt.Errorf("%s 不是 qunbot 数据库或已损坏 / not a qunbot database: %w", src, err)
	}
	dstConn, err := dstDB.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("open backup copy: %w", err)
	}
	defer dstConn.Close()

	pages := 0
	err = dstConn.Raw(func(d any) error {
		return srcConn.Raw(func(s any) error {
			dc, ok1 := d.(*sqlite3.SQLiteConn)
			sc, ok2 := s.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return errors.New("unexpected driver connection type")
			}
			// The whole database in one step: one read transaction on the source, so the
			// copy is a single snapshot. A writer in another process only blocks it for
			// as long as a commit holds the lock (busy: try again shortly).
			for attempt := 0; ; attempt++ {
				b, err := dc.Backup("main", sc, "main")
				if err != nil {
					return err
				}
				done, err := b.Step(-1)
				pages = b.PageCount()
				if ferr := b.Finish(); err == nil {
					err = ferr
				}
				if err == nil && done {
					return nil
				}
				if err == nil {
					err = errors.New("backup did not finish")
				}
				if !isBusy(err) || attempt >= 50 {
					return err
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(100 * time.Millisecond):
				}
			}
		})
	})
	if err != nil {
		return 0, fmt.Errorf("备份数据库 %s 失败 / backup: %w", src, err)
	}
	rows, err := dstConn.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return 0, fmt.Errorf("check backup copy: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return 0, fmt.Errorf("check backup copy: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("check backup copy: %w", err)
	}
	if len(problems) > 0 {
		return 0, fmt.Errorf("备份副本完整性检查失败 / backup copy failed its integrity check: %s", strings.Join(problems, "; "))
	}
	return pages, nil
}

func isBusy(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
	}
	return false
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}
