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
	"time"

	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
	"qunbot/bot/onebot"
	"qunbot/bot/wechat"
	"qunbot/storage"
)

const runSynopsis = `运行机器人。用哪个平台由配置文件的 platform 决定：
  platform: wechat（默认）用你自己的微信号（网页协议，Desktop 模式）。第一次运行会在终端里显示二维码，
    用手机微信扫码登录；之后用保存的登录状态自动重连。注意：2025 年起大多数账号的网页登录会被拒绝。
  platform: onebot 通过 OneBot v11 实现（NapCat、LLOneBot、Lagrange.OneBot）管理 QQ 群：
    onebot.url（正向 WebSocket）或 onebot.listen（反向 WebSocket），见 README「在 QQ 群使用」。
配置文件改了会自动重载（改错了会继续用旧配置，并把错误发给群主）。
Ctrl-C（或 SIGTERM）优雅退出；再按一次立即退出。

Runs the bot on the platform the config names: platform: wechat (default; your own WeChat
account, QR login in the terminal) or platform: onebot (QQ groups through a OneBot v11
implementation over WebSocket). Config edits are applied live.`

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run --config FILE [--db FILE] [--session FILE] [--web ADDR]", runSynopsis, stderr)
	cfgPath := fs.String("config", "", "配置文件（必填）/ config file (required)")
	dbPath := fs.String("db", "", "数据库文件，默认取配置里的 storage.path / database file (default: storage.path)")
	session := fs.String("session", "", "微信登录状态文件（0600），默认在数据库旁边的 wechat-session.json / hot-login session file (default: next to the database)")
	logLevel := fs.String("log-level", "info", "日志级别 / log level: debug, info, warn, error")
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
	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if *dbPath == "" {
		*dbPath = cfg.Storage.Path
	}
	if *session == "" {
		*session = filepath.Join(filepath.Dir(*dbPath), "wechat-session.json")
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
		logger:  logger,
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
	engine, err = bot.New(bot.Options{Config: cfg, Store: st, Platform: adapter.Platform, Logger: logger, Modules: mods,
		Loader: func() (*config.Config, error) { return config.Load(*cfgPath) }})
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
	go hardStop(ctx, stopped, logger)
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
	go watchConfig(ctx, *cfgPath, *reloadEvery, engine, logger)

	logger.Info("qunbot running", "version", Version, "platform", cfg.Platform, "config", cfg.Source, "db", *dbPath)
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
	logger.Info("qunbot stopped")
	return err2
}

// adapterDeps are what an adapter may need from `bot run`.
type adapterDeps struct {
	session string    // WeChat's hot-login file
	qr      io.Writer // where WeChat's login QR code is drawn
	logger  *slog.Logger
	notify  func(msg string)           // tell the owner (through the engine)
	manages func(id, name string) bool // does the running config manage this group
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
		})
		return &liveAdapter{Platform: ob, run: ob.Run, retryable: onebot.IsRetryable}, nil
	case config.PlatformWeChat, "":
		wx := wechat.New(wechat.Options{
			HotLoginFile: d.session,
			QRWriter:     d.qr,
			Logger:       d.logger.With("component", "wechat"),
			Notify:       d.notify,
			Groups:       listedGroups(cfg),
			Location:     cfg.Location,
		})
		started := func(ctx context.Context) {
			// 「重新登录」 typed here resumes a login the circuit breaker paused: the file
			// helper is out of reach then. Stdin is not read before such a pause.
			go wx.WatchTerminal(ctx, os.Stdin)
			found, missing := wx.CheckGroups(ctx, listedGroups(cfg))
			if len(missing) > 0 {
				d.logger.Warn("configured groups not found", "found", found, "missing", missing)
			} else if len(found) > 0 {
				d.logger.Info("configured groups found", "groups", found)
			}
		}
		return &liveAdapter{Platform: wx, run: wx.Run, retryable: wechat.IsRetryable, started: started,
			modules: []bot.Module{wx.Module()}}, nil
	}
	return nil, fmt.Errorf("未知的平台「%s」/ unknown platform %q", cfg.Platform, cfg.Platform)
}

// listedGroups are the groups the config names; with all_groups on every group is watched.
func listedGroups(cfg *config.Config) []string {
	if cfg.AllGroups {
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
func hardStop(ctx context.Context, stopped <-chan struct{}, logger *slog.Logger) {
	select {
	case <-ctx.Done():
	case <-stopped:
		return
	}
	second := make(chan os.Signal, 1)
	notifySignals(second)
	defer signal.Stop(second)
	select {
	case <-stopped:
		return
	case <-second:
		logger.Warn("second signal: exiting now")
	case <-time.After(5 * time.Second):
		logger.Error("graceful stop took longer than 5 s: exiting now")
	}
	os.Exit(1)
}

// watchConfig applies config edits: a changed file is loaded and, if valid, swapped in on
// the engine loop; if not, the running config stays and the owner is told every error.
func watchConfig(ctx context.Context, path string, every time.Duration, e *bot.Engine, logger *slog.Logger) {
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
		e.Submit(func(ctx context.Context) { e.NotifyOwner(e.ReloadFromLoader(ctx)) })
	}
}
