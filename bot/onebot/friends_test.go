package onebot

import (
	"testing"

	"qunbot/bot"
	"qunbot/bot/onebot/onebottest"
)

// The friend list is read at login: IsFriend answers from it, without a call.
func TestFriendsReadAtLogin(t *testing.T) {
	h := newHarness(t, onebottest.Options{Friends: map[int64]string{30001: "张三"}}, nil)
	h.ready()
	before := len(h.fake.Calls())
	if !h.a.IsFriend(bot.MemberInfo{ID: "30001"}) || h.a.IsFriend(bot.MemberInfo{ID: "30002"}) || h.a.IsFriend(bot.MemberInfo{}) {
		t.Fatal("friends: 30001 only")
	}
	if len(h.fake.Calls()) != before {
		t.Fatal("IsFriend answers from memory")
	}
}
