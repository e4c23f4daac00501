package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qunbot/rules"
	"qunbot/storage"
)

func TestTrainImportsAndWritesModels(t *testing.T) {
	dir := t.TempDir()
	spam, ham := filepath.Join(dir, "spam.txt"), filepath.Join(dir, "ham.txt")
	os.WriteFile(spam, []byte("加我喂心 看片\n出U 担保 车队\n"), 0o644)
	os.WriteFile(ham, []byte("今天天气不错\n\n明天见\n"), 0o644)
	db := filepath.Join(dir, "q.db")
	code, out, errOut := runCLI(t, "", "train", "--spam", spam, "--ham", ham, "--db", db)
	if code != 0 || !strings.Contains(out, "已导入 4 条") {
		t.Fatalf("import: code %d\n%s\n%s", code, out, errOut)
	}
	st, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.View(context.Background(), func(tx *storage.Tx) error {
		s, h, err := tx.ExampleCounts()
		if err != nil || s != 2 || h != 2 {
			t.Errorf("examples %d spam %d ordinary (%v)", s, h, err)
		}
		return nil
	})

	model := filepath.Join(dir, "own.model")
	code, out, errOut = runCLI(t, "", "train", "--spam", spam, "--ham", ham, "--out", model)
	if code != 0 || !strings.Contains(out, model) {
		t.Fatalf("--out: code %d\n%s\n%s", code, out, errOut)
	}
	b, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rules.ParseModel(b); err != nil {
		t.Fatalf("written model does not parse: %v", err)
	}

	for _, args := range [][]string{{"train"}, {"train", "--eval", "--k", "1"}} {
		if code, _, _ := runCLI(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, code)
		}
	}
	if code, _, errOut := runCLI(t, "", "train", "--spam", filepath.Join(dir, "missing.txt"), "--db", db); code != 1 || !strings.Contains(errOut, "读取样本文件失败") {
		t.Errorf("missing file: exit %d\n%s", code, errOut)
	}
}
