package holiday

import (
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	d, err := time.ParseInLocation(dayLayout, s, time.UTC)
	if err != nil {
		panic(err)
	}
	return d
}

// The built-in table is the State Council's 2026 notice: every day off and every make-up
// workday of it, checked day by day.
func TestBuiltin2026(t *testing.T) {
	tab := Default()
	for _, tc := range []struct {
		day  string
		off  bool
		name string
		work bool
	}{
		{"2026-01-01", true, "元旦", false},
		{"2026-01-03", true, "元旦", false},
		{"2026-01-04", false, "", true}, // Sunday worked
		{"2026-02-14", false, "", true}, // Saturday worked
		{"2026-02-15", true, "春节", false},
		{"2026-02-23", true, "春节", false}, // a Monday off
		{"2026-02-24", false, "", true},
		{"2026-02-28", false, "", true},
		{"2026-04-06", true, "清明节", false},
		{"2026-05-05", true, "劳动节", false},
		{"2026-05-09", false, "", true},
		{"2026-06-19", true, "端午节", false},
		{"2026-09-20", false, "", true},
		{"2026-09-27", true, "中秋节", false},
		{"2026-10-07", true, "国庆节", false},
		{"2026-10-10", false, "", true},
		{"2026-10-11", false, "", false}, // an ordinary Sunday
		{"2026-11-20", false, "", true},  // an ordinary Friday
	} {
		name, off, known := tab.DayOff(day(tc.day))
		work, wknown := tab.Workday(day(tc.day))
		if !known || !wknown || off != tc.off || name != tc.name || work != tc.work {
			t.Errorf("%s: off=%v %q work=%v known=%v, want off=%v %q work=%v", tc.day, off, name, work, known, tc.off, tc.name, tc.work)
		}
	}
	if d, ok := tab.Festival("国庆", 2026); !ok || d != "2026-10-01" {
		t.Errorf("国庆 2026 = %q %v", d, ok)
	}
	if d, ok := tab.Festival("元宵节", 2026); !ok || d != "2026-03-03" {
		t.Errorf("元宵节 2026 = %q %v", d, ok)
	}
	if y, ok := tab.Year(2026); !ok || y.Status != Official {
		t.Errorf("2026 must be official: %+v", y)
	}
}

// A year the table does not have is never guessed: the answer says it is unknown, and
// the warnings name the year and what to do.
func TestMissingYearIsSaid(t *testing.T) {
	tab := Default()
	if _, off, known := tab.DayOff(day("2028-01-01")); known || off {
		t.Errorf("2028 must be unknown, not a holiday")
	}
	if work, known := tab.Workday(day("2028-01-03")); known || !work {
		t.Errorf("an unknown year falls back to Monday–Friday and says so")
	}
	if _, ok := tab.Festival("春节", 2028); ok {
		t.Errorf("no 春节 in 2028")
	}
	w := tab.Warnings(time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC))
	if len(w) != 1 || !w[0].Current || !strings.Contains(w[0].Text, "没有 2028 年") || !strings.Contains(w[0].Text, "holidays_file") {
		t.Errorf("warnings for 2028: %+v", w)
	}
	// 2027 is statutory only; from November the next year is checked too.
	w = tab.Warnings(time.Date(2027, 11, 5, 0, 0, 0, 0, time.UTC))
	if len(w) != 2 || !strings.Contains(w[0].Text, "2027 年只有法定假日") || w[1].Current || !strings.Contains(w[1].Text, "还没有 2028 年") {
		t.Errorf("warnings in Nov 2027: %+v", w)
	}
	if w := tab.Warnings(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)); len(w) != 0 {
		t.Errorf("June 2026 is fully known: %+v", w)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"years:\n  - year: 2029\n    status: maybe\n", "status 只能是"},
		{"years:\n  - year: 2029\n    status: official\n    holidays:\n      - {name: 春节, date: 2029-02-13, off: [2029-02-20, 2029-02-12]}\n", "首尾颠倒"},
		{"years:\n  - year: 2029\n    status: official\n    holidays:\n      - {name: 春节, date: 2029-13-01, off: [2029-02-12, 2029-02-20]}\n", "不是日期"},
		{"years:\n  - year: 2029\n    status: official\n    holidays:\n      - {name: 春节, date: 2029-02-13, off: [2029-02-12, 2029-02-20], workdays: [2029-02-15]}\n", "落在放假区间"},
		{"years:\n  - year: 2029\n    status: statutory\n    holidays:\n      - {name: 春节, date: 2029-02-13, off: [2029-02-12, 2029-02-15], workdays: [2029-02-18]}\n", "statutory"},
		{"years:\n  - year: 2029\n    status: official\n  - year: 2029\n    status: official\n", "写了两次"},
		{"years: [", "YAML"},
	} {
		_, err := Parse([]byte(tc.src), "h.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "h.yaml") {
			t.Errorf("%q: err = %v, want %q", tc.src, err, tc.want)
		}
	}
}

// An owner's file replaces the built-in year it names and adds the ones it has.
func TestMergeReplacesYears(t *testing.T) {
	own, err := Parse([]byte(`years:
  - year: 2027
    status: official
    holidays:
      - {name: 春节, date: 2027-02-06, off: [2027-02-05, 2027-02-12], workdays: [2027-02-14]}
`), "mine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tab := Default().Merge(own)
	if _, off, _ := tab.DayOff(day("2027-02-12")); !off {
		t.Errorf("the file's 2027 must win")
	}
	if _, off, _ := tab.DayOff(day("2027-10-01")); off {
		t.Errorf("2027 is replaced whole, not merged day by day")
	}
	if work, _ := tab.Workday(day("2027-02-14")); !work {
		t.Errorf("make-up Sunday from the file")
	}
	if _, off, known := tab.DayOff(day("2026-10-01")); !off || !known {
		t.Errorf("2026 kept from the built-in table")
	}
	if !strings.Contains(tab.Describe(), "2027（官方放假安排）") {
		t.Errorf("describe: %s", tab.Describe())
	}
}

func TestCanonicalNames(t *testing.T) {
	tab := Default()
	for in, want := range map[string]string{"国庆": "国庆节", "过年": "春节", "中秋节": "中秋节", "除夕": "除夕", "五一": "劳动节"} {
		if got, ok := tab.Canonical(in); !ok || got != want {
			t.Errorf("%s → %s %v, want %s", in, got, ok, want)
		}
	}
	if _, ok := tab.Canonical("圣诞节"); ok {
		t.Errorf("圣诞节 is not in the table")
	}
}
