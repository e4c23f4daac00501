package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"qunbot/bot"
	"qunbot/bot/web"
)

const webFlagHelp = "打开群主仪表盘，例如 127.0.0.1:8080（默认关闭；只应监听本机）/ serve the owner's dashboard on ADDR, e.g. 127.0.0.1:8080"

// startWeb opens the dashboard on addr and serves it until ctx ends. It returns once the
// address is open, so a port in use is an error at start; done reports the end of serving.
// The token comes from the config (web.token) or is made now; the address to open is
// printed to stderr, with the token when it was made now (a configured one is the
// owner's to know, and stays out of logs that capture stderr).
func startWeb(ctx context.Context, e *bot.Engine, addr string, stderr io.Writer, logger *slog.Logger) (done <-chan error, err error) {
	token := e.Config().Web.Token
	generated := token == ""
	if generated {
		if token, err = web.NewToken(); err != nil {
			return nil, err
		}
	}
	srv, err := web.New(web.Options{Engine: e, Token: token, Logger: logger.With("component", "web")})
	if err != nil {
		return nil, err
	}
	ln, err := web.Listen(addr, logger)
	if err != nil {
		return nil, err
	}
	if generated {
		fmt.Fprintf(stderr, "仪表盘 / dashboard: %s\n（链接里带着本次启动的令牌，别发给别人 / the link carries this run's token: keep it private）\n", web.URL(ln, token))
	} else {
		fmt.Fprintf(stderr, "仪表盘 / dashboard: %s?token=<配置里的 web.token / your web.token>\n", web.URL(ln, ""))
	}
	ch := make(chan error, 1)
	go func() { ch <- srv.Serve(ctx, ln) }()
	return ch, nil
}
