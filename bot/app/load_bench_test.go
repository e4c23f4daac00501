package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

var (
	loadN        = flag.Int("load.n", 1_000_000, "BenchmarkLoad: messages to simulate")
	loadGroups   = flag.Int("load.groups", 100, "BenchmarkLoad: groups")
	loadMembers  = flag.Int("load.members", 500, "BenchmarkLoad: members per group")
	loadKeywords = flag.Int("load.keywords", 50_000, "BenchmarkLoad: keywords in the generated lexicon")
	loadSingles  = flag.Int("load.singles", 20_000, "BenchmarkLoad: messages handled one at a time for the idle-latency sample")
)

// loadWords is the chat vocabulary. Generated keywords never use these characters, so
// chat only trips moderation where the generator means it to.
var loadWords = strings.Fields(`今天 明天 昨天 周末 晚上 早上 大家 我们 你们 他们 这个 那个 什么 怎么 为什么 可以 觉得 知道
	喜欢 看看 一起 时间 地方 东西 事情 问题 朋友 老师 孩子 工作 学习 生活 电影 音乐 照片 跑步 读书 吃饭 天气
	不错 很好 真的 哈哈 谢谢 收到 好的 同意 加油 辛苦 注意 休息 分享 推荐 讨论 活动 报名 参加 开始 结束 已经
	还是 但是 因为 所以 如果 就是 没有 还有 一下 一点 有点 非常 特别 第一 第二 最近 刚才 马上 以后 之前 以前`)

// BenchmarkLoad is the load and scale run: 100 groups × 500 members, a 50,000-keyword
// lexicon file on top of the built-in ones, and 1,000,000 messages over ten virtual days,
// through the whole engine (dedupe, identity, moderation, commands, points, activity,
// outbox, every cron job) on a SQLite file, wired as `bot run` wires it (see below for the
// outbox). Events are handed to Engine.HandleBatch in
// batches of bot.MaxBatch, as `bot run` does under backlog; afterwards a sample of messages
// is handled one at a time, as when the bot is idle. It reports:
//
//	msgs/s        messages ÷ wall time of the whole run (jobs and replies included)
//	p99-batch-ms  p99 over batches of one HandleBatch call: the wait of every message in a
//	              batch under backlog (its reply goes out after the batch commits)
//	p99-cost-µs   p99 over batches of (call time ÷ messages in it): the work per message
//	p99-single-ms p99 of HandleBatch with one message: the latency of a message to an idle bot
//	peak-RSS-MB   VmHWM of the process;  db-MB the database file with its WAL
//
// It runs only with -bench; a smaller run: -load.n=100000. docs/PERFORMANCE.md ## load.
//
//	go test ./bot/app -run '^$' -bench BenchmarkLoad -benchtime 1x -timeout 30m
func BenchmarkLoad(b *testing.B) {
	for range b.N {
		runLoad(b)
	}
}

func runLoad(b *testing.B) {
	b.StopTimer()
	// Cancelable, as `bot run`'s signal context is: code that behaves differently under a
	// context that can end (database/sql, the SQLite driver) is measured as it runs.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(2026, 7))
	lexicon, keywords := writeLexicon(b, dir, *loadKeywords, rng)
	cfgText := fmt.Sprintf(`timezone: Asia/Shanghai
all_groups: true
defaults:
  moderation:
    lexicons:
      - builtin: ads
      - builtin: scam
      - builtin: abuse
      - file: %s
        category: ad
  posts:
    - name: 早安
      cron: "0 8 * * *"
      text: "☀️ 早上好！今天是{{.Date}}，{{.Weekday}}。"
`, lexicon)
	cfgPath := filepath.Join(dir, "load.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 7, 0, 0, 0, cfg.Location)
	clock := bot.NewManualClock(start)
	dbPath := filepath.Join(dir, "load.db")
	st, err := storage.Open(ctx, dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	mods, err := Modules(cfg)
	if err != nil {
		b.Fatal(err)
	}
	// As `bot run` is wired — the outbox delivers on its own goroutine, woken after each
	// batch (Engine.DeliverInBackground, as Engine.Run does) — minus the network (a
	// platform that accepts every send at once) and minus the pacing: the human pace (2 s
	// per group, 20 a minute) would only leave a backlog behind. Every reply is still
	// claimed, sent and recorded, each in its own transactions, and what is still queued
	// when the last batch is handled is delivered inside the timed run.
	e, err := bot.New(bot.Options{Config: cfg, Store: st, Platform: nopPlatform{}, Clock: clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Modules: mods, Pacing: &bot.Pacing{}})
	if err != nil {
		b.Fatal(err)
	}
	if err := e.Start(ctx); err != nil {
		b.Fatal(err)
	}

	groups := make([]bot.GroupInfo, *loadGroups)
	for i := range groups {
		groups[i] = bot.GroupInfo{ID: fmt.Sprintf("群%03d", i), Name: fmt.Sprintf("群%03d", i), MemberCount: *loadMembers + 1}
	}
	n := *loadN
	// Ten virtual days: ~100,000 messages a day at the default size, 1,000 per group.
	step := 10 * 24 * time.Hour / time.Duration(n)
	msgID := 0
	next := func(now time.Time) bot.Event {
		msgID++
		g := groups[rng.IntN(len(groups))]
		m := rng.IntN(*loadMembers)
		// WeChat's NewMsgId is a 19-digit number that grows with time.
		ev := bot.Event{Type: bot.EventMessage, ID: fmt.Sprintf("%019d", 7_000_000_000_000_000_000+msgID), Time: now, Group: g, Kind: bot.KindText,
			Sender: bot.MemberInfo{ID: fmt.Sprintf("%s-%d", g.ID, m), Nickname: fmt.Sprintf("成员%d", m)}}
		switch r := rng.IntN(1000); {
		case r < 30:
			ev.Text = "签到"
		case r < 40:
			ev.Text = []string{"积分", "排行榜", "发言榜", "帮助"}[rng.IntN(4)]
		case r < 50: // an ad from the big lexicon
			ev.Text = chat(rng, 3) + keywords[rng.IntN(len(keywords))] + chat(rng, 2)
		case r < 53: // a built-in ad
			ev.Text = "兼职日赚三百，加我微信" + strconv.Itoa(rng.IntN(1_000_000))
		case r < 55:
			ev.Text = "电话" + fmt.Sprintf("138%08d", rng.IntN(100_000_000))
		case r < 80:
			ev.Kind = []bot.MessageKind{bot.KindImage, bot.KindEmoji, bot.KindLink, bot.KindVoice}[rng.IntN(4)]
			ev.Text = ""
		case r < 85:
			ev.Text = []string{"收到", "好的", "哈哈", "+1", "👍"}[rng.IntN(5)]
		default:
			ev.Text = chat(rng, 2+rng.IntN(8)) + strconv.Itoa(msgID%97)
		}
		return ev
	}

	var batchDur, perMsg []time.Duration
	runtime.GC()
	b.StartTimer()
	written := writtenBytes(b)
	began := time.Now()
	stopDelivery := e.DeliverInBackground(ctx)
	now := start
	batch := make([]bot.Event, 0, bot.MaxBatch)
	for done := 0; done < n; {
		batch = batch[:0]
		for len(batch) < bot.MaxBatch && done < n {
			now = now.Add(step)
			batch = append(batch, next(now))
			done++
		}
		// A batch is a backlog: by the time it is read, the clock has passed every message
		// in it. Jobs due until then run first, at their own time (the loop's timers), and
		// the replies are due when they are queued. (With the clock left at the batch's
		// first message, each reply was "from the future" until the next batch, and every
		// delivery after it re-read all the batch's waiting replies.)
		e.AdvanceTo(ctx, batch[len(batch)-1].Time, clock.Set)
		t0 := time.Now()
		e.HandleBatch(ctx, batch)
		d := time.Since(t0)
		batchDur = append(batchDur, d)
		perMsg = append(perMsg, d/time.Duration(len(batch)))
	}
	stopDelivery()
	e.Outbox().DeliverDue(ctx) // what the goroutine had not reached yet
	wall := time.Since(began)
	written = writtenBytes(b) - written
	b.StopTimer()

	// The idle case: one message at a time.
	var single []time.Duration
	for range *loadSingles {
		now = now.Add(time.Second)
		e.AdvanceTo(ctx, now, clock.Set)
		ev := next(now)
		t0 := time.Now()
		e.HandleBatch(ctx, []bot.Event{ev})
		single = append(single, time.Since(t0))
	}

	dbBytes := fileSize(dbPath) + fileSize(dbPath+"-wal")
	rows := map[string]int{}
	for _, table := range []string{"members", "processed", "audit", "outbox", "points_ledger", "activity", "strikes", "checkins"} {
		var c int
		st.DB().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&c)
		rows[table] = c
	}
	var pending int
	st.DB().QueryRow(`SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`).Scan(&pending)
	if pending > 0 {
		b.Errorf("%d messages left undelivered", pending)
	}
	b.ReportMetric(float64(n)/wall.Seconds(), "msgs/s")
	b.ReportMetric(ms(p99(batchDur)), "p99-batch-ms")
	b.ReportMetric(float64(p99(perMsg).Nanoseconds())/1e3, "p99-cost-µs")
	b.ReportMetric(ms(p99(single)), "p99-single-ms")
	b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(dbBytes)/(1<<20), "db-MB")
	b.ReportMetric(float64(written)/float64(n), "written-B/msg")
	b.Logf("database file %.1f MB, write-ahead log %.1f MB", float64(fileSize(dbPath))/(1<<20), float64(fileSize(dbPath+"-wal"))/(1<<20))
	b.Logf("%d messages, %d groups × %d members, %d keywords: wall %v; batches %d, p50/p99/max batch %v/%v/%v; single p50/p99/max %v/%v/%v; rows %v",
		n, len(groups), *loadMembers, len(keywords), wall.Round(time.Millisecond), len(batchDur),
		pct(batchDur, 50), p99(batchDur), slices.Max(batchDur), pct(single, 50), p99(single), slices.Max(single), rows)
}

func chat(rng *rand.Rand, words int) string {
	var sb strings.Builder
	for range words {
		sb.WriteString(loadWords[rng.IntN(len(loadWords))])
	}
	return sb.String()
}

// writeLexicon writes n keywords of 3–6 characters drawn from CJK ideographs that the chat
// vocabulary does not use, one per line, and returns the file and the keywords.
func writeLexicon(b *testing.B, dir string, n int, rng *rand.Rand) (string, []string) {
	used := map[rune]bool{}
	for _, w := range loadWords {
		for _, r := range w {
			used[r] = true
		}
	}
	var pool []rune
	for r := rune(0x4E00); r < 0x9FA5 && len(pool) < 3000; r += 3 {
		if !used[r] {
			pool = append(pool, r)
		}
	}
	path := filepath.Join(dir, "lexicon.txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "# generated for BenchmarkLoad")
	seen := map[string]bool{}
	words := make([]string, 0, n)
	for len(words) < n {
		k := make([]rune, 3+rng.IntN(4))
		for i := range k {
			k[i] = pool[rng.IntN(len(pool))]
		}
		if s := string(k); !seen[s] {
			seen[s] = true
			words = append(words, s)
			fmt.Fprintln(w, s)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path, words
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func p99(d []time.Duration) time.Duration { return pct(d, 99) }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// peakRSS reads the process's high-water resident set (Linux).
// writtenBytes is what the process has written to storage so far (/proc/self/io
// write_bytes): the write-ahead log and the checkpoints copying it into the database. It
// varies far less between runs than the wall time on a shared machine, so a change to the
// pages each message dirties shows in it.
func writtenBytes(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Logf("no /proc/self/io: %v", err)
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "write_bytes:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			return n
		}
	}
	return 0
}

func peakRSS(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Logf("no /proc/self/status: %v", err)
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
