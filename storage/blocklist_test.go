package storage

import (
	"context"
	"testing"
	"time"
)

// TestMigrationsIncrease: versions only increase. 18 is reserved for the classifier's
// branch (issue 21 was given 19), so a gap is allowed; a database at 17 gets 19, and the
// merge that brings 18 must come before any release.
func TestMigrationsIncrease(t *testing.T) {
	for i := 1; i < len(migrations); i++ {
		if migrations[i].version <= migrations[i-1].version {
			t.Fatalf("migration %d follows %d", migrations[i].version, migrations[i-1].version)
		}
	}
	if SchemaVersion() != migrations[len(migrations)-1].version {
		t.Fatalf("SchemaVersion = %d", SchemaVersion())
	}
	for _, m := range migrations {
		if m.version == 18 {
			t.Log("migration 18 present: the classifier's branch is merged")
		}
	}
}

func TestBlocklistStore(t *testing.T) {
	s, err := Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	err = s.Update(context.Background(), func(tx *Tx) error {
		g, err := tx.EnsureGroup("读书会", now)
		if err != nil {
			return err
		}
		m, err := tx.InsertMember(Member{GroupKey: g.Key, Nickname: "广告哥", FirstSeen: now})
		if err != nil {
			return err
		}
		b, created, err := tx.AddBlock(Block{GroupKey: g.Key, MemberKey: m.Key, Nickname: m.Nickname, Source: "command", Actor: "owner", AddedAt: now})
		if err != nil || !created {
			t.Fatalf("add: %v %v", created, err)
		}
		if _, again, err := tx.AddBlock(Block{GroupKey: g.Key, MemberKey: m.Key, Nickname: m.Nickname, Source: "command", Actor: "owner", AddedAt: now}); err != nil || again {
			t.Fatalf("second add created a second entry: %v %v", again, err)
		}
		if blocked, err := tx.Blocked(m.Key); err != nil || !blocked {
			t.Fatalf("listed member not blocked: %v", err)
		}
		other, err := tx.InsertMember(Member{GroupKey: g.Key, Nickname: "广告哥2", FirstSeen: now})
		if err != nil {
			return err
		}
		if err := tx.RecordBlockHit(other.Key, b.ID, now); err != nil {
			return err
		}
		if blocked, _ := tx.Blocked(other.Key); !blocked {
			t.Fatal("hit member not blocked")
		}
		if ok, err := tx.LiftBlock(b.ID, now, "owner"); err != nil || !ok {
			t.Fatalf("lift: %v %v", ok, err)
		}
		for _, k := range []int64{m.Key, other.Key} {
			if blocked, _ := tx.Blocked(k); blocked {
				t.Fatalf("member %d still blocked after lift", k)
			}
		}
		list, err := tx.ActiveBlocks()
		if err != nil || len(list) != 0 {
			t.Fatalf("active after lift: %v %v", list, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
