package moderate

import (
	"context"
	"path/filepath"
	"testing"

	"qunbot/storage"
)

// What the owner taught is stored and read back by a new process.
func TestLearnedStateSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bot.db")
	st, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	l := newLearner()
	changed := l.model.Learn(l.learned, "今晚一起去看电影吧", true)
	if len(changed) == 0 {
		t.Fatal("nothing learned")
	}
	if err := st.Update(ctx, func(tx *storage.Tx) error { return tx.SetWeightDeltas(changed) }); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	again := newLearner()
	if err := again.load(ctx, st); err != nil {
		t.Fatal(err)
	}
	for b, d := range changed {
		if got := again.learned.DeltaWeight(b); got != d {
			t.Fatalf("bucket %d: %v after restart, want %v", b, got, d)
		}
	}
	before := l.model.Classify("今晚一起去看电影吧", nil).P
	if after := again.model.Classify("今晚一起去看电影吧", again.learned).P; after <= before {
		t.Fatalf("the reloaded lesson does not move the score: %.3f → %.3f", before, after)
	}
}
