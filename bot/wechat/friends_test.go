package wechat

import (
	"testing"

	"qunbot/bot"
)

// IsFriend answers from the current login's friend list, by session UserName.
func TestIsFriend(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	if !h.a.IsFriend(bot.MemberInfo{ID: f.userUN("zhangsan")}) || h.a.IsFriend(bot.MemberInfo{ID: f.userUN("xiaoming1")}) ||
		h.a.IsFriend(bot.MemberInfo{}) {
		t.Fatal("张三 is a friend, 小明-北京 is not")
	}
}
