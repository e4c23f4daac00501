package rules

import (
	"strings"
	"testing"
)

func TestParseLexicon(t *testing.T) {
	in := "\uFEFF# 注释\n" +
		"加我微信\n" +
		"\n" +
		"  刷单 | scam   # 行尾注释\n" +
		"杀你全家 | 辱骂 | 移出 | 3\n" +
		"!微信支付\n" +
		"=vx\n" +
		"!=微信红包\n" +
		"词 | | warn\n" +
		"加我微信\n" // duplicate: first line wins
	got, err := ParseLexicon(strings.NewReader(in), "cfg/ads.txt", "广告", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Text: "加我微信", Category: "ad", Source: "cfg/ads.txt:2"},
		{Text: "刷单", Category: "scam", Source: "cfg/ads.txt:4"},
		{Text: "杀你全家", Category: "abuse", Action: ActionRemove, Severity: 3, Source: "cfg/ads.txt:5"},
		{Text: "微信支付", Category: "ad", Allow: true, Source: "cfg/ads.txt:6"},
		{Text: "vx", Category: "ad", Exact: true, Source: "cfg/ads.txt:7"},
		{Text: "微信红包", Category: "ad", Allow: true, Exact: true, Source: "cfg/ads.txt:8"},
		{Text: "词", Category: "ad", Action: ActionWarn, Source: "cfg/ads.txt:9"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseLexiconErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty keyword", "好词\n，，。\n", []string{"words.txt:2", "为空"}},
		{"break in keyword", "加....微信\n", []string{"words.txt:1", "断句"}},
		{"bad action", "刷单 | ad | 枪毙\n", []string{"words.txt:1", "不认识的处理方式", "unknown action"}},
		{"bad category", "刷单 | Ad Spam\n", []string{"words.txt:1", "类别"}},
		{"bad strikes", "刷单 | ad | strike | 99\n", []string{"words.txt:1", "1 到 10"}},
		{"too many fields", "a|b|c|d|e\n", []string{"words.txt:1", "最多 4 个"}},
		{"invalid utf8", "\xff\xfe词\n", []string{"words.txt:1", "UTF-8"}},
		{"all errors reported", "，\n好\n。\n", []string{"words.txt:1", "words.txt:3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLexicon(strings.NewReader(tt.in), "words.txt", "ad", "")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := ParseLexicon(strings.NewReader("x"), "w", "ad", "shoot"); err == nil {
		t.Error("bad default action accepted")
	}
	var many strings.Builder
	for range 100 {
		many.WriteString("，\n")
	}
	_, err := ParseLexicon(strings.NewReader(many.String()), "w", "ad", "")
	if n := strings.Count(err.Error(), "\n"); n > maxLexiconErrors+1 {
		t.Errorf("%d error lines, want at most %d", n+1, maxLexiconErrors+1)
	}
}

func TestBuiltinLexicons(t *testing.T) {
	minimum := map[string]int{"ads": 60, "scam": 50, "abuse": 400}
	total := 0
	var all []Entry
	for _, name := range BuiltinLexiconNames() {
		entries, err := BuiltinLexicon(name)
		if err != nil {
			t.Fatal(err)
		}
		block := 0
		for _, e := range entries {
			if !e.Allow {
				block++
			}
			if !strings.HasPrefix(e.Source, "builtin:"+name+":") {
				t.Errorf("entry %q has source %q", e.Text, e.Source)
			}
		}
		if block < minimum[name] {
			t.Errorf("%s has %d block entries, want at least %d", name, block, minimum[name])
		}
		total += block
		all = append(all, entries...)
	}
	if total < 500 {
		t.Errorf("builtin lexicons have %d entries together, want at least 500", total)
	}
	if _, err := BuiltinLexicon("nope"); err == nil || !strings.Contains(err.Error(), "ads") {
		t.Errorf("unknown lexicon error = %v", err)
	}

	// Every built-in word must be findable as written: a word the
	// normaliser or the boundary rules make unmatchable is dead weight.
	m, err := NewMatcher(all)
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		e := &all[i]
		if e.Allow {
			continue
		}
		found := false
		for _, got := range m.FindAll("「" + e.Text + "」") {
			if got.Keyword == e.Text {
				found = true
			}
		}
		if !found && !coveredByAllow(all, e.Text) {
			t.Errorf("builtin %s %q does not match itself", e.Source, e.Text)
		}
	}
}

func coveredByAllow(all []Entry, text string) bool {
	for _, e := range all {
		if e.Allow && strings.Contains(NormalizeString(text), NormalizeString(e.Text)) {
			return true
		}
	}
	return false
}

// ordinaryChat must match nothing at all: no keyword, no detector. These
// are the sentences a filter that is too eager gets wrong.
var ordinaryChat = []string{
	"今天天气不错",
	"大家用微信支付吧",
	"我在微信上看到了",
	"我加你微信吧",
	"有事大家微信群里说",
	"他在群里很有威信",
	"明天一起吃饭吗",
	"我们三个人去爬山",
	"一五一十地告诉我",
	"这个价格有点贵，再便宜点吧",
	"谢谢群主的分享！",
	"周末有空吗？一起打球",
	"会议改到下午三点，请大家准时参加",
	"孩子这次考了一百分，太开心了",
	"欢迎新朋友入群～",
	"请问这个怎么用？",
	"我刚下班，等我一下",
	"家里的猫生了三只小猫",
	"这部电影太好看了，推荐大家去看",
	"有人知道附近哪家医院好吗",
	"我用vxlan搭了个网络",
	"今天的作业是什么？",
	"你真是个天才",
	"收到，马上处理",
	"我们加班到很晚",
	"早上好呀各位",
	"晚安，明天见",
	"这个菜很好吃，怎么做的",
	"买了一斤菠菜和两斤土豆",
	"下载淘宝app看看",
	"股票跌了好多，心疼",
	"信用卡还款日是几号来着",
	"退款已经到账了，谢谢客服",
	"你别傻了，那是开玩笑的",
	"你妈妈身体好吗？",
	"我妈的手机坏了",
	"刷卡还是现金？",
	"给我点个赞吧哈哈",
	"扫码付款就行",
	"微信转账给你了，查收一下",
	"活动今日结束，别错过",
	"昨日赚了点小钱请大家喝奶茶",
	"这是废物利用做的花盆",
	"垃圾分类要做好",
	"今天狗屎运，抽到了一等奖",
	"他摔了个狗吃屎，笑死我了",
	"二百五十元一位",
	"三八妇女节快乐",
	"我家傻狗又拆家了",
	"别操你那份心了",
	"我快饿死了妈妈说马上开饭",
	"我们吃鸡吧，今晚开黑",
	"搬了几把椅子过来",
	"这批肥猪肉不错",
	"网吧包夜太累了",
	"车停在靠北的位置",
	"家电维修提供上门服务",
	"最近在学Python，好难",
	"USB接口坏了",
	"1.5元一斤，便宜",
	"版本号是v1.2.3",
	"会议号 123 456 789",
	"订单号 20241121000123456",
	"我的QQ音乐会员到期了",
	"时间是2024年11月21日",
	"用2B铅笔填涂答题卡",
	"喜欢的书是《三体》",
	"node.js 和 vue.js 都挺好用",
	"README.md 写好了",
	"我今天点了外卖，点了两份",
	"👨‍👩‍👧 一家人出去玩",
	"好的👍",
	"牲畜生产要注意防疫",
	"家禽兽医站在镇上",
	"节能灯低能耗",
	"我赶上了你说的那趟车",
	"我先睡了你也早点睡",
	"想上你家玩可以吗",
	"跟这道题死磕到底，出去死磕也行",
}

func TestOrdinaryChatMatchesNothing(t *testing.T) {
	opts, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := NewRuleset(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(ordinaryChat) < 40 {
		t.Fatalf("only %d ordinary sentences", len(ordinaryChat))
	}
	for _, s := range ordinaryChat {
		for _, r := range rs.CheckText(s) {
			t.Errorf("%q: %s fired: %s (%s, evidence %q)", s, r.Check, r.Reason, r.Rule, r.Evidence)
		}
	}
}
