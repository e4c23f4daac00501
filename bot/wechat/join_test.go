package wechat

import (
	"fmt"
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

	// Forms the first parser missed (issue 18), and more real ones from clients in the wild.
	{"qr without sharer", `"李四"通过扫描二维码加入群聊`, joinNotice{Joiners: []string{"李四"}, ByQRCode: true}, true},
	{"owner joined by qr without sharer", `你通过扫描二维码加入群聊，群聊参与人还有：张三、王五`,
		joinNotice{SelfJoined: true, ByQRCode: true}, true},
	{"invite qr code", `"A"通过"B"的邀请二维码加入群聊`, joinNotice{Inviter: "B", Joiners: []string{"A"}, ByQRCode: true}, true},
	{"invite qr code of the owner", `"A"通过你的邀请二维码加入群聊`, joinNotice{InviterSelf: true, Joiners: []string{"A"}, ByQRCode: true}, true},
	{"direct join", `"李四"加入了群聊`, joinNotice{Joiners: []string{"李四"}}, true},
	{"direct join of several", `"李四"、"王五"加入了群聊`, joinNotice{Joiners: []string{"李四", "王五"}}, true},
	{"owner joined", `你加入了群聊，群聊参与人还有：张三、王五`, joinNotice{SelfJoined: true}, true},
	{"owner was invited, with participants", `"张三"邀请你加入了群聊，群聊参与人还有：小桔、桔小秘`,
		joinNotice{Inviter: "张三", SelfJoined: true}, true},
	{"space inside the quotes", `" 桔小秘"通过扫描"李佳芮"分享的二维码加入群聊`,
		joinNotice{Inviter: "李佳芮", Joiners: []string{"桔小秘"}, ByQRCode: true}, true},
	{"owner's qr with revoke link", `"管理员"通过扫描你分享的二维码加入群聊  撤销`,
		joinNotice{InviterSelf: true, Joiners: []string{"管理员"}, ByQRCode: true}, true},
	{"chinese quotes around the new name", `"张三"邀请“李四”和“王五”加入了群聊`,
		joinNotice{Inviter: "张三", Joiners: []string{"李四", "王五"}}, true},
	{"traditional invite", `"張三"邀請"李四"加入了群組`, joinNotice{Inviter: "張三", Joiners: []string{"李四"}}, true},
	{"traditional qr", `"李四"通過掃描"張三"分享的二維碼加入群組`,
		joinNotice{Inviter: "張三", Joiners: []string{"李四"}, ByQRCode: true}, true},
	{"traditional owner joined", `你加入了群組，群組成員還有：張三`, joinNotice{SelfJoined: true}, true},
	{"traditional words in a name stay", `"邀請達人"邀請"通過"加入了群組`,
		joinNotice{Inviter: "邀請達人", Joiners: []string{"通過"}}, true},
	{"english qr you shared", `"Bob" joined group chat via the QR code you shared`,
		joinNotice{InviterSelf: true, Joiners: []string{"Bob"}, ByQRCode: true}, true},
	{"english qr you shared, trailing", `"管理员" joined group chat via the QR code you shared.  `,
		joinNotice{InviterSelf: true, Joiners: []string{"管理员"}, ByQRCode: true}, true},
	{"english qr shared by, period", `"宁锐锋" joined the group chat via the QR Code shared by "管理员".`,
		joinNotice{Inviter: "管理员", Joiners: []string{"宁锐锋"}, ByQRCode: true}, true},
	{"english owner joined by qr", `You've joined the group chat via QR Code. Group chat members: Alice, Bob`,
		joinNotice{SelfJoined: true, ByQRCode: true}, true},
	{"english owner joined, curly apostrophe", `You’ve joined this group chat. Other participants are: Alice`,
		joinNotice{SelfJoined: true}, true},
	{"english owner invited to this chat", `"Alice" invited you to this group chat`,
		joinNotice{Inviter: "Alice", SelfJoined: true}, true},
	{"english owner invited with others", `Alice invited you to a group chat with Bob, Carol`,
		joinNotice{Inviter: "Alice", SelfJoined: true}, true},
	{"english direct join", `"Bob" joined the group chat.`, joinNotice{Joiners: []string{"Bob"}}, true},
	{"template direct join", tmpl(`"$names$"加入了群聊`, link("names", "李四", "王五")),
		joinNotice{Joiners: []string{"李四", "王五"}}, true},
	{"template invite qr", tmpl(`"$adder$"通过"$from$"的邀请二维码加入群聊`, link("adder", "A"), link("from", "B")),
		joinNotice{Inviter: "B", Joiners: []string{"A"}, ByQRCode: true}, true},
	{"template owner's qr with hidden revoke", `<sysmsg type="sysmsgtemplate"><sysmsgtemplate>` +
		`<content_template type="tmpl_type_profilewithrevokeqrcode"><template><![CDATA["$adder$"通过扫描你分享的二维码加入群聊  $revoke$]]></template>` +
		`<link_list><link name="adder" type="link_profile"><memberlist><member><username><![CDATA[anypossible-w]]></username>` +
		`<nickname><![CDATA[暗梅幽闻花]]></nickname></member></memberlist></link>` +
		`<link name="revoke" type="link_revoke_qrcode" hidden="1"><title><![CDATA[撤销]]></title></link></link_list>` +
		`</content_template></sysmsgtemplate></sysmsg>`,
		joinNotice{InviterSelf: true, Joiners: []string{"暗梅幽闻花"}, ByQRCode: true}, true},
	{"template keeps a name with 、 whole", tmpl(`"$username$"邀请"$names$"加入了群聊`, link("username", "张三"), link("names", "甲、乙", "丙")),
		joinNotice{Inviter: "张三", Joiners: []string{"甲、乙", "丙"}}, true},
	{"template owner and others", tmpl(`"$username$"邀请你和"$names$"加入了群聊`, link("username", "张三"), link("names", "李四")),
		joinNotice{Inviter: "张三", SelfJoined: true, Joiners: []string{"李四"}}, true},
	{"template with the message's group prefix", "12345@chatroom:\n" + tmpl(`"$names$"加入了群聊`, link("names", "李四")),
		joinNotice{Joiners: []string{"李四"}}, true},

	// Somebody joined; the member list read that a join triggers says who.
	{"unfilled placeholder", `"$names$"加入了群聊`, joinNotice{Unnamed: true}, true},
	{"template without the link", tmpl(`"$names$"加入了群聊`), joinNotice{Unnamed: true}, true},
	{"template that is no join", tmpl(`"$username$"修改群名为"$remark$"`, link("username", "张三")), joinNotice{}, false},
	{"recall of a nickname that spells a join", `"A"邀请"B"加入了群聊" 撤回了一条消息`, joinNotice{}, false},
	{"pat suffix that spells a join", `"张三" 拍了拍 "李四" 并邀请"王五"加入了群聊`, joinNotice{}, false},
	{"invitation waiting for approval", `"张三"想邀请"李四"加入群聊  去确认`, joinNotice{}, false},
	{"english recall", `"Bob" recalled a message`, joinNotice{}, false},
	{"removal", `你将"张三"移出了群聊`, joinNotice{}, false},
	{"english bare direct join", `someone joined the group chat`, joinNotice{}, false},
	{"english joined something else", `"Bob" joined the group chatroom`, joinNotice{}, false},
	{"direct with a keyword outside quotes", `""邀请"李四"加入了群聊`, joinNotice{}, false},
	{"revoke xml", `<sysmsg type="revokemsg"><revokemsg><replacemsg><![CDATA["张三" 撤回了一条消息]]></replacemsg></revokemsg></sysmsg>`,
		joinNotice{}, false},
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

// tmpl builds a <sysmsg type="sysmsgtemplate"> notice as newer clients send it.
func tmpl(template string, links ...string) string {
	return `<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="tmpl_type_profile">` +
		`<plain><![CDATA[]]></plain><template><![CDATA[` + template + `]]></template><link_list>` +
		strings.Join(links, "") + `</link_list></content_template></sysmsgtemplate></sysmsg>`
}

func link(name string, nicknames ...string) string {
	var b strings.Builder
	b.WriteString(`<link name="` + name + `" type="link_profile"><memberlist>`)
	for i, n := range nicknames {
		fmt.Fprintf(&b, `<member><username><![CDATA[wxid_%s%d]]></username><nickname><![CDATA[%s]]></nickname></member>`, name, i, n)
	}
	b.WriteString(`</memberlist><separator><![CDATA[、]]></separator></link>`)
	return b.String()
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
		if !n.SelfJoined && len(n.Joiners) == 0 && !n.Unnamed {
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
