package bot

import "testing"

// admins: in the file makes QQ numbers admins — every group's under defaults, one group's
// under that group — and protects them like the group's own admins. A namesake of a listed
// admin is nobody special.
func TestListedAdmins(t *testing.T) {
	h := newQQHarness(t, `
all_groups: true
defaults:
  admins: ["9001"]
groups:
  读书会:
    admins: ["9003"]
`)
	namesake := MemberInfo{ID: "9002", Nickname: "张三", Role: "member"}
	lisi := MemberInfo{ID: "9003", Nickname: "李四", Role: "member"}
	h.msg(qqGroup, zhangsan, "你好")
	h.msg(qqGroup, namesake, "我也叫张三")
	h.msg(qqGroup, lisi, "大家好")
	if !h.act.admin["9001"] || h.act.admin["9002"] || !h.act.admin["9003"] {
		t.Fatalf("admins in 读书会: %v", h.act.admin)
	}
	h.msg(qqPlain, zhangsan, "你好")
	h.msg(qqPlain, lisi, "大家好")
	if !h.act.admin["9001"] || h.act.admin["9003"] {
		t.Fatalf("in 闲聊群 only the defaults' admins: %v", h.act.admin)
	}
	h.p.admin["200"] = true
	h.msg(qqPlain, zhangsan, "remove me")
	h.msg(qqPlain, lisi, "remove me")
	removed := h.p.got("remove")
	if len(removed) != 1 || removed[0].text != "9003" {
		t.Fatalf("a listed admin is never removed; others are: %+v", removed)
	}
}
