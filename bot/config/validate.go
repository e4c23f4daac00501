package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"qunbot/bot/holiday"
)

// validate checks what decoding cannot: values in range and templates that run.
func validate(c *Config, pos *positions, p *problems) {
	at := func(path, format string, args ...any) { p.check(pos, "", path, format, args...) }

	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" {
		at("timezone", "未知的时区「%s」，请写成 Asia/Shanghai 这样的 IANA 时区名 / unknown timezone", c.Timezone)
	} else {
		c.Location = loc
	}
	if c.Storage.Path == "" {
		at("storage.path", "数据库路径不能为空 / storage.path must not be empty")
	}
	if c.Outbox.PerMinute < 1 || c.Outbox.PerMinute > 120 {
		at("outbox.per_minute", "应在 1 到 120 之间（建议 6，越快越容易被封号），现在是 %d / must be between 1 and 120", c.Outbox.PerMinute)
	}
	if c.Outbox.MaxAttempts < 1 {
		at("outbox.max_attempts", "至少为 1 / must be at least 1")
	}
	validatePlatform(c, at)
	validateWeb(c.Web, at)
	validateRetention(c.Retention, at)
	validateBackup(c.Backup, at)
	c.Holidays = loadHolidays(c.HolidaysFile, at)
	dir := ""
	if c.Source != "" && !strings.Contains(c.Source, "(") {
		dir = filepath.Dir(c.Source)
	}
	mv := &moderationValidator{dir: dir, files: map[string]fileLexicon{}}
	validateGroup(&c.Defaults, "defaults", at, mv, c.Holidays)
	for name, g := range c.Groups {
		group := "groups." + name
		inGroup := func(path, format string, args ...any) { p.check(pos, group, path, format, args...) }
		validateGroup(g, group, inGroup, mv, c.Holidays) // fills in parsed parts (ladder, lexicon entries)
		validateCrons(g, group, c.Scheduler.MinInterval.D(), c.Location, inGroup)
	}
	validateScheduler(c, at)
}

type reporter func(path, format string, args ...any)

func validateGroup(g *Group, path string, at reporter, mv *moderationValidator, hol *holiday.Table) {
	w := g.Welcome
	if w.Enabled {
		if w.Template.IsZero() {
			at(path+".welcome.template", "启用了欢迎语但模板为空 / welcome is enabled but the template is empty")
		} else if !knownFields(w.Template, SampleWelcome(), path+".welcome.template", at) {
		} else if _, err := w.Template.Execute(SampleWelcome()); err != nil {
			at(path+".welcome.template", "模板无法执行 / template fails: %s（可用变量 / variables: %s）", cleanTemplateError(err), templateVars(SampleWelcome()))
		}
	}
	if w.BatchWindow.D() > 10*time.Minute {
		at(path+".welcome.batch_window", "合并窗口最长 10m / batch_window must be at most 10m")
	}
	mv.validate(g, path, at)
	validateDefences(g, path, at)
	validateCommandWords(g.Commands, path, at)
	validateBoards(g.Boards, path, at)
	validateAdmins(g.Admins, path, at)
	validateVia(g.Silent.Remind.Via, path+".silent.remind.via", at)
	validateVia(g.Silent.Benefit.Via, path+".silent.benefit.via", at)
	validateVia(g.Screening.Via, path+".screening.via", at)
	validateEngagement(g, path, at)
	validateCommunity(g, path, at)
	validateSchedule(g, path, at, hol)
}

// templateVars lists the variables a template's data offers, e.g. "{{.Name}} {{.Group}}".
func templateVars(data any) string {
	t := reflect.TypeOf(data)
	names := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		names = append(names, "{{."+t.Field(i).Name+"}}")
	}
	return strings.Join(names, " ")
}
