package bot

import (
	"context"
	"time"
)

// Run is the engine loop for a live platform: events and due timers are handled one at a
// time on this goroutine, while the outbox delivers on its own. It returns when ctx ends
// or events is closed, after flushing what a graceful stop should not lose.
func (e *Engine) Run(ctx context.Context, events <-chan Event) error {
	if err := e.Start(ctx); err != nil {
		return err
	}
	tasks := e.tasks
	e.Live()
	defer e.DeliverInBackground(ctx)()
	for {
		due, stop := e.DueTimer()
		select {
		case <-ctx.Done():
			stop()
			e.Stop(context.WithoutCancel(ctx))
			return nil
		case ev, ok := <-events:
			stop()
			if !ok {
				e.Stop(context.WithoutCancel(ctx))
				return nil
			}
			// Whatever else is already waiting shares the transaction: under load the
			// commit is amortised, when idle an event is handled alone and at once.
			batch := append(make([]Event, 0, 8), ev)
		drain:
			for len(batch) < MaxBatch {
				select {
				case more, ok := <-events:
					if !ok {
						break drain
					}
					batch = append(batch, more)
				default:
					break drain
				}
			}
			e.HandleBatch(ctx, batch)
		case fn := <-tasks:
			stop()
			_ = e.safely(ctx, "task", func() error { fn(ctx); return nil })
		case <-due:
			stop()
			e.RunDue(ctx, e.clock.Now())
		}
	}
}

// DeliverInBackground starts the outbox's own delivery goroutine, as Run does: from then on
// HandleBatch and the timers only wake it, and it delivers (paced) while the loop goes on.
// The returned stop ends the goroutine after its current delivery and returns the outbox
// to delivering inline (DeliverDue then delivers on the caller's goroutine). Call it from
// the loop's goroutine before the loop handles events: the load benchmark, which drives
// HandleBatch itself, wires delivery the way Run does with it.
func (e *Engine) DeliverInBackground(ctx context.Context) (stop func()) {
	outCtx, stopOutbox := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	// Async mode from here on, set before the loop can call DeliverDue (no race on wake).
	e.outbox.wake = make(chan struct{}, 1)
	go func() {
		defer close(done)
		e.outbox.Run(outCtx, sleepCtx)
	}()
	return func() {
		stopOutbox()
		<-done
		e.outbox.wake = nil
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// DueTimer is a real-time timer that fires when the earliest engine timer is due (a nil
// channel when none is), and its stop function. Loops that follow real time (Run, the
// interactive simulator) select on it beside their inputs.
func (e *Engine) DueTimer() (<-chan time.Time, func()) {
	next := e.timers.next()
	if next.IsZero() {
		return nil, func() {}
	}
	t := time.NewTimer(max(next.Sub(e.clock.Now()), 0))
	return t.C, func() { t.Stop() }
}
