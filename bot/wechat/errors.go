package wechat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/eatmoreapple/openwechat"
)

// Sentinel errors wrapped into what the adapter returns, so the engine's outbox can branch
// with errors.Is (or just call IsRetryable).
var (
	// ErrNotLoggedIn: no live WeChat session right now; the supervisor is logging in again.
	ErrNotLoggedIn = errors.New("wechat: not logged in, re-login in progress / 微信未登录，正在重新登录")
	// ErrTooOften: WeChat answered ret 1205 ("operate too often"). Slow down and retry.
	ErrTooOften = errors.New("wechat: operate too often (ret 1205) / 操作太频繁，请放慢发送")
	// ErrNetwork: the request did not get a WeChat answer. Retry with back-off.
	ErrNetwork = errors.New("wechat: network error / 网络错误")
	// ErrSessionExpired: WeChat answered ret 1100/1101/1102; the supervisor re-logs in.
	ErrSessionExpired = errors.New("wechat: session expired (ret 1100/1101/1102) / 微信登录已失效")
	// ErrUnknownID: the group or member id is not known in this login session and could not
	// be translated from an earlier one (ids change on every login). Re-read Groups/Members.
	ErrUnknownID = errors.New("wechat: unknown group or member id in this login / 本次登录中找不到该群或成员")
	// ErrGroupNotFound: a group addressed by name is not among this login's groups yet. A
	// group not saved to contacts appears once it sends a message, so this is retryable;
	// the outbox gives up after its attempts and tells the owner why.
	ErrGroupNotFound = errors.New("wechat: no group of that name in this login yet / 本次登录还没有这个群（" + MissingGroupReason + "）")
	// ErrLoginPaused: the circuit breaker stopped logging in (a refused or flagged account);
	// nothing can be sent until the owner resumes. Not retryable: a post retried hours later,
	// after the owner resumed, would be stale, and a pile of them would bury the notice.
	ErrLoginPaused = errors.New("wechat: automatic login paused to protect the account / 为保护账号，微信自动登录已暂停")
)

// WeChat's BaseResponse ret codes that matter here. openwechat keeps its names unexported
// (base_response.go), so they are restated.
const (
	retFailedLoginWarn  openwechat.Ret = 1100
	retFailedLoginCheck openwechat.Ret = 1101
	retCookieInvalid    openwechat.Ret = 1102
	retLoginRefused     openwechat.Ret = 1203 // "login environmental abnormality": web login refused
	retTooOften         openwechat.Ret = 1205
)

// refusalPhrases are how WeChat words a refused web login. The login page answers
// <error><ret>1203</ret><message>为了你的帐号安全，此微信号不能登录网页微信。…</message></error>,
// and openwechat keeps only the message (LoginInfo.Err, entity.go:28), so the text is all
// there is to recognise. "301 response missing Location header" is how the same refusal
// reached older library versions (openwechat #100, #115: unverified accounts).
var refusalPhrases = []string{
	"不能登录网页微信", "不允许登录网页微信", "不能使用网页版微信", "不能登录网页版微信", "不能登录Web微信",
	"login environmental abnormality", "301 response missing Location header",
}

// isRefusal reports an error that says WeChat refuses this account on the web protocol:
// retrying only adds to what WeChat holds against it.
func isRefusal(err error) bool {
	if err == nil {
		return false
	}
	var ret openwechat.Ret
	if errors.As(err, &ret) && ret == retLoginRefused {
		return true
	}
	msg := err.Error()
	for _, p := range refusalPhrases {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// sessionRet reports whether err carries one of the ret codes with which WeChat ends a
// login session (the ones openwechat's own default error handler exits on).
func sessionRet(err error) (openwechat.Ret, bool) {
	var ret openwechat.Ret
	if errors.As(err, &ret) {
		switch ret {
		case retFailedLoginWarn, retFailedLoginCheck, retCookieInvalid:
			return ret, true
		}
	}
	return 0, false
}

// classify wraps an error from a WeChat call with the sentinel the engine branches on,
// keeping the original reachable for logs and errors.As.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ret openwechat.Ret
	if errors.As(err, &ret) && ret == retTooOften {
		return fmt.Errorf("%w: %w", ErrTooOften, err)
	}
	if _, ok := sessionRet(err); ok {
		return fmt.Errorf("%w: %w", ErrSessionExpired, err)
	}
	if openwechat.IsNetworkError(err) {
		return fmt.Errorf("%w: %w", ErrNetwork, err)
	}
	return err
}

// IsRetryable reports whether a send (or any adapter call) failed for a reason that
// goes away with time: rate limiting (ret 1205), network trouble, an expired or missing
// session (the supervisor re-logs in). Everything else — an unknown id, a DM to a
// non-friend, ErrNotSupported, a parameter error — is permanent. A cancelled context is
// not retryable: the caller is shutting down.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrLoginPaused) {
		return false
	}
	for _, sentinel := range []error{ErrTooOften, ErrNetwork, ErrSessionExpired, ErrNotLoggedIn, ErrGroupNotFound} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ret openwechat.Ret
	if errors.As(err, &ret) {
		_, ending := sessionRet(err)
		return ret == retTooOften || ending
	}
	if openwechat.IsNetworkError(err) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// IsTooOften reports whether WeChat asked us to slow down (ret 1205): the outbox should
// back off longer than for a plain network error.
func IsTooOften(err error) bool {
	if errors.Is(err, ErrTooOften) {
		return true
	}
	var ret openwechat.Ret
	return errors.As(err, &ret) && ret == retTooOften
}
