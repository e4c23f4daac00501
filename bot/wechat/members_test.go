package wechat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
)

// pollTune polls member lists every 5 minutes (a tick a minute) and nothing else sleeps.
var pollTune = func() tuning {
	t := quiet
	t.memberRefresh = 5 * time.Minute
	return t
}()

// pollFor advances the clock through the poller's waits until an event arrives.
func (h *harness) pollFor() bot.Event {
	h.t.Helper()
	for step := 0; step < 30; step++ {
		h.clock.Advance(h.clock.nextSleep(h.t))
		select {
		case ev := <-h.events:
			return ev
		default:
		}
	}
	h.t.Fatal("no event from the member-list poll")
	return bot.Event{}
}

// pollQuietly advances through n poll ticks and fails on any event.
func (h *harness) pollQuietly(n int) {
	h.t.Helper()
	for range n {
		h.clock.Advance(h.clock.nextSleep(h.t))
	}
	h.fake.says("books", "zhangsan", "哨兵")
	if ev := h.next(); ev.Type != bot.EventMessage || ev.Text != "哨兵" {
		h.t.Fatalf("expected nothing before the sentinel, got %+v", ev)
	}
}

// A newcomer whose join notice never came (or came in a wording the parser does not know)
// is found by the member-list poll and reported as joining: welcomed and screened.
func TestPollReportsNewcomers(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{tune: pollTune})
	h.session(1)
	lisi := f.person("lisi", "李四", 401, false)
	f.addMember("books", in(lisi, "四哥"))

	ev := h.pollFor()
	if ev.Type != bot.EventJoin || len(ev.Members) != 1 || ev.Members[0].ID != f.userUN("lisi") ||
		ev.Members[0].DisplayName != "四哥" || ev.Group.Name != "读书会" || ev.Inviter != "" {
		t.Fatalf("got %+v, want 李四 joining", ev)
	}
	// Once reported, never again.
	h.pollQuietly(12)
}

// A notice and the poll report one newcomer once, whichever comes first.
func TestJoinNoticeAndPollDoNotDoubleReport(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{tune: pollTune})
	h.session(1)

	// The notice first: the refresh it triggers finds 李四, the poll later stays quiet.
	lisi := f.person("lisi", "李四", 401, false)
	f.addMember("books", in(lisi, ""))
	f.system("books", `"张三"邀请"李四"加入了群聊`)
	if ev := h.next(); ev.Type != bot.EventJoin || ev.Inviter != "张三" || len(ev.Members) != 1 || ev.Members[0].ID == "" {
		t.Fatalf("notice: %+v", ev)
	}
	h.pollQuietly(12)

	// The poll first: the notice that arrives afterwards adds nothing.
	wangwu := f.person("wangwu", "王五", 402, false)
	f.addMember("books", in(wangwu, ""))
	if ev := h.pollFor(); ev.Type != bot.EventJoin || ev.Members[0].Nickname != "王五" {
		t.Fatalf("poll: %+v", ev)
	}
	h.clock.Advance(time.Minute)
	f.system("books", `"王五"通过扫描二维码加入群聊`)
	h.expectOnlySentinel("哨兵2")

	// A notice naming someone the list does not show yet (a placeholder), then the poll.
	zhao := f.person("zhaoliu", "赵六", 403, false)
	f.system("books", `"赵六"通过扫描二维码加入群聊`)
	if ev := h.next(); ev.Type != bot.EventJoin || ev.Members[0] != (bot.MemberInfo{Nickname: "赵六"}) {
		t.Fatalf("placeholder: %+v", ev)
	}
	f.addMember("books", in(zhao, ""))
	h.pollQuietly(12)
}

// Leaves and joins while no session watched (the re-login gap) are reported by the new
// login's first read, against the previous login's list, by names: the leaver under the
// id the engine knew them by.
func TestChangesDuringReloginGapAreReported(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	oldID := f.userUN("xiaoming1")
	h.clock.Advance(20 * time.Hour)

	f.removeMember("books", "xiaoming1")
	f.addMember("books", in(f.person("lisi", "李四", 401, false), ""))
	// Someone who changed their display name meanwhile is neither gone nor new.
	f.set(func(f *fakeWeChat) { f.groups[0].members[0].display = "老张" })
	f.forceSyncRet("1101")
	h.clock.Advance(h.clock.nextSleep(t))

	left := h.next()
	if left.Type != bot.EventLeave || len(left.Members) != 1 || left.Members[0].ID != oldID ||
		left.Members[0].DisplayName != "小明-北京" || left.Session != "2" {
		t.Fatalf("got %+v, want 小明-北京 (%s) leaving", left, oldID)
	}
	joined := h.next()
	if joined.Type != bot.EventJoin || len(joined.Members) != 1 || joined.Members[0].ID != f.userUN("lisi") {
		t.Fatalf("got %+v, want 李四 joining", joined)
	}
	h.session(2)
	h.expectOnlySentinel("哨兵")
}

func TestDiffByNames(t *testing.T) {
	m := func(id, nick, display string, attr int64) bot.MemberInfo {
		return bot.MemberInfo{ID: id, Nickname: nick, DisplayName: display, AttrStatus: attr}
	}
	prev := []bot.MemberInfo{
		m("o1", "张三", "", 1), m("o2", "李四", "四哥", 2), m("o3", "王五", "", 3),
		m("o4", "小明", "", 9), m("o5", "小明", "", 9), // twins
		m("o6", "赵六", "六六", 6),
	}
	cur := map[string]bot.MemberInfo{
		"n1": m("n1", "张三丰", "", 1),   // renamed: nickname changed, AttrStatus kept
		"n2": m("n2", "李四", "四哥", 22), // AttrStatus changed
		"n4": m("n4", "小明", "", 9),    // one of the twins left: which one is unknown
		"n6": m("n6", "赵六", "六六", 6),
		"n7": m("n7", "新人", "", 7),
	}
	left, joined := diffByNames(prev, cur)
	if len(left) != 1 || left[0].ID != "o3" {
		t.Errorf("left = %+v, want only 王五 (o3)", left)
	}
	if len(joined) != 1 || joined[0].ID != "n7" {
		t.Errorf("joined = %+v, want only 新人", joined)
	}
}

// A mass removal (the owner clears out a spam wave) is first taken for a broken answer,
// then believed when the next read says the same — and leave detection goes on after it.
func TestMassRemovalIsReportedOnSecondRead(t *testing.T) {
	f := newFakeWeChat(t)
	var ms []fakeMembership
	for i := range 12 {
		ms = append(ms, in(f.person(fmt.Sprintf("p%d", i), fmt.Sprintf("成员%d", i), int64(500+i), false), ""))
	}
	f.group("books", "读书会", true, ms...)
	f.person("zhangsan", "张三", 101, false)
	h := newHarness(t, f, harnessConfig{tune: pollTune})
	h.session(1)
	for i := range 8 {
		f.removeMember("books", fmt.Sprintf("p%d", i))
	}
	ev := h.pollFor()
	if ev.Type != bot.EventLeave || len(ev.Members) != 8 {
		t.Fatalf("got %+v, want the 8 removed members on the second read", ev)
	}
	if !strings.Contains(h.logs.String(), "re-reading before believing it") {
		t.Error("the first read was not held back")
	}
	f.removeMember("books", "p8")
	if ev := h.pollFor(); ev.Type != bot.EventLeave || len(ev.Members) != 1 || ev.Members[0].Nickname != "成员8" {
		t.Fatalf("after the mass removal leave detection froze: %+v", ev)
	}
}

// A broken answer once is ignored: nobody is reported gone.
func TestOneBrokenMemberListIsIgnored(t *testing.T) {
	f := newFakeWeChat(t)
	var ms []fakeMembership
	for i := range 12 {
		ms = append(ms, in(f.person(fmt.Sprintf("p%d", i), fmt.Sprintf("成员%d", i), int64(500+i), false), ""))
	}
	g := f.group("books", "读书会", true, ms...)
	f.addMember("books", in(f.person("zhangsan", "张三", 101, false), ""))
	h := newHarness(t, f, harnessConfig{tune: pollTune})
	h.session(1)
	full := append([]fakeMembership(nil), g.members...)
	f.set(func(*fakeWeChat) { g.members = g.members[:3] })
	for range 5 { // ticks 1…5 min: the 5-minute poll reads the broken list
		h.clock.Advance(h.clock.nextSleep(t))
	}
	d := h.clock.nextSleep(t) // the poller is done with it
	f.set(func(*fakeWeChat) { g.members = full })
	h.clock.Advance(d)
	h.pollQuietly(12)
	if !strings.Contains(h.logs.String(), "re-reading before believing it") {
		t.Error("the broken read was not noticed")
	}
}

// A rename is reported as such — from the system message or from a member-list read — and
// everything after it carries the new name.
func TestGroupRenameIsReported(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{tune: pollTune})
	h.session(1)
	gid := f.groupUN("books")

	f.renameGroup("books", "读书会2")
	id := f.system("books", `"张三"修改群名为“读书会2”`)
	ev := h.next()
	if ev.Type != bot.EventRename || ev.Group.Name != "读书会2" || ev.Text != "读书会" || ev.Group.ID != gid ||
		ev.ID != fmt.Sprint(id) {
		t.Fatalf("got %+v, want a rename 读书会 → 读书会2", ev)
	}
	f.says("books", "zhangsan", "新名字")
	if ev := h.next(); ev.Group.Name != "读书会2" {
		t.Errorf("message after the rename: group %q", ev.Group.Name)
	}
	if err := h.a.SendText(context.Background(), "读书会2", "早上好", nil); err != nil {
		t.Errorf("send by the new name: %v", err)
	}
	if err := h.a.SendText(context.Background(), "读书会", "早上好", nil); !errors.Is(err, ErrGroupNotFound) {
		t.Errorf("send by the old name: %v, want ErrGroupNotFound", err)
	}

	// Renamed again, this time noticed by the poll alone.
	f.renameGroup("books", "读书会3")
	ev = h.pollFor()
	if ev.Type != bot.EventRename || ev.Group.Name != "读书会3" || ev.Text != "读书会2" {
		t.Fatalf("poll: %+v, want a rename 读书会2 → 读书会3", ev)
	}
}

// The owner's removal notice reads the member list at once: the leave does not wait for
// the next poll.
func TestRemovalNoticeReadsMembersAtOnce(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	gone := f.userUN("xiaoming2")
	f.removeMember("books", "xiaoming2")
	f.system("books", `你将"小明"移出了群聊`)
	if ev := h.next(); ev.Type != bot.EventLeave || len(ev.Members) != 1 || ev.Members[0].ID != gone {
		t.Fatalf("got %+v, want 小明 leaving", ev)
	}
	if ev := h.next(); ev.Type != bot.EventMessage || ev.Kind != bot.KindSystem {
		t.Fatalf("the notice itself: %+v", ev)
	}
}

// A system message in a wording nobody taught the adapter is logged once, without names,
// and still delivered; it never breaks anything.
func TestUnknownSystemFormIsLoggedOnceAnonymised(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	f.system("books", `"张三"已被设为群管理员`)
	f.system("books", `"小明-北京"已被设为群管理员`)
	f.system("books", `张三 开启了新的群功能 3 项`)
	for range 3 {
		if ev := h.next(); ev.Kind != bot.KindSystem {
			t.Fatalf("got %+v", ev)
		}
	}
	logs := h.logs.String()
	if n := strings.Count(logs, "已被设为群管理员"); n != 1 {
		t.Errorf("form logged %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs, "某人 开启了新的群功能 # 项") {
		t.Errorf("bare names and digits not anonymised:\n%s", logs)
	}
	if strings.Contains(logs, "张三\"已") || strings.Contains(logs, "张三 开启") {
		t.Errorf("a member's name reached the log:\n%s", logs)
	}
}
