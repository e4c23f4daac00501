package storage

import (
	"context"
	"slices"
	"testing"
	"time"
)

func scheduleFixture(t *testing.T) (*Store, Group, Member, Member) {
	t.Helper()
	s, _ := openTemp(t)
	var g Group
	var a, b Member
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	err := s.Update(context.Background(), func(tx *Tx) error {
		var err error
		if g, err = tx.EnsureGroup("读书会", now); err != nil {
			return err
		}
		if a, err = tx.InsertMember(Member{GroupKey: g.Key, Nickname: "张三", FirstSeen: now}); err != nil {
			return err
		}
		b, err = tx.InsertMember(Member{GroupKey: g.Key, Nickname: "李四", FirstSeen: now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, g, a, b
}

func schedUpdate(t *testing.T, s *Store, fn func(tx *Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func TestPostRotationRoundTrip(t *testing.T) {
	s, _, _, _ := scheduleFixture(t)
	schedUpdate(t, s, func(tx *Tx) error {
		r, err := tx.PostRotation("post:读书会:早安")
		if err != nil || r.Position != 0 || r.Cycle != 0 || len(r.Used) != 0 {
			t.Fatalf("a post that never ran starts at zero: %+v, %v", r, err)
		}
		want := Rotation{Position: 3, Cycle: 2, Used: []string{"aa", "bb"}, Last: "bb"}
		if err := tx.SetPostRotation("post:读书会:早安", want); err != nil {
			return err
		}
		if err := tx.SetPostRotation("post:读书会:早安", want); err != nil { // upsert
			return err
		}
		got, err := tx.PostRotation("post:读书会:早安")
		if err != nil || got.Position != 3 || got.Cycle != 2 || len(got.Used) != 2 || got.Used[1] != "bb" || got.Last != "bb" {
			t.Fatalf("round trip: %+v, %v", got, err)
		}
		return nil
	})
}

func TestSilentStepsSetAndClear(t *testing.T) {
	s, g, a, b := scheduleFixture(t)
	since := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	schedUpdate(t, s, func(tx *Tx) error {
		if err := tx.SetSilentStep(g.Key, a.Key, 1, since, since.AddDate(0, 0, 7)); err != nil {
			return err
		}
		if err := tx.SetSilentStep(g.Key, a.Key, 2, since, since.AddDate(0, 0, 15)); err != nil {
			return err
		}
		if err := tx.SetSilentStep(g.Key, b.Key, 1, since, since.AddDate(0, 0, 7)); err != nil {
			return err
		}
		steps, err := tx.SilentSteps(g.Key)
		if err != nil || len(steps) != 2 || steps[a.Key].Step != 2 || !steps[a.Key].Since.Equal(since) {
			t.Fatalf("steps = %+v, %v", steps, err)
		}
		if err := tx.ClearSilentStep(a.Key); err != nil {
			return err
		}
		steps, err = tx.SilentSteps(g.Key)
		if err != nil || len(steps) != 1 {
			t.Fatalf("after clear: %+v, %v", steps, err)
		}
		return nil
	})
}

func TestScreeningLifecycle(t *testing.T) {
	s, g, a, b := scheduleFixture(t)
	join := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	sc := Screening{GroupKey: g.Key, JoinedAt: join, RemindAt: join.Add(5 * time.Minute), Deadline: join.Add(10 * time.Minute)}
	schedUpdate(t, s, func(tx *Tx) error {
		for _, m := range []Member{a, b} {
			sc.MemberKey = m.Key
			if err := tx.StartScreening(sc); err != nil {
				return err
			}
		}
		if err := tx.MarkScreeningPrompted(a.Key); err != nil {
			return err
		}
		if err := tx.MarkScreeningReminded(a.Key); err != nil {
			return err
		}
		got, ok, err := tx.PendingScreening(a.Key)
		if err != nil || !ok || !got.Prompted || !got.Reminded || !got.Deadline.Equal(sc.Deadline) {
			t.Fatalf("pending: %+v %v %v", got, ok, err)
		}
		if closed, err := tx.CloseScreening(a.Key, ScreeningPassed, join.Add(time.Minute)); err != nil || !closed {
			t.Fatalf("close: %v %v", closed, err)
		}
		if closed, err := tx.CloseScreening(a.Key, ScreeningLeft, join.Add(2*time.Minute)); err != nil || closed {
			t.Fatalf("closing twice changes nothing: %v %v", closed, err)
		}
		open, err := tx.PendingScreenings(0)
		if err != nil || len(open) != 1 || open[0].MemberKey != b.Key {
			t.Fatalf("open = %+v, %v", open, err)
		}
		// Rejoining starts afresh.
		sc.MemberKey, sc.JoinedAt, sc.Deadline = a.Key, join.Add(time.Hour), join.Add(time.Hour+10*time.Minute)
		if err := tx.StartScreening(sc); err != nil {
			return err
		}
		got, ok, err = tx.PendingScreening(a.Key)
		if err != nil || !ok || got.Prompted || got.Reminded || !got.JoinedAt.Equal(sc.JoinedAt) {
			t.Fatalf("restarted: %+v %v %v", got, ok, err)
		}
		later := join.Add(2 * time.Hour)
		if err := tx.RescheduleScreening(a.Key, later, later.Add(5*time.Minute), false); err != nil {
			return err
		}
		got, _, _ = tx.PendingScreening(a.Key)
		if !got.Deadline.Equal(later.Add(5 * time.Minute)) {
			t.Fatalf("rescheduled: %+v", got)
		}
		return nil
	})
}

func TestActionCountsAndViolations(t *testing.T) {
	s, g, a, b := scheduleFixture(t)
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	schedUpdate(t, s, func(tx *Tx) error {
		for _, e := range []AuditEntry{
			{Time: day.Add(time.Hour), Action: "join", MemberKey: a.Key},
			{Time: day.Add(2 * time.Hour), Action: "join", MemberKey: b.Key},
			{Time: day.Add(3 * time.Hour), Action: "leave", MemberKey: b.Key},
			{Time: day.Add(-time.Hour), Action: "join", MemberKey: b.Key}, // the day before
			{Time: day.Add(4 * time.Hour), Action: "warn", MemberKey: a.Key, Detail: map[string]any{"rule": "ads"}},
			{Time: day.Add(5 * time.Hour), Action: "mute", MemberKey: a.Key, Detail: map[string]any{"rule": "ads"}},
			{Time: day.Add(6 * time.Hour), Action: "warn", MemberKey: b.Key, Detail: map[string]any{"rule": "flood"}},
			{Time: day.Add(7 * time.Hour), Action: "remove", MemberKey: a.Key, Detail: map[string]any{"source": "silent"}},
			{Time: day.Add(25 * time.Hour), Action: "warn", MemberKey: a.Key, Detail: map[string]any{"rule": "ads"}},
		} {
			e.GroupKey = g.Key
			if _, err := tx.Audit(e); err != nil {
				return err
			}
		}
		// Another group's entries never count.
		if _, err := tx.Audit(AuditEntry{Time: day.Add(time.Hour), GroupKey: g.Key + 1, Action: "join"}); err != nil {
			return err
		}
		c, err := tx.CountActions(g.Key, day, day.AddDate(0, 0, 1), "join", "leave")
		if err != nil || c["join"] != 2 || c["leave"] != 1 {
			t.Fatalf("counts = %v, %v", c, err)
		}
		v, err := tx.Violations(g.Key, day, day.AddDate(0, 0, 1))
		if err != nil || len(v) != 2 || v[0] != (RuleCount{"ads", 2}) || v[1] != (RuleCount{"flood", 1}) {
			t.Fatalf("violations = %v, %v", v, err)
		}
		return nil
	})
}

func TestActiveMembers(t *testing.T) {
	s, g, a, b := scheduleFixture(t)
	schedUpdate(t, s, func(tx *Tx) error {
		for _, c := range []struct {
			m   int64
			day string
		}{{a.Key, "2026-11-20"}, {a.Key, "2026-11-21"}, {b.Key, "2026-11-21"}, {b.Key, "2026-11-25"}} {
			if err := tx.CountMessage(g.Key, c.m, c.day, true); err != nil {
				return err
			}
		}
		n, err := tx.ActiveMembers(g.Key, "2026-11-20", "2026-11-21")
		if err != nil || n != 2 {
			t.Fatalf("distinct active = %d, %v", n, err)
		}
		n, err = tx.ActiveMembers(g.Key, "2026-11-22", "2026-11-24")
		if err != nil || n != 0 {
			t.Fatalf("none in between: %d, %v", n, err)
		}
		return nil
	})
}

// TopActive ranks by valid messages, skips members who left (without counting them against
// the limit), and breaks ties by member key.
func TestTopActiveSkipsMembersWhoLeft(t *testing.T) {
	s, _ := openTemp(t)
	g, members := engageFixture(t, s, 5)
	update(t, s, func(tx *Tx) error {
		// members[0] 9 valid, [1] 8, [2] 7, [3] 7, [4] 0 valid (3 invalid)
		for i, n := range []int{9, 8, 7, 7, 3} {
			for range n {
				if err := tx.CountMessage(g, members[i], "2026-11-21", i != 4); err != nil {
					return err
				}
			}
		}
		_, err := tx.MarkLeft(members[0], engageT0)
		return err
	})
	update(t, s, func(tx *Tx) error {
		top, err := tx.TopActive(g, "2026-11-15", "2026-11-21", 2)
		want := []ActivityCount{{members[1], 8, 8}, {members[2], 7, 7}}
		if err != nil || !slices.Equal(top, want) {
			t.Errorf("top 2 = %+v, %v; want %+v (the leader left)", top, err, want)
		}
		top, err = tx.TopActive(g, "2026-11-15", "2026-11-21", 10)
		want = []ActivityCount{{members[1], 8, 8}, {members[2], 7, 7}, {members[3], 7, 7}}
		if err != nil || !slices.Equal(top, want) {
			t.Errorf("top 10 = %+v, %v; want %+v (nobody without a valid message)", top, err, want)
		}
		return nil
	})
}
