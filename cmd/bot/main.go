// Command bot runs qunbot: `bot sim` (the simulator), `bot check` (validate a config),
// `bot version`. Run `bot help` for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Version is the release this source tree is.
const Version = "0.1.0"

const usage = `qunbot — QQ 群 / 微信群管理机器人 / group moderation bot for QQ and WeChat

用法 / usage:
  bot run     --config FILE [--db FILE] [--session FILE] [--web ADDR] [-v]
              运行机器人：QQ 群（platform: onebot，通过 NapCat 等 OneBot v11 实现）或微信（默认）
              / run on QQ (OneBot v11) or WeChat, as the config's platform says
  bot sim     [--config FILE] [--db FILE] [--script FILE] [--json] [--can-remove] [--can-mute] [--web ADDR]
              在模拟器里运行（不需要微信号）/ run against the simulator
  bot check   [--config FILE] [--db FILE]
              检查配置文件（和数据库）/ validate the config (and the database)
  bot train   --eval | --spam FILE --ham FILE [--out MODEL]
              分类器：交叉验证内置数据，或从你的样本学习 / cross-validate the classifier, or learn from your samples
  bot backup  [--db FILE] [--force] OUT
              在线备份数据库（运行中也可以）/ back up the database, safe while the bot runs
  bot texts   [--config FILE] [--group 群名]
              打印机器人对成员说的每一段话（可改的文字、变量和默认值）/ print the configurable texts
  bot version 显示版本 / print the version

每个子命令都支持 --help / every subcommand takes --help.
不加 --config 时使用内置的 config.example.yaml / without --config the embedded example config is used.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: testable, and every path returns an exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "sim":
		err = cmdSim(ctx, args[1:], stdin, stdout, stderr)
	case "check":
		err = cmdCheck(ctx, args[1:], stdout, stderr)
	case "train":
		err = cmdTrain(ctx, args[1:], stdout, stderr)
	case "backup":
		err = cmdBackup(ctx, args[1:], stdout, stderr)
	case "texts":
		err = cmdTexts(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "qunbot %s\n", Version)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "未知的子命令「%s」/ unknown subcommand %q\n\n%s", args[0], args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintln(stderr, "错误 / error:", err)
		return 1
	}
}

var errUsage = errors.New("usage")

// newFlags makes a flag set that prints Chinese-first help and never exits the process.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "用法 / usage: bot %s\n\n%s\n\n选项 / flags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "多余的参数 / unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		fs.Usage()
		return errUsage
	}
	return nil
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level 应为 debug、info、warn 或 error / bad log level %q", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
