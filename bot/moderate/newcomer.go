package moderate

import (
	"fmt"
	"strings"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/rules"
)

// Per-kind actions and newcomer rules (issue 21). Both only ever raise what the checks
// decided about a message's kind or contacts; ordinary text from a newcomer is judged as
// anyone's.

// Check ids of the results added here.
const (
	CheckNewcomer = "newcomer" // a newcomer's link, card, mini program, QR code or @所有人
	CheckQR       = "qr_code"  // an image carrying a QR code (qr.go)
)

// stricter applies moderation.kinds.actions and the newcomer rules to what fired on a
// message of the turn's sender.
func stricter(t *bot.Turn, c *compiled, fired []rules.Result) ([]rules.Result, error) {
	mc := t.Group.Config.Moderation
	kind := string(t.Event.Kind)
	for i, r := range fired {
		if r.Check == rules.CheckMessageKind {
			if a, ok := mc.Kinds.Actions[kind]; ok {
				fired[i].Action = a
			}
		}
	}
	n := mc.Newcomers
	if !n.Enabled || t.Member.JoinedAt.IsZero() || t.Now.Sub(t.Member.JoinedAt) >= n.For.D() {
		return fired, nil // a veteran (by the in-memory join time): no further cost
	}
	key := newcomerKind(t, mc)
	contacts := n.Contacts != "" && hasContact(fired)
	mentionAll := n.NoMentionAll && mentionsAll(t.Text())
	if n.Kinds[key] == "" && !contacts && !mentionAll {
		return fired, nil // nothing a newcomer rule could change: no need to ask who is new
	}
	isNew, err := IsNewcomer(t, n)
	if err != nil || !isNew {
		return fired, err
	}
	if a := n.Kinds[key]; a != "" {
		raised := false
		for i, r := range fired {
			if r.Check == rules.CheckMessageKind || (key == "link" && r.Check == rules.CheckURL) {
				fired[i].Action, raised = stronger(r.Action, a), true
				fired[i].Reason += "（" + periodZH(n) + "）"
			}
		}
		if !raised {
			fired = append(fired, c.rs.Apply(rules.Result{Check: CheckNewcomer, Rule: CheckNewcomer + ":" + key, Category: "newcomer",
				Action: a, Strikes: 1, Reason: fmt.Sprintf("%s就发%s", periodZH(n), kindZH(key)),
				Evidence: truncate(cmpOr(t.Text(), "["+kind+"]"), 200)}))
			fired[len(fired)-1].Action = a // Apply knows no policy for this check: keep ours
		}
	}
	if contacts {
		for i, r := range fired {
			if isContact(r) && severity[n.Contacts] > severity[r.Action] {
				fired[i].Action = n.Contacts
				fired[i].Reason += "（" + periodZH(n) + "）"
			}
		}
	}
	if mentionAll {
		fired = append(fired, rules.Result{Check: CheckNewcomer, Rule: CheckNewcomer + ":mention_all", Category: "newcomer",
			Action: n.MentionAllAction, Strikes: 1, Reason: periodZH(n) + "就 @所有人", Evidence: truncate(t.Text(), 200)})
	}
	return fired, nil
}

// IsNewcomer reports whether the turn's sender is still new to the group by the rules:
// joined (a join the bot saw) less than n.For ago and fewer than n.Messages valid messages
// since. Members who were there before the bot are not new.
func IsNewcomer(t *bot.Turn, n config.NewcomerRules) (bool, error) {
	joined := t.Member.JoinedAt
	if joined.IsZero() || t.Now.Sub(joined) >= n.For.D() {
		return false, nil
	}
	if n.Messages <= 0 {
		return true, nil
	}
	day := joined.In(t.Engine().Location()).Format("2006-01-02")
	count, err := t.Tx.ValidMessagesSince(t.Group.Key, t.Member.Key, day)
	if err != nil {
		return false, err
	}
	return count < n.Messages, nil
}

// newcomerKind is the newcomer-rule key of the message: its kind, or "link" for a text
// that carries an http(s):// address (not a domain named in passing, as in 「CCTV.com」),
// unless the address is on links.allow_domains.
func newcomerKind(t *bot.Turn, mc config.Moderation) string {
	kind := string(t.Event.Kind)
	if t.Event.Kind != bot.KindText {
		return kind
	}
	text := scanned(t.Text())
	if !strings.Contains(text, "://") {
		return kind
	}
	lower := strings.ToLower(text)
	if !strings.Contains(lower, "http://") && !strings.Contains(lower, "https://") {
		return kind
	}
	for _, r := range rules.DetectContent(text, rules.DetectorOptions{URL: true, AllowDomains: mc.Links.AllowDomains}) {
		if r.Check == rules.CheckURL {
			return "link"
		}
	}
	return kind
}

func hasContact(fired []rules.Result) bool {
	for _, r := range fired {
		if isContact(r) {
			return true
		}
	}
	return false
}

func isContact(r rules.Result) bool {
	return r.Check == rules.CheckPhone || r.Check == rules.CheckQQ || r.Check == rules.CheckWeChatID
}

// mentionsAll reports an @-everyone: WeChat's @所有人, QQ's @全体成员.
func mentionsAll(text string) bool {
	return strings.Contains(text, "@所有人") || strings.Contains(text, "@全体成员") || strings.Contains(text, "@全体")
}

// stronger is the more severe of two actions.
func stronger(a, b string) string {
	if severity[b] > severity[a] {
		return b
	}
	return a
}

// periodZH says why the member counts as new: 「入群不满1天」.
func periodZH(n config.NewcomerRules) string {
	return "入群不满" + humanDuration(n.For.D())
}

var kindNames = map[string]string{"link": "链接", "card": "名片", "miniapp": "小程序", "image": "图片", config.KindQR: "二维码",
	"file": "文件", "video": "视频", "voice": "语音", "emoji": "表情", "redpacket": "红包", "transfer": "转账", "text": "文字"}

func kindZH(k string) string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return k
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
