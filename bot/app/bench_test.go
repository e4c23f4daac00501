package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
)

// BenchmarkEngineMessages drives ordinary chat through the whole engine the way `bot sim
// --script` does — script parsing, simulator, dedupe, identity, every module, SQLite on a
// temp file — and reports messages per second.
func BenchmarkEngineMessages(b *testing.B) {
	cfg := exampleConfig(b)
	texts := []string{"今天读到第三章了，作者的观点很有意思", "有人看过这本书吗？", "晚上八点共读打卡别忘了", "哈哈哈同意", "我觉得第二部分写得更好一些"}
	var script strings.Builder
	script.WriteString("@time 2026-11-21 08:00\n@group 读书会\n")
	for i := 0; i < b.N; i++ {
		if i > 0 && i%1000 == 0 {
			script.WriteString("@advance 1s\n")
		}
		fmt.Fprintf(&script, "成员%d: %s %d\n", i%500, texts[i%len(texts)], i)
	}
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 8, 0, 0, 0, cfg.Location))
	s, err := NewSim(context.Background(), SimOptions{Config: cfg, DBPath: filepath.Join(b.TempDir(), "bench.db"), JSON: true,
		Out: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, clock, "b")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	if err := s.Runner.RunScript(context.Background(), strings.NewReader(script.String())); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
