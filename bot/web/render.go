package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
	"unicode"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the pages; each is parsed together with the layout.
func pageNames() []string { return []string{"index", "group", "tester", "reviews", "notfound"} }

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"show": show, "vis": visible}
	pages := map[string]*template.Template{}
	for _, name := range pageNames() {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse dashboard page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// base is what every page shows in its frame.
type base struct {
	Title string
	Now   string // the engine's time, local
	Zone  string
}

func (s *Server) base(title string) base {
	now := s.e.Now().In(s.e.Location())
	return base{Title: title, Now: now.Format("2006-01-02 15:04"), Zone: s.e.Location().String()}
}

// render writes a page, or a 500 that tells the owner where to look (never the error
// itself: it may quote data).
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.fail(w, r, fmt.Errorf("render %s: %w", page, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "dashboard page failed", "path", r.URL.Path, "err", err)
	http.Error(w, "500 页面出错了，详情见机器人日志 / internal error, see the bot's log", http.StatusInternalServerError)
}

// hidden reports characters that do not show but change what text looks like: zero-width
// characters, bidirectional overrides (U+202E turns "gpj.exe" around), other controls.
func hidden(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return unicode.Is(unicode.Cf, r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// visible is s as plain text with hidden characters spelled out ("⟨U+202E⟩"); the
// template escapes it. For places that cannot hold markup (attributes, <option>).
func visible(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, hidden) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			fmt.Fprintf(&b, "⟨U+%04X⟩", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// show renders text from members or admins (names, evidence, reasons) as escaped HTML,
// isolated from the surrounding text's direction (<bdi>) and with hidden characters
// shown as marked codes, so that a name can neither inject markup nor disguise itself.
func show(s string) template.HTML {
	var b strings.Builder
	b.WriteString("<bdi>")
	writeText(&b, s)
	b.WriteString("</bdi>")
	return template.HTML(b.String())
}

// attrText escapes s for a quoted attribute value or a <textarea>, hidden characters as
// character references: the browser decodes them back, so the value round-trips exactly,
// yet no bidirectional override reaches the page source as such.
func attrText(s string) string {
	var b strings.Builder
	escapeHTML(&b, s, func(r rune) bool {
		if r == '\r' {
			return false
		}
		fmt.Fprintf(&b, "&#x%X;", r)
		return true
	})
	return b.String()
}

// writeText writes s escaped for HTML element content, hidden characters marked.
func writeText(b *strings.Builder, s string) {
	escapeHTML(b, s, func(r rune) bool {
		fmt.Fprintf(b, `<span class="cc" title="看不见的字符">U+%04X</span>`, r)
		return true
	})
}

// escapeHTML writes s with the five HTML metacharacters escaped; each hidden character
// goes to writeHidden, which reports whether it wrote it (false: written as is).
func escapeHTML(b *strings.Builder, s string, writeHidden func(rune) bool) {
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '"':
			b.WriteString("&#34;")
		case r == '\'':
			b.WriteString("&#39;")
		case hidden(r) && writeHidden(r):
		default:
			b.WriteRune(r)
		}
	}
}

// Time formats, in the config's timezone.

func (s *Server) local(t time.Time) time.Time { return t.In(s.e.Location()) }

// when is "11月21日 周六 08:00", with the year when it is not this year's.
func (s *Server) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	l, now := s.local(t), s.local(s.e.Now())
	out := fmt.Sprintf("%d月%d日 %s %s", l.Month(), l.Day(), weekday(l.Weekday()), l.Format("15:04"))
	if l.Year() != now.Year() {
		out = fmt.Sprintf("%d年", l.Year()) + out
	}
	return out
}

func weekday(d time.Weekday) string {
	return [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[d]
}

// relative is "3小时后" / "2天前".
func relative(d time.Duration) string {
	suffix := "后"
	if d < 0 {
		d, suffix = -d, "前"
	}
	switch {
	case d < time.Minute:
		return "马上"
	case d < time.Hour:
		return fmt.Sprintf("%d分钟%s", int(d/time.Minute), suffix)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d小时%s", int(d/time.Hour), suffix)
	}
	return fmt.Sprintf("%d天%s", int(d/(24*time.Hour)), suffix)
}
