package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Store is an open qunbot database.
//
// It has one connection, and its units of work (Update, View) take turns on it under txMu:
// each runs BEGIN, its statements and COMMIT through the pool as plain statements rather
// than through database/sql's Tx. A Tx of database/sql has a context that can always end,
// and under one every query starts a goroutine that waits for that end (and every
// transaction another), which cost ~10 µs a query in wake-ups between threads. The one
// connection keeps every statement of a unit of work inside its transaction; the rule that
// comes with it: a Tx method must close its rows before it runs another statement (a
// statement issued while rows are open would wait for the connection they hold).
type Store struct {
	db   *sql.DB
	path string
	txMu sync.Mutex // one unit of work at a time on the connection

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared once: re-preparing costs more than running

	hot *hotCache // what every message reads, kept between transactions (hot.go)
	// settleEvery: ledger entries past the settled mark that make a commit settle them
	// (settle.go).
	settleEvery int64
	// paid: this store has committed points entries, so Close settles them. A store that
	// only read (the crash harness's checker, `bot check`) leaves the file as it found it.
	paid   atomic.Bool
	ckpt   *checkpointer // copies the log back off the event loop; nil in memory (checkpoint.go)
	lock   *fileLock     // "<db>.lock", held until Close: one writer per file (lock.go)
	closed atomic.Bool   // Close has run
	// dataVersion is PRAGMA data_version as last seen: it moves when another connection
	// commits, and then the caches describe a database that is no longer there (lock.go).
	dataVersion int64
}

// Open opens (creating if needed) the database at path and migrates it to the current
// schema. ":memory:" gives a private in-memory database for tests.
func Open(ctx context.Context, path string) (*Store, error) {
	dsn, err := prepare(path)
	if err != nil {
		return nil, err
	}
	lock, err := acquireLock(path)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector{dsn: dsn, driver: &sqlite3.SQLiteDriver{ConnectHook: tune}})
	// One connection: SQLite serialises writers anyway, and a single connection makes
	// ":memory:" work and rules out SQLITE_BUSY between our own goroutines.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &Store{db: db, path: path, stmts: map[string]*sql.Stmt{}, hot: newHotCache(), settleEvery: settleEveryFromEnv(), lock: lock}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		lock.release()
		return nil, openFailed(path, err)
	}
	if err := s.checkOnOpen(ctx); err != nil { // a damaged file is refused (integrity.go)
		db.Close()
		lock.release()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		lock.release()
		return nil, err
	}
	if path != ":memory:" {
		s.ckpt = startCheckpointer(dsn)
	}
	return s, nil
}

// connector opens connections with the driver's DSN and then tune: settings the DSN
// cannot carry. (sql.Register would be process-wide state; a connector is the store's own.)
type connector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.driver }

// tune sets what the write path needs on every connection. Every message changes a few
// random pages (its sender's member row, counters, balance), and each commit appends every
// changed page to the write-ahead log; checkpoints copy the log back and sync. They run on
// the checkpointer's own connection (checkpoint.go); the automatic checkpoint on this one,
// at 40,000 pages (160 MB) instead of SQLite's 1,000, is only a safety net should that fall
// behind. journal_size_limit truncates the log when it restarts so it does not stay big. A
// 16 MB page cache holds the pages every batch touches for 100 groups × 500 members (the
// balances, member_spoke and today's activity: a few MB) and the rest of the working set; at
// 32 MB the load benchmark ran no faster and its peak RSS was 15 MB higher, with the
// 200 MB bar 15 MB away.
// Every event runs in a savepoint, and SQLite copies each page an open savepoint first
// changes into a sub-journal so it can roll back; temp_store = MEMORY keeps that copy in
// memory instead of a temporary file (each page was a write system call).
// See docs/PERFORMANCE.md ## load.
func tune(c *sqlite3.SQLiteConn) error {
	_, err := c.Exec(`PRAGMA wal_autocheckpoint = 40000; PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -16384;
		PRAGMA temp_store = MEMORY;`, nil)
	if err != nil {
		return fmt.Errorf("tune database connection: %w", err)
	}
	return nil
}

// prepare makes sure the directory exists and the file is private (0600: it holds member
// names and evidence), then builds the driver DSN.
func prepare(path string) (string, error) {
	if path == "" {
		return "", errors.New("数据库路径为空 / empty database path: set storage.path or --db")
	}
	if path == ":memory:" {
		return "file::memory:?_foreign_keys=on&_busy_timeout=5000", nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("无法创建数据目录 %s / cannot create data directory: %w（请修改 storage.path 或 --db 到可写的位置）", dir, err)
	}
	// An existing file must be a whole database; a new one is created whole (integrity.go).
	if err := ensureDatabaseFile(path); err != nil {
		return "", err
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode(), nil
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close closes the database and gives up its lock file. Closing again does nothing.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// A clean stop leaves the points it paid settled (settle.go); should that fail, the
	// ledger still has every entry and the next run sums the tail.
	var settleErr error
	if s.paid.Load() {
		settleErr = s.SettlePoints(context.Background())
	}
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = map[string]*sql.Stmt{}
	s.stmtMu.Unlock()
	s.ckpt.close()
	dbErr := s.db.Close()
	return errors.Join(settleErr, dbErr, s.lock.release())
}

// stmt returns the prepared statement for query, preparing it on first use (nil if it
// cannot be prepared: the caller runs the query unprepared and gets its error). Called
// inside a unit of work, between statements, when the connection is free.
func (s *Store) stmt(ctx context.Context, query string) *sql.Stmt {
	s.stmtMu.Lock()
	st, ok := s.stmts[query]
	s.stmtMu.Unlock()
	if ok {
		return st
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s.stmtMu.Lock()
	s.stmts[query] = st
	s.stmtMu.Unlock()
	return st
}

// DB exposes the handle for tests, to use between units of work: a statement run through
// it during one would run on the same connection, inside that unit's transaction.
func (s *Store) DB() *sql.DB { return s.db }

// Tx is one unit of work. All writes of one event go through one Tx.
type Tx struct {
	ctx context.Context
	s   *Store

	broken  error             // a SAVEPOINT failed: the transaction must not commit (savepoint.go)
	pending pendingWrites     // counters written just before commit (hot.go)
	undo    []func(*hotCache) // how to undo cache changes made in open savepoints
	// outsideSavepoints: the statements run now write rows no open savepoint may undo
	// (flushSettled), so they issue no SAVEPOINT.
	outsideSavepoints bool
	// wroteLedger: a points entry was written, so the commit checks whether to settle.
	wroteLedger bool
}

// Update runs fn in a write transaction: committed if fn returns nil, rolled back otherwise.
//
// A transaction that has begun runs to its end even if ctx ends meanwhile (see detach).
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) (err error) {
	ctx = detach(ctx)
	s.txMu.Lock()
	defer s.txMu.Unlock()
	if _, err := s.db.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	s.checkDataVersion(ctx)
	// Whatever ends the transaction early (an error, a failed commit, a panic, or
	// runtime.Goexit from a test's t.Fatal) rolls it back, and drops the cache, which
	// described the rolled-back state, before the next unit of work can read it.
	committed := false
	defer func() {
		if !committed {
			s.hot.reset()
			// After a failed COMMIT SQLite may keep the transaction open; a ROLLBACK
			// ends it either way.
			s.db.ExecContext(ctx, "ROLLBACK")
		}
	}()
	tx := &Tx{ctx: ctx, s: s}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.flushPending(); err != nil {
		return err
	}
	if tx.broken != nil {
		return tx.broken
	}
	if tx.wroteLedger {
		if err := tx.settlePoints(s.settleEvery); err != nil {
			return err
		}
	}
	if _, err := s.db.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	committed = true
	if tx.wroteLedger {
		s.paid.Store(true)
	}
	s.ckpt.committed()
	return nil
}

// View runs fn in a transaction that is always rolled back: reads see one snapshot.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	ctx = detach(ctx)
	s.txMu.Lock()
	defer s.txMu.Unlock()
	if _, err := s.db.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("begin read transaction: %w", err)
	}
	defer s.db.ExecContext(ctx, "ROLLBACK")
	s.checkDataVersion(ctx)
	return fn(&Tx{ctx: ctx, s: s})
}

// checkDataVersion drops every cache when another connection has committed since this
// store last looked (a sqlite3 shell, a restore: lock.go), inside the transaction just
// begun, so what is read again is what this transaction sees. Should the pragma fail, the
// caches are dropped too: not knowing is treated as changed.
func (s *Store) checkDataVersion(ctx context.Context) {
	var v int64
	row := s.db.QueryRowContext
	if st := s.stmt(ctx, "PRAGMA data_version"); st != nil {
		row = func(ctx context.Context, q string, args ...any) *sql.Row { return st.QueryRowContext(ctx, args...) }
	}
	if err := row(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		v = -1
	}
	if v == s.dataVersion && v != -1 {
		return
	}
	if s.dataVersion != 0 {
		s.hot.forget()
	}
	s.dataVersion = v
}

// detach keeps ctx's values but not its end, for a transaction and its statements. The
// loop's context ends on SIGINT/SIGTERM while a batch may be half done, and a graceful stop
// means finishing the events already taken, not abandoning their transaction midway. It
// is also faster: the SQLite driver runs every statement under a context that can end on
// a goroutine of its own, so it can interrupt it, and the load benchmark ran ~15% slower
// so (docs/PERFORMANCE.md ## load).
func detach(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// Statements are prepared once per store and run on the one connection.
func (t *Tx) stmt(query string) *sql.Stmt { return t.s.stmt(t.ctx, query) }

func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	t.openSavepoints(query)
	return t.execRaw(query, args...)
}

// execRaw runs a statement without opening deferred savepoints: the savepoint statements.
func (t *Tx) execRaw(query string, args ...any) (sql.Result, error) {
	if st := t.stmt(query); st != nil {
		return st.ExecContext(t.ctx, args...)
	}
	return t.s.db.ExecContext(t.ctx, query, args...)
}

func (t *Tx) queryRow(query string, args ...any) *sql.Row {
	t.openSavepoints(query)
	if st := t.stmt(query); st != nil {
		return st.QueryRowContext(t.ctx, args...)
	}
	return t.s.db.QueryRowContext(t.ctx, query, args...)
}

func (t *Tx) query(query string, args ...any) (*sql.Rows, error) {
	t.openSavepoints(query)
	if st := t.stmt(query); st != nil {
		return st.QueryContext(t.ctx, args...)
	}
	return t.s.db.QueryContext(t.ctx, query, args...)
}

// ms stores times as Unix milliseconds: sortable, zone-free, exact.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

func toNullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}
