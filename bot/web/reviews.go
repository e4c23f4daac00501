package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"qunbot/bot"
	"qunbot/storage"
)

// The review queue: messages the classifier was unsure about, labelled by the owner. A label
// changes state (a 广告 label puts the member on the ladder), so the form carries a CSRF
// token: the auth cookie alone is not enough. The token is an HMAC of the dashboard token,
// so it is the same on every page of one run and no other site can compute it.

// csrfToken is the token every state-changing form carries.
func (a auth) csrfToken() string {
	mac := hmac.New(sha256.New, a.token)
	mac.Write([]byte("qunbot dashboard csrf"))
	return hex.EncodeToString(mac.Sum(nil))
}

func (a auth) csrfOK(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(a.csrfToken())) == 1
}

type reviewView struct {
	ID     int64
	Group  string
	Member string
	Text   string
	Score  string
	Reason string
	Time   string
}

type reviewsPage struct {
	base
	CSRF    string
	Reviews []reviewView
	Done    string // what the last label did, shown once
}

func (s *Server) handleReviews(w http.ResponseWriter, r *http.Request) {
	p := reviewsPage{base: s.base("复核"), CSRF: s.auth.csrfToken()}
	switch r.URL.Query().Get("done") {
	case "spam":
		p.Done = "已标记为广告：机器人学会了，并按处罚阶梯处理了发送者。"
	case "ham":
		p.Done = "已标记为正常：机器人学会了。"
	}
	err := s.e.Store().View(r.Context(), func(tx *storage.Tx) error {
		open, err := tx.OpenReviews(100)
		if err != nil {
			return err
		}
		for _, rv := range open {
			m, err := tx.Member(rv.MemberKey)
			if err != nil {
				return err
			}
			p.Reviews = append(p.Reviews, reviewView{ID: rv.ID, Group: s.e.GroupName(rv.GroupKey), Member: m.ShownName(),
				Text: rv.Text, Score: fmt.Sprintf("%.2f", rv.Score), Reason: rv.Reason,
				Time: rv.CreatedAt.In(s.e.Location()).Format("01-02 15:04")})
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, fmt.Errorf("list reviews: %w", err))
		return
	}
	s.render(w, r, http.StatusOK, "reviews", p)
}

// handleLabel takes the owner's label for one review and hands it to the engine as the
// console command 广告 N / 正常 N: the engine's own moderation module labels, learns and
// applies the ladder on its loop, exactly as if typed in the file helper (which also hears
// the answer). A second click is a replayed command and changes nothing.
func (s *Server) handleLabel(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "400 提交的内容格式不对 / bad form", http.StatusBadRequest)
		return
	}
	if !s.auth.csrfOK(r.PostForm.Get("csrf")) {
		http.Error(w, "403 表单已过期或来源不对，请刷新复核页再试 / missing or wrong CSRF token", http.StatusForbidden)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(w, r)
		return
	}
	word, done := "", ""
	switch r.PostForm.Get("label") {
	case "spam":
		word, done = "广告", "spam"
	case "ham":
		word, done = "正常", "ham"
	default:
		http.Error(w, "400 标记只能是 spam（广告）或 ham（正常）/ label must be spam or ham", http.StatusBadRequest)
		return
	}
	cfg := s.e.Config()
	ev := bot.Event{Type: bot.EventMessage, ID: fmt.Sprintf("web-review-%d", id), Console: true, FromOwner: true,
		Sender: bot.MemberInfo{Nickname: cfg.Owner.Name}, Kind: bot.KindText, Text: fmt.Sprintf("%s %d", word, id), Time: s.e.Now()}
	if !s.e.Submit(func(ctx context.Context) { s.e.Handle(ctx, ev) }) {
		http.Error(w, "503 机器人正忙，请稍后再试 / engine busy, try again", http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "/reviews?done="+done, http.StatusSeeOther)
}
