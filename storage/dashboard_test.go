package storage

import (
	"context"
	"testing"
	"time"
)

func TestDashboardQueries(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	t0 := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	var g, other Group
	var a, b Member
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		if g, err = tx.EnsureGroup("读书会", t0); err != nil {
			return err
		}
		if other, err = tx.EnsureGroup("别的群", t0); err != nil {
			return err
		}
		if a, err = tx.InsertMember(Member{GroupKey: g.Key, Nickname: "甲", FirstSeen: t0}); err != nil {
			return err
		}
		if b, err = tx.InsertMember(Member{GroupKey: g.Key, Nickname: "乙", DisplayName: "乙的群昵称", FirstSeen: t0}); err != nil {
			return err
		}
		for i, e := range []AuditEntry{
			{GroupKey: g.Key, MemberKey: a.Key, Action: "join", Detail: map[string]any{"name": "甲"}},
			{GroupKey: g.Key, MemberKey: a.Key, Action: "warn", Detail: map[string]any{"rule": "ads", "reason": "广告", "evidence": "加我微信"}},
			{GroupKey: g.Key, MemberKey: b.Key, Action: "remove_request", Detail: map[string]any{"source": "silent"}},
			{GroupKey: g.Key, Action: "report", Detail: map[string]any{"kind": "weekly"}}, // the owner's weekly report: not moderation
			{GroupKey: g.Key, MemberKey: b.Key, Action: "report", Detail: map[string]any{"reporter": 1}},
			{GroupKey: g.Key, MemberKey: b.Key, Action: "leave"},
			{GroupKey: g.Key, MemberKey: b.Key, Action: "points"},
			{GroupKey: other.Key, MemberKey: a.Key, Action: "mute"}, // another group
		} {
			e.Time = t0.Add(time.Duration(i) * time.Hour)
			if _, err := tx.Audit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx *Tx) error {
		log, err := tx.ModerationLog(g.Key, 10)
		if err != nil {
			return err
		}
		var actions []string
		for _, e := range log {
			actions = append(actions, e.Action)
		}
		if len(log) != 3 || actions[0] != "report" || actions[1] != "remove_request" || actions[2] != "warn" {
			t.Errorf("moderation log %v: want report, remove_request, warn (newest first)", actions)
		}
		if w := log[2]; w.MemberName() != "甲" || w.Detail["evidence"] != "加我微信" {
			t.Errorf("warn entry %+v", w)
		}
		if log[1].MemberName() != "乙的群昵称" {
			t.Errorf("display name first: %q", log[1].MemberName())
		}
		if log, _ := tx.ModerationLog(g.Key, 1); len(log) != 1 {
			t.Errorf("limit ignored: %d", len(log))
		}

		moves, err := tx.MemberMoves(g.Key, t0, t0.Add(24*time.Hour), 10)
		if err != nil {
			return err
		}
		if len(moves) != 2 || moves[0].Action != "leave" || moves[1].Action != "join" {
			t.Errorf("moves %+v", moves)
		}
		if moves, _ := tx.MemberMoves(g.Key, t0.Add(time.Hour), t0.Add(24*time.Hour), 10); len(moves) != 1 {
			t.Errorf("from is inclusive of later entries only: %d", len(moves))
		}
		times, err := tx.ActionTimes(g.Key, "join", t0, t0.Add(time.Hour))
		if err != nil || len(times) != 1 || !times[0].Equal(t0) {
			t.Errorf("join times %v, %v", times, err)
		}
		names, err := tx.Names([]int64{a.Key, b.Key, 999})
		if err != nil || len(names) != 2 || names[a.Key] != "甲" || names[b.Key] != "乙的群昵称" {
			t.Errorf("names %v, %v", names, err)
		}
		if names, err := tx.Names(nil); err != nil || len(names) != 0 {
			t.Errorf("no keys: %v, %v", names, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOutboxImage(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	png := []byte("\x89PNG fake")
	var id int64
	if err := s.Update(ctx, func(tx *Tx) error {
		var err error
		if _, err := tx.EnqueueImage(OutMessage{Created: now, Target: "filehelper", Text: "x.png"}, nil); err == nil {
			t.Error("an empty image must be refused")
		}
		id, err = tx.EnqueueImage(OutMessage{Created: now, Target: "filehelper", Text: "week.png"}, png)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(tx *Tx) error {
		p, err := tx.PendingOutbox(10)
		if err != nil || len(p) != 1 || p[0].Kind != OutDMImage || p[0].Text != "week.png" || p[0].Target != "filehelper" {
			t.Errorf("pending %+v, %v", p, err)
		}
		got, err := tx.OutboxImage(id)
		if err != nil || string(got) != string(png) {
			t.Errorf("image %q, %v", got, err)
		}
		if _, err := tx.OutboxImage(id + 1); err == nil {
			t.Error("a row without an image is an error")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
