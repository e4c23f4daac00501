package config

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"qunbot/rules"
)

// Duration is a time.Duration as owners write it: Go durations ("90s", "10m", "1h30m"),
// days ("7d", "1d12h") and Chinese ("30分钟", "1小时", "半小时", "2天"), because group
// owners think in days and write in Chinese.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return FormatDuration(time.Duration(d)) }

// MarshalYAML writes the same form ParseDuration reads.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML parses the duration; errors are reported as type errors so that decoding
// goes on and every mistake in the file is reported at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "时长要写成一个值，例如 30分钟、1小时、7天 或 30m、1h、7d / a duration must be a single value")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return typeError(n, "%v", err)
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads a duration the way every part of qunbot does (rules.ParseDuration,
// the one parser): 90s, 1h30m, 7d, 30分钟, 1小时, 半小时, 2天.
func ParseDuration(s string) (time.Duration, error) { return rules.ParseDuration(s) }

// FormatDuration prints whole days as "Nd" and the rest as Go does, trimming zero units.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * 24 * time.Hour
	}
	if d > 0 {
		// Zero units are left out ("1h", "1m30s", "1h0m30s"); only a whole zero "0s"
		// suffix goes, never the 0 of "30s" (which once printed as "3").
		s := d.String()
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		b.WriteString(s)
	}
	return b.String()
}

// Template is a Go text/template given in the config. Member-supplied strings only ever
// reach it as data, so a nickname like "{{.Rules}}" is printed literally.
type Template struct {
	Source string
	tmpl   *template.Template
}

// NewTemplate parses a template; name is used in error messages.
func NewTemplate(name, src string) (Template, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return Template{}, err
	}
	return Template{Source: src, tmpl: t}, nil
}

// MustTemplate is for the built-in defaults, which tests parse.
func MustTemplate(name, src string) Template {
	t, err := NewTemplate(name, src)
	if err != nil {
		panic(err)
	}
	return t
}

// IsZero reports whether no template was given.
func (t Template) IsZero() bool { return t.tmpl == nil }

// Execute renders the template with data.
func (t Template) Execute(data any) (string, error) {
	if t.tmpl == nil {
		return "", nil
	}
	var b strings.Builder
	if err := t.tmpl.Execute(&b, data); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// UnmarshalYAML parses the template text.
func (t *Template) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, "模板必须是一段文字 / a template must be a string")
	}
	parsed, err := NewTemplate("template", n.Value)
	if err != nil {
		return typeError(n, "模板语法错误 / bad template: %s", cleanTemplateError(err))
	}
	*t = parsed
	return nil
}

// MarshalYAML writes the source back.
func (t Template) MarshalYAML() (any, error) { return t.Source, nil }

func cleanTemplateError(err error) string {
	s := err.Error()
	// "template: template:2: unexpected ..." → "2: unexpected ..." (line within the template)
	s = strings.TrimPrefix(s, "template: ")
	s = strings.TrimPrefix(s, "template:")
	return s
}

// typeError reports a problem at the node's line as a yaml.TypeError, which yaml.v3
// collects instead of aborting, so all mistakes are listed together.
func typeError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, fmt.Sprintf(format, args...))}}
}

// CronSpec is a schedule in cron syntax: 5 fields ("0 8 * * *"), an optional leading
// seconds field, or a descriptor (@daily, @weekly, @every 1h). It runs in the config
// timezone.
type CronSpec struct {
	Spec     string
	Schedule cron.Schedule
}

var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron parses a cron spec.
func ParseCron(spec string) (c CronSpec, err error) {
	// robfig/cron panics on "TZ=" with nothing after it (found by FuzzCron); a zone in the
	// spec is refused anyway: specs run in the config's timezone.
	if t := strings.TrimSpace(spec); strings.HasPrefix(t, "TZ=") || strings.HasPrefix(t, "CRON_TZ=") {
		return CronSpec{}, errors.New("cron 里不能写时区（用顶层 timezone）/ no timezone in a cron spec: use the top-level timezone")
	}
	defer func() {
		if r := recover(); r != nil { // a parser bug must not take the bot down with a config
			c, err = CronSpec{}, fmt.Errorf("invalid cron spec %q", spec)
		}
	}()
	s, err := cronParser.Parse(strings.TrimSpace(spec))
	if err != nil {
		return CronSpec{}, err
	}
	return CronSpec{Spec: strings.TrimSpace(spec), Schedule: s}, nil
}

// MustCron is for built-in defaults.
func MustCron(spec string) CronSpec {
	c, err := ParseCron(spec)
	if err != nil {
		panic(err)
	}
	return c
}

// IsZero reports whether no schedule was given.
func (c CronSpec) IsZero() bool { return c.Schedule == nil }

func (c CronSpec) String() string { return c.Spec }

// UnmarshalYAML parses and checks the spec.
func (c *CronSpec) UnmarshalYAML(n *yaml.Node) error {
	parsed, err := ParseCron(n.Value)
	if err != nil || n.Kind != yaml.ScalarNode {
		return typeError(n, "无效的 cron 表达式「%s」，请写成「分 时 日 月 周」，例如 \"0 8 * * *\"（每天 8:00）、\"30 9 * * 1\"（每周一 9:30）或 @daily / invalid cron spec", clip(n.Value, 40))
	}
	*c = parsed
	return nil
}

// MarshalYAML writes the spec back.
func (c CronSpec) MarshalYAML() (any, error) { return c.Spec, nil }
