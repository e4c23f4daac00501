// Command simbar measures the shipped defaults the way the bar does: through the
// real binary's `bot sim`, each message a new member's first message in a group, counting
// penalty events. It cross-validates on the shipped corpus: for each of k folds it trains a
// model on the other folds (`bot train --out`), runs the held-out fold's spam and ordinary
// messages through `bot sim` with the example config (all groups managed, the fold's
// model), and counts who was penalised.
//
//	go run ./internal/simbar            # 5 folds, all messages
//	go run ./internal/simbar -k 5 -n 200  # at most 200 spam + 200 ordinary per fold (quick)
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"qunbot/rules"
)

func main() {
	k := flag.Int("k", 5, "folds")
	n := flag.Int("n", 0, "at most this many spam and this many ordinary messages per fold (0: all)")
	bin := flag.String("bin", "", "bot binary (default: build ./cmd/bot)")
	example := flag.String("example", "config.example.yaml", "the example config the binary embeds")
	verbose := flag.Bool("v", false, "list every false alarm and the rule that caused it")
	flag.BoolVar(&burst, "burst", false, "one group, no time between messages (a raid of new members)")
	flag.Parse()
	if err := run(context.Background(), *k, *n, *bin, *example, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "simbar:", err)
		os.Exit(1)
	}
}

// Result is what one run counted.
type Result struct {
	Spam, Ham, Caught, FalseAlarms int
	Reviews                        int            // ordinary messages sent to the owner for review (no penalty)
	ByRule                         map[string]int // false alarms by the rule that penalised
}

func run(ctx context.Context, k, limit int, bin, example string, verbose bool) error {
	dir, err := os.MkdirTemp("", "simbar")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "bot")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/bot").CombinedOutput(); err != nil {
			return fmt.Errorf("build bot: %v\n%s", err, out)
		}
	}
	exampleYAML, err := os.ReadFile(example)
	if err != nil {
		return fmt.Errorf("read example config: %w", err)
	}
	examples := rules.ShippedCorpus()
	folds := rules.FoldOf(len(examples), k, 7)
	total := Result{ByRule: map[string]int{}}
	for f := range k {
		var train, test []rules.Example
		for i, e := range examples {
			if folds[i] == f {
				test = append(test, e)
			} else {
				train = append(train, e)
			}
		}
		test = capped(test, limit)
		r, falses, err := Fold(ctx, bin, dir, string(exampleYAML), f, train, test)
		if err != nil {
			return fmt.Errorf("fold %d: %w", f, err)
		}
		fmt.Printf("fold %d: caught %d/%d (%.1f%%), false alarms %d/%d (%.2f%%), ordinary sent for review %d\n", f,
			r.Caught, r.Spam, pct(r.Caught, r.Spam), r.FalseAlarms, r.Ham, pct(r.FalseAlarms, r.Ham), r.Reviews)
		if verbose {
			for _, s := range falses {
				fmt.Println("  false alarm:", s)
			}
		}
		total.Spam += r.Spam
		total.Ham += r.Ham
		total.Caught += r.Caught
		total.FalseAlarms += r.FalseAlarms
		total.Reviews += r.Reviews
		for rule, c := range r.ByRule {
			total.ByRule[rule] += c
		}
	}
	fmt.Printf("total: caught %d/%d (%.1f%%), false alarms %d/%d (%.2f%%), ordinary sent for review %d; false alarms by rule %v\n",
		total.Caught, total.Spam, pct(total.Caught, total.Spam), total.FalseAlarms, total.Ham, pct(total.FalseAlarms, total.Ham),
		total.Reviews, total.ByRule)
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// capped keeps at most limit spam and limit ordinary examples, in order.
func capped(ex []rules.Example, limit int) []rules.Example {
	if limit <= 0 {
		return ex
	}
	var out []rules.Example
	s, h := 0, 0
	for _, e := range ex {
		if e.Spam && s < limit {
			out = append(out, e)
			s++
		} else if !e.Spam && h < limit {
			out = append(out, e)
			h++
		}
	}
	return out
}

// Fold trains a model on train with `bot train --out`, runs test through `bot sim` and
// counts. It returns the false alarms as "rule: text" lines.
func Fold(ctx context.Context, bin, dir, exampleYAML string, f int, train, test []rules.Example) (Result, []string, error) {
	r := Result{ByRule: map[string]int{}}
	var spam, ham strings.Builder
	for _, e := range train {
		if e.Spam {
			spam.WriteString(e.Text + "\n")
		} else {
			ham.WriteString(e.Text + "\n")
		}
	}
	spamFile, hamFile := filepath.Join(dir, fmt.Sprintf("spam%d.txt", f)), filepath.Join(dir, fmt.Sprintf("ham%d.txt", f))
	model := filepath.Join(dir, fmt.Sprintf("fold%d.model", f))
	if err := os.WriteFile(spamFile, []byte(spam.String()), 0o644); err != nil {
		return r, nil, err
	}
	if err := os.WriteFile(hamFile, []byte(ham.String()), 0o644); err != nil {
		return r, nil, err
	}
	if out, err := exec.CommandContext(ctx, bin, "train", "--spam", spamFile, "--ham", hamFile, "--out", model).CombinedOutput(); err != nil {
		return r, nil, fmt.Errorf("bot train: %v\n%s", err, out)
	}
	cfg, err := FoldConfig(exampleYAML, model)
	if err != nil {
		return r, nil, err
	}
	cfgFile := filepath.Join(dir, fmt.Sprintf("fold%d.yaml", f))
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		return r, nil, err
	}
	script, who := Script(test)
	scriptFile := filepath.Join(dir, fmt.Sprintf("fold%d.script", f))
	if err := os.WriteFile(scriptFile, []byte(script), 0o644); err != nil {
		return r, nil, err
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "sim", "--config", cfgFile, "--script", scriptFile, "--json")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return r, nil, fmt.Errorf("bot sim: %v\n%s", err, stderr.String())
	}
	penalised, reviewed := map[string]string{}, map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var ev struct{ Kind, Member, Rule string }
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		switch ev.Kind {
		case "penalty":
			if _, ok := penalised[ev.Member]; !ok {
				penalised[ev.Member] = ev.Rule
			}
		case "review":
			reviewed[ev.Member] = true
		}
	}
	var falses []string
	for name, e := range who {
		rule, hit := penalised[name]
		if e.Spam {
			r.Spam++
			if hit {
				r.Caught++
			}
			continue
		}
		r.Ham++
		if hit {
			r.FalseAlarms++
			r.ByRule[rule]++
			falses = append(falses, rule+": "+e.Text)
		} else if reviewed[name] {
			r.Reviews++
		}
	}
	return r, falses, nil
}

// FoldConfig is the example config with every group managed (what `bot sim` does without
// --config) and the fold's model in place of the shipped one.
func FoldConfig(exampleYAML, model string) (string, error) {
	const allGroups, modelLine = "all_groups: false", "      # model: "
	if !strings.Contains(exampleYAML, allGroups) || !strings.Contains(exampleYAML, modelLine) {
		return "", fmt.Errorf("the example config no longer has %q and %q to replace", allGroups, modelLine)
	}
	cfg := strings.Replace(exampleYAML, allGroups, "all_groups: true", 1)
	i := strings.Index(cfg, modelLine)
	end := i + strings.IndexByte(cfg[i:], '\n')
	return cfg[:i] + "      model: " + model + cfg[end:], nil
}

// burst is the -burst flag: Script's other shape.
var burst bool

// Script makes each example a new member's first message: 100 members to a group, two
// minutes apart (with -burst: all in one group at the same minute). who maps the members'
// script names to their examples.
func Script(test []rules.Example) (string, map[string]rules.Example) {
	var b strings.Builder
	who := map[string]rules.Example{}
	b.WriteString("@time 2026-11-02 09:00\n")
	for i, e := range test {
		if i%100 == 0 && (i == 0 || !burst) {
			fmt.Fprintf(&b, "@group 测试群%d\n", i/100)
		}
		name := fmt.Sprintf("新人%d", i)
		who[name] = e
		text := e.Text
		if strings.HasPrefix(text, "[") {
			text = "[text] " + text // a leading [哦] is not a message kind
		}
		if burst {
			fmt.Fprintf(&b, "+%s\n%s: %s\n", name, name, text)
		} else {
			fmt.Fprintf(&b, "+%s\n@advance 1m\n%s: %s\n@advance 1m\n", name, name, text)
		}
	}
	return b.String(), who
}
