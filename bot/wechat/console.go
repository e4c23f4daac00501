package wechat

import (
	"bufio"
	"context"
	"io"
	"strings"

	"qunbot/bot"
)

// Module is the adapter's part of the owner's console, for the engine's module list:
// 「重新登录」 resumes logging in after the circuit breaker stopped it. While WeChat is down
// the file helper cannot reach the bot (it is a chat of the same account), so the same
// word typed on the terminal does the same (WatchTerminal); the console command answers
// whenever a console can reach the engine.
func (a *Adapter) Module() bot.Module { return consoleModule{a: a} }

type consoleModule struct{ a *Adapter }

func (consoleModule) Name() string { return "wechat" }

func (m consoleModule) Commands() []*bot.Command {
	return []*bot.Command{{
		Name: "重新登录", Aliases: []string{"relogin"}, Usage: "重新登录",
		Summary: "微信自动登录为保护账号暂停后，恢复登录（群主）",
		Perm:    bot.OwnerOnly, Where: bot.InConsole, NoCooldown: true,
		Run: func(t *bot.Turn, _ bot.Args) error { return t.Answer(m.a.Relogin()) },
	}}
}

var _ bot.CommandSource = consoleModule{}

// WatchTerminal lets the owner resume logging in from the terminal the bot runs in, the one
// channel left when the circuit breaker has stopped WeChat: a line 「重新登录」 (or
// "relogin") calls Relogin and prints its answer. It reads nothing until the breaker first
// trips, so a bot started in the background or with stdin closed is unaffected, and
// returns at the end of input. Reading a terminal from a background job would stop the
// whole process (SIGTTIN); that signal is ignored first, so such a read fails instead.
func (a *Adapter) WatchTerminal(ctx context.Context, r io.Reader) {
	for !a.isPaused() {
		a.mu.Lock()
		ch := a.changed
		a.mu.Unlock()
		if a.isPaused() {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
	ignoreBackgroundRead()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if ctx.Err() != nil {
			return
		}
		switch line := strings.TrimSpace(sc.Text()); {
		case line == "":
		case line == "重新登录" || strings.EqualFold(line, "relogin"):
			a.say(a.Relogin())
		default:
			a.say("终端里可以输入：重新登录（微信自动登录暂停后恢复登录）/ type 重新登录 or relogin to resume the WeChat login")
		}
	}
	if err := sc.Err(); err != nil {
		a.log.Warn("读不了终端输入，恢复登录请重启机器人 / cannot read the terminal; restart the bot to resume", "err", err)
	}
}
