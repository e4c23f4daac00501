package bot

import (
	"context"
	"testing"
	"time"

	"qunbot/storage"
)

// TestRunStopsGracefully: cancelling Run stops taking events, lets modules flush (Stopper:
// the open batch of a welcome-like module goes into the outbox (persisted: delivered on the next start if not now) and returns
// well within the 5 s the process allows itself.
func TestRunStopsGracefully(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil, &batchProbe{})
	h.e.Live()
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan Event)
	done := make(chan error, 1)
	go func() { done <- h.e.Run(ctx, events) }()

	g := GroupInfo{ID: "g1", Name: "读书会"}
	events <- Event{Type: EventJoin, ID: "j1", Time: h.clock.Now(), Group: g, Members: []MemberInfo{member("王五")}}
	// Round-trip a task through the loop: once it has run, the join was handled.
	handled := make(chan struct{})
	h.e.Submit(func(context.Context) { close(handled) })
	select {
	case <-handled:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop did not take the join")
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop within 5 s")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("graceful stop took %v", d)
	}
	select {
	case events <- Event{Type: EventMessage, ID: "late", Group: g, Sender: member("赵六"), Text: "群规"}:
		t.Fatal("a stopped engine must not take events")
	default:
	}
	// The batch (due a minute later) was flushed at stop, not lost.
	h.store.View(context.Background(), func(tx *storage.Tx) error {
		p, err := tx.PendingOutbox(10)
		if err != nil {
			t.Fatal(err)
		}
		sent := len(h.p.got())
		if len(p)+sent != 1 {
			t.Fatalf("the batch must be queued or sent exactly once: pending %d, sent %d", len(p), sent)
		}
		return nil
	})
}
