package app

import (
	"log/slog"
	"testing"

	"qunbot/bot/config"
	"qunbot/bot/sim"
)

// testLogger sends engine logs to the test log, so a failing test shows them.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func parseLine(n int, l string, cfg *config.Config) (sim.Step, error) {
	return sim.ParseLine(n, l, cfg.Location)
}
