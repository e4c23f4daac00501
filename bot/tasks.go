package bot

import "context"

// Live marks an engine that Run will serve: from now on Submit queues work for the loop,
// even before Run has started (the WeChat supervisor may notify during login).
func (e *Engine) Live() { e.live.Store(true) }

// Submit runs fn on the engine loop (Run). It never blocks: when the loop is far behind it
// reports false and fn is dropped. In the simulator, which has no loop goroutine (not
// Live), fn runs at once on the caller's goroutine, which is the simulator's own.
func (e *Engine) Submit(fn func(ctx context.Context)) bool {
	if !e.live.Load() {
		fn(context.Background())
		return true
	}
	select {
	case e.tasks <- fn:
		return true
	default:
		e.log.Warn("engine busy: task dropped")
		return false
	}
}
