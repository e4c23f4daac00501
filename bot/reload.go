package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"qunbot/bot/config"
)

// Loader reads the configuration again (hot reload, 重载配置). Nil when the config
// cannot be reloaded (the embedded default).
type Loader func() (*config.Config, error)

// ConfigStatus says what configuration is running and how the last reload went.
type ConfigStatus struct {
	Source      string
	Loaded      time.Time // when the running config was applied
	LastAttempt time.Time // the last reload attempt, successful or not
	Errors      []string  // problems of the last failed attempt (the running config is older)
}

type statusBox struct {
	mu sync.Mutex
	s  ConfigStatus
}

func (b *statusBox) get() ConfigStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.s
	s.Errors = append([]string(nil), s.Errors...)
	return s
}

func (b *statusBox) set(fn func(*ConfigStatus)) {
	b.mu.Lock()
	fn(&b.s)
	b.mu.Unlock()
}

// ConfigStatus reports the running configuration's source and the last reload. Safe from
// any goroutine (the dashboard reads it).
func (e *Engine) ConfigStatus() ConfigStatus { return e.status.get() }

// Reload applies a new configuration on the engine loop: rules are rebuilt on first use
// (the pointer swap is atomic), pacing is updated, and every module re-plans its jobs —
// a job whose schedule is unchanged keeps its stored last run, so nothing is doubled.
// Call it on the engine goroutine (Submit, or a Turn's After hook).
func (e *Engine) Reload(ctx context.Context, cfg *config.Config) error {
	e.SetConfig(cfg)
	if !e.pacingFixed {
		e.outbox.SetPacing(PacingFromConfig(cfg.Outbox))
	}
	for _, m := range e.modules {
		if s, ok := m.(Starter); ok {
			if err := e.safely(ctx, "reload "+m.Name(), func() error { return s.Start(ctx, e) }); err != nil {
				return fmt.Errorf("re-plan %s: %w", m.Name(), err)
			}
		}
	}
	now := e.clock.Now()
	e.status.set(func(s *ConfigStatus) { s.Source, s.Loaded, s.LastAttempt, s.Errors = cfg.Source, now, now, nil })
	e.log.InfoContext(ctx, "config reloaded", "source", cfg.Source)
	return nil
}

// ReloadFromLoader loads the config again and applies it; a broken config keeps the
// running one, logs every problem and tells the owner. It returns a Chinese summary.
func (e *Engine) ReloadFromLoader(ctx context.Context) string {
	if e.loader == nil {
		return "现在用的是内置的默认配置，没有配置文件可以重载。请用 --config 指定配置文件启动。"
	}
	cfg, err := e.loader()
	return e.applyLoaded(ctx, cfg, err)
}

// applyLoaded applies what the loader returned, on the loop (reload_async.go parses off it).
func (e *Engine) applyLoaded(ctx context.Context, cfg *config.Config, err error) string {
	now := e.clock.Now()
	var words []string
	if err == nil {
		if words = e.commands.checkWords(cfg); len(words) > 0 {
			err = errors.New(strings.Join(words, "\n"))
		}
	}
	if err != nil {
		problems := []string{err.Error()}
		if len(words) > 0 {
			problems = words
		}
		if ce, ok := config.AsError(err); ok {
			problems = problems[:0]
			for _, p := range ce.Problems {
				problems = append(problems, p.String(ce.Source))
			}
		}
		for _, p := range problems {
			e.log.ErrorContext(ctx, "config reload failed; keeping the running config", "problem", p)
		}
		e.status.set(func(s *ConfigStatus) { s.LastAttempt, s.Errors = now, problems })
		return fmt.Sprintf("❌ 配置有 %d 处错误，继续使用原来的配置：\n%s", len(problems), strings.Join(problems, "\n"))
	}
	if err := e.Reload(ctx, cfg); err != nil {
		e.status.set(func(s *ConfigStatus) { s.LastAttempt, s.Errors = now, []string{err.Error()} })
		return "❌ 新配置应用失败：" + err.Error()
	}
	return "✅ 配置已重载：" + cfg.Source
}
