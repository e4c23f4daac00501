package wechat

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"qunbot/bot"
)

// waitLimit bounds how long a test waits for the adapter's goroutines to do something. It
// is a failure timeout, never a sleep: tests advance the fake clock explicitly.
const waitLimit = 10 * time.Second

// fakeClock is the adapter's Now and Sleep. Sleepers block until the test advances the
// clock past their deadline; every new sleeper announces its duration on sleeps, so a test
// can wait for the adapter to reach its next wait and then skip it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeWaiter
	sleeps  chan time.Duration
}

type fakeWaiter struct {
	at   time.Time
	done chan struct{}
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC), sleeps: make(chan time.Duration, 1024)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	w := &fakeWaiter{at: c.now.Add(d), done: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	select {
	case c.sleeps <- d:
	default:
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		for i, x := range c.waiters {
			if x == w {
				c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the clock and wakes every sleeper whose deadline has come.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			close(w.done)
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// nextSleep waits until some goroutine of the adapter sleeps and returns how long.
func (c *fakeClock) nextSleep(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.sleeps:
		return d
	case <-time.After(waitLimit):
		t.Fatal("timed out waiting for the adapter to sleep")
		return 0
	}
}

// quiet turns off the background goroutines that sleep on the clock, so that a test that
// advances time controls every wait.
var quiet = func() tuning {
	t := defaultTuning()
	t.watchdogSilence, t.memberRefresh = -1, -1
	return t
}()

// syncBuffer is a goroutine-safe bytes.Buffer for logs and QR output. The library's loop
// may still log while a test ends, so the logger must not write through testing.T.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type notes struct {
	mu   sync.Mutex
	msgs []string
}

func (n *notes) add(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.msgs = append(n.msgs, msg)
}

func (n *notes) all() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.msgs, "\n")
}

// harness runs the real adapter, with the real openwechat Bot, against the fake WeChat.
type harness struct {
	t      *testing.T
	fake   *fakeWeChat
	clock  *fakeClock
	a      *Adapter
	events chan bot.Event
	notes  *notes
	logs   *syncBuffer
	qr     *syncBuffer
	hot    string
	ctx    context.Context
	cancel context.CancelFunc
	done   chan error
}

type harnessConfig struct {
	noHotLogin bool   // start without a saved session: QR login
	hotDoc     string // start with this hot-login file instead of a valid one
	tune       tuning
	groups     []string
	status     *statuses // set: Options.Status records here (a person at the terminal)
}

// statuses records Options.Status calls.
type statuses struct {
	mu   sync.Mutex
	list []Status
}

func (s *statuses) add(st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, st)
}

func (s *statuses) all() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Status(nil), s.list...)
}

// standardGroup sets up 读书会 with two members called 小明, told apart by display name
// and AttrStatus, as real groups often have.
func standardGroup(f *fakeWeChat) {
	zs := f.person("zhangsan", "张三", 101, true)
	xm1 := f.person("xiaoming1", "小明", 201, false)
	xm2 := f.person("xiaoming2", "小明", 202, true)
	f.person("stranger", "路人", 301, false)
	f.group("books", "读书会", true, in(zs, ""), in(xm1, "小明-北京"), in(xm2, ""))
}

func newHarness(t *testing.T, fake *fakeWeChat, cfg harnessConfig) *harness {
	t.Helper()
	h := &harness{
		t:      t,
		fake:   fake,
		clock:  newFakeClock(),
		events: make(chan bot.Event, 64),
		notes:  &notes{},
		logs:   &syncBuffer{},
		qr:     &syncBuffer{},
		hot:    filepath.Join(t.TempDir(), "state", DefaultHotLoginFile),
		done:   make(chan error, 1),
	}
	switch {
	case cfg.hotDoc != "":
		if err := writePrivate(h.hot, []byte(cfg.hotDoc)); err != nil {
			t.Fatal(err)
		}
	case !cfg.noHotLogin:
		writeFakeHotLogin(t, h.hot)
	}
	tune := cfg.tune
	if tune == (tuning{}) {
		tune = quiet
	}
	fake.set(func(f *fakeWeChat) { f.clock = h.clock.Now })
	var status func(Status)
	if cfg.status != nil {
		status = cfg.status.add
	}
	h.a = New(Options{
		Status:       status,
		HotLoginFile: h.hot,
		QRWriter:     h.qr,
		Logger:       slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Notify:       h.notes.add,
		Groups:       cfg.groups,
		Transport:    fake,
		Now:          h.clock.Now,
		Sleep:        h.clock.Sleep,
		Rand:         rand.New(rand.NewPCG(1, 2)),
		tune:         tune,
	})
	h.ctx, h.cancel = context.WithCancel(context.Background())
	go func() { h.done <- h.a.Run(h.ctx, h.events) }()
	t.Cleanup(func() {
		h.cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Run returned %v", err)
			}
		case <-time.After(waitLimit):
			t.Error("Run did not return after cancel")
		}
		if t.Failed() {
			t.Logf("adapter log:\n%s\noperator notes:\n%s", h.logs.String(), h.notes.all())
		}
	})
	return h
}

// session waits until login number seq is ready.
func (h *harness) session(seq int) *session {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, waitLimit)
	defer cancel()
	s, err := h.a.waitLive(ctx, seq)
	if err != nil {
		h.t.Fatalf("login %d did not become ready: %v", seq, err)
	}
	return s
}

func (h *harness) next() bot.Event {
	h.t.Helper()
	select {
	case ev := <-h.events:
		return ev
	case <-time.After(waitLimit):
		h.t.Fatal("timed out waiting for an event")
		return bot.Event{}
	}
}

// nextMessage skips events until a message with this text arrives, failing on any
// message event before it: used as a sentinel to prove earlier input produced nothing.
func (h *harness) expectOnlySentinel(text string) {
	h.t.Helper()
	h.fake.says("books", "zhangsan", text)
	ev := h.next()
	if ev.Type != bot.EventMessage || ev.Text != text {
		h.t.Fatalf("expected only the sentinel %q, got %+v", text, ev)
	}
}

func slogTo(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
