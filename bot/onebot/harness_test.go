package onebot

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/onebot/onebottest"
)

// wait bounds how long a test waits for something that should happen at once. Tests
// never sleep: they wait on events, calls or connections, and this only limits a failure.
const wait = 10 * time.Second

const (
	selfQQ  = 10000
	ownerQQ = 20000
	groupA  = 123456
)

type harness struct {
	t      *testing.T
	fake   *onebottest.Server
	a      *Adapter
	events chan bot.Event
	cancel context.CancelFunc
	done   chan error
	logs   *logBuffer

	mu     sync.Mutex
	sleeps []time.Duration
}

// newHarness starts a fake implementation with group 123456 (the bot an admin there) and
// an adapter connected to it over forward WebSocket.
func newHarness(t *testing.T, fo onebottest.Options, tune func(*Options)) *harness {
	t.Helper()
	if fo.SelfID == 0 {
		fo.SelfID = selfQQ
	}
	fake := onebottest.NewServer(fo)
	t.Cleanup(fake.Close)
	fake.AddGroup(groupA, "读书会", "admin")
	fake.AddMember(groupA, ownerQQ, "群主本人", "", "owner")
	fake.AddMember(groupA, 30001, "张三", "", "member")
	fake.AddMember(groupA, 30002, "李四", "四哥", "member")
	fake.AddMember(groupA, 30003, "王管理", "", "admin")
	h := &harness{t: t, fake: fake, events: make(chan bot.Event, 64), done: make(chan error, 1), logs: &logBuffer{}}
	o := Options{URL: fake.URL(), AccessToken: fo.Token, Owner: "20000",
		Logger:      slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ConfirmWait: wait, CallTimeout: wait,
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.mu.Unlock()
			return ctx.Err() // no real waiting: the next attempt starts at once
		}}
	if tune != nil {
		tune(&o)
	}
	h.a = New(o)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.a.Run(ctx, h.events) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case <-h.done:
	case <-time.After(wait):
		h.t.Error("adapter did not stop")
	}
}

// ready waits for the adapter to be logged in (it has read the group list).
func (h *harness) ready() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := h.a.WaitConnected(ctx); err != nil {
		h.t.Fatalf("adapter never connected: %v\n%s", err, h.logs)
	}
}

// next returns the next event the adapter sends.
func (h *harness) next() bot.Event {
	h.t.Helper()
	select {
	case ev := <-h.events:
		return ev
	case <-time.After(wait):
		h.t.Fatalf("no event\n%s", h.logs)
	}
	return bot.Event{}
}

// none checks that no event is waiting after a marker event: send a marker message after
// the input under test and expect it to be the next event.
func (h *harness) nextText(want string) bot.Event {
	h.t.Helper()
	ev := h.next()
	if ev.Text != want {
		h.t.Fatalf("next event: %+v; want text %q", ev, want)
	}
	return ev
}

func (h *harness) sleepCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sleeps)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// logBuffer collects log output safely from many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func isRefused(err error, why bot.Refusal) bool {
	var r *bot.RefusedError
	return errors.As(err, &r) && r.Reason == why
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func slogTo(w *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
