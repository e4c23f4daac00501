package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
	"qunbot/bot/sim"
)

func cmdSim(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("sim [--config FILE] [--db FILE] [--script FILE] [--json] [--can-remove] [--can-mute] [--web ADDR]",
		"在模拟的群里运行真正的机器人引擎，不需要微信号。不加 --script 时从标准输入逐行读取（时间跟随真实时间）；\n"+
			"加 --script 时按脚本运行，时间只由 @time / @advance 推动。也可以用它在上线前试验你的规则。\n"+
			"Runs the real engine on a simulated platform. Script lines: @time, @advance, @group, @friend name, +name, -name, name: text, me: text, > console.", stderr)
	cfgPath := fs.String("config", "", "配置文件 / config file (默认内置示例 / default: embedded example)")
	dbPath := fs.String("db", ":memory:", "数据库文件；默认只在内存里，结束即丢弃 / database file (default: in memory)")
	script := fs.String("script", "", "脚本文件；不给则交互输入 / script file (default: interactive stdin)")
	jsonOut := fs.Bool("json", false, "每个结果输出一行 JSON（其它输出走 stderr）/ one JSON object per line on stdout")
	canRemove := fs.Bool("can-remove", false, "模拟一个能踢人的平台（微信不能）/ simulate a platform that can remove members")
	canMute := fs.Bool("can-mute", false, "模拟一个能禁言、撤回消息的平台（QQ 上机器人是群管理员时；微信不能）/ simulate a platform that can mute and recall")
	logLevel := fs.String("log-level", "warn", "日志级别 / log level: debug, info, warn, error")
	webAddr := fs.String("web", "", webFlagHelp+"；脚本跑完后继续服务，Ctrl-C 结束 / after the script, keeps serving until Ctrl-C")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *webAddr != "" && *script == "" {
		// Interactively the engine runs on this goroutine with nothing to hand work to; the
		// dashboard reads a finished script's result instead.
		fmt.Fprintln(stderr, "--web 需要和 --script 一起用：脚本跑完后用仪表盘查看结果 / --web needs --script")
		return errUsage
	}
	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	cfg, err := simConfig(*cfgPath)
	if err != nil {
		return err
	}
	opts := app.SimOptions{Config: cfg, DBPath: *dbPath, JSON: *jsonOut, CanRemove: *canRemove, CanMute: *canMute, Out: stdout, Logger: logger}
	if *cfgPath != "" {
		path := *cfgPath
		opts.Loader = func() (*config.Config, error) { return config.Load(path) }
	}

	if *script != "" {
		f, err := os.Open(*script)
		if err != nil {
			return fmt.Errorf("打开脚本失败 / open script: %w", err)
		}
		defer f.Close()
		// Scripts start now (to the minute) unless their first @time says otherwise.
		clock := bot.NewManualClock(time.Now().In(cfg.Location).Truncate(time.Minute))
		s, err := app.NewSim(ctx, opts, clock, "s")
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.Runner.RunScript(ctx, f); err != nil {
			return fmt.Errorf("%s: %w", *script, err)
		}
		if *webAddr != "" {
			// The script has finished: the dashboard is now the only reader of the engine.
			done, err := startWeb(ctx, s.Engine, *webAddr, stderr, logger)
			if err != nil {
				return err
			}
			fmt.Fprintln(stderr, "脚本已运行完，仪表盘继续服务，按 Ctrl-C 结束 / script done; serving the dashboard until Ctrl-C")
			return <-done
		}
		return nil
	}
	clock := bot.NewOffsetClock(bot.SystemClock{})
	s, err := app.NewSim(ctx, opts, clock, "i"+strconv.FormatInt(time.Now().UnixNano(), 36)+"-")
	if err != nil {
		return err
	}
	defer s.Close()
	if !*jsonOut {
		fmt.Fprint(stderr, sim.Banner)
	}
	return s.Runner.Interactive(ctx, stdin, stderr)
}
