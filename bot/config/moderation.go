package config

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"qunbot/rules"
)

// Moderation configures the keyword filter, detectors and the penalty ladder. Each check
// has the same knobs: enabled, action (strike: the ladder decides; warn: a warning only;
// mute / remove: jump to that step), strikes (how many one hit adds) and dry_run.
type Moderation struct {
	Enabled bool `yaml:"enabled"`
	DryRun  bool `yaml:"dry_run"` // decide and log everything, tell nobody
	// Recall: recall (delete) the violating message where the platform can (QQ, when the
	// bot is a group admin). WeChat cannot; there it changes nothing.
	Recall      bool     `yaml:"recall"`
	Ladder      []string `yaml:"ladder"`       // steps: "warn", "mute 1h", "remove"
	Window      Duration `yaml:"window"`       // strikes older than this are forgotten
	RemindEvery Duration `yaml:"remind_every"` // remind the owner of a pending removal at most this often
	// MinStepGap is the least time between two ladder steps of one member: offences within
	// it are recorded but do not climb (warn → mute → removal in one minute left nobody
	// time to read the warning). Admins' own commands and rules that jump straight to mute
	// or removal are not held.
	MinStepGap Duration `yaml:"min_step_gap"`
	// WhileMuted says what a message from a soft-muted member does: WhileMutedRemind (the
	// first gets one reminder and nothing else; later ones climb the ladder),
	// WhileMutedStrike (every one climbs) or WhileMutedIgnore (earns nothing, nothing said).
	WhileMuted string        `yaml:"while_muted"`
	Lexicons   []Lexicon     `yaml:"lexicons"`
	Allow      []string      `yaml:"allow"` // allow-list: 微信支付 cancels 微信 inside it
	Phone      Check         `yaml:"phone"`
	QQ         Check         `yaml:"qq"`
	WeChatID   Check         `yaml:"wechat_id"`
	Links      LinkCheck     `yaml:"links"`
	ZeroWidth  Check         `yaml:"zero_width"`
	Kinds      KindCheck     `yaml:"kinds"`
	Flood      WindowCheck   `yaml:"flood"`
	Duplicates WindowCheck   `yaml:"duplicates"`
	Promotion  PromotionRule `yaml:"promotion"`
	Nickname   Check         `yaml:"nickname"`
	Newcomers  NewcomerRules `yaml:"newcomers"` // stricter for new members (defences.go)
	QR         QRCheck       `yaml:"qr"`        // QR codes in images (defences.go)

	// The disguised-contact detectors and the classifier: classifier.go.
	Spam `yaml:",inline"`

	ladder rules.Ladder
}

// What a message from a soft-muted member does (moderation.while_muted).
const (
	WhileMutedRemind = "remind"
	WhileMutedStrike = "strike"
	WhileMutedIgnore = "ignore"
)

var whileMutedAliases = map[string]string{
	WhileMutedRemind: WhileMutedRemind, "提醒": WhileMutedRemind,
	WhileMutedStrike: WhileMutedStrike, "处罚": WhileMutedStrike, "升级": WhileMutedStrike,
	WhileMutedIgnore: WhileMutedIgnore, "忽略": WhileMutedIgnore, "不管": WhileMutedIgnore,
}

// LadderSteps is the parsed ladder.
func (m Moderation) LadderSteps() rules.Ladder { return m.ladder }

// Check is the common shape of one named check.
type Check struct {
	Enabled bool   `yaml:"enabled"`
	Action  string `yaml:"action"`
	Strikes int    `yaml:"strikes"`
	DryRun  bool   `yaml:"dry_run"`
}

// LinkCheck flags URLs and spelled-out domains (点com).
type LinkCheck struct {
	Enabled      bool     `yaml:"enabled"`
	Action       string   `yaml:"action"`
	Strikes      int      `yaml:"strikes"`
	DryRun       bool     `yaml:"dry_run"`
	AllowDomains []string `yaml:"allow_domains"` // e.g. mp.weixin.qq.com: links to these are fine
}

// KindCheck denies message kinds (mini programs, name cards…).
type KindCheck struct {
	Deny    []string `yaml:"deny"`
	Action  string   `yaml:"action"`
	Strikes int      `yaml:"strikes"`
	DryRun  bool     `yaml:"dry_run"`

	// Actions: a denied kind's own action (card: remove), in place of Action.
	Actions map[string]string `yaml:"actions"`
}

// WindowCheck is "more than Max in Per" (flood) or "the same text Max times in Per"
// (duplicates).
type WindowCheck struct {
	Enabled   bool     `yaml:"enabled"`
	Max       int      `yaml:"max"`
	Per       Duration `yaml:"per"`
	MinLength int      `yaml:"min_length"` // duplicates: shorter texts (收到, 好的) never count
	Action    string   `yaml:"action"`
	Strikes   int      `yaml:"strikes"`
	DryRun    bool     `yaml:"dry_run"`
}

// PromotionRule lets whitelisted members (白名单 @x) advertise within a daily quota.
type PromotionRule struct {
	PerDay  int    `yaml:"per_day"`
	Action  string `yaml:"action"`
	Strikes int    `yaml:"strikes"`
	DryRun  bool   `yaml:"dry_run"`
}

// Lexicon is one word list: a built-in one, a file, or words written inline.
type Lexicon struct {
	Name     string   `yaml:"name"`     // rule name in warnings and the log; defaults to the source
	Builtin  string   `yaml:"builtin"`  // ads | scam | abuse
	File     string   `yaml:"file"`     // one entry a line; relative to the config file
	Words    []string `yaml:"words"`    // inline entries
	Category string   `yaml:"category"` // ad, scam, abuse, … (or 广告, 诈骗, 辱骂 …)
	Action   string   `yaml:"action"`
	Strikes  int      `yaml:"strikes"`
	DryRun   bool     `yaml:"dry_run"`

	entries []rules.Entry
}

// Entries are the lexicon's loaded entries (built-in lists are loaded by the caller).
func (l Lexicon) Entries() []rules.Entry { return l.entries }

// RuleName is the name this lexicon's hits are reported under.
func (l Lexicon) RuleName() string {
	switch {
	case l.Name != "":
		return l.Name
	case l.Builtin != "":
		return l.Builtin
	case l.File != "":
		return strings.TrimSuffix(filepath.Base(l.File), filepath.Ext(l.File))
	}
	return "words"
}

func defaultModeration() Moderation {
	on := func(action string) Check { return Check{Enabled: true, Action: action, Strikes: 1} }
	m := Moderation{
		Enabled:     true,
		Recall:      true,
		Ladder:      []string{"warn", "mute 1h", "remove"},
		Window:      Duration(30 * 24 * time.Hour),
		RemindEvery: Duration(time.Hour),
		MinStepGap:  Duration(10 * time.Minute),
		WhileMuted:  WhileMutedRemind,
		Lexicons: []Lexicon{
			{Builtin: "ads", Action: rules.ActionStrike, Strikes: 1},
			{Builtin: "scam", Action: rules.ActionStrike, Strikes: 1},
			{Builtin: "abuse", Action: rules.ActionStrike, Strikes: 1},
		},
		Allow:      []string{"微信支付", "微信红包", "微信群", "微信读书"},
		Phone:      on(rules.ActionStrike),
		QQ:         on(rules.ActionStrike),
		WeChatID:   on(rules.ActionStrike),
		Links:      LinkCheck{Enabled: false, Action: rules.ActionStrike, Strikes: 1},
		ZeroWidth:  on(rules.ActionStrike),
		Kinds:      KindCheck{Deny: []string{"miniapp", "card"}, Action: rules.ActionStrike, Strikes: 1},
		Flood:      WindowCheck{Enabled: true, Max: 10, Per: Duration(time.Minute), Action: rules.ActionStrike, Strikes: 1},
		Duplicates: WindowCheck{Enabled: true, Max: 3, Per: Duration(10 * time.Minute), MinLength: 6, Action: rules.ActionStrike, Strikes: 1},
		Promotion:  PromotionRule{PerDay: 1, Action: rules.ActionStrike, Strikes: 1},
		Nickname:   on(rules.ActionRemove),
		Spam:       defaultSpam(),
		Newcomers:  DefaultNewcomerRules(),
		QR:         DefaultQRCheck(),
	}
	m.ladder = rules.DefaultLadder()
	return m
}

// moderationValidator loads lexicon files once per config load, however many groups
// share them.
type moderationValidator struct {
	dir    string
	files  map[string]fileLexicon
	models map[string]*rules.Model // classifier model files (classifier.go)
}

type fileLexicon struct {
	entries []rules.Entry
	err     error
}

var knownKinds = []string{"text", "link", "card", "image", "miniapp", "file", "video", "voice", "emoji", "redpacket", "transfer"}

// MessageKinds are the message kinds kinds.deny may name, in the config reference's order:
// bot.MessageKinds without "system" (bot's TestMessageKindsMatchConfig ties the two).
func MessageKinds() []string { return slices.Clone(knownKinds) }

func (v *moderationValidator) validate(g *Group, path string, at reporter) {
	m := &g.Moderation
	p := path + ".moderation"
	ladder, err := rules.ParseLadder(m.Ladder)
	if err != nil {
		at(p+".ladder", "%v", err)
	} else {
		ladder.Window = m.Window.D()
		m.ladder = ladder
	}
	if m.Window.D() < time.Hour {
		at(p+".window", "统计窗口至少 1h（默认 30d）/ window must be at least 1h")
	}
	if gap := m.MinStepGap.D(); gap < 0 || gap > 24*time.Hour || (gap >= m.Window.D() && m.Window.D() > 0) {
		at(p+".min_step_gap", "两步处罚之间的最短间隔应在 0 到 1 天之间（默认 10分钟，0 表示不限），并且短于 window / min_step_gap must be 0–1d and shorter than window")
	}
	if w, ok := whileMutedAliases[strings.TrimSpace(m.WhileMuted)]; ok {
		m.WhileMuted = w
	} else {
		at(p+".while_muted", "禁言期间发言怎么处理：remind（提醒一次，再发言才升级处罚，默认）、strike（每次都升级处罚）或 ignore（不处罚也不提醒），现在是「%s」/ while_muted must be remind, strike or ignore", clip(m.WhileMuted, 20))
	}
	action := func(key, a string, strikes int) {
		if _, err := rules.ParseAction(a); err != nil {
			at(key+".action", "%v", err)
		}
		if strikes < 0 || strikes > 10 {
			at(key+".strikes", "每次命中记 0 到 10 次（默认 1）/ strikes must be 0–10")
		}
	}
	for name, c := range map[string]Check{"phone": m.Phone, "qq": m.QQ, "wechat_id": m.WeChatID, "zero_width": m.ZeroWidth, "nickname": m.Nickname} {
		action(p+"."+name, c.Action, c.Strikes)
	}
	action(p+".links", m.Links.Action, m.Links.Strikes)
	action(p+".kinds", m.Kinds.Action, m.Kinds.Strikes)
	action(p+".flood", m.Flood.Action, m.Flood.Strikes)
	action(p+".duplicates", m.Duplicates.Action, m.Duplicates.Strikes)
	action(p+".promotion", m.Promotion.Action, m.Promotion.Strikes)
	for i, k := range m.Kinds.Deny {
		if !slices.Contains(knownKinds, k) {
			at(fmt.Sprintf("%s.kinds.deny[%d]", p, i), "不认识的消息类型「%s」，可用：%s / unknown message kind", k, strings.Join(knownKinds, " "))
		}
	}
	for _, w := range []struct {
		key string
		c   WindowCheck
	}{{"flood", m.Flood}, {"duplicates", m.Duplicates}} {
		if w.c.Enabled && (w.c.Max < 1 || w.c.Per.D() <= 0) {
			at(p+"."+w.key, "需要 max（至少 1）和 per（时长），例如 max: 10, per: 60s / needs max ≥ 1 and per > 0")
		}
	}
	v.validateClassifier(m, p, at)
	if m.Promotion.PerDay < 0 {
		at(p+".promotion.per_day", "不能为负数 / must not be negative")
	}
	for i := range m.Lexicons {
		v.lexicon(&m.Lexicons[i], fmt.Sprintf("%s.lexicons[%d]", p, i), at)
	}
}

func (v *moderationValidator) lexicon(l *Lexicon, path string, at reporter) {
	sources := 0
	for _, set := range []bool{l.Builtin != "", l.File != "", len(l.Words) > 0} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		at(path, "每个词库只能写 builtin、file、words 其中一项 / a lexicon needs exactly one of builtin, file, words")
		return
	}
	act, err := rules.ParseAction(l.Action)
	if err != nil {
		at(path+".action", "%v", err)
	}
	if l.Strikes < 0 || l.Strikes > 10 {
		at(path+".strikes", "每次命中记 0 到 10 次（默认 1）/ strikes must be 0–10")
	}
	category := l.Category
	switch {
	case l.Builtin != "":
		if !slices.Contains(rules.BuiltinLexiconNames(), l.Builtin) {
			at(path+".builtin", "没有这个内置词库「%s」，可用：%s / unknown builtin lexicon", l.Builtin, strings.Join(rules.BuiltinLexiconNames(), "、"))
		}
		return // built-in lists are loaded by the moderation module
	case l.File != "":
		file := l.File
		if !filepath.IsAbs(file) && v.dir != "" {
			file = filepath.Join(v.dir, file)
		}
		fl, ok := v.files[file]
		if !ok {
			fl = v.loadFile(file, category, act)
			v.files[file] = fl
		}
		if fl.err != nil {
			at(path+".file", "%v", fl.err)
			return
		}
		l.entries = fl.entries
	default:
		if category == "" {
			category = "ad"
		}
		src := strings.Join(l.Words, "\n")
		entries, err := rules.ParseLexicon(strings.NewReader(src), path+".words", category, act)
		if err != nil {
			at(path+".words", "%v", err)
			return
		}
		l.entries = entries
	}
}

func (v *moderationValidator) loadFile(file, category, action string) fileLexicon {
	if category == "" {
		category = "ad"
	}
	data, err := readCapped(file, MaxWordListBytes, "词库文件 / word list") // limits.go
	if err != nil {
		return fileLexicon{err: fmt.Errorf("打不开词库文件 %s / cannot open lexicon file: %w", file, err)}
	}
	entries, err := rules.ParseLexicon(bytes.NewReader(data), file, category, action)
	return fileLexicon{entries: entries, err: err}
}
