package wechat

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// parseRename reads a group-rename notice and returns the new name:
//
//	"张三"修改群名为"读书会2"   你修改群名为“读书会2”   "張三"修改群名為"讀書會"
//	"Alice" changed the group name to "Book Club"   You changed the group name to "Book Club"
//
// The old name is the one the session knew. The new name is everything after the keyword,
// without its quotes (a group name may contain quotes itself). ok is false for anything
// else, and for a rename to an empty name.
func parseRename(content string) (newName string, ok bool) {
	s := strings.TrimSpace(normalizeNotice(content))
	if strings.Contains(s, "<sysmsg") || lookAlike(s) {
		return "", false
	}
	var rest string
	if i := strings.Index(s, "修改群名为"); i >= 0 {
		head := strings.TrimSpace(s[:i])
		if head != zhYou && !(strings.HasPrefix(head, `"`) && strings.HasSuffix(head, `"`) && len(head) > 2) {
			return "", false
		}
		rest = s[i+len("修改群名为"):]
	} else if i := indexASCIIFold(s, " changed the group name to "); i > 0 {
		head := strings.TrimSpace(s[:i])
		if !equalASCIIFold(head, enYou) && !(strings.HasPrefix(head, `"`) && strings.HasSuffix(head, `"`) && len(head) > 2) {
			return "", false
		}
		rest = strings.TrimSuffix(strings.TrimSpace(s[i+len(" changed the group name to "):]), ".")
	} else {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if len(rest) >= 2 && rest[0] == '"' && rest[len(rest)-1] == '"' {
		rest = rest[1 : len(rest)-1]
	}
	name := cleanName(rest)
	return name, name != ""
}

// isRemovalNotice reports the owner's own view of a removal ("你将"张三"移出了群聊",
// "You removed "Bob" from the group chat"): the member list is worth reading at once.
func isRemovalNotice(content string) bool {
	s := normalizeNotice(content)
	return strings.Contains(s, "移出了群聊") || strings.Contains(s, "移出群聊") ||
		(indexASCIIFold(s, " removed ") >= 0 && indexASCIIFold(s, " from the group chat") >= 0)
}

// knownNotice reports system messages the adapter has no use for but knows well, so that
// they are not reported as new forms.
func knownNotice(content string) bool {
	for _, w := range []string{"撤回了", "拍了拍", "红包", "转账", "群主", "群公告", "群聊邀请确认", "朋友关系",
		"想邀请", "去确认", "以下为新消息", "recalled a message", " patted ", "Red Packet", "group owner",
		"Group Notice", "not friends with"} {
		if strings.Contains(content, w) {
			return true
		}
	}
	return false
}

// noticeForms logs every system-message form it has not seen before, once, anonymised, so
// that a wording WeChat starts to use can be added to the parsers (the bad-input rule:
// never crash on it, never lose it silently, never log a member's name).
type noticeForms struct {
	mu   sync.Mutex
	seen map[string]bool
	max  int
}

func newNoticeForms(max int) *noticeForms {
	return &noticeForms{seen: map[string]bool{}, max: max}
}

// first reports whether form is new. Past max forms nothing more is remembered (or
// logged): a flood of unique forms is not worth unbounded memory.
func (f *noticeForms) first(form string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen[form] || len(f.seen) >= f.max {
		return false
	}
	f.seen[form] = true
	return true
}

// noticeForm anonymises a system message into its form: quoted text becomes "…", the given
// names (the group's members and the owner, for notices that name people without quotes)
// become 某人, digits become #, a sysmsgtemplate document becomes its template (whose
// placeholders name no one), and the result is cut to 120 characters.
func noticeForm(content string, names []string) string {
	s := content
	if i := strings.Index(s, "<sysmsg"); i >= 0 {
		if t, ok := readTemplate(s[i:]); ok {
			s = "sysmsgtemplate: " + t.Template
		} else {
			s = sysmsgType(s[i:])
		}
	} else {
		s = normalizeNotice(s)
		parts := strings.Split(s, `"`)
		for i := 1; i < len(parts); i += 2 {
			parts[i] = "…"
		}
		s = strings.Join(parts, `"`)
		long := make([]string, 0, len(names))
		for _, n := range names {
			if utf8.RuneCountInString(n) >= 2 { // one character would blank out ordinary words
				long = append(long, n)
			}
		}
		// Longest first, so that 张三丰 is not left as 某人丰.
		for i := 1; i < len(long); i++ {
			for j := i; j > 0 && len(long[j]) > len(long[j-1]); j-- {
				long[j], long[j-1] = long[j-1], long[j]
			}
		}
		for _, n := range long {
			s = strings.ReplaceAll(s, n, "某人")
		}
	}
	var b strings.Builder
	digits := false
	count := 0
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			r = ' '
		}
		if unicode.IsDigit(r) {
			if digits {
				continue
			}
			digits, r = true, '#'
		} else {
			digits = false
		}
		if count == 120 {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		count++
	}
	return strings.TrimSpace(b.String())
}

// sysmsgType names a <sysmsg> document by its type attribute only: its content is the
// members' business.
func sysmsgType(doc string) string {
	const attr = `type="`
	end := strings.IndexByte(doc, '>')
	if end < 0 {
		end = len(doc)
	}
	tag := doc[:end]
	i := strings.Index(tag, attr)
	if i < 0 {
		return "sysmsg"
	}
	typ := tag[i+len(attr):]
	if j := strings.IndexByte(typ, '"'); j >= 0 {
		typ = typ[:j]
	}
	if len(typ) > 40 {
		typ = typ[:40]
	}
	return "sysmsg type=" + typ
}
