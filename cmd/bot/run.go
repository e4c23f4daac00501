package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
	"qunbot/bot/wechat"
	"qunbot/rules"
	"qunbot/storage"
)

const runSynopsis = `用你自己的微信号运行机器人（微信网页协议，Desktop 模式）。
第一次运行会在终端里显示二维码，用手机微信扫码登录；之后用保存的登录状态自动重连（约每天一次）。
需要：实名认证过的微信号；要管理的群「保存到通讯录」；登录状态文件只给自己看（里面有 cookie）。
配置文件改了会自动重载（改错了会继续用旧配置，并把错误发到文件传输助手）。
终端里每一步都有一行中文状态（连接中 / 请扫码 / 已登录 / 连不上服务器，N 秒后重试）；详细日志加 -v。
只管理配置里 groups: 下列出的群（要管理所有群，在配置里写 all_groups: true）。
Ctrl-C（或 SIGTERM）优雅退出，并说明做了什么；再按一次立即退出。

Runs the bot on your own WeChat account (web protocol, Desktop mode). The first run shows a
QR code in the terminal; later runs reuse the saved session. Config edits are applied live.`

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run --config FILE [--db FILE] [--session FILE] [--web ADDR] [-v]", runSynopsis, stderr)
	cfgPath := fs.String("config", "", "配置文件（必填）/ config file (required)")
	dbPath := fs.String("db", "", "数据库文件，默认取配置里的 storage.path / database file (default: storage.path)")
	session := fs.String("session", "", "微信登录状态文件（0600），默认在数据库旁边的 wechat-session.json / hot-login session file (default: next to the database)")
	verbose := fs.Bool("v", false, "显示详细日志（默认只在终端显示状态行和警告）/ detailed logs (default: status lines and warnings only)")
	logLevel := fs.String("log-level", "", "日志级别，默认 warn，加 -v 时 info / log level: debug, info, warn, error (default warn; info with -v)")
	reloadEvery := fs.Duration("reload-check", 2*time.Second, "多久检查一次配置文件有没有改动 / how often to check the config file for changes")
	webAddr := fs.String("web", "", webFlagHelp)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cfgPath == "" {
		fmt.Fprintln(stderr, "请用 --config 指定配置文件（可以从 config.example.yaml 复制一份）/ --config is required")
		fs.Usage()
		return errUsage
	}
	logger, wxLogger, err := runLoggers(stderr, *logLevel, *verbose)
	if err != nil {
		return err
	}
	status := newStatusPrinter(stdout, time.Now)
	cfg, err := loadRunConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *dbPath == "" {
		*dbPath = cfg.Storage.Path
	}
	if *session == "" {
		*session = filepath.Join(filepath.Dir(*dbPath), wechat.DefaultHotLoginFile)
	}
	st, err := storage.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer st.Close()

	// The engine is built before the adapter so the adapter can notify the owner through it.
	var engine *bot.Engine
	wx := wechat.New(wechat.Options{
		HotLoginFile: *session,
		QRWriter:     stdout,
		Logger:       wxLogger.With("component", "wechat"),
		Notify: func(msg string) {
			if engine != nil {
				engine.NotifyOwner(msg)
			}
		},
		Status:   func(s wechat.Status) { status.say(s.Line()) },
		Groups:   listedGroups(cfg),
		Location: cfg.Location,
	})
	mods, err := app.Modules(cfg)
	if err != nil {
		return err
	}
	mods = append(mods, wx.Module()) // 「重新登录」 in the console
	engine, err = bot.New(bot.Options{Config: cfg, Store: st, Platform: wx, Logger: logger, Modules: mods,
		Loader: func() (*config.Config, error) { return loadRunConfig(*cfgPath) }})
	if err != nil {
		return err
	}
	engine.Outbox().SetRetryable(wechat.IsRetryable)
	engine.Live() // the adapter may notify the owner before Run starts: queue it for the loop

	// First signal: graceful stop; the engine flushes and the DB closes. A second signal, or
	// a stop that takes longer than 5 s, exits at once.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go hardStop(ctx, status)
	if *webAddr != "" {
		// Before the login, so that a port in use stops the bot at once.
		if _, err := startWeb(ctx, engine, *webAddr, stderr, logger); err != nil {
			return err
		}
	}

	events := make(chan bot.Event, 256)
	adapterDone := make(chan error, 1)
	go func() { adapterDone <- wx.Run(ctx, events) }()
	go func() {
		// After the first login: which of the account's groups are managed, which are not.
		_, missing := wx.CheckGroups(ctx, listedGroups(cfg))
		seen, err := wx.Groups(ctx)
		if ctx.Err() != nil {
			return // stopped before the first login
		}
		if err != nil {
			logger.Warn("list groups after login", "err", err)
			return
		}
		names := make([]string, 0, len(seen))
		for _, g := range seen {
			names = append(names, g.Name)
		}
		for _, l := range groupPlanLines(engine.Config(), names, missing) {
			status.say(l)
		}
	}()
	go watchConfig(ctx, *cfgPath, *reloadEvery, engine, logger, status)
	// 「重新登录」 typed here resumes a login the circuit breaker paused: the file helper is
	// out of reach then. Stdin is not read before such a pause.
	go wx.WatchTerminal(ctx, os.Stdin)

	started := time.Now()
	status.say(fmt.Sprintf("🤖 qunbot %s 启动：配置 %s，数据库 %s，登录状态 %s", Version, cfg.Source, *dbPath, *session))
	status.say(configuredGroupsLine(cfg))
	runErr := engine.Run(ctx, events)
	cancel()
	select {
	case err := <-adapterDone:
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("wechat adapter stopped", "err", err)
		}
	case <-time.After(3 * time.Second):
		logger.Warn("wechat adapter did not stop in time")
	}
	status.say(goodbyeLine(context.WithoutCancel(ctx), st, engine.Messages(), started, time.Now()))
	return runErr
}

// loadRunConfig reads the config as bot run uses it: where the file does not say
// all_groups, only the groups it lists are managed (config.RunDefaults).
func loadRunConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	cfg.RunDefaults()
	return cfg, nil
}

// configuredGroupsLine says at start which groups the config asks for.
func configuredGroupsLine(cfg *config.Config) string {
	if cfg.ManagesUnlisted() {
		return "📋 all_groups: true：管理登录后看到的每个群"
	}
	listed := listedGroups(cfg)
	if len(listed) == 0 {
		return "⚠️ 配置的 groups: 里没有启用的群，机器人不会管理任何群。请在 groups: 下写上要管理的群名（或者写 all_groups: true）"
	}
	slices.Sort(listed)
	return fmt.Sprintf("📋 配置里要管理的群（%d 个）：%s", len(listed), strings.Join(listed, "、"))
}

// groupPlanLines say, after the login, which of the account's groups are managed and which
// are left alone, and which configured groups were not found (missing, see CheckGroups).
func groupPlanLines(cfg *config.Config, seen, missing []string) []string {
	var managed, ignored []string
	for _, name := range seen {
		if _, ok := cfg.ForGroup(name); ok {
			managed = append(managed, name)
		} else {
			ignored = append(ignored, name)
		}
	}
	slices.Sort(managed)
	slices.Sort(ignored)
	var out []string
	if len(managed) == 0 {
		out = append(out, "⚠️ 没有管理任何群")
	} else {
		out = append(out, fmt.Sprintf("✅ 管理 %d 个群：%s", len(managed), strings.Join(managed, "、")))
	}
	if len(ignored) > 0 {
		out = append(out, fmt.Sprintf("🙈 不管理 %d 个群（配置的 groups: 里没有，或 enabled: false）：%s", len(ignored), strings.Join(ignored, "、")))
	}
	if len(missing) > 0 {
		out = append(out, fmt.Sprintf("❓ 配置里的 %d 个群没找到：%s（%s）", len(missing), strings.Join(missing, "、"), wechat.MissingGroupReason))
	}
	return out
}

// goodbyeLine says what the run did, for Ctrl-C: messages handled, what was sent and
// failed, and what is still queued (sent at the next start).
func goodbyeLine(ctx context.Context, st *storage.Store, handled int64, started, now time.Time) string {
	var c storage.OutboxCounts
	err := st.View(ctx, func(tx *storage.Tx) error {
		var err error
		c, err = tx.OutboxCounts(started)
		return err
	})
	ran := "不到 1 分钟"
	if d := now.Sub(started); d >= time.Minute {
		ran = rules.DurationZH(d.Truncate(time.Minute))
	}
	line := fmt.Sprintf("⏹ 已停止（运行了%s）：处理了 %d 条群消息", ran, handled)
	if err != nil {
		return line + "。"
	}
	line += fmt.Sprintf("，发出 %d 条", c.Sent)
	if c.Failed > 0 {
		line += fmt.Sprintf("，%d 条发送失败（已告诉群主）", c.Failed)
	}
	if c.Pending > 0 {
		return line + fmt.Sprintf("；还有 %d 条没发出去，已存好，下次启动接着发。", c.Pending)
	}
	return line + "；消息都已发出。"
}

// statusPrinter writes status lines for the person at the terminal: one short Chinese
// line per change, with the time, never the same line twice in a row.
type statusPrinter struct {
	mu   sync.Mutex
	w    io.Writer
	now  func() time.Time
	last string
}

func newStatusPrinter(w io.Writer, now func() time.Time) *statusPrinter {
	return &statusPrinter{w: w, now: now}
}

func (p *statusPrinter) say(line string) {
	if line == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if line == p.last {
		return
	}
	p.last = line
	fmt.Fprintf(p.w, "[%s] %s\n", p.now().Format("15:04:05"), line)
}

// runLoggers: structured logs on stderr, quiet by default — warnings and errors, and from
// the WeChat adapter errors only (its states are the status lines). -v shows info from
// everything; --log-level sets the level outright.
func runLoggers(w io.Writer, level string, verbose bool) (engine, wx *slog.Logger, err error) {
	if level == "" {
		level = "warn"
		if verbose {
			level = "info"
		}
	}
	if engine, err = newLogger(w, level); err != nil {
		return nil, nil, err
	}
	wxLevel := level
	if !verbose && level == "warn" {
		wxLevel = "error"
	}
	wx, err = newLogger(w, wxLevel)
	return engine, wx, err
}

// listedGroups are the groups the config names; with all_groups on every group is watched.
func listedGroups(cfg *config.Config) []string {
	if cfg.ManagesUnlisted() {
		return nil
	}
	var out []string
	for name, g := range cfg.Groups {
		if g.Enabled {
			out = append(out, name)
		}
	}
	return out
}

// hardStop waits for the graceful stop to begin, then exits the process if it takes over
// 5 s or a second signal arrives.
func hardStop(ctx context.Context, status *statusPrinter) {
	<-ctx.Done()
	status.say("⏳ 正在停止：处理完手上的消息、存好没发出去的消息（再按一次 Ctrl-C 立即退出）")
	second := make(chan os.Signal, 1)
	notifySignals(second)
	select {
	case <-second:
		status.say("⏹ 收到第二次 Ctrl-C：立即退出。没发出去的消息已存好，下次启动接着发。")
	case <-time.After(5 * time.Second):
		status.say("⏹ 停止超过 5 秒：立即退出。没发出去的消息已存好，下次启动接着发。")
	}
	os.Exit(1)
}

// watchConfig applies config edits: a changed file is loaded and, if valid, swapped in on
// the engine loop; if not, the running config stays and the owner is told every error.
func watchConfig(ctx context.Context, path string, every time.Duration, e *bot.Engine, logger *slog.Logger, status *statusPrinter) {
	stamp := func() string {
		fi, err := os.Stat(path)
		if err != nil {
			return "missing"
		}
		return fmt.Sprintf("%d/%d", fi.ModTime().UnixNano(), fi.Size())
	}
	last := stamp()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := stamp()
		if now == last || now == "missing" {
			continue
		}
		last = now
		logger.Info("config file changed: reloading", "config", path)
		e.Submit(func(ctx context.Context) {
			msg := e.ReloadFromLoader(ctx)
			status.say(msg)
			e.NotifyOwner(msg)
		})
	}
}
