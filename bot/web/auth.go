package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// The token is accepted three ways: "Authorization: Bearer <token>" (scripts, curl),
// "?token=<token>" once (the link printed at start), which sets a cookie and redirects to
// the same page without the token, so that it stays out of the address bar, the history
// and any log; and that cookie afterwards. The cookie holds a hash of the token, not the
// token: HttpOnly (no script can read it), SameSite=Strict (no other site can make the
// browser use it, which also rules out cross-site form posts).
const cookieName = "qunbot_dashboard"

type auth struct {
	token  []byte
	cookie string // the cookie's value: a hash of the token
}

func newAuth(token string) auth {
	sum := sha256.Sum256([]byte("qunbot dashboard session\x00" + token))
	return auth{token: []byte(token), cookie: hex.EncodeToString(sum[:])}
}

func (a auth) tokenOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), a.token) == 1
}

// check lets an authorised request through, or answers it (401, or the redirect that
// drops ?token=) and reports false.
func (a auth) check(w http.ResponseWriter, r *http.Request) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Bearer") && a.tokenOK(strings.TrimSpace(tok)) {
			return true
		}
		unauthorized(w)
		return false
	}
	q := r.URL.Query()
	if q.Has("token") {
		if !a.tokenOK(q.Get("token")) {
			unauthorized(w)
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: a.cookie, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		q.Del("token")
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			// Same page, never another site: "//host" would be a protocol-relative URL.
			loc := "/" + strings.TrimLeft(r.URL.EscapedPath(), "/\\")
			if len(q) > 0 {
				loc += "?" + q.Encode()
			}
			http.Redirect(w, r, loc, http.StatusSeeOther)
			return false
		}
		return true
	}
	if c, err := r.Cookie(cookieName); err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(a.cookie)) == 1 {
		return true
	}
	unauthorized(w)
	return false
}

// unauthorized answers 401 with nothing but how to get in.
func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="qunbot"`)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte("401 未授权：请用启动时打印的带令牌的链接打开仪表盘。\n401 unauthorized: open the dashboard with the link (and token) printed at start.\n"))
}
