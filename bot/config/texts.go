package config

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Texts are the owner's own words for what the bot says to members (YAML `texts:`, under
// defaults or a group). Each text is written with {变量} placeholders — {成员}, {原因} — not
// Go templates: owners edit the file by hand, in Chinese, and a placeholder in braces is
// what WeChat tools they know use. A key the file leaves out says the built-in text
// (TextSpecs), which is exactly what the bot said before texts were configurable.
//
// A line of a text whose placeholders are all empty is left out, so optional lines
// (「📖 {打卡内容}」 on a check-in without words) need no conditionals.
type Texts struct {
	set map[string]Text // only what the file says; nil: all built-in
}

// Vars are the values of a text's placeholders, by name without braces.
type Vars map[string]string

// TextSpec documents one configurable text: its key, the built-in text and its
// placeholders (name → what it holds). docs/TEXTS.md and `bot texts` are made from these.
type TextSpec struct {
	Key     string
	Doc     string // where the text is used
	Default string
	Vars    []TextVar
}

// TextVar is one placeholder of a text.
type TextVar struct {
	Name string
	Doc  string
}

// TextSpecs lists every configurable text in the order docs/TEXTS.md shows them. It is a
// function, not a package variable, so nobody can change the table at run time.
func TextSpecs() []TextSpec {
	// Placeholders shared by many texts.
	varMention := TextVar{"成员", "@该成员（会真的提醒到对方）"}
	varName := TextVar{"昵称", "该成员的群昵称（不 @）"}
	varReason := TextVar{"原因", "违规原因，例如：发送广告关键词「加微信」"}
	varCheckinWord := TextVar{"签到命令", "本群签到用的命令词（commands.rename 改过就是新词）"}
	return []TextSpec{
		// Moderation.
		{Key: "warn", Doc: "处罚阶梯：警告", Default: "{成员}⚠️ 警告：{原因}。{后果}",
			Vars: []TextVar{varMention, varName, varReason, {"后果", "接下来会怎样，例如：再违规将禁言1小时（还剩 2 次机会）。"}}},
		{Key: "mute", Doc: "处罚阶梯：禁言（机器人自己记的禁言：微信，或机器人不是 QQ 群管理员）", Default: "{成员}🔇 禁言{时长}（到 {到期}）：{原因}。{后果}",
			Vars: []TextVar{varMention, varName, varReason, {"时长", "禁言多久，例如 1小时"}, {"到期", "禁言到几点，例如 15:04 或 1月2日 15:04"}, {"后果", "禁言期间发言会怎样、再违规会怎样"}}},
		{Key: "mute_real", Doc: "处罚阶梯：禁言（平台上真的禁言了：QQ 群里机器人是管理员）", Default: "{成员}🔇 已禁言{时长}（到 {到期}）：{原因}。{后果}",
			Vars: []TextVar{varMention, varName, varReason, {"时长", "禁言多久"}, {"到期", "禁言到几点"}, {"后果", "解除禁言后再违规会怎样"}}},
		{Key: "removed", Doc: "处罚阶梯：已移出群（平台能踢人时）", Default: "🚫 {昵称} 已被移出群：{原因}。",
			Vars: []TextVar{varMention, varName, {"原因", "移出原因；多次违规时是「多次违规，最近一次：……」"}}},
		{Key: "remove_requested", Doc: "处罚阶梯：已请群主移出（平台不能踢人时，例如微信）", Default: "{成员}🚫 {原因}，已通知群主将你移出群。",
			Vars: []TextVar{varMention, varName, {"原因", "移出原因；多次违规时是「多次违规，最近一次：……」"}}},
		{Key: "unmute", Doc: "管理员「解除禁言 @x」", Default: "{成员}🔈 已解除禁言。",
			Vars: []TextVar{varMention, varName}},
		{Key: "report.thanks", Doc: "成员「举报 @x」之后的回答（回复会自动 @ 举报的人）", Default: "已转告群主，谢谢你的反馈。"},
		{Key: "mute_reminder", Doc: "禁言期间第一次发言时的提醒（moderation.while_muted: remind）", Default: "{成员}你在禁言中，还剩 {剩余}（到 {到期}）。禁言期间的消息不计积分；再发言将{后果}。",
			Vars: []TextVar{varMention, varName, {"剩余", "还剩多久，例如 45 分钟"}, {"到期", "禁言到几点"}, {"后果", "再发言的处罚，例如 禁言1天"}}},

		// Group rules.
		{Key: "rules", Doc: "成员发「群规」", Default: "📌「{群名}」群规：\n{群规}",
			Vars: []TextVar{{"群名", "群的名字"}, {"群规", "配置里的 rules_text"}}},
		{Key: "rules.none", Doc: "成员发「群规」但没有设置群规", Default: "本群还没有设置群规。"},

		// Newcomers and redemption.
		{Key: "newcomer.intro", Doc: "新人发了自我介绍（见面礼和新人任务；回复会自动 @ 新人）", Default: "欢迎欢迎～{见面礼}\n🌱 新人任务（{截止} 前）：{进度}\n全部完成再得 {奖励} 积分。",
			Vars: []TextVar{{"见面礼", "「见面礼 N 积分已到账 🎁」（没有见面礼时为空）"}, {"截止", "新人任务的截止时间，例如 11月24日 08:00"},
				{"进度", "任务进度，例如 ✅自我介绍 ⬜首次签到 ⬜发言 0/3"}, {"奖励", "全部完成的奖励积分（没有奖励时这一行不发）"}}},
		{Key: "redeem.ok", Doc: "兑换成功（回复会自动 @ 兑换的人）", Default: "兑换成功 🎉「{奖品}」，扣除 {花费} 积分，余额 {余额} 分。群主会尽快为你发放。",
			Vars: []TextVar{{"奖品", "兑换的奖品"}, {"花费", "花了多少积分"}, {"余额", "积分余额"}}},

		// Check-in and points. Answers to a member start with an @ of them, added by the bot.
		{Key: "checkin.ok", Doc: "签到成功（回复会自动 @ 签到的人）", Default: "签到成功 ✅ +{积分} 积分（连续 {连续天数} 天）\n📖 {打卡内容}\n余额 {余额} 分，排名第 {排名}\n{新人任务}",
			Vars: []TextVar{{"积分", "这次签到得的积分"}, {"连续天数", "连续签到天数"}, {"打卡内容", "打卡时写的内容（没写时这一行不发）"}, {"余额", "签到后的积分余额"}, {"排名", "积分排名"}, {"新人任务", "新人三天任务的进度（不是新人时这一行不发）"}}},
		{Key: "checkin.again", Doc: "今天已经签到过，又发签到", Default: "今天已经签到过了～ 连续 {连续天数} 天，余额 {余额} 分，明天再来吧！",
			Vars: []TextVar{{"连续天数", "连续签到天数"}, {"余额", "积分余额"}}},
		{Key: "checkin.note_saved", Doc: "先签到、后补打卡内容", Default: "已记下今天的打卡 ✅\n📖 {打卡内容}",
			Vars: []TextVar{{"打卡内容", "打卡时写的内容"}}},
		{Key: "checkin.makeup_ok", Doc: "补签成功", Default: "补签成功 ✅ 补上了 {日期}，花费 {花费} 积分。\n现在连续签到 {连续天数} 天，余额 {余额} 分。",
			Vars: []TextVar{{"日期", "补上的那一天，例如 11月20日"}, {"花费", "花了多少积分"}, {"连续天数", "补签后的连续天数"}, {"余额", "积分余额"}}},
		{Key: "points.self", Doc: "成员发「积分」查自己", Default: "你有 {积分} 积分，排名第 {排名}。\n收到感谢 {感谢次数} 次 🙏\n{签到情况}",
			Vars: []TextVar{{"积分", "积分余额"}, {"排名", "积分排名"}, {"感谢次数", "收到的感谢次数（0 次时这一行不发）"}, {"签到情况", "下面 points.streak_* 三条之一（没开签到时这一行不发）"}}},
		{Key: "points.streak_today", Doc: "「积分」里：今天已签到", Default: "已连续签到 {连续天数} 天。",
			Vars: []TextVar{{"连续天数", "连续签到天数"}}},
		{Key: "points.streak_not_today", Doc: "「积分」里：有连续签到，今天还没签", Default: "已连续签到 {连续天数} 天，今天还没签到哦。",
			Vars: []TextVar{{"连续天数", "连续签到天数"}}},
		{Key: "points.no_checkin", Doc: "「积分」里：没有连续签到", Default: "今天还没签到，发送「{签到命令}」领积分吧～",
			Vars: []TextVar{varCheckinWord}},
		{Key: "points.other", Doc: "「积分 @某人」查别人", Default: "{昵称} 有 {积分} 积分，排名第 {排名}{附加}。",
			Vars: []TextVar{{"昵称", "被查的人"}, {"积分", "积分余额"}, {"排名", "积分排名"}, {"连续天数", "连续签到天数（0 表示没有）"}, {"感谢次数", "收到的感谢次数"},
				{"附加", "「，连续签到 N 天」「，收到感谢 N 次」（有才写）"}}},

		// Boards.
		{Key: "board.points.title", Doc: "积分排行榜的第一行", Default: "🏆 积分排行榜"},
		{Key: "board.points.line", Doc: "积分排行榜的每一行（不 @，免得一次提醒十个人）", Default: "{名次}. {昵称}  {积分} 分",
			Vars: []TextVar{{"名次", "1、2、3……"}, {"昵称", "成员昵称"}, {"积分", "积分余额"}}},
		{Key: "board.points.empty", Doc: "还没有人有积分", Default: "还没有人有积分，发送「{签到命令}」拿第一笔吧～",
			Vars: []TextVar{varCheckinWord}},
		{Key: "board.active.title", Doc: "本周发言榜的第一行", Default: "🔥 本周发言榜（{起始日} 起）",
			Vars: []TextVar{{"起始日", "本周一，例如 11月16日"}}},
		{Key: "board.active.line", Doc: "本周发言榜的每一行", Default: "{名次}. {昵称}  {条数} 条",
			Vars: []TextVar{{"名次", "1、2、3……"}, {"昵称", "成员昵称"}, {"条数", "本周有效发言条数"}}},
		{Key: "board.active.empty", Doc: "本周还没有人发言", Default: "本周还没有人发言，快来聊两句吧～"},

		{Key: "board.invite.title", Doc: "邀请榜的第一行", Default: "📨 邀请榜"},
		{Key: "board.invite.line", Doc: "邀请榜的每一行", Default: "{名次}. {昵称}  邀请 {人数} 人{仍在群}",
			Vars: []TextVar{{"名次", "1、2、3……"}, {"昵称", "邀请人昵称"}, {"人数", "邀请了几个人"}, {"仍在群", "「（仍在群 N 人）」（有人退群了才写）"}}},
		{Key: "board.invite.empty", Doc: "还没有邀请记录", Default: "还没有邀请记录。拉好朋友进群，每邀请一位可得积分～"},

		// Weekly star.
		{Key: "weekly_star.title", Doc: "每周活跃之星的第一行", Default: "🌟 过去一周活跃之星（{起始日} ~ {结束日}）",
			Vars: []TextVar{{"起始日", "上周第一天"}, {"结束日", "上周最后一天"}}},
		{Key: "weekly_star.line", Doc: "每周活跃之星的每一行（会 @ 上榜的人）", Default: "{名次} {成员}{条数} 条{获谢}{奖励}",
			Vars: []TextVar{{"名次", "🥇🥈🥉，第四名起 4. 5. ……"}, varMention, varName, {"条数", "上周有效发言条数"},
				{"获谢", "「 · 获谢 N 次」（有才写）"}, {"奖励", "「 +N 积分」（有奖励才写）"}}},
		{Key: "weekly_star.footer", Doc: "每周活跃之星的最后一行", Default: "谢谢大家的参与，新的一周继续热聊吧！"},
	}
}

// TextSpecFor returns the spec of a key.
func TextSpecFor(key string) (TextSpec, bool) {
	for _, s := range TextSpecs() {
		if s.Key == key {
			return s, true
		}
	}
	return TextSpec{}, false
}

// Text is one parsed text: its lines, each a run of literal parts and placeholders.
type Text struct {
	Source string
	lines  [][]textPart
}

type textPart struct {
	lit   string
	name  string // a placeholder when non-empty
	isVar bool
}

// ParseText reads a text with {变量} placeholders. A brace that does not close, or closes
// around another brace, is literal text; every {name} must be one of valid (the error
// lists them all, so the owner can pick).
func ParseText(src string, valid []TextVar) (Text, error) {
	t := Text{Source: src}
	var unknown []string
	for _, line := range strings.Split(src, "\n") {
		var parts []textPart
		var lit strings.Builder
		for rest := line; rest != ""; {
			i := strings.IndexByte(rest, '{')
			if i < 0 {
				lit.WriteString(rest)
				break
			}
			lit.WriteString(rest[:i])
			rest = rest[i:]
			end := strings.IndexByte(rest, '}')
			if end < 0 || strings.ContainsRune(rest[1:end], '{') {
				lit.WriteByte('{')
				rest = rest[1:]
				continue
			}
			name := strings.TrimSpace(rest[1:end])
			rest = rest[end+1:]
			if !slices.ContainsFunc(valid, func(v TextVar) bool { return v.Name == name }) {
				if !slices.Contains(unknown, name) {
					unknown = append(unknown, name)
				}
				continue
			}
			if lit.Len() > 0 {
				parts = append(parts, textPart{lit: lit.String()})
				lit.Reset()
			}
			parts = append(parts, textPart{name: name, isVar: true})
		}
		if lit.Len() > 0 {
			parts = append(parts, textPart{lit: lit.String()})
		}
		t.lines = append(t.lines, parts)
	}
	if len(unknown) > 0 {
		quoted := make([]string, len(unknown))
		for i, u := range unknown {
			quoted[i] = "{" + u + "}"
		}
		return Text{}, fmt.Errorf("未知的变量 %s；这段文字能用的变量有：%s / unknown placeholder %s; valid: %s",
			strings.Join(quoted, "、"), varList(valid), strings.Join(quoted, ", "), varList(valid))
	}
	return t, nil
}

func varList(vars []TextVar) string {
	if len(vars) == 0 {
		return "（没有，这段文字不能带变量 / none）"
	}
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = "{" + v.Name + "}"
	}
	return strings.Join(names, " ")
}

// Render fills the placeholders. A line with placeholders that are all empty is dropped.
func (t Text) Render(v Vars) string {
	var b strings.Builder
	first := true
	for _, line := range t.lines {
		var l strings.Builder
		vars, filled := 0, 0
		for _, p := range line {
			if !p.isVar {
				l.WriteString(p.lit)
				continue
			}
			vars++
			if s := v[p.name]; s != "" {
				filled++
				l.WriteString(s)
			}
		}
		if vars > 0 && filled == 0 {
			continue
		}
		if !first {
			b.WriteByte('\n')
		}
		first = false
		b.WriteString(l.String())
	}
	return b.String()
}

// builtinTexts are the built-in texts parsed, once: a check-in's answer should not parse
// its text every time. Computed on first use and never changed.
var builtinTexts = sync.OnceValue(func() map[string]Text {
	out := map[string]Text{}
	for _, s := range TextSpecs() {
		if t, err := ParseText(s.Default, s.Vars); err == nil { // TestTextDefaultsParse: never fails
			out[s.Key] = t
		}
	}
	return out
})

// Text renders the owner's text for key, or the built-in one. An unknown key is a
// programming error: it renders as the key itself, so a test sees it.
func (ts Texts) Text(key string, v Vars) string {
	if t, ok := ts.set[key]; ok {
		return t.Render(v)
	}
	if t, ok := builtinTexts()[key]; ok {
		return t.Render(v)
	}
	return key
}

// Source returns the text in force for key: the owner's or the built-in one.
func (ts Texts) Source(key string) string {
	if t, ok := ts.set[key]; ok {
		return t.Source
	}
	spec, _ := TextSpecFor(key)
	return spec.Default
}

// Set reports whether the file gave its own text for key.
func (ts Texts) Set(key string) bool {
	_, ok := ts.set[key]
	return ok
}

// UnmarshalYAML reads `texts:` — a mapping of keys to texts — over what is already set
// (a group's texts over the defaults' texts). Every unknown key and placeholder is
// reported, each at its line.
func (ts *Texts) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return typeError(n, "texts 要写成「键: 文字」，例如 warn: \"{成员}⚠️ 警告：{原因}。{后果}\" / texts must map keys to texts")
	}
	set := make(map[string]Text, len(ts.set)+len(n.Content)/2)
	for k, v := range ts.set {
		set[k] = v
	}
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		spec, ok := TextSpecFor(k.Value)
		if !ok {
			errs = append(errs, fmt.Sprintf("line %d: 没有「%s」这段文字%s（全部见 docs/TEXTS.md 或 bot texts）/ unknown text key", k.Line, k.Value, suggestText(k.Value)))
			continue
		}
		if v.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Sprintf("line %d: 文字要写成一段字符串；以 { 开头时请加引号，或用 | 另起一行写 / a text must be a string (quote it when it starts with {)", v.Line))
			continue
		}
		src := strings.TrimRight(v.Value, "\n") // a `|` block ends with a newline nobody meant to send
		if strings.TrimSpace(src) == "" {
			errs = append(errs, fmt.Sprintf("line %d: 文字不能为空 / a text must not be empty", v.Line))
			continue
		}
		t, err := ParseText(src, spec.Vars)
		if err != nil {
			errs = append(errs, fmt.Sprintf("line %d: %v", v.Line, err))
			continue
		}
		set[k.Value] = t
	}
	ts.set = set
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// MarshalYAML writes the owner's texts back.
func (ts Texts) MarshalYAML() (any, error) {
	out := make(map[string]string, len(ts.set))
	for k, t := range ts.set {
		out[k] = t.Source
	}
	return out, nil
}

func suggestText(key string) string {
	best, bestDist := "", 4
	for _, s := range TextSpecs() {
		if d := editDistance(key, s.Key); d < bestDist {
			best, bestDist = s.Key, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("，你是不是想写「%s」？", best)
}
