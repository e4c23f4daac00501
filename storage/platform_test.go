package storage

import (
	"context"
	"testing"
	"time"
)

func TestGroupsByPlatformID(t *testing.T) {
	s, _ := openTemp(t)
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	err := s.Update(context.Background(), func(tx *Tx) error {
		old, err := tx.EnsureGroup("读书会", now) // seen before ids were kept
		if err != nil {
			return err
		}
		tests := []struct {
			id, name    string
			wantKey     int64 // 0: a new group
			wantName    string
			wantRenamed bool
		}{
			{"100", "读书会", old.Key, "读书会", false},      // adopts the group of that name
			{"100", "读书会", old.Key, "读书会", false},      // found by id
			{"100", "读书会·二期", old.Key, "读书会·二期", true}, // renamed: same key
			{"200", "读书会·二期", 0, "读书会·二期（200）", false}, // another group with the name
			{"100", "读书会", old.Key, "读书会", true},       // renamed back
			{"300", "", 0, "300", false},               // no name known: the number
		}
		for _, tt := range tests {
			g, renamed, err := tx.EnsureGroupByPlatformID(tt.id, tt.name, now)
			if err != nil {
				return err
			}
			if (tt.wantKey != 0 && g.Key != tt.wantKey) || (tt.wantKey == 0 && g.Key == old.Key) || g.Name != tt.wantName || renamed != tt.wantRenamed {
				t.Errorf("EnsureGroupByPlatformID(%s, %s) = %+v renamed=%v; want key %d name %s renamed=%v",
					tt.id, tt.name, g, renamed, tt.wantKey, tt.wantName, tt.wantRenamed)
			}
		}
		ids, err := tx.GroupPlatformIDs()
		if err != nil || ids[old.Key] != "100" || len(ids) != 3 {
			t.Errorf("platform ids: %v %v", ids, err)
		}
		if id, err := tx.GroupPlatformID(old.Key); err != nil || id != "100" {
			t.Errorf("GroupPlatformID: %q %v", id, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPlatformRolesAndNotices(t *testing.T) {
	s, _ := openTemp(t)
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	err := s.Update(context.Background(), func(tx *Tx) error {
		g, _, err := tx.EnsureGroupByPlatformID("100", "读书会", now)
		if err != nil {
			return err
		}
		m, err := tx.InsertMember(Member{GroupKey: g.Key, PlatformID: "9001", Nickname: "张三", FirstSeen: now})
		if err != nil {
			return err
		}
		for _, tt := range []struct{ set, want string }{{"admin", "admin"}, {"owner", "owner"}, {"member", ""}, {"", ""}} {
			if err := tx.SetPlatformRole(m.Key, tt.set); err != nil {
				return err
			}
			if got, err := tx.PlatformRole(m.Key); err != nil || got != tt.want {
				t.Errorf("after SetPlatformRole(%q): %q %v", tt.set, got, err)
			}
		}
		for i, want := range []bool{true, false} {
			if first, err := tx.NoticeOnce(g.Key, "caps:not_admin", now); err != nil || first != want {
				t.Errorf("NoticeOnce #%d = %v %v", i, first, err)
			}
		}
		if first, _ := tx.NoticeOnce(g.Key, "protected:7", now); !first {
			t.Error("another kind is its own notice")
		}
		if n, err := tx.ClearNotices(g.Key, "caps:"); err != nil || n != 1 {
			t.Errorf("ClearNotices: %d %v", n, err)
		}
		if first, _ := tx.NoticeOnce(g.Key, "caps:not_admin", now); !first {
			t.Error("a cleared notice is told again")
		}
		if first, _ := tx.NoticeOnce(g.Key, "protected:7", now); first {
			t.Error("other kinds stay")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
