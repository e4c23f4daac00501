package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"qunbot/rules"
)

// Blocklist is the owner's blocklist (issue 21): members removed for moderation or listed
// with 拉黑 are removed again (or their removal requested) when they rejoin, without a
// welcome or points.
type Blocklist struct {
	Enabled bool `yaml:"enabled"`
	// Scope: BlockScopeOwner (default) — an entry holds in every group the bot manages for
	// its owner; BlockScopeGroup — only in the group it was made in.
	Scope string `yaml:"scope"`
}

// Blocklist scopes.
const (
	BlockScopeOwner = "owner"
	BlockScopeGroup = "group"
)

var blockScopeAliases = map[string]string{
	BlockScopeOwner: BlockScopeOwner, "全部": BlockScopeOwner, "所有群": BlockScopeOwner,
	BlockScopeGroup: BlockScopeGroup, "本群": BlockScopeGroup,
}

// DefaultBlocklist is on, across the owner's groups.
func DefaultBlocklist() Blocklist { return Blocklist{Enabled: true, Scope: BlockScopeOwner} }

// NewcomerRules make moderation stricter for members new to a group: until For has passed
// since they joined, or until they have sent Messages valid messages, whichever is first.
// They touch only message kinds (a link, card, mini program, QR code) and the contact
// detectors, never ordinary text: a newcomer saying hello is treated like anyone else.
type NewcomerRules struct {
	Enabled  bool     `yaml:"enabled"`
	For      Duration `yaml:"for"`
	Messages int      `yaml:"messages"` // 0: only the time counts
	// Kinds: the action for a newcomer's message of this kind: link (a shared link, or a
	// text with an http(s):// address), card, miniapp, qr (an image with a QR code), or any
	// other message kind. The stricter of this and the everyone rule is taken.
	Kinds map[string]string `yaml:"kinds"`
	// Contacts: the action for a phone number, QQ number or WeChat id from a newcomer.
	Contacts string `yaml:"contacts"`
	// NoMentionAll: a newcomer's @所有人 / @全体成员 is an offence (MentionAllAction).
	NoMentionAll     bool   `yaml:"no_mention_all"`
	MentionAllAction string `yaml:"mention_all_action"`
}

// KindQR is the newcomer-rule key of an image carrying a QR code.
const KindQR = "qr"

// DefaultNewcomerRules: the first 24 hours or 10 valid messages; a link mutes, a card, mini
// program or QR code removes, a contact mutes.
func DefaultNewcomerRules() NewcomerRules {
	return NewcomerRules{Enabled: true, For: Duration(24 * time.Hour), Messages: 10,
		Kinds:    map[string]string{"link": rules.ActionMute, "card": rules.ActionRemove, "miniapp": rules.ActionRemove, KindQR: rules.ActionRemove},
		Contacts: rules.ActionMute, MentionAllAction: rules.ActionStrike}
}

// QRCheck decodes QR codes in images (everyone's): the decoded text is the evidence.
// Images are fetched from the platform within MaxBytes and Timeout, and decoded only up to
// MaxPixels, off the event loop.
type QRCheck struct {
	Enabled   bool     `yaml:"enabled"`
	Action    string   `yaml:"action"`
	Strikes   int      `yaml:"strikes"`
	DryRun    bool     `yaml:"dry_run"`
	MaxBytes  int64    `yaml:"max_bytes"`
	MaxPixels int64    `yaml:"max_pixels"`
	Timeout   Duration `yaml:"timeout"`
}

// DefaultQRCheck: on, on the ladder; 8 MB, 24 megapixels, 15 s.
func DefaultQRCheck() QRCheck {
	return QRCheck{Enabled: true, Action: rules.ActionStrike, Strikes: 1, MaxBytes: 8 << 20, MaxPixels: 24_000_000,
		Timeout: Duration(15 * time.Second)}
}

// newcomerKinds are the keys newcomers' kinds may use.
func newcomerKinds() []string { return append(slices.Clone(knownKinds), KindQR) }

// validateDefences checks the blocklist, newcomer rules, per-kind actions and the QR check,
// and writes actions in their canonical form.
func validateDefences(g *Group, path string, at reporter) {
	if s, ok := blockScopeAliases[strings.TrimSpace(g.Blocklist.Scope)]; ok {
		g.Blocklist.Scope = s
	} else {
		at(path+".blocklist.scope", "黑名单范围要写 owner（群主的所有群，默认）或 group（只在本群），现在是「%s」/ scope must be owner or group", clip(g.Blocklist.Scope, 20))
	}
	m := &g.Moderation
	p := path + ".moderation"
	canon := func(key string, a *string) {
		v, err := rules.ParseAction(*a)
		if err != nil {
			at(key, "%v", err)
			return
		}
		*a = v
	}
	m.Kinds.Actions = canonKinds(m.Kinds.Actions, knownKinds, p+".kinds.actions", at)
	n := &m.Newcomers
	if n.Enabled {
		if n.For.D() <= 0 || n.For.D() > 90*24*time.Hour {
			at(p+".newcomers.for", "新人期要在 1 分钟到 90 天之间（默认 24h）/ for must be between 1m and 90d")
		}
		if n.Messages < 0 {
			at(p+".newcomers.messages", "不能为负数（0 表示只看时间）/ must not be negative")
		}
	}
	n.Kinds = canonKinds(n.Kinds, newcomerKinds(), p+".newcomers.kinds", at)
	if n.Contacts != "" {
		canon(p+".newcomers.contacts", &n.Contacts)
	}
	if n.MentionAllAction == "" {
		n.MentionAllAction = rules.ActionStrike
	}
	canon(p+".newcomers.mention_all_action", &n.MentionAllAction)
	q := &m.QR
	canon(p+".qr.action", &q.Action)
	if q.Strikes < 0 || q.Strikes > 10 {
		at(p+".qr.strikes", "每次命中记 0 到 10 次（默认 1）/ strikes must be 0–10")
	}
	if q.MaxBytes < 1<<10 || q.MaxBytes > 64<<20 {
		at(p+".qr.max_bytes", "图片大小上限要在 1KB 到 64MB 之间（默认 8MB）/ max_bytes must be 1 KiB–64 MiB")
	}
	if q.MaxPixels < 10_000 || q.MaxPixels > 100_000_000 {
		at(p+".qr.max_pixels", "像素上限要在 1 万到 1 亿之间（默认 2400 万）/ max_pixels must be 10,000–100,000,000")
	}
	if q.Timeout.D() < time.Second || q.Timeout.D() > 2*time.Minute {
		at(p+".qr.timeout", "下载超时要在 1s 到 2m 之间（默认 15s）/ timeout must be 1s–2m")
	}
}

// canonKinds checks a kind → action map and returns it with canonical actions.
func canonKinds(in map[string]string, kinds []string, key string, at reporter) map[string]string {
	if len(in) == 0 {
		return in
	}
	out := make(map[string]string, len(in))
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !slices.Contains(kinds, k) {
			at(fmt.Sprintf("%s.%s", key, k), "不认识的消息类型「%s」，可用：%s / unknown message kind", clip(k, 20), strings.Join(kinds, " "))
			continue
		}
		a, err := rules.ParseAction(in[k])
		if err != nil {
			at(fmt.Sprintf("%s.%s", key, k), "%v", err)
			continue
		}
		out[k] = a
	}
	return out
}
