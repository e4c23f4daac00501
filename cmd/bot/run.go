package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
	"qunbot/bot/wechat"
	"qunbot/storage"
)

const runSynopsis = `用你自己的微信号运行机器人（微信网页协议，Desktop 模式）。
第一次运行会在终端里显示二维码，用手机微信扫码登录；之后用保存的登录状态自动重连（约每天一次）。
需要：实名认证过的微信号；要管理的群「保存到通讯录」；登录状态文件只给自己看（里面有 cookie）。
配置文件改了会自动重载（改错了会继续用旧配置，并把错误发到文件传输助手）。
Ctrl-C（或 SIGTERM）优雅退出；再按一次立即退出。

Runs the bot on your own WeChat account (web protocol, Desktop mode). The first run shows a
QR code in the terminal; later runs reuse the saved session. Config edits are applied live.`

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
		Logger:       logger.With("component", "wechat"),
		Notify: func(msg string) {
			if engine != nil {
				engine.NotifyOwner(msg)
			}
		},
		Groups:   listedGroups(cfg),
		Location: cfg.Location,
	})
	mods, err := app.Modules(cfg)
	if err != nil {
		return err
	}
	mods = append(mods, wx.Module()) // 「重新登录」 in the console
	engine, err = bot.New(bot.Options{Config: cfg, Store: st, Platform: wx, Logger: logger, Modules: mods,
		Loader: func() (*config.Config, error) { return config.Load(*cfgPath) }})
	if err != nil {
		return err
	}
	engine.Outbox().SetRetryable(wechat.IsRetryable)
	engine.Live() // the adapter may notify the owner before Run starts: queue it for the loop

	// First signal: graceful stop; the engine flushes and the DB closes. A second signal, or
	// a stop that takes longer than 5 s, exits at once.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go hardStop(ctx, logger)
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
		found, missing := wx.CheckGroups(ctx, listedGroups(cfg))
		if len(missing) > 0 {
			logger.Warn("configured groups not found", "found", found, "missing", missing)
		} else if len(found) > 0 {
			logger.Info("configured groups found", "groups", found)
		}
	}()
	go watchConfig(ctx, *cfgPath, *reloadEvery, engine, logger)
	// 「重新登录」 typed here resumes a login the circuit breaker paused: the file helper is
	// out of reach then. Stdin is not read before such a pause.
	go wx.WatchTerminal(ctx, os.Stdin)

	logger.Info("qunbot running", "version", Version, "config", cfg.Source, "db", *dbPath, "session", *session)
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
	logger.Info("qunbot stopped")
	return runErr
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
// 5 s or a second signal arrives.
func hardStop(ctx context.Context, logger *slog.Logger) {
	<-ctx.Done()
	second := make(chan os.Signal, 1)
	notifySignals(second)
	select {
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
