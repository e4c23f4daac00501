package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "qunbot.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestOpenTwiceIsNoOp(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	v1, err := s.Version(ctx)
	if err != nil || v1 != SchemaVersion() {
		t.Fatalf("version = %d, %v; want %d", v1, err, SchemaVersion())
	}
	s.Close()
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	var rows int
	if err := s2.DB().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(migrations) {
		t.Fatalf("schema_migrations has %d rows after reopen, want %d", rows, len(migrations))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	if _, err := s.DB().Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, 'future', 0)`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "newer than this build") || !strings.Contains(err.Error(), "升级") {
		t.Fatalf("want a clear 'newer schema' error, got %v", err)
	}
}

func TestFileIsPrivate(t *testing.T) {
	_, path := openTemp(t)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Fatalf("database mode = %o, want 600", mode)
	}
}

func TestUnwritablePathIsClearError(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A path "under" a regular file can never be created, even as root.
	_, err := Open(context.Background(), filepath.Join(blocker, "qunbot.db"))
	if err == nil || !strings.Contains(err.Error(), "storage.path") {
		t.Fatalf("want an error that says to fix storage.path, got %v", err)
	}
}

func TestNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("this is not sqlite ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	if err == nil {
		t.Fatal("opening a junk file must fail")
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "this is not sqlite") {
		t.Fatal("a failed open must not overwrite the file")
	}
}

func TestMembersAndWelcomeQueue(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	err := s.Update(ctx, func(tx *Tx) error {
		g, err := tx.EnsureGroup("读书会", now)
		if err != nil {
			return err
		}
		again, err := tx.EnsureGroup("读书会", now.Add(time.Hour))
		if err != nil || again.Key != g.Key || !again.FirstSeen.Equal(now) {
			t.Errorf("EnsureGroup twice = %+v, %v; want key %d first seen %v", again, err, g.Key, now)
		}
		a, err := tx.InsertMember(Member{GroupKey: g.Key, PlatformID: "u1", Nickname: "王五", FirstSeen: now, Welcomed: true})
		if err != nil {
			return err
		}
		if err := tx.MarkJoined(a.Key, now, false); err != nil {
			return err
		}
		pending, err := tx.Unwelcomed(g.Key, now.Add(-time.Hour))
		if err != nil || len(pending) != 1 || pending[0].Name() != "王五" {
			t.Errorf("Unwelcomed = %+v, %v", pending, err)
		}
		if err := tx.MarkWelcomed(g.Key); err != nil {
			return err
		}
		if pending, _ := tx.Unwelcomed(g.Key, now.Add(-time.Hour)); len(pending) != 0 {
			t.Errorf("still pending after MarkWelcomed: %+v", pending)
		}
		changed, err := tx.MarkLeft(a.Key, now.Add(time.Minute))
		if err != nil || !changed {
			t.Errorf("first leave: changed=%v err=%v", changed, err)
		}
		changed, err = tx.MarkLeft(a.Key, now.Add(2*time.Minute))
		if err != nil || changed {
			t.Errorf("second leave must be a no-op: changed=%v err=%v", changed, err)
		}
		m, err := tx.Member(a.Key)
		if err != nil || !m.LeftAt.Equal(now.Add(time.Minute)) {
			t.Errorf("left_at = %v, want the first leave time", m.LeftAt)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestProcessedDedupe(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.Now()
	s.Update(ctx, func(tx *Tx) error {
		fresh, err := tx.MarkProcessed(1, "m1", now)
		if err != nil || !fresh {
			t.Fatalf("first: fresh=%v err=%v", fresh, err)
		}
		fresh, err = tx.MarkProcessed(1, "m1", now)
		if err != nil || fresh {
			t.Fatalf("replay: fresh=%v err=%v", fresh, err)
		}
		fresh, _ = tx.MarkProcessed(2, "m1", now)
		if !fresh {
			t.Fatal("the same id in another group is another message")
		}
		return nil
	})
}

func TestSavepointUndoesOnlyItsWrites(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.Now()
	boom := errors.New("bad command")
	err := s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.EnsureGroup("kept", now); err != nil {
			return err
		}
		err := tx.Savepoint(func() error {
			if _, err := tx.EnsureGroup("undone", now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("savepoint returned %v, want the inner error", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx *Tx) error {
		groups, _ := tx.Groups()
		if len(groups) != 1 || groups[0].Name != "kept" {
			t.Errorf("groups = %+v, want only 'kept'", groups)
		}
		return nil
	})
}

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	var id int64
	s.Update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.Enqueue(OutMessage{Created: now, Kind: OutSend, GroupKey: 7, Text: "你好", Mentions: []int64{3, 4}})
		return err
	})
	s.Update(ctx, func(tx *Tx) error {
		p, err := tx.PendingOutbox(10)
		if err != nil || len(p) != 1 || p[0].ID != id || p[0].Text != "你好" || len(p[0].Mentions) != 2 {
			t.Fatalf("pending = %+v, %v", p, err)
		}
		if err := tx.MarkRetry(id, now.Add(time.Minute), "1205"); err != nil {
			return err
		}
		p, _ = tx.PendingOutbox(10)
		if len(p) != 1 || p[0].Attempts != 1 || !p[0].NextTry.Equal(now.Add(time.Minute)) {
			t.Fatalf("after retry: %+v", p)
		}
		if err := tx.MarkSent(id, now.Add(time.Minute)); err != nil {
			return err
		}
		p, _ = tx.PendingOutbox(10)
		if len(p) != 0 {
			t.Fatalf("sent message still pending: %+v", p)
		}
		return nil
	})
}

// PendingOutboxUpTo leaves later messages alone: the engine delivers an event's replies
// before a later event's, and must not read the whole queue after every event.
func TestPendingOutboxUpTo(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	var ids []int64
	s.Update(ctx, func(tx *Tx) error {
		for _, text := range []string{"一", "二", "三"} {
			id, err := tx.Enqueue(OutMessage{Created: now, Kind: OutSend, GroupKey: 7, Text: text})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return tx.MarkSent(ids[0], now)
	})
	s.View(ctx, func(tx *Tx) error {
		p, err := tx.PendingOutboxUpTo(ids[1], 10)
		if err != nil || len(p) != 1 || p[0].ID != ids[1] || p[0].Text != "二" {
			t.Fatalf("pending up to %d = %+v, %v; want only 二", ids[1], p, err)
		}
		p, err = tx.PendingOutbox(10)
		if err != nil || len(p) != 2 || p[0].Text != "二" || p[1].Text != "三" {
			t.Fatalf("pending = %+v, %v; want 二, 三", p, err)
		}
		return nil
	})
}

func TestAuditRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	s.Update(ctx, func(tx *Tx) error {
		_, err := tx.Audit(AuditEntry{Time: now, GroupKey: 1, MemberKey: 2, Action: "warn", Detail: map[string]any{"rule": "ads", "evidence": "加我'; DROP TABLE members;--"}})
		return err
	})
	s.View(ctx, func(tx *Tx) error {
		log, err := tx.AuditLog(1, 2, 10)
		if err != nil || len(log) != 1 {
			t.Fatalf("audit = %+v, %v", log, err)
		}
		e := log[0]
		if e.Action != "warn" || e.Actor != "bot" || e.Detail["evidence"] != "加我'; DROP TABLE members;--" || !e.Time.Equal(now) {
			t.Fatalf("audit entry = %+v", e)
		}
		if _, err := tx.GroupMembers(1); err != nil {
			t.Fatalf("members table must survive SQL in data: %v", err)
		}
		return nil
	})
}

func TestNestedSavepoints(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.Now()
	inner := errors.New("inner")
	s.Update(ctx, func(tx *Tx) error {
		return tx.Savepoint(func() error {
			tx.EnsureGroup("outer", now)
			if err := tx.Savepoint(func() error { tx.EnsureGroup("inner", now); return inner }); !errors.Is(err, inner) {
				t.Errorf("inner savepoint: %v", err)
			}
			return nil
		})
	})
	s.View(ctx, func(tx *Tx) error {
		groups, _ := tx.Groups()
		if len(groups) != 1 || groups[0].Name != "outer" {
			t.Errorf("only the inner savepoint is undone: %+v", groups)
		}
		return nil
	})
}

// A transaction that has begun finishes even if its context ends meanwhile: the loop's
// context ends on SIGINT while a batch is half done, and a graceful stop finishes it.
func TestTransactionOutlivesItsContext(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	err = s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.EnsureGroup("读书会", time.Unix(0, 0)); err != nil {
			return err
		}
		cancel() // the signal arrives mid-batch
		_, err := tx.EnsureGroup("跑步群", time.Unix(0, 0))
		return err
	})
	if err != nil {
		t.Fatalf("update after its context ended: %v", err)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM groups`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("groups committed: %d, %v; want both", n, err)
	}
	// A read under an ended context runs as well: the stop still reads what to flush.
	err = s.View(ctx, func(tx *Tx) error {
		gs, err := tx.Groups()
		if err == nil && len(gs) != 2 {
			err = fmt.Errorf("read %d groups", len(gs))
		}
		return err
	})
	if err != nil {
		t.Fatalf("view after its context ended: %v", err)
	}
}

// A unit of work ended by runtime.Goexit (t.Fatal inside it, in a test) is rolled back and
// leaves the connection free: the next one runs, and sees nothing of it.
func TestUpdateEndedByGoexitRollsBack(t *testing.T) {
	s, _ := openTemp(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Update(context.Background(), func(tx *Tx) error {
			if _, err := tx.EnsureGroup("读书会", time.Unix(0, 0)); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
	}()
	<-done
	err := s.Update(context.Background(), func(tx *Tx) error {
		gs, err := tx.Groups()
		if err == nil && len(gs) != 0 {
			err = fmt.Errorf("the abandoned transaction's group is there: %v", gs)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFindGroupByNameAndKey(t *testing.T) {
	s, _ := openTemp(t)
	err := s.Update(context.Background(), func(tx *Tx) error {
		made, err := tx.EnsureGroup("读书会", time.UnixMilli(1000))
		if err != nil {
			return err
		}
		if g, ok, err := tx.FindGroup("读书会"); err != nil || !ok || g != made {
			t.Errorf("FindGroup = %+v, %v, %v; want %+v", g, ok, err, made)
		}
		if g, ok, err := tx.GroupByKey(made.Key); err != nil || !ok || g != made {
			t.Errorf("GroupByKey = %+v, %v, %v; want %+v", g, ok, err, made)
		}
		if _, ok, err := tx.FindGroup("跑步群"); err != nil || ok {
			t.Errorf("FindGroup of an unknown group: ok %v, %v", ok, err)
		}
		if _, ok, err := tx.GroupByKey(made.Key + 1); err != nil || ok {
			t.Errorf("GroupByKey of an unknown key: ok %v, %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
