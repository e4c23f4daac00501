package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a byte range of the original text.
type Span struct{ Start, End int }

// Result is one check that fired, with everything needed to explain it to
// the member, log it in the audit log and show it in a dry run.
type Result struct {
	Check    string   // stable id, one of the Check* constants
	Rule     string   // what configured thing fired: "builtin:ads:12 加微信", "phone", "flood 10/1m0s"
	Category string   // "ad", "scam", "abuse", "contact", "link", "flood", "spam", …
	Action   string   // "strike" (the ladder decides), "warn", "mute" or "remove"
	Strikes  int      // strikes this adds (default 1; 0 with Action "warn")
	Reason   string   // Chinese, for the member and the audit log
	Span     Span     // original byte span of the evidence (zero if none)
	Evidence string   // the original substring
	Related  []string // members involved besides the sender (duplicate: earlier senders)
	Score    float64  // the classifier's score, 0–1 (0 for every other check)
}

// Stable check ids.
const (
	CheckKeyword     = "keyword"
	CheckPhone       = "phone"
	CheckQQ          = "qq"
	CheckWeChatID    = "wechat_id"
	CheckURL         = "url"
	CheckZeroWidth   = "zero_width"
	CheckMessageKind = "kind"
	CheckFlood       = "flood"
	CheckDuplicate   = "duplicate"
	CheckPromoQuota  = "promo_quota"
	CheckNickname    = "nickname"
)

// DetectorOptions switches the content detectors on and off. The zero value
// turns everything off; DefaultDetectorOptions turns everything on.
type DetectorOptions struct {
	Phone     bool
	QQ        bool
	WeChatID  bool
	URL       bool
	ZeroWidth bool
	// ContactCode and ContactAlias are the disguised-contact detectors
	// (contacts.go).
	ContactCode  bool
	ContactAlias bool
	// AllowDomains are never reported by the URL detector, nor are their
	// subdomains: "qq.com" allows "mp.weixin.qq.com".
	AllowDomains []string
}

// DefaultDetectorOptions enables every content detector.
func DefaultDetectorOptions() DetectorOptions {
	return DetectorOptions{Phone: true, QQ: true, WeChatID: true, URL: true, ZeroWidth: true, ContactCode: true, ContactAlias: true}
}

// DetectContent runs the enabled content detectors (not the keyword
// matcher) on text. Results carry the default action and one strike; a
// Ruleset applies configured policies on top.
func DetectContent(text string, opts DetectorOptions) []Result {
	n := Normalize(text)
	return detectContent(text, &n, &opts, nil)
}

func detectContent(text string, n *Normalized, opts *DetectorOptions, dst []Result) []Result {
	first := len(dst)
	if opts.Phone {
		dst = detectPhones(text, n, dst)
	}
	if opts.QQ {
		dst = detectQQ(text, n, dst)
	}
	if opts.WeChatID {
		dst = detectWeChatID(text, n, dst)
	}
	if opts.URL {
		dst = detectURLs(text, n, opts.AllowDomains, dst)
	}
	if opts.ZeroWidth {
		dst = detectZeroWidth(text, dst)
	}
	if opts.ContactCode {
		dst = detectContactCodes(text, n, dst)
	}
	// A disguised channel name is only reported when no plain contact
	// (phone, QQ, WeChat id) explains the message already: that one names
	// the number itself.
	if opts.ContactAlias && !slices.ContainsFunc(dst[first:], func(r Result) bool {
		return r.Check == CheckPhone || r.Check == CheckQQ || r.Check == CheckWeChatID
	}) {
		dst = detectContactAliases(text, n, dst)
	}
	return dst
}

func newResult(check, category, reason, text string, start, end int) Result {
	return Result{
		Check:    check,
		Rule:     check,
		Category: category,
		Action:   ActionStrike,
		Strikes:  1,
		Reason:   reason,
		Span:     Span{start, end},
		Evidence: text[start:end],
	}
}

// digitRun is a maximal run of normalised ASCII digits, [start, end) in
// rune indices, that noise may interrupt but a break may not.
type digitRun struct{ start, end int }

func digitRuns(n *Normalized) []digitRun {
	var runs []digitRun
	for i := 0; i < len(n.Runes); {
		if !isDigit(n.Runes[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(n.Runes) && isDigit(n.Runes[j]) {
			j++
		}
		runs = append(runs, digitRun{i, j})
		i = j
	}
	return runs
}

func isDigit(r rune) bool  { return r >= '0' && r <= '9' }
func isLetter(r rune) bool { return r >= 'a' && r <= 'z' }

// cut reports whether a digit string may start or end at rune index i of a
// run: at the run's edges, or where the original had something between two
// digits (a space, a dash). "138 0013 8000" is a phone number; the middle of
// "12345678901234" is not.
func (r digitRun) cut(n *Normalized, i int) bool {
	return i == r.start || i == r.end || !n.Joined(i)
}

// detectPhones finds mainland mobile numbers: 1[3-9] and nine more digits,
// optionally after 86, standing on cut points of a digit run. Chinese and
// styled digits are already ASCII here, so 一三八… and 1３8-0013-8000 count.
func detectPhones(text string, n *Normalized, dst []Result) []Result {
	for _, run := range digitRuns(n) {
		last := -1
		for b := run.start; b+11 <= run.end; b++ {
			if b < last || !run.cut(n, b) {
				continue
			}
			s := b
			if run.end-b >= 13 && n.Runes[b] == '8' && n.Runes[b+1] == '6' && n.Runes[b+2] == '1' && run.cut(n, b+13) {
				s = b + 2 // +86 country code written into the number
			}
			e := s + 11
			if !run.cut(n, e) || n.Runes[s] != '1' || n.Runes[s+1] < '3' || n.Runes[s+1] > '9' {
				continue
			}
			num := string(n.Runes[s:e])
			dst = append(dst, newResult(CheckPhone, "contact",
				fmt.Sprintf("发送手机号（%s）", maskPhone(num)), text, n.Start[s], n.End[e-1]))
			last = e
		}
	}
	return dst
}

// maskPhone and maskID keep a reason shown in the group from repeating the
// contact it punishes: the bot must not finish the advertiser's job.
// Evidence keeps the original for the audit log.
func maskPhone(num string) string { return num[:3] + "****" + num[7:] }

func maskID(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("*", len(id))
	}
	return id[:2] + strings.Repeat("*", len(id)-4) + id[len(id)-2:]
}

// maskDomain shows a link's shape without making it usable: "t.cn" →
// "*.cn", "abc.example.com" → "a**.e******.com". The TLD stays: it says
// what kind of link it was.
func maskDomain(domain string) string {
	parts := strings.Split(domain, ".")
	for i, p := range parts {
		if i == len(parts)-1 && len(parts) > 1 {
			break
		}
		if len(p) > 1 {
			parts[i] = p[:1] + strings.Repeat("*", len(p)-1)
		} else {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, ".")
}

// marker is a normalised trigger word for the contact detectors.
type marker []rune

func markers(words ...string) []marker {
	var ms []marker
	for _, w := range words {
		r := marker(NormalizeString(w))
		if len(r) > 0 && !slices.ContainsFunc(ms, func(m marker) bool { return slices.Equal(m, r) }) {
			ms = append(ms, r)
		}
	}
	// Longest first, so 微信号 wins over 微信 at the same position.
	slices.SortStableFunc(ms, func(a, b marker) int { return len(b) - len(a) })
	return ms
}

// findMarkers returns [start, end) rune spans of non-overlapping markers.
// A letter edge of an ASCII marker must not touch another letter ("vx" is
// no marker inside "vxlan"), but digits may follow ("qq12345678").
func findMarkers(n *Normalized, ms []marker) [][2]int {
	var out [][2]int
	rs := n.Runes
	for i := 0; i < len(rs); {
		found := 0
		for _, m := range ms {
			k := len(m)
			if rs[i] != m[0] || k > len(rs)-i || !slices.Equal(rs[i:i+k], m) {
				continue
			}
			if isLetter(m[0]) && i > 0 && n.Joined(i) && isLetter(rs[i-1]) {
				continue
			}
			if isLetter(m[k-1]) && i+k < len(rs) && n.Joined(i+k) && isLetter(rs[i+k]) {
				continue
			}
			found = k
			break
		}
		if found == 0 {
			i++
			continue
		}
		out = append(out, [2]int{i, i + found})
		i += found
	}
	return out
}

// qqMarkers and wechatMarkers are read-only after initialisation.
var (
	qqMarkers     = markers(append([]string{"QQ", "Q号", "QQ号", "扣扣号", "企鹅号", "q群", "qq群"}, variantForms("qq")...)...)
	wechatMarkers = markers(append([]string{"微信", "微信号", "加V", "加我V", "V号", "VX号", "WX号", "wxid"}, variantForms("微信")...)...)
)

func variantForms(word string) []string {
	w := []rune(NormalizeString(word))
	for _, v := range variantTable {
		if slices.Equal(v.word, w) {
			return v.forms
		}
	}
	return nil
}

// qqNear is how many normalised characters may separate a QQ marker from
// the number: "QQ：12345678", "扣扣是 12345678", "12345678（企鹅）".
const qqNear = 6

// detectQQ finds 5–11 digit numbers near a QQ marker.
func detectQQ(text string, n *Normalized, dst []Result) []Result {
	ms := findMarkers(n, qqMarkers)
	if len(ms) == 0 {
		return dst
	}
	for _, run := range digitRuns(n) {
		for _, c := range qqCandidates(n, run) {
			if n.Runes[c.start] == '0' || !markerNear(n, ms, c) {
				continue
			}
			num := string(n.Runes[c.start:c.end])
			dst = append(dst, newResult(CheckQQ, "contact",
				fmt.Sprintf("发送QQ号（%s）引流", maskID(num)), text, n.Start[c.start], n.End[c.end-1]))
		}
	}
	return dst
}

// qqCandidates is the whole run when it has 5–11 digits (spaces inside are
// how numbers are disguised), else its unbroken pieces of that length.
func qqCandidates(n *Normalized, run digitRun) []digitRun {
	if l := run.end - run.start; l >= 5 && l <= 11 {
		return []digitRun{run}
	}
	var out []digitRun
	for i := run.start; i < run.end; {
		j := i + 1
		for j < run.end && n.Joined(j) {
			j++
		}
		if l := j - i; l >= 5 && l <= 11 {
			out = append(out, digitRun{i, j})
		}
		i = j
	}
	return out
}

// markerNear reports a marker within qqNear runes before or after c, with
// no break between. Markers are in text order, so only the nearest one on
// each side needs looking at.
func markerNear(n *Normalized, ms [][2]int, c digitRun) bool {
	i, _ := slices.BinarySearchFunc(ms, c.start, func(m [2]int, t int) int { return cmp.Compare(m[1], t+1) })
	// ms[i-1] ends at or before c.start; ms[i] is the first ending after it.
	if i > 0 {
		if lo, hi := ms[i-1][1], c.start; hi-lo <= qqNear && !slices.Contains(n.Runes[lo:hi], BreakRune) {
			return true
		}
	}
	for ; i < len(ms); i++ {
		if ms[i][0] < c.end {
			continue // overlaps the number; cannot happen for digit-free markers
		}
		lo, hi := c.end, ms[i][0]
		return hi-lo <= qqNear && !slices.Contains(n.Runes[lo:hi], BreakRune)
	}
	return false
}

// wechatFillers may stand between a WeChat marker and the id:
// "微信号是 abc123", "加我薇信：abc123", "vx 搜 abc123".
var wechatFillers = map[rune]bool{
	'号': true, '是': true, '为': true, '我': true, '的': true, '加': true, '搜': true, '索': true,
	'名': true, '叫': true, '码': true, ':': true,
}

const maxWechatFillers = 3

// detectWeChatID finds a WeChat id (a letter, then 5–19 letters, digits, -
// or _) right after a WeChat marker (微信, 薇信, vx, wx, 加V…), with at
// most three filler characters between. The id is rebuilt from the original
// because '-' and '_' are noise to the normaliser. Raw "wxid_…" ids count
// on their own.
func detectWeChatID(text string, n *Normalized, dst []Result) []Result {
	for _, m := range findMarkers(n, wechatMarkers) {
		if string(n.Runes[m[0]:m[1]]) == "wxid" {
			// wxid_xxxxxxxx: the marker is the start of the id itself.
			if id, end, ok := wechatID(text, n, m[0], 6, 40); ok {
				dst = append(dst, newResult(CheckWeChatID, "contact",
					fmt.Sprintf("发送微信号（%s）引流", maskID(id)), text, n.Start[m[0]], n.End[end-1]))
			}
			continue
		}
		k := m[1]
		for fillers := 0; k < len(n.Runes) && fillers < maxWechatFillers; fillers++ {
			if k+2 < len(n.Runes) && n.Runes[k] == 'i' && n.Runes[k+1] == 'd' && !n.Joined(k+2) {
				k += 2 // "微信 ID: abc123"
				continue
			}
			if !wechatFillers[n.Runes[k]] {
				break
			}
			k++
		}
		if k >= len(n.Runes) || !isLetter(n.Runes[k]) {
			continue
		}
		if id, end, ok := wechatID(text, n, k, 6, 20); ok {
			dst = append(dst, newResult(CheckWeChatID, "contact",
				fmt.Sprintf("发送微信号（%s）引流", maskID(id)), text, n.Start[m[0]], n.End[end-1]))
		}
	}
	return dst
}

// wechatID reads an id starting at rune k: ASCII letters and digits that are
// adjacent in the original or separated only by '-' / '_'. It fails if the
// id is shorter than minLen or longer than maxLen.
func wechatID(text string, n *Normalized, k, minLen, maxLen int) (string, int, bool) {
	var sb strings.Builder
	j := k
	for ; j < len(n.Runes); j++ {
		r := n.Runes[j]
		if !isLetter(r) && !isDigit(r) {
			break
		}
		if j > k && !n.Joined(j) {
			gap := text[n.End[j-1]:n.Start[j]]
			if !onlyIDSeparators(gap) {
				break
			}
			sb.WriteString(strings.NewReplacer("－", "-", "＿", "_").Replace(gap))
		}
		sb.WriteRune(r)
		if sb.Len() > maxLen {
			return "", 0, false
		}
	}
	id := sb.String()
	if len(id) < minLen {
		return "", 0, false
	}
	return id, j, true
}

func onlyIDSeparators(gap string) bool {
	for _, r := range gap {
		if r != '-' && r != '_' && r != '－' && r != '＿' {
			return false
		}
	}
	return gap != ""
}

// Top-level domains the URL detector knows: the generic ones spam uses.
var urlTLDs = map[string]bool{
	"com": true, "cn": true, "net": true, "org": true, "top": true, "xyz": true, "vip": true,
	"cc": true, "me": true, "io": true, "info": true, "biz": true, "club": true, "site": true,
	"online": true, "shop": true, "wang": true, "link": true, "live": true, "tv": true,
	"co": true, "app": true, "fun": true, "icu": true, "ink": true, "ltd": true,
}

// spelledTLDs may follow a spelled-out dot with no domain label before it
// ("淘宝点com"); words like "app" and "vip" are left out because "点app"
// and "点VIP" are ordinary instructions ("tap the app").
var spelledTLDs = map[string]bool{"com": true, "cn": true, "net": true, "org": true, "top": true, "xyz": true, "cc": true}

// label is a run of normalised ASCII letters and digits, [start, end) in
// rune indices; '-' inside the original (a hyphen in a domain) joins.
type label struct{ start, end int }

func (l label) text(n *Normalized) string { return string(n.Runes[l.start:l.end]) }

func labels(text string, n *Normalized) []label {
	var out []label
	rs := n.Runes
	for i := 0; i < len(rs); {
		if !isLetter(rs[i]) && !isDigit(rs[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(rs) && (isLetter(rs[j]) || isDigit(rs[j])) &&
			(n.Joined(j) || onlyHyphens(text[n.End[j-1]:n.Start[j]])) {
			j++
		}
		out = append(out, label{i, j})
		i = j
	}
	return out
}

func onlyHyphens(gap string) bool {
	return gap != "" && strings.Trim(gap, "-－") == ""
}

// dotKind says how two adjacent labels are joined: 0 not a dot, 1 a written
// dot ("a.com", "a 。com", "a[.]com"), 2 a spelled dot ("a点com", "a dot
// com", "a丶com").
func dotKind(text string, n *Normalized, a, b label, between string) int {
	switch {
	case b.start == a.end:
		if isDotGap(text[n.End[a.end-1]:n.Start[b.start]]) {
			if strings.ContainsAny(text[n.End[a.end-1]:n.Start[b.start]], "。｡") {
				return 2
			}
			return 1
		}
	case b.start == a.end+1 && (n.Runes[a.end] == '点' || n.Runes[a.end] == '丶'):
		return 2
	case between == "dot":
		return 2
	}
	return 0
}

// isDotGap: the original between two labels holds a dot and nothing but
// dots, spaces and brackets, so "a. com" and "a[.]com" count but "a, com"
// and "a。 我 com" do not.
func isDotGap(gap string) bool {
	dot := false
	for _, r := range gap {
		switch r {
		case '.', '。', '．', '｡', '·', '•':
			dot = true
		case ' ', '(', ')', '[', ']', '{', '}', '（', '）', '【', '】', '\u3000':
		default:
			return false
		}
	}
	return dot
}

// detectURLs finds links: scheme URLs, www. hosts, and domains ending in a
// known TLD, including the spelled forms spammers use to dodge link
// filters (点com, dot com, 。com, www点).
func detectURLs(text string, n *Normalized, allow []string, dst []Result) []Result {
	ls := labels(text, n)
	for i := 0; i < len(ls); i++ {
		// Scheme: http(s) followed by "://" in the original.
		if t := ls[i].text(n); (t == "http" || t == "https") && i+1 < len(ls) {
			gap := strings.TrimSpace(text[n.End[ls[i].end-1]:n.Start[ls[i+1].start]])
			if gap == "://" || gap == "：//" {
				start := n.Start[ls[i].start]
				end := urlEnd(text, n.Start[ls[i+1].start])
				host := hostOf(text[start:end])
				if !domainAllowed(host, allow) {
					dst = append(dst, newResult(CheckURL, "link", fmt.Sprintf("发送链接（%s）", maskDomain(host)), text, start, end))
				}
				for i+1 < len(ls) && n.Start[ls[i+1].start] < end {
					i++
				}
				continue
			}
		}
		// Domain: label (dot label)+ ending in a known TLD, or starting
		// with www. The whole chain is consumed either way, so a long run
		// of dotted words costs linear time.
		j, spelled := i, false
		idx := []int{i} // labels of the chain; "dot" words are not parts
		for j+1 < len(ls) {
			a, b := ls[j], ls[j+1]
			between, step := "", 1
			if d := b; j+2 < len(ls) && d.text(n) == "dot" && d.start == a.end && ls[j+2].start == d.end &&
				!n.Joined(d.start) && !n.Joined(d.end) {
				between, step = "dot", 2 // "abc dot com": only noise around the word
				b = ls[j+2]
			}
			k := dotKind(text, n, a, b, between)
			if k == 0 {
				break
			}
			spelled = spelled || k == 2
			j += step
			idx = append(idx, j)
		}
		if j > i {
			from := -1
			if urlTLDs[ls[j].text(n)] {
				from = 0
			} else {
				for k, li := range idx[:len(idx)-1] {
					if ls[li].text(n) == "www" {
						from = k
						break
					}
				}
			}
			if from >= 0 {
				parts := make([]string, 0, len(idx)-from)
				for _, li := range idx[from:] {
					parts = append(parts, ls[li].text(n))
				}
				start, end := n.Start[ls[idx[from]].start], n.End[ls[j].end-1]
				domain := strings.Join(parts, ".")
				if !domainAllowed(domain, allow) {
					reason := fmt.Sprintf("发送链接（%s）", maskDomain(domain))
					if spelled {
						reason = fmt.Sprintf("发送变形链接（%s），规避链接检测", maskDomain(domain))
					}
					dst = append(dst, newResult(CheckURL, "link", reason, text, start, end))
				}
			}
			i = j
			continue
		}
		// A spelled dot with no label before it: "淘宝点com". (With a
		// label before, the domain case above has already consumed it.)
		if l := ls[i]; spelledTLDs[l.text(n)] && l.start > 0 && (n.Runes[l.start-1] == '点' || n.Runes[l.start-1] == '丶') {
			start, end := n.Start[l.start-1], n.End[l.end-1]
			dst = append(dst, newResult(CheckURL, "link",
				fmt.Sprintf("发送变形链接（*点%s），规避链接检测", l.text(n)), text, start, end))
		}
	}
	return dst
}

// urlEnd extends a scheme URL over the characters URLs are made of.
func urlEnd(text string, from int) int {
	for i, r := range text[from:] {
		if r > unicode.MaxASCII || r <= ' ' || strings.ContainsRune("\"<>\\^`{|}", r) {
			return from + i
		}
	}
	return len(text)
}

func hostOf(url string) string {
	_, rest, ok := strings.Cut(url, "//")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	host, _, _ = strings.Cut(host, ":")
	return strings.ToLower(host)
}

func domainAllowed(domain string, allow []string) bool {
	for _, a := range allow {
		a = strings.ToLower(strings.Trim(a, ". "))
		if a != "" && (domain == a || strings.HasSuffix(domain, "."+a)) {
			return true
		}
	}
	return false
}

// minZeroWidth is how many zero-width characters make a message suspicious:
// one can be an accident of copy and paste, two are a pattern.
const minZeroWidth = 2

// detectZeroWidth counts invisible characters used to split keywords. A
// zero-width joiner between two pictographs is part of an emoji sequence
// (👨‍👩‍👧) and does not count.
func detectZeroWidth(text string, dst []Result) []Result {
	count, first, last := 0, -1, 0
	prev := rune(-1)
	for i, r := range text {
		if isZeroWidth(r) {
			if r == 0x200D && isPictograph(prev) {
				next, _ := utf8.DecodeRuneInString(text[i+3:])
				if isPictograph(next) {
					prev = r
					continue
				}
			}
			count++
			if first < 0 {
				first = i
			}
			last = i + utf8.RuneLen(r)
		}
		prev = r
	}
	if count < minZeroWidth {
		return dst
	}
	return append(dst, newResult(CheckZeroWidth, "spam",
		fmt.Sprintf("消息含 %d 个隐形字符，疑似规避关键词检测", count), text, first, last))
}

// isPictograph approximates Extended_Pictographic: the emoji blocks and the
// older symbols used as emoji.
func isPictograph(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r == 0xFE0F || r >= 0x1F3FB && r <= 0x1F3FF
}

// Message kinds, with the Chinese names used in reasons.
var kindNames = map[string]string{
	"text": "文字", "link": "链接", "card": "名片", "image": "图片", "miniapp": "小程序",
	"file": "文件", "video": "视频", "voice": "语音", "emoji": "表情", "redpacket": "红包",
	"transfer": "转账", "system": "系统消息",
}

// Kinds lists the message kinds in a stable order.
func Kinds() []string {
	return []string{"text", "link", "card", "image", "miniapp", "file", "video", "voice", "emoji", "redpacket", "transfer", "system"}
}

// KindName is the Chinese name of a message kind.
func KindName(kind string) string {
	if s, ok := kindNames[kind]; ok {
		return s
	}
	return kind
}

// DefaultAllowedKinds allows everything but contact cards, the classic way
// to poach members without a single keyword.
func DefaultAllowedKinds() map[string]bool {
	m := make(map[string]bool, len(kindNames))
	for k := range kindNames {
		m[k] = k != "card"
	}
	return m
}

// ValidateKinds reports kind names that do not exist, for config checking.
func ValidateKinds(allowed map[string]bool) error {
	var bad []string
	for k := range allowed {
		if _, ok := kindNames[k]; !ok {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("不认识的消息类型 %s，可用：%s (unknown message kinds)",
			strings.Join(bad, "、"), strings.Join(Kinds(), " "))
	}
	return nil
}

// CheckKind reports a message kind the group does not allow. allowed == nil
// means DefaultAllowedKinds. System messages are never reported, and a kind
// this package does not know is let through: punishing what we do not
// understand would punish the platform's changes, not the member.
func CheckKind(kind string, allowed map[string]bool) (Result, bool) {
	if kind == "" {
		kind = "text"
	}
	if _, known := kindNames[kind]; !known || kind == "system" {
		return Result{}, false
	}
	if allowed == nil {
		allowed = DefaultAllowedKinds()
	}
	if allowed[kind] {
		return Result{}, false
	}
	return Result{
		Check:    CheckMessageKind,
		Rule:     CheckMessageKind + ":" + kind,
		Category: "spam",
		Action:   ActionStrike,
		Strikes:  1,
		Reason:   fmt.Sprintf("本群不允许发送%s", KindName(kind)),
	}, true
}
