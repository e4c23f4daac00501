// Package testlog holds a slog handler for tests that must prove the engine logged no
// error: a fuzzed chat line may get a usage answer, never a failed event or a recovered panic.
package testlog

import (
	"context"
	"log/slog"
	"sync"
)

// Errors keeps every record at error level, with its attributes.
type Errors struct {
	mu   sync.Mutex
	errs []string
}

// Enabled accepts error level and above only.
func (l *Errors) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelError }

// Handle records the message and its attributes.
func (l *Errors) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
	l.mu.Lock()
	l.errs = append(l.errs, msg)
	l.mu.Unlock()
	return nil
}

// WithAttrs keeps recording into the same list.
func (l *Errors) WithAttrs([]slog.Attr) slog.Handler { return l }

// WithGroup keeps recording into the same list.
func (l *Errors) WithGroup(string) slog.Handler { return l }

// Take returns the records so far and forgets them.
func (l *Errors) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.errs
	l.errs = nil
	return out
}
