package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"qunbot"
	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
)

const testToken = "test-token-0123456789abcdef"

// fixture is a simulator session that ran a script, with the dashboard over it.
type fixture struct {
	sim *app.Sim
	srv *Server
	ts  *httptest.Server
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newFixture runs script (may be empty: an empty database) in the simulator with the
// embedded example config, then serves the dashboard over the result.
func newFixture(t testing.TB, script string, opts ...func(*app.SimOptions)) *fixture {
	t.Helper()
	f, closeFn, err := buildFixture(script, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	return f
}

// scripted is the fixture of testdata/dashboard.script, built once for the tests that
// only read it (running the script takes seconds under -race). Tests that change state
// build their own.
var scripted = sync.OnceValues(func() (*fixture, error) {
	b, err := os.ReadFile("testdata/dashboard.script")
	if err != nil {
		return nil, err
	}
	f, _, err := buildFixture(string(b))
	return f, err
})

func scriptedFixture(t testing.TB) *fixture {
	t.Helper()
	f, err := scripted()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func buildFixture(script string, opts ...func(*app.SimOptions)) (*fixture, func(), error) {
	cfg, err := config.Parse(qunbot.ExampleConfig, "config.example.yaml (内置 / embedded)") // as the CLI names it
	if err != nil {
		return nil, nil, err
	}
	cfg.AllGroups, cfg.AllGroupsSet = true, true // as `bot sim` without --config

	ctx := context.Background()
	clock := bot.NewManualClock(time.Date(2026, 11, 23, 8, 0, 0, 0, cfg.Location))
	o := app.SimOptions{Config: cfg, DBPath: ":memory:", Out: io.Discard, Logger: discard()}
	for _, opt := range opts {
		opt(&o)
	}
	s, err := app.NewSim(ctx, o, clock, "t")
	if err != nil {
		return nil, nil, err
	}
	if script != "" {
		err = s.Runner.RunScript(ctx, strings.NewReader(script))
	} else {
		err = s.Engine.Start(ctx)
	}
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	srv, err := New(Options{Engine: s.Engine, Token: testToken, Logger: discard()})
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	ts := httptest.NewServer(srv)
	return &fixture{sim: s, srv: srv, ts: ts}, func() { ts.Close(); s.Close() }, nil
}

func dashboardScript(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/dashboard.script")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// get fetches a page with the bearer token and returns status and body.
func (f *fixture) get(t testing.TB, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	return do(t, req)
}

func (f *fixture) post(t testing.TB, path string, form map[string]string) (int, string) {
	t.Helper()
	vals := make([]string, 0, len(form))
	for k, v := range form {
		vals = append(vals, k+"="+url.QueryEscape(v))
	}
	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+path, strings.NewReader(strings.Join(vals, "&")))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
