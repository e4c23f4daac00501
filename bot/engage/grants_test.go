package engage

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"qunbot/storage"
)

func TestAdminGrantsAreCappedAndNeverToSelf(t *testing.T) {
	h := newHarness(t, "defaults:\n  points:\n    admin_daily_cap: 50\n")
	h.say("王五", "大家好呀我是王五")
	h.say("李四", "大家好呀我是李四")
	h.say("管理员", "大家好呀我是管理员")
	h.setRole("管理员", storage.RoleAdmin)
	h.take()
	adminKey := h.member("管理员").Key

	steps := []struct {
		who, text, reply string
		wang             int64 // 王五's balance afterwards
	}{
		{"管理员", "加分 @管理员 10000", "不能给自己加分", 1},
		{"管理员", "加分 @王五 @管理员 5", "不能给自己加分", 1},
		{"管理员", "加分 @王五 30", "加 30 积分", 31},
		{"管理员", "加分 @王五 @李四 15", "已经加了 30 分，这次要加 30 分", 31},
		{"管理员", "扣分 @王五 5", "扣 5 积分", 26}, // taking away is not granting
		{"管理员", "加分 @王五 20", "加 20 积分", 46},
		{"管理员", "加分 @王五 1", "每天最多加 50 分", 46},
		{"群主", "加分 @王五 1000", "加 1000 积分", 1046}, // the owner is not capped
	}
	for _, s := range steps {
		h.advance(time.Second)
		h.say(s.who, s.text)
		texts := h.texts()
		if len(texts) != 1 || !strings.Contains(texts[0], s.reply) {
			t.Errorf("%s: %q: want %q, got %q", s.who, s.text, s.reply, texts)
		}
		if b := h.balance("王五"); b != s.wang {
			t.Errorf("%s: %q: 王五 has %d, want %d", s.who, s.text, b, s.wang)
		}
	}
	if b := h.balance("管理员"); b != 1 {
		t.Errorf("the admin granted himself points: %d", b)
	}
	// A new local day, a new allowance.
	h.advance(24 * time.Hour)
	h.say("管理员", "加分 @王五 50")
	if texts := h.texts(); len(texts) != 1 || !strings.Contains(texts[0], "加 50 积分") {
		t.Errorf("next day: %q", texts)
	}
	// Every grant is in the audit log under the admin's key.
	var grants int
	wangKey := h.member("王五").Key
	err := h.st.View(context.Background(), func(tx *storage.Tx) error {
		entries, err := tx.AuditLog(0, wangKey, 100)
		for _, e := range entries {
			if e.Action == "points" && e.Actor == "admin:"+strconv.FormatInt(adminKey, 10) && e.Detail["reason"] == storage.ReasonAdmin {
				grants++
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if grants != 4 { // +30, −5, +20, +50
		t.Errorf("audited admin entries: %d, want 4", grants)
	}
	h.ledgerMatchesBalances()
}

func TestAdminDailyCapZeroMeansOwnerOnly(t *testing.T) {
	h := newHarness(t, "defaults:\n  points:\n    admin_daily_cap: 0\n")
	h.say("王五", "大家好呀我是王五")
	h.say("管理员", "大家好呀我是管理员")
	h.setRole("管理员", storage.RoleAdmin)
	h.take()
	h.say("管理员", "加分 @王五 1")
	if texts := h.texts(); len(texts) != 1 || !strings.Contains(texts[0], "只有群主能加分") {
		t.Errorf("%q", texts)
	}
}
