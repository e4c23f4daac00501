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
	outCtx, stopOutbox := context.WithCancel(context.WithoutCancel(ctx))
	outboxDone := make(chan struct{})
	go func() {
		defer close(outboxDone)
		e.outbox.Run(outCtx, sleepCtx)
	}()
	defer func() {
		stopOutbox()
		<-outboxDone
	}()
	for {
		var due <-chan time.Time
		var t *time.Timer
		if next := e.timers.next(); !next.IsZero() {
			t = time.NewTimer(max(next.Sub(e.clock.Now()), 0))
			due = t.C
		}
		stop := func() {
			if t != nil {
				t.Stop()
			}
		}
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
			e.Handle(ctx, ev)
		case fn := <-tasks:
			stop()
			_ = e.safely(ctx, "task", func() error { fn(ctx); return nil })
		case <-due:
			stop()
			e.RunDue(ctx, e.clock.Now())
		}
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
