package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckReportsEveryMistake(t *testing.T) {
	cfg := writeFile(t, "bad.yaml", `timezone: Nowhere/City
storage:
  path: data/q.db
defaults:
  welcome:
    batch_window: 一会儿
    tempalte: hi
`)
	code, out, errOut := runCLI(t, "", "check", "--config", cfg)
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stdout %q stderr %q", code, out, errOut)
	}
	for _, want := range []string{"bad.yaml:1: timezone", "bad.yaml:6: defaults.welcome.batch_window", "bad.yaml:7: defaults.welcome.tempalte", "template", "3 处错误"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr should contain %q:\n%s", want, errOut)
		}
	}
}

func TestCheckEmbeddedAndDB(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	code, out, errOut := runCLI(t, "", "check", "--db", db)
	if code != 0 || !strings.Contains(out, "配置没有问题") || !strings.Contains(out, "数据库完好") {
		t.Fatalf("code %d\n%s\n%s", code, out, errOut)
	}
}

func TestSimScriptJSON(t *testing.T) {
	script := writeFile(t, "s.txt", "@time 2026-11-21 08:00\n@group 测试群\n+王五\n")
	code, out, errOut := runCLI(t, "", "sim", "--script", script, "--json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	var found bool
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(l), &obj); err != nil {
			t.Fatalf("stdout must be JSON lines only: %q", l)
		}
		if obj["kind"] == "send" && obj["group"] == "测试群" && strings.Contains(obj["text"].(string), "王五") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no welcome naming 王五:\n%s", out)
	}
}

func TestSimScriptErrorsNameTheLine(t *testing.T) {
	script := writeFile(t, "s.txt", "@time 2026-11-21 08:00\n@group 测试群\n@advance soon\n王五 says hi\n王五: [gift] x\n")
	code, out, errOut := runCLI(t, "", "sim", "--script", script, "--json")
	if code != 1 || out != "" {
		t.Fatalf("a bad script runs nothing and exits 1: code %d out %q", code, out)
	}
	for _, want := range []string{"第 3 行", "第 4 行", "第 5 行", "[link]"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr should contain %q:\n%s", want, errOut)
		}
	}
}

func TestSimInteractiveFromStdin(t *testing.T) {
	code, out, errOut := runCLI(t, "@group 读书会\n王五: 群规\nnonsense line\n", "sim", "--json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"kind":"send"`) || !strings.Contains(out, "群规") {
		t.Errorf("the rules answer is printed:\n%s", out)
	}
	if !strings.Contains(errOut, "第 3 行") {
		t.Errorf("a bad interactive line is reported and skipped:\n%s", errOut)
	}
}

func TestHelpAndUsage(t *testing.T) {
	for _, sub := range []string{"sim", "check"} {
		code, _, errOut := runCLI(t, "", sub, "--help")
		if code != 0 || !strings.Contains(errOut, "--config") {
			t.Errorf("%s --help: code %d, %q", sub, code, errOut)
		}
	}
	if code, _, _ := runCLI(t, ""); code != 2 {
		t.Errorf("no subcommand: exit 2")
	}
	if code, _, errOut := runCLI(t, "", "fly"); code != 2 || !strings.Contains(errOut, "fly") {
		t.Errorf("unknown subcommand: exit 2 naming it")
	}
	if code, out, _ := runCLI(t, "", "version"); code != 0 || !strings.Contains(out, Version) {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, _ := runCLI(t, "", "sim", "--bogus"); code != 2 {
		t.Errorf("unknown flag: exit 2")
	}
}
