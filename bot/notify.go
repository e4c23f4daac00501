package bot

import "context"

// NotifyOwner queues a message to the owner's file helper from any goroutine (the WeChat
// supervisor's login notices). It never blocks.
func (e *Engine) NotifyOwner(text string) {
	e.Submit(func(ctx context.Context) {
		if err := e.Update(ctx, func(t *Turn) error { return t.NotifyOwner(text) }); err != nil {
			e.log.ErrorContext(ctx, "notify owner", "err", err, "text", text)
		}
		e.outbox.DeliverDue(ctx)
	})
}
