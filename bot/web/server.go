// Package web is the owner's dashboard: a small read-only web UI over the running bot —
// per group activity charts, the moderation log, pending removal requests, silent
// members, the points board, scheduled jobs, the config status — and a rule tester that
// shows what the running rules would do with a message, without changing anything.
//
// It is off unless started (bot run/sim --web ADDR), listens on loopback by default, and
// every route needs the token (see auth.go). Pages are server-rendered HTML in Chinese,
// with charts drawn in Go as inline SVG: no JavaScript, no external resources.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/bot/moderate"
	"qunbot/rules"
)

// Tester gives the verdict of the running rules on a message: moderate.Module.Verdict.
type Tester interface {
	Verdict(cfg *config.Config, group, kind, text string) ([]rules.Result, error)
}

// Options configure the dashboard.
type Options struct {
	Engine *bot.Engine // required: config, store, jobs, clock and timezone
	Token  string      // required: see NewToken
	// Tester checks messages for the rule tester. Nil: a private moderation module (its
	// rules are built from the same config, so the verdicts are the same).
	Tester Tester
	Logger *slog.Logger
}

// Server is the dashboard's HTTP handler.
type Server struct {
	e      *bot.Engine
	tester Tester
	auth   auth
	log    *slog.Logger
	pages  map[string]*template.Template
	mux    *http.ServeMux
}

// New builds the dashboard.
func New(o Options) (*Server, error) {
	if o.Engine == nil {
		return nil, errors.New("web.New: engine is required")
	}
	if len(o.Token) < config.MinWebToken {
		return nil, fmt.Errorf("web.New: token must have at least %d characters", config.MinWebToken)
	}
	if config.TokenBits(o.Token) < config.MinTokenBits {
		return nil, fmt.Errorf("web.New: token too guessable (need %d bits of entropy)", config.MinTokenBits)
	}
	if o.Tester == nil {
		o.Tester = moderate.New()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{e: o.Engine, tester: o.Tester, auth: newAuth(o.Token), log: o.Logger, pages: pages, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /{$}", s.handleIndex)
	s.mux.HandleFunc("GET /g/{key}", s.handleGroup)
	s.mux.HandleFunc("GET /g/{key}/week.png", s.handleWeekPNG)
	s.mux.HandleFunc("GET /test", s.handleTester)
	s.mux.HandleFunc("POST /test", s.handleTester)
	s.mux.HandleFunc("GET /reviews", s.handleReviews)
	s.mux.HandleFunc("POST /reviews/{id}", s.handleLabel)
	s.mux.HandleFunc("/", s.notFound)
	return s, nil
}

// ServeHTTP implements http.Handler: security headers, then the token, then the page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No scripts at all, nothing from elsewhere, never framed, never cached, no referrer.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if !s.auth.check(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("dashboard: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("dashboard shutdown: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

// NewToken makes a random token (128 bits, hex).
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make dashboard token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Listen opens addr ("127.0.0.1:8080"). The dashboard shows member names and evidence,
// so an address reachable from other machines (":8080", "0.0.0.0:8080", a LAN address)
// is allowed but logged as a warning: the token is then all that protects it, over
// plain HTTP.
func Listen(addr string, log *slog.Logger) (net.Listener, error) {
	if w := AddrWarning(addr); w != "" {
		log.Warn(w, "addr", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("仪表盘无法监听 %s / dashboard cannot listen: %w", addr, err)
	}
	return ln, nil
}

// AddrWarning says why addr is risky, or "" for a loopback address.
func AddrWarning(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if host == "localhost" {
		return ""
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return ""
	}
	return "仪表盘监听在非本机地址上，局域网/公网里的其他人也能访问，只有令牌保护（且是明文 HTTP）；建议用 127.0.0.1:端口，再用 SSH 转发访问 / dashboard listens on a non-loopback address: only the token protects it, over plain HTTP"
}

// URL is the address to open the dashboard at, with the token when given.
func URL(ln net.Listener, token string) string {
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return "http://" + ln.Addr().String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	u := "http://" + net.JoinHostPort(host, port) + "/"
	if token != "" {
		u += "?token=" + url.QueryEscape(token)
	}
	return u
}
