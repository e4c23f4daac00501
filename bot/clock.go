package bot

import (
	"sync"
	"time"
)

// Clock is the only source of "now" in the engine, so that the simulator can move days in
// milliseconds and tests never sleep.
type Clock interface {
	Now() time.Time
}

// SystemClock reads the real time.
type SystemClock struct{}

// Now returns the real time.
func (SystemClock) Now() time.Time { return time.Now() }

// ManualClock is set by hand (simulator scripts, tests). Safe for concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock starts a manual clock at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// OffsetClock follows the real time shifted by an offset that can only grow: the
// interactive simulator, where "@advance 1d" jumps ahead and time then flows on.
type OffsetClock struct {
	mu     sync.Mutex
	base   Clock
	offset time.Duration
}

// NewOffsetClock starts at the base clock's time.
func NewOffsetClock(base Clock) *OffsetClock { return &OffsetClock{base: base} }

// Now returns the shifted time.
func (c *OffsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Now().Add(c.offset)
}

// Set jumps to t if t is later than now.
func (c *OffsetClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := t.Sub(c.base.Now().Add(c.offset)); d > 0 {
		c.offset += d
	}
}
