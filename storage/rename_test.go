package storage

import (
	"context"
	"testing"
	"time"
)

func TestRenameGroupKeepsKeyAndRefusesTakenName(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	err = s.Update(ctx, func(tx *Tx) error {
		g, err := tx.EnsureGroup("读书会", now)
		if err != nil {
			return err
		}
		if _, err := tx.EnsureGroup("跑步群", now); err != nil {
			return err
		}
		if err := tx.RenameGroup(g.Key, "读书会2"); err != nil {
			t.Fatalf("rename: %v", err)
		}
		got, ok, err := tx.FindGroup("读书会2")
		if err != nil || !ok || got.Key != g.Key || !got.FirstSeen.Equal(g.FirstSeen) {
			t.Errorf("after rename: %+v %v %v, want key %d", got, ok, err, g.Key)
		}
		if _, ok, _ := tx.FindGroup("读书会"); ok {
			t.Error("the old name still finds the group")
		}
		if err := tx.RenameGroup(g.Key, "跑步群"); err == nil {
			t.Error("renaming onto another group's name must fail, not merge")
		}
		if err := tx.RenameGroup(9999, "x"); err == nil {
			t.Error("renaming an unknown group must fail")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
