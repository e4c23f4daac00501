package onebot

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func segsJSON(t *testing.T, segs []Segment) string {
	t.Helper()
	b, err := json.Marshal(segs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseCQ(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "你好", `[{"type":"text","data":{"text":"你好"}}]`},
		{"escapes in text", "- &#91;x&#93; 使用 `&amp;data` 获取地址", `[{"type":"text","data":{"text":"- [x] 使用 ` + "`\\u0026data`" + ` 获取地址"}}]`},
		{"comma escape in text too", "a&#44;b", `[{"type":"text","data":{"text":"a,b"}}]`},
		{"code between text", "hi[CQ:at,qq=123]签到", `[{"type":"text","data":{"text":"hi"}},{"type":"at","data":{"qq":"123"}},{"type":"text","data":{"text":"签到"}}]`},
		{"param escapes and equals", "[CQ:share,title=震惊&#44;小伙=睡觉,url=http://a.cn/?a=1&amp;b=2]",
			`[{"type":"share","data":{"title":"震惊,小伙=睡觉","url":"http://a.cn/?a=1\u0026b=2"}}]`},
		{"no params", "[CQ:shake]", `[{"type":"shake","data":{}}]`},
		{"unclosed code is text", "look [CQ:at,qq=1", `[{"type":"text","data":{"text":"look [CQ:at,qq=1"}}]`},
		{"empty", "", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := segsJSON(t, ParseCQ(tt.in)); got != tt.want {
				t.Errorf("ParseCQ(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatCQRoundTrip(t *testing.T) {
	segs := []Segment{textSeg("[1], a&b, c"), atSeg("10001"), textSeg(" 好")}
	s := FormatCQ(segs)
	if s != "&#91;1&#93;, a&amp;b, c[CQ:at,qq=10001] 好" {
		t.Fatalf("FormatCQ = %q", s)
	}
	if got := segsJSON(t, ParseCQ(s)); got != segsJSON(t, segs) {
		t.Fatalf("round trip: %s != %s", got, segsJSON(t, segs))
	}
}

func TestParseMessageForms(t *testing.T) {
	for _, raw := range []string{
		`"签到[CQ:at,qq=5]"`,
		`[{"type":"text","data":{"text":"签到"}},{"type":"at","data":{"qq":"5"}}]`,
		`[{"type":"text","data":{"text":"签到"}},{"type":"at","data":{"qq":5}}]`, // qq as a number
	} {
		segs, err := ParseMessage(json.RawMessage(raw))
		if err != nil || len(segs) != 2 || segs[1].str("qq") != "5" || segs[0].str("text") != "签到" {
			t.Errorf("ParseMessage(%s) = %+v, %v", raw, segs, err)
		}
	}
	if segs, err := ParseMessage(json.RawMessage(`{"type":"image","data":{"file":"a.jpg"}}`)); err != nil || len(segs) != 1 || segs[0].Type != "image" {
		t.Errorf("single segment: %+v %v", segs, err)
	}
	if _, err := ParseMessage(json.RawMessage(`42`)); err == nil {
		t.Error("a number is not a message")
	}
}

func TestBuildSegments(t *testing.T) {
	got := BuildSegments("欢迎 @张三\u2005和 @李 四\u2005加入！", []Mention{{Text: "@张三\u2005", QQ: "1"}, {Text: "@李 四\u2005", QQ: "2"}})
	want := `[{"type":"text","data":{"text":"欢迎 "}},{"type":"at","data":{"qq":"1"}},{"type":"text","data":{"text":" 和 "}},{"type":"at","data":{"qq":"2"}},{"type":"text","data":{"text":" 加入！"}}]`
	if s := segsJSON(t, got); s != want {
		t.Fatalf("got  %s\nwant %s", s, want)
	}
	// A mention whose text is not there adds nothing; the text is sent as written.
	if s := segsJSON(t, BuildSegments("hello", []Mention{{Text: "@x\u2005", QQ: "9"}})); s != `[{"type":"text","data":{"text":"hello"}}]` {
		t.Fatalf("missing mention: %s", s)
	}
}

func TestRenderKinds(t *testing.T) {
	names := func(qq string) string { return map[string]string{"1": "张三", "99": "机器人"}[qq] }
	tests := []struct {
		cq       string
		text     string
		kind     string
		mentions []string
	}{
		{"[CQ:at,qq=99] 签到", "签到", "text", nil},                            // @bot at the start is dropped
		{"禁言 [CQ:at,qq=1] 10m", "禁言 @张三\u2005 10m", "text", []string{"1"}}, // mention becomes @name + U+2005
		{"[CQ:image,file=a.jpg]", "", "image", nil},
		{"看[CQ:image,file=a.jpg]加微信", "看加微信", "text", nil}, // the words beside an image are read
		{"[CQ:share,url=http://x.cn,title=优惠]", "优惠 http://x.cn", "link", nil},
		{"[CQ:record,file=a.amr]", "", "voice", nil},
		{"[CQ:face,id=1]", "", "emoji", nil},
		{"[CQ:json,data={\"prompt\":\"&#91;QQ小程序&#93;领红包\"}]", "[QQ小程序]领红包", "miniapp", nil},
		{"[CQ:contact,type=qq,id=5]", "", "card", nil},
		{"[CQ:at,qq=all] 开会", "@全体成员\u2005 开会", "text", nil},
	}
	for _, tt := range tests {
		r := render(ParseCQ(tt.cq), "99", names)
		if r.text != tt.text || r.kind != tt.kind || !reflect.DeepEqual(r.mentions, tt.mentions) {
			t.Errorf("render(%q) = %q %q %v; want %q %q %v", tt.cq, r.text, r.kind, r.mentions, tt.text, tt.kind, tt.mentions)
		}
	}
}

func TestIDAcceptsNumbersAndStrings(t *testing.T) {
	var f struct{ A, B, C ID }
	if err := json.Unmarshal([]byte(`{"A": 123456789012, "B": "-2147483000", "C": null}`), &f); err != nil {
		t.Fatal(err)
	}
	if f.A != "123456789012" || f.B != "-2147483000" || f.C != "" {
		t.Fatalf("%+v", f)
	}
	b, _ := json.Marshal(map[string]any{"n": ID("42").param(), "s": ID("abc").param()})
	if string(b) != `{"n":42,"s":"abc"}` {
		t.Fatalf("params: %s", b)
	}
	if err := json.Unmarshal([]byte(`{"A": {}}`), &f); err == nil {
		t.Fatal("an object is not an id")
	}
}

func TestParseFrameBadInput(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"post_type":`, `not json`, `{"time":"yesterday"}`} {
		if _, err := parseFrame([]byte(in)); err == nil {
			t.Errorf("parseFrame(%q): want an error", in)
		} else if !strings.Contains(err.Error(), "/") {
			t.Errorf("error should be bilingual: %v", err)
		}
	}
	f, err := parseFrame([]byte(`{"post_type":"message"}`)) // missing fields are zero, not an error
	if err != nil || f.PostType != "message" || f.GroupID != "" {
		t.Fatalf("%+v %v", f, err)
	}
}

func FuzzParseCQ(f *testing.F) {
	for _, s := range []string{"", "hi", "[CQ:at,qq=1]", "&#91;[CQ:share,title=a&#44;b,url=x]&amp;", "[CQ:", "[CQ:a,=,==]", "]]][[["} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		segs := ParseCQ(s)
		// Whatever came in, what it parses to is written and read back unchanged.
		out := FormatCQ(segs)
		if again := FormatCQ(ParseCQ(out)); again != out {
			t.Fatalf("not stable: %q -> %q -> %q", s, out, again)
		}
		render(segs, "1", func(string) string { return "x" })
	})
}

func FuzzParseFrame(f *testing.F) {
	for _, s := range []string{
		`{"post_type":"message","message_type":"group","group_id":1,"user_id":2,"message_id":"3","message":[{"type":"text","data":{"text":"hi"}}]}`,
		`{"status":"ok","retcode":0,"data":null,"echo":"qunbot-1"}`,
		`{"post_type":"notice","notice_type":"group_ban","group_id":"1","user_id":2,"duration":60}`,
		`{"post_type":"message","message":"[CQ:at,qq=1]x"}`,
		`{}`, `[1]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := parseFrame(b)
		if err != nil {
			return
		}
		if segs, err := ParseMessage(fr.Message); err == nil {
			render(segs, string(fr.SelfID), func(q string) string { return q })
		}
	})
}
