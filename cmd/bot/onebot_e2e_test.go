package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qunbot/bot/config"
	"qunbot/bot/onebot"
	"qunbot/bot/onebot/onebottest"
	"qunbot/bot/wechat"
)

// End-to-end tests of `bot run --config FILE` on QQ: the real CLI path (config, storage,
// engine, modules, outbox, the OneBot adapter) against a fake OneBot v11 implementation on
// loopback. Tests wait for the calls the fake receives; they never sleep.

const (
	e2eWait  = 15 * time.Second
	botQQ    = 10000
	ownerQQ  = 20000
	groupQQ  = 123456
	plainQQ  = 555 // a group where the bot is not an admin
	memberA  = 30001
	memberB  = 30002
	adminQQ  = 30003
	joinerQQ = 30009
)

type qqRun struct {
	t      *testing.T
	fake   *onebottest.Server
	cancel context.CancelFunc
	done   chan error
	stderr *syncBuffer
	stdout *syncBuffer // the status lines for the person at the terminal
	db     string
}

// startQQ starts the fake and `bot run` on a config naming groups by their numbers.
func startQQ(t *testing.T, extra string) *qqRun {
	t.Helper()
	fake := onebottest.NewServer(onebottest.Options{SelfID: botQQ, Nickname: "群管机器人", Token: "e2e-token-123"})
	t.Cleanup(fake.Close)
	fake.AddGroup(groupQQ, "读书会", "admin")
	fake.AddMember(groupQQ, ownerQQ, "群主本人", "", "owner")
	fake.AddMember(groupQQ, memberA, "张三", "", "member")
	fake.AddMember(groupQQ, memberB, "李四", "", "member")
	fake.AddMember(groupQQ, adminQQ, "王管理", "", "admin")
	fake.AddGroup(plainQQ, "闲聊群", "member")
	fake.AddMember(plainQQ, ownerQQ, "群主本人", "", "owner")
	fake.AddMember(plainQQ, memberA, "张三", "", "member")
	dir := t.TempDir()
	db := filepath.Join(dir, "q.db")
	cfg := writeFile(t, "qq.yaml", fmt.Sprintf(`platform: onebot
onebot:
  url: %s
  access_token: e2e-token-123
  owner: %d
storage:
  path: %s
all_groups: false
outbox:
  group_interval: 0s
  per_minute: 120
  jitter: 0s
defaults:
  welcome:
    batch_window: 0s
  moderation:
    # The bot runs on the real clock here: offences seconds apart must climb, so no
    # breathing time between steps (min_step_gap has tests of its own).
    min_step_gap: 0s
    flood:
      enabled: false
groups:
  %d: {}
  %d: {}
%s`, fake.URL(), ownerQQ, db, groupQQ, plainQQ, extra))
	r := &qqRun{t: t, fake: fake, done: make(chan error, 1), stderr: &syncBuffer{}, stdout: &syncBuffer{}, db: db}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.done <- cmdRun(ctx, []string{"--config", cfg, "--log-level", "debug"}, r.stdout, r.stderr)
	}()
	t.Cleanup(r.stop)
	r.waitFor("login", func(c []onebottest.Call) bool { return count(c, "get_group_list", nil) > 0 })
	return r
}

func (r *qqRun) stop() {
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("bot run: %v", err)
		}
	case <-time.After(e2eWait):
		r.t.Error("bot run did not stop")
	}
}

// waitFor waits until cond holds over the calls the fake received.
func (r *qqRun) waitFor(what string, cond func([]onebottest.Call) bool) []onebottest.Call {
	r.t.Helper()
	calls, ok := r.fake.Wait(e2eWait, cond)
	if !ok {
		r.t.Fatalf("waited for %s; calls:\n%s\nlog:\n%s", what, describe(calls), r.stderr)
	}
	return calls
}

// sends are the texts sent to a group (send_group_msg), segments flattened.
func sends(calls []onebottest.Call, group int64) []string {
	var out []string
	for _, c := range calls {
		if c.Action == "send_group_msg" && c.Int("group_id") == group {
			out = append(out, flatten(c))
		}
	}
	return out
}

func dms(calls []onebottest.Call) []string {
	var out []string
	for _, c := range calls {
		if c.Action == "send_private_msg" {
			out = append(out, fmt.Sprintf("%d:%s", c.Int("user_id"), flatten(c)))
		}
	}
	return out
}

// flatten shows a segment array as text, with [at:QQ] for at segments.
func flatten(c onebottest.Call) string {
	segs, ok := c.Segments()
	if !ok {
		return fmt.Sprint(c.Params["message"])
	}
	var b strings.Builder
	for _, s := range segs {
		d, _ := s["data"].(map[string]any)
		switch s["type"] {
		case "text":
			b.WriteString(fmt.Sprint(d["text"]))
		case "at":
			b.WriteString("[at:" + fmt.Sprint(d["qq"]) + "]")
		default:
			b.WriteString("[" + fmt.Sprint(s["type"]) + "]")
		}
	}
	return b.String()
}

func count(calls []onebottest.Call, action string, pred func(onebottest.Call) bool) int {
	n := 0
	for _, c := range calls {
		if c.Action == action && (pred == nil || pred(c)) {
			n++
		}
	}
	return n
}

func containing(list []string, sub string) int {
	n := 0
	for _, s := range list {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func describe(calls []onebottest.Call) string {
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "  %s %v\n", c.Action, c.Params)
	}
	return b.String()
}

func ban(user, secs int64) func(onebottest.Call) bool {
	return func(c onebottest.Call) bool { return c.Int("user_id") == user && c.Int("duration") == secs }
}

func TestQQJoinGetsWelcomeWithAt(t *testing.T) {
	r := startQQ(t, "")
	r.fake.Join(groupQQ, joinerQQ, "新朋友", memberA)
	calls := r.waitFor("a welcome", func(c []onebottest.Call) bool { return containing(sends(c, groupQQ), "[at:30009]") > 0 })
	if w := sends(calls, groupQQ); !strings.Contains(w[0], "欢迎 [at:30009]") || !strings.Contains(w[0], "读书会") {
		t.Fatalf("welcome: %q", w)
	}
}

// The ladder on a platform that can: warn and recall, a real mute, a kick — and a changed
// group card keeps the strikes.
func TestQQLadderWarnMuteKick(t *testing.T) {
	r := startQQ(t, "")
	ad1 := r.fake.GroupMessage(groupQQ, memberA, onebottest.Text("加我微信 abc12345 领取免费资料"))
	calls := r.waitFor("a warning and a recall", func(c []onebottest.Call) bool {
		return containing(sends(c, groupQQ), "警告") > 0 && count(r.fake.Done(), "delete_msg", nil) > 0
	})
	if w := sends(calls, groupQQ); !strings.Contains(w[0], "[at:30001]") {
		t.Fatalf("the warning @-mentions the member: %q", w)
	}
	if r.fake.MessageExists(ad1) {
		t.Fatal("the ad should be recalled")
	}
	if count(calls, "delete_msg", func(c onebottest.Call) bool { return c.Int("message_id") == ad1 }) != 1 {
		t.Fatalf("delete_msg of the ad: %s", describe(calls))
	}

	r.fake.SetCard(groupQQ, memberA, "张三-改名了") // a new group card: the same member
	r.fake.GroupMessage(groupQQ, memberA, onebottest.Text("加微信领红包，私聊我"))
	// Carried out, not only received: the fake records a call before it acts on it.
	r.waitFor("set_group_ban 3600", func([]onebottest.Call) bool { return count(r.fake.Done(), "set_group_ban", ban(memberA, 3600)) > 0 })
	if m, _ := r.fake.Member(groupQQ, memberA); m.MutedTil.IsZero() {
		t.Fatal("the member should be muted on QQ")
	}
	r.waitFor("the mute's announcement", func(c []onebottest.Call) bool { return containing(sends(c, groupQQ), "已禁言1小时") > 0 })

	// An admin lifts the mute in the QQ client; the member advertises a third time.
	r.fake.BanByPerson(groupQQ, memberA, adminQQ, 0)
	r.fake.GroupMessage(groupQQ, memberA, onebottest.Text("代理招募 加微信 日赚500"))
	calls = r.waitFor("set_group_kick", func(c []onebottest.Call) bool { return count(c, "set_group_kick", nil) > 0 })
	kick := calls[len(calls)-1]
	for _, c := range calls {
		if c.Action == "set_group_kick" {
			kick = c
		}
	}
	if kick.Int("group_id") != groupQQ || kick.Int("user_id") != memberA {
		t.Fatalf("set_group_kick params: %v", kick.Params)
	}
	r.waitFor("the removal's announcement", func(c []onebottest.Call) bool { return containing(sends(c, groupQQ), "已被移出群") > 0 })
	if _, in := r.fake.Member(groupQQ, memberA); in {
		t.Fatal("the member should be gone")
	}
	calls = r.fake.Calls()
	if n := count(calls, "delete_msg", nil); n != 3 {
		t.Errorf("every ad is recalled: %d delete_msg", n)
	}
	if containing(dms(calls), "移出") > 0 {
		t.Errorf("a kick the bot could make needs no removal request: %q", dms(calls))
	}
}

// A bot that is not an admin in a group: the soft step, and one message to the owner.
func TestQQNotAdminFallsBackSoftWithOneOwnerMessage(t *testing.T) {
	r := startQQ(t, "")
	r.fake.GroupMessage(plainQQ, memberA, onebottest.Text("加我微信 abc12345 领取免费资料"))
	r.waitFor("a warning", func(c []onebottest.Call) bool { return containing(sends(c, plainQQ), "警告") > 0 })
	r.fake.GroupMessage(plainQQ, memberA, onebottest.Text("加微信领红包，私聊我"))
	r.waitFor("a soft mute", func(c []onebottest.Call) bool {
		return containing(sends(c, plainQQ), "禁言期间的消息不计积分") > 0
	})
	r.fake.GroupMessage(plainQQ, memberA, onebottest.Text("代理招募 加微信 日赚500"))
	calls := r.waitFor("a removal request", func(c []onebottest.Call) bool {
		return containing(dms(c), "请把「张三」移出群「闲聊群」") > 0
	})
	for _, a := range []string{"set_group_ban", "set_group_kick", "delete_msg"} {
		if n := count(calls, a, nil); n != 0 {
			t.Errorf("a bot that is not an admin must not call %s (%d calls)", a, n)
		}
	}
	if n := containing(dms(calls), "不是群管理员，不能真正禁言"); n != 1 {
		t.Errorf("the owner is told once what to fix, got %d:\n%q", n, dms(calls))
	}
	for _, d := range dms(calls) {
		if !strings.HasPrefix(d, fmt.Sprint(ownerQQ)+":") {
			t.Errorf("owner messages go to the owner's QQ: %q", d)
		}
	}
	// Made an admin: the bot notices at once, and says so.
	r.fake.SetAdmin(plainQQ, botQQ, true)
	r.waitFor("the owner told it works now", func(c []onebottest.Call) bool {
		return containing(dms(c), "现在是群「闲聊群」的管理员") > 0
	})
}

// An admin (by QQ role, not by anything the owner said) mutes for real.
func TestQQAdminMuteCommand(t *testing.T) {
	r := startQQ(t, "")
	r.fake.GroupMessage(groupQQ, memberB, onebottest.Text("大家好"))
	r.fake.GroupMessage(groupQQ, adminQQ, onebottest.Text("禁言 "), onebottest.At(memberB), onebottest.Text(" 10m"))
	calls := r.waitFor("set_group_ban 600", func(c []onebottest.Call) bool { return count(c, "set_group_ban", ban(memberB, 600)) > 0 })
	if c := calls[len(calls)-1]; c.Int("group_id") != groupQQ {
		t.Fatalf("params %v", c.Params)
	}
	r.waitFor("the announcement", func(c []onebottest.Call) bool { return containing(sends(c, groupQQ), "[at:30002]") > 0 })
	// A member's 禁言 does nothing; nobody mutes an admin.
	r.fake.GroupMessage(groupQQ, memberA, onebottest.Text("禁言 "), onebottest.At(memberB), onebottest.Text(" 10m"))
	r.fake.GroupMessage(groupQQ, ownerQQ, onebottest.Text("禁言 "), onebottest.At(adminQQ), onebottest.Text(" 10m"))
	calls = r.waitFor("the refusal", func(c []onebottest.Call) bool { return containing(sends(c, groupQQ), "不会处罚管理员") > 0 })
	if n := count(calls, "set_group_ban", nil); n != 1 {
		t.Errorf("only the admin's mute happens: %d set_group_ban\n%s", n, describe(calls))
	}
	// The mute lifted by an admin command acts on QQ too.
	r.fake.GroupMessage(groupQQ, adminQQ, onebottest.Text("解除禁言 "), onebottest.At(memberB))
	r.waitFor("set_group_ban 0", func(c []onebottest.Call) bool { return count(c, "set_group_ban", ban(memberB, 0)) > 0 })
	// 移除 kicks for real.
	r.fake.GroupMessage(groupQQ, adminQQ, onebottest.Text("移除 "), onebottest.At(memberB), onebottest.Text(" 屡教不改"))
	r.waitFor("set_group_kick", func([]onebottest.Call) bool {
		return count(r.fake.Done(), "set_group_kick", func(c onebottest.Call) bool { return c.Int("user_id") == memberB && c.Int("group_id") == groupQQ }) > 0
	})
	if _, in := r.fake.Member(groupQQ, memberB); in {
		t.Fatal("移除 removes the member")
	}
}

// A mute set by a person in the QQ client is recorded: 记录 shows it.
func TestQQPersonMuteIsRecorded(t *testing.T) {
	r := startQQ(t, "")
	r.fake.GroupMessage(groupQQ, memberB, onebottest.Text("大家好"))
	r.fake.BanByPerson(groupQQ, memberB, adminQQ, 3600)
	r.fake.GroupMessage(groupQQ, adminQQ, onebottest.Text("记录 "), onebottest.At(memberB))
	calls := r.waitFor("the record", func(c []onebottest.Call) bool { return containing(sends(c, groupQQ), "的记录") > 0 })
	if s := sends(calls, groupQQ); !strings.Contains(s[len(s)-1], "禁言到") {
		t.Fatalf("the record should show the mute: %q", s)
	}
}

// The owner's private chat with the bot is the console.
func TestQQOwnerConsole(t *testing.T) {
	r := startQQ(t, "")
	r.fake.GroupMessage(groupQQ, memberA, onebottest.Text("早上好"))
	r.fake.PrivateMessage(memberA, "张三", "状态") // not the owner: nothing
	r.fake.PrivateMessage(ownerQQ, "群主本人", "状态")
	calls := r.waitFor("the status", func(c []onebottest.Call) bool { return containing(dms(c), "已连接 OneBot 实现") > 0 })
	d := dms(calls)
	if len(d) != 1 || !strings.HasPrefix(d[0], "20000:") || !strings.Contains(d[0], "读书会") {
		t.Fatalf("console answer: %q", d)
	}
	// The terminal heard it in Chinese too: connected, and which groups are managed.
	r.waitFor("the status lines", func([]onebottest.Call) bool {
		out := r.stdout.String()
		return strings.Contains(out, "✅ 已连接 OneBot 实现") && strings.Contains(out, "✅ 管理 2 个群")
	})
}

// A disconnect mid-run and a reconnect: a replayed message changes nothing, a reply that
// could not go out goes out once, and the next message is handled.
func TestQQDisconnectLosesAndDoublesNothing(t *testing.T) {
	r := startQQ(t, "")
	ev, _ := r.fake.GroupMessageEvent(groupQQ, memberA, onebottest.Text("加我微信 abc12345 领取免费资料"))
	r.fake.Broadcast(ev)
	// The drop comes between exchanges: the warning answered, and another reply after it
	// (the outbox sends a group's messages in order) answered too. A send whose answer is
	// cut off by a drop is the one message that can arrive twice (ARCHITECTURE, Outbox).
	r.fake.GroupMessage(groupQQ, memberB, onebottest.Text("帮助"))
	r.waitFor("a warning and the help", func([]onebottest.Call) bool {
		done := sends(r.fake.Done(), groupQQ)
		return containing(done, "警告") > 0 && containing(done, "可用命令") > 0
	})

	before := r.fake.Connects()
	r.fake.Drop()
	r.waitFor("a reconnect", func(c []onebottest.Call) bool {
		return r.fake.Connects() > before && count(c, "get_login_info", nil) >= 2
	})
	r.fake.Broadcast(ev) // the implementation replays what it sent before the drop
	r.fake.GroupMessage(groupQQ, memberB, onebottest.Text("签到"))
	calls := r.waitFor("the check-in answer", func(c []onebottest.Call) bool { return containing(sends(c, groupQQ), "签到成功") > 0 })
	if n := containing(sends(calls, groupQQ), "警告"); n != 1 {
		t.Fatalf("one warning, not %d: %q", n, sends(calls, groupQQ))
	}
	if n := count(calls, "delete_msg", nil); n != 1 {
		t.Fatalf("one recall, not %d", n)
	}

	// A reply whose send was cut off by a drop is sent again after the reconnect, and
	// members see it once.
	r.fake.Silence("send_group_msg", true)
	r.fake.GroupMessage(groupQQ, memberB, onebottest.Text("群规"))
	r.waitFor("the rules reply, unanswered", func(c []onebottest.Call) bool { return containing(sends(c, groupQQ), "没有设置群规") > 0 })
	r.fake.Silence("send_group_msg", false)
	r.fake.Drop()
	r.waitFor("the rules reply again", func(c []onebottest.Call) bool {
		return count(c, "get_login_info", nil) >= 3 && containing(sends(r.fake.Done(), groupQQ), "没有设置群规") > 0
	})
	if n := containing(sends(r.fake.Done(), groupQQ), "没有设置群规"); n != 1 {
		t.Fatalf("members see the rules once, not %d times", n)
	}
	if n := containing(sends(r.fake.Done(), groupQQ), "警告"); n != 1 {
		t.Fatalf("still one warning: %q", sends(r.fake.Done(), groupQQ))
	}
}

// The adapter is chosen from the config, in one place.
func TestNewAdapterFollowsConfig(t *testing.T) {
	logger := testLogger()
	for _, tc := range []struct {
		yaml string
		want string
	}{
		{"timezone: Asia/Shanghai\n", "*wechat.Adapter"},
		{"platform: wechat\n", "*wechat.Adapter"},
		{"platform: onebot\nonebot: {url: ws://127.0.0.1:3001, owner: 20000}\n", "*onebot.Adapter"},
	} {
		cfg, err := config.Parse([]byte(tc.yaml), "t.yaml")
		if err != nil {
			t.Fatal(err)
		}
		a, err := newAdapter(cfg, adapterDeps{session: filepath.Join(t.TempDir(), "s.json"), qr: &syncBuffer{}, logger: logger,
			notify: func(string) {}, manages: func(string, string) bool { return true }})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%T", a.Platform); got != tc.want {
			t.Errorf("%q: adapter %s, want %s", tc.yaml, got, tc.want)
		}
		switch a.Platform.(type) {
		case *onebot.Adapter:
			if a.retryable(&onebot.APIError{Action: "x"}) {
				t.Error("the OneBot adapter's own retry rule is used")
			}
		case *wechat.Adapter:
		}
	}
}

func TestCheckValidatesOneBotSection(t *testing.T) {
	for _, tc := range []struct {
		yaml, want string
	}{
		{"platform: onebot\nonebot: {url: http://127.0.0.1:3001, owner: 20000}\n", "onebot.url"},
		{"platform: onebot\nonebot: {listen: 0.0.0.0:8080, owner: 20000}\n", "onebot.access_token"},
		{"platform: onebot\nonebot: {url: ws://127.0.0.1:3001}\n", "onebot.owner"},
		{"platform: onebot\n", "onebot"},
		{"platform: qq\n", "platform"},
	} {
		cfg := writeFile(t, "c.yaml", tc.yaml)
		code, _, errOut := runCLI(t, "", "check", "--config", cfg)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: code %d, stderr %q; want it to name %s", tc.yaml, code, errOut, tc.want)
		}
	}
	cfg := writeFile(t, "ok.yaml", "platform: onebot\nonebot: {listen: 127.0.0.1:8080, owner: 20000}\ngroups:\n  123456: {}\n")
	if code, out, errOut := runCLI(t, "", "check", "--config", cfg); code != 0 {
		t.Fatalf("a loopback listener needs no token: %d %s %s", code, out, errOut)
	}
}

func testLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
