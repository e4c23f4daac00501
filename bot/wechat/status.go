package wechat

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// State is where the login supervisor is, for the person watching the terminal.
type State int

const (
	StateConnecting State = iota // logging in (hot login, then a push to the phone)
	StateScanQR                  // a QR code is on the terminal: scan it with WeChat
	StateLoggedIn                // a session is live
	StateOffline                 // no session: the next attempt is in Status.Retry
	StatePaused                  // the circuit breaker stopped logging in to protect the account
)

// Status is one change of State, with what a person needs to act on it.
type Status struct {
	State  State
	Nick   string        // StateLoggedIn: the account's nickname
	QRURL  string        // StateScanQR: the code as an image URL, for a terminal that cannot draw it
	Retry  time.Duration // StateOffline: the next login attempt is this far off
	Err    error         // StateOffline: why (the last failure)
	Reason string        // StatePaused: why logging in stopped (Chinese)
	Outage time.Duration // StateLoggedIn after StateOffline: how long the bot was offline
}

// Line is the status as one short Chinese line: 连接中 / 请扫码 / 已登录 / 连不上服务器，N 秒后重试.
func (s Status) Line() string {
	switch s.State {
	case StateConnecting:
		return "⏳ 连接中：正在登录微信…"
	case StateScanQR:
		return "📱 请扫码：用手机微信扫描上面的二维码登录（也可以在浏览器打开 " + s.QRURL + "）"
	case StateLoggedIn:
		if s.Outage > 0 {
			return fmt.Sprintf("✅ 已登录：%s（之前断开了 %s）", s.Nick, roughly(s.Outage))
		}
		return "✅ 已登录：" + s.Nick
	case StateOffline:
		why := ""
		if s.Err != nil {
			why = "（" + reason(s.Err) + "）"
		}
		return fmt.Sprintf("⚠️ 连不上服务器，%s后重试%s", roughly(s.Retry), why)
	case StatePaused:
		return "⛔ 自动登录已暂停，以保护微信号（" + clip(s.Reason, 40) + "）。确认账号正常后，在这里输入「重新登录」或重启机器人"
	}
	return ""
}

// reason says why the bot is offline in a few Chinese words: the adapter's sentinel errors
// carry their Chinese after the "/"; anything else is cut to its first line.
func reason(err error) string {
	for _, known := range []error{ErrNetwork, ErrSessionExpired, ErrTooOften, ErrNotLoggedIn} {
		if errors.Is(err, known) {
			msg := known.Error()
			if _, zh, ok := strings.Cut(msg, " / "); ok {
				return zh
			}
			return msg
		}
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	return clip(first, 40)
}

// roughly says a wait the way a person reads it: 8 秒, 2 分钟, 1 小时 5 分钟.
func roughly(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d 秒", max(int((d+time.Second/2)/time.Second), 1))
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", int((d+30*time.Second)/time.Minute))
	}
	h := int(d / time.Hour)
	if m := int((d % time.Hour) / time.Minute); m > 0 {
		return fmt.Sprintf("%d 小时 %d 分钟", h, m)
	}
	return fmt.Sprintf("%d 小时", h)
}

func clip(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…"
		}
		i++
	}
	return s
}

// status reports a state change to Options.Status (bot run prints Status.Line). A retry
// after an offline line is not reported: that line already said when it would come, and
// the next line is its outcome.
func (a *Adapter) status(s Status) {
	a.mu.Lock()
	if s.State == StateConnecting && a.statusSeen && (a.lastStatus.State == StateOffline || a.lastStatus.State == StatePaused) {
		a.mu.Unlock()
		return
	}
	switch s.State {
	case StateOffline:
		if a.offlineSince.IsZero() {
			a.offlineSince = a.now()
		}
	case StateLoggedIn:
		if !a.offlineSince.IsZero() {
			s.Outage = a.now().Sub(a.offlineSince)
		}
		a.offlineSince = time.Time{}
	}
	a.lastStatus, a.statusSeen = s, true
	a.mu.Unlock()
	if a.opts.Status == nil {
		return
	}
	defer a.recovered(a.log, "Status")
	a.opts.Status(s)
}

// ConnectionLine is the login state now, for 状态 (bot.Connection).
func (a *Adapter) ConnectionLine() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.statusSeen {
		return "⏳ 还没有登录微信"
	}
	st := a.lastStatus
	st.Outage = 0 // 状态 says who is logged in now, not how the last outage went
	return st.Line()
}
