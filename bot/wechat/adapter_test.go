package wechat

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
)

func TestJoinEventResolvesMembers(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)

	lisi := f.person("lisi", "李四", 401, false)
	wangwu := f.person("wangwu", "王五", 402, false)
	f.addMember("books", in(lisi, ""))
	f.addMember("books", in(wangwu, ""))
	id := f.system("books", `"张三"邀请"李四、王五"加入了群聊`)

	ev := h.next()
	if ev.Type != bot.EventJoin {
		t.Fatalf("got %v, want a join: %+v", ev.Type, ev)
	}
	if ev.ID != strconv.FormatInt(id, 10) || ev.Time.IsZero() {
		t.Errorf("ID %q Time %v, want the NewMsgId %d and CreateTime", ev.ID, ev.Time, id)
	}
	if ev.Group.Name != "读书会" || ev.Group.ID != f.groupUN("books") {
		t.Errorf("group = %+v", ev.Group)
	}
	if ev.Inviter != "张三" {
		t.Errorf("inviter = %q, want 张三", ev.Inviter)
	}
	if len(ev.Members) != 2 || ev.Members[0].ID != f.userUN("lisi") || ev.Members[1].ID != f.userUN("wangwu") {
		t.Fatalf("members = %+v, want 李四 and 王五 with their session ids", ev.Members)
	}
	if ev.Members[0].Nickname != "李四" || ev.Members[0].AttrStatus != 401 {
		t.Errorf("李四 = %+v", ev.Members[0])
	}

	// A QR-code join right after: the refresh is rate limited per group, so move past it.
	h.clock.Advance(quiet.joinRefresh)
	zhaoliu := f.person("zhaoliu", "赵六", 403, false)
	f.addMember("books", in(zhaoliu, "六六"))
	f.system("books", `"赵六"通过扫描你分享的二维码加入群聊`)
	ev = h.next()
	if ev.Type != bot.EventJoin || len(ev.Members) != 1 || ev.Members[0].ID != f.userUN("zhaoliu") ||
		ev.Members[0].DisplayName != "六六" || ev.Inviter != "群主" {
		t.Fatalf("QR join = %+v", ev)
	}

	// A notice whose $names$ was never filled in still says somebody joined: the member
	// list read it triggers names them.
	h.clock.Advance(quiet.joinRefresh)
	sunqi := f.person("sunqi", "孙七", 404, false)
	f.addMember("books", in(sunqi, ""))
	f.system("books", `"$names$"加入了群聊`)
	ev = h.next()
	if ev.Type != bot.EventJoin || len(ev.Members) != 1 || ev.Members[0].ID != f.userUN("sunqi") {
		t.Fatalf("unnamed join = %+v, want 孙七 from the member list", ev)
	}
}

func TestMessagesKindsOwnerAndConsole(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	group, self := f.groupUN("books"), f.selfUN()

	f.says("books", "zhangsan", "大家好")
	ev := h.next()
	if ev.Type != bot.EventMessage || ev.Kind != bot.KindText || ev.Text != "大家好" || ev.FromOwner || ev.Console {
		t.Fatalf("text = %+v", ev)
	}
	want := bot.MemberInfo{ID: f.userUN("zhangsan"), Nickname: "张三", AttrStatus: 101, IsFriend: true}
	if ev.Sender != want {
		t.Errorf("sender = %+v, want %+v", ev.Sender, want)
	}

	f.enqueue(fakeMsg{From: group, To: self, Type: 49, AppMsgType: 5,
		Content: f.userUN("xiaoming1") + ":<br/>&lt;msg&gt;&lt;appmsg&gt;&lt;title&gt;限时优惠&lt;/title&gt;&lt;type&gt;5&lt;/type&gt;" +
			"&lt;url&gt;https://x.cn/a&lt;/url&gt;&lt;/appmsg&gt;&lt;/msg&gt;"})
	ev = h.next()
	if ev.Kind != bot.KindLink || ev.Text != "限时优惠\nhttps://x.cn/a" || ev.Sender.DisplayName != "小明-北京" {
		t.Errorf("link = %+v", ev)
	}

	f.enqueue(fakeMsg{From: group, To: self, Type: 49, AppMsgType: 33,
		Content: f.userUN("xiaoming2") + ":<br/>&lt;msg&gt;&lt;appmsg&gt;&lt;title&gt;砍一刀&lt;/title&gt;&lt;type&gt;33&lt;/type&gt;" +
			"&lt;sourcedisplayname&gt;某某商城&lt;/sourcedisplayname&gt;&lt;/appmsg&gt;&lt;/msg&gt;"})
	if ev = h.next(); ev.Kind != bot.KindMiniApp || ev.Text != "砍一刀\n某某商城" {
		t.Errorf("mini program = %+v", ev)
	}

	f.enqueue(fakeMsg{From: group, To: self, Type: 10000, Content: "收到红包，请在手机上查看"})
	if ev = h.next(); ev.Kind != bot.KindRedPacket {
		t.Errorf("red packet = %+v", ev)
	}

	// The owner typing in the group on the phone.
	f.enqueue(fakeMsg{From: self, To: group, Type: 1, Content: "警告 @张三\u2005广告"})
	ev = h.next()
	if !ev.FromOwner || ev.Console || ev.Sender.ID != self || ev.Sender.DisplayName != "群主本人" || ev.Group.Name != "读书会" {
		t.Errorf("owner message = %+v", ev)
	}

	// The owner typing in the file helper: the console.
	f.enqueue(fakeMsg{From: self, To: "filehelper", Type: 1, Content: "统计"})
	ev = h.next()
	if !ev.Console || !ev.FromOwner || ev.Text != "统计" || ev.Group != (bot.GroupInfo{}) || ev.Sender.ID != self {
		t.Errorf("console = %+v", ev)
	}

	// None of these may produce anything, least of all a console event: a friend's private
	// message, a friend who calls themselves 文件传输助手, something "from" the file helper,
	// and the status notification WeChat sends at login.
	friend := f.userUN("zhangsan")
	f.enqueue(fakeMsg{From: friend, To: self, Type: 1, Content: "私聊"})
	f.enqueue(fakeMsg{From: friend, To: "filehelper", Type: 1, Content: "统计"})
	f.enqueue(fakeMsg{From: "filehelper", To: self, Type: 1, Content: "统计"})
	f.enqueue(fakeMsg{From: self, To: group, Type: 51, Content: ""})
	h.expectOnlySentinel("哨兵")
}

func TestSendTextBodyAndEchoSuppression(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	ctx := context.Background()

	if caps := h.a.Capabilities(); caps != (bot.Capabilities{}) {
		t.Errorf("capabilities = %+v, want none", caps)
	}
	text := "@小明\u2005欢迎入群，请先看群公告"
	if err := h.a.SendText(ctx, f.groupUN("books"), text, []string{f.userUN("xiaoming1")}); err != nil {
		t.Fatal(err)
	}
	sent := f.sentMessages()
	if len(sent) != 1 {
		t.Fatalf("sent %d messages", len(sent))
	}
	got := sent[0]
	if got.ToUserName != f.groupUN("books") || got.FromUserName != f.selfUN() || got.Content != text || got.Type != 1 {
		t.Errorf("webwxsendmsg Msg = %+v, want text %q to the group", got, text)
	}

	if err := h.a.SendDM(ctx, bot.Filehelper, "移除请求：请把 @小明 移出「读书会」"); err != nil {
		t.Fatal(err)
	}
	if got := f.sentMessages()[1]; got.ToUserName != "filehelper" {
		t.Errorf("DM to the file helper went to %q", got.ToUserName)
	}
	if err := h.a.SendDM(ctx, f.userUN("xiaoming2"), "你好"); err != nil {
		t.Errorf("DM to a friend: %v", err)
	}
	if err := h.a.SendDM(ctx, f.userUN("xiaoming1"), "你好"); !errors.Is(err, bot.ErrNotSupported) || IsRetryable(err) {
		t.Errorf("DM to a non-friend: %v, want ErrNotSupported", err)
	}
	if err := h.a.RemoveMember(ctx, f.groupUN("books"), f.userUN("xiaoming1")); !errors.Is(err, bot.ErrNotSupported) {
		t.Errorf("RemoveMember: %v", err)
	}

	// WeChat synced all three sends back as the owner's own messages; none of them may
	// become an owner message, and the file-helper one above all not a console command.
	h.expectOnlySentinel("哨兵")
}

func TestSendErrorsTellRetryableFromPermanent(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	ctx := context.Background()

	if err := New(Options{}).SendText(ctx, "@@x", "hi", nil); !errors.Is(err, ErrNotLoggedIn) || !IsRetryable(err) {
		t.Errorf("before login: %v", err)
	}
	h.session(1)
	group := f.groupUN("books")

	f.setSendRet(1205)
	err := h.a.SendText(ctx, group, "hi", nil)
	if !IsRetryable(err) || !IsTooOften(err) || !errors.Is(err, ErrTooOften) {
		t.Errorf("ret 1205: %v", err)
	}
	f.setSendRet(1)
	if err := h.a.SendText(ctx, group, "hi", nil); err == nil || IsRetryable(err) {
		t.Errorf("ret 1: %v, want a permanent error", err)
	}
	f.setSendRet(1101)
	if err := h.a.SendText(ctx, group, "hi", nil); !IsRetryable(err) || !errors.Is(err, ErrSessionExpired) {
		t.Errorf("ret 1101: %v", err)
	}
	f.setSendRet(0)
	if err := h.a.SendText(ctx, "@@nosuchgroup", "hi", nil); !errors.Is(err, ErrUnknownID) || IsRetryable(err) {
		t.Errorf("unknown group: %v", err)
	}
	f.setNetDown(true)
	err = h.a.SendText(ctx, group, "hi", nil)
	f.setNetDown(false)
	if !IsRetryable(err) || !errors.Is(err, ErrNetwork) || IsTooOften(err) {
		t.Errorf("network down: %v", err)
	}
}

func TestReplaysAndOldMessagesAreDropped(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	group, self := f.groupUN("books"), f.selfUN()
	content := f.userUN("zhangsan") + ":<br/>第一条"

	id := f.enqueue(fakeMsg{From: group, To: self, Type: 1, Content: content})
	if ev := h.next(); ev.ID != strconv.FormatInt(id, 10) {
		t.Fatalf("first delivery = %+v", ev)
	}
	f.enqueue(fakeMsg{From: group, To: self, Type: 1, Content: content, NewMsgID: id})
	f.enqueue(fakeMsg{From: group, To: self, Type: 1, Content: f.userUN("zhangsan") + ":<br/>登录前的旧消息", AgeSeconds: 60})
	h.expectOnlySentinel("哨兵")
}

func TestSameNicknameMembersStayDistinct(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)

	f.says("books", "xiaoming1", "我是北京的小明")
	f.says("books", "xiaoming2", "我是另一个小明")
	a, b := h.next().Sender, h.next().Sender
	if a.Nickname != "小明" || b.Nickname != "小明" || a.ID == b.ID {
		t.Fatalf("senders = %+v / %+v: want two 小明 with different ids", a, b)
	}
	if a.DisplayName != "小明-北京" || a.AttrStatus != 201 || a.IsFriend || b.DisplayName != "" || b.AttrStatus != 202 || !b.IsFriend {
		t.Errorf("identity hints lost: %+v / %+v", a, b)
	}

	members, err := h.a.Members(context.Background(), f.groupUN("books"))
	if err != nil {
		t.Fatal(err)
	}
	var xiaoming []bot.MemberInfo
	for _, m := range members {
		if m.ID == f.selfUN() {
			t.Errorf("the owner's own account is listed as a member")
		}
		if m.Nickname == "小明" {
			xiaoming = append(xiaoming, m)
		}
	}
	if len(members) != 3 || len(xiaoming) != 2 || xiaoming[0].ID == xiaoming[1].ID {
		t.Errorf("members = %+v", members)
	}
	groups, err := h.a.Groups(context.Background())
	if err != nil || len(groups) != 1 || groups[0].Name != "读书会" || groups[0].MemberCount != 4 {
		t.Errorf("groups = %+v, %v", groups, err)
	}
}

func TestSessionExpiryLogsInAgainWithNewBot(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	oldGroup, oldFriend := f.groupUN("books"), f.userUN("zhangsan")
	bots := h.a.botsCreated.Load()

	// A day later WeChat ends the session, as it does about daily.
	h.clock.Advance(20 * time.Hour)
	f.forceSyncRet("1101")
	d := h.clock.nextSleep(t) // the supervisor's back-off before logging in again
	if d <= 0 || d > h.a.tune.loginBackoff.base {
		t.Errorf("first re-login waits %v, want (0, %v]", d, h.a.tune.loginBackoff.base)
	}
	if _, err := h.a.live(); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("while logged out: %v, want ErrNotLoggedIn", err)
	}
	h.clock.Advance(d)
	h.session(2)

	if got := h.a.botsCreated.Load(); got != bots+1 {
		t.Errorf("bots created: %d, want one more (%d)", got, bots+1)
	}
	if f.count("webwxinit") != 2 || f.count("jslogin") != 0 {
		t.Errorf("webwxinit %d, jslogin %d: want a second hot login and no QR", f.count("webwxinit"), f.count("jslogin"))
	}
	notes := h.notes.all()
	if !strings.Contains(notes, "1101") || !strings.Contains(notes, "微信已重新登录") || strings.Count(notes, "\n\n") > 0 {
		t.Errorf("owner not told once, with the reason, after the re-login: %q", notes)
	}
	// The second hot login only worked because the first session saved the cookie again
	// (openwechat alone would have saved an empty jar after a hot login).
	if b, err := os.ReadFile(h.hot); err != nil || !strings.Contains(string(b), "webwx_auth") {
		t.Errorf("hot-login file lost its cookie: %s, %v", b, err)
	}

	// The same for a friend's id, for DMs.
	if err := h.a.SendDM(context.Background(), oldFriend, "你好"); err != nil {
		t.Fatal(err)
	}
	if sent := f.sentMessages(); sent[len(sent)-1].ToUserName != f.userUN("zhangsan") {
		t.Errorf("DM sent to %q, want the friend's new id", sent[len(sent)-1].ToUserName)
	}

	newGroup := f.groupUN("books")
	if newGroup == oldGroup {
		t.Fatal("fake did not change ids on login")
	}
	// The engine may still hold the old group id: it is translated by name.
	if err := h.a.SendText(context.Background(), oldGroup, "早上好", nil); err != nil {
		t.Fatal(err)
	}
	if sent := f.sentMessages(); sent[len(sent)-1].ToUserName != newGroup {
		t.Errorf("sent to %q, want the group's new id %q", sent[len(sent)-1].ToUserName, newGroup)
	}
	f.says("books", "zhangsan", "新会话")
	if ev := h.next(); ev.Group.ID != newGroup || ev.Group.Name != "读书会" || ev.Sender.ID != f.userUN("zhangsan") {
		t.Errorf("event after re-login = %+v", ev)
	}
}

func TestNetworkOutageBacksOffInsteadOfSpinning(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)

	before := f.count("synccheck")
	f.setNetDown(true)
	var elapsed time.Duration
	var sleeps []time.Duration
	for elapsed < 10*time.Minute {
		d := h.clock.nextSleep(t)
		sleeps = append(sleeps, d)
		elapsed += d
		h.clock.Advance(d)
	}
	requests := f.count("synccheck") - before
	// 1s, 2s, 4s … capped at a minute (each halved at worst by jitter): about 15 sleeps
	// in ten minutes. openwechat's own handler would have sent thousands of requests.
	if requests > 30 || len(sleeps) > 30 {
		t.Errorf("%d sync checks and %d back-offs in %v of outage: not backing off", requests, len(sleeps), elapsed)
	}
	// The first failing check was already on its way when the network went (parked in
	// its long poll), so it is not counted.
	if requests < len(sleeps)-1 || len(sleeps) < 8 {
		t.Errorf("%d sync checks, %d back-offs: the loop must keep retrying", requests, len(sleeps))
	}
	if sleeps[0] > time.Second {
		t.Errorf("first back-off %v, want ≤ 1s", sleeps[0])
	}
	for i, d := range sleeps {
		if d > h.a.tune.syncBackoff.max {
			t.Errorf("back-off %d is %v, above the cap", i, d)
		}
		if i > 0 && i < 6 && d < sleeps[i-1] {
			t.Errorf("back-off shrank before the cap: %v", sleeps[:i+1])
		}
	}

	// The network returns: the pending back-off ends, the loop resumes, messages flow.
	f.setNetDown(false)
	h.clock.Advance(h.a.tune.syncBackoff.max)
	f.says("books", "zhangsan", "网络恢复了")
	if ev := h.next(); ev.Text != "网络恢复了" {
		t.Errorf("after the outage: %+v", ev)
	}
	if h.a.botsCreated.Load() != 1 {
		t.Errorf("an outage without watchdog must not log in again")
	}
}

func TestWatchdogRestartsSilentSession(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	tune := quiet
	tune.watchdogSilence = 2 * time.Minute
	h := newHarness(t, f, harnessConfig{tune: tune})
	h.session(1)

	// The fake's sync check now hangs, as a dead connection would. Only the watchdog and,
	// once it fires, the supervisor sleep; skip each wait until login 2 is up.
	var elapsed time.Duration
	for step := 0; ; step++ {
		if step > 20 {
			t.Fatalf("no re-login after %v of silence", elapsed)
		}
		d := h.clock.nextSleep(t)
		if s, err := h.a.live(); err == nil && s.seq == 2 {
			break
		}
		elapsed += d
		h.clock.Advance(d)
	}
	if elapsed < 2*time.Minute {
		t.Errorf("restarted after %v, before the 2 minute limit", elapsed)
	}
	if !strings.Contains(h.notes.all(), "无响应") {
		t.Errorf("operator not told why: %q", h.notes.all())
	}
	f.says("books", "zhangsan", "又能收到了")
	if ev := h.next(); ev.Text != "又能收到了" {
		t.Errorf("after restart: %+v", ev)
	}
}

func TestLeaveDetectedByMemberListPolling(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	tune := quiet
	tune.memberRefresh = 5 * time.Minute
	h := newHarness(t, f, harnessConfig{tune: tune})
	h.session(1)
	gone := f.userUN("xiaoming2")
	f.removeMember("books", "xiaoming2")

	start := h.clock.Now()
	for step := 0; step < 20; step++ {
		h.clock.Advance(h.clock.nextSleep(t))
		select {
		case ev := <-h.events:
			if ev.Type != bot.EventLeave || len(ev.Members) != 1 || ev.Members[0].ID != gone || ev.Group.Name != "读书会" {
				t.Fatalf("got %+v, want 小明 (%s) leaving", ev, gone)
			}
			if waited := h.clock.Now().Sub(start); waited < tune.memberRefresh {
				t.Errorf("member list re-read after %v, more often than every %v", waited, tune.memberRefresh)
			}
			return
		default:
		}
	}
	t.Fatal("no leave event")
}

func TestQRLoginDrawsCodeAndSavesPrivateSession(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{noHotLogin: true})
	h.session(1)

	qr := h.qr.String()
	if !strings.Contains(qr, "█") || !strings.Contains(qr, "https://login.weixin.qq.com/qrcode/fakeuuid") {
		t.Errorf("QR code not drawn:\n%s", qr)
	}
	if !strings.Contains(h.logs.String(), "https://login.weixin.qq.com/l/fakeuuid") {
		t.Errorf("login URL not logged")
	}
	// Not through the console: it is a chat of the account that is logged out, and a note
	// asking to scan would arrive after the scan.
	if n := h.notes.all(); n != "" {
		t.Errorf("the console was told about the QR code, which it can only deliver afterwards: %q", n)
	}
	st, err := os.Stat(h.hot)
	if err != nil {
		t.Fatalf("no hot-login file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("hot-login file mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(h.hot)
	if !strings.Contains(string(b), fakeDomain) || !strings.Contains(string(b), "webwx_auth") {
		t.Errorf("hot-login file lacks domain or cookie: %s", b)
	}
}

func TestExpiredHotSessionFallsBackToPushLogin(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	f.forceInitRet(1101) // the saved session has expired
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	if f.count("webwxpushloginurl") != 1 || f.count("jslogin") != 0 || h.qr.String() != "" {
		t.Errorf("push %d, jslogin %d, QR %q: want a push login without QR",
			f.count("webwxpushloginurl"), f.count("jslogin"), h.qr.String())
	}
}

func TestCheckGroupsReportsMissingWithReason(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	f.group("run1", "跑步群", true)
	f.group("run2", "跑步群", true)
	f.group("hidden", "未保存的群", false)
	h := newHarness(t, f, harnessConfig{groups: []string{"读书会", "未保存的群"}})

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	found, missing := h.a.CheckGroups(ctx, []string{"读书会", "跑步群", "未保存的群"})
	if strings.Join(found, ",") != "读书会" || strings.Join(missing, ",") != "跑步群,未保存的群" {
		t.Errorf("found %v, missing %v", found, missing)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "群未保存到通讯录") || !strings.Contains(logs, "同名") {
		t.Errorf("reasons not logged:\n%s", logs)
	}
	// Options.Groups is checked at every login and the owner told.
	if n := h.notes.all(); !strings.Contains(n, "未保存的群") || !strings.Contains(n, "群未保存到通讯录") {
		t.Errorf("operator not told: %q", n)
	}

	// An unsaved group still works once it speaks: WeChat sends its messages anyway.
	f.addMember("hidden", in(f.people["zhangsan"], ""))
	f.says("hidden", "zhangsan", "这个群没保存")
	ev := h.next()
	if ev.Group.Name != "未保存的群" || ev.Sender.Nickname != "张三" {
		t.Errorf("unsaved group message = %+v", ev)
	}
	if found, _ := h.a.CheckGroups(ctx, []string{"未保存的群"}); len(found) != 1 {
		t.Errorf("a group seen through its messages should be found")
	}
}

func TestHandlerPanicIsRecovered(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	logs := &syncBuffer{}
	a := New(Options{Logger: slogTo(logs), Transport: f, Notify: func(string) { panic("notify broke") }})
	s := newSession(a, context.Background(), 1, make(chan bot.Event, 1))
	close(s.ready)
	b := a.newBot(s)

	b.MessageHandler(nil) // a nil message panics inside translate
	a.notify("hello")
	if got := strings.Count(logs.String(), "panicked"); got != 2 {
		t.Errorf("%d recovered panics logged, want 2:\n%s", got, logs.String())
	}
	if s.busy != 0 {
		t.Errorf("busy counter leaked: %d", s.busy)
	}
}

func TestLoginDuringOutageRetriesQuietly(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	f.setNetDown(true)
	h := newHarness(t, f, harnessConfig{})

	var sleeps []time.Duration
	var elapsed time.Duration
	d := h.clock.nextSleep(t)
	for elapsed < 30*time.Minute {
		sleeps = append(sleeps, d)
		elapsed += d
		h.clock.Advance(d)
		d = h.clock.nextSleep(t) // the supervisor waits again: the attempt failed
	}
	for i := 1; i < len(sleeps) && sleeps[i-1] < h.a.tune.loginBackoff.max/2; i++ {
		if sleeps[i] < sleeps[i-1] {
			t.Errorf("login back-off shrank: %v", sleeps)
		}
	}
	if len(sleeps) > 15 {
		t.Errorf("%d login attempts in %v", len(sleeps), elapsed)
	}
	// The saved session may be fine: an outage must not make the owner confirm on the
	// phone or scan a code once the network is back.
	if f.count("webwxpushloginurl") != 0 || f.count("jslogin") != 0 || h.qr.String() != "" {
		t.Errorf("escalated to push/QR login during an outage")
	}
	// Nothing is queued for the console while it is unreachable: a pile of stale notes
	// would arrive after the outage. The terminal log has every attempt.
	if n := h.notes.all(); n != "" {
		t.Errorf("owner's console fed during the outage: %q", n)
	}
	if n := strings.Count(h.logs.String(), "login failed"); n != len(sleeps)+1 && n != len(sleeps) {
		t.Errorf("%d failed logins logged for %d attempts", n, len(sleeps))
	}

	f.setNetDown(false)
	h.clock.Advance(d)
	h.session(1) // the next attempt gets through with the saved session
}

func TestCorruptHotLoginFileLeadsToQRLogin(t *testing.T) {
	for name, doc := range map[string]string{
		// openwechat would nil-deref its cookie jar on every attempt with this one.
		"null jar":  `{"Jar":null,"BaseRequest":{"Uin":1},"LoginInfo":{"WxUin":1},"WechatDomain":"fake.wx"}`,
		"truncated": `{"Jar":{"https://fake.wx":[{"Name":"webwx_auth","Va`,
		"no domain": `{"Jar":{},"BaseRequest":{"Uin":1},"LoginInfo":{"WxUin":1},"WechatDomain":""}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeWeChat(t)
			standardGroup(f)
			h := newHarness(t, f, harnessConfig{hotDoc: doc})
			h.session(1)
			if f.count("jslogin") != 1 || !strings.Contains(h.qr.String(), "fakeuuid") {
				t.Errorf("want a QR login, got jslogin %d", f.count("jslogin"))
			}
			if err := checkHotSession(h.hot); err != nil {
				t.Errorf("the new session was not saved: %v", err)
			}
		})
	}
}

// The person at the terminal gets one short Chinese line per login state: 连接中, 已登录,
// 连不上服务器，N 秒后重试 (with the reason in a few words, not an error chain), and, back
// online, how long the bot was away.
func TestLoginStatesAreStatusLines(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	st := &statuses{}
	h := newHarness(t, f, harnessConfig{status: st})
	h.session(1)
	f.setNetDown(true)
	f.forceSyncRet("1101")
	for i := range 3 {
		d := h.clock.nextSleep(t) // attempt i+1 failed while the network is down
		if i == 2 {
			// Back up before the last backoff ends, so that the next attempt reaches WeChat
			// (which ends the session: 1101). Set after the Advance, it raced that attempt:
			// a fourth failure slept again, and nothing ever advanced the re-login delay.
			f.setNetDown(false)
		}
		h.clock.Advance(d)
	}
	h.clock.Advance(h.clock.nextSleep(t)) // the re-login delay
	h.session(2)
	var lines []string
	var states []State
	for _, s := range st.all() {
		states = append(states, s.State)
		lines = append(lines, s.Line())
	}
	all := strings.Join(lines, "\n")
	if len(states) < 4 || states[0] != StateConnecting || states[1] != StateLoggedIn || states[len(states)-1] != StateLoggedIn {
		t.Fatalf("states %v:\n%s", states, all)
	}
	if !strings.Contains(all, "⚠️ 连不上服务器，") || !strings.Contains(all, "秒后重试（") || strings.Contains(all, "\nGet") {
		t.Errorf("no short 「连不上服务器，N 秒后重试（原因）」 line:\n%s", all)
	}
	if last := st.all()[len(states)-1]; last.Outage <= 0 || !strings.Contains(last.Line(), "之前断开了") {
		t.Errorf("back online, the line says how long the bot was away: %q", last.Line())
	}
	for i := 1; i < len(states); i++ {
		if states[i] == StateConnecting && states[i-1] == StateOffline {
			t.Errorf("a retry repeats 「连接中」 after the offline line:\n%s", all)
		}
	}
}
