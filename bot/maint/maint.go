// Package maint looks after the database while `bot run` runs: scheduled backups (config
// backup: every, keep, dir), each checked before it gets its name and rotated to keep the
// newest few, and a daily quick integrity check that tells the owner at once when the
// file is damaged. Both do their file work on a goroutine of their own, off the engine
// loop, with connections of their own: a backup or a check of a large database takes
// seconds, and messages must keep flowing meanwhile.
package maint

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

const (
	backupJob = "backup"
	checkJob  = "integrity"
)

var (
	// backupTick: how often the backup job looks whether the newest backup is due for a
	// successor. Looking (a directory listing) is cheap; a tick rather than a cron of the
	// interval keeps backups coming after downtime and across changes of backup.every.
	backupTick = config.MustCron("*/10 * * * *")
	// checkAt: the daily quick check, before retention's clean-up at 4:30.
	checkAt = config.MustCron("15 4 * * *")
)

// Module is the maintenance module. Its zero value is not ready: use New.
type Module struct {
	backupBusy, checkBusy atomic.Bool
	wg                    sync.WaitGroup // work in flight (Wait)

	mu        sync.Mutex
	failedAt  time.Time // the last backup attempt that failed (zero: none since the last good one)
	failure   string
	checkedAt time.Time // the last quick check
	problems  []string  // what it found; nil: healthy
	dir       string    // where backups go
	dbPath    string
	loc       *time.Location
	every     time.Duration
	keep      int
}

// New makes the module.
func New() *Module { return &Module{} }

// Name names the module in logs.
func (m *Module) Name() string { return "maint" }

// Start (and every reload) plans both jobs from the config in force.
func (m *Module) Start(ctx context.Context, e *bot.Engine) error {
	path := e.Store().Path()
	if path == ":memory:" {
		return nil
	}
	cfg := e.Config().Backup
	m.mu.Lock()
	m.dir, m.dbPath, m.loc, m.every, m.keep = cfg.DirFor(path), path, e.Location(), cfg.Every.D(), cfg.Keep
	m.mu.Unlock()
	if cfg.Every.D() > 0 {
		if err := e.Every(ctx, backupJob, bot.JobLabel{Group: bot.AllGroups, What: "定时备份数据库（到时间才备份）"}, backupTick, func(t *bot.Turn) error { m.BackupIfDue(t.Engine(), t.Now); return nil }); err != nil {
			return fmt.Errorf("plan backups: %w", err)
		}
	} else {
		e.CancelJob(backupJob)
	}
	if err := e.Every(ctx, checkJob, bot.JobLabel{Group: bot.AllGroups, What: "数据库完整性检查"}, checkAt, func(t *bot.Turn) error { m.Check(t.Engine()); return nil }); err != nil {
		return fmt.Errorf("plan the integrity check: %w", err)
	}
	return nil
}

// Wait waits for the backup and the check in flight, if any (tests, shutdown).
func (m *Module) Wait() { m.wg.Wait() }

// BackupIfDue starts a backup when the newest good one is at least backup.every old (less
// the tick, so a daily backup stays at about the same time of day), unless one is
// running. The copy, its check and the rotation run on their own goroutine.
func (m *Module) BackupIfDue(e *bot.Engine, now time.Time) {
	m.mu.Lock()
	dir, path, loc, every, keep := m.dir, m.dbPath, m.loc, m.every, m.keep
	m.mu.Unlock()
	if path == "" || every <= 0 {
		return
	}
	list, err := storage.ListBackups(dir, path, loc)
	if err != nil {
		e.Logger().Warn("backups not listed", "dir", dir, "err", err)
	}
	if len(list) > 0 && now.Sub(list[0].Taken) < every-10*time.Minute {
		return
	}
	if !m.backupBusy.CompareAndSwap(false, true) {
		return
	}
	name := storage.BackupName(dir, path, now.In(loc))
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer m.backupBusy.Store(false)
		res, err := storage.Backup(context.Background(), path, name, false)
		if err == nil {
			var removed int
			removed, err = storage.RotateBackups(dir, path, loc, keep)
			e.Logger().Info("backup made", "file", name, "bytes", res.Bytes, "rotated_out", removed)
		}
		m.mu.Lock()
		if err != nil {
			m.failedAt, m.failure = now, err.Error()
		} else {
			m.failedAt, m.failure = time.Time{}, ""
		}
		m.mu.Unlock()
		if err != nil {
			e.Logger().Error("backup failed", "file", name, "err", err)
			e.NotifyOwner(fmt.Sprintf("⚠️ 数据库定时备份失败：%s\n上一份成功的备份还在 %s。请检查磁盘空间和目录权限；也可以手动运行 `bot backup`。", err, dir))
		}
	}()
}

// Check starts the quick integrity check on its own goroutine; a damaged database is
// reported to the owner at once, with how to restore.
func (m *Module) Check(e *bot.Engine) {
	m.mu.Lock()
	path, dir := m.dbPath, m.dir
	m.mu.Unlock()
	if path == "" || !m.checkBusy.CompareAndSwap(false, true) {
		return
	}
	now := e.Now()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer m.checkBusy.Store(false)
		problems, err := storage.QuickCheckFile(context.Background(), path)
		if err != nil {
			e.Logger().Warn("integrity check did not run", "err", err)
			return
		}
		m.mu.Lock()
		m.checkedAt, m.problems = now, problems
		m.mu.Unlock()
		if len(problems) == 0 {
			e.Logger().Info("integrity check ok", "db", path)
			return
		}
		e.Logger().Error("integrity check failed", "db", path, "problems", problems)
		if len(problems) > 3 {
			problems = append(problems[:3], fmt.Sprintf("…共 %d 处", len(problems)))
		}
		e.NotifyOwner(fmt.Sprintf("🚨 数据库完整性检查失败：%s\n数据可能已经损坏，请尽快处理。定时备份在 %s。\n%s",
			strings.Join(problems, "；"), dir, storage.RestoreAdvice(path)))
	}()
}

// Status is the last good backup and the last check, for 状态 and the dashboard.
func (m *Module) Status(now time.Time) []bot.StatusItem {
	m.mu.Lock()
	dir, path, loc, every, keep := m.dir, m.dbPath, m.loc, m.every, m.keep
	failedAt, failure, checkedAt, problems := m.failedAt, m.failure, m.checkedAt, m.problems
	m.mu.Unlock()
	if path == "" {
		return nil
	}
	now = now.In(loc)
	var out []bot.StatusItem
	list, err := storage.ListBackups(dir, path, loc)
	switch {
	case err != nil:
		out = append(out, bot.StatusItem{Label: "备份", Text: "读不了备份目录 " + dir + "：" + err.Error(), Bad: true})
	case len(list) == 0 && every > 0:
		out = append(out, bot.StatusItem{Label: "备份", Text: fmt.Sprintf("还没有成功的备份（每 %s 一次，存在 %s）", config.FormatDuration(every), dir), Bad: !failedAt.IsZero()})
	case len(list) == 0:
		out = append(out, bot.StatusItem{Label: "备份", Text: "定时备份已关闭（backup.every: 0），也没有旧的备份", Bad: true})
	default:
		last := list[0]
		text := fmt.Sprintf("最近一次成功 %s（%s，%s，已校验），共 %d 份", when(last.Taken, now), baseName(last.Path), size(last.Bytes), len(list))
		if every > 0 {
			text += fmt.Sprintf("；每 %s 一次，保留 %d 份", config.FormatDuration(every), keep)
		} else {
			text += "；定时备份已关闭"
		}
		out = append(out, bot.StatusItem{Label: "备份", Text: text, Bad: every > 0 && now.Sub(last.Taken) > 2*every})
	}
	if !failedAt.IsZero() {
		out = append(out, bot.StatusItem{Label: "备份失败", Text: when(failedAt.In(loc), now) + "：" + clip(failure, 80), Bad: true})
	}
	switch {
	case checkedAt.IsZero():
		out = append(out, bot.StatusItem{Label: "完整性检查", Text: "每天 4:15 做一次，启动时已检查通过"})
	case len(problems) == 0:
		out = append(out, bot.StatusItem{Label: "完整性检查", Text: when(checkedAt.In(loc), now) + " 通过"})
	default:
		out = append(out, bot.StatusItem{Label: "完整性检查", Text: fmt.Sprintf("%s 发现 %d 处问题，请用备份恢复", when(checkedAt.In(loc), now), len(problems)), Bad: true})
	}
	return out
}

func when(at, now time.Time) string {
	if at.YearDay() == now.YearDay() && at.Year() == now.Year() {
		return "今天 " + at.Format("15:04")
	}
	return at.Format("01-02 15:04")
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
