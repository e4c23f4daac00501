package storage

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// One writer per database file. The caches (hot.go) describe the database as this process
// last wrote it; a second process writing the same file behind them would be overwritten
// by them (a cached balance of 10 spent once in each process leaves -10 in the ledger).
// So Open takes an exclusive lock on "<db>.lock" beside the file and holds it until Close
// (or until the process dies: the kernel drops a flock with its last descriptor, so a
// killed bot leaves no stale lock to clear by hand). The holder's PID is written into the
// file so the second process can say who holds it.
//
// A writer that does not take the lock (a person's sqlite3 shell, a restore) is caught by
// PRAGMA data_version at each unit of work instead (dataVersionChanged, store.go): the
// caches are dropped and read again.

// ErrLocked is returned (wrapped) by Open when another process holds the database.
var ErrLocked = errors.New("数据库正被另一个进程使用 / database is in use by another process")

// fileLock is a held "<db>.lock"; nil for an in-memory database.
type fileLock struct {
	f *os.File
}

// lockPath is the lock file of the database at path.
func lockPath(path string) string { return path + ".lock" }

// acquireLock takes the database's lock file without waiting, or says who holds it.
func acquireLock(path string) (*fileLock, error) {
	if path == ":memory:" {
		return nil, nil
	}
	lp := lockPath(path)
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("无法创建锁文件 %s / cannot create lock file: %w", lp, err)
	}
	if err := flock(f); err != nil {
		holder := readHolder(f)
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w：%s 已由进程 %s 打开，同一个数据库只能有一个 bot 在写（请先停掉那个进程，或给 --db 另一个文件）/ %s is already open in process %s; only one bot may write a database (stop that process, or give --db another file): %w",
				ErrLocked, path, holder, path, holder, err)
		}
		return nil, fmt.Errorf("无法锁定数据库 %s / lock database: %w", path, err)
	}
	// Ours now: say so for the next one to ask.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &fileLock{f: f}, nil
}

// readHolder is the PID written in a held lock file, or "?" if it cannot be read.
func readHolder(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	if pid := strings.TrimSpace(string(b[:n])); pid != "" {
		return pid
	}
	return "?"
}

// release gives the lock up. The file stays: removing it would let a third process lock a
// new file while a second still waits on the old one.
func (l *fileLock) release() error {
	if l == nil {
		return nil
	}
	return l.f.Close() // closing the last descriptor drops the flock
}
