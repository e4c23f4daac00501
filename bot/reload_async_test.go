package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"qunbot/bot/config"
)

// TestReloadParsesOffTheLoop: while the new config is being read and parsed, the loop keeps
// running tasks and events; the result is swapped in on the loop afterwards.
func TestReloadParsesOffTheLoop(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil)
	parsing, release := make(chan struct{}), make(chan struct{})
	h.e.loader = func() (*config.Config, error) {
		close(parsing)
		<-release // a big file being parsed
		return config.Parse([]byte("owner: {name: 新群主}\n"), "new.yaml")
	}
	h.e.Live()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.e.Run(ctx, make(chan Event)) }()

	msgs := make(chan string, 1)
	h.e.ReloadAsync(func(_ context.Context, msg string) { msgs <- msg })
	<-parsing
	ran := make(chan struct{})
	h.e.Submit(func(context.Context) { close(ran) })
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the loop is blocked while the config is parsed")
	}
	if got := h.e.Config().Source; got == "new.yaml" {
		t.Fatal("applied before the parse finished")
	}
	close(release)
	select {
	case msg := <-msgs:
		if !strings.Contains(msg, "配置已重载") {
			t.Fatalf("summary %q", msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the reload was never applied")
	}
	if got := h.e.Config().Owner.Name; got != "新群主" {
		t.Fatalf("config not swapped: owner %q", got)
	}
	cancel()
	<-done
}
