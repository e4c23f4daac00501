package web

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/bot/moderate"
	"qunbot/rules"
	"qunbot/storage"
)

// maxTestText bounds the rule tester's message (WeChat's own limit is lower).
const maxTestText = 16 << 10

type kindOption struct {
	Value, Label string
	Selected     bool
}

// kindLabels name the message kinds in the tester's menu.
func kindLabel(k bot.MessageKind) string {
	switch k {
	case bot.KindText:
		return "文字"
	case bot.KindLink:
		return "链接分享"
	case bot.KindCard:
		return "名片"
	case bot.KindImage:
		return "图片"
	case bot.KindMiniApp:
		return "小程序"
	case bot.KindFile:
		return "文件"
	case bot.KindVideo:
		return "视频"
	case bot.KindVoice:
		return "语音"
	case bot.KindEmoji:
		return "表情"
	case bot.KindRedPacket:
		return "红包"
	case bot.KindTransfer:
		return "转账"
	}
	return string(k)
}

type resultView struct {
	Check     string // the check id, kept for the page's data attributes and tests
	Rule      string // where a keyword came from, in Chinese (「内置广告词库第 12 行：加微信」); "" for detectors
	RuleLabel string // Chinese name of the rule it is reported under
	Category  string // Chinese (广告, 联系方式)
	Action    string
	Strikes   int
	Reason    string
	Evidence  string
	DryRun    bool
	Lead      bool
}

type testerPage struct {
	base
	Groups    []string
	Group     string
	Options   template.HTML // the group menu (names escaped by attrText/show)
	Kinds     []kindOption
	Text      string
	TextArea  template.HTML // Text for the <textarea>, escaped by attrText
	Submitted bool
	Problem   string // why there is no verdict (unmanaged group, moderation off, bad input)
	Marked    template.HTML
	Results   []resultView
	Step      string // what a first offence leads to
	StepNote  string
	DryRun    bool
	Stateful  []string // checks the tester cannot run (they need history)
}

// handleTester shows the form and, on POST, the verdict. It reads the config and runs the
// rules; it never opens a write transaction, so nothing a member could notice changes.
func (s *Server) handleTester(w http.ResponseWriter, r *http.Request) {
	cfg := s.e.Config()
	p := testerPage{base: s.base("规则测试")}
	kind := bot.KindText
	form := r.URL.Query() // a GET may preset the group (links from a group's page)
	if r.Method == http.MethodPost {
		p.Submitted = true
		r.Body = http.MaxBytesReader(w, r.Body, 2*maxTestText)
		if err := r.ParseForm(); err != nil {
			p.Problem = "提交的内容太长或格式不对。"
		}
		form = r.PostForm
		if k, ok := bot.ParseMessageKind(form.Get("kind")); ok && k != bot.KindSystem {
			kind = k
		}
	}
	p.Group, p.Text = form.Get("group"), form.Get("text")
	p.Groups = s.testerGroups(r.Context(), cfg)
	if p.Group == "" && len(p.Groups) > 0 {
		p.Group = p.Groups[0]
	}
	for _, k := range bot.MessageKinds {
		if k != bot.KindSystem {
			p.Kinds = append(p.Kinds, kindOption{Value: string(k), Label: kindLabel(k), Selected: k == kind})
		}
	}
	if p.Submitted && p.Problem == "" {
		s.verdict(&p, cfg, string(kind))
	}
	p.Options, p.TextArea = groupOptions(p.Groups, p.Group), template.HTML(attrText(p.Text))
	s.render(w, r, http.StatusOK, "tester", p)
}

func groupOptions(groups []string, selected string) template.HTML {
	if len(groups) == 0 {
		return `<option value="">（还没有群）</option>`
	}
	var b strings.Builder
	for _, g := range groups {
		b.WriteString(`<option value="` + attrText(g) + `"`)
		if g == selected {
			b.WriteString(" selected")
		}
		b.WriteString(">")
		writeText(&b, visible(g)) // <option> holds text only: hidden characters spelled out
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

// testerGroups lists groups to test against: configured ones and those the bot has seen.
func (s *Server) testerGroups(ctx context.Context, cfg *config.Config) []string {
	set := map[string]bool{}
	for name := range cfg.Groups {
		set[name] = true
	}
	_ = s.e.Store().View(ctx, func(tx *storage.Tx) error {
		groups, err := tx.Groups()
		for _, g := range groups {
			set[g.Name] = true
		}
		return err
	})
	return slices.Sorted(mapKeys(set))
}

func (s *Server) verdict(p *testerPage, cfg *config.Config, kind string) {
	// What the engine sees: valid UTF-8 (a browser sends nothing else, a script might),
	// newlines as WeChat sends them, and trimmed like Turn.Text.
	text := strings.TrimSpace(strings.ReplaceAll(strings.ToValidUTF8(p.Text, "\uFFFD"), "\r\n", "\n"))
	if len(text) > maxTestText {
		p.Problem = "消息太长了（最多 16KB）。"
		return
	}
	p.Text = text
	g, managed := cfg.ForGroup(p.Group)
	if !managed {
		p.Problem = "机器人不管理这个群（配置里没有它，或 all_groups 关闭），不会检查它的消息。"
		return
	}
	if !g.Moderation.Enabled {
		p.Problem = "这个群关闭了内容审核（moderation.enabled: false），不会处罚任何消息。"
		return
	}
	results, err := s.tester.Verdict(cfg, p.Group, kind, text)
	if err != nil {
		p.Problem = "规则无法加载：" + err.Error()
		return
	}
	p.Stateful = stateful(g.Moderation)
	p.Marked = highlight(text, results)
	if len(results) == 0 {
		return
	}
	lead := moderate.Lead(results)
	for i, res := range results {
		name := moderate.RuleName(res)
		p.Results = append(p.Results, resultView{Check: res.Check, Rule: moderate.RuleSource(res), RuleLabel: moderate.RuleLabel(name),
			Category: rules.CategoryLabel(res.Category), Action: actionName(res.Action), Strikes: res.Strikes, Reason: res.Reason, Evidence: res.Evidence,
			DryRun: moderate.RuleDryRun(g.Moderation, name), Lead: i == lead})
	}
	p.Step, p.StepNote = firstOffence(g.Moderation, results[lead], s.e.Capabilities())
	if moderate.ReviewOnly(results) {
		p.Step, p.StepNote = "不处罚：发给群主复核", "这些检查拿不准，消息会进复核队列，由群主标记「广告」或「正常」；标记为广告时才按阶梯处罚。"
	}
	p.DryRun = g.Moderation.DryRun || moderate.RuleDryRun(g.Moderation, moderate.RuleName(results[lead]))
}

func actionName(a string) string {
	switch a {
	case rules.ActionStrike:
		return "记一次（按阶梯处罚）"
	case rules.ActionWarn:
		return "只警告"
	case rules.ActionMute:
		return "直接禁言"
	case rules.ActionRemove:
		return "直接移出"
	case rules.ActionReview:
		return "请群主复核（不处罚）"
	}
	return a
}

// firstOffence is the ladder step a member with a clean record would get.
func firstOffence(mc config.Moderation, lead rules.Result, caps bot.Capabilities) (step, note string) {
	ladder := mc.LadderSteps()
	// A member with no record: this offence's strikes are all there are (a warning adds none).
	st := moderate.StepFor(ladder, lead.Action, max(lead.Strikes, 0))
	step = st.Label()
	switch st.Action {
	case rules.ActionMute:
		if !caps.CanMute {
			step += "（软禁言：机器人记录，期间发言不计积分、再犯升级）"
		}
	case rules.ActionRemove:
		if !caps.CanRemove {
			step += "（微信不能踢人：会请群主手动移出）"
		}
	}
	note = "这是没有违规记录的成员第一次违规时的处罚。实际处罚取决于成员最近 " + rules.DurationZH(ladder.Window) +
		" 内的违规次数：次数越多，阶梯越往后（" + ladderText(ladder) + "）。"
	if lead.Action == rules.ActionWarn {
		note = "这条规则只警告、不计次数，所以不论成员的记录如何都只是警告。"
	}
	return step, note
}

func ladderText(l rules.Ladder) string {
	parts := make([]string, 0, len(l.Steps))
	for _, s := range l.Steps {
		parts = append(parts, s.Label())
	}
	return strings.Join(parts, " → ")
}

// stateful names the checks the tester cannot run: they depend on what came before.
func stateful(mc config.Moderation) []string {
	var out []string
	if mc.Flood.Enabled {
		out = append(out, "刷屏（一段时间内的消息数）")
	}
	if mc.Duplicates.Enabled {
		out = append(out, "重复消息（同样的话说了几遍）")
	}
	out = append(out, "禁言期间发言", "推广白名单的每日限额")
	return out
}

// highlight renders text with every fired check's span marked. Spans are byte offsets
// into text; they are widened to whole characters (a span cutting a multi-byte character
// in half would garble it) and merged where they overlap.
func highlight(text string, results []rules.Result) template.HTML {
	type span struct{ start, end int }
	var spans []span
	for _, r := range results {
		st, en := min(max(r.Span.Start, 0), len(text)), min(max(r.Span.End, 0), len(text))
		for st > 0 && st < len(text) && !utf8.RuneStart(text[st]) {
			st--
		}
		for en < len(text) && !utf8.RuneStart(text[en]) {
			en++
		}
		if en > st {
			spans = append(spans, span{st, en})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var merged []span
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, sp.end)
			continue
		}
		merged = append(merged, sp)
	}
	var b strings.Builder
	at := 0
	for _, sp := range merged {
		writeText(&b, text[at:sp.start])
		b.WriteString("<mark>")
		writeText(&b, text[sp.start:sp.end])
		b.WriteString("</mark>")
		at = sp.end
	}
	writeText(&b, text[at:])
	return template.HTML(b.String())
}
