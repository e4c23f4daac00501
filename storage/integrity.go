package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// What this file guards against: a bot that runs on a damaged database without noticing
// (pages overwritten, a file cut short by a bad copy, a file emptied by a full disk or a
// mistaken `> qunbot.db`). SQLite reads only the pages a query touches, so a damaged
// audit or ledger index can go unseen for weeks while every balance drifts; an emptied
// file would look like a new database and every balance would silently start at zero.
// So Open refuses, with advice on restoring, any existing file that is not a whole,
// healthy SQLite database, and never creates a database over an existing file.

// sqliteMagic opens every SQLite database file (the 100-byte header's first field).
var sqliteMagic = []byte("SQLite format 3\x00")

// ErrDamaged marks a database file Open refused because it is damaged, empty or not a
// database: restoring a backup is the way out, not fixing a path.
var ErrDamaged = errors.New("database damaged")

// restoreAdvice says how to get back to a good state. The -wal and -shm files must go
// too: a log left from the damaged file would be replayed onto the restored copy.
func restoreAdvice(path string) string {
	return fmt.Sprintf("请先停止机器人，把坏文件改名留存（mv %[1]s %[1]s.bad），删除 %[1]s-wal 和 %[1]s-shm，"+
		"再把最近的备份复制回来（cp 备份文件 %[1]s；备份来自 `bot backup` 或配置 backup.dir 里的定时备份），然后用 `bot check --db %[1]s` 确认 / "+
		"stop the bot, move the damaged file aside (mv %[1]s %[1]s.bad), delete %[1]s-wal and %[1]s-shm, copy the latest backup "+
		"into place (cp BACKUP %[1]s; backups come from `bot backup` or the scheduled ones in backup.dir), then confirm with `bot check --db %[1]s`", path)
}

func damaged(path, what string, cause error) error {
	msg := fmt.Sprintf("数据库 %s %s。%s", path, what, restoreAdvice(path))
	if cause != nil {
		return fmt.Errorf("%s: %w (%w)", msg, ErrDamaged, cause)
	}
	return fmt.Errorf("%s: %w", msg, ErrDamaged)
}

// ensureDatabaseFile makes sure path is either a plausible SQLite database or, when
// nothing is there yet, a freshly created empty one. It runs before SQLite sees the file.
func ensureDatabaseFile(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createEmptyDatabase(path)
	}
	if err != nil {
		return fmt.Errorf("无法读取数据库文件 %s / cannot stat database file: %w（请修改 storage.path 或 --db 到可写的位置）", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s 不是普通文件 / not a regular file（请修改 storage.path 或 --db）", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("无法写入数据库文件 %s / database file not writable: %w（请修改 storage.path 或 --db 到可写的位置）", path, err)
	}
	defer f.Close()
	return inspectHeader(path, f, fi.Size(), walSize(path))
}

// inspectHeader refuses an existing file that cannot be a whole SQLite database. A log
// (-wal) with frames may legitimately hold pages the main file does not have yet (a
// checkpoint cut short), so the length check is left to SQLite's own check then.
func inspectHeader(path string, f io.ReaderAt, size, wal int64) error {
	if size == 0 {
		if wal > 0 {
			return nil // everything is still in the log; SQLite and the quick check decide
		}
		return damaged(path, "是一个空文件（0 字节），不会当作新数据库使用 / is an empty (0-byte) file; it is not treated as a new database", nil)
	}
	var h [100]byte
	n, err := f.ReadAt(h[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("读取数据库文件 %s 失败 / read database header: %w", path, err)
	}
	if n < len(h) || !bytes.Equal(h[:16], sqliteMagic) {
		return damaged(path, "不是 SQLite 数据库（文件头不对），不会覆盖它 / is not an SQLite database (bad header); it is left untouched", nil)
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return damaged(path, "的文件头已损坏（页大小不对）/ has a damaged header (bad page size)", nil)
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	// The header's page count is valid only when written by the same change as the
	// counter (SQLite ≥ 3.7.0 keeps them together).
	countValid := binary.BigEndian.Uint32(h[24:28]) == binary.BigEndian.Uint32(h[92:96])
	if countValid && wal == 0 && size < pages*pageSize {
		return damaged(path, fmt.Sprintf("被截断了：只有 %d 字节，应有 %d 字节（复制或下载没有完成？）/ is truncated: %d of %d bytes (an unfinished copy or download?)",
			size, pages*pageSize, size, pages*pageSize), nil)
	}
	return nil
}

// walSize is the length of path's write-ahead log, 0 when there is none.
func walSize(path string) int64 {
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}

// createEmptyDatabase creates path as a valid, empty SQLite database in one step: it is
// built under a temporary name and linked into place, so a crash at any moment leaves
// either no file or a whole one — never an empty file that the next start would have to
// refuse. A file that appears at path meanwhile is never overwritten.
func createEmptyDatabase(path string) error {
	dir := filepath.Dir(path)
	tmpFile, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("无法写入数据库文件 %s / database file not writable: %w（请修改 storage.path 或 --db 到可写的位置）", path, err)
	}
	tmp := tmpFile.Name()
	tmpFile.Close()
	defer os.Remove(tmp)
	defer os.Remove(tmp + "-journal")
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("set mode of new database: %w", err)
	}
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: tmp}).EscapedPath()+"?_journal_mode=DELETE&_synchronous=FULL")
	if err != nil {
		return fmt.Errorf("create database %s: %w", path, err)
	}
	_, err = db.Exec(schemaTableDDL)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("无法创建数据库 %s / create database: %w（请修改 storage.path 或 --db 到可写的位置）", path, err)
	}
	f, err := os.Open(tmp)
	if err != nil {
		return fmt.Errorf("create database %s: %w", path, err)
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return fmt.Errorf("create database %s: sync: %w", path, err)
	}
	err = os.Link(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		return ensureDatabaseFile(path) // someone else created it: judge theirs
	}
	if err != nil {
		// A filesystem without hard links: rename, after looking that nothing appeared.
		if _, serr := os.Lstat(path); errors.Is(serr, fs.ErrNotExist) {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		return fmt.Errorf("无法创建数据库文件 %s / create database file: %w（请修改 storage.path 或 --db 到可写的位置）", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the new name durable; best effort
		d.Close()
	}
	return nil
}

// schemaTableDDL is the table migrate starts from; a new file is created holding it.
const schemaTableDDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`

// openFailed explains why SQLite could not open path: damage gets restore advice, anything
// else (permissions, a missing directory) the advice to fix the path.
func openFailed(path string, err error) error {
	if isCorrupt(err) {
		return damaged(path, "已损坏，无法打开 / is damaged and cannot be opened", err)
	}
	return fmt.Errorf("打开数据库 %s 失败 / open database: %w（请检查路径是否可写 / check the path is writable）", path, err)
}

func isCorrupt(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB
	}
	return false
}

// QuickCheck runs SQLite's quick_check (every page and record, O(size), without the
// index-content cross-check of integrity_check) and returns its complaints, none when ok.
func (s *Store) QuickCheck(ctx context.Context) ([]string, error) {
	s.txMu.Lock() // between units of work, never inside one (see Store)
	defer s.txMu.Unlock()
	return pragmaCheck(ctx, s.db, "quick_check")
}

func pragmaCheck(ctx context.Context, db *sql.DB, pragma string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "PRAGMA "+pragma)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pragma, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return out, fmt.Errorf("%s: %w", pragma, err)
		}
		if line != "ok" {
			out = append(out, line)
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("%s: %w", pragma, err)
	}
	return out, nil
}

// checkOnOpen refuses to run on a damaged file: Open calls it before migrating, so a
// damaged database is neither migrated nor written to.
func (s *Store) checkOnOpen(ctx context.Context) error {
	if s.path == ":memory:" {
		return nil
	}
	problems, err := pragmaCheck(ctx, s.db, "quick_check")
	if err != nil {
		if isCorrupt(err) || len(problems) > 0 {
			return damaged(s.path, "已损坏 / is damaged", err)
		}
		return fmt.Errorf("检查数据库 %s 失败 / check database: %w", s.path, err)
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("…（共 %d 条 / %d in all）", len(problems), len(problems)))
		}
		return damaged(s.path, "完整性检查失败 / failed its integrity check", errors.New(strings.Join(problems, "; ")))
	}
	return nil
}
