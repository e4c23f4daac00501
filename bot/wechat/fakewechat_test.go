package wechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDomain is the WeChat domain the fake answers for; a hot-login file naming it makes
// openwechat skip the QR step and talk to the fake.
const fakeDomain = "fake.wx"

var errFakeNetworkDown = errors.New("fake wechat: network is down")

// fakeWeChat is a WeChat web server on an http.RoundTripper: enough of the protocol for
// the real openwechat Bot and the real adapter to log in, sync, read contacts and send.
// Like the real one, it gives every account a new UserName on every login.
type fakeWeChat struct {
	t testing.TB

	mu         sync.Mutex
	login      int // successful webwxinit calls; UserNames embed it
	selfNick   string
	people     map[string]*fakePerson
	groups     []*fakeGroup
	queue      []map[string]any
	kick       chan struct{} // closed and replaced whenever a blocked sync check should look again
	netDown    bool
	syncRets   []string // forced sync check retcodes, used in order
	initRets   []int    // forced webwxinit rets, used in order
	sendRet    int
	counts     map[string]int
	sent       []fakeSent
	nextID     int64
	serverTime int64
	systemTime int64 // webwxinit's SystemTime of the current login

	// clock, when set, is WeChat's clock: CreateTime and SystemTime follow it (the harness
	// sets it to the adapter's fake clock), as they do in reality.
	clock func() time.Time
	// echoSameID: the echo of a send carries the send's MsgID, as WeChat's web protocol
	// does; otherwise it gets an id of its own and must be recognised by its text.
	echoSameID bool
	noEcho     bool // sends are not synced back at all
	// refuse: WeChat refuses the account (ret 1203, "为了你的帐号安全，此微信号不能登录网页微信").
	refuse    bool
	deviceIDs []string // the DeviceID of every webwxinit, in order
}

type fakePerson struct {
	key, nick, remark string
	attr              int64
	friend            bool
}

type fakeGroup struct {
	key, name string
	saved     bool
	members   []fakeMembership
}

type fakeMembership struct {
	p       *fakePerson
	display string
}

type fakeSent struct {
	Type         int
	Content      string
	FromUserName string
	ToUserName   string
}

func newFakeWeChat(t testing.TB) *fakeWeChat {
	return &fakeWeChat{
		t:          t,
		selfNick:   "群主",
		people:     map[string]*fakePerson{},
		kick:       make(chan struct{}),
		counts:     map[string]int{},
		nextID:     7000000000000000000,
		serverTime: 1_800_000_000,
	}
}

// --- scenario setup (test side) ---

func (f *fakeWeChat) person(key, nick string, attr int64, friend bool) *fakePerson {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &fakePerson{key: key, nick: nick, attr: attr, friend: friend}
	f.people[key] = p
	return p
}

func (f *fakeWeChat) group(key, name string, saved bool, members ...fakeMembership) *fakeGroup {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := &fakeGroup{key: key, name: name, saved: saved, members: members}
	f.groups = append(f.groups, g)
	return g
}

func in(p *fakePerson, display string) fakeMembership { return fakeMembership{p: p, display: display} }

func (f *fakeWeChat) addMember(groupKey string, m fakeMembership) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.groupByKeyLocked(groupKey)
	g.members = append(g.members, m)
}

func (f *fakeWeChat) removeMember(groupKey, personKey string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.groupByKeyLocked(groupKey)
	for i, m := range g.members {
		if m.p.key == personKey {
			g.members = append(g.members[:i], g.members[i+1:]...)
			return
		}
	}
	f.t.Fatalf("fake: %s is not in %s", personKey, groupKey)
}

func (f *fakeWeChat) setNetDown(down bool) {
	f.mu.Lock()
	f.netDown = down
	f.changedLocked()
	f.mu.Unlock()
}

func (f *fakeWeChat) forceSyncRet(ret string) {
	f.mu.Lock()
	f.syncRets = append(f.syncRets, ret)
	f.changedLocked()
	f.mu.Unlock()
}

func (f *fakeWeChat) forceInitRet(ret int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.initRets = append(f.initRets, ret)
}

func (f *fakeWeChat) set(fn func(f *fakeWeChat)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeWeChat) devices() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.deviceIDs...)
}

func (f *fakeWeChat) renameGroup(key, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groupByKeyLocked(key).name = name
}

func (f *fakeWeChat) setSendRet(ret int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sendRet = ret
}

func (f *fakeWeChat) count(endpoint string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[endpoint]
}

func (f *fakeWeChat) sentMessages() []fakeSent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeSent(nil), f.sent...)
}

// Session UserNames of the current login, as the adapter sees them.
func (f *fakeWeChat) selfUN() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.selfUNLocked()
}

func (f *fakeWeChat) userUN(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.userUNLocked(key)
}

func (f *fakeWeChat) groupUN(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.groupUNLocked(key)
}

func (f *fakeWeChat) selfUNLocked() string          { return fmt.Sprintf("@self-l%d", f.login) }
func (f *fakeWeChat) userUNLocked(k string) string  { return fmt.Sprintf("@%s-l%d", k, f.login) }
func (f *fakeWeChat) groupUNLocked(k string) string { return fmt.Sprintf("@@%s-l%d", k, f.login) }

// --- messages ---

// fakeMsg describes a message; enqueue fills ids and times.
type fakeMsg struct {
	From, To   string
	Type       int
	AppMsgType int
	Content    string
	FileName   string
	URL        string
	NewMsgID   int64 // 0: a fresh id
	AgeSeconds int64 // how long before the current login's start it was sent (a replay)
}

// enqueue delivers a message at the next sync and returns its NewMsgId.
func (f *fakeWeChat) enqueue(m fakeMsg) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enqueueLocked(m)
}

func (f *fakeWeChat) enqueueLocked(m fakeMsg) int64 {
	id := m.NewMsgID
	if id == 0 {
		f.nextID++
		id = f.nextID
	}
	f.serverTime++
	created := f.serverTime
	if f.clock != nil {
		created = f.clock().Unix()
	}
	if m.AgeSeconds > 0 {
		created = f.systemTime - m.AgeSeconds
	}
	f.queue = append(f.queue, map[string]any{
		"MsgId":        strconv.FormatInt(id, 10),
		"NewMsgId":     id,
		"FromUserName": m.From,
		"ToUserName":   m.To,
		"MsgType":      m.Type,
		"AppMsgType":   m.AppMsgType,
		"Content":      m.Content,
		"FileName":     m.FileName,
		"Url":          m.URL,
		"CreateTime":   created,
	})
	f.changedLocked()
	return id
}

// says is a member's text in a group, in the web protocol's "@sender:<br/>text" form.
func (f *fakeWeChat) says(groupKey, personKey, text string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enqueueLocked(fakeMsg{
		From: f.groupUNLocked(groupKey), To: f.selfUNLocked(), Type: 1,
		Content: f.userUNLocked(personKey) + ":<br/>" + text,
	})
}

func (f *fakeWeChat) system(groupKey, text string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enqueueLocked(fakeMsg{From: f.groupUNLocked(groupKey), To: f.selfUNLocked(), Type: 10000, Content: text})
}

func (f *fakeWeChat) changedLocked() {
	close(f.kick)
	f.kick = make(chan struct{})
}

// --- the protocol ---

func (f *fakeWeChat) RoundTrip(req *http.Request) (*http.Response, error) {
	endpoint := req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
	}
	host := req.URL.Hostname()
	if host != fakeDomain && host != "webpush."+fakeDomain && host != "file."+fakeDomain && host != "login.wx.qq.com" {
		f.t.Errorf("fake wechat: request to unexpected host %s (%s)", host, req.URL)
		return nil, fmt.Errorf("fake wechat: no such host %s", host)
	}
	f.mu.Lock()
	f.counts[endpoint]++
	down := f.netDown
	f.mu.Unlock()
	if down {
		return nil, errFakeNetworkDown
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	switch endpoint {
	case "jslogin":
		return text(req, `window.QRLogin.code = 200; window.QRLogin.uuid = "fakeuuid";`), nil
	case "login":
		return text(req, `window.code=200;
window.redirect_uri="https://`+fakeDomain+`/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=t&uuid=u&lang=zh_CN&scan=1";`), nil
	case "webwxnewloginpage":
		f.mu.Lock()
		refuse := f.refuse
		f.mu.Unlock()
		if refuse {
			return text(req, `<error><ret>1203</ret><message>为了你的帐号安全，此微信号不能登录网页微信。你可以使用Windows微信或Mac微信在电脑端登录。`+
				`Windows微信下载地址：https://pc.weixin.qq.com  Mac微信下载地址：https://mac.weixin.qq.com</message></error>`), nil
		}
		resp := text(req, `<error><ret>0</ret><message></message><skey>@crypt_skey</skey><wxsid>sid</wxsid>`+
			`<wxuin>10001</wxuin><pass_ticket>ticket</pass_ticket><isgrayscale>1</isgrayscale></error>`)
		resp.Header.Add("Set-Cookie", "webwx_auth=tok; Path=/")
		resp.Header.Add("Set-Cookie", "webwx_data_ticket=dt; Domain="+fakeDomain+"; Path=/") // uploads need it
		return resp, nil
	case "webwxpushloginurl":
		return text(req, `{"ret":"0","msg":"all ok","uuid":"pushuuid"}`), nil
	case "webwxinit":
		return f.webwxinit(req, body)
	case "webwxstatusnotify":
		return jsonResp(req, map[string]any{"BaseResponse": ok(), "MsgID": "1"}), nil
	case "synccheck":
		return f.synccheck(req)
	case "webwxsync":
		return f.webwxsync(req), nil
	case "webwxgetcontact":
		return f.contacts(req), nil
	case "webwxbatchgetcontact":
		return f.batch(req, body), nil
	case "webwxsendmsg":
		return f.send(req, body), nil
	case "webwxuploadmedia", "webwxsendmsgimg": // image_test.go
		return f.image(req, endpoint, body), nil
	}
	f.t.Errorf("fake wechat: unexpected request %s", req.URL)
	return &http.Response{StatusCode: http.StatusNotFound, Body: io.NopCloser(strings.NewReader("")), Request: req, Header: http.Header{}}, nil
}

func (f *fakeWeChat) webwxinit(req *http.Request, body []byte) (*http.Response, error) {
	var in struct{ BaseRequest struct{ DeviceID string } }
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deviceIDs = append(f.deviceIDs, in.BaseRequest.DeviceID)
	if f.refuse {
		return jsonResp(req, map[string]any{"BaseResponse": map[string]any{"Ret": 1203, "ErrMsg": ""}}), nil
	}
	if len(f.initRets) > 0 {
		ret := f.initRets[0]
		f.initRets = f.initRets[1:]
		return jsonResp(req, map[string]any{"BaseResponse": map[string]any{"Ret": ret}}), nil
	}
	// Like WeChat, refuse a session without its cookie: this is what a hot-login file
	// that lost its cookies runs into.
	if c, err := req.Cookie("webwx_auth"); err != nil || c.Value != "tok" {
		return jsonResp(req, map[string]any{"BaseResponse": map[string]any{"Ret": 1101, "ErrMsg": "no cookie"}}), nil
	}
	f.login++
	f.serverTime += 100
	f.systemTime = f.serverTime
	if f.clock != nil {
		f.systemTime = f.clock().Unix()
	}
	f.queue = nil
	return jsonResp(req, map[string]any{
		"BaseResponse": ok(),
		"User":         map[string]any{"UserName": f.selfUNLocked(), "NickName": f.selfNick, "Uin": 10001},
		"SyncKey":      syncKey(f.login),
		"SystemTime":   f.systemTime,
		"ContactList":  []any{},
	}), nil
}

func (f *fakeWeChat) synccheck(req *http.Request) (*http.Response, error) {
	for {
		f.mu.Lock()
		switch {
		case f.netDown:
			f.mu.Unlock()
			return nil, errFakeNetworkDown
		case len(f.syncRets) > 0:
			ret := f.syncRets[0]
			f.syncRets = f.syncRets[1:]
			f.mu.Unlock()
			return text(req, `window.synccheck={retcode:"`+ret+`",selector:"0"}`), nil
		case len(f.queue) > 0:
			f.mu.Unlock()
			return text(req, `window.synccheck={retcode:"0",selector:"2"}`), nil
		}
		kick := f.kick
		f.mu.Unlock()
		// The real sync check is a 25-second long poll; this one waits for news.
		select {
		case <-kick:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
}

func (f *fakeWeChat) webwxsync(req *http.Request) *http.Response {
	f.mu.Lock()
	defer f.mu.Unlock()
	msgs := f.queue
	f.queue = nil
	if msgs == nil {
		msgs = []map[string]any{}
	}
	return jsonResp(req, map[string]any{
		"BaseResponse": ok(),
		"AddMsgCount":  len(msgs),
		"AddMsgList":   msgs,
		"SyncKey":      syncKey(f.login),
	})
}

func (f *fakeWeChat) contacts(req *http.Request) *http.Response {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := []map[string]any{
		{"UserName": "filehelper", "NickName": "文件传输助手"},
		{"UserName": "@mp-l" + strconv.Itoa(f.login), "NickName": "某公众号", "VerifyFlag": 24},
	}
	for _, p := range f.people {
		if p.friend {
			list = append(list, map[string]any{"UserName": f.userUNLocked(p.key), "NickName": p.nick, "RemarkName": p.remark})
		}
	}
	for _, g := range f.groups {
		if g.saved {
			list = append(list, map[string]any{"UserName": f.groupUNLocked(g.key), "NickName": g.name, "MemberCount": len(g.members) + 1})
		}
	}
	return jsonResp(req, map[string]any{"BaseResponse": ok(), "MemberCount": len(list), "MemberList": list, "Seq": 0})
}

func (f *fakeWeChat) batch(req *http.Request, body []byte) *http.Response {
	var in struct {
		List []struct{ UserName string }
	}
	if err := json.Unmarshal(body, &in); err != nil {
		f.t.Errorf("fake wechat: bad batchgetcontact body: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, item := range in.List {
		for _, g := range f.groups {
			if f.groupUNLocked(g.key) != item.UserName {
				continue
			}
			members := []map[string]any{{"UserName": f.selfUNLocked(), "NickName": f.selfNick, "DisplayName": "群主本人", "AttrStatus": 1}}
			for _, m := range g.members {
				members = append(members, map[string]any{
					"UserName": f.userUNLocked(m.p.key), "NickName": m.p.nick, "DisplayName": m.display, "AttrStatus": m.p.attr,
				})
			}
			out = append(out, map[string]any{
				"UserName": item.UserName, "NickName": g.name, "MemberCount": len(members), "MemberList": members,
			})
		}
		for _, p := range f.people {
			if f.userUNLocked(p.key) == item.UserName {
				out = append(out, map[string]any{"UserName": item.UserName, "NickName": p.nick})
			}
		}
	}
	return jsonResp(req, map[string]any{"BaseResponse": ok(), "Count": len(out), "ContactList": out})
}

func (f *fakeWeChat) send(req *http.Request, body []byte) *http.Response {
	var in struct{ Msg fakeSent }
	if err := json.Unmarshal(body, &in); err != nil {
		f.t.Errorf("fake wechat: bad webwxsendmsg body: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, in.Msg)
	if f.sendRet != 0 {
		return jsonResp(req, map[string]any{"BaseResponse": map[string]any{"Ret": f.sendRet}})
	}
	f.nextID++
	msgID := f.nextID
	// WeChat syncs the account's own messages back. Unless echoSameID, give the echo
	// another id than the send's answer, so the adapter has to recognise it by its content.
	if !f.noEcho {
		echo := fakeMsg{From: in.Msg.FromUserName, To: in.Msg.ToUserName, Type: 1, Content: in.Msg.Content}
		if f.echoSameID {
			echo.NewMsgID = msgID
		}
		f.enqueueLocked(echo)
	}
	return jsonResp(req, map[string]any{"BaseResponse": ok(), "MsgID": strconv.FormatInt(msgID, 10), "LocalID": "1"})
}

func ok() map[string]any { return map[string]any{"Ret": 0, "ErrMsg": ""} }

func syncKey(n int) map[string]any {
	return map[string]any{"Count": 1, "List": []map[string]int64{{"Key": 1, "Val": int64(n)}}}
}

func text(req *http.Request, s string) *http.Response {
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/plain"}},
		Body: io.NopCloser(strings.NewReader(s)), Request: req,
	}
}

func jsonResp(req *http.Request, v any) *http.Response {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(&buf), Request: req,
	}
}

// writeFakeHotLogin stores a session for the fake domain, as a previous QR login would
// have: openwechat then logs in without a QR code.
func writeFakeHotLogin(t testing.TB, path string) {
	t.Helper()
	doc := map[string]any{
		"Jar": map[string]any{"https://" + fakeDomain: []map[string]string{{"Name": "webwx_auth", "Value": "tok"},
			{"Name": "webwx_data_ticket", "Value": "dt", "Domain": fakeDomain}}}, // uploads need the ticket
		"BaseRequest":  map[string]any{"Uin": 10001, "Sid": "sid", "Skey": "@crypt_skey", "DeviceID": "e123456789012345"},
		"LoginInfo":    map[string]any{"Ret": 0, "WxUin": 10001, "SKey": "@crypt_skey", "WxSid": "sid", "PassTicket": "ticket"},
		"WechatDomain": fakeDomain,
		"SyncKey":      syncKey(0),
		"UUID":         "",
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeWeChat) groupByKeyLocked(key string) *fakeGroup {
	for _, g := range f.groups {
		if g.key == key {
			return g
		}
	}
	f.t.Fatalf("fake: no group %s", key)
	return nil
}
