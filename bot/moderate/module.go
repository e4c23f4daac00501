// Package moderate is the moderation module: it screens every group message with the
// rules package (keywords, contact detectors, message kinds, flood and duplicate windows,
// promotion quotas), puts offences on the penalty ladder (warn → mute → remove, degraded
// honestly where the platform cannot), screens joiners' nicknames, and gives admins their
// commands. Every decision names the checks that fired and is audited before any reply.
package moderate

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/internal/safetext"
	"qunbot/rules"
	"qunbot/storage"
)

// Module is the moderation feature.
type Module struct {
	mu       sync.Mutex
	compiled map[*config.Config]map[string]*compiled // per config (swapped on reload) and group
	byPrint  map[string]*compiled                    // identical settings share one build
	// One tracker per window setting (groups with the same settings share it: the keys
	// it counts by include the group).
	floods map[windowKey]*rules.Flood
	dups   map[windowKey]*rules.Duplicates
	learn  *learner   // the classifier's model and what the owner taught it
	qr     *qrScanner // qr.go; set by Start
}

// windowKey is a window check's setting; every message looks its trackers up by it.
type windowKey struct {
	max, minLength int
	per            time.Duration
}

// New builds the module.
func New() *Module {
	return &Module{compiled: map[*config.Config]map[string]*compiled{}, byPrint: map[string]*compiled{},
		floods: map[windowKey]*rules.Flood{}, dups: map[windowKey]*rules.Duplicates{}, learn: newLearner()}
}

// Name implements bot.Module.
func (m *Module) Name() string { return "moderation" }

// compiled is one group's moderation settings, built into a ruleset.
type compiled struct {
	rs     *rules.Ruleset
	dryRun map[string]bool // rule name → in dry run
	err    error
}

// ruleset returns the compiled rules for a group's settings, building them on first use
// after a config change. Builds are shared between groups with identical settings.
func (m *Module) ruleset(cfg *config.Config, group string, mc config.Moderation) *compiled {
	m.mu.Lock()
	defer m.mu.Unlock()
	groups, ok := m.compiled[cfg]
	if !ok {
		// A new config: forget the old one's builds (they are garbage after a reload).
		m.compiled = map[*config.Config]map[string]*compiled{cfg: {}}
		groups = m.compiled[cfg]
		m.byPrint = map[string]*compiled{}
	}
	if c, ok := groups[group]; ok {
		return c
	}
	fp := fingerprint(mc)
	c, ok := m.byPrint[fp]
	if !ok {
		c = build(mc, m.learn)
		m.byPrint[fp] = c
	}
	groups[group] = c
	return c
}

// fingerprint identifies settings that build the same ruleset.
func fingerprint(mc config.Moderation) string {
	var b strings.Builder
	for _, l := range mc.Lexicons {
		fmt.Fprintf(&b, "%s|%s|%q|%s|%s|%d|%v;", l.Builtin, l.File, l.Words, l.Category, l.Action, l.Strikes, l.DryRun)
	}
	fmt.Fprintf(&b, "%q|%+v|%+v|%+v|%+v|%+v|%+v|%+v|%+v", mc.Allow, mc.Phone, mc.QQ, mc.WeChatID, mc.Links, mc.ZeroWidth, mc.Kinds, mc.Nickname, mc.Spam)
	return b.String()
}

// build turns config into a ruleset. Entries are tagged with their lexicon's rule name
// ("ads@builtin:ads:12"), so a penalty names the rule the admin configured.
func build(mc config.Moderation, l *learner) *compiled {
	c := &compiled{dryRun: dryRunRules(mc)}
	var entries []rules.Entry
	for _, l := range mc.Lexicons {
		list := l.Entries()
		if l.Builtin != "" {
			var err error
			if list, err = rules.BuiltinLexicon(l.Builtin); err != nil {
				c.err = err
				return c
			}
		}
		name := l.RuleName()
		for _, e := range list {
			e.Source = name + "@" + e.Source
			if e.Action == "" || (l.Builtin != "" && l.Action != "" && e.Action == rules.ActionStrike) {
				e.Action = cmp.Or(l.Action, e.Action)
			}
			if e.Severity == 0 {
				e.Severity = l.Strikes
			}
			entries = append(entries, e)
		}
	}
	for _, w := range mc.Allow {
		entries = append(entries, rules.Entry{Text: w, Allow: true, Source: "allow"})
	}
	policy := func(c config.Check) rules.Policy { return rules.Policy{Action: c.Action, Strikes: c.Strikes} }
	allowed := rules.DefaultAllowedKinds()
	for k := range allowed {
		allowed[k] = !slices.Contains(mc.Kinds.Deny, k)
	}
	opts := rules.Options{
		Entries: entries,
		Detectors: rules.DetectorOptions{Phone: mc.Phone.Enabled, QQ: mc.QQ.Enabled, WeChatID: mc.WeChatID.Enabled,
			URL: mc.Links.Enabled, ZeroWidth: mc.ZeroWidth.Enabled, AllowDomains: mc.Links.AllowDomains,
			ContactCode: mc.ContactCode.Enabled, ContactAlias: mc.ContactAlias.Enabled},
		Policies: map[string]rules.Policy{
			rules.CheckPhone:        policy(mc.Phone),
			rules.CheckQQ:           policy(mc.QQ),
			rules.CheckWeChatID:     policy(mc.WeChatID),
			rules.CheckZeroWidth:    policy(mc.ZeroWidth),
			rules.CheckURL:          {Action: mc.Links.Action, Strikes: mc.Links.Strikes},
			rules.CheckMessageKind:  {Action: mc.Kinds.Action, Strikes: mc.Kinds.Strikes},
			rules.CheckFlood:        {Action: mc.Flood.Action, Strikes: mc.Flood.Strikes},
			rules.CheckDuplicate:    {Action: mc.Duplicates.Action, Strikes: mc.Duplicates.Strikes},
			rules.CheckPromoQuota:   {Action: mc.Promotion.Action, Strikes: mc.Promotion.Strikes},
			rules.CheckNickname:     policy(mc.Nickname),
			rules.CheckContactCode:  policy(mc.ContactCode),
			rules.CheckContactAlias: policy(mc.ContactAlias),
			rules.CheckClassifier:   {Action: mc.Classifier.Action, Strikes: mc.Classifier.Strikes},
		},
		AllowedKinds: allowed,
	}
	if opts.Classifier, c.err = l.options(mc); c.err != nil {
		return c
	}
	c.rs, c.err = rules.NewRuleset(opts)
	return c
}

// dryRunRules says, per rule name, whether that rule is in dry run (the global switch
// apart): each lexicon by its name, each detector by its check id.
func dryRunRules(mc config.Moderation) map[string]bool {
	dry := map[string]bool{}
	for _, l := range mc.Lexicons {
		dry[l.RuleName()] = l.DryRun
	}
	for check, d := range map[string]bool{rules.CheckPhone: mc.Phone.DryRun, rules.CheckQQ: mc.QQ.DryRun,
		rules.CheckWeChatID: mc.WeChatID.DryRun, rules.CheckZeroWidth: mc.ZeroWidth.DryRun, rules.CheckURL: mc.Links.DryRun,
		rules.CheckMessageKind: mc.Kinds.DryRun, rules.CheckFlood: mc.Flood.DryRun, rules.CheckDuplicate: mc.Duplicates.DryRun,
		rules.CheckPromoQuota: mc.Promotion.DryRun, rules.CheckNickname: mc.Nickname.DryRun,
		rules.CheckContactCode: mc.ContactCode.DryRun, rules.CheckContactAlias: mc.ContactAlias.DryRun,
		rules.CheckClassifier: mc.Classifier.DryRun} {
		dry[check] = d
	}
	return dry
}

// RuleDryRun reports whether the named rule is in dry run by its own setting (the group's
// global dry_run apart), as the module decides it.
func RuleDryRun(mc config.Moderation, rule string) bool { return dryRunRules(mc)[rule] }

// RuleName is the short, stable name a result is reported under: the lexicon's name for
// keywords, the check id otherwise.
func RuleName(r rules.Result) string {
	if r.Check == rules.CheckKeyword {
		name, _, _ := strings.Cut(r.Rule, "@")
		return name
	}
	return r.Check
}

// Verdict runs the stateless checks on a message without touching any state: what the
// rule tester shows. kind is a message kind ("text", "link", …).
func (m *Module) Verdict(cfg *config.Config, group, kind, text string) ([]rules.Result, error) {
	g, managed := cfg.ForGroup(group)
	if !managed || !g.Moderation.Enabled {
		return nil, nil
	}
	c := m.ruleset(cfg, group, g.Moderation)
	if c.err != nil {
		return nil, c.err
	}
	var out []rules.Result
	if res, ok := c.rs.CheckKind(kind); ok {
		if a, ok := g.Moderation.Kinds.Actions[kind]; ok {
			res.Action = a
		}
		out = append(out, res)
	}
	if kind == string(bot.KindText) || kind == string(bot.KindLink) {
		out = append(out, c.rs.CheckText(text)...)
	}
	return out, nil
}

// Start builds the rules once so a broken lexicon is reported at start, not on the first
// message.
func (m *Module) Start(ctx context.Context, e *bot.Engine) error {
	cfg := e.Config()
	c := m.ruleset(cfg, "", cfg.Defaults.Moderation)
	if c.err != nil {
		return fmt.Errorf("build moderation rules: %w", c.err)
	}
	if err := m.learn.load(ctx, e.Store()); err != nil {
		return fmt.Errorf("load what the classifier learned: %w", err)
	}
	m.qr = newQRScanner(ctx, e, m)
	return nil
}

// Screen checks one group message. It is the first thing that sees a message after the
// engine knows who sent it.
func (m *Module) Screen(t *bot.Turn) error {
	mc := t.Group.Config.Moderation
	if !mc.Enabled || t.Privileged() || t.Event.Kind == bot.KindSystem {
		return nil
	}
	member := t.Member
	// A member waiting to be removed is not punished again: the owner is reminded (at most
	// hourly) and the message earns nothing.
	// Only moderation's own requests count here: a silent member who speaks again has
	// their request cancelled by the schedule module, and what they say is checked as usual.
	if r, pending, err := t.Tx.PendingRemoval(member.Key); err != nil {
		return err
	} else if !pending || !strings.HasPrefix(r.Source, "moderation:") {
		// nothing to do
	} else if t.Now.Sub(r.RequestedAt) > mc.LadderSteps().Window {
		// The owner let a moderation removal request lie for a whole window: it lapses
		// with the strikes that led to it, and the member starts afresh.
		if _, err := t.Tx.CloseRemovals(member.Key, "expired", t.Now); err != nil {
			return err
		}
		if err := t.Audit("remove_expired", member.Key, map[string]any{"removal": r.ID, "requested": r.RequestedAt.UnixMilli()}); err != nil {
			return err
		}
	} else {
		t.Muted = true
		return t.RemindRemoval(member, mc.RemindEvery.D())
	}
	c := m.ruleset(t.Engine().Config(), t.Group.Name, mc)
	if c.err != nil {
		return fmt.Errorf("moderation rules for %s: %w", t.Group.Name, c.err)
	}
	var fired []rules.Result
	mute, muted, err := t.Tx.ActiveMute(member.Key, t.Now)
	if err != nil {
		return err
	}
	remind := false // the first message of this mute: a reminder, unless it is a violation itself
	if muted {
		t.Muted = true
		speaking := rules.Result{Check: "mute", Rule: "mute", Category: "mute", Action: rules.ActionStrike, Strikes: 1,
			Reason: "禁言期间发言", Evidence: fmt.Sprintf("%s（禁言到 %s）", truncate(t.Text(), 200), clock(t, mute.Until))}
		switch mc.WhileMuted {
		case config.WhileMutedIgnore:
		case config.WhileMutedStrike:
			fired = append(fired, speaking)
		default:
			reminded, err := remindedSince(t, member, mute.Since)
			if err != nil {
				return err
			}
			if reminded {
				fired = append(fired, speaking) // told once already: speaking again climbs
			} else {
				remind = true
			}
		}
	}
	if res, ok := c.rs.CheckKind(string(t.Event.Kind)); ok {
		fired = append(fired, res)
	}
	text := scanned(t.Text())
	if text != "" {
		fired = append(fired, c.rs.CheckText(text)...)
		m.learn.remember(member.Key, t.Event.ID, text)
	}
	if fired, err = stricter(t, c, fired); err != nil { // newcomer.go: per-kind actions, newcomer rules
		return err
	}
	m.scanQR(t, fired) // qr.go: an image is searched for a QR code after the turn commits
	// A bot command is a member talking to the bot, not to the group: a newcomer trying
	// every command 帮助 lists is neither flooding nor repeating anyone. (What a command
	// says is still checked above: "签到 加我微信" is an ad.)
	command := t.IsCommand()
	gid, mid := strconv.FormatInt(t.Group.Key, 10), strconv.FormatInt(member.Key, 10)
	if mc.Flood.Enabled && !command {
		if res, ok := m.flood(mc.Flood).Observe(gid, mid, t.Now); ok {
			fired = append(fired, c.rs.Apply(res))
		}
	}
	if mc.Duplicates.Enabled && text != "" && !command {
		if res, ok := m.duplicates(mc.Duplicates).Observe(gid, mid, text, t.Now, waveSignals(t, mc, text, fired)); ok {
			t.Duplicate = true
			fired = append(fired, c.rs.Apply(res))
		}
	}
	fired, err = m.promotions(t, c, fired)
	if err != nil {
		return err
	}
	// Checks that were unsure ask the owner instead of acting; when another check acts
	// they are only part of its audit.
	act, reviews := splitReviews(fired)
	if len(act) == 0 {
		if len(reviews) > 0 && !t.Ambiguous {
			if err := m.requestReview(t, member, text, reviews); err != nil {
				return err
			}
		}
		if remind {
			return remindMuted(t, member, mute)
		}
		return nil
	}
	v := violationFrom(act, c, mc.DryRun)
	v.Checks = fired
	if t.Ambiguous && !t.Shadow {
		// Never punish on a guess: two members match this identity after a re-login. (A
		// shadow's row is its own: no guess.)
		return t.NotifyOwner(fmt.Sprintf("⚠️ 群「%s」里「%s」的消息触发了「%s」，但有重名成员、无法确定是谁，所以没有处罚。",
			safetext.Name(t.Group.Name), safetext.Name(member.Name()), safetext.Quote(v.Reason, safetext.ReasonMax)))
	}
	v.MessageID = t.Event.ID
	d, err := apply(t, member, v, fmt.Sprintf("msg:%d:%s", t.Group.Key, t.Event.ID))
	if err != nil {
		return err
	}
	if d.Applied && !d.DryRun {
		t.Caught = true
	}
	return nil
}

// NewMemberFor is how long after joining a member counts as new to the group when a
// wave of identical messages is judged: a raid of fresh accounts.
const NewMemberFor = 24 * time.Hour

// waveSignals tell the duplicate window what it cannot know about a text repeated by
// several members: whether it carries a link, a contact or a lexicon hit (whatever the
// group's own detector switches say: those decide single messages, this a wave), and
// which senders joined in the last day.
func waveSignals(t *bot.Turn, mc config.Moderation, text string, fired []rules.Result) rules.WaveSignals {
	return rules.WaveSignals{
		Flagged: func() bool {
			for _, r := range fired {
				if r.Check == rules.CheckKeyword || isPromotion(r) {
					return true
				}
			}
			det := rules.DetectorOptions{Phone: true, QQ: true, WeChatID: true, URL: true, AllowDomains: mc.Links.AllowDomains}
			return len(rules.DetectContent(text, det)) > 0
		},
		NewSender: func(member string) bool {
			key, err := strconv.ParseInt(member, 10, 64)
			if err != nil {
				return false
			}
			m, err := t.Tx.Member(key)
			if err != nil {
				return false // not knowing makes nobody new: the wave is judged by its text alone
			}
			return !m.JoinedAt.IsZero() && t.Now.Sub(m.JoinedAt) < NewMemberFor
		},
	}
}

// remindedSince reports whether the member was reminded of their mute since it began.
func remindedSince(t *bot.Turn, m storage.Member, since time.Time) (bool, error) {
	log, err := t.Tx.AuditLog(m.GroupKey, m.Key, 50)
	if err != nil {
		return false, err
	}
	for _, e := range log {
		if e.Time.Before(since) {
			break
		}
		if e.Action == "mute_reminder" {
			return true, nil
		}
	}
	return false, nil
}

// remindMuted answers the first message of a soft-muted member: how long is left and what
// speaking again does. It strikes nothing (an apology is not an offence) and the message
// earns nothing (the turn is Muted).
func remindMuted(t *bot.Turn, m storage.Member, mute storage.Mute) error {
	if err := t.Audit("mute_reminder", m.Key, map[string]any{"until": mute.Until.UnixMilli()}); err != nil {
		return err
	}
	mc := t.Group.Config.Moderation
	strikes, err := t.Tx.StrikeCount(m.Key, t.Now.Add(-mc.LadderSteps().Window), false)
	if err != nil {
		return err
	}
	next := describe(mc.LadderSteps().StepFor(strikes + 1))
	return t.Say(t.Group.Config.Texts.Text("mute_reminder", config.Vars{"成员": bot.Mention(m), "昵称": m.ShownName(),
		"剩余": remaining(mute.Until.Sub(t.Now)), "到期": clock(t, mute.Until), "后果": next}), m)
}

// remaining says how long a mute has left the way the reminder promises it: 「N 分钟」, or
// hours and days for long mutes.
func remaining(d time.Duration) string {
	minutes := int((d + time.Minute - 1) / time.Minute) // a started minute counts
	switch {
	case minutes < 120:
		return fmt.Sprintf("%d 分钟", max(minutes, 1))
	case minutes < 48*60:
		if minutes%60 == 0 {
			return fmt.Sprintf("%d 小时", minutes/60)
		}
		return fmt.Sprintf("%d 小时 %d 分钟", minutes/60, minutes%60)
	}
	return fmt.Sprintf("%d 天 %d 小时", minutes/(24*60), minutes%(24*60)/60)
}

// MaxScanRunes is how much of a message moderation reads: the first 4,096 characters.
// WeChat lets a member paste a very long text; scanning all of it would let one message
// hold up the event loop for everyone (a 100,000-character message would take about as
// long as 300 ordinary ones), while ads and abuse show themselves at the start. The rest
// of an over-long message is not checked: documented in config.example.yaml and README.
const MaxScanRunes = 4096

// scanned is the part of a message moderation checks.
func scanned(text string) string {
	if len(text) <= MaxScanRunes { // bytes ≥ runes: short texts need no count
		return text
	}
	n := 0
	for i := range text {
		if n == MaxScanRunes {
			return text[:i]
		}
		n++
	}
	return text
}

// promotions lets whitelisted members advertise within their daily quota: ad and contact
// hits from them count against the quota instead of striking. Abuse and scams never do.
func (m *Module) promotions(t *bot.Turn, c *compiled, fired []rules.Result) ([]rules.Result, error) {
	if len(fired) == 0 {
		return fired, nil
	}
	for _, r := range fired {
		if !isPromotion(r) {
			return fired, nil
		}
	}
	ok, err := t.Tx.Whitelisted(t.Member.Key)
	if err != nil || !ok {
		return fired, err
	}
	per := t.Group.Config.Moderation.Promotion.PerDay
	n, err := t.Tx.UsePromotion(t.Member.Key, t.Day())
	if err != nil {
		return nil, err
	}
	if n <= per {
		return nil, t.Audit("promotion", t.Member.Key, map[string]any{"count": n, "per_day": per})
	}
	return []rules.Result{c.rs.Apply(rules.Result{Check: rules.CheckPromoQuota, Rule: rules.CheckPromoQuota, Category: "ad",
		Reason: fmt.Sprintf("今天已发 %d 条推广，超过每天 %d 条的限额", n, per), Evidence: truncate(t.Text(), 200), Span: fired[0].Span})}, nil
}

func isPromotion(r rules.Result) bool {
	switch r.Check {
	case rules.CheckPhone, rules.CheckQQ, rules.CheckWeChatID, rules.CheckURL,
		rules.CheckContactCode, rules.CheckContactAlias, rules.CheckClassifier:
		return true
	case rules.CheckKeyword:
		return r.Category == "ad"
	}
	return false
}

var severity = map[string]int{rules.ActionReview: -1, rules.ActionWarn: 0, rules.ActionStrike: 1, rules.ActionMute: 2, rules.ActionRemove: 3}

// Lead is the index of the check that decides when several fire on one message: the most
// severe (remove > mute > strike > warn > review, which only asks the owner), then the one
// with more strikes.
func Lead(fired []rules.Result) int {
	lead := 0
	for i, r := range fired {
		l := fired[lead]
		if severity[r.Action] > severity[l.Action] || (severity[r.Action] == severity[l.Action] && r.Strikes > l.Strikes) {
			lead = i
		}
	}
	return lead
}

// ReviewOnly reports that nothing in fired acts: the message only goes to the owner's
// review queue.
func ReviewOnly(fired []rules.Result) bool {
	act, _ := splitReviews(fired)
	return len(act) == 0 && len(fired) > 0
}

// violationFrom makes one offence of everything that fired on a message: the leading check
// (Lead) names it, and all are kept for the audit. One message is one offence, however many
// checks explain it.
func violationFrom(fired []rules.Result, c *compiled, dryRun bool) Violation {
	lead := fired[Lead(fired)]
	name := RuleName(lead)
	// The member is told the leading reason; every check that fired is in the audit.
	return Violation{Rule: name, Reason: lead.Reason, Evidence: lead.Evidence, Action: lead.Action, Strikes: max(lead.Strikes, 0),
		DryRun: dryRun || c.dryRun[name], Checks: fired, Actor: "bot"}
}

// OnJoin screens newcomers' nicknames: ad accounts often carry their pitch in the name.
func (m *Module) OnJoin(t *bot.Turn, joined []storage.Member) error {
	joined, err := screenBlocked(t, joined) // blocklist.go
	if err != nil {
		return err
	}
	mc := t.Group.Config.Moderation
	if !mc.Enabled || !mc.Nickname.Enabled {
		return nil
	}
	c := m.ruleset(t.Engine().Config(), t.Group.Name, mc)
	if c.err != nil {
		return c.err
	}
	for _, member := range joined {
		if member.Role == storage.RoleAdmin || member.Role == bot.RoleOwner || t.ListedAdmin(member) {
			continue
		}
		fired := c.rs.CheckNickname(strings.TrimSpace(member.Nickname + " " + member.DisplayName))
		if len(fired) == 0 {
			continue
		}
		v := violationFrom(fired, c, mc.DryRun)
		v.Rule = rules.CheckNickname
		v.Evidence = member.Name()
		d, err := apply(t, member, v, fmt.Sprintf("join:%d:%s:%d", t.Group.Key, t.Event.ID, member.Key))
		if err != nil {
			return err
		}
		if d.Applied && !d.DryRun {
			// No welcome for an ad account.
			if err := t.Tx.SetWelcomed(member.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Module) flood(w config.WindowCheck) *rules.Flood {
	key := windowKey{max: w.Max, per: w.Per.D()}
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.floods[key]
	if !ok {
		f = rules.NewFlood(w.Max, w.Per.D())
		m.floods[key] = f
	}
	return f
}

func (m *Module) duplicates(w config.WindowCheck) *rules.Duplicates {
	key := windowKey{max: w.Max, per: w.Per.D(), minLength: w.MinLength}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.dups[key]
	if !ok {
		d = rules.NewDuplicates(rules.DuplicateOptions{Count: w.Max, Window: w.Per.D(), MinRunes: w.MinLength})
		m.dups[key] = d
	}
	return d
}

// RuleSource says in Chinese where a keyword hit came from: 「内置广告词库第 13 行：加我微信」,
// 「词库文件 竞品.txt 第 3 行：某某课程」, 「配置里写的词：某某课程」. Other checks have no
// entry to point at: "".
func RuleSource(r rules.Result) string {
	if r.Check != rules.CheckKeyword {
		return ""
	}
	// Rule is "<rule name>@<source>:<line> <keyword>" (build tags every entry so).
	_, src, _ := strings.Cut(r.Rule, "@")
	src, word, _ := strings.Cut(src, " ")
	where, line := src, ""
	if i := strings.LastIndexByte(src, ':'); i >= 0 {
		where, line = src[:i], src[i+1:]
	}
	switch {
	case strings.HasPrefix(where, "builtin:"):
		name := strings.TrimPrefix(where, "builtin:")
		label := RuleLabel(name)
		if label == name {
			label = ""
		}
		return fmt.Sprintf("内置%s词库第 %s 行：%s", label, line, word)
	case strings.Contains(where, ".words") || strings.HasSuffix(where, "words"):
		return "配置里写的词：" + word
	case where != "" && line != "":
		return fmt.Sprintf("词库文件 %s 第 %s 行：%s", filepath.Base(where), line, word)
	}
	return word
}

// ruleLabels are the Chinese names of the rules moderation reports under.
var ruleLabels = map[string]string{
	"ads": "广告", "scam": "诈骗", "abuse": "辱骂", "words": "违禁词",
	rules.CheckPhone: "手机号", rules.CheckQQ: "QQ号", rules.CheckWeChatID: "微信号", rules.CheckURL: "链接",
	rules.CheckZeroWidth: "隐藏字符", rules.CheckMessageKind: "禁发类型", rules.CheckFlood: "刷屏",
	rules.CheckDuplicate: "重复消息", rules.CheckPromoQuota: "推广超额", rules.CheckNickname: "昵称违规",
	"mute": "禁言中发言", "admin": "管理员处理",
	rules.CheckContactCode: "联系暗号", rules.CheckContactAlias: "暗语引流", rules.CheckClassifier: "疑似广告（分类器）",
	CheckNewcomer: "新人限制", CheckQR: "二维码", "blocklist": "黑名单",
}

// RuleLabel is the Chinese name of a rule for reports and the dashboard; a lexicon the
// admin named keeps its own name.
func RuleLabel(rule string) string {
	if l, ok := ruleLabels[rule]; ok {
		return l
	}
	return rule
}
