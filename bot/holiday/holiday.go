// Package holiday is China's public-holiday table: which days are off (放假), which
// weekends are make-up workdays (调休上班), and the dates of named festivals, year by year.
// The table ships in the binary (cn.yaml, from the State Council's yearly notice) and an
// owner can add a newer year from a file without waiting for a release (config
// holidays_file). Years the table does not have are reported, never guessed.
package holiday

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed cn.yaml
var builtin []byte

// Status says how much of a year's table is known.
const (
	// Official: the State Council's notice for the year is in the table, make-up workdays
	// included.
	Official = "official"
	// Statutory: only the statutory days off (全国年节及纪念日放假办法) are known; the
	// year's arrangement (its bridges and make-up workdays) has not been added.
	Statutory = "statutory"
)

const dayLayout = "2006-01-02"

// Year is one year of the table.
type Year struct {
	Year     int
	Status   string
	Source   string
	Holidays []Holiday
	Days     []Day // named days that are not days off (元宵节, …)
}

// Holiday is one public holiday of a year.
type Holiday struct {
	Name     string
	Date     string    // the festival itself, "2006-01-02"
	Off      [2]string // first and last day off, inclusive
	Workdays []string  // weekend days worked instead
}

// Day is a named day that is not a day off.
type Day struct {
	Name string
	Date string
}

// Table answers questions about days. Build it with Parse, Default or Merge; it is not
// changed afterwards, so any number of goroutines may read it.
type Table struct {
	Source string
	years  map[int]Year
	off    map[string]string // day → the holiday it belongs to
	work   map[string]string // make-up workday → the holiday it pays for
	named  map[string]map[int]string
}

// aliases are what people call the holidays besides their names in the table.
var aliases = map[string]string{
	"新年": "元旦", "过年": "春节", "新春": "春节", "大年初一": "春节", "大年三十": "除夕", "年三十": "除夕",
	"清明": "清明节", "五一": "劳动节", "五一劳动节": "劳动节", "端午": "端午节", "中秋": "中秋节",
	"国庆": "国庆节", "十一": "国庆节", "元宵": "元宵节",
}

// Default is the built-in table. It is checked by the package's tests, so it never fails.
func Default() *Table {
	t, err := Parse(builtin, "内置节假日表 (bot/holiday/cn.yaml)")
	if err != nil {
		panic(err)
	}
	return t
}

// Error lists what is wrong with a table file, each mistake with its line.
type Error struct {
	Source   string
	Problems []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("节假日表 %s 有 %d 处错误 / holiday table has %d error(s): %s", e.Source, len(e.Problems), len(e.Problems),
		strings.Join(e.Problems, "；"))
}

type fileYear struct {
	Year      int           `yaml:"year"`
	Status    string        `yaml:"status"`
	Source    string        `yaml:"source"`
	Holidays  []fileHoliday `yaml:"holidays"`
	Festivals []fileDay     `yaml:"festivals"`
}

type fileHoliday struct {
	Name     string   `yaml:"name"`
	Date     string   `yaml:"date"`
	Off      []string `yaml:"off"`
	Workdays []string `yaml:"workdays"`
}

type fileDay struct {
	Name string `yaml:"name"`
	Date string `yaml:"date"`
}

// Parse reads a table in cn.yaml's format; source names it in errors. Every mistake is
// reported with its line: a wrong table would make the bot post on a holiday or stay
// silent on a workday without anyone noticing.
func Parse(data []byte, source string) (*Table, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{Source: source, Problems: []string{"YAML 语法错误 / syntax error: " + err.Error()}}
	}
	var doc struct {
		Years []yaml.Node `yaml:"years"`
	}
	if err := root.Decode(&doc); err != nil {
		return nil, &Error{Source: source, Problems: []string{"最外层要写 years: 列表 / the file must have a years: list: " + err.Error()}}
	}
	var problems []string
	bad := func(line int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("第 %d 行 / line %d: %s", line, line, fmt.Sprintf(format, args...)))
	}
	t := &Table{Source: source}
	var years []Year
	seen := map[int]bool{}
	for i := range doc.Years {
		n := &doc.Years[i]
		var fy fileYear
		if err := n.Decode(&fy); err != nil {
			bad(n.Line, "这一年写得不对 / bad year entry: %v", err)
			continue
		}
		if fy.Year < 2000 || fy.Year > 2200 {
			bad(n.Line, "year 应是 2000 到 2200 之间的年份，现在是 %d / bad year", fy.Year)
			continue
		}
		if seen[fy.Year] {
			bad(n.Line, "%d 年写了两次 / year listed twice", fy.Year)
			continue
		}
		seen[fy.Year] = true
		if fy.Status != Official && fy.Status != Statutory {
			bad(n.Line, "%d 年的 status 只能是 official（已发布的放假安排）或 statutory（只有法定假日），现在是「%s」/ status must be official or statutory", fy.Year, fy.Status)
		}
		y := Year{Year: fy.Year, Status: fy.Status, Source: fy.Source}
		inYear := func(what, s string) (string, bool) {
			d, err := time.Parse(dayLayout, strings.TrimSpace(s))
			if err != nil {
				bad(n.Line, "%d 年的%s「%s」不是日期，请写成 2026-02-17 / not a date", fy.Year, what, s)
				return "", false
			}
			// A make-up workday or the tail of a holiday may fall in the next or the
			// previous year (New Year bridges); more than a month off is a typo.
			if d.Year() != fy.Year && (d.Before(time.Date(fy.Year-1, 12, 1, 0, 0, 0, 0, time.UTC)) || !d.Before(time.Date(fy.Year+1, 2, 1, 0, 0, 0, 0, time.UTC))) {
				bad(n.Line, "%s「%s」不在 %d 年 / date is not in %d", what, s, fy.Year, fy.Year)
				return "", false
			}
			return d.Format(dayLayout), true
		}
		for _, h := range fy.Holidays {
			name := strings.TrimSpace(h.Name)
			if name == "" {
				bad(n.Line, "%d 年有一个节日没写 name / a holiday has no name", fy.Year)
				continue
			}
			hol := Holiday{Name: name}
			date, ok := inYear(name+"的 date", h.Date)
			if !ok {
				continue
			}
			hol.Date = date
			if len(h.Off) != 2 {
				bad(n.Line, "%d 年%s的 off 要写成 [第一天, 最后一天]，现在有 %d 项 / off must be [first, last]", fy.Year, name, len(h.Off))
				continue
			}
			from, ok1 := inYear(name+"的放假首日", h.Off[0])
			to, ok2 := inYear(name+"的放假末日", h.Off[1])
			if !ok1 || !ok2 {
				continue
			}
			if to < from {
				bad(n.Line, "%d 年%s的放假区间 %s ~ %s 首尾颠倒了 / off range reversed", fy.Year, name, from, to)
				continue
			}
			if date < from || date > to {
				bad(n.Line, "%d 年%s当天 %s 不在放假区间 %s ~ %s 里 / the holiday is outside its days off", fy.Year, name, date, from, to)
			}
			hol.Off = [2]string{from, to}
			for _, w := range h.Workdays {
				wd, ok := inYear(name+"的调休上班日", w)
				if !ok {
					continue
				}
				if wd >= from && wd <= to {
					bad(n.Line, "%d 年%s的调休上班日 %s 落在放假区间里 / a make-up workday inside the days off", fy.Year, name, wd)
					continue
				}
				hol.Workdays = append(hol.Workdays, wd)
			}
			if fy.Status == Statutory && len(hol.Workdays) > 0 {
				bad(n.Line, "%d 年标为 statutory（只有法定假日），不能有调休上班日；放假安排发布后请把 status 改成 official / statutory years have no make-up workdays", fy.Year)
			}
			y.Holidays = append(y.Holidays, hol)
		}
		for _, f := range fy.Festivals {
			name := strings.TrimSpace(f.Name)
			if name == "" {
				bad(n.Line, "%d 年有一个节日没写 name / a festival has no name", fy.Year)
				continue
			}
			if date, ok := inYear(name+"的 date", f.Date); ok {
				y.Days = append(y.Days, Day{Name: name, Date: date})
			}
		}
		years = append(years, y)
	}
	if len(problems) > 0 {
		return nil, &Error{Source: source, Problems: problems}
	}
	t.build(years)
	return t, nil
}

func (t *Table) build(years []Year) {
	t.years = map[int]Year{}
	t.off = map[string]string{}
	t.work = map[string]string{}
	t.named = map[string]map[int]string{}
	name := func(n string, year int, date string) {
		if t.named[n] == nil {
			t.named[n] = map[int]string{}
		}
		t.named[n][year] = date
	}
	for _, y := range years {
		t.years[y.Year] = y
		for _, h := range y.Holidays {
			name(h.Name, y.Year, h.Date)
			from, _ := time.Parse(dayLayout, h.Off[0])
			to, _ := time.Parse(dayLayout, h.Off[1])
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				t.off[d.Format(dayLayout)] = h.Name
			}
			for _, w := range h.Workdays {
				t.work[w] = h.Name
			}
		}
		for _, d := range y.Days {
			name(d.Name, y.Year, d.Date)
		}
	}
}

// Merge returns a table with the years of over replacing those of t (an owner's file
// over the built-in table).
func (t *Table) Merge(over *Table) *Table {
	out := &Table{Source: t.Source}
	byYear := map[int]Year{}
	for y, v := range t.years {
		byYear[y] = v
	}
	for y, v := range over.years {
		byYear[y] = v
	}
	if len(over.years) > 0 {
		out.Source = t.Source + " + " + over.Source
	}
	var years []Year
	for _, y := range slices.Sorted(mapKeys(byYear)) {
		years = append(years, byYear[y])
	}
	out.build(years)
	return out
}

func mapKeys[V any](m map[int]V) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Years lists the years the table has, in order.
func (t *Table) Years() []Year {
	out := make([]Year, 0, len(t.years))
	for _, y := range slices.Sorted(mapKeys(t.years)) {
		out = append(out, t.years[y])
	}
	return out
}

// Year returns one year of the table; ok is false when the table does not have it.
func (t *Table) Year(year int) (Year, bool) {
	y, ok := t.years[year]
	return y, ok
}

// DayOff says whether the local day of d is a public day off, and which holiday it
// belongs to. known is false when the table does not have d's year: the answer is then
// "not a holiday", and the caller should say the table is missing the year.
func (t *Table) DayOff(d time.Time) (name string, off, known bool) {
	_, known = t.years[d.Year()]
	name, off = t.off[d.Format(dayLayout)]
	return name, off, known
}

// Workday says whether the local day of d is an official workday: Monday to Friday unless
// a holiday, and the weekend days worked to make up for one. Without the year in the table
// it is Monday to Friday, and known is false.
func (t *Table) Workday(d time.Time) (work, known bool) {
	_, known = t.years[d.Year()]
	day := d.Format(dayLayout)
	if _, ok := t.work[day]; ok {
		return true, known
	}
	if _, ok := t.off[day]; ok {
		return false, known
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday, known
}

// Canonical resolves what people call a festival (国庆, 五一, 过年) to its name in the
// table; ok is false for a name the table never had.
func (t *Table) Canonical(name string) (string, bool) {
	name = strings.TrimSpace(name)
	if n, ok := aliases[name]; ok {
		name = n
	}
	_, ok := t.named[name]
	return name, ok
}

// Names lists every festival the table names, for error messages.
func (t *Table) Names() []string {
	out := make([]string, 0, len(t.named))
	for n := range t.named {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Festival is the date ("2006-01-02") of a named festival in a year; ok is false when the
// table does not have that year (or the festival in it).
func (t *Table) Festival(name string, year int) (date string, ok bool) {
	name, _ = t.Canonical(name)
	date, ok = t.named[name][year]
	return date, ok
}

// Warning is something the table cannot answer around now.
type Warning struct {
	Year int
	// Current is true for the year in progress (what posts rely on today); false for the
	// next year, warned about from November on.
	Current bool
	Text    string
}

// Warnings says what the table cannot answer around now: the current year missing
// (holidays cannot be skipped, festivals cannot be found), a year known only by its
// statutory days, and from November on the next year when it is missing. Empty when
// everything is known.
func (t *Table) Warnings(now time.Time) []Warning {
	var out []Warning
	check := func(year int, current bool) {
		y, ok := t.years[year]
		switch {
		case !ok && current:
			out = append(out, Warning{year, current, fmt.Sprintf("节假日表里没有 %d 年：今年的节假日无法跳过（skip_on_holidays 照常发帖，workdays_only 按普通周末算），节日帖（festival）今年不会发。"+
				"请按 README「节假日表」一节补上 %d 年（配置 holidays_file），或升级 qunbot。/ the holiday table has no %d", year, year, year)})
		case !ok:
			out = append(out, Warning{year, current, fmt.Sprintf("节假日表里还没有 %d 年：国务院办公厅通常在 11 月发布次年放假安排，发布后请按 README「节假日表」一节补上（配置 holidays_file）。/ the holiday table has no %d yet", year, year)})
		case y.Status == Statutory:
			out = append(out, Warning{year, current, fmt.Sprintf("节假日表里 %d 年只有法定假日当天，没有调休安排：跨周末的连休和调休上班日要等放假安排发布后补上（配置 holidays_file）。/ %d has only the statutory days, no make-up workdays", year, year)})
		}
	}
	check(now.Year(), true)
	if now.Month() >= time.November {
		check(now.Year()+1, false)
	}
	return out
}

// Describe is a one-line summary per year for the owner: "2026（官方安排）".
func (t *Table) Describe() string {
	var parts []string
	for _, y := range t.Years() {
		what := "官方放假安排"
		if y.Status == Statutory {
			what = "仅法定假日，调休未收录"
		}
		parts = append(parts, strconv.Itoa(y.Year)+"（"+what+"）")
	}
	if len(parts) == 0 {
		return "（空）"
	}
	return strings.Join(parts, "、")
}
