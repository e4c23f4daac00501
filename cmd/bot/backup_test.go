package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	script := writeFile(t, "s.txt", "@time 2026-11-21 08:00\n@group 测试群\n+王五\n王五: 签到\n")
	if code, _, errOut := runCLI(t, "", "sim", "--script", script, "--db", db); code != 0 {
		t.Fatalf("sim: %s", errOut)
	}
	out := filepath.Join(dir, "backups", "q-copy.db")
	code, stdout, errOut := runCLI(t, "", "backup", "--db", db, out)
	if code != 0 || !strings.Contains(stdout, "已备份") {
		t.Fatalf("backup: code %d\n%s\n%s", code, stdout, errOut)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v, want mode 0600", st, err)
	}
	// The copy is a working database: check accepts it.
	if code, stdout, errOut := runCLI(t, "", "check", "--db", out); code != 0 || !strings.Contains(stdout, "数据库完好") {
		t.Fatalf("check of the copy: %d\n%s\n%s", code, stdout, errOut)
	}
	// A second backup to the same name is refused, and --force (after OUT) overwrites.
	code, _, errOut = runCLI(t, "", "backup", "--db", db, out)
	if code != 1 || !strings.Contains(errOut, "已存在") || !strings.Contains(errOut, "--force") {
		t.Fatalf("overwrite without --force: code %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "backup", "--db", db, out, "--force"); code != 0 {
		t.Fatalf("--force: code %d: %s", code, errOut)
	}
	// No OUT, or two: usage error.
	if code, _, _ := runCLI(t, "", "backup", "--db", db); code != 2 {
		t.Errorf("no OUT: code %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "", "backup", "--db", db, "a.db", "b.db"); code != 2 {
		t.Errorf("two OUTs: code %d, want 2", code)
	}
	// A missing database is an error, and is not created.
	missing := filepath.Join(dir, "nope.db")
	if code, _, _ := runCLI(t, "", "backup", "--db", missing, filepath.Join(dir, "x.db")); code != 1 {
		t.Errorf("missing database: code %d, want 1", code)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Error("backup created the missing database")
	}
}
