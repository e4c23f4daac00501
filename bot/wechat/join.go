package wechat

import (
	"encoding/xml"
	"strings"
)

// joinNotice is what a group's "someone joined" system message says. WeChat sends no
// structured join event to the web protocol: the text of a system message is all there is,
// worded differently for invitations, QR-code scans, the owner's own actions, the
// traditional-Chinese and the English client.
type joinNotice struct {
	Inviter     string   // who invited, or whose QR code was scanned; "" when it was the owner or unknown
	InviterSelf bool     // the owner ("你" / "You") invited or shared the QR code
	Joiners     []string // names of those who joined, the owner excluded, in message order
	SelfJoined  bool     // the owner's own account joined
	ByQRCode    bool
	// Unnamed: somebody joined but the notice does not say who (an unfilled "$names$").
	// The member list read that every join triggers finds them.
	Unnamed bool
}

// parseJoin recognises every known wording of a join notice:
//
//	"A"邀请"B"加入了群聊        "A"邀请"B、C"加入了群聊 / "A"邀请"B"、"C"加入了群聊
//	你邀请"B"加入了群聊  撤销    "A"邀请你加入了群聊，群聊参与人还有：… / "A"邀请你和"B"加入了群聊
//	"C"通过扫描"A"分享的二维码加入群聊 / "C"通过扫描你分享的二维码加入群聊 / 你通过扫描"A"分享的二维码加入群聊
//	"C"通过扫描二维码加入群聊    你通过扫描二维码加入群聊，群聊参与人还有：…
//	"C"通过"A"的邀请二维码加入群聊
//	"B"加入了群聊              你加入了群聊，群聊参与人还有：…
//	"A"邀請"B"加入了群組 (traditional Chinese: 邀請 通過掃描 二維碼 群組)
//	A invited B to the group chat / You invited B, C to the group chat / A invited you and B to the group chat
//	A invited you to a group chat with B, C / "A" invited you to this group chat
//	B joined the group chat via the QR Code shared by A / "B" joined group chat via the QR code you shared.
//	You've joined the group chat via QR Code. …  / You've joined this group chat. …  / "B" joined the group chat.
//
// and the <sysmsg type="sysmsgtemplate"> documents newer clients send for the same notices
// (templates such as `"$username$"邀请"$names$"加入了群聊`, `"$adder$"通过"$from$"的邀请二维码加入群聊`,
// `"$names$"加入了群聊`), whose placeholders are filled from the member lists of the
// document, not from the rendered text, so a nickname containing 、 or a quote stays whole.
//
// Quotes may be ASCII, Chinese (“”) or full-width; anything after the notice (such as
// "，群聊参与人还有：…" or a revoke link) is ignored. Look-alikes are refused: a recall notice
// ("撤回了一条消息") or a pat ("拍了拍") whose nickname or pat suffix spells a join, an
// invitation still waiting for the owner's approval ("想邀请 … 去确认"), member text quoting a
// notice. A notice this misses is not lost: the member-list poll reports the newcomer. It
// never panics on any input (FuzzParseJoin).
func parseJoin(content string) (joinNotice, bool) {
	if i := strings.Index(content, "<sysmsg"); i >= 0 {
		return parseJoinTemplate(content[i:])
	}
	n, ok := parseJoinText(content)
	if !ok {
		return joinNotice{}, false
	}
	// An unfilled placeholder is not anyone's name.
	if isPlaceholder(n.Inviter) {
		n.Inviter = ""
	}
	named := len(n.Joiners) > 0
	n.Joiners = dropPlaceholders(n.Joiners)
	n.Unnamed = named && len(n.Joiners) == 0
	return finishJoin(n)
}

// finishJoin accepts a notice only if somebody joined.
func finishJoin(n joinNotice) (joinNotice, bool) {
	if len(n.Joiners) == 0 {
		n.Joiners = nil
	}
	if !n.SelfJoined && len(n.Joiners) == 0 && !n.Unnamed {
		return joinNotice{}, false
	}
	if n.InviterSelf {
		n.Inviter = ""
	}
	return n, true
}

// parseJoinText parses a rendered notice. ok means the structure matched; the caller
// checks that somebody joined.
func parseJoinText(content string) (joinNotice, bool) {
	s := strings.TrimSpace(normalizeNotice(content))
	if s == "" || lookAlike(s) {
		return joinNotice{}, false
	}
	if n, ok := parseZhJoin(s); ok {
		return n, true
	}
	return parseEnJoin(s)
}

const (
	zhYou       = "你"
	zhInvite    = "邀请"
	zhVia       = "通过"
	zhScan      = "通过扫描"
	zhJoined    = "加入了群聊"
	zhJoin      = "加入群聊"
	zhShared    = "分享的二维码"
	zhInviteQR  = "的邀请二维码"
	zhQRCode    = "二维码"
	zhAnd       = "和"
	zhYouAnd    = zhYou + zhAnd
	zhAndYou    = zhAnd + zhYou
	enYou       = "you"
	enYouAnd    = "you and "
	enInvited   = " invited "
	enJoined    = " joined "
	enGroupChat = "group chat"
)

// parseZhJoin parses the Chinese notices. Everything before the first 加入了群聊 / 加入群聊
// is the head; what follows is ignored.
func parseZhJoin(s string) (joinNotice, bool) {
	k1, k2 := strings.Index(s, zhJoined), strings.Index(s, zhJoin)
	k := k1
	if k < 0 || (k2 >= 0 && k2 < k) {
		k = k2
	}
	if k < 0 {
		return joinNotice{}, false
	}
	head := s[:k]
	direct := k == k1

	// "C"通过扫描"A"分享的二维码 / "C"通过扫描你分享的二维码 / "C"通过扫描二维码
	if self, name, rest, ok := party(head, zhScan); ok {
		n := joinNotice{ByQRCode: true}
		n.SelfJoined, n.Joiners = joiner(self, name)
		switch {
		case rest == zhQRCode:
			return n, true // nobody named: a group QR code
		case strings.HasSuffix(rest, zhShared):
			n.InviterSelf, n.Inviter = sharer(strings.TrimSuffix(rest, zhShared))
			return n, true
		}
	}
	// "C"通过"A"的邀请二维码
	if self, name, rest, ok := party(head, zhVia); ok && strings.HasSuffix(rest, zhInviteQR) {
		n := joinNotice{ByQRCode: true}
		n.SelfJoined, n.Joiners = joiner(self, name)
		n.InviterSelf, n.Inviter = sharer(strings.TrimSuffix(rest, zhInviteQR))
		return n, true
	}
	// "A"邀请"B" / 你邀请"B" / "A"邀请你和"B"
	if self, name, rest, ok := party(head, zhInvite); ok {
		n := joinNotice{InviterSelf: self, Inviter: name}
		rest = strings.TrimSpace(rest)
		switch {
		case rest == zhYou:
			n.SelfJoined, rest = true, ""
		case strings.HasPrefix(rest, zhYouAnd):
			n.SelfJoined, rest = true, rest[len(zhYouAnd):]
		case strings.HasSuffix(rest, zhAndYou):
			n.SelfJoined, rest = true, rest[:len(rest)-len(zhAndYou)]
		}
		n.Joiners = splitNames(rest, false)
		return n, true
	}
	// "B"加入了群聊 / 你加入了群聊，群聊参与人还有：…
	if !direct {
		return joinNotice{}, false
	}
	head = strings.TrimSpace(head)
	if head == zhYou {
		return joinNotice{SelfJoined: true}, true
	}
	out := outsideQuotes(head)
	if !strings.HasPrefix(head, `"`) || !strings.HasSuffix(head, `"`) || len(head) < 2 ||
		strings.TrimSpace(strings.NewReplacer("、", "", zhAnd, "", ",", "").Replace(out)) != "" {
		return joinNotice{}, false
	}
	return joinNotice{Joiners: splitNames(head, false)}, true
}

// party reads who acts at the start of head, up to keyword: 你, or a quoted name. The
// closing quote is the first one followed by keyword, so a name may itself contain quotes.
func party(head, keyword string) (self bool, name, rest string, ok bool) {
	head = strings.TrimSpace(head)
	if strings.HasPrefix(head, zhYou+keyword) {
		return true, "", head[len(zhYou+keyword):], true
	}
	name, rest, ok = cutQuoted(head, keyword)
	return false, name, rest, ok
}

func joiner(self bool, name string) (bool, []string) {
	if self {
		return true, nil
	}
	return false, []string{name}
}

// sharer reads whose QR code it was: 你 or a quoted name.
func sharer(s string) (self bool, name string) {
	s = strings.TrimSpace(s)
	if s == zhYou || equalASCIIFold(s, enYou) {
		return true, ""
	}
	name, _ = unquote(s)
	return false, name
}

// parseEnJoin parses the English client's notices (case-insensitively).
func parseEnJoin(s string) (joinNotice, bool) {
	if n, ok := parseEnJoined(s); ok {
		return n, true
	}
	return parseEnInvite(s)
}

// parseEnJoined: `<who> joined [the |this ]group chat[ via [the ]QR code (shared by <A>|you shared)]`.
func parseEnJoined(s string) (joinNotice, bool) {
	i := indexASCIIFold(s, enJoined)
	if i <= 0 {
		return joinNotice{}, false
	}
	head, rest := strings.TrimSpace(s[:i]), s[i+len(enJoined):]
	rest = trimPrefixFold(trimPrefixFold(rest, "the "), "this ")
	if !hasPrefixFold(rest, enGroupChat) {
		return joinNotice{}, false
	}
	rest = rest[len(enGroupChat):]
	var n joinNotice
	switch strings.ToLower(head) {
	case "you", "you've", "you have":
		n.SelfJoined = true
	}
	if !hasPrefixFold(rest, " via ") {
		// "B" joined the group chat. / You've joined this group chat. Other participants are: …
		if rest != "" && !strings.ContainsRune(".,;:!。，", []rune(rest)[0]) {
			return joinNotice{}, false
		}
		if !n.SelfJoined {
			if !strings.HasPrefix(head, `"`) {
				return joinNotice{}, false // a bare name could be the end of any sentence
			}
			n.Joiners = splitNames(head, true)
		}
		return n, true
	}
	if !n.SelfJoined {
		name, ok := unquote(head)
		if !ok {
			return joinNotice{}, false
		}
		n.Joiners = []string{name}
	}
	rest = trimPrefixFold(rest[len(" via "):], "the ")
	if !hasPrefixFold(rest, "qr code") {
		return joinNotice{}, false
	}
	n.ByQRCode = true
	rest = strings.TrimSpace(rest[len("qr code"):])
	switch {
	case hasPrefixFold(rest, "shared by "):
		by := strings.TrimSpace(rest[len("shared by "):])
		if j := strings.LastIndex(by, `"`); strings.HasPrefix(by, `"`) && j > 0 {
			by = by[:j+1] // `"A". Revoke`: the name ends at its closing quote
		} else {
			by = strings.TrimSuffix(by, ".")
		}
		n.InviterSelf, n.Inviter = sharer(by)
	case hasPrefixFold(rest, "you shared"):
		n.InviterSelf = true
	}
	return n, true
}

// parseEnInvite: `<A> invited <B, C and D> to the group chat`, `<A> invited you and <B> to the
// group chat`, `<A> invited you to a group chat with <others>`.
func parseEnInvite(s string) (joinNotice, bool) {
	i := indexASCIIFold(s, enInvited)
	if i <= 0 {
		return joinNotice{}, false
	}
	after := s[i+len(enInvited):]
	j := -1
	for _, to := range []string{" to the group chat", " to this group chat", " to a group chat", " to group chat"} {
		if k := indexASCIIFold(after, to); k >= 0 && (j < 0 || k < j) {
			j = k
		}
	}
	if j < 0 {
		return joinNotice{}, false
	}
	head, mid := strings.TrimSpace(s[:i]), strings.TrimSpace(after[:j])
	var n joinNotice
	if equalASCIIFold(head, enYou) {
		n.InviterSelf = true
	} else if name, ok := unquote(head); ok {
		n.Inviter = name
	} else {
		return joinNotice{}, false
	}
	switch {
	case equalASCIIFold(mid, enYou):
		n.SelfJoined, mid = true, ""
	case hasPrefixFold(mid, enYouAnd) && len(mid) > len(enYouAnd):
		n.SelfJoined, mid = true, mid[len(enYouAnd):]
	}
	n.Joiners = splitNames(mid, true)
	return n, true
}

// lookAlike reports notices that mention a join without being one: recalls and pats (whose
// text carries a member's nickname or pat suffix, which may spell anything, quotes
// included — so the whole text is searched, not only what is outside quotes), and an
// invitation waiting for the owner's approval. A real notice lost because a nickname
// contains one of these words is still caught by the member-list poll.
func lookAlike(s string) bool {
	for _, w := range []string{"撤回了", "拍了拍", "想邀请", "去确认"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	for _, w := range []string{"recalled a message", " patted ", "wants to invite"} {
		if indexASCIIFold(s, w) >= 0 {
			return true
		}
	}
	return false
}

// outsideQuotes is s with every quoted segment removed.
func outsideQuotes(s string) string {
	parts := strings.Split(s, `"`)
	var b strings.Builder
	for i := 0; i < len(parts); i += 2 {
		b.WriteString(parts[i])
	}
	return b.String()
}

// cutQuoted splits `"name"keyword rest` into name and rest. The closing quote is the first one
// followed by keyword, so a name may itself contain quotes. Spaces inside the quotes
// (`" 桔小秘"`, as some clients write) are trimmed.
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
// each name ("B"、"C"); names are separated by 、 and 和, and in the English client by ", "
// and " and " (inside quotes only between quoted names, so a quoted name keeps its commas).
// A nickname that itself contains 、 is split too: the rendered notice does not say where
// one name ends (the sysmsgtemplate form does, and is read from its member list).
func splitNames(s string, english bool) []string {
	s = strings.TrimSpace(s)
	var parts []string
	if strings.HasPrefix(s, `"`) {
		s = strings.TrimSuffix(strings.TrimPrefix(s, `"`), `"`)
		parts = splitEach([]string{s}, `"、"`, `"和"`, `", "`, `","`, `" and "`, `" , "`)
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

// normalizeNotice maps the Chinese and full-width quotes some clients use to ASCII ones,
// the curly apostrophe of "You’ve" to ASCII, and the traditional-Chinese wording of the
// notices to the simplified one — outside quotes only, so names stay as written.
func normalizeNotice(s string) string {
	s = strings.NewReplacer("“", `"`, "”", `"`, "＂", `"`, "’", "'").Replace(s)
	if !strings.ContainsAny(s, "請過掃維碼組員還為") {
		return s
	}
	parts := strings.Split(s, `"`)
	for i := 0; i < len(parts); i += 2 {
		parts[i] = traditional.Replace(parts[i])
	}
	return strings.Join(parts, `"`)
}

// traditional maps the traditional-Chinese client's notice words to the simplified ones.
var traditional = strings.NewReplacer(
	"邀請", "邀请", "通過掃描", "通过扫描", "通過", "通过", "二維碼", "二维码",
	"加入了群組", "加入了群聊", "加入群組", "加入群聊", "群組成員還有", "群聊参与人还有",
	"修改群名為", "修改群名为", "移出了群組", "移出了群聊",
)

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

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalASCIIFold(s[:len(prefix)], prefix)
}

func trimPrefixFold(s, prefix string) string {
	if hasPrefixFold(s, prefix) {
		return s[len(prefix):]
	}
	return s
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

// isPlaceholder reports a sysmsgtemplate placeholder such as $names$ left unfilled.
func isPlaceholder(s string) bool {
	if len(s) < 3 || s[0] != '$' || s[len(s)-1] != '$' {
		return false
	}
	for _, r := range s[1 : len(s)-1] {
		if !(r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

func dropPlaceholders(names []string) []string {
	kept := names[:0]
	for _, n := range names {
		if !isPlaceholder(n) {
			kept = append(kept, n)
		}
	}
	return kept
}

// sysmsgTemplate is the part of a <sysmsg type="sysmsgtemplate"> document that carries
// the notice: a template such as `"$username$"邀请"$names$"加入了群聊` and, per
// placeholder, the members (or the title) it stands for.
type sysmsgTemplate struct {
	Template string         `xml:"sysmsgtemplate>content_template>template"`
	Links    []templateLink `xml:"sysmsgtemplate>content_template>link_list>link"`
}

type templateLink struct {
	Name      string `xml:"name,attr"`
	Title     string `xml:"title"`
	Separator string `xml:"separator"`
	Members   []struct {
		Nickname    string `xml:"nickname"`
		DisplayName string `xml:"displayname"`
	} `xml:"memberlist>member"`
}

// names is what a placeholder stands for: its members' names, else its title.
func (l templateLink) names() []string {
	var out []string
	for _, m := range l.Members {
		name := strings.TrimSpace(m.Nickname)
		if name == "" {
			name = strings.TrimSpace(m.DisplayName)
		}
		if name != "" {
			out = append(out, name)
		}
	}
	if len(out) == 0 && strings.TrimSpace(l.Title) != "" {
		out = append(out, strings.TrimSpace(l.Title))
	}
	return out
}

func readTemplate(doc string) (sysmsgTemplate, bool) {
	var t sysmsgTemplate
	if err := xml.Unmarshal([]byte(doc), &t); err != nil || strings.TrimSpace(t.Template) == "" {
		return sysmsgTemplate{}, false
	}
	return t, true
}

// parseJoinTemplate parses the template itself (its placeholders stand in for names) and
// then fills each placeholder from its link: one link may stand for several members.
func parseJoinTemplate(doc string) (joinNotice, bool) {
	t, ok := readTemplate(doc)
	if !ok {
		return joinNotice{}, false
	}
	n, ok := parseJoinText(t.Template)
	if !ok {
		return joinNotice{}, false
	}
	links := map[string][]string{}
	for _, l := range t.Links {
		if l.Name != "" {
			links["$"+l.Name+"$"] = l.names()
		}
	}
	fill := func(name string) []string {
		if !isPlaceholder(name) {
			return []string{name}
		}
		return links[name]
	}
	if n.Inviter != "" {
		vals := fill(n.Inviter)
		n.Inviter = ""
		if len(vals) > 0 {
			n.Inviter = vals[0]
		}
	}
	var joiners []string
	for _, j := range n.Joiners {
		joiners = append(joiners, fill(j)...)
	}
	n.Unnamed = len(n.Joiners) > 0 && len(joiners) == 0
	n.Joiners = joiners
	return finishJoin(n)
}

// expandSysmsgTemplate renders a sysmsgtemplate document as the client would show it.
func expandSysmsgTemplate(doc string) (string, bool) {
	t, ok := readTemplate(doc)
	if !ok {
		return "", false
	}
	out := t.Template
	for _, l := range t.Links {
		if l.Name == "" {
			continue
		}
		sep := l.Separator
		if sep == "" {
			sep = "、"
		}
		out = strings.ReplaceAll(out, "$"+l.Name+"$", strings.Join(l.names(), sep))
	}
	return out, true
}
