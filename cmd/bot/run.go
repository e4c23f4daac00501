package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
	"qunbot/bot/maint"
	"qunbot/bot/onebot"
	"qunbot/bot/wechat"
	"qunbot/rules"
	"qunbot/storage"
)

const runSynopsis = `运行机器人。用哪个平台由配置文件的 platform 决定：
  platform: wechat（默认）用你自己的微信号（网页协议，Desktop 模式）。第一次运行会在终端里显示二维码，
    用手机微信扫码登录；之后用保存的登录状态自动重连。注意：2025 年起大多数账号的网页登录会被拒绝。
    需要：实名认证过的微信号；要管理的群「保存到通讯录」；登录状态文件只给自己看（里面有 cookie）。
  platform: onebot 通过 OneBot v11 实现（NapCat、LLOneBot、Lagrange.OneBot）管理 QQ 群：
    onebot.url（正向 WebSocket）或 onebot.listen（反向 WebSocket），见 README「在 QQ 群使用」。
配置文件改了会自动重载（改错了会继续用旧配置，并把错误发给群主）。
终端里每一步都有一行中文状态（连接中 / 请扫码 / 已登录 / 连不上服务器，N 秒后重试）；详细日志加 -v。
只管理配置里 groups: 下列出的群（要管理所有群，在配置里写 all_groups: true）。
Ctrl-C（或 SIGTERM）优雅退出，并说明做了什么；再按一次立即退出。

Runs the bot on the platform the config names: platform: wechat (default; your own WeChat
account, QR login in the terminal) or platform: onebot (QQ groups through a OneBot v11
implementation over WebSocket). Config edits are applied live.`

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
	logger, adapterLogger, err := runLoggers(stderr, *logLevel, *verbose)
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

	// The adapter can notify the owner, and asks which groups are managed, through the
	// engine built right after it; neither is used before Run starts.
	var engine *bot.Engine
	adapter, err := newAdapter(cfg, adapterDeps{
		session: *session,
		qr:      stdout,
		logger:  adapterLogger,
		status:  status.say,
		groupPlan: func(seen []bot.GroupInfo, missing []string, why string) {
			for _, l := range groupPlanLines(engine.Config(), seen, missing, why) {
				status.say(l)
			}
		},
		notify: func(msg string) {
			if engine != nil {
				engine.NotifyOwner(msg)
			}
		},
		manages: func(id, name string) bool {
			_, managed, _ := engine.Config().ForGroupID(id, name)
			return managed
		},
	})
	if err != nil {
		return err
	}
	mods, err := app.Modules(cfg)
	if err != nil {
		return err
	}
	mods = append(mods, adapter.modules...) // WeChat: 「重新登录」 in the console
	mods = append(mods, maint.New())        // scheduled backups and the daily integrity check
	engine, err = bot.New(bot.Options{Config: cfg, Store: st, Platform: adapter.Platform, Logger: logger, Modules: mods,
		Loader: func() (*config.Config, error) { return loadRunConfig(*cfgPath) }})
	if err != nil {
		return err
	}
	engine.Outbox().SetRetryable(adapter.retryable)
	engine.Live() // the adapter may notify the owner before Run starts: queue it for the loop

	// First signal: graceful stop; the engine flushes and the DB closes. A second signal, or
	// a stop that takes longer than 5 s, exits at once.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	defer close(stopped)
	go hardStop(ctx, stopped, status)
	if *webAddr != "" {
		// Before the login, so that a port in use stops the bot at once.
		if _, err := startWeb(ctx, engine, *webAddr, stderr, logger); err != nil {
			return err
		}
	}

	events := make(chan bot.Event, 256)
	adapterDone := make(chan error, 1)
	go func() { adapterDone <- adapter.run(ctx, events) }()
	if adapter.started != nil {
		go adapter.started(ctx)
	}
	go watchConfig(ctx, *cfgPath, *reloadEvery, engine, logger, status)

	started := time.Now()
	status.say(fmt.Sprintf("🤖 qunbot %s 启动（%s）：配置 %s，数据库 %s", Version, platformName(cfg.Platform), cfg.Source, *dbPath))
	status.say(configuredGroupsLine(cfg))
	runErr := make(chan error, 1)
	go func() { runErr <- engine.Run(ctx, events) }()
	var err2, adapterErr error
	adapterStopped := false
	select {
	case err2 = <-runErr:
	case adapterErr = <-adapterDone:
		// The adapter gave up for good (the listen address is taken): nothing more can
		// come in, so the bot stops rather than run deaf.
		adapterStopped = true
		cancel()
		err2 = <-runErr
		if adapterErr != nil && !errors.Is(adapterErr, context.Canceled) && err2 == nil {
			err2 = adapterErr
		}
	}
	cancel()
	if !adapterStopped {
		select {
		case adapterErr = <-adapterDone:
		case <-time.After(3 * time.Second):
			logger.Warn("adapter did not stop in time", "platform", cfg.Platform)
		}
	}
	if adapterErr != nil && !errors.Is(adapterErr, context.Canceled) {
		logger.Error("adapter stopped", "platform", cfg.Platform, "err", adapterErr)
	}
	status.say(goodbyeLine(context.WithoutCancel(ctx), st, engine.Messages(), started, time.Now()))
	return err2
}

// adapterDeps are what an adapter may need from `bot run`.
type adapterDeps struct {
	session string    // WeChat's hot-login file
	qr      io.Writer // where WeChat's login QR code is drawn
	logger  *slog.Logger
	status  func(line string)          // one Chinese line for the person at the terminal
	notify  func(msg string)           // tell the owner (through the engine)
	manages func(id, name string) bool // does the running config manage this group
	// groupPlan says, once the platform lists its groups, which are managed, which are
	// ignored, and which configured groups were not found (and why they may not be).
	groupPlan func(seen []bot.GroupInfo, missing []string, why string)
}

// liveAdapter is a platform adapter as `bot run` drives it.
type liveAdapter struct {
	bot.Platform
	run       func(ctx context.Context, events chan<- bot.Event) error
	retryable func(error) bool
	started   func(ctx context.Context) // work once running (WeChat: check the configured groups, watch the terminal); may be nil
	modules   []bot.Module              // the adapter's own modules (WeChat: 「重新登录」 in the console)
}

// newAdapter builds the adapter the config's platform names: the one place where `bot
// run` chooses a platform.
func newAdapter(cfg *config.Config, d adapterDeps) (*liveAdapter, error) {
	switch cfg.Platform {
	case config.PlatformOneBot:
		ob := onebot.New(onebot.Options{
			URL:         cfg.OneBot.URL,
			Listen:      cfg.OneBot.Listen,
			AccessToken: cfg.OneBot.AccessToken,
			Owner:       cfg.OneBot.Owner,
			Logger:      d.logger.With("component", "onebot"),
			Notify:      d.notify,
			Manages:     d.manages,
			Status:      d.status,
		})
		started := func(ctx context.Context) {
			// Once connected: which of the account's groups are managed, which are not.
			seen, err := ob.WaitGroups(ctx)
			if err != nil {
				return // stopped before the first connection
			}
			d.groupPlan(seen, missingGroups(listedGroups(cfg), seen), "机器人的 QQ 号不在这个群里，或群号写错了")
		}
		return &liveAdapter{Platform: ob, run: ob.Run, retryable: onebot.IsRetryable, started: started}, nil
	case config.PlatformWeChat, "":
		wx := wechat.New(wechat.Options{
			HotLoginFile: d.session,
			QRWriter:     d.qr,
			Logger:       d.logger.With("component", "wechat"),
			Notify:       d.notify,
			Status:       func(s wechat.Status) { d.status(s.Line()) },
			Groups:       listedGroups(cfg),
			Location:     cfg.Location,
		})
		started := func(ctx context.Context) {
			// 「重新登录」 typed here resumes a login the circuit breaker paused: the file
			// helper is out of reach then. Stdin is not read before such a pause.
			go wx.WatchTerminal(ctx, os.Stdin)
			// After the first login: which of the account's groups are managed, which are not.
			_, missing := wx.CheckGroups(ctx, listedGroups(cfg))
			seen, err := wx.Groups(ctx)
			if ctx.Err() != nil {
				return // stopped before the first login
			}
			if err != nil {
				d.logger.Warn("list groups after login", "err", err)
				return
			}
			d.groupPlan(seen, missing, wechat.MissingGroupReason)
		}
		return &liveAdapter{Platform: wx, run: wx.Run, retryable: wechat.IsRetryable, started: started,
			modules: []bot.Module{wx.Module()}}, nil
	}
	return nil, fmt.Errorf("未知的平台「%s」/ unknown platform %q", cfg.Platform, cfg.Platform)
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
func groupPlanLines(cfg *config.Config, seen []bot.GroupInfo, missing []string, why string) []string {
	var managed, ignored []string
	for _, g := range seen {
		if _, ok, _ := cfg.ForGroupID(g.ID, g.Name); ok {
			managed = append(managed, g.Name)
		} else {
			ignored = append(ignored, g.Name)
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
		out = append(out, fmt.Sprintf("❓ 配置里的 %d 个群没找到：%s（%s）", len(missing), strings.Join(missing, "、"), why))
	}
	return out
}

// missingGroups are the configured groups that none of seen is, by QQ number or by name.
func missingGroups(listed []string, seen []bot.GroupInfo) []string {
	var missing []string
	for _, want := range listed {
		if !slices.ContainsFunc(seen, func(g bot.GroupInfo) bool { return g.ID == want || g.Name == want }) {
			missing = append(missing, want)
		}
	}
	return missing
}

// platformName is how the start line names the platform.
func platformName(p string) string {
	if p == config.PlatformOneBot {
		return "QQ，OneBot v11"
	}
	return "微信"
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
// 5 s or a second signal arrives. It returns when the stop completes (stopped closes).
func hardStop(ctx context.Context, stopped <-chan struct{}, status *statusPrinter) {
	select {
	case <-ctx.Done():
	case <-stopped:
		return
	}
	status.say("⏳ 正在停止：处理完手上的消息、存好没发出去的消息（再按一次 Ctrl-C 立即退出）")
	second := make(chan os.Signal, 1)
	notifySignals(second)
	defer signal.Stop(second)
	select {
	case <-stopped:
		return
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
	w := newConfigWatch(path, e, logger, status)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		w.check()
	}
}

// configWatch remembers the config file's stamp (modification time and size) as of the
// last reload the engine accepted.
type configWatch struct {
	path   string
	last   string
	e      *bot.Engine
	logger *slog.Logger
	status *statusPrinter
}

func newConfigWatch(path string, e *bot.Engine, logger *slog.Logger, status *statusPrinter) *configWatch {
	w := &configWatch{path: path, e: e, logger: logger, status: status}
	w.last = w.stamp()
	return w
}

func (w *configWatch) stamp() string {
	fi, err := os.Stat(w.path)
	if err != nil {
		return "missing"
	}
	return fmt.Sprintf("%d/%d", fi.ModTime().UnixNano(), fi.Size())
}

// check is one tick: a changed file is submitted for reloading. The new stamp is recorded
// only once the engine took the task: when its queue is full the task is dropped, and the
// next tick tries again instead of losing the edit until the file changes once more.
func (w *configWatch) check() {
	now := w.stamp()
	if now == w.last || now == "missing" {
		return
	}
	w.logger.Info("config file changed: reloading", "config", w.path)
	e, status := w.e, w.status
	// The task starts the reload; the file is parsed off the loop and swapped in on it
	// (bot/reload_async.go).
	if !e.Submit(func(context.Context) {
		e.ReloadAsync(func(_ context.Context, msg string) {
			status.say(msg)
			e.NotifyOwner(msg)
		})
	}) {
		w.logger.Warn("config reload not queued (engine busy): trying again at the next check", "config", w.path)
		return
	}
	w.last = now
}
