package engage

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

const day = 24 * time.Hour

func TestCheckinPointsFollowTheDocumentedCurve(t *testing.T) {
	tests := []struct {
		name string
		cfg  config.Checkin
		want []int64 // for streak days 1, 2, 3, …
	}{
		{"defaults", config.Checkin{Base: 10, StreakBonus: 2, MaxBonus: 10}, []int64{10, 12, 14, 16, 18, 20, 20, 20}},
		{"no bonus", config.Checkin{Base: 5}, []int64{5, 5, 5}},
		{"bonus capped below a step", config.Checkin{Base: 1, StreakBonus: 3, MaxBonus: 4}, []int64{1, 4, 5, 5}},
	}
	for _, tc := range tests {
		for i, want := range tc.want {
			if got := checkinPoints(tc.cfg, i+1); got != want {
				t.Errorf("%s: day %d pays %d, want %d", tc.name, i+1, got, want)
			}
		}
	}
	if got := checkinPoints(config.Checkin{Base: 10, StreakBonus: 1_000_000, MaxBonus: 10}, 1<<30); got != 20 {
		t.Errorf("a huge streak must not overflow: %d", got)
	}
}

func TestCheckinOncePerDayStreakAndReset(t *testing.T) {
	h := newHarness(t, "")
	steps := []struct {
		advance time.Duration
		text    string
		reply   string // a fragment of the answer ("" = no answer)
		points  []string
	}{
		{0, "签到", "签到成功 ✅ +10 积分（连续 1 天）\n余额 10 分，排名第 1", []string{"王五 checkin 10 10"}},
		{time.Minute, "签到", "今天已经签到过了～ 连续 1 天，余额 10 分", nil},
		{day, "打卡", "+12 积分（连续 2 天）", []string{"王五 checkin 12 22"}},
		{day, "checkin", "+14 积分（连续 3 天）", []string{"王五 checkin 14 36"}},
		{2 * day, "签到", "+10 积分（连续 1 天）", []string{"王五 checkin 10 46"}}, // missed a day
	}
	for i, s := range steps {
		h.advance(s.advance)
		h.say("王五", s.text)
		sends, _, outcomes := h.take()
		if len(sends) != 1 || !strings.Contains(sends[0].text, s.reply) || !strings.HasPrefix(sends[0].text, "@王五") {
			t.Fatalf("step %d (%s): want one answer mentioning 王五 with %q, got %+v", i+1, s.text, s.reply, sends)
		}
		if got := points(outcomes); !slices.Equal(got, s.points) {
			t.Errorf("step %d: points %v, want %v", i+1, got, s.points)
		}
	}
	h.ledgerMatchesBalances()
}

func TestCheckinDayFollowsTheConfiguredTimezone(t *testing.T) {
	// 23:59 and 00:01 Beijing time are two days, though both are the same UTC day.
	start := time.Date(2026, 11, 21, 15, 59, 0, 0, time.UTC)
	h := newHarnessOn(t, "", filepath.Join(t.TempDir(), "q.db"), start)
	h.say("王五", "签到")
	h.advance(2 * time.Minute)
	h.say("王五", "签到")
	_, _, outcomes := h.take()
	if got := points(outcomes); !slices.Equal(got, []string{"王五 checkin 10 10", "王五 checkin 12 22"}) {
		t.Fatalf("midnight in Asia/Shanghai starts a new day: %v", got)
	}
}

// A member who retries 签到 gets one "already" answer per command cooldown; hammering it
// makes the bot say nothing more.
func TestRepeatedCheckinIsAnsweredOncePerCooldown(t *testing.T) {
	h := newHarness(t, "")
	h.say("王五", "签到")
	h.take()
	var answers []int
	for i, gap := range []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second, 30 * time.Second, time.Hour} {
		h.advance(gap)
		h.say("王五", "签到")
		if n := len(h.texts()); n > 0 {
			answers = append(answers, i+1)
		}
	}
	if !slices.Equal(answers, []int{1, 4, 5}) {
		t.Fatalf("answered repeats %v, want [1 4 5] (first retry, then once the 30 s cooldown has passed)", answers)
	}
	if b := h.balance("王五"); b != 10 {
		t.Fatalf("repeats must not pay: balance %d", b)
	}
}

func TestReplayedCheckinPaysOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	h := newHarnessOn(t, "", db, harnessT0)
	h.sayID("msg-1", "王五", "签到")
	h.sayID("msg-1", "王五", "签到") // caught by the engine's in-memory ring
	if got := len(h.texts()); got != 1 {
		t.Fatalf("a replayed message is answered once, got %d answers", got)
	}
	// A restarted engine has an empty ring: the processed table stops the replay. The first
	// one stops and closes its store first: one process per database (storage/lock.go).
	h.e.Stop(context.Background())
	if err := h.st.Close(); err != nil {
		t.Fatal(err)
	}
	h2 := newHarnessOn(t, "", db, harnessT0.Add(time.Minute))
	h2.sayID("msg-1", "王五", "签到")
	if sends, _, outcomes := h2.take(); len(sends) != 0 || len(outcomes) != 0 {
		t.Fatalf("a replay after restart changes nothing: %v %v", sends, outcomes)
	}
	// A different message on the same day is a repeat, never a second payment.
	h2.sayID("msg-2", "王五", "签到")
	if b := h2.balance("王五"); b != 10 {
		t.Fatalf("balance %d after a replay and a repeat, want 10", b)
	}
	// Even with the check-in row gone, the ledger reference (group, member, day) refuses
	// to pay the day twice.
	m := h2.member("王五")
	err := h2.st.Update(context.Background(), func(tx *storage.Tx) error {
		_, applied, err := tx.AddPoints(storage.PointsEntry{GroupKey: m.GroupKey, MemberKey: m.Key, Delta: 10,
			Reason: storage.ReasonCheckin, Ref: checkinRef(m, "2026-11-21"), Time: harnessT0, Day: "2026-11-21"})
		if applied {
			t.Error("the check-in reference of 2026-11-21 must already be in the ledger")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h2.ledgerMatchesBalances()
}

func TestMessagePointsRules(t *testing.T) {
	h := newHarness(t, "")
	tests := []struct {
		name   string
		member string
		text   string
		kind   bot.MessageKind
		pays   bool
	}{
		{"a real message", "王五", "今天读完了第三章", bot.KindText, true},
		{"five characters exactly", "王五", "好好好好好", bot.KindText, true},
		{"too short", "王五", "好的好的", bot.KindText, false},
		{"punctuation and emoji do not count", "王五", "。。。。。！！！😀😀😀", bot.KindText, false},
		{"an image has no words", "王五", "", bot.KindImage, false},
		{"a command is not chat", "王五", "积分", bot.KindText, false},
		{"caught by moderation", "王五", "有兴趣的加微信详聊哦", bot.KindText, false},
		{"a duplicate", "王五", "[dup] 今天读完了第三章", bot.KindText, false},
		{"while muted", "禁言者", "我被禁言了还在说话", bot.KindText, false},
		{"the owner's own", "群主", "大家早上好呀今天读什么", bot.KindText, false},
	}
	for _, tc := range tests {
		h.advance(time.Minute)
		if tc.kind == bot.KindText {
			h.say(tc.member, tc.text)
		} else {
			h.sayKind(tc.member, tc.kind)
		}
		_, _, outcomes := h.take()
		got := points(outcomes)
		if tc.pays && (len(got) != 1 || !strings.Contains(got[0], "message 1")) {
			t.Errorf("%s: want one message point, got %v", tc.name, got)
		}
		if !tc.pays && len(got) != 0 {
			t.Errorf("%s: want no points, got %v", tc.name, got)
		}
	}
}

func TestMessagePointsDailyCap(t *testing.T) {
	h := newHarness(t, "")
	for range 25 {
		h.advance(time.Minute)
		h.say("王五", "今天的章节真有意思")
	}
	if b := h.balance("王五"); b != 20 {
		t.Fatalf("25 messages earn at most the daily cap of 20, got %d", b)
	}
	h.advance(day)
	h.say("王五", "新的一天继续读书")
	if b := h.balance("王五"); b != 21 {
		t.Fatalf("the cap resets the next local day: balance %d, want 21", b)
	}
	h.ledgerMatchesBalances()
}

func TestAmbiguousMemberGetsNoPoints(t *testing.T) {
	h := newHarness(t, "")
	h.say("王五", "大家好我是王五") // session id 王五
	// Two members with the same names, then a re-login (a new session, new ids): the
	// engine cannot tell which of them speaks, so the speaker may not earn on a guess.
	for _, id := range []string{"x1", "x2"} {
		h.e.Handle(context.Background(), bot.Event{Type: bot.EventMessage, ID: "amb-" + id, Time: h.clock.Now(),
			Group: bot.GroupInfo{ID: testGroup, Name: testGroup}, Sender: bot.MemberInfo{ID: id, Nickname: "李四"}, Kind: bot.KindText, Text: "我也来说两句话"})
	}
	h.take()
	h.e.Handle(context.Background(), bot.Event{Type: bot.EventMessage, ID: "amb-3", Time: h.clock.Now(),
		Group: bot.GroupInfo{ID: testGroup, Name: testGroup}, Sender: bot.MemberInfo{ID: "x3", Nickname: "李四"}, Kind: bot.KindText, Text: "签到",
		Session: "relogin"})
	sends, _, outcomes := h.take()
	if len(points(outcomes)) != 0 {
		t.Fatalf("an ambiguous sender earns nothing: %v", points(outcomes))
	}
	if len(sends) != 1 || !strings.Contains(sends[0].text, "认不准") {
		t.Fatalf("an ambiguous 签到 is told why nothing happened: %+v", sends)
	}
	for i := range 3 {
		h.e.Handle(context.Background(), bot.Event{Type: bot.EventMessage, ID: fmt.Sprint("amb-again-", i), Time: h.clock.Now(),
			Group: bot.GroupInfo{ID: testGroup, Name: testGroup}, Sender: bot.MemberInfo{ID: "x3", Nickname: "李四"}, Kind: bot.KindText, Text: "签到",
			Session: "relogin"})
	}
	if sends, _, _ := h.take(); len(sends) != 0 {
		t.Fatalf("the answer is given once per cooldown, not per message: %+v", sends)
	}
}

func TestAdminAdjustments(t *testing.T) {
	h := newHarness(t, "")
	h.say("王五", "签到")
	h.say("李四", "大家好呀我是李四")
	h.say("管理员", "大家好呀我是管理员")
	h.setRole("管理员", storage.RoleAdmin)
	h.take()

	tests := []struct {
		who, text string
		reply     string // fragment; "" = silence
		balance   int64  // 王五's balance afterwards
	}{
		{"李四", "加分 @王五 100 自己人", "", 10}, // a plain member: silence, nothing changes
		{"群主", "加分 @王五 100 读书笔记写得好", "✅ 已给 @王五\u2005加 100 积分（读书笔记写得好），现在 110 分。", 110},
		{"管理员", "扣分 @王五 30 刷屏", "扣 30 积分（刷屏），现在 80 分", 80},
		{"管理员", "addpoints @王五 5", "加 5 积分，现在 85 分", 85},
		{"管理员", "加分 @王五 abc", "「abc」不是分数", 85},
		{"管理员", "加分 @王五 -5", "分数要写正整数；要扣分请用「扣分」", 85},
		{"管理员", "扣分 @王五 -5", "要加分请用「加分」", 85},
		{"管理员", "加分 @王五 0", "分数要大于 0", 85},
		{"管理员", "加分 @王五 99999999999999999999", "一次最多加 10000 分", 85},
		{"管理员", "加分 @王五 10001", "一次最多加 10000 分", 85},
		{"管理员", "加分 @王五 1;DROP TABLE points_ledger", "不是分数", 85},
		{"管理员", "加分 @王五 {{.Rules}}", "「{{.Rules}}」不是分数", 85},
		{"管理员", "加分 @赵六 5 奖励", "找不到成员「赵六」", 85},
		{"管理员", "加分 10 奖励", "请 @ 要加分的成员", 85},
		{"管理员", "加分 @王五", "请写上分数", 85},
		{"管理员", "加分 @王五 １０ 全角数字", "加 10 积分（全角数字）", 95},
		{"管理员", "扣分 @王五 200 违规", "现在 -105 分", -105}, // only an admin's hand goes below zero
	}
	before := int64(10)
	for _, tc := range tests {
		h.advance(time.Second)
		h.say(tc.who, tc.text)
		texts := h.texts()
		if tc.reply == "" && len(texts) != 0 {
			t.Errorf("%s: %q must get no answer, got %q", tc.who, tc.text, texts)
		}
		if tc.reply != "" && (len(texts) != 1 || !strings.Contains(texts[0], tc.reply)) {
			t.Errorf("%s: %q: want an answer with %q, got %q", tc.who, tc.text, tc.reply, texts)
		}
		if changed := tc.balance != before; tc.reply != "" && !changed && len(texts) == 1 && !strings.Contains(texts[0], "\n用法：加分 @成员 分数 [原因]") && !strings.Contains(texts[0], "\n用法：扣分 @成员 分数 [原因]") {
			t.Errorf("%s: %q: a malformed command answers with the usage line, got %q", tc.who, tc.text, texts[0])
		}
		before = tc.balance
		if b := h.balance("王五"); b != tc.balance {
			t.Errorf("%s: %q: balance %d, want %d", tc.who, tc.text, b, tc.balance)
		}
	}
	h.ledgerMatchesBalances()
}

func TestAdminAdjustsSeveralMembersAtOnce(t *testing.T) {
	h := newHarness(t, "")
	h.say("王五", "大家好呀我是王五")
	h.say("李四", "大家好呀我是李四")
	h.take()
	h.say("群主", "加分 @王五 @李四 @王五 20 活动奖励")
	sends, _, outcomes := h.take()
	if len(sends) != 1 || !slices.Equal(sends[0].mentions, []string{"王五", "李四"}) || !strings.Contains(sends[0].text, "各加 20 积分（活动奖励）") {
		t.Fatalf("one answer naming both: %+v", sends)
	}
	if got := points(outcomes); !slices.Equal(got, []string{"王五 admin 20 21", "李四 admin 20 21"}) {
		t.Fatalf("points %v", got)
	}
}

const catalogue = `
groups:
  读书会:
    redeem:
      items:
        - {name: 书签, cost: 15}
        - {name: 1元优惠券, cost: 100}
`

func TestRedeem(t *testing.T) {
	h := newHarness(t, catalogue)
	h.say("王五", "签到") // 10 points
	h.take()
	tests := []struct {
		text    string
		reply   string
		balance int64
		dm      bool
	}{
		{"兑换", "🎁 可兑换（你有 10 积分）：\n1. 书签 — 15 积分\n2. 1元优惠券 — 100 积分", 10, false},
		{"兑换 1", "积分不够：「书签」要 15 积分，你现在有 10 积分。\n用法：兑换 [编号]", 10, false},
		{"兑换 -1", "不是商品编号", 10, false},
		{"兑换 0", "没有这个编号的商品（编号是 1 到 2）", 10, false},
		{"兑换 3", "没有这个编号的商品", 10, false},
		{"兑换 99999999999999999999", "没有这个编号的商品", 10, false},
		{"兑换 书签", "「书签」不是商品编号", 10, false},
	}
	for _, tc := range tests {
		h.advance(31 * time.Second) // past the command cooldown
		h.say("王五", tc.text)
		sends, dms, _ := h.take()
		if len(sends) != 1 || !strings.Contains(sends[0].text, tc.reply) {
			t.Errorf("%q: want %q, got %+v", tc.text, tc.reply, sends)
		}
		if len(dms) != 0 {
			t.Errorf("%q: the owner is only told about real redemptions: %+v", tc.text, dms)
		}
		if b := h.balance("王五"); b != tc.balance {
			t.Errorf("%q: balance %d, want %d", tc.text, b, tc.balance)
		}
	}
	h.say("群主", "加分 @王五 10 奖励")
	h.advance(31 * time.Second)
	h.take()
	h.say("王五", "兑换1")
	sends, dms, outcomes := h.take()
	if len(sends) != 1 || !strings.Contains(sends[0].text, "兑换成功 🎉「书签」，扣除 15 积分，余额 5 分") {
		t.Fatalf("redeem: %+v", sends)
	}
	if len(dms) != 1 || dms[0].to != bot.Filehelper || !strings.Contains(dms[0].text, "读书会") || !strings.Contains(dms[0].text, "王五") || !strings.Contains(dms[0].text, "书签") {
		t.Fatalf("the owner's file helper is asked to hand it out: %+v", dms)
	}
	if got := points(outcomes); !slices.Equal(got, []string{"王五 redeem -15 5"}) {
		t.Fatalf("points %v", got)
	}
	h.ledgerMatchesBalances()
}

func TestRedeemClosedWithoutCatalogue(t *testing.T) {
	h := newHarness(t, "")
	h.say("王五", "兑换 1")
	if texts := h.texts(); len(texts) != 1 || !strings.Contains(texts[0], "暂未开放") {
		t.Fatalf("no catalogue: %q", texts)
	}
}

// Engine cooldowns (commands.cooldown) cover the engagement commands: one answer per
// member per command per 30 s; admins and the owner are exempt.
func TestCommandCooldownCoversEngagement(t *testing.T) {
	h := newHarness(t, "")
	for _, cmd := range []string{"积分", "排行榜", "发言榜", "兑换", "补签"} {
		h.say("王五", cmd)
		h.say("王五", cmd)
		if n := len(h.texts()); n != 1 {
			t.Errorf("%s twice within the cooldown: %d answers, want 1", cmd, n)
		}
	}
	h.advance(31 * time.Second)
	h.say("王五", "积分")
	if n := len(h.texts()); n != 1 {
		t.Errorf("after the cooldown 积分 answers again")
	}
	h.say("群主", "积分")
	h.say("群主", "积分")
	if n := len(h.texts()); n != 2 {
		t.Errorf("the owner is exempt from the cooldown: %d answers", n)
	}
}

func TestPointsBoardsAndQuery(t *testing.T) {
	h := newHarness(t, "")
	h.say("王五", "签到")
	h.say("李四", "今天读到了第五章")
	h.say("李四", "这一章讲得真好啊")
	h.say("赵六", "只是路过看看大家")
	h.take()
	h.say("李四", "积分")
	if texts := h.texts(); len(texts) != 1 || texts[0] != "@李四\u2005你有 2 积分，排名第 2。\n今天还没签到，发送「签到」领积分吧～" {
		t.Fatalf("积分: %q", texts)
	}
	h.advance(31 * time.Second)
	h.say("李四", "积分 @王五")
	if texts := h.texts(); len(texts) != 1 || !strings.Contains(texts[0], "王五 有 10 积分，排名第 1，连续签到 1 天。") {
		t.Fatalf("积分 @王五: %q", texts)
	}
	h.say("赵六", "排行榜")
	if texts := h.texts(); len(texts) != 1 || texts[0] != "🏆 积分排行榜\n1. 王五  10 分\n2. 李四  2 分\n3. 赵六  1 分" {
		t.Fatalf("排行榜: %q", texts)
	}
	h.say("赵六", "发言榜")
	if texts := h.texts(); len(texts) != 1 || texts[0] != "🔥 本周发言榜（11-16 起）\n1. 李四  2 条\n2. 赵六  1 条" {
		t.Fatalf("发言榜 counts valid messages of this week (commands are not chat): %q", texts)
	}
}

const makeupConfig = `
defaults:
  checkin:
    makeup: {enabled: true, cost: 30, max_days: 3}
`

func TestMakeupJoinsTheStreak(t *testing.T) {
	h := newHarness(t, makeupConfig)
	h.say("王五", "补签")
	if texts := h.texts(); len(texts) != 1 || !strings.Contains(texts[0], "你还没有签到过") {
		t.Fatalf("nothing to make up before the first check-in: %q", texts)
	}
	h.say("王五", "签到") // day 1: 10
	h.advance(day)
	h.say("王五", "签到") // day 2: 12 → 22
	h.advance(2 * day)
	h.say("王五", "签到") // day 4 after missing day 3: streak 1, 10 → 32
	h.take()
	h.say("王五", "补签")
	sends, _, outcomes := h.take()
	if len(sends) != 1 || !strings.Contains(sends[0].text, "补签成功 ✅ 补上了 11-23，花费 30 积分。\n现在连续签到 4 天，余额 2 分。") {
		t.Fatalf("补签: %+v", sends)
	}
	if got := points(outcomes); !slices.Equal(got, []string{"王五 redeem -30 2"}) {
		t.Fatalf("points %v", got)
	}
	h.advance(day)
	h.say("王五", "签到")
	if texts := h.texts(); len(texts) != 1 || !strings.Contains(texts[0], "+18 积分（连续 5 天）") {
		t.Fatalf("the next day continues the joined streak: %q", texts)
	}
	h.advance(time.Minute)
	h.say("王五", "补签")
	if texts := h.texts(); len(texts) != 1 || !strings.Contains(texts[0], "最近 3 天没有漏签") {
		t.Fatalf("nothing left to make up: %q", texts)
	}
	h.ledgerMatchesBalances()
}

func TestMakeupNeedsPointsAndIsOffByDefault(t *testing.T) {
	h := newHarness(t, makeupConfig)
	h.say("王五", "签到")
	h.advance(2 * day)
	h.take()
	h.say("王五", "补签")
	if texts := h.texts(); len(texts) != 1 || !strings.Contains(texts[0], "补签要 30 积分，你现在有 10 积分") {
		t.Fatalf("not enough points: %q", texts)
	}
	if b := h.balance("王五"); b != 10 {
		t.Fatalf("a refused make-up changes nothing: %d", b)
	}
	off := newHarness(t, "")
	off.say("王五", "补签")
	if texts := off.texts(); len(texts) != 1 || !strings.Contains(texts[0], "没有开启补签") {
		t.Fatalf("off by default: %q", texts)
	}
}

const autoReplyConfig = `
groups:
  读书会:
    auto_replies:
      - triggers: [怎么报名, 如何报名]
        reply: "{{.Mention}}报名请看群公告～"
        cooldown: 10m
      - triggers: [排行榜]
        match: exact
        reply: "不会被用到：排行榜是命令"
      - triggers: [几点开始]
        match: exact
        reply: "{{.Name}}：每周日晚 8 点开始。"
        cooldown: 10s
`

func TestAutoReplies(t *testing.T) {
	h := newHarness(t, autoReplyConfig)
	steps := []struct {
		advance time.Duration
		who     string
		text    string
		want    string // the answer, "" = none
	}{
		{0, "王五", "请问怎么 報名呀？", "@王五\u2005报名请看群公告～"},                   // traditional, spaces: normalised
		{time.Minute, "李四", "ＨＩ，如何报名", ""},                            // same rule within its 10m cooldown
		{10 * time.Minute, "李四", "如何报名", "@李四\u2005报名请看群公告～"},         // cooldown over
		{time.Minute, "王五", "排行榜", "2. 李四  1 分"},                      // a command: only the command answers
		{time.Minute, "王五", "几点开始呢", ""},                              // exact: more than the trigger
		{time.Minute, "{{.Group}}", "几点开始", "{{.Group}}：每周日晚 8 点开始。"}, // names are data
		{time.Minute, "王五", "怎么报名加微信", ""},                            // caught by moderation
		{time.Minute, "禁言者", "几点开始", ""},                              // muted
		{time.Minute, "王五", "[dup] 几点开始", ""},                         // duplicate
		{time.Minute, "群主", "几点开始", ""},                               // the owner's own
	}
	for i, s := range steps {
		h.advance(s.advance)
		h.say(s.who, s.text)
		texts := h.texts()
		if s.want == "" && len(texts) != 0 || s.want != "" && (len(texts) != 1 || !strings.HasSuffix(texts[0], s.want)) {
			t.Errorf("step %d: %s: %q → %q, want %q", i+1, s.who, s.text, texts, s.want)
		}
	}
}

func TestWeeklyTopContributors(t *testing.T) {
	h := newHarness(t, `
defaults:
  weekly_top: {top: 2, awards: [30, 10]}
`)
	// Saturday and Sunday: 李四 4 valid, 王五 3 valid (+3 caught, +2 duplicates), 赵六 1.
	for _, m := range []struct {
		who, text string
		n         int
	}{
		{"李四", "今天读的书很好看", 4},
		{"王五", "我也觉得这本书不错", 3},
		{"王五", "想要资料的加微信", 3},
		{"王五", "[dup] 我也觉得这本书不错", 2},
		{"赵六", "路过打个招呼吧", 1},
	} {
		for range m.n {
			h.advance(time.Minute)
			h.say(m.who, m.text)
		}
	}
	h.take()
	h.advance(49 * time.Hour) // Monday 09:00 and a bit
	sends, _, outcomes := h.take()
	if len(sends) != 1 {
		t.Fatalf("one post on Monday 09:00, got %+v", sends)
	}
	want := "🌟 过去一周活跃之星（11-16 ~ 11-22）\n🥇 @李四\u20054 条 +30 积分\n🥈 @王五\u20053 条 +10 积分\n谢谢大家的参与，新的一周继续热聊吧！"
	if sends[0].text != want || !slices.Equal(sends[0].mentions, []string{"李四", "王五"}) {
		t.Fatalf("post:\n%q\nwant\n%q (%v)", sends[0].text, want, sends[0].mentions)
	}
	if got := points(outcomes); !slices.Equal(got, []string{"李四 award 30 34", "王五 award 10 13"}) {
		t.Fatalf("awards %v", got)
	}
	// A retried run of the same job and week pays nothing and posts nothing.
	job := weeklyJobName("0 9 * * 1")
	if err := h.e.Update(context.Background(), func(tt *bot.Turn) error { return weeklyTop(tt, job, "0 9 * * 1") }); err != nil {
		t.Fatal(err)
	}
	h.e.Outbox().DeliverDue(context.Background())
	if sends, _, outcomes := h.take(); len(sends) != 0 || len(outcomes) != 0 {
		t.Fatalf("a retried job must not pay or post twice: %+v %v", sends, outcomes)
	}
	// A week without valid messages gets no post.
	h.advance(7 * day)
	if sends, _, _ := h.take(); len(sends) != 0 {
		t.Fatalf("a silent week gets no post: %+v", sends)
	}
	h.ledgerMatchesBalances()
}

func TestWeeklyTopFollowsEachGroupsSchedule(t *testing.T) {
	h := newHarness(t, `
groups:
  读书会:
    weekly_top: {cron: "0 20 * * 0"}
`)
	h.say("王五", "周末读书会见啦")
	h.take()
	h.advance(36 * time.Hour) // Sunday 20:00 passes, Monday 09:00 not yet
	sends, _, _ := h.take()
	if len(sends) != 1 || !strings.Contains(sends[0].text, "11-15 ~ 11-21") {
		t.Fatalf("读书会 posts on its own schedule (Sunday 20:00), covering the 7 days before: %+v", sends)
	}
	h.advance(day)
	if sends, _, _ := h.take(); len(sends) != 0 {
		t.Fatalf("and not again on the default Monday schedule: %+v", sends)
	}
}

func TestParsePositive(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"10", 10, false}, {"+10", 10, false}, {"１０", 10, false}, {"007", 7, false}, {"0", 0, false},
		{"-1", 0, true}, {"1.5", 0, true}, {"", 0, true}, {"+", 0, true}, {"1e3", 0, true}, {"十", 0, true},
		{"99999999999999999999", 1001, false}, // reported as too big, never overflowed
	}
	for _, tc := range tests {
		got, err := parsePositive(tc.in, 1000)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("parsePositive(%q) = %d, %v; want %d, err %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func FuzzParsePositive(f *testing.F) {
	for _, s := range []string{"10", "-1", "１０", "99999999999999999999", "+0", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parsePositive(s, 10000)
		if err == nil && (n < 0 || n > 10001) {
			t.Fatalf("parsePositive(%q) = %d", s, n)
		}
	})
}

func TestDayHelpers(t *testing.T) {
	if got := shiftDay("2026-03-01", -1); got != "2026-02-28" {
		t.Errorf("shiftDay = %s", got)
	}
	for d, want := range map[string]string{"2026-11-23": "2026-11-23", "2026-11-22": "2026-11-16", "2026-11-25": "2026-11-23"} {
		if got := weekStart(d); got != want {
			t.Errorf("weekStart(%s) = %s, want %s", d, got, want)
		}
	}
	if countChars("Hi，你好！😀 12") != 6 {
		t.Errorf("countChars counts letters and digits only")
	}
}

// Message ids grow with time; a message's ledger ref must sort by its id before its group,
// so that new refs append to the ref index (one insertion point, not one per group).
func TestMessageRefsSortByMessageIDAcrossGroups(t *testing.T) {
	turn := func(id string, group int64) *bot.Turn {
		return &bot.Turn{Event: &bot.Event{ID: id}, Group: bot.GroupCtx{Key: group}}
	}
	refs := []string{
		messageRef(turn("7000000000000000001", 9)),
		messageRef(turn("7000000000000000002", 1)),
		messageRef(turn("7000000000000000002", 10)),
		messageRef(turn("7000000000000000003", 2)),
	}
	if !slices.IsSorted(refs) {
		t.Errorf("refs in message order must be sorted, got %q", refs)
	}
	if refs[1] == refs[2] {
		t.Errorf("the same id in two groups must give two refs, got %q twice", refs[1])
	}
}
