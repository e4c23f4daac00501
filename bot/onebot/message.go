package onebot

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Segment is one part of a OneBot message (the array format): {"type", "data"}. Data
// values are strings in the spec, but some implementations send numbers (an at's "qq"),
// so they are kept raw and read with str.
type Segment struct {
	Type string                     `json:"type"`
	Data map[string]json.RawMessage `json:"data"`
}

// str reads a data value as a string: a JSON string, or the text of a number.
func (s Segment) str(key string) string {
	raw, ok := s.Data[key]
	if !ok {
		return ""
	}
	var v string
	if err := json.Unmarshal(raw, &v); err == nil {
		return v
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String()
	}
	return ""
}

// textSeg and atSeg build the two segments the adapter sends.
func textSeg(text string) Segment {
	b, _ := json.Marshal(text)
	return Segment{Type: "text", Data: map[string]json.RawMessage{"text": b}}
}

func atSeg(qq string) Segment {
	b, _ := json.Marshal(qq)
	return Segment{Type: "at", Data: map[string]json.RawMessage{"qq": b}}
}

// ParseMessage decodes a message field in any of the spec's forms: a segment array, a
// CQ-code string (the "string" message format), or a single segment object.
func ParseMessage(raw json.RawMessage) ([]Segment, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("message string: %w", err)
		}
		return ParseCQ(s), nil
	case '[':
		var segs []Segment
		if err := json.Unmarshal(raw, &segs); err != nil {
			return nil, fmt.Errorf("message array: %w", err)
		}
		return segs, nil
	case '{':
		var seg Segment
		if err := json.Unmarshal(raw, &seg); err != nil {
			return nil, fmt.Errorf("message segment: %w", err)
		}
		return []Segment{seg}, nil
	}
	return nil, fmt.Errorf("message is neither a string nor an array: %.40s", raw)
}

// ParseCQ parses the string message format: plain text with CQ codes ("[CQ:at,qq=123]")
// in it. Text outside codes is unescaped (&amp; &#91; &#93;, and &#44; which some
// implementations escape there too); a code's parameter values likewise. A "[CQ:" that
// never closes is text, as the spec's reader would show it.
func ParseCQ(s string) []Segment {
	var out []Segment
	addText := func(t string) {
		if t == "" {
			return
		}
		t = unescapeCQ(t)
		if n := len(out); n > 0 && out[n-1].Type == "text" {
			t = out[n-1].str("text") + t
			out = out[:n-1]
		}
		out = append(out, textSeg(t))
	}
	for {
		i := strings.Index(s, "[CQ:")
		if i < 0 {
			addText(s)
			return out
		}
		end := strings.IndexByte(s[i:], ']')
		if end < 0 {
			addText(s)
			return out
		}
		addText(s[:i])
		code := s[i+len("[CQ:") : i+end]
		s = s[i+end+1:]
		name, params, _ := strings.Cut(code, ",")
		seg := Segment{Type: unescapeCQ(name), Data: map[string]json.RawMessage{}}
		if params != "" {
			for _, p := range strings.Split(params, ",") {
				k, v, _ := strings.Cut(p, "=")
				b, _ := json.Marshal(unescapeCQ(v))
				seg.Data[unescapeCQ(k)] = b
			}
		}
		out = append(out, seg)
	}
}

var cqUnescaper = strings.NewReplacer("&#91;", "[", "&#93;", "]", "&#44;", ",", "&amp;", "&")

func unescapeCQ(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return cqUnescaper.Replace(s)
}

var cqTextEscaper = strings.NewReplacer("&", "&amp;", "[", "&#91;", "]", "&#93;")
var cqParamEscaper = strings.NewReplacer("&", "&amp;", "[", "&#91;", "]", "&#93;", ",", "&#44;")

// FormatCQ writes segments in the string format, escaping text and parameter values.
// The adapter sends arrays; this exists for round-trip tests and for logs.
func FormatCQ(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.Type == "text" {
			b.WriteString(cqTextEscaper.Replace(s.str("text")))
			continue
		}
		b.WriteString("[CQ:")
		b.WriteString(cqParamEscaper.Replace(s.Type))
		keys := make([]string, 0, len(s.Data))
		for k := range s.Data {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for _, k := range keys {
			b.WriteByte(',')
			b.WriteString(cqParamEscaper.Replace(k))
			b.WriteByte('=')
			b.WriteString(cqParamEscaper.Replace(s.str(k)))
		}
		b.WriteByte(']')
	}
	return b.String()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// mentionSep ends an "@Name" in the engine's text (WeChat's four-per-em space).
const mentionSep = "\u2005"

// BuildSegments turns the engine's text into the array the adapter sends: each mention's
// exact text ("@Name" and U+2005) becomes an `at` segment for its QQ number, so the member
// is really notified; the rest is text. Mentions are found in order; one whose text is
// not in the message adds nothing (the text stays as written).
func BuildSegments(text string, mentions []Mention) []Segment {
	var out []Segment
	rest := text
	for _, m := range mentions {
		if m.Text == "" || m.QQ == "" {
			continue
		}
		i := strings.Index(rest, m.Text)
		if i < 0 {
			continue
		}
		if i > 0 {
			out = append(out, textSeg(rest[:i]))
		}
		out = append(out, atSeg(m.QQ))
		rest = rest[i+len(m.Text):]
		if !strings.HasPrefix(rest, " ") && rest != "" {
			rest = " " + rest // QQ shows "@名片" with no space after it; keep the words apart
		}
	}
	if rest != "" {
		out = append(out, textSeg(rest))
	}
	return out
}

// Mention is one @ in a message the adapter sends: the text that stands for the member in
// the engine's message, and their QQ number.
type Mention struct {
	Text string
	QQ   string
}

// rendered is a received message as the engine reads it.
type rendered struct {
	text     string
	kind     string // a bot.MessageKind
	mentions []string
	image    string // the first image's url, else its file: what FetchImage takes (images.go)
}

// render turns segments into the engine's text, its kind and the QQ numbers it mentions.
// name gives a member's shown name for an `at` (their card, else nickname, else number);
// an `at` of the bot itself at the very start is dropped ("@机器人 签到" is the command
// 签到). Media keep their kind; text beside an image is still the text moderation reads.
func render(segs []Segment, self string, name func(qq string) string) rendered {
	var b strings.Builder
	var r rendered
	kinds := map[string]bool{}
	for _, s := range segs {
		switch s.Type {
		case "text":
			b.WriteString(s.str("text"))
		case "at":
			qq := s.str("qq")
			if qq == self && strings.TrimSpace(b.String()) == "" {
				b.Reset()
				continue
			}
			if qq == "all" {
				b.WriteString("@全体成员" + mentionSep)
				continue
			}
			if qq == "" {
				continue
			}
			r.mentions = append(r.mentions, qq)
			b.WriteString("@" + name(qq) + mentionSep)
		case "share", "music":
			kinds["link"] = true
			b.WriteString(strings.TrimSpace(s.str("title") + " " + s.str("url") + " " + s.str("content")))
		case "image":
			kinds["image"] = true
			if r.image == "" {
				r.image = cmp.Or(s.str("url"), s.str("file"))
			}
		case "record":
			kinds["voice"] = true
		case "video":
			kinds["video"] = true
		case "file":
			kinds["file"] = true
		case "json", "xml":
			kinds["miniapp"] = true
			// The card's own text is where the pitch is; moderation should read it.
			b.WriteString(cardText(s.str("data")))
		case "contact", "location":
			kinds["card"] = true
		case "face", "mface", "dice", "rps", "poke", "shake":
			kinds["emoji"] = true
		case "forward":
			b.WriteString("[合并转发]")
		}
	}
	r.text = strings.TrimLeft(b.String(), " ")
	switch {
	case kinds["miniapp"]:
		r.kind = "miniapp"
	case kinds["card"]:
		r.kind = "card"
	case kinds["link"]:
		r.kind = "link"
	case kinds["file"]:
		r.kind = "file"
	case kinds["video"]:
		r.kind = "video"
	case kinds["voice"]:
		r.kind = "voice"
	case strings.TrimSpace(r.text) != "":
		r.kind = "text"
	case kinds["image"]:
		r.kind = "image"
	case kinds["emoji"]:
		r.kind = "emoji"
	default:
		r.kind = "text"
	}
	return r
}

// cardText pulls the human-readable strings out of a json card (title, desc, prompt…),
// bounded, so moderation can read an ad dressed as a mini-program card.
func cardText(data string) string {
	var v any
	if err := json.Unmarshal([]byte(data), &v); err != nil {
		return ""
	}
	var parts []string
	total := 0
	var walk func(v any, key string)
	walk = func(v any, key string) {
		if total > 2000 {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(c, k)
			}
		case []any:
			for _, c := range x {
				walk(c, key)
			}
		case string:
			switch key {
			case "prompt", "title", "desc", "text", "tag", "jumpUrl", "qqdocurl", "url":
				if x != "" && utf8.ValidString(x) {
					parts = append(parts, x)
					total += len(x)
				}
			}
		}
	}
	walk(v, "")
	sortStrings(parts)
	return strings.Join(parts, " ")
}
