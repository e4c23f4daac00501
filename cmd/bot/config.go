package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"qunbot"
	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
	"qunbot/storage"
)

// loadConfig reads --config, or the embedded example when none is given.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Parse(qunbot.ExampleConfig, "config.example.yaml (内置 / embedded)")
	}
	return config.Load(path)
}

// simConfig is loadConfig for the simulator: without --config it manages every group it
// sees (whatever the example says for a real account), so trying it needs no setup.
func simConfig(path string) (*config.Config, error) {
	cfg, err := loadConfig(path)
	if err == nil && path == "" {
		cfg.AllGroups, cfg.AllGroupsSet = true, true
	}
	return cfg, err
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check [--config FILE] [--db FILE]",
		"检查配置文件：列出所有错误（文件、行号、键名），有错误时退出码为 1。\n给出 --db 时还会检查数据库的完整性。\nValidates the config and lists every error with file, line and key; exits 1 on error.", stderr)
	cfgPath := fs.String("config", "", "配置文件 / config file (默认内置示例 / default: embedded example)")
	dbPath := fs.String("db", "", "同时检查这个数据库文件 / also check this database file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	modules, err := app.Modules(cfg)
	if err != nil {
		return err
	}
	if problems, err := bot.CheckCommandWords(cfg, modules); err != nil {
		return err
	} else if len(problems) > 0 {
		return fmt.Errorf("配置文件 %s 的命令词有 %d 处错误 / bad command words:\n  %s", cfg.Source, len(problems), strings.Join(problems, "\n  "))
	}
	groups := len(cfg.Groups)
	fmt.Fprintf(stdout, "✓ 配置没有问题 / config OK: %s（平台 %s，时区 %s，单独设置的群 %d 个）\n", cfg.Source, platformLine(cfg), cfg.Timezone, groups)
	for _, w := range append(cfg.AdminWarnings(), cfg.Warnings(time.Now(), false)...) {
		fmt.Fprintf(stdout, "⚠️ %s\n", w)
	}
	if *dbPath != "" {
		st, err := storage.Open(ctx, *dbPath)
		if err != nil {
			return err
		}
		defer st.Close()
		problems, err := st.IntegrityCheck(ctx)
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return fmt.Errorf("数据库 %s 完整性检查失败 / integrity check failed: %v（请用备份恢复 / restore from a backup）", *dbPath, problems)
		}
		v, _ := st.Version(ctx)
		fmt.Fprintf(stdout, "✓ 数据库完好 / database OK: %s（结构版本 %d）\n", *dbPath, v)
	}
	return nil
}

// platformLine says which platform `bot run` will use and how it connects.
func platformLine(cfg *config.Config) string {
	if cfg.Platform != config.PlatformOneBot {
		return "微信 / wechat"
	}
	o := cfg.OneBot
	if o.URL != "" {
		return "QQ（OneBot v11，正向 WebSocket " + o.URL + "）"
	}
	return "QQ（OneBot v11，反向 WebSocket，监听 " + o.Listen + "）"
}
