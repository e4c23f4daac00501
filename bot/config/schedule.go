package config

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	"qunbot/bot/holiday"
)

// Post is one scheduled post. Its content is, on a given day, the first of:
// the weekday's entry in Weekdays; the next item of Items / ItemsFile (framed by Text when
// Text is set, which must then use {{.Item}}); Text alone. A day with none is skipped.
type Post struct {
	// Name keeps the post's identity (its stored last run and rotation position) when the
	// list is edited; without it the post is known by its place in the list (#1, #2…).
	Name string `yaml:"name"`
	// When: exactly one of Cron (repeating), At (once), Festival (every year on a named
	// festival of the holiday table) and Annual (every year on a month-day, e.g. the
	// group's anniversary). Festival and Annual posts go out at Time (default 09:00).
	Cron     CronSpec      `yaml:"cron"`
	At       LocalDateTime `yaml:"at"`
	Festival string        `yaml:"festival"`
	Annual   MonthDay      `yaml:"annual"`
	Time     ClockTime     `yaml:"time"`
	// SkipOnHolidays: no post on public days off (holiday table). WorkdaysOnly: only on
	// official workdays — Monday to Friday except days off, plus make-up workdays (调休).
	SkipOnHolidays bool `yaml:"skip_on_holidays"`
	WorkdaysOnly   bool `yaml:"workdays_only"`
	// Countdown counts the days to an event ({{.Countdown}}); the post stops after it.
	Countdown *Countdown `yaml:"countdown"`
	Text      Template   `yaml:"text"`
	// Items are plain texts (not templates: put variables in Text) taken one per post.
	Items []string `yaml:"items"`
	// ItemsFile holds more items, one per line (empty lines and lines starting with # are
	// skipped). A relative path is relative to the directory the bot starts in, like
	// storage.path. It is read again at every post, so it can be edited while running.
	ItemsFile string `yaml:"items_file"`
	// Order is "sequence" (default: in list order, then again from the top) or "shuffle"
	// (random order without repeats until every item was used once).
	Order    string   `yaml:"order"`
	Weekdays Weekdays `yaml:"weekdays"`
}

// Post orders.
const (
	OrderSequence = "sequence"
	OrderShuffle  = "shuffle"
)

// ID is the post's stable identifier within its group: its name, else "#<place>".
func (p Post) ID(index int) string {
	if p.Name != "" {
		return p.Name
	}
	return fmt.Sprintf("#%d", index+1)
}

// HasItems reports whether the post takes items from a list or a file.
func (p Post) HasItems() bool { return len(p.Items) > 0 || p.ItemsFile != "" }

// Weekdays is a content calendar: a template per weekday that replaces the post's usual
// content on that day.
type Weekdays struct {
	Mon Template `yaml:"mon"`
	Tue Template `yaml:"tue"`
	Wed Template `yaml:"wed"`
	Thu Template `yaml:"thu"`
	Fri Template `yaml:"fri"`
	Sat Template `yaml:"sat"`
	Sun Template `yaml:"sun"`
}

// For returns the template for a weekday (zero when none).
func (w Weekdays) For(d time.Weekday) Template {
	return [...]Template{w.Sun, w.Mon, w.Tue, w.Wed, w.Thu, w.Fri, w.Sat}[d]
}

type namedTemplate struct {
	key string
	t   Template
}

func (w Weekdays) all() []namedTemplate {
	return []namedTemplate{{"mon", w.Mon}, {"tue", w.Tue}, {"wed", w.Wed}, {"thu", w.Thu}, {"fri", w.Fri}, {"sat", w.Sat}, {"sun", w.Sun}}
}

// DefaultFestivalTime is when festival and anniversary posts go out unless they say.
var DefaultFestivalTime = MustClock(9, 0)

// PostData are the variables a post template can use.
//
//	{{.Group}}      the group's name
//	{{.Date}}       the local date, e.g. 11月21日
//	{{.Weekday}}    e.g. 周六
//	{{.Time}}       the local time, e.g. 08:00
//	{{.Count}}      members in the group now
//	{{.Item}}       the item taken from items / items_file (empty without items)
//	{{.Countdown}}  「距离共读结束还有 3 天」 / 「今天就是共读结束」 (countdown posts)
//	{{.DaysLeft}}   the days left to the countdown's day (0 on the day)
//	{{.Event}}      the countdown's event
//	{{.Festival}}   the festival a festival post is for, e.g. 春节
//	{{.Holiday}}    the public holiday today belongs to (empty on other days)
//	{{.Years}}      whole years since the annual post's first year (anniversaries; 0 otherwise)
type PostData struct {
	Group     string
	Date      string
	Weekday   string
	Time      string
	Count     int
	Item      string
	Countdown string
	DaysLeft  int
	Event     string
	Festival  string
	Holiday   string
	Years     int
}

// SamplePost is used to check post templates before they go live.
func SamplePost() PostData {
	return PostData{Group: "读书会", Date: "11月21日", Weekday: "周六", Time: "08:00", Count: 42, Item: "今日一句",
		Countdown: "距离共读结束还有 3 天", DaysLeft: 3, Event: "共读结束", Festival: "春节", Holiday: "春节", Years: 1}
}

// CountdownText is what {{.Countdown}} says daysLeft days before event.
func CountdownText(event string, daysLeft int) string {
	if daysLeft == 0 {
		return "今天就是" + event
	}
	return fmt.Sprintf("距离%s还有 %d 天", event, daysLeft)
}

// Silent configures the wake-up steps for silent members (the seeds' 三步唤醒法): a
// reminder, a benefit message, then removal. Silence counts from the latest of the
// member's last message, their join and when the bot first saw them.
type Silent struct {
	Enabled bool `yaml:"enabled"`
	// Check is when the daily check runs; reminders of one day go out in one message.
	Check CronSpec `yaml:"check"`
	// MaxPerDay caps the members named in the day's message (and removal steps a day).
	MaxPerDay int          `yaml:"max_per_day"`
	Remind    SilentStep   `yaml:"remind"`
	Benefit   SilentStep   `yaml:"benefit"`
	Remove    SilentRemove `yaml:"remove"`
}

// SilentStep is a step that posts a message mentioning the members who reached it.
type SilentStep struct {
	Enabled  bool     `yaml:"enabled"`
	After    Duration `yaml:"after"`
	Template Template `yaml:"template"`
	Via      string   `yaml:"via"` // group (default) or dm: privately to the owner's friends (via.go)
}

// SilentRemove is the last step.
type SilentRemove struct {
	Enabled bool     `yaml:"enabled"`
	After   Duration `yaml:"after"`
	// Action "request" asks the owner (one DM a day listing everyone); "remove" removes
	// where the platform can (never on WeChat, where it falls back to the request).
	Action string `yaml:"action"`
}

// Silent removal actions.
const (
	ActionRequest = "request"
	ActionRemove  = "remove"
)

// SilentData are the variables of the silent-member templates.
//
//	{{.Mentions}}  "@张三 @李四 " — mentions of the members this step names
//	{{.Names}}     "张三、李四"
//	{{.Count}}     how many are named
//	{{.Days}}      the step's threshold in days, e.g. 7
//	{{.Group}}     the group's name
type SilentData struct {
	Mentions string
	Names    string
	Count    int
	Days     int
	Group    string
}

// SampleSilent is used to check silent-member templates.
func SampleSilent() SilentData {
	return SilentData{Mentions: "@张三\u2005@李四\u2005", Names: "张三、李四", Count: 2, Days: 7, Group: "读书会"}
}

// Screening configures entry screening (入群验证): a newcomer answers within Timeout with
// a self-introduction of at least MinIntro characters or a message containing a keyword,
// or goes through the removal step.
type Screening struct {
	Enabled  bool     `yaml:"enabled"`
	Timeout  Duration `yaml:"timeout"`
	MinIntro int      `yaml:"min_intro"` // letters and digits counted; 0: keywords only
	Keywords []string `yaml:"keywords"`  // a message containing one passes (case-insensitive)
	Prompt   Template `yaml:"prompt"`    // posted when newcomers join
	Reminder Template `yaml:"reminder"`  // posted halfway to the deadline
	Passed   Template `yaml:"passed"`    // posted when a newcomer passes
	Via      string   `yaml:"via"`       // the reminder: group (default) or dm to the owner's friends (via.go)
}

// ScreeningData are the variables of the screening templates.
//
//	{{.Mentions}}     mentions of the newcomers concerned
//	{{.Names}}        their names, 、-separated
//	{{.Group}}        the group's name
//	{{.Minutes}}      the timeout in minutes
//	{{.MinIntro}}     the minimum length of an introduction (0: keywords only)
//	{{.HasKeywords}}  true when a keyword (入群暗号) also passes
//	{{.Deadline}}     the local deadline, e.g. 08:10
type ScreeningData struct {
	Mentions    string
	Names       string
	Group       string
	Minutes     int
	MinIntro    int
	HasKeywords bool
	Deadline    string
}

// SampleScreening is used to check screening templates.
func SampleScreening() ScreeningData {
	return ScreeningData{Mentions: "@王五\u2005", Names: "王五", Group: "读书会", Minutes: 10, MinIntro: 10, HasKeywords: true, Deadline: "08:10"}
}

// PostCap bounds the bot's own posts in a group (the articles: at most three promotional
// posts a day). Scheduled posts (cron, dated, festival, countdown) and the weekly top
// post count; answers to members do not. The outbox holds back what is over the cap (it
// is not sent later) and the daily report says what was held back.
type PostCap struct {
	Daily int `yaml:"daily"` // 0: no cap
}

func defaultPostCap() PostCap { return PostCap{Daily: 3} }

// Reports configures the daily and weekly reports to the owner (file helper).
type Reports struct {
	Daily  ReportSchedule `yaml:"daily"`
	Weekly ReportSchedule `yaml:"weekly"`
	Top    int            `yaml:"top"` // top contributors listed
	Alerts Alerts         `yaml:"alerts"`
}

// ReportSchedule says whether and when a report is sent.
type ReportSchedule struct {
	Enabled bool     `yaml:"enabled"`
	Cron    CronSpec `yaml:"cron"`
}

// Alerts are the seeds' health thresholds, each shown in the reports when crossed.
type Alerts struct {
	LowDailyActive    LowDailyActive    `yaml:"low_daily_active"`
	LowWeeklyMessages LowWeeklyMessages `yaml:"low_weekly_messages"`
	HighLeaveRate     HighLeaveRate     `yaml:"high_leave_rate"`
	NegativeGrowth    NegativeGrowth    `yaml:"negative_growth"`

	// The articles' health metrics (report lines, dashboard charts, alerts past a threshold).
	MemberTiers MemberTiers `yaml:"member_tiers"`
	MemberShare MemberShare `yaml:"member_share"`
	Retention   Retention2  `yaml:"retention"`
	GroupSize   GroupSize   `yaml:"group_size"`
	BotShare    BotShare    `yaml:"bot_share"`
}

// MemberTiers sorts the members by the days they spoke in the last 30: core (at least
// CoreDays), active (at least ActiveDays), ordinary (at least one), silent (none). The
// articles expect 5–10% core and 20–30% silent: more silent than MaxSilentPercent or fewer
// core than MinCorePercent is an alert.
type MemberTiers struct {
	Enabled          bool    `yaml:"enabled"`
	CoreDays         int     `yaml:"core_days"`
	ActiveDays       int     `yaml:"active_days"`
	MaxSilentPercent float64 `yaml:"max_silent_percent"`
	MinCorePercent   float64 `yaml:"min_core_percent"`
}

// MemberShare is the share of messages ordinary members send (not the owner, admins or the
// bot): the articles' 用户对话比例, healthy at 50% and more.
type MemberShare struct {
	Enabled    bool    `yaml:"enabled"`
	MinPercent float64 `yaml:"min_percent"`
}

// Retention2 is newcomer retention: of the members who joined in the last 30 days (and
// have been in for the days measured), how many still spoke 3 days and 30 days after they
// joined. Below the minimum is an alert, once at least MinNewcomers are measured.
// (Named so because Retention is the data-retention section.)
type Retention2 struct {
	Enabled         bool    `yaml:"enabled"`
	Day3MinPercent  float64 `yaml:"day3_min_percent"`
	Day30MinPercent float64 `yaml:"day30_min_percent"`
	MinNewcomers    int     `yaml:"min_newcomers"`
}

// GroupSize warns as a WeChat group nears its 500-member limit (the articles: split the
// group before it is full). The owner is told when a join crosses a threshold, and the
// reports say it while it holds.
type GroupSize struct {
	Enabled bool `yaml:"enabled"`
	WarnAt  int  `yaml:"warn_at"`
	FullAt  int  `yaml:"full_at"`
}

// BotShare is the share of the group's messages the bot sent itself: the articles keep
// automation at 40% or less.
type BotShare struct {
	Enabled    bool    `yaml:"enabled"`
	MaxPercent float64 `yaml:"max_percent"`
}

// LowDailyActive: the share of members who spoke was below BelowPercent on Days days running.
type LowDailyActive struct {
	Enabled      bool    `yaml:"enabled"`
	BelowPercent float64 `yaml:"below_percent"`
	Days         int     `yaml:"days"`
}

// LowWeeklyMessages: fewer than BelowPer100 messages per 100 members in the report's week.
type LowWeeklyMessages struct {
	Enabled     bool `yaml:"enabled"`
	BelowPer100 int  `yaml:"below_per_100"`
}

// HighLeaveRate: more than AbovePercent of the members left in the last 30 days.
type HighLeaveRate struct {
	Enabled      bool    `yaml:"enabled"`
	AbovePercent float64 `yaml:"above_percent"`
}

// NegativeGrowth: more leaves than joins in each of the last Weeks weeks.
type NegativeGrowth struct {
	Enabled bool `yaml:"enabled"`
	Weeks   int  `yaml:"weeks"`
}

// Built-in texts; the example config shows them and their variables.
const (
	DefaultSilentRemind      = `👋 {{.Mentions}}好久不见，最近还好吗？群里一直有新话题，有空来聊两句吧～`
	DefaultSilentBenefit     = `🎁 {{.Mentions}}群里最近有不少干货和福利，老朋友别错过～冒个泡，看看大家在聊什么吧！`
	DefaultScreeningPrompt   = `🔐 {{.Mentions}}本群需要入群验证：请在 {{.Minutes}} 分钟内（{{.Deadline}} 前）{{if .MinIntro}}发一段不少于 {{.MinIntro}} 个字的自我介绍{{end}}{{if and .MinIntro .HasKeywords}}，或{{end}}{{if .HasKeywords}}回复入群暗号{{end}}，超时会被请出群哦～`
	DefaultScreeningReminder = `⏰ {{.Mentions}}还没看到你的{{if .MinIntro}}自我介绍{{else}}入群暗号{{end}}，请在 {{.Deadline}} 前完成验证～`
	DefaultScreeningPassed   = `✅ {{.Mentions}}验证通过，欢迎正式加入「{{.Group}}」！`
)

// Built-in posts: none. Posts are content, and content is the group's own.
func defaultPosts() []Post { return nil }

func defaultSilent() Silent {
	return Silent{
		Enabled:   true,
		Check:     MustCron("0 10 * * *"),
		MaxPerDay: 20,
		Remind:    SilentStep{Enabled: true, After: Duration(7 * 24 * time.Hour), Template: MustTemplate("silent.remind", DefaultSilentRemind), Via: ViaGroup},
		Benefit:   SilentStep{Enabled: true, After: Duration(15 * 24 * time.Hour), Template: MustTemplate("silent.benefit", DefaultSilentBenefit), Via: ViaGroup},
		Remove:    SilentRemove{Enabled: true, After: Duration(30 * 24 * time.Hour), Action: ActionRequest},
	}
}

func defaultScreening() Screening {
	return Screening{
		Enabled:  false,
		Timeout:  Duration(10 * time.Minute),
		MinIntro: 10,
		Prompt:   MustTemplate("screening.prompt", DefaultScreeningPrompt),
		Reminder: MustTemplate("screening.reminder", DefaultScreeningReminder),
		Passed:   MustTemplate("screening.passed", DefaultScreeningPassed),
		Via:      ViaGroup,
	}
}

func defaultReports() Reports {
	return Reports{
		Daily:  ReportSchedule{Enabled: true, Cron: MustCron("0 22 * * *")},
		Weekly: ReportSchedule{Enabled: true, Cron: MustCron("30 9 * * 1")},
		Top:    3,
		Alerts: Alerts{
			LowDailyActive:    LowDailyActive{Enabled: true, BelowPercent: 15, Days: 3},
			LowWeeklyMessages: LowWeeklyMessages{Enabled: true, BelowPer100: 120},
			HighLeaveRate:     HighLeaveRate{Enabled: true, AbovePercent: 5},
			NegativeGrowth:    NegativeGrowth{Enabled: true, Weeks: 2},
			MemberTiers:       MemberTiers{Enabled: true, CoreDays: 15, ActiveDays: 4, MaxSilentPercent: 30, MinCorePercent: 5},
			MemberShare:       MemberShare{Enabled: true, MinPercent: 50},
			Retention:         Retention2{Enabled: true, Day3MinPercent: 50, Day30MinPercent: 60, MinNewcomers: 5},
			GroupSize:         GroupSize{Enabled: true, WarnAt: 450, FullAt: 500},
			BotShare:          BotShare{Enabled: true, MaxPercent: 40},
		},
	}
}

// maxItems bounds an items file: a post list, not a database.
const maxItems = 10000

// ReadItems reads an items file: one item per line, blank lines and # comments skipped.
func ReadItems(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(out) == maxItems {
			return nil, fmt.Errorf("more than %d items", maxItems)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

var placeRe = regexp.MustCompile(`^#\d+$`)

func validateSchedule(g *Group, path string, at reporter, hol *holiday.Table) {
	validatePosts(g.Posts, path+".posts", at, hol)
	if g.PostCap.Daily < 0 || g.PostCap.Daily > 100 {
		at(path+".post_cap.daily", "应在 0 到 100 之间（0 表示不限），现在是 %d / must be between 0 and 100", g.PostCap.Daily)
	}
	validateSilent(g.Silent, path+".silent", at)
	validateScreening(g.Screening, path+".screening", at)
	validateReports(g.Reports, path+".reports", at)
}

func validatePosts(posts []Post, path string, at reporter, hol *holiday.Table) {
	names := map[string]bool{}
	for i, p := range posts {
		pp := fmt.Sprintf("%s[%d]", path, i)
		if p.Name != "" {
			if placeRe.MatchString(p.Name) {
				at(pp+".name", "名字不能写成 #数字 的形式（这是没起名的帖子的编号）/ name must not look like #N")
			}
			if names[p.Name] {
				at(pp+".name", "名字「%s」重复了，每个帖子的名字要不同 / duplicate post name", p.Name)
			}
			names[p.Name] = true
		}
		validateWhen(p, pp, at, hol)
		switch p.Order {
		case "", OrderSequence, OrderShuffle:
		default:
			at(pp+".order", "order 只能是 sequence（按顺序）或 shuffle（随机不重复），现在是「%s」/ order must be sequence or shuffle", p.Order)
		}
		hasWeekday := false
		for _, d := range p.Weekdays.all() {
			if d.t.IsZero() {
				continue
			}
			hasWeekday = true
			checkTemplate(d.t, SamplePost(), pp+".weekdays."+d.key, at)
		}
		if p.Text.IsZero() && !p.HasItems() && !hasWeekday && p.Countdown == nil && p.Festival == "" {
			at(pp, "帖子没有内容：请写 text、items、items_file 或 weekdays 之一 / post has no content")
		}
		for j, it := range p.Items {
			if strings.TrimSpace(it) == "" {
				at(fmt.Sprintf("%s.items[%d]", pp, j), "内容不能为空 / item must not be empty")
			}
		}
		if p.ItemsFile != "" {
			items, err := ReadItems(p.ItemsFile)
			switch {
			case err != nil:
				at(pp+".items_file", "读不了内容文件「%s」/ cannot read items file: %v（相对路径从机器人的启动目录算起 / relative to the working directory）", p.ItemsFile, err)
			case len(items) == 0:
				at(pp+".items_file", "内容文件「%s」里没有内容（空行和 # 开头的行不算）/ items file has no items", p.ItemsFile)
			}
		}
		if !p.Text.IsZero() {
			if ok := checkTemplate(p.Text, SamplePost(), pp+".text", at); ok && p.HasItems() {
				data := SamplePost()
				data.Item = "\x00item\x00"
				if out, _ := p.Text.Execute(data); !strings.Contains(out, data.Item) {
					at(pp+".text", "有 items 时 text 必须用 {{.Item}} 放入当天的内容，否则内容永远发不出去 / with items, text must use {{.Item}}")
				}
			}
		}
	}
}

func validateSilent(s Silent, path string, at reporter) {
	if !s.Enabled {
		return
	}
	if s.Check.IsZero() {
		at(path+".check", "缺少每日检查时间 check，例如 \"0 10 * * *\" / check is required")
	}
	if s.MaxPerDay < 1 || s.MaxPerDay > 50 {
		at(path+".max_per_day", "应在 1 到 50 之间（默认 20：一条消息@太多人像刷屏），现在是 %d / must be between 1 and 50", s.MaxPerDay)
	}
	steps := []struct {
		key     string
		enabled bool
		after   Duration
	}{{"remind", s.Remind.Enabled, s.Remind.After}, {"benefit", s.Benefit.Enabled, s.Benefit.After}, {"remove", s.Remove.Enabled, s.Remove.After}}
	var prev Duration
	prevKey := ""
	for _, st := range steps {
		if !st.enabled {
			continue
		}
		if st.after.D() < 24*time.Hour {
			at(path+"."+st.key+".after", "至少 1d（一天）/ must be at least 1d")
		} else if prevKey != "" && st.after <= prev {
			at(path+"."+st.key+".after", "要比前一步 %s 的 %s 更晚 / must be later than the %s step", prevKey, prev, prevKey)
		}
		prev, prevKey = st.after, st.key
	}
	for _, st := range []struct {
		key  string
		step SilentStep
	}{{"remind", s.Remind}, {"benefit", s.Benefit}} {
		if !st.step.Enabled {
			continue
		}
		if st.step.Template.IsZero() {
			at(path+"."+st.key+".template", "启用了这一步但模板为空 / step enabled but template empty")
		} else {
			checkTemplate(st.step.Template, SampleSilent(), path+"."+st.key+".template", at)
		}
	}
	if s.Remove.Enabled && s.Remove.Action != ActionRequest && s.Remove.Action != ActionRemove {
		at(path+".remove.action", "action 只能是 request（请群主移出，默认）或 remove（平台支持时直接移出），现在是「%s」/ action must be request or remove", s.Remove.Action)
	}
}

func validateScreening(s Screening, path string, at reporter) {
	if !s.Enabled {
		return
	}
	if s.Timeout.D() < time.Minute || s.Timeout.D() > 24*time.Hour {
		at(path+".timeout", "应在 1m 到 24h 之间（默认 10m）/ must be between 1m and 24h")
	}
	if s.MinIntro < 0 || s.MinIntro > 500 {
		at(path+".min_intro", "应在 0 到 500 之间 / must be between 0 and 500")
	}
	kw := 0
	for i, k := range s.Keywords {
		if strings.TrimSpace(k) == "" {
			at(fmt.Sprintf("%s.keywords[%d]", path, i), "暗号不能为空 / keyword must not be empty")
			continue
		}
		kw++
	}
	if s.MinIntro == 0 && kw == 0 {
		at(path, "min_intro 为 0 时必须设置 keywords，否则谁也通过不了 / with min_intro 0, keywords are required")
	}
	for _, nt := range []namedTemplate{{"prompt", s.Prompt}, {"reminder", s.Reminder}, {"passed", s.Passed}} {
		if nt.t.IsZero() {
			at(path+"."+nt.key, "模板不能为空 / template must not be empty")
			continue
		}
		checkTemplate(nt.t, SampleScreening(), path+"."+nt.key, at)
	}
}

func validateReports(r Reports, path string, at reporter) {
	if r.Daily.Enabled && r.Daily.Cron.IsZero() {
		at(path+".daily.cron", "缺少发送时间 cron / cron is required")
	}
	if r.Weekly.Enabled && r.Weekly.Cron.IsZero() {
		at(path+".weekly.cron", "缺少发送时间 cron / cron is required")
	}
	if r.Top < 0 || r.Top > 20 {
		at(path+".top", "应在 0 到 20 之间 / must be between 0 and 20")
	}
	a := r.Alerts
	if a.LowDailyActive.Enabled {
		if a.LowDailyActive.BelowPercent <= 0 || a.LowDailyActive.BelowPercent > 100 {
			at(path+".alerts.low_daily_active.below_percent", "应在 0 到 100 之间 / must be between 0 and 100")
		}
		if a.LowDailyActive.Days < 1 || a.LowDailyActive.Days > 30 {
			at(path+".alerts.low_daily_active.days", "应在 1 到 30 之间 / must be between 1 and 30")
		}
	}
	if a.LowWeeklyMessages.Enabled && a.LowWeeklyMessages.BelowPer100 < 1 {
		at(path+".alerts.low_weekly_messages.below_per_100", "至少为 1 / must be at least 1")
	}
	if a.HighLeaveRate.Enabled && (a.HighLeaveRate.AbovePercent <= 0 || a.HighLeaveRate.AbovePercent > 100) {
		at(path+".alerts.high_leave_rate.above_percent", "应在 0 到 100 之间 / must be between 0 and 100")
	}
	if a.NegativeGrowth.Enabled && (a.NegativeGrowth.Weeks < 1 || a.NegativeGrowth.Weeks > 12) {
		at(path+".alerts.negative_growth.weeks", "应在 1 到 12 之间 / must be between 1 and 12")
	}
	validateMetrics(a, path+".alerts", at)
}

// checkTemplate runs a template on sample data and reports a failure at path.
func checkTemplate(t Template, sample any, path string, at reporter) bool {
	if !knownFields(t, sample, path, at) {
		return false
	}
	if _, err := t.Execute(sample); err != nil {
		at(path, "模板无法执行 / template fails: %s（可用变量 / variables: %s）", cleanTemplateError(err), sampleVars(sample))
		return false
	}
	return true
}

// sampleVars lists the fields of a template's data, e.g. "{{.Group}} {{.Date}}".
func sampleVars(data any) string {
	t := reflect.TypeOf(data)
	names := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		names = append(names, "{{."+t.Field(i).Name+"}}")
	}
	return strings.Join(names, " ")
}
