package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// A checkpoint copies the write-ahead log back into the database file and syncs it. Left
// to SQLite it runs inside whichever commit crosses wal_autocheckpoint: on the event loop,
// which then stalls for the copy. The checkpointer runs it on its own connection and
// goroutine instead (on another core), after commits, at most every checkpointEvery; the
// loop only appends to the log. A passive checkpoint never waits for the writer, and the
// writer never waits for it. wal_autocheckpoint stays on the loop's connection as a safety
// net with a higher bound, for a checkpointer that falls behind. docs/PERFORMANCE.md ## load.
const checkpointEvery = 1000 * time.Millisecond

type checkpointer struct {
	db *sql.DB
	// due is when (Unix ns) the next checkpoint may run: until then a commit does not wake
	// the goroutine, which would only go back to sleep (a wake-up per commit cost ~6 µs,
	// 1.5% of the load benchmark).
	due  atomic.Int64
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// running is held while a background checkpoint runs, so that CheckpointAll can wait
	// for it instead of racing it for SQLite's checkpoint lock.
	running sync.Mutex
}

// startCheckpointer opens the checkpointer's connection; nil for an in-memory database.
func startCheckpointer(dsn string) *checkpointer {
	db := sql.OpenDB(connector{dsn: dsn, driver: &sqlite3.SQLiteDriver{}})
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// committed tells the checkpointer there is new log to copy (never blocks).
func (c *checkpointer) committed() {
	if c == nil || time.Now().UnixNano() < c.due.Load() {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	var last time.Time
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		if time.Since(last) < checkpointEvery {
			continue // the next commit wakes it again
		}
		last = time.Now()
		c.due.Store(last.Add(checkpointEvery).UnixNano())
		c.running.Lock()
		err := c.checkpoint(context.Background())
		c.running.Unlock()
		if err != nil {
			// Not fatal: the loop's own automatic checkpoint still bounds the log.
			slog.Warn("background checkpoint failed", "err", err)
		}
	}
}

// checkpoint copies as much of the log back as it can without waiting for anyone.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	var busy, frames, copied int
	if err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// close stops the goroutine and closes its connection.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		close(c.stop)
		<-c.done
		c.db.Close()
	})
}

// CheckpointAll copies the whole log into the database file and empties the log, after
// any background checkpoint in progress has finished (it holds SQLite's checkpoint lock,
// and a TRUNCATE checkpoint started meanwhile would only report busy). Afterwards every
// page's latest version is in the main file: what a test that damages the file on disk
// needs.
func (s *Store) CheckpointAll(ctx context.Context) error {
	if s.ckpt != nil {
		s.ckpt.running.Lock()
		defer s.ckpt.running.Unlock()
	}
	var busy, logPages, copied int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &copied); err != nil {
		return fmt.Errorf("checkpoint the whole log: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint the whole log: a reader still holds an older snapshot (%d of %d pages copied)", copied, logPages)
	}
	return nil
}
