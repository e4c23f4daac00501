package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qunbot/storage"
)

// A `sim --db` pointed at a database another bot holds is refused before it writes
// anything, naming the holder (storage/lock.go). The holder here is a store opened by the
// test: flock is per open file, so it stands for a `bot run` in another process.
func TestSimRefusesAHeldDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	held, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	script := writeFile(t, "s.txt", "@time 2026-11-21 08:00\n@group 测试群\n+王五\n王五: 签到\n")
	code, _, errOut := runCLI(t, "", "sim", "--script", script, "--db", db)
	pid := fmt.Sprint(os.Getpid())
	if code == 0 || !strings.Contains(errOut, "进程 "+pid) || !strings.Contains(errOut, "process "+pid) {
		t.Fatalf("sim --db on a held database: code %d, stderr %q; want a refusal naming PID %s", code, errOut, pid)
	}
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "", "sim", "--script", script, "--db", db); code != 0 {
		t.Fatalf("sim --db once the holder closed: %s", errOut)
	}
}
