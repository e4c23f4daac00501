package wechat

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

var joinCases = []struct {
	name string
	in   string
	want joinNotice
	ok   bool
}{
	{"invite", `"张三"邀请"李四"加入了群聊`, joinNotice{Inviter: "张三", Joiners: []string{"李四"}}, true},
	{"invite several in one quote", `"张三"邀请"李四、王五、赵六"加入了群聊`,
		joinNotice{Inviter: "张三", Joiners: []string{"李四", "王五", "赵六"}}, true},
	{"invite several quoted each", `"张三"邀请"李四"、"王五"加入了群聊`,
		joinNotice{Inviter: "张三", Joiners: []string{"李四", "王五"}}, true},
	{"chinese quotes", `“张三”邀请“李四”加入了群聊`, joinNotice{Inviter: "张三", Joiners: []string{"李四"}}, true},
	{"trailing participants ignored", `"张三"邀请"李四"加入了群聊，群聊参与人还有：王五、赵六`,
		joinNotice{Inviter: "张三", Joiners: []string{"李四"}}, true},
	{"owner invited", `你邀请"李四"加入了群聊  撤销`, joinNotice{InviterSelf: true, Joiners: []string{"李四"}}, true},
	{"owner was invited", `"张三"邀请你加入了群聊`, joinNotice{Inviter: "张三", SelfJoined: true}, true},
	{"owner and others invited", `"张三"邀请你和"李四"加入了群聊`,
		joinNotice{Inviter: "张三", SelfJoined: true, Joiners: []string{"李四"}}, true},
	{"others and owner invited", `"张三"邀请"李四"和你加入了群聊`,
		joinNotice{Inviter: "张三", SelfJoined: true, Joiners: []string{"李四"}}, true},
	{"name with quote inside", `"阿"杰"邀请"小"美"加入了群聊`, joinNotice{Inviter: `阿"杰`, Joiners: []string{`小"美`}}, true},
	{"emoji and spaces in names", `"Tom 🐱"邀请" 小 美 "加入了群聊`, joinNotice{Inviter: "Tom 🐱", Joiners: []string{"小 美"}}, true},
	{"a member called 你", `"你"邀请"李四"加入了群聊`, joinNotice{Inviter: "你", Joiners: []string{"李四"}}, true},
	{"qr", `"李四"通过扫描"张三"分享的二维码加入群聊`,
		joinNotice{Inviter: "张三", Joiners: []string{"李四"}, ByQRCode: true}, true},
	{"qr owner's code", `"李四"通过扫描你分享的二维码加入群聊`,
		joinNotice{InviterSelf: true, Joiners: []string{"李四"}, ByQRCode: true}, true},
	{"owner joined by qr", `你通过扫描"张三"分享的二维码加入群聊`,
		joinNotice{Inviter: "张三", SelfJoined: true, ByQRCode: true}, true},
	{"english invite", `Alice invited Bob to the group chat`, joinNotice{Inviter: "Alice", Joiners: []string{"Bob"}}, true},
	{"english invite quoted", `"Alice Wu" invited "Bob Li" to the group chat.`,
		joinNotice{Inviter: "Alice Wu", Joiners: []string{"Bob Li"}}, true},
	{"english invite several", `Alice invited Bob, Carol and Dave to the group chat`,
		joinNotice{Inviter: "Alice", Joiners: []string{"Bob", "Carol", "Dave"}}, true},
	{"english invite several quoted", `"Alice" invited "Bob, Jr", "Carol" and "Dave" to the group chat`,
		joinNotice{Inviter: "Alice", Joiners: []string{"Bob, Jr", "Carol", "Dave"}}, true},
	{"english owner invited", `You invited 李四 to the group chat`, joinNotice{InviterSelf: true, Joiners: []string{"李四"}}, true},
	{"english owner was invited", `Alice invited you to the group chat`, joinNotice{Inviter: "Alice", SelfJoined: true}, true},
	{"english owner and others", `Alice invited you and Bob to the group chat`,
		joinNotice{Inviter: "Alice", SelfJoined: true, Joiners: []string{"Bob"}}, true},
	{"english qr", `Bob joined the group chat via the QR Code shared by Alice`,
		joinNotice{Inviter: "Alice", Joiners: []string{"Bob"}, ByQRCode: true}, true},
	{"english qr lower case, period", `"Bob" joined the group chat via the qr code shared by "Alice".`,
		joinNotice{Inviter: "Alice", Joiners: []string{"Bob"}, ByQRCode: true}, true},
	{"english qr owner's code", `Bob joined the group chat via the QR Code shared by you`,
		joinNotice{InviterSelf: true, Joiners: []string{"Bob"}, ByQRCode: true}, true},
	{"template invite", `<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="tmpl_type_profile">` +
		`<plain><![CDATA[]]></plain><template><![CDATA["$username$"邀请"$names$"加入了群聊]]></template><link_list>` +
		`<link name="username" type="link_profile"><memberlist><member><username><![CDATA[wxid_a]]></username>` +
		`<nickname><![CDATA[张三]]></nickname></member></memberlist></link>` +
		`<link name="names" type="link_profile"><memberlist><member><nickname><![CDATA[李四]]></nickname></member>` +
		`<member><nickname><![CDATA[王五]]></nickname></member></memberlist><separator><![CDATA[、]]></separator></link>` +
		`</link_list></content_template></sysmsgtemplate></sysmsg>`,
		joinNotice{Inviter: "张三", Joiners: []string{"李四", "王五"}}, true},
	{"template qr", `<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template>` +
		`<template><![CDATA["$adder$"通过扫描"$from$"分享的二维码加入群聊]]></template><link_list>` +
		`<link name="adder"><memberlist><member><nickname>李四</nickname></member></memberlist></link>` +
		`<link name="from"><memberlist><member><nickname>张三</nickname></member></memberlist></link>` +
		`</link_list></content_template></sysmsgtemplate></sysmsg>`,
		joinNotice{Inviter: "张三", Joiners: []string{"李四"}, ByQRCode: true}, true},

	{"rename is not a join", `"张三"修改群名为"读书会2"`, joinNotice{}, false},
	{"pat is not a join", `"张三" 拍了拍 "李四"`, joinNotice{}, false},
	{"leave-like text", `"张三"已退出群聊`, joinNotice{}, false},
	{"no quotes, no owner", `张三邀请李四加入了群聊`, joinNotice{}, false},
	{"empty invitee", `"张三"邀请""加入了群聊`, joinNotice{}, false},
	{"empty inviter", `""邀请"李四"加入了群聊`, joinNotice{}, false},
	{"member text quoting a notice", `有人说："张三"邀请"李四"加入了群聊`, joinNotice{}, false},
	{"english without inviter", ` invited Bob to the group chat`, joinNotice{}, false},
	{"broken template", `<sysmsg type="sysmsgtemplate"><sysmsgtemplate>`, joinNotice{}, false},
	{"empty", ``, joinNotice{}, false},
}

func TestParseJoin(t *testing.T) {
	for _, tc := range joinCases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseJoin(tc.in)
			if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseJoin(%q)\n got %+v, %v\nwant %+v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParseJoin: system message text comes from members' nicknames, so anything goes.
// The parser must not panic, and what it reports must make sense.
func FuzzParseJoin(f *testing.F) {
	for _, tc := range joinCases {
		f.Add(tc.in)
	}
	f.Add(`"""邀请"""加入了群聊`)
	f.Add(`"a"通过扫描"分享的二维码加入群聊`)
	f.Add(`x invited  to the group chat`)
	f.Add(`You joined the group chat via the QR Code shared by `)
	f.Add("\xff\xfe\"\xe9\x82\x80\xe8\xaf\xb7")
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := parseJoin(s)
		if !ok {
			if !reflect.DeepEqual(n, joinNotice{}) {
				t.Fatalf("not a join but returned %+v", n)
			}
			return
		}
		if !n.SelfJoined && len(n.Joiners) == 0 {
			t.Fatalf("a join without anyone joining: %+v", n)
		}
		if n.InviterSelf && n.Inviter != "" {
			t.Fatalf("inviter both the owner and %q", n.Inviter)
		}
		valid := utf8.ValidString(s) && !strings.Contains(s, "<sysmsg")
		for _, name := range n.Joiners {
			if strings.TrimSpace(name) != name || name == "" {
				t.Fatalf("untrimmed or empty joiner %q in %+v", name, n)
			}
			if valid && !utf8.ValidString(name) {
				t.Fatalf("joiner %q cut a character in half", name)
			}
		}
	})
}
