// Command model trains the shipped classifier from rules/corpus and writes
// rules/models/spam-zh.model. It is deterministic: run by `go generate -run gen/model
// ./rules`, and a test checks that regenerating gives the same bytes.
package main

import (
	"flag"
	"fmt"
	"os"

	"qunbot/rules"
)

func main() {
	spam := flag.String("spam", "corpus/spam.txt", "spam messages, one a line")
	ham := flag.String("ham", "corpus/ham.txt", "ordinary messages, one a line")
	out := flag.String("out", "models/spam-zh.model", "model file to write")
	flag.Parse()
	if err := run(*spam, *ham, *out); err != nil {
		fmt.Fprintln(os.Stderr, "生成分类模型失败 (generate model):", err)
		os.Exit(1)
	}
}

func run(spam, ham, out string) error {
	s, err := os.ReadFile(spam)
	if err != nil {
		return fmt.Errorf("read spam corpus: %w", err)
	}
	h, err := os.ReadFile(ham)
	if err != nil {
		return fmt.Errorf("read ham corpus: %w", err)
	}
	m := rules.Train(rules.CorpusExamples(string(s), string(h)), rules.ShippedTrainOptions)
	b, err := m.MarshalBinary()
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}
