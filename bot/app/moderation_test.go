package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

func penalties(r simRun) []line { return r.kind("penalty") }

func levels(r simRun) string {
	var out []string
	for _, p := range penalties(r) {
		s := p.str("level")
		if d, _ := p["dry_run"].(bool); d {
			s += "(dry)"
		}
		out = append(out, s)
	}
	return strings.Join(out, ",")
}

const modStart = "@time 2026-11-21 08:00\n@group 读书会\n"

func TestLadderWarnMuteRemoveRequest(t *testing.T) {
	// Steps are at least min_step_gap (10m) apart; the first message while muted only gets a
	// reminder, speaking again climbs.
	r := runScript(t, nil, "", modStart+`王五: 加我薇-信 abc123
@advance 11m
王五: 兼职刷单，日赚五百
王五: 对不起，我不知道不能发
@advance 11m
王五: 我还能说话吗
`, false)
	if got := levels(r); got != "warn,mute,remove" {
		t.Fatalf("ladder = %s, want warn,mute,remove:\n%s", got, r.out)
	}
	p := penalties(r)
	if p[0].str("member") != "王五" || p[0].str("group") != "读书会" || p[0]["strikes"] != float64(1) || p[0].str("rule") == "" {
		t.Errorf("first penalty = %v", p[0])
	}
	if p[2].str("rule") != "mute" || p[2]["strikes"] != float64(3) {
		t.Errorf("a message while muted escalates under rule mute: %v", p[2])
	}
	var warned, request bool
	for _, s := range r.kind("send") {
		if strings.Contains(s.str("text"), "警告") && strings.Contains(s.str("text"), "还剩 1 次机会") && s.mentions()[0] == "王五" {
			warned = true
		}
	}
	for _, d := range r.kind("dm") {
		if d.str("to") == "filehelper" && strings.Contains(d.str("text"), "王五") && strings.Contains(d.str("text"), "读书会") &&
			strings.Contains(d.str("text"), "我还能说话吗") {
			request = true
		}
	}
	if !warned || !request {
		t.Fatalf("want a Chinese warning naming steps left, and a removal request with evidence to the owner:\n%s", r.out)
	}
	if len(r.kind("remove")) != 0 {
		t.Fatal("WeChat cannot remove: no remove action")
	}
}

func TestLadderRemovesWhereThePlatformCan(t *testing.T) {
	r := runScript(t, nil, "", modStart+"王五: 加我薇-信 abc123\n@advance 11m\n王五: 兼职刷单\n王五: 在吗\n@advance 11m\n王五: 还在\n王五: 人呢\n", true)
	rm := r.kind("remove")
	if len(rm) != 1 || rm[0].str("member") != "王五" || rm[0].str("group") != "读书会" {
		t.Fatalf("--can-remove: one remove action:\n%s", r.out)
	}
	if got := levels(r); got != "warn,mute,remove" {
		t.Fatalf("after removal the member is gone; got %s:\n%s", got, r.out)
	}
}

func TestWindowExpiryAndUnwarn(t *testing.T) {
	r := runScript(t, nil, "", modStart+`王五: 加我微信 wx1234567
@advance 31d
王五: 加我微信 wx1234567
@advance 11m
王五: 兼职刷单
me: 撤销警告 @王五
王五: 兼职刷单
`, false)
	if got := levels(r); got != "warn,warn,mute,mute" {
		t.Fatalf("after the window a violation is a warning again; 撤销警告 takes a strike back (and lifts its mute): got %s\n%s", got, r.out)
	}
	var undone bool
	for _, s := range r.kind("send") {
		if strings.Contains(s.str("text"), "已撤销") && strings.Contains(s.str("text"), "已解除禁言") {
			undone = true
		}
	}
	if !undone {
		t.Errorf("撤销警告 says what it undid:\n%s", r.out)
	}
}

func TestDryRunPenalisesNobody(t *testing.T) {
	cfg, err := config.Parse([]byte("defaults:\n  moderation:\n    dry_run: true\n"), "dry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := runScript(t, cfg, "", modStart+"王五: 加我微信 wx1234567\n@advance 11m\n王五: 兼职刷单\n@advance 11m\n王五: 日赚五百私聊我\n", false)
	if got := levels(r); got != "warn(dry),mute(dry),remove(dry)" {
		t.Fatalf("dry run decides the whole ladder: %s\n%s", got, r.out)
	}
	if len(r.kind("send")) != 0 || len(r.kind("dm")) != 0 {
		t.Fatalf("dry run says nothing to anyone:\n%s", r.out)
	}
}

func TestDryRunPerRule(t *testing.T) {
	cfg, err := config.Parse([]byte("defaults:\n  moderation:\n    phone: {enabled: true, dry_run: true}\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := runScript(t, cfg, "", modStart+"王五: 打我电话 13800138000\n王五: 加我微信 wx1234567\n", false)
	if got := levels(r); got != "warn(dry),warn" {
		t.Fatalf("only the phone rule is dry: %s\n%s", got, r.out)
	}
}

func TestPlainMemberCannotModerate(t *testing.T) {
	r := runScript(t, nil, "", modStart+"王五: 大家好\n赵六: 警告 @王五 广告\n赵六: 禁言 @王五 1h\n赵六: 移除 @王五\n赵六: 设为管理员 @赵六\n", false)
	if len(penalties(r)) != 0 || len(r.kind("send")) != 0 || len(r.kind("dm")) != 0 {
		t.Fatalf("a plain member's admin commands change nothing:\n%s", r.out)
	}
}

func TestOwnerGrantsAdminByKey(t *testing.T) {
	r := runScript(t, nil, "", modStart+"王五: 大家好\n赵六: 大家好\nme: 设为管理员 @赵六\n赵六: 警告 @王五 刷屏\n赵六: 加我微信 wx1234567\n", false)
	if got := levels(r); got != "warn" {
		t.Fatalf("an admin can warn and is never penalised: %s\n%s", got, r.out)
	}
	if p := penalties(r)[0]; p.str("member") != "王五" || p.str("rule") != "admin" {
		t.Errorf("the warning is 王五's under rule admin: %v", p)
	}
}

func TestOrdinaryChatIsNeverPenalised(t *testing.T) {
	chat := []string{
		"今天天气不错", "大家用微信支付吧", "我在微信上看到了", "我加你微信吧", "晚上八点共读打卡别忘了",
		"这本书第三章讲得真好", "有人在北京吗？周末一起去图书馆", "我用QQ音乐听的", "刚发了个红包，手慢无哈哈",
		"我的手机号换了，私聊告诉你们", "明天下午3点线上分享，链接群公告里有", "这周读完了《三体》第一部",
		"收到", "好的", "+1", "哈哈哈哈哈", "谢谢群主！", "微信读书上有这本", "我家孩子今年上一年级",
		"2026年11月21日的活动改期了", "电话会议改到周三", "他骂人不对，但我们也别吵了",
	}
	var script strings.Builder
	script.WriteString(modStart)
	for i, c := range chat {
		fmt.Fprintf(&script, "成员%d: %s\n", i%7, c)
	}
	r := runScript(t, nil, "", script.String(), false)
	if p := penalties(r); len(p) != 0 {
		t.Fatalf("ordinary chat penalised: %v\n%s", p, r.out)
	}
}

func TestNicknameScreeningOnJoin(t *testing.T) {
	r := runScript(t, nil, "", modStart+"+加V信abc123领福利\n+王五\n@advance 2m\n", false)
	p := penalties(r)
	if len(p) != 1 || p[0].str("member") != "加V信abc123领福利" || p[0].str("level") != "remove" || p[0].str("rule") != "nickname" {
		t.Fatalf("an ad nickname is a removal request at once: %v\n%s", p, r.out)
	}
	for _, s := range r.kind("send") {
		if strings.Contains(s.str("text"), "欢迎") && strings.Contains(s.str("text"), "加V信") {
			t.Fatalf("no welcome for an ad account:\n%s", r.out)
		}
	}
}

func TestFloodDuplicatesAndKinds(t *testing.T) {
	var script strings.Builder
	script.WriteString(modStart)
	for i := 0; i < 11; i++ {
		fmt.Fprintf(&script, "话痨: 第%d句\n", i)
	}
	// The same short chat from three members is group life; the same ad copy with a link is a wave.
	script.WriteString("@advance 2m\n甲: 今晚的分享太棒了\n乙: 今晚的分享太棒了\n丙: 今晚的分享太棒了\n")
	script.WriteString("甲: 限时特价课程最后三天快来，报名戳 https://ke.example/a\n乙: 限时特价课程最后三天快来，报名戳 https://ke.example/a\n丙: 限时特价课程最后三天快来，报名戳 https://ke.example/a\n")
	script.WriteString("丁: [miniapp] 拼多多砍一刀\n戊: [link] https://book.example/a\n")
	r := runScript(t, nil, "", script.String(), false)
	var rules []string
	for _, p := range penalties(r) {
		rules = append(rules, p.str("member")+":"+p.str("rule"))
	}
	if got := strings.Join(rules, ","); got != "话痨:flood,丙:duplicate,丁:kind" {
		t.Fatalf("flood on the 11th message in 60 s, the 3rd copy across members, a denied kind: got %s\n%s", got, r.out)
	}
}

func TestPromotionQuotaForWhitelisted(t *testing.T) {
	r := runScript(t, nil, "", modStart+"商家: 你好\nme: 白名单 @商家\n商家: 新品上架加我微信 shop8888 咨询\n商家: 再来一条加我微信 shop8888\n", false)
	p := penalties(r)
	if len(p) != 1 || p[0].str("rule") != "promo_quota" {
		t.Fatalf("the first promotion of the day is allowed, the second is over quota: %v\n%s", p, r.out)
	}
}

func TestReplayedViolationStrikesOnce(t *testing.T) {
	cfg := exampleConfig(t)
	st, err := storage.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev := bot.Event{Type: bot.EventMessage, ID: "n1", Group: bot.GroupInfo{ID: "g", Name: "读书会"},
		Sender: bot.MemberInfo{ID: "u1", Nickname: "王五"}, Kind: bot.KindText, Text: "加我微信 wx1234567"}
	for round := 0; round < 2; round++ {
		e, err := bot.New(bot.Options{Config: cfg, Store: st, Platform: nopPlatform{}, Logger: testLogger(t), Modules: mustModules(t, cfg), Pacing: &bot.Pacing{}})
		if err != nil {
			t.Fatal(err)
		}
		e.Start(context.Background())
		e.Handle(context.Background(), ev) // a new engine: only the database remembers
	}
	var n int
	st.DB().QueryRow(`SELECT COUNT(*) FROM strikes`).Scan(&n)
	if n != 1 {
		t.Fatalf("a replayed message must strike once, got %d strikes", n)
	}
}

// An impostor who takes the admin's nickname gets no power: roles are bound to member keys.
func TestRenamedImpostorIsNotAdmin(t *testing.T) {
	cfg := exampleConfig(t)
	st, err := storage.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := &recorder{}
	e, err := bot.New(bot.Options{Config: cfg, Store: st, Platform: nopPlatform{}, Logger: testLogger(t), Modules: mustModules(t, cfg),
		Pacing: &bot.Pacing{}, Observer: out})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e.Start(ctx)
	g := bot.GroupInfo{ID: "g", Name: "读书会"}
	say := func(id string, from bot.MemberInfo, owner bool, text string) {
		e.Handle(ctx, bot.Event{Type: bot.EventMessage, ID: id, Group: g, Sender: from, FromOwner: owner, Kind: bot.KindText, Text: text})
	}
	admin := bot.MemberInfo{ID: "u-admin", Nickname: "老张"}
	victim := bot.MemberInfo{ID: "u-victim", Nickname: "王五"}
	impostor := bot.MemberInfo{ID: "u-imp", Nickname: "小李"}
	say("1", admin, false, "大家好")
	say("2", victim, false, "大家好")
	say("3", impostor, false, "大家好")
	say("4", bot.MemberInfo{ID: "me", Nickname: "群主"}, true, "设为管理员 @老张")
	// The impostor renames himself to the admin's name, then to the owner's.
	impostor.Nickname = "老张"
	say("5", impostor, false, "警告 @王五 广告")
	impostor.Nickname = "群主"
	say("6", impostor, false, "警告 @王五 广告")
	if len(out.outcomes) != 0 {
		t.Fatalf("a renamed member must gain no power: %+v", out.outcomes)
	}
	say("7", admin, false, "警告 @王五 广告")
	if len(out.outcomes) != 1 || out.outcomes[0].Kind != "penalty" {
		t.Fatalf("the real admin can still warn: %+v", out.outcomes)
	}
}

type recorder struct{ outcomes []bot.Outcome }

func (r *recorder) Outcome(o bot.Outcome) {
	if o.Kind == "penalty" {
		r.outcomes = append(r.outcomes, o)
	}
}

type nopPlatform struct{}

func (nopPlatform) Capabilities() bot.Capabilities { return bot.Capabilities{} }
func (nopPlatform) SendText(context.Context, string, string, []string) error {
	return nil
}
func (nopPlatform) SendDM(context.Context, string, string) error              { return nil }
func (nopPlatform) RemoveMember(context.Context, string, string) error        { return bot.ErrNotSupported }
func (nopPlatform) Groups(context.Context) ([]bot.GroupInfo, error)           { return nil, nil }
func (nopPlatform) Members(context.Context, string) ([]bot.MemberInfo, error) { return nil, nil }

func mustModules(t *testing.T, cfg *config.Config) []bot.Module {
	mods, err := Modules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return mods
}

// Ordinary group life ends with no penalty (issue 17): every testdata/ordinary_*.script
// (their goldens pin the rest of what happens).
func TestOrdinaryLifeIsNeverPunished(t *testing.T) {
	scripts, _ := filepath.Glob("testdata/ordinary_*.script")
	if len(scripts) < 4 {
		t.Fatalf("ordinary-life scripts missing: %v", scripts)
	}
	for _, path := range scripts {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r := runScript(t, nil, "", string(src), false)
			if p := penalties(r); len(p) > 0 {
				t.Fatalf("ordinary group life was punished: %v\n%s", p, r.out)
			}
		})
	}
}

func TestTwelveCommandsInAMinuteAreNotAFlood(t *testing.T) {
	var script strings.Builder
	script.WriteString(modStart)
	for _, c := range []string{"帮助", "签到", "积分", "排行榜", "发言榜", "群规", "兑换", "兑换 1", "签到", "积分", "排行榜", "帮助"} {
		fmt.Fprintf(&script, "王五: %s\n", c)
	}
	r := runScript(t, nil, "", script.String(), false)
	if p := penalties(r); len(p) != 0 {
		t.Fatalf("12 commands in a minute: want no penalty, got %v\n%s", p, r.out)
	}
	// Chat still floods: commands are left out, not the member.
	script.WriteString("@advance 1m\n")
	for i := range 11 {
		fmt.Fprintf(&script, "王五: 第%d句\n", i)
	}
	if got := levels(runScript(t, nil, "", script.String(), false)); got != "warn" {
		t.Errorf("11 chat lines in a minute after the commands: levels %q, want one warning", got)
	}
}

func TestSameBlessingFromThreeMembers(t *testing.T) {
	r := runScript(t, nil, "", modStart+"小周: 祝赵六生日快乐！天天开心\n小吴: 祝赵六生日快乐！天天开心\n小郑: 祝赵六生日快乐！天天开心\n", false)
	if p := penalties(r); len(p) != 0 {
		t.Fatalf("three members sending the same blessing: want no penalty, got %v\n%s", p, r.out)
	}
}

// One member repeating their own line is counted on its own, and the warning names nobody
// (it used to say 「之前由 2、3 发送」: internal member numbers).
func TestOwnRepeatWarnsWithoutInternalKeys(t *testing.T) {
	r := runScript(t, nil, "", modStart+"小周: 祝赵六生日快乐！天天开心\n小吴: 祝赵六生日快乐！天天开心\n小吴: 祝赵六生日快乐！天天开心\n小吴: 祝赵六生日快乐！天天开心\n", false)
	p := penalties(r)
	if len(p) != 1 || p[0].str("member") != "小吴" || p[0].str("rule") != "duplicate" {
		t.Fatalf("小吴's own third copy is a repeat, 小周's copy is not counted with it: %v\n%s", p, r.out)
	}
	for _, s := range r.kind("send") {
		if strings.ContainsAny(s.str("text"), "0123456789") && strings.Contains(s.str("text"), "由") {
			t.Errorf("a warning shows member numbers: %q", s.str("text"))
		}
		if !strings.Contains(s.str("text"), "第 3 次") {
			t.Errorf("the warning says it is the member's third copy: %q", s.str("text"))
		}
	}
}

// Admins write durations the way they talk: 禁言 @x 30分钟, 半小时, 1 小时.
func TestMuteCommandReadsChineseDurations(t *testing.T) {
	for spec, want := range map[string]string{"30分钟": "禁言30分钟", "半小时": "禁言30分钟", "1 小时 刷屏": "禁言1小时", "2天": "禁言2天", "1h": "禁言1小时"} {
		r := runScript(t, nil, "", modStart+"王五: 大家好\nme: 禁言 @王五 "+spec+"\n", false)
		p := penalties(r)
		if len(p) != 1 || p[0].str("level") != "mute" {
			t.Errorf("禁言 @王五 %s: want a mute, got %v\n%s", spec, p, r.out)
			continue
		}
		sends := r.kind("send")
		if len(sends) == 0 || !strings.Contains(sends[len(sends)-1].str("text"), want) {
			t.Errorf("禁言 @王五 %s: no notice\n%s", spec, r.out)
		}
		if spec == "1 小时 刷屏" && p[0].str("reason") != "刷屏" {
			t.Errorf("the reason after a spaced duration: %q", p[0].str("reason"))
		}
	}
}

// A member waiting to be removed, or muted now, is not welcomed and not held up as the
// week's 活跃之星 (nor paid its award).
func TestSidelinedMembersAreNotWelcomedOrAwarded(t *testing.T) {
	r := runScript(t, nil, "", modStart+"+王五\n+赵六\n+孙七\nme: 移除 @王五 广告号\nme: 禁言 @赵六 1小时 刷屏\n@advance 2m\n", false)
	sends := r.kind("send")
	welcome := ""
	for _, s := range sends {
		if strings.Contains(s.str("text"), "欢迎") {
			welcome = s.str("text")
		}
	}
	if !strings.Contains(welcome, "孙七") || strings.Contains(welcome, "王五") || strings.Contains(welcome, "赵六") {
		t.Fatalf("only 孙七 is welcomed:\n%s", r.out)
	}

	cfg := exampleConfig(t)
	r = runScript(t, cfg, "", `@time 2026-11-16 09:00
@group 读书会
王五: 今天读完了第三章，很精彩
王五: 第四章讲的是什么呢大家
王五: 我觉得作者写得真好啊
赵六: 我也在读这本书呢
孙七: 周末一起去书店吧
@time 2026-11-22 20:00
me: 移除 @王五 广告号
@time 2026-11-23 09:01
`, false)
	var star string
	for _, s := range r.kind("send") {
		if strings.Contains(s.str("text"), "活跃之星") {
			star = s.str("text")
		}
	}
	if star == "" || strings.Contains(star, "王五") || !strings.Contains(star, "赵六") {
		t.Fatalf("王五 (removal pending) is not the week's star:\n%s", r.out)
	}
}

// Warn → mute → removal request used to happen within one minute. Offences within
// min_step_gap (10m) of the last step are recorded but do not climb; after it the ladder
// climbs as before.
func TestStepGapGivesTimeToBreathe(t *testing.T) {
	r := runScript(t, nil, "", modStart+`王五: 加我微信 wx1234567
王五: 兼职刷单，日赚五百
王五: 日赚五百私聊我
@advance 9m
王五: 兼职刷单，日赚五百
@advance 2m
王五: 兼职刷单，日赚五百
me: 记录 @王五
`, false)
	if got := levels(r); got != "warn,mute" {
		t.Fatalf("a burst is one step; the ladder climbs after 10 minutes: got %s\n%s", got, r.out)
	}
	p := penalties(r)
	if p[1]["strikes"] != float64(2) || !strings.HasSuffix(p[1].str("time"), "T08:11:00+08:00") {
		t.Errorf("the mute comes at 08:11 with 2 strikes (held offences do not count): %v", p[1])
	}
	var record string
	for _, s := range r.kind("send") {
		if strings.Contains(s.str("text"), "的记录") {
			record = s.str("text")
		}
	}
	if strings.Count(record, "记下（未升级）") != 3 {
		t.Errorf("记录 lists the three held offences:\n%s", record)
	}
	// Admins decide for themselves: their commands are never held.
	r = runScript(t, nil, "", modStart+"王五: 加我微信 wx1234567\nme: 警告 @王五 刷屏\n", false)
	if got := levels(r); got != "warn,mute" {
		t.Errorf("an admin's warning within the gap still climbs: %s\n%s", got, r.out)
	}
}

// An apology during a mute gets a reminder, not a removal request; speaking again (after
// the step gap) climbs.
func TestApologyWhileMutedGetsAReminder(t *testing.T) {
	r := runScript(t, nil, "", modStart+`王五: 大家好
me: 禁言 @王五 1小时 刷屏
@advance 2m
王五: 对不起，我不知道不能发
王五: 好的我知道了
`, false)
	for _, p := range penalties(r) {
		if p.str("level") == "remove" {
			t.Fatalf("an apology while muted is not a removal request:\n%s", r.out)
		}
	}
	var notice, reminders []string
	for _, s := range r.kind("send") {
		switch {
		case strings.Contains(s.str("text"), "🔇"):
			notice = append(notice, s.str("text"))
		case strings.Contains(s.str("text"), "你在禁言中"):
			reminders = append(reminders, s.str("text"))
		}
	}
	if len(reminders) != 1 || !strings.Contains(reminders[0], "你在禁言中，还剩 58 分钟") {
		t.Fatalf("one reminder 「你在禁言中，还剩 58 分钟」:\n%s", r.out)
	}
	if len(notice) != 1 || !strings.Contains(notice[0], "第一次发言只会收到提醒") || !strings.Contains(notice[0], "将被警告") {
		t.Errorf("the mute notice says what speaking while muted does: %q", notice)
	}
	if len(r.kind("points")) != 0 {
		t.Errorf("messages while muted earn nothing:\n%s", r.out)
	}
	r = runScript(t, nil, "", modStart+`王五: 加我微信 wx1234567
@advance 11m
王五: 兼职刷单，日赚五百
@advance 2m
王五: 对不起，我不知道不能发
王五: 我真的不知道
@advance 15m
王五: 凭什么禁我
`, false)
	if got := levels(r); got != "warn,mute,remove" {
		t.Errorf("speaking again after the reminder climbs: %s\n%s", got, r.out)
	}
}

func TestWhileMutedSettings(t *testing.T) {
	script := modStart + "王五: 加我微信 wx1234567\n@advance 11m\n王五: 兼职刷单，日赚五百\n@advance 11m\n王五: 对不起\n@advance 11m\n王五: 对不起\n"
	for mode, want := range map[string]string{"strike": "warn,mute,remove", "ignore": "warn,mute", "remind": "warn,mute,remove", "提醒": "warn,mute,remove"} {
		cfg, err := config.Parse([]byte("defaults:\n  moderation:\n    while_muted: "+mode+"\n"), "c.yaml")
		if err != nil {
			t.Fatal(err)
		}
		r := runScript(t, cfg, "", script, false)
		if got := levels(r); got != want {
			t.Errorf("while_muted %s: %s, want %s\n%s", mode, got, want, r.out)
		}
		reminded := strings.Contains(r.out, "你在禁言中")
		if reminded != (mode == "remind" || mode == "提醒") {
			t.Errorf("while_muted %s: reminder sent = %v", mode, reminded)
		}
	}
}
