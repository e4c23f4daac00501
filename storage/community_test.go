package storage

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Migration 15 rebuilds the ledger to admit the new reasons: every entry keeps its id (the
// settled mark counts by id), balances are unchanged, the table stays append-only, and a
// reason outside the list is still refused.
func TestMigrationKeepsLedgerAndAddsReasons(t *testing.T) {
	raw, upgrade := databaseAtVersion(t, 14)
	if _, err := raw.Exec(`INSERT INTO groups(key, name, first_seen) VALUES (1, '读书会', 0);
		INSERT INTO members(key, group_key, nickname, first_seen) VALUES (7, 1, '张三', 0), (8, 1, '李四', 0);
		INSERT INTO points_ledger(id, group_key, member_key, delta, reason, ref, time, day) VALUES
			(1, 1, 7, 10, 'checkin', 'c1', 0, '2026-11-20'), (5, 1, 7, 1, 'message', 'm1', 0, '2026-11-20'),
			(9, 1, 8, -3, 'admin', 'a1', 0, '2026-11-20');
		UPDATE points_settled SET through = 5;
		INSERT INTO points_balances(member_key, group_key, balance) VALUES (7, 1, 11)`); err != nil {
		t.Fatal(err)
	}
	s := upgrade()
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM points_ledger WHERE id IN (1, 5, 9)`); n != 3 {
		t.Fatalf("entries kept by id: %d of 3", n)
	}
	update(t, s, func(tx *Tx) error {
		for key, want := range map[int64]int64{7: 11, 8: -3} {
			if b, err := tx.Balance(key); err != nil || b != want {
				t.Errorf("member %d balance %d, %v; want %d", key, b, err, want)
			}
		}
		for _, reason := range []string{ReasonGift, ReasonNewcomer, ReasonInvite, ReasonThanks, ReasonLottery, ReasonVote, ReasonSignup} {
			if _, applied, err := tx.AddPoints(PointsEntry{GroupKey: 1, MemberKey: 7, Delta: 1, Reason: reason, Ref: "r:" + reason,
				Time: engageT0, Day: "2026-11-21"}); err != nil || !applied {
				t.Errorf("reason %s: applied %v, %v", reason, applied, err)
			}
		}
		if _, _, err := tx.AddPoints(PointsEntry{GroupKey: 1, MemberKey: 7, Delta: 1, Reason: "bogus", Ref: "r:bogus", Time: engageT0, Day: "2026-11-21"}); err == nil {
			t.Error("a reason outside the list must be refused")
		}
		return nil
	})
	for _, stmt := range []string{`UPDATE points_ledger SET delta = 100 WHERE id = 1`, `DELETE FROM points_ledger WHERE id = 1`} {
		if _, err := s.DB().Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want the append-only refusal", stmt, err)
		}
	}
	if n := sqlInt(t, s, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'points_ledger_by_day'`); n != 1 {
		t.Error("the by-day index (the daily cap's query) is gone")
	}
}

// A take-back may leave a balance below zero (the points were spent meanwhile); any other
// debit other than an admin's still may not.
func TestAllowNegativeIsForTakeBacks(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	update(t, s, func(tx *Tx) error {
		_, _, err := tx.AddPoints(PointsEntry{GroupKey: g, MemberKey: m[0], Delta: -5, Reason: ReasonLottery, Ref: "l", Time: engageT0, Day: "2026-11-21"})
		if !errors.Is(err, ErrInsufficientPoints) {
			t.Errorf("a lottery entry without points: %v, want ErrInsufficientPoints", err)
		}
		b, applied, err := tx.AddPoints(PointsEntry{GroupKey: g, MemberKey: m[0], Delta: -10, Reason: ReasonInvite, Ref: "back",
			Time: engageT0, Day: "2026-11-21", AllowNegative: true})
		if err != nil || !applied || b != -10 {
			t.Errorf("take-back: balance %d applied %v, %v; want -10", b, applied, err)
		}
		return nil
	})
}

func TestOnceOnlyRows(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 3)
	update(t, s, func(tx *Tx) error {
		n := Newcomer{MemberKey: m[0], GroupKey: g, Started: engageT0, Deadline: engageT0.Add(72 * time.Hour)}
		if added, err := tx.StartNewcomer(n); err != nil || !added {
			t.Fatalf("start: %v %v", added, err)
		}
		n.Deadline = engageT0.Add(999 * time.Hour)
		if added, _ := tx.StartNewcomer(n); added {
			t.Error("a second join must not restart the tasks")
		}
		got, ok, err := tx.NewcomerOf(m[0])
		if err != nil || !ok || !got.Deadline.Equal(engageT0.Add(72*time.Hour)) {
			t.Errorf("tasks: %+v %v %v", got, ok, err)
		}
		inv := Invite{InviteeKey: m[1], GroupKey: g, InviterKey: m[0], At: engageT0, Day: "2026-11-21", Points: 10}
		if added, err := tx.RecordInvite(inv); err != nil || !added {
			t.Fatalf("invite: %v %v", added, err)
		}
		inv.InviterKey = m[2]
		if added, _ := tx.RecordInvite(inv); added {
			t.Error("an invitee is recorded once, by their first inviter")
		}
		if n, _ := tx.PaidInvitesOn(m[0], "2026-11-21"); n != 1 {
			t.Errorf("paid invites %d, want 1", n)
		}
		if added, _ := tx.AddThanks(g, m[0], m[1], "2026-11-21", engageT0); !added {
			t.Error("first thanks")
		}
		if added, _ := tx.AddThanks(g, m[0], m[1], "2026-11-21", engageT0); added {
			t.Error("the same thanks twice a day")
		}
		if fresh, _ := tx.Notice("k", engageT0); !fresh {
			t.Error("first notice")
		}
		if fresh, _ := tx.Notice("k", engageT0); fresh {
			t.Error("a notice is given once")
		}
		if err := tx.ForgetNotice("k"); err != nil {
			t.Fatal(err)
		}
		if fresh, _ := tx.Notice("k", engageT0); !fresh {
			t.Error("a forgotten notice can be given again")
		}
		return nil
	})
}

// An activity's ending happens once: closing moves the status only from open.
func TestActivitiesCloseOnce(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 2)
	update(t, s, func(tx *Tx) error {
		id, err := tx.CreateLottery(Lottery{GroupKey: g, StarterKey: m[0], Prize: "书", Cost: 5, Winners: 1, Created: engageT0,
			Deadline: engageT0.Add(time.Hour), Seed: "00"})
		if err != nil {
			return err
		}
		if added, _ := tx.EnterLottery(id, m[1], engageT0); !added {
			t.Error("enter")
		}
		if added, _ := tx.EnterLottery(id, m[1], engageT0); added {
			t.Error("enter twice")
		}
		if closed, _ := tx.CloseLottery(id, StatusDrawn, `{}`, engageT0); !closed {
			t.Error("draw")
		}
		if closed, _ := tx.CloseLottery(id, StatusCancelled, "", engageT0); closed {
			t.Error("a drawn lottery cannot be closed again")
		}
		if open, _ := tx.OpenLotteries(g); len(open) != 0 {
			t.Errorf("open lotteries after the draw: %v", open)
		}
		pid, err := tx.CreatePoll(Poll{GroupKey: g, StarterKey: m[0], Title: "去哪", Options: []string{"甲", "乙"}, Created: engageT0, Deadline: engageT0.Add(time.Hour)})
		if err != nil {
			return err
		}
		if added, _, _ := tx.CastVote(pid, m[1], 1, engageT0); !added {
			t.Error("vote")
		}
		if added, prev, _ := tx.CastVote(pid, m[1], 0, engageT0); added || prev != 1 {
			t.Errorf("second vote: added %v previous %d", added, prev)
		}
		counts, total, err := tx.PollTally(pid, 2)
		if err != nil || total != 1 || counts[1] != 1 {
			t.Errorf("tally %v %d %v", counts, total, err)
		}
		cid, err := tx.CreateChain(Chain{GroupKey: g, StarterKey: m[0], Title: "爬山", MaxEntries: 5, Created: engageT0})
		if err != nil {
			return err
		}
		if added, _ := tx.AddChainEntry(cid, m[0], "张三", engageT0); !added {
			t.Error("sign up")
		}
		if added, _ := tx.AddChainEntry(cid, m[0], "张三", engageT0); added {
			t.Error("sign up twice")
		}
		c, _, _ := tx.ChainByID(cid)
		if c.Version != 1 || c.PostedVersion != 0 {
			t.Errorf("version %d posted %d, want 1 0", c.Version, c.PostedVersion)
		}
		if closed, _ := tx.CloseChain(cid, engageT0); !closed {
			t.Error("close chain")
		}
		if closed, _ := tx.CloseChain(cid, engageT0); closed {
			t.Error("close chain twice")
		}
		return nil
	})
}

// A post held back by the cap is never pending again, is not counted as sent, and is
// listed for the reports; answers (no class) are not counted as posts.
func TestHeldPosts(t *testing.T) {
	s, _ := openTemp(t)
	g, _ := engageFixture(t, s, 1)
	day := engageT0
	update(t, s, func(tx *Tx) error {
		var ids []int64
		for _, m := range []OutMessage{
			{Created: day, Kind: OutSend, GroupKey: g, Text: "早", Class: ClassPost},
			{Created: day, Kind: OutSend, GroupKey: g, Text: "回答"},
			{Created: day, Kind: OutSend, GroupKey: g, Text: "晚", Class: ClassPost},
		} {
			id, err := tx.Enqueue(m)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		pending, err := tx.PendingOutbox(10)
		if err != nil || len(pending) != 3 || pending[0].Class != ClassPost || pending[1].Class != "" {
			t.Fatalf("pending: %+v %v", pending, err)
		}
		tx.MarkSent(ids[0], day.Add(time.Hour))
		tx.MarkSent(ids[1], day.Add(time.Hour))
		if err := tx.HoldOutbox(ids[2], day.Add(2*time.Hour)); err != nil {
			return err
		}
		if n, _ := tx.PostsSent(g, day, day.Add(24*time.Hour)); n != 1 {
			t.Errorf("posts sent %d, want 1 (the answer is not a post, the held one was not sent)", n)
		}
		if p, _ := tx.PendingOutbox(10); len(p) != 0 {
			t.Errorf("a held post is still pending: %+v", p)
		}
		held, err := tx.HeldPosts(g, day, day.Add(24*time.Hour))
		if err != nil || len(held) != 1 || held[0] != "晚" {
			t.Errorf("held: %v %v", held, err)
		}
		return nil
	})
}

// BenchmarkMigrateLedger times migration 15 (the ledger rebuilt for the new reasons) on a
// ledger of a million entries, the size of about a year of a busy bot.
func BenchmarkMigrateLedger(b *testing.B) {
	const entries = 1_000_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "v14.db")
		raw, err := sql.Open("sqlite3", path)
		if err != nil {
			b.Fatal(err)
		}
		old := &Store{db: raw, path: path}
		if _, err := raw.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		for _, m := range migrations[:14] {
			if err := old.apply(context.Background(), m); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := raw.Exec(`INSERT INTO groups(key, name, first_seen) VALUES (1, '读书会', 0);
			INSERT INTO members(key, group_key, nickname, first_seen) VALUES (1, 1, '张三', 0);
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO points_ledger(group_key, member_key, delta, reason, ref, time, day)
				SELECT 1, 1, 1, 'message', 'm:' || i, i, '2026-11-21' FROM n`, entries); err != nil {
			b.Fatal(err)
		}
		raw.Close()
		b.StartTimer()
		s, err := Open(context.Background(), path)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		var n int
		if err := s.DB().QueryRow(`SELECT COUNT(*) FROM points_ledger`).Scan(&n); err != nil || n != entries {
			b.Fatalf("%d entries after the migration, %v", n, err)
		}
		s.Close()
	}
}
