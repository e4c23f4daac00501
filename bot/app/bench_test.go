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
// --script` does — script parsing, simulator, dedupe, identity, every module (moderation
// checks each message, engagement pays message points), SQLite on a temp file — and
// reports messages per second. 100 groups of 500 members.
//
//   - backlog: 1,000 messages per virtual second, more than the bot handles per real
//     second, so it reads them as fast as it can, in batches of bot.MaxBatch: its
//     throughput (the bar of issue 3).
//   - steady: 100 messages per virtual second (one a second per group); every @advance
//     ends a batch, so batches are 100 long.
func BenchmarkEngineMessages(b *testing.B) {
	b.Run("backlog", func(b *testing.B) { benchEngineMessages(b, 1000) })
	b.Run("steady", func(b *testing.B) { benchEngineMessages(b, 100) })
}

func benchEngineMessages(b *testing.B, perSecond int) {
	cfg := exampleConfig(b)
	texts := []string{"今天读到第三章了，作者的观点很有意思", "有人看过这本书吗？", "晚上八点共读打卡别忘了", "哈哈哈同意", "我觉得第二部分写得更好一些"}
	const groups, members = 100, 500
	var script strings.Builder
	script.WriteString("@time 2026-11-21 08:00\n")
	for i := 0; i < b.N; i++ {
		if i > 0 && i%perSecond == 0 {
			script.WriteString("@advance 1s\n")
		}
		g := i % groups
		m := (i / groups) % members
		fmt.Fprintf(&script, "@group 群%d\n成员%d: %s %d\n", g, m, texts[i%len(texts)], i)
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
