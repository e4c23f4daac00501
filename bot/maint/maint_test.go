package maint

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/bot/sim"
	"qunbot/storage"
)

type fixture struct {
	e     *bot.Engine
	m     *Module
	clock *bot.ManualClock
	out   *bytes.Buffer
	db    string
	dir   string
}

func newFixture(t *testing.T, yamlText string) *fixture {
	t.Helper()
	cfg, err := config.Parse([]byte(yamlText), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "qunbot.db")
	st, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := bot.NewManualClock(time.Date(2026, 12, 1, 4, 30, 0, 0, cfg.Location))
	out := &bytes.Buffer{}
	p := sim.NewPlatform(bot.Capabilities{}, sim.NewPrinter(out, false, cfg.Location), clock)
	m := New()
	e, err := bot.New(bot.Options{Config: cfg, Store: st, Platform: p, Clock: clock, Pacing: &bot.Pacing{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Modules: []bot.Module{m}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &fixture{e: e, m: m, clock: clock, out: out, db: db, dir: filepath.Join(dir, "backups")}
}

func (f *fixture) backups(t *testing.T) []storage.BackupFile {
	t.Helper()
	list, err := storage.ListBackups(f.dir, f.db, f.e.Location())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestScheduledBackupsAreCheckedAndRotated(t *testing.T) {
	f := newFixture(t, "backup: {every: 24h, keep: 3}\n")
	if got := f.m.Status(f.clock.Now()); len(got) == 0 || !strings.Contains(got[0].Text, "还没有成功的备份") {
		t.Fatalf("status before any backup: %+v", got)
	}
	for day := range 5 {
		f.m.BackupIfDue(f.e, f.clock.Now())
		f.m.Wait()
		// Not due again within the interval.
		f.clock.Set(f.clock.Now().Add(time.Hour))
		f.m.BackupIfDue(f.e, f.clock.Now())
		f.m.Wait()
		if n := len(f.backups(t)); n != min(day+1, 3) {
			t.Fatalf("day %d: %d backups", day, n)
		}
		f.clock.Set(f.clock.Now().Add(23 * time.Hour))
	}
	list := f.backups(t)
	// Each kept backup is a whole, healthy database.
	for _, b := range list {
		if problems, err := storage.QuickCheckFile(context.Background(), b.Path); err != nil || len(problems) > 0 {
			t.Errorf("%s: %v %v", b.Path, problems, err)
		}
	}
	if !strings.Contains(list[0].Path, "qunbot-20261205-0430") {
		t.Errorf("newest backup %s", list[0].Path)
	}
	st := f.m.Status(f.clock.Now())
	if len(st) == 0 || !strings.Contains(st[0].Text, "最近一次成功 12-05 04:30") || !strings.Contains(st[0].Text, "已校验") || st[0].Bad {
		t.Errorf("status: %+v", st)
	}
	// 状态 shows it too.
	if items := f.e.ModuleStatus(f.clock.Now()); len(items) != len(st) {
		t.Errorf("engine status %+v", items)
	}
}

func TestBackupFailureTellsTheOwner(t *testing.T) {
	f := newFixture(t, "")
	// A file where the backup directory should be: the backup cannot be written.
	if err := os.WriteFile(f.dir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.m.BackupIfDue(f.e, f.clock.Now())
	f.m.Wait()
	if !strings.Contains(f.out.String(), "定时备份失败") {
		t.Errorf("owner not told:\n%s", f.out.String())
	}
	st := f.m.Status(f.clock.Now())
	bad := false
	for _, it := range st {
		bad = bad || (it.Bad && it.Label == "备份失败")
	}
	if !bad {
		t.Errorf("status must show the failure: %+v", st)
	}
}

func TestDailyCheckReportsDamageAtOnce(t *testing.T) {
	f := newFixture(t, "")
	f.m.Check(f.e)
	f.m.Wait()
	if st := f.m.Status(f.clock.Now()); !strings.Contains(st[len(st)-1].Text, "通过") {
		t.Fatalf("healthy check: %+v", st)
	}
	// Fill the database, get it all into the main file, then damage pages under the bot.
	err := f.e.Store().Update(context.Background(), func(tx *storage.Tx) error {
		for i := range 2000 {
			if _, err := tx.Audit(storage.AuditEntry{Time: f.clock.Now(), Action: "test", Detail: map[string]any{"i": i, "pad": strings.Repeat("x", 100)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every page into the main file, where the damage below lands.
	if err := f.e.Store().CheckpointAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	fh, err := os.OpenFile(f.db, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := fh.Stat()
	junk := bytes.Repeat([]byte{0xA5}, 4096)
	for _, page := range []int64{fi.Size()/4096 - 2, fi.Size() / 4096 / 2} {
		fh.WriteAt(junk, page*4096)
	}
	fh.Close()
	f.m.Check(f.e)
	f.m.Wait()
	if out := f.out.String(); !strings.Contains(out, "完整性检查失败") || !strings.Contains(out, "备份") {
		t.Errorf("owner not told at once:\n%s", out)
	}
	st := f.m.Status(f.clock.Now())
	if last := st[len(st)-1]; !last.Bad || !strings.Contains(last.Text, "请用备份恢复") {
		t.Errorf("status: %+v", st)
	}
}
