package wechat

import (
	"testing"

	"github.com/eatmoreapple/openwechat"

	"qunbot/bot"
)

// appXML is an app message's content as the library hands it over: the web protocol's
// escaped XML after the library's unescaping.
func appXML(typ, inner string) string {
	return `<?xml version="1.0"?>` + "\n" + `<msg><appmsg appid="" sdkver="0"><type>` + typ + `</type>` + inner + `</appmsg></msg>`
}

func TestMessageKind(t *testing.T) {
	cases := []struct {
		name    string
		msg     *openwechat.Message
		kind    bot.MessageKind
		text    string
		dropped bool
	}{
		{"text", &openwechat.Message{MsgType: 1, Content: "你好"}, bot.KindText, "你好", false},
		{"text with url", &openwechat.Message{MsgType: 1, Content: "看看", Url: "https://x.cn"}, bot.KindLink, "看看\nhttps://x.cn", false},
		{"location", &openwechat.Message{MsgType: 1, Content: "北京市海淀区:\n/cgi-bin/mmwebwx-bin/webwxgetpubliclinkimg?pictype=location",
			Url: "https://apis.map.qq.com/uri/v1/geocoder"}, bot.KindLink, "北京市海淀区\nhttps://apis.map.qq.com/uri/v1/geocoder", false},
		{"image", &openwechat.Message{MsgType: 3}, bot.KindImage, "", false},
		{"voice", &openwechat.Message{MsgType: 34}, bot.KindVoice, "", false},
		{"card", &openwechat.Message{MsgType: 42, Content: `<msg username="wxid_x" nickname="代购小王"/>`}, bot.KindCard, "代购小王", false},
		{"video", &openwechat.Message{MsgType: 43}, bot.KindVideo, "", false},
		{"micro video", &openwechat.Message{MsgType: 62}, bot.KindVideo, "", false},
		{"emoji", &openwechat.Message{MsgType: 47}, bot.KindEmoji, "", false},
		{"article", &openwechat.Message{MsgType: 49, AppMsgType: 5, Content: appXML("5",
			`<title>限时优惠</title><des>点击领取</des><url>https://x.cn/a</url>`)}, bot.KindLink, "限时优惠\n点击领取\nhttps://x.cn/a", false},
		{"file", &openwechat.Message{MsgType: 49, AppMsgType: 6, FileName: "资料.pdf", Content: appXML("6", `<title>资料.pdf</title>`)},
			bot.KindFile, "资料.pdf", false},
		{"mini program 33", &openwechat.Message{MsgType: 49, AppMsgType: 33, Content: appXML("33",
			`<title>砍一刀</title><sourcedisplayname>某商城</sourcedisplayname>`)}, bot.KindMiniApp, "砍一刀\n某商城", false},
		{"mini program 36", &openwechat.Message{MsgType: 49, AppMsgType: 36, Content: appXML("36", `<title>点我</title>`)},
			bot.KindMiniApp, "点我", false},
		{"mini program as article", &openwechat.Message{MsgType: 49, AppMsgType: 5, Content: appXML("5",
			`<title>拼团</title><weappinfo><username>gh_abc@app</username></weappinfo>`)}, bot.KindMiniApp, "拼团", false},
		{"quoted reply", &openwechat.Message{MsgType: 49, AppMsgType: 57, Content: appXML("57",
			`<title>同意楼上</title><refermsg><content>原话</content></refermsg>`)}, bot.KindText, "同意楼上", false},
		{"transfer by file name", &openwechat.Message{MsgType: 49, FileName: "微信转账", Content: appXML("2000", `<title>微信转账</title>`)},
			bot.KindTransfer, "微信转账", false},
		{"red packet app", &openwechat.Message{MsgType: 49, AppMsgType: 2001, Content: appXML("2001", `<title>恭喜发财</title>`)},
			bot.KindRedPacket, "恭喜发财", false},
		{"chat history", &openwechat.Message{MsgType: 49, AppMsgType: 19, Content: appXML("19", `<title>群聊的聊天记录</title>`)},
			bot.KindLink, "群聊的聊天记录", false},
		{"app type only in xml", &openwechat.Message{MsgType: 49, Content: appXML("6", `<title>a.zip</title>`)}, bot.KindFile, "a.zip", false},
		{"broken app xml", &openwechat.Message{MsgType: 49, AppMsgType: 5, FileName: "标题", Url: "https://y.cn"},
			bot.KindLink, "标题\nhttps://y.cn", false},
		{"red packet notice", &openwechat.Message{MsgType: 10000, Content: "收到红包，请在手机上查看"}, bot.KindRedPacket, "收到红包，请在手机上查看", false},
		{"transfer notice", &openwechat.Message{MsgType: 10000, Content: "收到转账，请在手机上查看"}, bot.KindTransfer, "收到转账，请在手机上查看", false},
		{"red packet claimed", &openwechat.Message{MsgType: 10000, Content: "张三领取了你的红包"}, bot.KindSystem, "张三领取了你的红包", false},
		{"system", &openwechat.Message{MsgType: 10000, Content: `"张三"修改群名为"读书会"`}, bot.KindSystem, `"张三"修改群名为"读书会"`, false},
		{"recalled", &openwechat.Message{MsgType: 10002, Content: `<sysmsg type="revokemsg"><revokemsg><replacemsg><![CDATA["张三" 撤回了一条消息]]></replacemsg></revokemsg></sysmsg>`},
			bot.KindSystem, `"张三" 撤回了一条消息`, false},
		{"status notify", &openwechat.Message{MsgType: 51}, "", "", true},
		{"friend request", &openwechat.Message{MsgType: 37}, "", "", true},
		{"unknown", &openwechat.Message{MsgType: 12345, Content: "<x/>"}, bot.KindSystem, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kind, text, ok := messageKind(tc.msg)
			if ok == tc.dropped || kind != tc.kind || text != tc.text {
				t.Errorf("got %q %q %v, want %q %q (dropped %v)", kind, text, ok, tc.kind, tc.text, tc.dropped)
			}
		})
	}
}

func TestSenderUserName(t *testing.T) {
	cases := map[string]string{
		"@abc123:<br/>你好":               "@abc123",
		"@abc:<br/>a:<br/>b":            "@abc",
		"你好":                            "",
		":<br/>x":                       "",
		"@:<br/>x":                      "",
		"not an id:<br/>x":              "",
		"<msg>@x:<br/>":                 "",
		"@abc\n:<br/>x":                 "",
		"@0f2e9ab3c1d4e5f6:<br/><msg/>": "@0f2e9ab3c1d4e5f6",
	}
	for raw, want := range cases {
		if got := senderUserName(raw); got != want {
			t.Errorf("senderUserName(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestCleanName(t *testing.T) {
	cases := map[string]string{
		`Tom<span class="emoji emoji1f431"></span>`: "Tom🐱",
		"A&amp;B":   "A&B",
		" 小明 ":      "小明",
		"&lt;b&gt;": "<b>",
	}
	for in, want := range cases {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
