package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"qunbot/bot/moderate"
	"qunbot/rules"
	"qunbot/storage"
)

const trainSynopsis = "分类器的训练和评估。\n" +
	"  bot train --eval [--k 5]                          用内置数据做 k 折交叉验证，打印各种组合的命中率和误判率\n" +
	"  bot train --spam 广告.txt --ham 正常.txt           把你自己的样本（一行一条）导入数据库，机器人从中学习\n" +
	"  bot train --spam 广告.txt --ham 正常.txt --out M   训练一个完整的模型文件（配置 moderation.classifier.model 使用）\n" +
	"Classifier training and evaluation: --eval cross-validates on the shipped data; --spam/--ham import\n" +
	"your own samples into the database (bounded online learning) or, with --out, train a model file."

func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train [--eval [--k N]] [--spam FILE --ham FILE [--out MODEL [--with-shipped]]] [--config FILE] [--db FILE]", trainSynopsis, stderr)
	eval := fs.Bool("eval", false, "交叉验证内置数据 / cross-validate on the shipped data")
	k := fs.Int("k", 5, "交叉验证的折数 / folds")
	spam := fs.String("spam", "", "广告样本文件，一行一条 / spam samples, one a line")
	ham := fs.String("ham", "", "正常消息样本文件，一行一条 / ordinary samples, one a line")
	out := fs.String("out", "", "写出模型文件，而不是导入数据库 / write a model file instead of importing")
	withShipped := fs.Bool("with-shipped", false, "训练模型文件时也用内置数据 / --out: also train on the shipped data")
	cfgPath := fs.String("config", "", "配置文件，用来找 storage.path / config file, for storage.path (默认内置示例 / default: embedded example)")
	dbPath := fs.String("db", "", "导入到这个数据库，默认是配置里的 storage.path / database to import into")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *eval:
		if *k < 2 || *k > 20 {
			fmt.Fprintln(stderr, "--k 应在 2 到 20 之间 / --k must be 2–20")
			return errUsage
		}
		return trainEval(*k, stdout)
	case *spam == "" && *ham == "":
		fmt.Fprintln(stderr, "请给出 --eval，或 --spam / --ham 样本文件 / give --eval or --spam/--ham")
		fs.Usage()
		return errUsage
	}
	examples, err := readSamples(*spam, *ham)
	if err != nil {
		return err
	}
	if *out != "" {
		if *withShipped {
			examples = append(rules.ShippedCorpus(), examples...)
		}
		m := rules.Train(examples, rules.ShippedTrainOptions)
		b, err := m.MarshalBinary()
		if err != nil {
			return fmt.Errorf("编码模型失败 / encode model: %w", err)
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil {
			return fmt.Errorf("写模型文件失败 / write model: %w", err)
		}
		fmt.Fprintf(stdout, "✓ 已用 %d 条样本训练模型 / trained on %d samples: %s\n", len(examples), len(examples), *out)
		return nil
	}
	path := *dbPath
	if path == "" {
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		path = cfg.Storage.Path
	}
	model, err := rules.ShippedModel()
	if err != nil {
		return fmt.Errorf("读取内置模型失败 / load shipped model: %w", err)
	}
	st, err := storage.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("打开数据库失败 / open database: %w", err)
	}
	defer st.Close()
	n, err := moderate.ImportExamples(ctx, st, model, examples, time.Now())
	if err != nil {
		return fmt.Errorf("导入样本失败 / import samples: %w", err)
	}
	fmt.Fprintf(stdout, "✓ 已导入 %d 条样本并学习（每条对模型的影响有上限）/ imported and learned from %d samples: %s\n", n, n, path)
	return nil
}

func readSamples(spam, ham string) ([]rules.Example, error) {
	read := func(path string) (string, error) {
		if path == "" {
			return "", nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("读取样本文件失败 / read samples: %w", err)
		}
		return string(b), nil
	}
	s, err := read(spam)
	if err != nil {
		return nil, err
	}
	h, err := read(ham)
	if err != nil {
		return nil, err
	}
	ex := rules.CorpusExamples(s, h)
	if len(ex) == 0 {
		return nil, fmt.Errorf("样本文件里没有内容 / no samples in %s %s", spam, ham)
	}
	return ex, nil
}

func trainEval(k int, stdout io.Writer) error {
	base, err := rules.DefaultOptions()
	if err != nil {
		return err
	}
	ex := rules.ShippedCorpus()
	// As the default config has it: links are not checked (moderation.links is off).
	base.Detectors.URL = false
	rows, err := rules.EvaluateCV(ex, k, rules.ShippedTrainOptions, base, rules.DefaultStrikeAbove, rules.DefaultReviewAbove,
		rules.DefaultKeywordsAbove)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "内置数据 %d 条，%d 折交叉验证，默认阈值 strike_above %.2f / review_above %.2f / keywords_above %.2f\n", len(ex), k,
		rules.DefaultStrikeAbove, rules.DefaultReviewAbove, rules.DefaultKeywordsAbove)
	fmt.Fprintf(stdout, "shipped data, %d-fold cross-validation, default thresholds\n\n", k)
	fmt.Fprintln(stdout, "| 组合 / checks | 命中 caught | 误判 false alarms | 精确率 precision | 召回率 recall |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(stdout, "| %s | %d/%d | %d/%d (%.2f%%) | %.1f%% | %.1f%% |\n", r.Name, r.TP, r.Spam, r.FP, r.Ham,
			100*r.FalseAlarms, 100*r.Precision, 100*r.Caught)
	}
	fmt.Fprintln(stdout, "\n"+strings.TrimSpace("命中 = 广告里被处罚的比例（召回率）；误判 = 正常消息里被处罚的比例。复核请求不算处罚。"))
	return nil
}
