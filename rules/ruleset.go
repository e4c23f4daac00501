package rules

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Policy overrides what a check does when it fires.
type Policy struct {
	Action  string // "" keeps the default; see ParseAction
	Strikes int    // 0 keeps the default (1)
}

// Options builds a Ruleset. Policies are keyed by check id ("phone",
// "flood", …) or, for keywords, "keyword:<category>" ("keyword:scam"),
// which wins over plain "keyword". An entry's own Action and Severity win
// over both.
type Options struct {
	Entries      []Entry
	Detectors    DetectorOptions
	Policies     map[string]Policy
	AllowedKinds map[string]bool // nil means DefaultAllowedKinds
	// Classifier adds the statistical check; nil leaves it out.
	Classifier *ClassifierOptions
}

// DefaultOptions is the built-in ads, scam and abuse lexicons with every
// detector on and the default message kinds.
func DefaultOptions() (Options, error) {
	var entries []Entry
	for _, name := range BuiltinLexiconNames() {
		e, err := BuiltinLexicon(name)
		if err != nil {
			return Options{}, err
		}
		entries = append(entries, e...)
	}
	return Options{Entries: entries, Detectors: DefaultDetectorOptions()}, nil
}

// Ruleset is the stateless part of moderation: keywords, content detectors,
// message kinds and nicknames. It is immutable once built and safe for
// concurrent use; the engine builds a new one when the config changes and
// swaps a pointer. The stateful windows (Flood, Duplicates, PromoQuota) are
// separate objects the engine owns; Apply gives their results this
// ruleset's policies.
type Ruleset struct {
	matcher   *Matcher
	detectors DetectorOptions
	policies  map[string]Policy
	kinds     map[string]bool
	cls       *ClassifierOptions
	scratch   sync.Pool // *Normalized
	feats     sync.Pool // *[]feature
}

var knownChecks = []string{
	CheckKeyword, CheckPhone, CheckQQ, CheckWeChatID, CheckURL, CheckZeroWidth,
	CheckMessageKind, CheckFlood, CheckDuplicate, CheckPromoQuota, CheckNickname,
	CheckContactCode, CheckContactAlias, CheckClassifier,
}

// NewRuleset validates the options and builds the matcher.
func NewRuleset(opts Options) (*Ruleset, error) {
	m, err := NewMatcher(opts.Entries)
	if err != nil {
		return nil, fmt.Errorf("build keyword matcher: %w", err)
	}
	policies := make(map[string]Policy, len(opts.Policies))
	for key, p := range opts.Policies {
		check, _, _ := strings.Cut(key, ":")
		if !slices.Contains(knownChecks, check) || (strings.Contains(key, ":") && check != CheckKeyword) {
			return nil, fmt.Errorf("处罚设置 %q: 没有这个检查，可用 %s，或 keyword:<类别> (unknown check in policy)",
				key, strings.Join(knownChecks, " "))
		}
		a, err := ParseAction(p.Action)
		if err != nil {
			return nil, fmt.Errorf("处罚设置 %q: %w", key, err)
		}
		if p.Strikes < 0 || p.Strikes > 10 {
			return nil, fmt.Errorf("处罚设置 %q: 次数应在 0 到 10 之间 (strikes must be 0–10)", key)
		}
		policies[key] = Policy{Action: a, Strikes: p.Strikes}
	}
	kinds := opts.AllowedKinds
	if kinds == nil {
		kinds = DefaultAllowedKinds()
	} else if err := ValidateKinds(kinds); err != nil {
		return nil, err
	}
	det := opts.Detectors
	det.AllowDomains = slices.Clone(det.AllowDomains)
	var cls *ClassifierOptions
	if opts.Classifier != nil {
		c := *opts.Classifier
		if err := c.validate(); err != nil {
			return nil, err
		}
		cls = &c
	}
	return &Ruleset{matcher: m, detectors: det, policies: policies, kinds: maps.Clone(kinds), cls: cls}, nil
}

// Matcher is the ruleset's keyword matcher.
func (r *Ruleset) Matcher() *Matcher { return r.matcher }

// CheckText runs the keyword matcher and the content detectors. Results are
// ordered by position; a keyword match inside a longer one is dropped, so
// "兼职刷单" is reported once rather than also as "刷单".
func (r *Ruleset) CheckText(text string) []Result {
	n, _ := r.scratch.Get().(*Normalized)
	if n == nil {
		n = new(Normalized)
	}
	NormalizeInto(n, text)
	out := r.keywordResults(text, n, nil)
	out = detectContent(text, n, &r.detectors, out)
	for i := range out {
		if out[i].Check != CheckKeyword {
			out[i] = r.Apply(out[i])
		}
	}
	if r.cls != nil {
		out = r.classify(text, n, out)
	}
	if cap(n.Runes) <= maxPooledRunes {
		r.scratch.Put(n)
	}
	slices.SortStableFunc(out, func(a, b Result) int { return cmp.Compare(a.Span.Start, b.Span.Start) })
	return out
}

func (r *Ruleset) keywordResults(text string, n *Normalized, dst []Result) []Result {
	matches := r.matcher.FindNormalized(n, nil)
	if len(matches) == 0 {
		return dst
	}
	// Longest first at each start, then drop whatever a kept match covers.
	slices.SortStableFunc(matches, func(a, b Match) int {
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		return cmp.Compare(b.End, a.End)
	})
	// Every kept match starts at or before m, so m is covered exactly when
	// the furthest end kept so far reaches m's end.
	reach := -1
	for _, m := range matches {
		if m.End <= reach {
			continue
		}
		reach = m.End
		dst = append(dst, r.keywordResult(text, m))
	}
	return dst
}

func (r *Ruleset) keywordResult(text string, m Match) Result {
	e := m.Entry
	evidence := text[m.Start:m.End]
	reason := fmt.Sprintf("发送%s关键词「%s」", CategoryLabel(m.Category), m.Keyword)
	if NormalizeString(evidence) != NormalizeString(m.Keyword) {
		reason += fmt.Sprintf("（原文「%s」）", truncateRunes(evidence, 30))
	}
	rule := m.Keyword
	if e.Source != "" {
		rule = e.Source + " " + m.Keyword
	}
	res := Result{
		Check:    CheckKeyword,
		Rule:     rule,
		Category: m.Category,
		Reason:   reason,
		Span:     Span{m.Start, m.End},
		Evidence: evidence,
	}
	p := r.policyFor(CheckKeyword, m.Category)
	res.Action = cmp.Or(e.Action, p.Action, ActionStrike)
	res.Strikes = cmp.Or(e.Severity, p.Strikes, 1)
	if res.Action == ActionWarn {
		res.Strikes = 0
	}
	return res
}

func (r *Ruleset) policyFor(check, category string) Policy {
	p := r.policies[check]
	if check == CheckKeyword {
		if c, ok := r.policies[CheckKeyword+":"+category]; ok {
			p = Policy{Action: cmp.Or(c.Action, p.Action), Strikes: cmp.Or(c.Strikes, p.Strikes)}
		}
	}
	return p
}

// Apply gives a result from a window (or any detector) this ruleset's
// policy for its check. A "warn" action means a warning only: no strikes.
func (r *Ruleset) Apply(res Result) Result {
	p := r.policyFor(res.Check, res.Category)
	res.Action = cmp.Or(p.Action, res.Action, ActionStrike)
	res.Strikes = cmp.Or(p.Strikes, res.Strikes, 1)
	if res.Action == ActionWarn {
		res.Strikes = 0
	}
	return res
}

// CheckKind reports a message kind the group does not allow.
func (r *Ruleset) CheckKind(kind string) (Result, bool) {
	res, ok := CheckKind(kind, r.kinds)
	if !ok {
		return Result{}, false
	}
	return r.Apply(res), true
}

// CheckNickname checks a joining member's nickname with the keyword matcher
// and the contact detectors (phone, QQ, WeChat id, links). Results have
// Check "nickname"; Rule names the inner check ("nickname/phone").
// Invisible characters are not reported: blank-looking nicknames are common
// and harmless.
func (r *Ruleset) CheckNickname(nick string) []Result {
	n := Normalize(nick)
	det := r.detectors
	det.ZeroWidth = false
	// Disguised-contact shapes are message evidence; a nickname is judged by
	// the plain contact detectors and the lexicon, as before.
	det.ContactCode, det.ContactAlias = false, false
	inner := r.keywordResults(nick, &n, nil)
	inner = detectContent(nick, &n, &det, inner)
	out := make([]Result, 0, len(inner))
	for _, res := range inner {
		res.Rule = CheckNickname + "/" + res.Check + ": " + res.Rule
		res.Reason = "昵称含" + strings.TrimPrefix(res.Reason, "发送")
		res.Check = CheckNickname
		// A "nickname" policy overrides; without one the inner check's
		// action and strikes stand (a scam word in a name is still a scam).
		out = append(out, r.Apply(res))
	}
	return out
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…"
		}
		i++
	}
	return s
}
