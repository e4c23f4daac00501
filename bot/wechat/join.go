package wechat

import (
	"encoding/xml"
	"strings"
)

// joinNotice is what a group's "someone joined" system message says. WeChat sends no
// structured join event to the web protocol: the text of a system message is all there is,
// worded differently for invitations, QR-code scans, the owner's own actions and the
// English client.
type joinNotice struct {
	Inviter     string   // who invited, or whose QR code was scanned; "" when it was the owner
	InviterSelf bool     // the owner ("你" / "You") invited or shared the QR code
	Joiners     []string // names of those who joined, the owner excluded, in message order
	SelfJoined  bool     // the owner's own account joined
	ByQRCode    bool
}

// parseJoin recognises every known wording of a join notice:
//
//	"A"邀请"B"加入了群聊            "A"邀请"B、C"加入了群聊 / "A"邀请"B"、"C"加入了群聊
//	你邀请"B"加入了群聊              "A"邀请你加入了群聊 / "A"邀请你和"B"加入了群聊
//	"C"通过扫描"A"分享的二维码加入群聊  "C"通过扫描你分享的二维码加入群聊 / 你通过扫描"A"分享的二维码加入群聊
//	A invited B to the group chat    You invited B, C to the group chat / A invited you and B to the group chat
//	B joined the group chat via the QR Code shared by A
//
// Quotes may be ASCII or Chinese (“”); anything after the notice (such as
// "，群聊参与人还有：…" or a revoke link) is ignored. A <sysmsg type="sysmsgtemplate">
// document, which newer clients send for the same notices, is expanded to its text first.
// It never panics on any input (FuzzParseJoin).
func parseJoin(content string) (joinNotice, bool) {
	s := content
	if i := strings.Index(s, "<sysmsg"); i >= 0 {
		expanded, ok := expandSysmsgTemplate(s[i:])
		if !ok {
			return joinNotice{}, false
		}
		s = expanded
	}
	s = strings.TrimSpace(normalizeQuotes(s))
	for _, parse := range []func(string) (joinNotice, bool){parseZhInvite, parseZhQR, parseEnInvite, parseEnQR} {
		if n, ok := parse(s); ok && (n.SelfJoined || len(n.Joiners) > 0) {
			return n, true
		}
	}
	return joinNotice{}, false
}

const (
	zhJoined   = "加入了群聊"
	zhInvite   = "邀请"
	zhYou      = "你"
	zhScan     = "通过扫描"
	zhQRJoined = "分享的二维码加入群聊"
)

func parseZhInvite(s string) (joinNotice, bool) {
	k := strings.Index(s, zhJoined)
	if k < 0 {
		return joinNotice{}, false
	}
	head := s[:k]
	var n joinNotice
	var rest string
	switch {
	case strings.HasPrefix(head, zhYou+zhInvite):
		n.InviterSelf = true
		rest = head[len(zhYou+zhInvite):]
	case strings.HasPrefix(head, `"`):
		name, after, ok := cutQuoted(head, zhInvite)
		if !ok {
			return joinNotice{}, false
		}
		n.Inviter, rest = name, after
	default:
		return joinNotice{}, false
	}
	switch {
	case rest == zhYou:
		n.SelfJoined, rest = true, ""
	case strings.HasPrefix(rest, zhYou+"和"):
		n.SelfJoined, rest = true, rest[len(zhYou+"和"):]
	case strings.HasSuffix(rest, "和"+zhYou):
		n.SelfJoined, rest = true, rest[:len(rest)-len("和"+zhYou)]
	}
	n.Joiners = splitNames(rest, false)
	return n, true
}

func parseZhQR(s string) (joinNotice, bool) {
	k := strings.Index(s, zhQRJoined)
	if k < 0 {
		return joinNotice{}, false
	}
	head := s[:k]
	n := joinNotice{ByQRCode: true}
	var rest string
	switch {
	case strings.HasPrefix(head, zhYou+zhScan):
		n.SelfJoined = true
		rest = head[len(zhYou+zhScan):]
	case strings.HasPrefix(head, `"`):
		name, after, ok := cutQuoted(head, zhScan)
		if !ok {
			return joinNotice{}, false
		}
		n.Joiners, rest = []string{name}, after
	default:
		return joinNotice{}, false
	}
	if rest == zhYou {
		n.InviterSelf = true
	} else if name, ok := unquote(rest); ok {
		n.Inviter = name
	}
	return n, true
}

const (
	enInvited = " invited "
	enToGroup = " to the group chat"
	enJoinedV = " joined the group chat via "
	enQRBy    = "qr code shared by "
)

func parseEnInvite(s string) (joinNotice, bool) {
	i := indexASCIIFold(s, enInvited)
	if i <= 0 {
		return joinNotice{}, false
	}
	j := indexASCIIFold(s[i+len(enInvited):], enToGroup)
	if j < 0 {
		return joinNotice{}, false
	}
	head, mid := s[:i], s[i+len(enInvited):i+len(enInvited)+j]
	var n joinNotice
	if equalASCIIFold(strings.TrimSpace(head), "you") {
		n.InviterSelf = true
	} else if name, ok := unquote(head); ok {
		n.Inviter = name
	} else {
		return joinNotice{}, false
	}
	mid = strings.TrimSpace(mid)
	switch {
	case equalASCIIFold(mid, "you"):
		n.SelfJoined, mid = true, ""
	case len(mid) > len("you and ") && equalASCIIFold(mid[:len("you and ")], "you and "):
		n.SelfJoined, mid = true, mid[len("you and "):]
	}
	n.Joiners = splitNames(mid, true)
	return n, true
}

func parseEnQR(s string) (joinNotice, bool) {
	i := indexASCIIFold(s, enJoinedV)
	if i <= 0 {
		return joinNotice{}, false
	}
	rest := s[i+len(enJoinedV):]
	if len(rest) >= 4 && equalASCIIFold(rest[:4], "the ") {
		rest = rest[4:]
	}
	if len(rest) < len(enQRBy) || !equalASCIIFold(rest[:len(enQRBy)], enQRBy) {
		return joinNotice{}, false
	}
	inviter := strings.TrimSpace(rest[len(enQRBy):])
	if !strings.HasSuffix(inviter, `"`) {
		inviter = strings.TrimSuffix(inviter, ".") // the end of the sentence, not of a bare name
	}
	n := joinNotice{ByQRCode: true}
	head := strings.TrimSpace(s[:i])
	if equalASCIIFold(head, "you") {
		n.SelfJoined = true
	} else if name, ok := unquote(head); ok {
		n.Joiners = []string{name}
	} else {
		return joinNotice{}, false
	}
	if equalASCIIFold(inviter, "you") {
		n.InviterSelf = true
	} else if name, ok := unquote(inviter); ok {
		n.Inviter = name
	}
	return n, true
}

// cutQuoted splits `"name"keyword rest` into name and rest. The closing quote is the first
// one followed by keyword, so a name may itself contain quotes.
func cutQuoted(s, keyword string) (name, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", false
	}
	i := strings.Index(s[1:], `"`+keyword)
	if i < 0 {
		return "", "", false
	}
	name = strings.TrimSpace(s[1 : 1+i])
	if name == "" {
		return "", "", false
	}
	return name, s[1+i+1+len(keyword):], true
}

// unquote returns the name in `"name"` or in a bare `name`.
func unquote(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s, s != ""
}

// splitNames splits a list of invitees. WeChat quotes either the whole list ("B、C") or
// each name ("B"、"C"); names are separated by 、 and, in the English client, by ", " and
// " and " (inside quotes only between quoted names, so a quoted name keeps its commas). A
// nickname that itself contains 、 is split too: the notice does not say where one name
// ends.
func splitNames(s string, english bool) []string {
	s = strings.TrimSpace(s)
	var parts []string
	if strings.HasPrefix(s, `"`) {
		s = strings.TrimSuffix(strings.TrimPrefix(s, `"`), `"`)
		parts = splitEach([]string{s}, `"、"`, `"和"`, `", "`, `","`, `" and "`)
		parts = splitEach(parts, "、")
	} else {
		parts = splitEach([]string{s}, "、")
		if english {
			parts = splitEach(parts, ", ", " and ")
		}
	}
	var names []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			names = append(names, p)
		}
	}
	return names
}

func splitEach(parts []string, seps ...string) []string {
	for _, sep := range seps {
		var out []string
		for _, p := range parts {
			out = append(out, strings.Split(p, sep)...)
		}
		parts = out
	}
	return parts
}

// normalizeQuotes maps the Chinese and full-width quotes some clients use to ASCII ones.
func normalizeQuotes(s string) string {
	return strings.NewReplacer("“", `"`, "”", `"`, "＂", `"`).Replace(s)
}

// indexASCIIFold finds an ASCII needle case-insensitively without lower-casing the
// haystack: strings.ToLower may change byte lengths of non-ASCII text, and the offsets are
// used to slice the original.
func indexASCIIFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalASCIIFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func equalASCIIFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// sysmsgTemplate is the part of a <sysmsg type="sysmsgtemplate"> document that carries
// the notice: a template such as `"$username$"邀请"$names$"加入了群聊` and, per
// placeholder, the members it stands for.
type sysmsgTemplate struct {
	Template string `xml:"sysmsgtemplate>content_template>template"`
	Links    []struct {
		Name      string `xml:"name,attr"`
		Title     string `xml:"title"`
		Separator string `xml:"separator"`
		Members   []struct {
			Nickname string `xml:"nickname"`
		} `xml:"memberlist>member"`
	} `xml:"sysmsgtemplate>content_template>link_list>link"`
}

func expandSysmsgTemplate(doc string) (string, bool) {
	var t sysmsgTemplate
	if err := xml.Unmarshal([]byte(doc), &t); err != nil || t.Template == "" {
		return "", false
	}
	out := t.Template
	for _, l := range t.Links {
		if l.Name == "" {
			continue
		}
		value := l.Title
		if len(l.Members) > 0 {
			sep := l.Separator
			if sep == "" {
				sep = "、"
			}
			names := make([]string, 0, len(l.Members))
			for _, m := range l.Members {
				names = append(names, strings.TrimSpace(m.Nickname))
			}
			value = strings.Join(names, sep)
		}
		out = strings.ReplaceAll(out, "$"+l.Name+"$", value)
	}
	return out, true
}
