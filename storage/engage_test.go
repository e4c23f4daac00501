package storage

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

var engageT0 = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)

// engageFixture makes a group with n members and returns their keys.
func engageFixture(t testing.TB, s *Store, n int) (group int64, members []int64) {
	t.Helper()
	err := s.Update(context.Background(), func(tx *Tx) error {
		g, err := tx.EnsureGroup("读书会", engageT0)
		if err != nil {
			return err
		}
		group = g.Key
		for i := range n {
			m, err := tx.InsertMember(Member{GroupKey: g.Key, PlatformID: fmt.Sprint("m", i), Nickname: fmt.Sprint("成员", i), FirstSeen: engageT0})
			if err != nil {
				return err
			}
			members = append(members, m.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return group, members
}

func update(t testing.TB, s *Store, fn func(tx *Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func TestAddPointsSameRefPaysOnce(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	e := PointsEntry{GroupKey: g, MemberKey: m[0], Delta: 10, Reason: ReasonCheckin, Ref: "checkin:1:1:2026-11-21", Time: engageT0, Day: "2026-11-21"}
	for i, want := range []struct {
		balance int64
		applied bool
	}{{10, true}, {10, false}, {10, false}} {
		update(t, s, func(tx *Tx) error {
			b, applied, err := tx.AddPoints(e)
			if err != nil {
				return err
			}
			if b != want.balance || applied != want.applied {
				t.Errorf("call %d: balance %d applied %v, want %d %v", i+1, b, applied, want.balance, want.applied)
			}
			return nil
		})
	}
	update(t, s, func(tx *Tx) error {
		entries, err := tx.PointsEntries(m[0], 10)
		if len(entries) != 1 {
			t.Errorf("want one ledger entry, got %d", len(entries))
		}
		return err
	})
}

func TestBalanceNeverNegativeExceptByAdmin(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	entry := func(delta int64, reason, ref string) PointsEntry {
		return PointsEntry{GroupKey: g, MemberKey: m[0], Delta: delta, Reason: reason, Ref: ref, Time: engageT0, Day: "2026-11-21"}
	}
	tests := []struct {
		name    string
		e       PointsEntry
		err     error
		balance int64
	}{
		{"earn", entry(30, ReasonCheckin, "a"), nil, 30},
		{"redeem more than the balance", entry(-31, ReasonRedeem, "b"), ErrInsufficientPoints, 30},
		{"redeem exactly the balance", entry(-30, ReasonRedeem, "c"), nil, 0},
		{"message points cannot be negative either", entry(-1, ReasonMessage, "d"), ErrInsufficientPoints, 0},
		{"an admin may go below zero", entry(-5, ReasonAdmin, "e"), nil, -5},
	}
	for _, tc := range tests {
		update(t, s, func(tx *Tx) error {
			_, _, err := tx.AddPoints(tc.e)
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
			}
			b, err := tx.Balance(m[0])
			if b != tc.balance {
				t.Errorf("%s: balance = %d, want %d", tc.name, b, tc.balance)
			}
			return err
		})
	}
}

func TestLedgerIsAppendOnly(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	update(t, s, func(tx *Tx) error {
		_, _, err := tx.AddPoints(PointsEntry{GroupKey: g, MemberKey: m[0], Delta: 10, Reason: ReasonAdmin, Ref: "x", Time: engageT0, Day: "2026-11-21"})
		return err
	})
	for _, q := range []string{`UPDATE points_ledger SET delta = 1000`, `DELETE FROM points_ledger`} {
		if _, err := s.DB().Exec(q); err == nil {
			t.Errorf("%s must be refused", q)
		}
	}
	if _, err := s.DB().Exec(`INSERT INTO points_ledger(group_key, member_key, delta, reason, ref, time, day) VALUES (?,?,1,'bonus','y',0,'')`, g, m[0]); err == nil {
		t.Error("an unknown reason must be refused")
	}
}

// The balance table is derived by a trigger; whatever happens, it equals the sum of the
// entries.
func TestBalanceIsSumOfEntries(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 5)
	rng := rand.New(rand.NewPCG(1, 2))
	reasons := []string{ReasonCheckin, ReasonMessage, ReasonAdmin, ReasonRedeem, ReasonAward}
	for i := range 500 {
		update(t, s, func(tx *Tx) error {
			e := PointsEntry{GroupKey: g, MemberKey: m[rng.IntN(len(m))], Delta: rng.Int64N(41) - 20,
				Reason: reasons[rng.IntN(len(reasons))], Ref: fmt.Sprint("r", rng.IntN(400)), Time: engageT0.Add(time.Duration(i) * time.Minute), Day: "2026-11-21"}
			_, _, err := tx.AddPoints(e)
			if errors.Is(err, ErrInsufficientPoints) {
				return nil
			}
			return err
		})
	}
	if err := s.SettlePoints(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := s.DB().Query(`SELECT b.member_key, b.balance, (SELECT SUM(delta) FROM points_ledger l WHERE l.member_key = b.member_key) FROM points_balances b`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var k, bal, sum int64
		if err := rows.Scan(&k, &bal, &sum); err != nil {
			t.Fatal(err)
		}
		if bal != sum {
			t.Errorf("member %d: balance %d, ledger sum %d", k, bal, sum)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no balances written")
	}
	var negative int
	s.DB().QueryRow(`SELECT COUNT(*) FROM points_ledger l WHERE reason != 'admin' AND
		(SELECT SUM(delta) FROM points_ledger x WHERE x.member_key = l.member_key AND x.id <= l.id) < 0
		AND NOT EXISTS (SELECT 1 FROM points_ledger a WHERE a.member_key = l.member_key AND a.reason = 'admin' AND a.id < l.id)`).Scan(&negative)
	if negative != 0 {
		t.Errorf("%d non-admin entries took a balance below zero", negative)
	}
}

func TestPointsBoardAndRank(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 5)
	update(t, s, func(tx *Tx) error {
		for i, d := range []int64{50, 80, 50, 0, 100} {
			if d == 0 {
				continue
			}
			if _, _, err := tx.AddPoints(PointsEntry{GroupKey: g, MemberKey: m[i], Delta: d, Reason: ReasonAdmin, Ref: fmt.Sprint("p", i), Time: engageT0, Day: "2026-11-21"}); err != nil {
				return err
			}
		}
		_, err := tx.MarkLeft(m[4], engageT0) // the richest left: off the board
		return err
	})
	update(t, s, func(tx *Tx) error {
		top, err := tx.PointsTop(g, 10)
		if err != nil {
			return err
		}
		want := []Standing{{m[1], 80}, {m[0], 50}, {m[2], 50}}
		if fmt.Sprint(top) != fmt.Sprint(want) {
			t.Errorf("board = %v, want %v", top, want)
		}
		for i, wantRank := range []int{2, 1, 2, 4} {
			r, err := tx.PointsRank(g, m[i])
			if err != nil {
				return err
			}
			if r != wantRank {
				t.Errorf("member %d: rank %d, want %d", i, r, wantRank)
			}
		}
		return nil
	})
}

func TestPointsEarnedOnCountsOneDayAndReason(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	update(t, s, func(tx *Tx) error {
		for i, e := range []struct {
			day    string
			reason string
			delta  int64
		}{{"2026-11-21", ReasonMessage, 1}, {"2026-11-21", ReasonMessage, 1}, {"2026-11-21", ReasonCheckin, 10}, {"2026-11-22", ReasonMessage, 1}} {
			if _, _, err := tx.AddPoints(PointsEntry{GroupKey: g, MemberKey: m[0], Delta: e.delta, Reason: e.reason, Ref: fmt.Sprint("e", i), Time: engageT0, Day: e.day}); err != nil {
				return err
			}
		}
		n, err := tx.PointsEarnedOn(m[0], "2026-11-21", ReasonMessage)
		if n != 2 {
			t.Errorf("message points on 11-21 = %d, want 2", n)
		}
		return err
	})
}

func TestCheckinUniquePerDay(t *testing.T) {
	s, _ := openTemp(t)
	g, m := engageFixture(t, s, 1)
	c := Checkin{GroupKey: g, MemberKey: m[0], Day: "2026-11-21", Time: engageT0, Streak: 1, Points: 10}
	update(t, s, func(tx *Tx) error {
		for i, want := range []bool{true, false} {
			ok, err := tx.RecordCheckin(c)
			if err != nil {
				return err
			}
			if ok != want {
				t.Errorf("record %d: %v, want %v", i+1, ok, want)
			}
		}
		c2 := c
		c2.Day, c2.Streak = "2026-11-23", 1
		if _, err := tx.RecordCheckin(c2); err != nil {
			return err
		}
		if err := tx.MarkRepeatAnswered(m[0], "2026-11-21", engageT0.Add(time.Minute)); err != nil {
			return err
		}
		got, ok, err := tx.CheckinOn(m[0], "2026-11-21")
		if err != nil || !ok || got.Streak != 1 || !got.RepeatAnswered.Equal(engageT0.Add(time.Minute)) {
			t.Errorf("CheckinOn = %+v %v %v", got, ok, err)
		}
		prev, ok, err := tx.LastCheckinBefore(m[0], "2026-11-23")
		if err != nil || !ok || prev.Day != "2026-11-21" {
			t.Errorf("LastCheckinBefore = %+v %v %v", prev, ok, err)
		}
		for day, want := range map[string]string{"2026-11-20": "", "2026-11-22": "2026-11-21", "2026-11-23": "2026-11-23"} {
			latest, ok, err := tx.LatestCheckin(m[0], day)
			if err != nil || ok != (want != "") || latest.Day != want {
				t.Errorf("LatestCheckin(%s) = %+v %v %v, want %q", day, latest, ok, err, want)
			}
		}
		first, ok, err := tx.FirstCheckin(m[0])
		if err != nil || !ok || first.Day != "2026-11-21" {
			t.Errorf("FirstCheckin = %+v %v %v", first, ok, err)
		}
		list, err := tx.CheckinsBetween(m[0], "2026-11-20", "2026-11-30")
		if err != nil || len(list) != 2 {
			t.Errorf("CheckinsBetween = %v %v", list, err)
		}
		return nil
	})
}

func TestAutoReplyLast(t *testing.T) {
	s, _ := openTemp(t)
	g, _ := engageFixture(t, s, 0)
	update(t, s, func(tx *Tx) error {
		if at, err := tx.AutoReplyLast(g, "怎么报名"); err != nil || !at.IsZero() {
			t.Errorf("never answered: %v %v", at, err)
		}
		for _, at := range []time.Time{engageT0, engageT0.Add(time.Hour)} {
			if err := tx.SetAutoReplyLast(g, "怎么报名", at); err != nil {
				return err
			}
		}
		at, err := tx.AutoReplyLast(g, "怎么报名")
		if !at.Equal(engageT0.Add(time.Hour)) {
			t.Errorf("last = %v", at)
		}
		return err
	})
}

// benchStore opens a temp-file database (not :memory:, so WAL and the file system are in the
// measurement) with a group of n members.
func benchStore(b *testing.B, n int) (*Store, int64, []int64) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	g, m := engageFixture(b, s, n)
	return s, g, m
}

// BenchmarkCheckinWrite is one check-in as the engine writes it: its own transaction with
// the check-in row, the ledger entry (and its balance trigger), the rank and the audit entry.
func BenchmarkCheckinWrite(b *testing.B) { benchCheckins(b, 1) }

// BenchmarkCheckinWriteBatched is the same work as the engine does it under a morning rush:
// the live loop takes up to 64 waiting events into one transaction (each in a savepoint).
func BenchmarkCheckinWriteBatched(b *testing.B) { benchCheckins(b, 64) }

func benchCheckins(b *testing.B, perTx int) {
	s, g, m := benchStore(b, 1000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i += perTx {
		err := s.Update(ctx, func(tx *Tx) error {
			for j := i; j < min(i+perTx, b.N); j++ {
				if err := tx.Savepoint(func() error { return benchCheckin(tx, g, m, j) }); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checkins/s")
}

// benchCheckin is one 签到: the day's row, the ledger entry, the rank and the audit entry.
func benchCheckin(tx *Tx, g int64, m []int64, i int) error {
	member := m[i%len(m)]
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/len(m)).Format("2006-01-02")
	{
		{
			prev, _, err := tx.LatestCheckin(member, day)
			if err != nil || prev.Day == day {
				return fmt.Errorf("already: %v", err)
			}
			c := Checkin{GroupKey: g, MemberKey: member, Day: day, Time: engageT0, Streak: prev.Streak + 1, Points: 12}
			if _, err := tx.RecordCheckin(c); err != nil {
				return err
			}
			bal, _, err := tx.AddPoints(PointsEntry{GroupKey: g, MemberKey: member, Delta: 12, Reason: ReasonCheckin,
				Ref: fmt.Sprintf("checkin:%d:%d:%s", g, member, day), Time: engageT0, Day: day})
			if err != nil {
				return err
			}
			if _, err := tx.PointsRank(g, member); err != nil {
				return err
			}
			_, err = tx.Audit(AuditEntry{Time: engageT0, GroupKey: g, MemberKey: member, Action: "points",
				Detail: map[string]any{"delta": 12, "balance": bal, "reason": ReasonCheckin}})
			return err
		}
	}
}

// BenchmarkMessagePointsWrite is one message's points: the daily-cap sum, the ledger entry
// and the audit entry, in their own transaction.
func BenchmarkMessagePointsWrite(b *testing.B) {
	s, g, m := benchStore(b, 1000)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		member := m[i%len(m)]
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/(20*len(m))).Format("2006-01-02")
		err := s.Update(ctx, func(tx *Tx) error {
			earned, err := tx.PointsEarnedOn(member, day, ReasonMessage)
			if err != nil || earned >= 20 {
				return fmt.Errorf("cap: %d %v", earned, err)
			}
			bal, _, err := tx.AddPoints(PointsEntry{GroupKey: g, MemberKey: member, Delta: 1, Reason: ReasonMessage,
				Ref: fmt.Sprintf("msg:%d:%d", g, i), Time: engageT0, Day: day})
			if err != nil {
				return err
			}
			_, err = tx.Audit(AuditEntry{Time: engageT0, GroupKey: g, MemberKey: member, Action: "points",
				Detail: map[string]any{"delta": 1, "balance": bal, "reason": ReasonMessage}})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}
