package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"qunbot/storage"
)

const backupSynopsis = "用 SQLite 的在线备份把数据库复制到 OUT：机器人运行时也能备份，副本是同一时刻的完整快照，\n" +
	"写完后做完整性检查，文件权限 0600。OUT 已存在时拒绝覆盖，除非加 --force。\n" +
	"Copies the database to OUT with SQLite's online backup API (safe while the bot runs): one consistent\n" +
	"snapshot, integrity-checked, created 0600. An existing OUT is refused unless --force is given."

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup [--config FILE] [--db FILE] [--force] OUT", backupSynopsis, stderr)
	cfgPath := fs.String("config", "", "配置文件，用来找 storage.path / config file, for storage.path (默认内置示例 / default: embedded example)")
	dbPath := fs.String("db", "", "要备份的数据库，默认是配置里的 storage.path / database to back up (default: the config's storage.path)")
	force := fs.Bool("force", false, "覆盖已存在的 OUT / overwrite an existing OUT")
	// Flags may come before or after OUT: parse, take the positional, parse the rest.
	var out []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		out = append(out, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(out) != 1 {
		fmt.Fprintln(stderr, "请给出一个备份文件名 OUT / give exactly one output file OUT")
		fs.Usage()
		return errUsage
	}
	src := *dbPath
	if src == "" {
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return err
		}
		src = cfg.Storage.Path
	}
	res, err := storage.Backup(ctx, src, out[0], *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "✓ 已备份 / backed up: %s → %s（%d 页，%d 字节，完整性检查通过 / integrity check ok）\n", src, out[0], res.Pages, res.Bytes)
	return nil
}
