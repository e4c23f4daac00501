package onebot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/onebot/onebottest"
)

func TestGroupMessagesBothFormats(t *testing.T) {
	for _, stringFormat := range []bool{false, true} {
		t.Run(fmt.Sprintf("string=%v", stringFormat), func(t *testing.T) {
			h := newHarness(t, onebottest.Options{StringFormat: stringFormat}, nil)
			h.ready()
			id := h.fake.GroupMessage(groupA, 30001, onebottest.Text("禁言 "), onebottest.At(30002), onebottest.Text(" 10m [x]&y"))
			ev := h.next()
			if ev.Type != bot.EventMessage || ev.ID != fmt.Sprint(id) || ev.Group.ID != "123456" || ev.Group.Name != "读书会" {
				t.Fatalf("event %+v", ev)
			}
			if ev.Text != "禁言 @四哥\u2005 10m [x]&y" || ev.Kind != bot.KindText {
				t.Fatalf("text %q kind %q", ev.Text, ev.Kind)
			}
			if ev.Sender.ID != "30001" || ev.Sender.Nickname != "张三" || ev.Sender.Role != "member" || ev.FromOwner {
				t.Fatalf("sender %+v", ev.Sender)
			}
			if len(ev.Mentions) != 1 || ev.Mentions[0].ID != "30002" || ev.Mentions[0].Name() != "四哥" {
				t.Fatalf("mentions %+v", ev.Mentions)
			}
			h.fake.GroupMessage(groupA, ownerQQ, onebottest.Text("大家好"))
			if ev := h.nextText("大家好"); !ev.FromOwner || ev.Sender.Role != "owner" {
				t.Fatalf("the owner's message: %+v", ev)
			}
		})
	}
}

func TestPrivateConsoleOnlyFromOwner(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, nil)
	h.ready()
	h.fake.PrivateMessage(30001, "张三", "状态") // a stranger: ignored
	h.fake.PrivateMessage(ownerQQ, "群主本人", "状态")
	ev := h.next()
	if !ev.Console || !ev.FromOwner || ev.Text != "状态" || !strings.HasPrefix(ev.ID, "p") {
		t.Fatalf("console event %+v", ev)
	}
	if err := h.a.SendDM(ctxT(t), bot.Filehelper, "qunbot 运行中"); err != nil {
		t.Fatal(err)
	}
	calls, ok := h.fake.Wait(wait, func(c []onebottest.Call) bool { return lastAction(c) == "send_private_msg" })
	if !ok || calls[len(calls)-1].Int("user_id") != ownerQQ {
		t.Fatalf("reply to the console: %+v", calls)
	}
}

// The bot's own messages come back as message_sent (or, from some implementations, as a
// message with the bot's user_id): neither is an event.
func TestSelfEchoesIgnored(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, nil)
	h.ready()
	ev, _ := h.fake.GroupMessageEvent(groupA, selfQQ, onebottest.Text("我自己说的"))
	h.fake.Broadcast(ev)
	ev2, _ := h.fake.GroupMessageEvent(groupA, ownerQQ, onebottest.Text("又是我"))
	ev2["post_type"] = "message_sent"
	h.fake.Broadcast(ev2)
	h.fake.GroupMessage(groupA, 30001, onebottest.Text("标记"))
	h.nextText("标记")
}

// Ids may come as strings; a replayed message after a reconnect is not delivered twice.
func TestStringIDsAndReplayAfterReconnect(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, nil)
	h.ready()
	ev, id := h.fake.GroupMessageEvent(groupA, 30001, onebottest.Text("一条消息"))
	ev["message_id"], ev["group_id"], ev["user_id"] = fmt.Sprint(id), "123456", "30001"
	h.fake.Broadcast(ev)
	if got := h.nextText("一条消息"); got.ID != fmt.Sprint(id) || got.Group.ID != "123456" {
		t.Fatalf("%+v", got)
	}
	before := h.fake.Connects()
	h.fake.Drop()
	if _, ok := h.fake.Wait(wait, func([]onebottest.Call) bool { return h.fake.Connects() > before && h.fake.Connected() == 1 }); !ok {
		t.Fatalf("no reconnect\n%s", h.logs)
	}
	h.ready()
	h.fake.Broadcast(ev) // replayed by the implementation after the reconnect
	h.fake.GroupMessage(groupA, 30001, onebottest.Text("标记"))
	h.nextText("标记")
	if h.sleepCount() == 0 {
		t.Error("the reconnect should have backed off")
	}
}

func TestBadFramesDoNotStopTheAdapter(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, nil)
	h.ready()
	h.fake.SendRaw(`{"post_type": "message", "message_type": "group", `) // malformed JSON
	h.fake.SendRaw(`[1,2,3]`)
	h.fake.SendRaw(`{"post_type": "poke_the_bot"}`)                       // unknown post_type
	h.fake.SendRaw(`{"post_type": "message", "message_type": "group"}`)   // missing fields
	h.fake.SendRaw(`{"post_type": "notice", "notice_type": "group_ban"}`) // missing fields
	h.fake.SendRaw(`{"post_type": "notice", "notice_type": "something_new", "group_id": 1, "user_id": 2}`)
	h.fake.SendRaw(`{"post_type": "message", "message_type": "group", "group_id": 123456, "user_id": 30001, "message_id": 5, "message": 42}`)
	big := strings.Repeat("长", 100*1024/3+10) // a 100 KB message
	h.fake.GroupMessage(groupA, 30001, onebottest.Text(big))
	if ev := h.next(); ev.Text != big {
		t.Fatalf("100 KB message: got %d bytes", len(ev.Text))
	}
	h.fake.GroupMessage(groupA, 30001, onebottest.Text("还活着"))
	h.nextText("还活着")
	if !strings.Contains(h.logs.String(), "malformed frame") {
		t.Errorf("a malformed frame should be logged:\n%s", h.logs)
	}
}

func TestEventFromUnmanagedGroupIgnored(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, func(o *Options) {
		o.Manages = func(id, name string) bool { return id == "123456" }
	})
	h.fake.AddGroup(777, "家人群", "member")
	h.fake.AddMember(777, 30001, "张三", "", "member")
	h.ready()
	h.fake.GroupMessage(777, 30001, onebottest.Text("家里的事"))
	h.fake.GroupMessage(groupA, 30001, onebottest.Text("标记"))
	h.nextText("标记")
	for _, c := range h.fake.Calls() {
		if c.Action == "get_group_member_list" && c.Int("group_id") == 777 {
			t.Fatal("an unmanaged group's members should not be read")
		}
	}
}

func TestNotices(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, nil)
	h.ready()
	h.fake.Join(groupA, 30009, "新人", 30001)
	ev := h.next()
	if ev.Type != bot.EventJoin || len(ev.Members) != 1 || ev.Members[0].ID != "30009" || ev.Members[0].Nickname != "新人" || ev.Inviter != "张三" {
		t.Fatalf("join %+v", ev)
	}
	h.fake.BanByPerson(groupA, 30001, 30003, 600)
	ev = h.next()
	if ev.Type != bot.EventMute || ev.Duration != 10*time.Minute || ev.Members[0].ID != "30001" || ev.Operator != "王管理" {
		t.Fatalf("mute %+v", ev)
	}
	h.fake.BanByPerson(groupA, 30001, 30003, 0)
	if ev := h.next(); ev.Type != bot.EventMute || ev.Duration != 0 {
		t.Fatalf("unmute %+v", ev)
	}
	h.fake.SetAdmin(groupA, 30002, true)
	if ev := h.next(); ev.Type != bot.EventRole || ev.Members[0].ID != "30002" || ev.Members[0].Role != "admin" {
		t.Fatalf("role %+v", ev)
	}
	h.fake.Leave(groupA, 30009)
	if ev := h.next(); ev.Type != bot.EventLeave || ev.Members[0].ID != "30009" || ev.Kicked {
		t.Fatalf("leave %+v", ev)
	}
	// The bot's own admin status: its abilities in the group follow it.
	if c := h.a.GroupCapabilities("123456"); !c.CanMute || !c.CanRemove || !c.CanRecall {
		t.Fatalf("an admin bot can act: %+v", c)
	}
	h.fake.SetAdmin(groupA, selfQQ, false)
	if ev := h.next(); ev.Type != bot.EventAbilities || ev.Group.ID != "123456" {
		t.Fatalf("abilities %+v", ev)
	}
	if c := h.a.GroupCapabilities("123456"); c.CanMute || c.CanRemove || c.CanRecall {
		t.Fatalf("a member bot cannot act: %+v", c)
	}
}

func TestSendUsesSegmentArrayWithAt(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, nil)
	h.ready()
	err := h.a.SendMentions(ctxT(t), "123456", "欢迎 @张三\u2005加入", []bot.TextMention{{ID: "30001", Text: "@张三\u2005"}})
	if err != nil {
		t.Fatal(err)
	}
	calls, _ := h.fake.Wait(wait, func(c []onebottest.Call) bool { return lastAction(c) == "send_group_msg" })
	c := calls[len(calls)-1]
	segs, ok := c.Segments()
	if !ok || c.Int("group_id") != groupA || len(segs) != 3 || segs[1]["type"] != "at" || segs[1]["data"].(map[string]any)["qq"] != "30001" {
		t.Fatalf("send_group_msg params: %+v", c.Params)
	}
}

func TestMuteKickRecall(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, nil)
	h.ready()
	ctx := ctxT(t)
	if err := h.a.MuteMember(ctx, "123456", "30001", time.Hour); err != nil {
		t.Fatalf("mute: %v", err)
	}
	if m, _ := h.fake.Member(groupA, 30001); m.MutedTil.IsZero() {
		t.Fatal("the fake should show the member muted")
	}
	calls := h.fake.Calls()
	if c := lastCall(calls, "set_group_ban"); c.Int("group_id") != groupA || c.Int("user_id") != 30001 || c.Int("duration") != 3600 {
		t.Fatalf("set_group_ban %+v", c.Params)
	}
	if err := h.a.MuteMember(ctx, "123456", "30001", 0); err != nil {
		t.Fatalf("unmute: %v", err)
	}
	id := h.fake.GroupMessage(groupA, 30001, onebottest.Text("广告"))
	h.next()
	if err := h.a.Recall(ctx, "123456", "30001", fmt.Sprint(id)); err != nil {
		t.Fatalf("recall: %v", err)
	}
	if h.fake.MessageExists(id) || lastCall(h.fake.Calls(), "delete_msg").Int("message_id") != id {
		t.Fatal("delete_msg should have recalled the message")
	}
	if err := h.a.RemoveMember(ctx, "123456", "30001"); err != nil {
		t.Fatalf("kick: %v", err)
	}
	if _, in := h.fake.Member(groupA, 30001); in {
		t.Fatal("the member should be gone")
	}
	if ev := h.next(); ev.Type != bot.EventLeave || !ev.Kicked || ev.Operator != "bot" {
		t.Fatalf("the kick's leave: %+v", ev)
	}
	// Nobody acts on an admin or the owner: refused without asking the platform.
	before := len(h.fake.Calls())
	for _, target := range []string{"30003", "20000"} {
		if err := h.a.MuteMember(ctx, "123456", target, time.Hour); !isRefused(err, bot.RefusedTargetProtected) {
			t.Fatalf("mute of %s: %v", target, err)
		}
	}
	if len(h.fake.Calls()) != before {
		t.Fatal("a refusal known in advance needs no call")
	}
}

func TestActionsRefusedWhenNotAdmin(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, nil)
	h.fake.AddGroup(555, "普通群", "member")
	h.fake.AddMember(555, 30001, "张三", "", "member")
	h.ready()
	h.fake.GroupMessage(555, 30001, onebottest.Text("hi")) // the adapter reads the group's members
	h.next()
	ctx := ctxT(t)
	if err := h.a.MuteMember(ctx, "555", "30001", time.Hour); !isRefused(err, bot.RefusedNotAdmin) {
		t.Fatalf("mute: %v", err)
	}
	if err := h.a.RemoveMember(ctx, "555", "30001"); !isRefused(err, bot.RefusedNotAdmin) {
		t.Fatalf("kick: %v", err)
	}
	if IsRetryable(&bot.RefusedError{Reason: bot.RefusedNotAdmin}) {
		t.Fatal("a refusal is not retryable")
	}
	// The platform refusing what the adapter thought it could do (the bot lost its admin
	// role unseen): failed with a non-zero retcode, classified as not admin.
	h.fake.AddGroup(556, "刚被撤管理的群", "admin")
	h.fake.AddMember(556, 30001, "张三", "", "member")
	h.fake.GroupMessage(556, 30001, onebottest.Text("hi"))
	h.next()
	h.fake.AddMember(556, selfQQ, "机器人", "", "member") // demoted without a notice
	if err := h.a.MuteMember(ctx, "556", "30001", time.Hour); !isRefused(err, bot.RefusedNotAdmin) {
		t.Fatalf("mute after an unseen demotion: %v", err)
	}
	var api *APIError
	err := h.a.MuteMember(ctx, "556", "30001", time.Hour)
	if !isRefused(err, bot.RefusedNotAdmin) || errors.As(err, &api) && api.RetCode == 0 {
		t.Fatalf("second try: %v", err)
	}
}

// Some NapCat versions answer ok to a ban or kick that did nothing: the adapter checks.
func TestOkButNothingHappenedIsNotConfirmed(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, func(o *Options) { o.ConfirmWait = -1 })
	h.ready()
	ctx := ctxT(t)
	h.fake.OkButNothing("set_group_ban", true)
	h.fake.OkButNothing("set_group_kick", true)
	var unconfirmed *bot.UnconfirmedError
	if err := h.a.MuteMember(ctx, "123456", "30001", time.Hour); !errors.As(err, &unconfirmed) || unconfirmed.Action != "mute" {
		t.Fatalf("mute: %v", err)
	}
	if err := h.a.RemoveMember(ctx, "123456", "30001"); !errors.As(err, &unconfirmed) || unconfirmed.Action != "remove" {
		t.Fatalf("kick: %v", err)
	}
	if IsRetryable(unconfirmed) {
		t.Fatal("an unconfirmed action is not retried blindly")
	}
	// With the fake behaving, the member info confirms a kick even without waiting.
	h.fake.OkButNothing("set_group_kick", false)
	if err := h.a.RemoveMember(ctx, "123456", "30001"); err != nil {
		t.Fatalf("kick: %v", err)
	}
}

func TestEchoThatNeverComesBack(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, func(o *Options) { o.CallTimeout = 50 * time.Millisecond })
	h.ready()
	h.fake.Silence("send_group_msg", true)
	err := h.a.SendMentions(context.Background(), "123456", "你好", nil)
	if !errors.Is(err, errTimeout) || !IsRetryable(err) {
		t.Fatalf("want a retryable timeout, got %v", err)
	}
	h.fake.Silence("send_group_msg", false)
	if err := h.a.SendMentions(context.Background(), "123456", "你好", nil); err != nil {
		t.Fatalf("the connection should still work: %v", err)
	}
}

func TestHeartbeatStopsReconnects(t *testing.T) {
	h := newHarness(t, onebottest.Options{Heartbeat: 20 * time.Millisecond}, nil)
	h.ready()
	before := h.fake.Connects()
	h.fake.StopHeartbeat(true)
	if _, ok := h.fake.Wait(wait, func([]onebottest.Call) bool { return h.fake.Connects() > before }); !ok {
		t.Fatalf("a silent connection should be replaced\n%s", h.logs)
	}
	if !strings.Contains(h.logs.String(), "heartbeat") {
		t.Errorf("the log should say why:\n%s", h.logs)
	}
}

func TestWrongTokenBacksOff(t *testing.T) {
	h := newHarness(t, onebottest.Options{Token: "right-token"}, func(o *Options) { o.AccessToken = "wrong" })
	deadline := time.After(wait)
	for h.sleepCount() < 4 {
		select {
		case <-deadline:
			t.Fatalf("no retries\n%s", h.logs)
		case <-time.After(time.Millisecond):
		}
	}
	h.mu.Lock()
	sleeps := append([]time.Duration(nil), h.sleeps...)
	h.mu.Unlock()
	if !(sleeps[3] > sleeps[0]) {
		t.Errorf("back-off should grow: %v", sleeps)
	}
	if !strings.Contains(h.logs.String(), "access_token 不对") {
		t.Errorf("the log should say the token is wrong:\n%s", h.logs)
	}
	if h.fake.Connected() != 0 {
		t.Error("a wrong token must not connect")
	}
}

func TestBackoffJitterAndCap(t *testing.T) {
	a := New(Options{URL: "ws://x", Rand: func() float64 { return 0.999 }})
	b := New(Options{URL: "ws://x", Rand: func() float64 { return 0 }})
	for n := 1; n < 30; n++ {
		hi, lo := a.backoff(n), b.backoff(n)
		if hi > time.Minute || lo < 500*time.Millisecond || lo > hi {
			t.Fatalf("attempt %d: %v..%v", n, lo, hi)
		}
	}
	if a.backoff(1) >= a.backoff(3) {
		t.Fatal("back-off should grow")
	}
}

func TestReverseWebSocket(t *testing.T) {
	fake := onebottest.NewServer(onebottest.Options{SelfID: selfQQ, Token: "secret-token"})
	defer fake.Close()
	fake.AddGroup(groupA, "读书会", "admin")
	fake.AddMember(groupA, 30001, "张三", "", "member")
	ln := listen(t)
	logs := &logBuffer{}
	a := New(Options{Listener: ln, AccessToken: "secret-token", Owner: "20000", Logger: slogTo(logs)})
	events := make(chan bot.Event, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, events) }()
	defer func() { cancel(); <-done }()
	url := "ws://" + ln.Addr().String() + "/"

	wrong := onebottest.NewServer(onebottest.Options{SelfID: selfQQ, Token: "wrong"})
	defer wrong.Close()
	if err := wrong.DialReverse(ctxT(t), url); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a wrong token must be refused: %v", err)
	}
	// A web page cannot pose as the implementation (its browser sends an Origin).
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/", nil)
	for k, v := range map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Authorization": "Bearer secret-token", "Origin": "http://evil.example"} {
		req.Header.Set(k, v)
	}
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a cross-origin connection must be refused: %v %v", resp, err)
	}
	if err := fake.DialReverse(ctxT(t), url); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), wait)
	defer wcancel()
	if err := a.WaitConnected(wctx); err != nil {
		t.Fatalf("not connected: %v\n%s", err, logs)
	}
	fake.GroupMessage(groupA, 30001, onebottest.Text("反向连接"))
	select {
	case ev := <-events:
		if ev.Text != "反向连接" {
			t.Fatalf("%+v", ev)
		}
	case <-time.After(wait):
		t.Fatalf("no event\n%s", logs)
	}
	if !strings.Contains(logs.String(), "access_token 不对") {
		t.Errorf("the refusal should be logged:\n%s", logs)
	}
}

func lastAction(calls []onebottest.Call) string {
	if len(calls) == 0 {
		return ""
	}
	return calls[len(calls)-1].Action
}

func lastCall(calls []onebottest.Call, action string) onebottest.Call {
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Action == action {
			return calls[i]
		}
	}
	return onebottest.Call{}
}

// Groups get renamed: the list is read again now and then, and events carry the new name
// with the same number.
func TestGroupRenameIsPickedUp(t *testing.T) {
	h := newHarness(t, onebottest.Options{}, func(o *Options) { o.GroupRefresh = 10 * time.Millisecond })
	h.ready()
	h.fake.GroupMessage(groupA, 30001, onebottest.Text("改名前"))
	if ev := h.nextText("改名前"); ev.Group.Name != "读书会" {
		t.Fatalf("%+v", ev.Group)
	}
	h.fake.RenameGroup(groupA, "读书会·二期")
	before := len(h.fake.Calls())
	// Two readings after the rename: the first one's answer is in before the second starts.
	h.fake.Wait(wait, func(c []onebottest.Call) bool { return count(c[before:], "get_group_list") >= 2 })
	h.fake.GroupMessage(groupA, 30001, onebottest.Text("改名后"))
	if ev := h.nextText("改名后"); ev.Group.Name != "读书会·二期" || ev.Group.ID != "123456" {
		t.Fatalf("%+v", ev.Group)
	}
}

func count(calls []onebottest.Call, action string) int {
	n := 0
	for _, c := range calls {
		if c.Action == action {
			n++
		}
	}
	return n
}

// An implementation that lacks get_login_info and get_group_list still works: the bot's
// number comes from its events' self_id, and groups are named by number until known.
func TestLoginWithoutLoginInfo(t *testing.T) {
	fake := onebottest.NewServer(onebottest.Options{SelfID: selfQQ})
	defer fake.Close()
	fake.AddGroup(groupA, "读书会", "admin")
	fake.AddMember(groupA, 30001, "张三", "", "member")
	fake.Unsupported("get_login_info", true)
	fake.Unsupported("get_group_list", true)
	logs := &logBuffer{}
	a := New(Options{URL: fake.URL(), Owner: "20000", Logger: slogTo(logs), CallTimeout: wait})
	events := make(chan bot.Event, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, events) }()
	defer func() { cancel(); <-done }()
	wctx, wcancel := context.WithTimeout(context.Background(), wait)
	defer wcancel()
	if err := a.WaitConnected(wctx); err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	ev, _ := fake.GroupMessageEvent(groupA, selfQQ, onebottest.Text("机器人自己"))
	fake.Broadcast(ev)
	fake.GroupMessage(groupA, 30001, onebottest.Text("你好"))
	select {
	case ev := <-events:
		if ev.Text != "你好" || ev.Group.Name != "123456" {
			t.Fatalf("%+v", ev)
		}
	case <-time.After(wait):
		t.Fatalf("no event\n%s", logs)
	}
}
