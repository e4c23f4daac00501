package storage

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestPruneAuditAndProcessed(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	day0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if err := s.Update(ctx, func(tx *Tx) error {
		for d := 0; d < 10; d++ {
			at := day0.AddDate(0, 0, d)
			for i := 0; i < 3; i++ {
				if _, err := tx.Audit(AuditEntry{Time: at, Action: "test", Detail: map[string]any{"d": d}}); err != nil {
					return err
				}
				if _, err := tx.MarkProcessed(1, fmt.Sprintf("m%d-%d", d, i), at); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cut := day0.AddDate(0, 0, 4) // days 0–3 are older
	var got []int64
	for {
		var a, p int64
		if err := s.Update(ctx, func(tx *Tx) error {
			var err error
			if a, err = tx.PruneAudit(cut, 5); err != nil {
				return err
			}
			p, err = tx.PruneProcessed(cut, 5)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got = append(got, a, p)
		if a < 5 && p < 5 {
			break
		}
	}
	// 12 old rows each, 5 per chunk: 5, 5, 2.
	if fmt.Sprint(got) != "[5 5 5 5 2 2]" {
		t.Fatalf("chunks deleted %v, want [5 5 5 5 2 2]", got)
	}
	var audits, processed int
	s.DB().QueryRow(`SELECT COUNT(*) FROM audit WHERE time < ?`, ms(cut)).Scan(&audits)
	s.DB().QueryRow(`SELECT COUNT(*) FROM processed`).Scan(&processed)
	if audits != 0 || processed != 18 {
		t.Fatalf("after pruning: %d old audit entries (want 0), %d processed ids (want 18)", audits, processed)
	}
	// A pruned id is fresh again: exactly what the retention trades for a bounded table.
	s.Update(ctx, func(tx *Tx) error {
		fresh, err := tx.MarkProcessed(1, "m0-0", day0)
		if err != nil || !fresh {
			t.Errorf("pruned id should be new again: %v %v", fresh, err)
		}
		fresh, err = tx.MarkProcessed(1, "m9-0", day0)
		if err != nil || fresh {
			t.Errorf("kept id must still be known: %v %v", fresh, err)
		}
		return nil
	})
}
