package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"qunbot/bot/config"
)

// cmdTexts prints every text an owner can change (config `texts:`), with its
// placeholders and built-in words, as YAML to copy from. With --config it prints the
// words in force for a group instead of the built-in ones.
func cmdTexts(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("texts [--config FILE] [--group 群名]",
		"打印机器人对成员说的每一段话（配置里的 texts:）：能用的变量和默认文字，可以直接复制到配置文件里改。\n"+
			"给出 --config 时打印这个配置里正在用的文字（--group 指定群，默认是 defaults）。\n"+
			"Prints every configurable text with its placeholders and words, as YAML to copy from.", stderr)
	cfgPath := fs.String("config", "", "配置文件 / config file (默认：内置的文字 / default: the built-in texts)")
	group := fs.String("group", "", "群名 / group name (需要 --config)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	texts := config.Texts{}
	if *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		texts = cfg.Defaults.Texts
		if *group != "" {
			g, ok := cfg.ForGroup(*group)
			if !ok {
				return fmt.Errorf("配置里没有管理群「%s」/ group %q is not managed by this config", *group, *group)
			}
			texts = g.Texts
		}
	} else if *group != "" {
		return fmt.Errorf("--group 要和 --config 一起用 / --group needs --config")
	}
	fmt.Fprint(stdout, TextsYAML(texts))
	return nil
}

// TextsYAML writes the texts as a commented `texts:` section that config.Parse reads
// back to the same words.
func TextsYAML(texts config.Texts) string {
	var b strings.Builder
	b.WriteString("# 机器人对成员说的话。把要改的几条复制到配置文件的 defaults: 或某个群下面，改成自己的话；没写的用默认的。\n")
	b.WriteString("# {变量} 会换成实际内容；一行里用到的变量都是空的，这一行就不发。说明见 docs/TEXTS.md。\n")
	b.WriteString("texts:\n")
	for _, s := range config.TextSpecs() {
		fmt.Fprintf(&b, "  # %s\n", s.Doc)
		for _, v := range s.Vars {
			fmt.Fprintf(&b, "  #   {%s} %s\n", v.Name, v.Doc)
		}
		src := texts.Source(s.Key)
		if strings.Contains(src, "\n") {
			fmt.Fprintf(&b, "  %s: |-\n", s.Key)
			for _, line := range strings.Split(src, "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
			continue
		}
		fmt.Fprintf(&b, "  %s: %s\n", s.Key, strconv.Quote(src))
	}
	return b.String()
}
