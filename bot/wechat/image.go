package wechat

import (
	"bytes"
	"context"
	"fmt"

	"github.com/eatmoreapple/openwechat"

	"qunbot/bot"
)

// SendImageDM sends a PNG privately (bot.ImageSender): the weekly chart to the file helper.
// The library uploads it (webwxuploadmedia) and sends it (webwxsendmsgimg); it names the
// upload itself, so name is not used.
func (a *Adapter) SendImageDM(ctx context.Context, to string, png []byte, name string) error {
	s, err := a.live()
	if err != nil {
		return fmt.Errorf("send image %s to %s: %w", name, to, err)
	}
	id, err := s.resolveDM(to)
	if err != nil {
		return fmt.Errorf("send image %s: %w", name, err)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	sent, err := s.caller.WebWxSendImageMsg(ctx, bytes.NewReader(png), &openwechat.CallerWebWxSendImageMsgOptions{
		FromUserName: s.selfName, ToUserName: id, BaseRequest: s.baseReq, LoginInfo: s.loginInfo})
	if err != nil {
		if s.ctx.Err() != nil && s.root.Err() == nil {
			return fmt.Errorf("send image %s: %w: %w", name, ErrNotLoggedIn, err)
		}
		return fmt.Errorf("send image %s: %w", name, classify(err))
	}
	if sent != nil && sent.MsgId != "" {
		s.a.seen.add(sent.MsgId)
	}
	return nil
}

var _ bot.ImageSender = (*Adapter)(nil)
