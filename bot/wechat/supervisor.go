package wechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"qunbot/bot"
)

// Run is the login supervisor. It logs in (hot login, then push login, then a QR code),
// translates WeChat messages into events on events, and when the session ends — WeChat
// drops web sessions about daily with ret 1100/1101/1102, the network fails, or the
// watchdog finds the session silent — it logs in again with exponential back-off and
// jitter, telling the operator through Options.Notify. Every attempt uses a new
// openwechat.Bot: a Bot cannot be used again after it exits.
//
// Run returns nil when ctx is done, and an error only if the hot-login file cannot be
// prepared. It must not be called twice at the same time.
func (a *Adapter) Run(ctx context.Context, events chan<- bot.Event) error {
	if events == nil {
		return errors.New("wechat: Run needs an events channel")
	}
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("wechat: Run is already running")
	}
	defer a.running.Store(false)
	a.hotGate = &hotGate{}
	defer a.hotGate.close() // no session save may land after Run returns
	path := a.opts.HotLoginFile
	tightened, err := prepareHotFile(path)
	if err != nil {
		return fmt.Errorf("prepare hot-login file %s: %w", path, err)
	}
	if tightened {
		a.log.Warn("热登录文件原先他人可读，已改为 0600 / hot-login file was readable by others, now 0600", "file", path)
	}

	attempt := 0
	var lastFailureNote time.Time
	for ctx.Err() == nil {
		res := a.runSession(ctx, events)
		if ctx.Err() != nil {
			break
		}
		if res.ready && res.lasted >= a.tune.stableSession {
			attempt = 0 // a day-long session ending is routine: retry quickly
		}
		if !res.ready {
			// Tell the owner about the first failure in a row, then at most hourly: an
			// outage of a day would otherwise queue a hundred DMs for when it ends.
			if now := a.now(); res.first || now.Sub(lastFailureNote) >= failureNoteEvery {
				lastFailureNote = now
				a.notify(fmt.Sprintf("微信登录失败：%v。稍后自动重试。", res.err))
			}
		}
		d := a.delay(a.tune.loginBackoff, attempt)
		attempt++
		a.log.Warn("微信会话结束，稍后重新登录 / session over, re-login scheduled",
			"reason", res.err, "attempt", attempt, "delay", d)
		if a.sleep(ctx, d) != nil {
			break
		}
	}
	a.log.Info("微信适配器已停止 / wechat adapter stopped")
	return nil
}

type sessionResult struct {
	ready  bool // the login succeeded and the session ran
	first  bool // the first failed login since the last session
	lasted time.Duration
	err    error
}

// failureNoteEvery spaces out notifications about repeated login failures.
const failureNoteEvery = time.Hour

// runSession performs one login and blocks until that session is over.
func (a *Adapter) runSession(ctx context.Context, events chan<- bot.Event) sessionResult {
	a.mu.Lock()
	a.seq++
	seq := a.seq
	relogin := a.loggedIn
	a.mu.Unlock()
	s := newSession(a, ctx, seq, events)
	defer s.cancel()

	b, err := a.loginAndSetup(s)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("微信登录失败 / login failed", "err", err)
		}
		a.mu.Lock()
		first := !a.failing
		a.failing = true
		a.mu.Unlock()
		return sessionResult{err: err, first: first}
	}
	a.ids.prune(seq - keepSessions + 1)
	if relogin {
		a.notify("微信已重新登录（" + s.selfNick + "）。")
	}
	if len(a.opts.Groups) > 0 {
		if _, problems := s.checkGroups(a.opts.Groups); len(problems) > 0 {
			var lines []string
			for _, p := range problems {
				lines = append(lines, "「"+p.name+"」："+p.reason)
			}
			a.notify("以下配置的群无法使用：\n" + strings.Join(lines, "\n"))
		}
	}
	// Published last, so that whoever waits for a login (CheckGroups) sees a session
	// whose checks have run.
	a.setCurrent(s)
	if a.tune.watchdogSilence > 0 {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.watchdog() }()
	}
	if a.tune.memberRefresh > 0 {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.poller() }()
	}

	// The Bot's context ends when its loop exits on an error our handler returned, or when
	// this session (or Run) is cancelled. Bot.Block is not used: it reads Bot.self, which
	// the loop goroutine clears without a lock.
	<-b.Context().Done()
	s.end(nil)
	a.clearCurrent(s)
	s.wg.Wait()
	res := sessionResult{ready: true, lasted: a.now().Sub(s.readyAt), err: s.reason()}
	if ctx.Err() == nil {
		s.log.Warn("微信会话已中断 / session lost", "reason", res.err, "lasted", res.lasted)
		a.notify(fmt.Sprintf("微信会话已中断：%v。正在自动重新登录。", res.err))
	}
	return res
}

// loginAndSetup logs in and prepares the session. The library's login code dereferences
// what the server (and the hot-login file) hand it without checks — a hot-login file with
// "Jar": null panics inside the HTTP client — and runs on this goroutine: a panic here
// becomes a failed attempt, retried with back-off, instead of the end of the process.
func (a *Adapter) loginAndSetup(s *session) (b *openwechat.Bot, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("登录时崩溃，已恢复 / login panicked, recovered", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("login panicked: %v", r)
		}
		if err != nil {
			// Ending the session cancels the Bot's context, which stops a message loop
			// that may have started.
			s.end(err)
		}
	}()
	b, err = a.login(s)
	if err != nil {
		return nil, err
	}
	if err := s.setup(b); err != nil {
		return nil, fmt.Errorf("登录后初始化失败 / setup after login: %w", err)
	}
	return b, nil
}

// login tries, each with a fresh Bot: hot login (the saved session, no phone needed),
// then push login (the owner taps "log in" on the phone), falling back to a QR code
// through openwechat.NewRetryLoginOption. Without a saved session it goes straight to the
// QR code; HotLogin with the (empty) storage is the library's way to have the new session
// saved afterwards (bot_login.go:190-194 keeps the storage even when reading it fails).
func (a *Adapter) login(s *session) (*openwechat.Bot, error) {
	path := a.opts.HotLoginFile
	hot := hasHotSession(path)
	if hot {
		if err := checkHotSession(path); err != nil {
			// Useless, and it holds what may be live cookies: remove it, log in anew.
			s.log.Warn("热登录文件已损坏，删除后重新扫码登录 / hot-login file unusable, removed", "file", path, "err", err)
			if rerr := os.Remove(path); rerr != nil {
				return nil, fmt.Errorf("remove unusable hot-login file: %w", rerr)
			}
			hot = false
		}
	}
	if hot {
		b := a.newBot(s)
		err := b.HotLogin(newHotFile(path, a.hotGate))
		if err == nil {
			s.log.Info("热登录成功 / hot login succeeded")
			return b, nil
		}
		if s.ctx.Err() != nil {
			return nil, err
		}
		if openwechat.IsNetworkError(err) {
			// The saved session may well be valid: retry it later rather than bother the
			// owner's phone.
			return nil, fmt.Errorf("hot login: %w", classify(err))
		}
		s.log.Info("热登录失败，改用手机确认登录 / hot login failed, trying push login", "err", err)
	}
	b := a.newBot(s)
	var err error
	if hot {
		err = b.PushLogin(newHotFile(path, a.hotGate), openwechat.NewRetryLoginOption())
	} else {
		err = b.HotLogin(newHotFile(path, a.hotGate), openwechat.NewRetryLoginOption())
	}
	if err != nil {
		return nil, fmt.Errorf("login: %w", classify(err))
	}
	return b, nil
}

// newBot builds a Bot in desktop (UOS) mode bound to the session's context, with every
// callback replaced: the defaults print to stdout, open a browser and retry errors in a
// tight loop.
func (a *Adapter) newBot(s *session) *openwechat.Bot {
	// WithContextOption ties the Bot to the session: cancelling the session stops the Bot
	// without Bot.Exit, which writes Bot.self unsynchronised while the loop reads it.
	b := openwechat.DefaultBot(openwechat.Desktop, openwechat.WithContextOption(s.ctx))
	a.botsCreated.Add(1)
	c := b.Caller.Client
	// Client.do retries a failed request up to MaxRetryTimes (5 in DefaultClient) at once;
	// that is a burst, and a duplicate message when a send's answer is lost. Retries
	// belong to the back-off layers: the sync error handler, the supervisor, the outbox.
	c.MaxRetryTimes = 1
	if a.opts.Transport != nil {
		c.HTTPClient().Transport = a.opts.Transport
	}
	c.AddHttpHook(cookieHostPrimer{client: c})

	b.UUIDCallback = func(uuid string) {
		defer a.recovered(s.log, "UUIDCallback")
		a.showQR(uuid)
	}
	b.ScanCallBack = func(openwechat.CheckLoginResponse) {
		s.log.Info("已扫码，请在手机上确认登录 / scanned, confirm on the phone")
	}
	b.LoginCallBack = func(openwechat.CheckLoginResponse) {
		s.log.Info("手机已确认登录 / login confirmed")
	}
	b.SyncCheckCallback = func(resp openwechat.SyncCheckResponse) {
		defer a.recovered(s.log, "SyncCheckCallback")
		s.onSyncCheck(resp)
	}
	b.MessageHandler = func(msg *openwechat.Message) {
		defer a.recovered(s.log, "MessageHandler")
		s.onMessage(msg)
	}
	b.MessageErrorHandler = func(err error) (out error) {
		// Should the handler itself panic, end the session: returning nil without the
		// back-off would be the tight loop this handler exists to prevent.
		out = err
		defer a.recovered(s.log, "MessageErrorHandler")
		return s.onSyncError(err)
	}
	return b
}

func (a *Adapter) showQR(uuid string) {
	a.log.Warn("需要扫码登录 / QR login required", "url", loginURL(uuid), "qr_image", qrImageURL(uuid))
	drawQR(a.opts.QRWriter, uuid)
	// The terminal always shows the current code. The owner is told about the first one
	// of a logged-out stretch and then hourly: notices can only be delivered once logged
	// in again, and a night of expired codes would be noise.
	now := a.now()
	a.mu.Lock()
	tell := a.qrNoted.IsZero() || now.Sub(a.qrNoted) >= failureNoteEvery
	if tell {
		a.qrNoted = now
	}
	a.mu.Unlock()
	if tell {
		a.notify("微信需要扫码登录：请用手机微信扫描运行机器人的终端里的二维码，或在浏览器打开 " + qrImageURL(uuid))
	}
}

// recovered logs a panic in a callback the library calls without recover: one bad
// message must not kill the process.
func (a *Adapter) recovered(log *slog.Logger, where string) {
	if r := recover(); r != nil {
		log.Error("回调崩溃，已恢复 / callback panicked, recovered",
			"where", where, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	}
}

// cookieHostPrimer works around openwechat's cookie jar (cookiejar.go). Its Jar records
// the hosts it has seen in a plain map, written whenever a response sets a cookie for a
// new host and read when the hot-login file is written. (1) After a hot login the map is
// empty (UnmarshalJSON does not fill it), so the next save writes no cookies at all and
// the hot login after that fails. (2) A new host appearing while the message loop saves
// the file is a concurrent map write, which kills the process. Recording the WeChat hosts
// just before webwxinit — still on the login goroutine, before the loop starts — fixes
// both: afterwards the map is only read.
type cookieHostPrimer struct{ client *openwechat.Client }

func (p cookieHostPrimer) BeforeRequest(req *http.Request) {
	if !strings.HasSuffix(req.URL.Path, "/webwxinit") {
		return
	}
	jar := p.client.Jar()
	if jar == nil {
		return
	}
	d := p.client.Domain
	for _, host := range []string{d.BaseHost(), d.SyncHost(), d.FileHost()} {
		if u, err := url.Parse(host + "/cgi-bin/mmwebwx-bin/"); err == nil {
			jar.SetCookies(u, nil)
		}
	}
}

func (cookieHostPrimer) AfterRequest(*http.Response, error) {}
