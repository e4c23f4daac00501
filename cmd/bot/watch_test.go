package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
)

// signalWriter records what is written and signals each write.
type signalWriter struct {
	mu    sync.Mutex
	b     strings.Builder
	wrote chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.b.Write(p)
	w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// A config edit made while the engine's task queue is full is not lost: the watcher
// records the file's new stamp only once the engine took the reload, so a later check
// (the ticker is the watcher's clock; the test ticks it by hand) submits it again.
func TestConfigEditWhileEngineBusyIsNotLost(t *testing.T) {
	path := writeFile(t, "c.yaml", "groups:\n  读书会: {}\n")
	cfg, err := loadRunConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 8, 0, 0, 0, cfg.Location))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := app.NewSim(context.Background(), app.SimOptions{Config: cfg, DBPath: ":memory:", Out: io.Discard, Logger: logger,
		Loader: func() (*config.Config, error) { return loadRunConfig(path) }}, clock, "t")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := s.Engine
	e.Live()
	// Fill the loop's queue: nothing serves it yet.
	// The last filler to run says the loop has worked through the queue.
	drained := make(chan struct{})
	var queued, ran atomic.Int64
	for e.Submit(func(context.Context) {
		if ran.Add(1) == queued.Load() {
			close(drained)
		}
	}) {
		queued.Add(1)
	}
	if queued.Load() == 0 {
		t.Fatal("the engine took no task")
	}
	out := &signalWriter{wrote: make(chan struct{}, 1)}
	w := newConfigWatch(path, e, logger, newStatusPrinter(out, time.Now))
	before := w.last

	if err := os.WriteFile(path, []byte("groups:\n  读书会: {}\n  书友群: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.check()
	w.check()
	if w.last != before {
		t.Fatal("the new stamp was recorded though the engine dropped the reload")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, make(chan bot.Event)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not drain its queue")
	}

	w.check() // the next tick: the engine takes it now
	if w.last == before {
		t.Fatal("the reload was taken but its stamp not recorded")
	}
	select {
	case <-out.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("the reload never ran")
	}
	if got := out.String(); !strings.Contains(got, "配置已重载") {
		t.Fatalf("status: %q", got)
	}
	if _, ok := e.Config().ForGroup("书友群"); !ok {
		t.Error("the edited config is not in force")
	}
	// Nothing changed since: the next tick submits nothing.
	last := w.last
	w.check()
	if w.last != last {
		t.Error("an unchanged file was reloaded again")
	}
}

// newAdapter's other branches (TestNewAdapterFollowsConfig covers the platforms' types):
// WeChat brings its console module (「重新登录」) and both run work once started; a
// platform the code does not know is a clear bilingual error, not a WeChat login.
func TestNewAdapterBranches(t *testing.T) {
	deps := adapterDeps{session: t.TempDir() + "/s.json", qr: io.Discard, logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		status: func(string) {}, notify: func(string) {}, manages: func(string, string) bool { return true }}
	for _, platform := range []string{config.PlatformWeChat, "", config.PlatformOneBot} {
		cfg, err := config.Parse([]byte("timezone: Asia/Shanghai\n"), "t.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Platform = platform
		a, err := newAdapter(cfg, deps)
		if err != nil {
			t.Fatalf("%q: %v", platform, err)
		}
		if a.run == nil || a.retryable == nil || a.started == nil {
			t.Errorf("%q: adapter lacks run, retryable or started", platform)
		}
		if wantMods := platform != config.PlatformOneBot; (len(a.modules) == 1) != wantMods {
			t.Errorf("%q: modules %v", platform, a.modules)
		}
	}
	cfg, err := config.Parse([]byte("timezone: Asia/Shanghai\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Platform = "qq"
	if _, err := newAdapter(cfg, deps); err == nil || !strings.Contains(err.Error(), "未知的平台") || !strings.Contains(err.Error(), "unknown platform") {
		t.Errorf("unknown platform: %v", err)
	}
}
