package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A database with overwritten pages, an emptied one and a half-copied one are each refused
// by `sim --db` with a non-zero exit and advice on restoring a backup.
func TestSimRefusesDamagedDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	var lines strings.Builder
	lines.WriteString("@time 2026-11-21 08:00\n@group 测试群\n")
	for i := range 400 {
		lines.WriteString("+成员" + strings.Repeat("甲", i%7) + string(rune('A'+i%26)) + "\n")
	}
	script := writeFile(t, "s.txt", lines.String())
	if code, _, errOut := runCLI(t, "", "sim", "--db", db, "--script", script); code != 0 {
		t.Fatalf("first run: %d %s", code, errOut)
	}
	good, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"pages":    overwritePages(good),
		"empty":    nil,
		"truncate": good[:len(good)/2],
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.db")
			if err := os.WriteFile(bad, data, 0o600); err != nil {
				t.Fatal(err)
			}
			code, _, errOut := runCLI(t, "", "sim", "--db", bad, "--script", script)
			if code == 0 {
				t.Fatal("sim must refuse a damaged database")
			}
			if !strings.Contains(errOut, "备份") || !strings.Contains(errOut, "backup") || strings.Contains(errOut, "可写") {
				t.Errorf("want restore advice, got %s", errOut)
			}
			if after, _ := os.ReadFile(bad); string(after) != string(data) {
				t.Error("the damaged file must be left as it was")
			}
		})
	}
}

func overwritePages(good []byte) []byte {
	data := append([]byte(nil), good...)
	const page = 4096
	n := len(data) / page
	for _, p := range []int{n / 3, n / 2, n - 1} {
		for i := range page {
			data[p*page+i] = byte(i*7 + p)
		}
	}
	return data
}
