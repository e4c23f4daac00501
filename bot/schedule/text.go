package schedule

import (
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// mentionsOf renders "@A @B " and "A、B" for members named in one message. Names are data:
// they reach templates as values and are never parsed.
func mentionsOf(ms []storage.Member) (mentions, names string) {
	var b strings.Builder
	list := make([]string, len(ms))
	for i, m := range ms {
		b.WriteString(bot.Mention(m))
		list[i] = m.ShownName()
	}
	return b.String(), strings.Join(list, "、")
}

// render runs a config template; if it fails at run time (or renders nothing), the
// fallback template (built in, known to work) is used, then plain text, so that a post or
// reminder is never dropped because of a template mistake.
func render(log *slog.Logger, what string, t config.Template, data any, fallback config.Template, plain string) string {
	out, err := t.Execute(data)
	if err == nil && out != "" {
		return out
	}
	log.Error("template failed; using a plain text instead", "template", what, "err", err)
	if !fallback.IsZero() {
		if out, err := fallback.Execute(data); err == nil && out != "" {
			return out
		}
	}
	if plain != "" {
		return plain
	}
	return stripActions(t.Source)
}

var actionRe = regexp.MustCompile(`(?s)\{\{.*?\}\}`)

// stripActions turns a template into plain text by dropping its {{…}} actions.
func stripActions(src string) string {
	return strings.TrimSpace(actionRe.ReplaceAllString(src, ""))
}

func weekdayCN(d time.Weekday) string {
	return [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}[d]
}

// dateCN is "11月21日".
func dateCN(t time.Time) string { return fmt.Sprintf("%d月%d日", t.Month(), t.Day()) }

// days is a threshold in whole days (rounded down, at least 1).
func days(d config.Duration) int { return max(int(d.D()/(24*time.Hour)), 1) }

// midnight is the start of t's local day.
func midnight(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
}

func dayKey(t time.Time) string { return t.Format("2006-01-02") }

// percent formats a ratio as "12.5%", whole numbers without decimals ("20%"), and "—"
// when there is nothing to divide by.
func percent(num, den int) string {
	if den <= 0 {
		return "—"
	}
	return strconv.FormatFloat(math.Round(float64(num)*1000/float64(den))/10, 'f', -1, 64) + "%"
}
