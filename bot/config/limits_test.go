package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigSizeCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	var b strings.Builder
	b.WriteString("defaults:\n  moderation:\n    allow:\n")
	for b.Len() <= MaxConfigBytes {
		b.WriteString("      - 某个很长很长的白名单词条目\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "太大") || !strings.Contains(err.Error(), "too big") {
		t.Fatalf("want a size error, got %v", err)
	}
	if _, err := Parse([]byte(b.String()), "big.yaml"); err == nil || !strings.Contains(err.Error(), "1 MiB") {
		t.Fatalf("Parse must refuse too: %v", err)
	}
}

func TestWordListSizeCap(t *testing.T) {
	dir := t.TempDir()
	words := filepath.Join(dir, "words.txt")
	line := strings.Repeat("广告词", 10) + "\n"
	if err := os.WriteFile(words, []byte(strings.Repeat(line, MaxWordListBytes/len(line)+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("defaults:\n  moderation:\n    lexicons:\n      - file: words.txt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(cfg)
	if err == nil || !strings.Contains(err.Error(), "4 MiB") || !strings.Contains(err.Error(), "词库") {
		t.Fatalf("want a word-list size error, got %v", err)
	}
}

func TestCronMinInterval(t *testing.T) {
	post := func(cron string) string {
		return "defaults:\n  posts:\n    - name: p\n      cron: \"" + cron + "\"\n      text: hi\n"
	}
	for _, tc := range []struct {
		yaml, bad string
	}{
		{post("0 8 * * *"), ""},
		{post("* * * * *"), ""}, // every minute: the default floor
		{post("* * * * * *"), "秒字段"},
		{post("*/5 * * * * *"), "seconds field"},
		{post("@every 10s"), "min_interval"},
		{post("* * * * *") + "scheduler: {min_interval: 10m}\n", "更频繁"},
		{post("*/5 8 * * *") + "scheduler: {min_interval: 10m}\n", "5m"},
		{post("*/10 8 * * *") + "scheduler: {min_interval: 10m}\n", ""},
		{"scheduler: {min_interval: 30s}\n", "scheduler.min_interval"},
		{"groups:\n  读书会:\n    posts:\n      - name: x\n        cron: \"*/20 * * * * *\"\n        text: hi\n", "groups.读书会.posts[0].cron"},
	} {
		_, err := Parse([]byte(tc.yaml), "c.yaml")
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%q: %v", tc.yaml, err)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%q: err %v, want %q", tc.yaml, err, tc.bad)
		}
	}
}

func TestTokenEntropy(t *testing.T) {
	for tok, ok := range map[string]bool{
		"aaaaaaaaaaaaaaaa":                 false,
		"abcdabcdabcdabcd":                 false,
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA": false,
		"0123456789abcdef-x":               true,
		"test-token-0123456789abcdef":      true,
		"9f86d081884c7d65":                 true,
		"5e884898da28047151d0e56f8dc62927": true,
	} {
		_, err := Parse([]byte("web: {token: \""+tok+"\"}\n"), "c.yaml")
		if ok != (err == nil) {
			t.Errorf("token %q (%.0f bits): err %v", tok, TokenBits(tok), err)
		}
		if err != nil && !strings.Contains(err.Error(), "太好猜") {
			t.Errorf("want a clear error: %v", err)
		}
	}
}
