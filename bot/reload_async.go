package bot

import (
	"context"
	"time"
)

// ReloadAsync reads and parses the config off the engine loop, then applies the result on
// it and calls done there with the summary. A big config (up to config.MaxConfigBytes,
// plus word lists) takes a while to parse and the loop must keep handling messages
// meanwhile; the swap itself (Reload) is quick and must run on the loop like every other
// change of engine state. In the simulator (no loop goroutine) it runs at once. Safe from
// any goroutine.
func (e *Engine) ReloadAsync(done func(ctx context.Context, msg string)) {
	if e.loader == nil || !e.live.Load() {
		e.Submit(func(ctx context.Context) { done(ctx, e.ReloadFromLoader(ctx)) })
		return
	}
	go func() {
		cfg, err := e.loader()
		apply := func(ctx context.Context) { done(ctx, e.applyLoaded(ctx, cfg, err)) }
		// A loop so far behind that its queue is full gets a few more chances: dropping the
		// swap would leave the old config running with nobody told.
		for range 20 {
			if e.Submit(apply) {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
		e.log.Error("config reload parsed but the engine stayed busy: not applied; reload again")
	}()
}
