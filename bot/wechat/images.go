package wechat

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/eatmoreapple/openwechat"

	"qunbot/bot/qrscan"
)

// Images members send are downloaded only for the QR check, by the message they came in:
// the session keeps the last imageRingSize image messages (a message's picture can only
// be fetched through its own session, so a handle dies with a re-login).
const imageRingSize = 256

// imagePrefix starts an Event.Image handle: "wx:<login>:<message id>".
const imagePrefix = "wx:"

type imageRing struct {
	mu    sync.Mutex
	byID  map[string]*openwechat.Message
	order []string
}

// keepImage remembers an image message and returns its handle.
func (s *session) keepImage(id string, msg *openwechat.Message) string {
	r := &s.images
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = make(map[string]*openwechat.Message, imageRingSize)
	}
	if _, ok := r.byID[id]; !ok {
		if len(r.order) == imageRingSize {
			delete(r.byID, r.order[0])
			r.order = r.order[1:]
		}
		r.order = append(r.order, id)
	}
	r.byID[id] = msg
	return fmt.Sprintf("%s%d:%s", imagePrefix, s.seq, id)
}

func (s *session) image(id string) (*openwechat.Message, bool) {
	s.images.mu.Lock()
	defer s.images.mu.Unlock()
	m, ok := s.images.byID[id]
	return m, ok
}

// FetchImage downloads a member's image (bot.ImageFetcher) through the session it came in,
// within maxBytes and ctx: the library's call takes no context of ours, so the wait for it
// is given up when ctx ends and the body is closed.
func (a *Adapter) FetchImage(ctx context.Context, groupID, handle string, maxBytes int64) ([]byte, error) {
	rest, ok := strings.CutPrefix(handle, imagePrefix)
	seq, id, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 {
		return nil, fmt.Errorf("not a WeChat image handle: %q", handle)
	}
	s, err := a.live()
	if err != nil {
		return nil, err
	}
	if fmt.Sprint(s.seq) != seq {
		return nil, fmt.Errorf("图片来自上一次登录，已无法下载 / image from an earlier login")
	}
	msg, found := s.image(id)
	if !found {
		return nil, fmt.Errorf("图片已不在最近 %d 张之内 / image no longer kept", imageRingSize)
	}
	type answer struct {
		resp *http.Response
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := msg.GetPicture()
		done <- answer{resp, err}
	}()
	var ans answer
	select {
	case <-ctx.Done():
		go func() { // close whatever comes back late
			if a := <-done; a.resp != nil {
				a.resp.Body.Close()
			}
		}()
		return nil, fmt.Errorf("download image: %w", ctx.Err())
	case ans = <-done:
	}
	if ans.err != nil {
		return nil, fmt.Errorf("download image: %w", ans.err)
	}
	defer ans.resp.Body.Close()
	stop := context.AfterFunc(ctx, func() { ans.resp.Body.Close() })
	defer stop()
	if ans.resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w (%d 字节 / bytes, 图片 / image %d)", qrscan.ErrTooLarge, maxBytes, ans.resp.ContentLength)
	}
	return qrscan.ReadLimited(ans.resp.Body, maxBytes)
}
