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
// jitter. Every attempt uses a new openwechat.Bot: a Bot cannot be used again after it
// exits.
//
// A circuit breaker protects the account: WeChat refusing the account (ret 1203, 「此微信号
// 不能登录网页微信」) or breakerSessions sessions in a row that end within shortSession
// (the 1102-within-seconds pattern of a flagged account, openwechat #565) stop logging in
// altogether. Repeating logins then is what gets accounts banned. The owner is told on the
// terminal and through Notify what happened and what to do; logging in resumes only when
// the owner restarts the bot or sends 「重新登录」 (Relogin).
//
// Run returns nil when ctx is done, and an error only if the hot-login file or the device
// id cannot be prepared. It must not be called twice at the same time.
func (a *Adapter) Run(ctx context.Context, events chan<- bot.Event) error {
	if events == nil {
		return errors.New("wechat: Run needs an events channel")
	}
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("wechat: Run is already running")
	}
	defer a.running.Store(false)
	runDone := make(chan struct{})
	a.mu.Lock()
	a.runDone = runDone
	a.mu.Unlock()
	defer close(runDone)
	a.hotGate = &hotGate{}
	defer a.hotGate.close() // no session save may land after Run returns
	path := a.opts.HotLoginFile
	tightened, err := prepareHotFile(path)
	if err != nil {
		return fmt.Errorf("prepare hot-login file %s: %w", path, err)
	}
	if tightened {
		a.log.Warn("登录状态文件原先他人可读，已改为 0600 / session file was readable by others, now 0600", "file", path)
	}
	id, note, err := loadDeviceID(a.opts.DeviceIDFile, path)
	if err != nil {
		return err
	}
	if note != "" {
		a.log.Warn(note, "file", a.opts.DeviceIDFile)
	}
	a.deviceID = id

	attempt := 0
	for ctx.Err() == nil {
		if a.waitWhilePaused(ctx) != nil {
			break
		}
		res := a.runSession(ctx, events)
		if ctx.Err() != nil {
			break
		}
		if reason, trip := a.judge(res); trip {
			a.trip(reason, res.err)
			attempt = 0
			continue
		}
		if res.ready && res.lasted >= a.tune.stableSession {
			attempt = 0 // a day-long session ending is routine: retry quickly
		}
		d := a.delay(a.tune.loginBackoff, attempt)
		a.status(Status{State: StateOffline, Retry: d, Err: res.err})
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
	lasted time.Duration
	err    error
}

// pause is the circuit breaker's state while it has stopped logging in.
type pause struct {
	at     time.Time
	reason string // Chinese, one line: what happened
}

// pendingNotes is what the owner has not been told yet because the console was unreachable
// (it is a chat of the same account): gathered while logged out, sent as one dated note
// once a session has proven stable. A note queued while logged out would be delivered
// much later, if at all, and read as if it were news.
type pendingNotes struct {
	lossAt      time.Time // when the last session ended
	lossReason  string
	failures    int // failed login attempts since
	lastFailure string
	qr          bool      // a QR code had to be shown
	pausedAt    time.Time // the breaker stopped logging in …
	pauseReason string
	resumedAt   time.Time // … and the owner resumed it
}

func (p pendingNotes) empty() bool {
	return p.lossAt.IsZero() && p.failures == 0 && !p.qr && p.pausedAt.IsZero()
}

// judge reads a finished session (or failed login) for the circuit breaker and records it
// for the owner's next note. trip is true when logging in must stop.
func (a *Adapter) judge(res sessionResult) (reason string, trip bool) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if res.ready {
		a.pending.lossAt, a.pending.lossReason = now, errText(res.err)
		if res.lasted < a.tune.shortSession {
			a.shortRun++
		} else {
			a.shortRun = 0
		}
	} else {
		a.pending.failures++
		a.pending.lastFailure = errText(res.err)
	}
	switch {
	case isRefusal(res.err):
		return "微信拒绝这个账号登录网页/桌面版微信（" + retText(res.err) + "）。新注册、未实名或被限制的账号会这样，重试没有用，只会让账号更可疑。", true
	case a.shortRun >= a.tune.breakerSessions && a.tune.breakerSessions > 0:
		return fmt.Sprintf("连续 %d 次登录后不到%s就被微信断开（最后一次：%s）。这通常说明微信已限制这个号使用网页/桌面协议；"+
			"反复重新登录可能导致封号（openwechat 的用户就是这样被再次封号的）。",
			a.shortRun, durationCN(a.tune.shortSession), retText(res.err)), true
	}
	return "", false
}

// trip stops logging in and tells the owner: on the terminal, which is always there, and
// once through the console. The console message cannot be delivered while WeChat is down
// (sends fail at once with ErrLoginPaused, so no backlog builds up); it is written dated and
// in the past tense, and the summary after the owner resumes says it again.
func (a *Adapter) trip(reason string, err error) {
	now := a.now()
	a.log.Error("微信自动登录已暂停 / automatic login paused to protect the account", "reason", reason, "err", err)
	text := "⛔ 微信自动登录已于 " + a.clock(now) + " 暂停，以保护你的微信号。\n" +
		"原因：" + reason + "\n" +
		"你可以：\n" +
		"1. 先等一等：停用机器人几天，用手机正常使用微信；如果收到微信的安全提醒或限制通知，按提示处理或申诉。\n" +
		"2. 在手机上确认微信一切正常后，重启机器人，或在运行机器人的终端里输入「重新登录」并回车（文件传输助手要登录后才收得到消息）。\n" +
		"3. 长期方案：改用 QQ 群（OneBot v11，配置里写 platform: onebot），见 README。\n" +
		"在你恢复之前，机器人不会再登录，也不会发任何消息。"
	a.say(text + "\n\nWeChat login paused to protect the account: " + reason +
		"\nWait, check the account on your phone, then restart the bot or type 重新登录 here; or move the groups to QQ (OneBot).")
	a.notify(text)
	// Published last: whoever sees the pause (a test, a waiting send) sees it told.
	a.status(Status{State: StatePaused, Reason: reason})
	a.mu.Lock()
	a.paused = &pause{at: now, reason: reason}
	a.pending.pausedAt, a.pending.pauseReason = now, reason
	a.broadcastLocked()
	a.mu.Unlock()
}

// waitWhilePaused blocks while the circuit breaker has stopped logging in.
func (a *Adapter) waitWhilePaused(ctx context.Context) error {
	for a.isPaused() {
		select {
		case <-a.resume:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (a *Adapter) isPaused() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.paused != nil
}

// Paused reports whether the circuit breaker has stopped logging in, and why.
func (a *Adapter) Paused() (bool, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.paused == nil {
		return false, ""
	}
	return true, a.paused.reason
}

// Relogin resumes logging in after the circuit breaker stopped it (the owner's
// 「重新登录」), and returns a Chinese answer for the owner.
func (a *Adapter) Relogin() string {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.paused == nil && a.cur != nil:
		return "微信在线，不需要重新登录。"
	case a.paused == nil:
		return "微信正在自动登录，请稍候（需要扫码时终端里会显示二维码）。"
	}
	a.log.Warn("群主要求重新登录 / the owner resumed logging in", "paused_since", a.paused.at)
	a.paused = nil
	a.shortRun = 0
	a.pending.resumedAt = now
	a.broadcastLocked()
	select {
	case a.resume <- struct{}{}:
	default:
	}
	return "好的，正在重新登录微信。如果又很快被断开，机器人会再次暂停并告诉你。"
}

// sessionReady runs just before a session is published. The owner's note about what
// happened since the last stable session is sent now — or, when the session before this
// one was short (a possible ban loop, which must not post 「微信已重新登录」 on every turn),
// once this one has lived shortSession: the message loop checks after every sync check
// (a long poll, ~25 s) and the watchdog on every tick (flushHeld).
func (a *Adapter) sessionReady(s *session, relogin bool, problems []groupProblem) {
	a.mu.Lock()
	hold := a.shortRun > 0
	a.mu.Unlock()
	if !hold {
		a.flushNotes(nil, s.selfNick, relogin, problems)
		return
	}
	s.mu.Lock()
	s.held = &heldNotes{relogin: relogin, problems: problems}
	s.mu.Unlock()
}

// heldNotes wait for the session to prove stable.
type heldNotes struct {
	relogin  bool
	problems []groupProblem
}

// flushHeld sends held notes once the session has lived shortSession.
func (s *session) flushHeld() {
	s.mu.Lock()
	h := s.held
	if h == nil || s.readyAt.IsZero() || s.a.now().Sub(s.readyAt) < s.a.tune.shortSession {
		s.mu.Unlock()
		return
	}
	s.held = nil
	s.mu.Unlock()
	s.a.flushNotes(s, s.selfNick, h.relogin, h.problems)
}

// flushNotes sends the pending notes as one message — if live is still the live session,
// when given.
func (a *Adapter) flushNotes(live *session, nick string, relogin bool, problems []groupProblem) {
	a.mu.Lock()
	if live != nil && a.cur != live {
		a.mu.Unlock()
		return
	}
	p := a.pending
	a.pending = pendingNotes{}
	a.mu.Unlock()
	var lines []string
	if relogin && !p.empty() {
		lines = append(lines, "微信已重新登录（"+nick+"）。")
		if !p.lossAt.IsZero() {
			lines = append(lines, "上次会话 "+a.clock(p.lossAt)+" 中断："+p.lossReason+"。")
		}
		if p.failures > 0 {
			lines = append(lines, fmt.Sprintf("期间登录失败 %d 次，最后一次：%s。", p.failures, p.lastFailure))
		}
		if p.qr {
			lines = append(lines, "期间需要扫码登录。")
		}
	}
	if !p.pausedAt.IsZero() {
		l := "自动登录曾于 " + a.clock(p.pausedAt) + " 暂停：" + p.pauseReason
		if !p.resumedAt.IsZero() {
			l += "\n" + a.clock(p.resumedAt) + " 按你的「重新登录」恢复。"
		}
		lines = append(lines, l)
	}
	if len(problems) > 0 {
		var ps []string
		for _, pr := range problems {
			ps = append(ps, "「"+pr.name+"」："+pr.reason)
		}
		lines = append(lines, "以下配置的群无法使用：\n"+strings.Join(ps, "\n"))
	}
	if len(lines) > 0 {
		a.notify(strings.Join(lines, "\n"))
	}
}

// errText is an error as one line for the owner.
func errText(err error) string {
	if err == nil {
		return "原因不明"
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// retText names WeChat's answer briefly: its ret code and meaning, else the error's text.
func retText(err error) string {
	var ret openwechat.Ret
	if errors.As(err, &ret) {
		return fmt.Sprintf("ret %d，%s", int(ret), ret)
	}
	msg := errText(err)
	for _, p := range refusalPhrases {
		if strings.Contains(msg, p) {
			return "「" + p + "」"
		}
	}
	return msg
}

// durationCN writes a duration the way the owner says it.
func durationCN(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf(" %d 小时", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf(" %d 分钟", d/time.Minute)
	}
	return " " + d.Round(time.Second).String()
}

// runSession performs one login and blocks until that session is over.
func (a *Adapter) runSession(ctx context.Context, events chan<- bot.Event) sessionResult {
	a.mu.Lock()
	a.seq++
	seq := a.seq
	relogin := a.loggedIn
	a.mu.Unlock()
	s := newSession(a, ctx, seq, events)
	defer s.cancel()

	a.status(Status{State: StateConnecting})
	b, err := a.loginAndSetup(s)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("微信登录失败 / login failed", "err", err)
		}
		return sessionResult{err: err}
	}
	a.ids.prune(seq - keepSessions + 1)
	var problems []groupProblem
	if len(a.opts.Groups) > 0 {
		_, problems = s.checkGroups(a.opts.Groups)
	}
	// Published last, so that whoever waits for a login (CheckGroups) sees a session
	// whose checks have run and been told, and whose 「已登录」 line is out: reported after
	// setCurrent, a waiter could see the session live while the status still said offline.
	a.sessionReady(s, relogin, problems)
	a.status(Status{State: StateLoggedIn, Nick: s.selfNick})
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
	a.keepSnapshot(s)
	res := sessionResult{ready: true, lasted: a.now().Sub(s.readyAt), err: s.reason()}
	if ctx.Err() == nil {
		s.log.Warn("微信会话已中断 / session lost", "reason", res.err, "lasted", res.lasted)
	}
	return res
}

// keepSnapshot remembers the ended session's member lists for the next login's first read.
func (a *Adapter) keepSnapshot(s *session) {
	snap := s.snapshot()
	a.mu.Lock()
	defer a.mu.Unlock()
	for name, list := range snap {
		a.snapshots[name] = list
	}
}

// snapshot returns the last list of a group seen by an earlier session.
func (a *Adapter) snapshot(name string) ([]bot.MemberInfo, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	list, ok := a.snapshots[name]
	return list, ok && name != ""
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
			s.log.Warn("登录状态文件已损坏，删除后重新扫码登录 / session file unusable, removed", "file", path, "err", err)
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
		if isRefusal(err) {
			// Push and QR logins would be refused the same way, each one more attempt
			// held against the account.
			return nil, fmt.Errorf("hot login refused: %w", err)
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
	prepare := []openwechat.BotPreparer{openwechat.Desktop, openwechat.WithContextOption(s.ctx)}
	if a.deviceID != "" {
		// One device for every login of this installation (deviceid.go).
		prepare = append(prepare, openwechat.WithDeviceID(a.deviceID))
	}
	b := openwechat.DefaultBot(prepare...)
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
	a.termMu.Lock()
	drawQR(a.opts.QRWriter, uuid)
	a.termMu.Unlock()
	// Not sent to the console: it is a chat of the account that is logged out, so the note
	// would arrive after the scan, asking for one. The next note after the login says a
	// scan was needed.
	a.mu.Lock()
	a.pending.qr = true
	a.mu.Unlock()
	a.status(Status{State: StateScanQR, QRURL: qrImageURL(uuid)})
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
