package wechat

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"testing"

	"qunbot/bot"
)

// image answers the two requests of an image send: the upload (multipart; the media id
// is the MD5 of the bytes received, so a test can check what arrived) and the message.
func (f *fakeWeChat) image(req *http.Request, endpoint string, body []byte) *http.Response {
	if endpoint == "webwxuploadmedia" {
		_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
		if err != nil {
			f.t.Errorf("fake wechat: upload content type: %v", err)
			return jsonResp(req, map[string]any{"BaseResponse": map[string]any{"Ret": 1}})
		}
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		var data []byte
		fields := map[string]string{}
		for {
			p, err := r.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			if p.FormName() == "filename" {
				data = b
			} else {
				fields[p.FormName()] = string(b)
			}
		}
		if fields["webwx_data_ticket"] != "dt" || len(data) == 0 {
			f.t.Errorf("fake wechat: upload without ticket or data: %v, %d bytes", fields, len(data))
			return jsonResp(req, map[string]any{"BaseResponse": map[string]any{"Ret": 1}})
		}
		sum := md5.Sum(data)
		return jsonResp(req, map[string]any{"BaseResponse": ok(), "MediaId": "media-" + hex.EncodeToString(sum[:])})
	}
	var in struct {
		Msg struct {
			Type         int
			MediaId      string
			FromUserName string
			ToUserName   string
		}
	}
	if err := json.Unmarshal(body, &in); err != nil {
		f.t.Errorf("fake wechat: bad webwxsendmsgimg body: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, fakeSent{Type: in.Msg.Type, Content: in.Msg.MediaId, FromUserName: in.Msg.FromUserName, ToUserName: in.Msg.ToUserName})
	f.nextID++
	return jsonResp(req, map[string]any{"BaseResponse": ok(), "MsgID": strconv.FormatInt(f.nextID, 10), "LocalID": "1"})
}

func TestSendImageToFileHelper(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	ctx := context.Background()

	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 3000)...)
	if err := h.a.SendImageDM(ctx, bot.Filehelper, png, "week.png"); err != nil {
		t.Fatal(err)
	}
	sent := f.sentMessages()
	if len(sent) != 1 {
		t.Fatalf("sent %d messages", len(sent))
	}
	sum := md5.Sum(png)
	if got := sent[0]; got.Type != 3 || got.ToUserName != "filehelper" || got.FromUserName != f.selfUN() || got.Content != "media-"+hex.EncodeToString(sum[:]) {
		t.Errorf("webwxsendmsgimg Msg = %+v, want an image (type 3) of the uploaded bytes to the file helper", got)
	}
	if err := h.a.SendImageDM(ctx, f.userUN("xiaoming1"), png, "week.png"); err == nil {
		t.Error("an image to a non-friend must fail")
	}
}
