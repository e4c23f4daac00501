package activity

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// 2026-11-21 is a Saturday.
var now = time.Date(2026, 11, 21, 10, 30, 0, 0, shanghai)

func at(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, shanghai) }

func TestTakeWhen(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		rest string
	}{
		{"30m", now.Add(30 * time.Minute), ""},
		{"奖品 2h", now.Add(2 * time.Hour), "奖品"},
		{"3天", now.Add(72 * time.Hour), ""},
		{"90分钟", now.Add(90 * time.Minute), ""},
		{"20:00", at(11, 21, 20, 0), ""},
		{"20：00", at(11, 21, 20, 0), ""},
		{"09:00", at(11, 22, 9, 0), ""}, // passed today: tomorrow
		{"明天20:00", at(11, 22, 20, 0), ""},
		{"明天 20:00", at(11, 22, 20, 0), ""},
		{"明天", at(11, 22, 23, 59), ""},
		{"后天 8点半", at(11, 23, 8, 30), ""},
		{"晚上8点", at(11, 21, 20, 0), ""},
		{"今晚", at(11, 21, 20, 0), ""},
		{"截止20:00", at(11, 21, 20, 0), ""},
		{"截止 12-24 20:00", at(12, 24, 20, 0), ""},
		{"12月24日 20:00", at(12, 24, 20, 0), ""},
		{"12月24日20:00", at(12, 24, 20, 0), ""},
		{"2026-12-24 20:00", at(12, 24, 20, 0), ""},
		{"周五20:00", at(11, 27, 20, 0), ""},
		{"周六", at(11, 21, 23, 59), ""}, // today is Saturday
		{"下周一 9:00", at(11, 23, 9, 0), ""},
		{"星期日", at(11, 22, 23, 59), ""},
		{"1-5", time.Date(2027, 1, 5, 23, 59, 0, 0, shanghai), ""}, // a past day without a year: next year
		{"昨天", at(11, 20, 23, 59), ""},                             // the caller says it has passed
		{"周六爬山 5人", time.Time{}, "周六爬山 5人"},
		{"《三体》一本 10分 1名", time.Time{}, "《三体》一本 10分 1名"},
		{"2月30日", time.Time{}, "2月30日"},
		{"25:00", time.Time{}, "25:00"},
	} {
		got, rest, ok := takeWhen(strings.Fields(tc.in), now)
		if ok != !tc.want.IsZero() || (ok && !got.Equal(tc.want)) || strings.Join(rest, " ") != tc.rest {
			t.Errorf("%q: %v %q %v, want %v %q", tc.in, got, rest, ok, tc.want, tc.rest)
		}
	}
}

// The draw is the documented algorithm, redone here by hand: anyone with the seed gets the
// same winners.
func TestDrawIsTheDocumentedAlgorithm(t *testing.T) {
	seed := "c0794e3aff1c9af578a611671bb888c1"
	remaining := []int{0, 1, 2, 3, 4, 5, 6}
	var want []int
	for k := 0; k < 3; k++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s:%d", seed, k)))
		i := int(binary.BigEndian.Uint64(sum[:8]) % uint64(len(remaining)))
		want = append(want, remaining[i])
		remaining = slices.Delete(remaining, i, i+1)
	}
	if got := Draw(seed, 7, 3); !slices.Equal(got, want) {
		t.Errorf("Draw = %v, want %v", got, want)
	}
	sum := sha256.Sum256([]byte(seed))
	if Fingerprint(seed) != hex.EncodeToString(sum[:8]) {
		t.Error("the fingerprint is the first 16 hex digits of SHA-256(seed)")
	}
}

func TestDrawPicksDistinctWinners(t *testing.T) {
	for n := 0; n < 12; n++ {
		for w := 1; w < 5; w++ {
			got := Draw(fmt.Sprintf("seed%d", n*7+w), n, w)
			if len(got) != min(n, w) {
				t.Fatalf("n=%d winners=%d: %v", n, w, got)
			}
			seen := map[int]bool{}
			for _, i := range got {
				if i < 0 || i >= n || seen[i] {
					t.Fatalf("n=%d winners=%d: %v", n, w, got)
				}
				seen[i] = true
			}
		}
	}
	// Roughly uniform: each of 4 entrants wins about a quarter of 4,000 draws.
	wins := make([]int, 4)
	for i := 0; i < 4000; i++ {
		wins[Draw(fmt.Sprint(i), 4, 1)[0]]++
	}
	for i, w := range wins {
		if w < 850 || w > 1150 {
			t.Errorf("entrant %d won %d of 4000", i, w)
		}
	}
}

func TestParsePaste(t *testing.T) {
	for _, tc := range []struct {
		in      string
		ok      bool
		title   string
		entries []string
		count   int
	}{
		{"接龙 下午分享 1. 小吴 2. 小郑", true, "下午分享", []string{"小吴", "小郑"}, 2},
		{"#接龙\n周六爬山\n\n1. 小吴\n2. 小郑 带一个朋友\n3. 小王", true, "周六爬山", []string{"小吴", "小郑 带一个朋友", "小王"}, 3},
		{"接龙 1、小吴 2、小郑", true, "", []string{"小吴", "小郑"}, 2},
		{"接龙 周六爬山 1. 小吴 2. 带 3 个人 3. 小王", true, "周六爬山", []string{"小吴", "带 3 个人", "小王"}, 3},
		{"接龙", false, "", nil, 0},
		{"接龙吗？明天再说", false, "", nil, 0},
		{"我来接龙了", false, "", nil, 0},
	} {
		p, ok := parsePaste(tc.in, 10)
		if ok != tc.ok || p.title != tc.title || !slices.Equal(p.entries, tc.entries) || p.count != tc.count {
			t.Errorf("%q: %+v %v", tc.in, p, ok)
		}
	}
	// 500 names: counted, only the cap's worth kept.
	var b strings.Builder
	b.WriteString("接龙 年会")
	for i := 1; i <= 500; i++ {
		fmt.Fprintf(&b, " %d. 人%d", i, i)
	}
	p, ok := parsePaste(b.String(), 101)
	if !ok || p.count != 500 || len(p.entries) != 101 {
		t.Errorf("500 names: count %d kept %d", p.count, len(p.entries))
	}
}

func TestSplitOptions(t *testing.T) {
	for in, want := range map[string][]string{
		"爬山/看电影/唱歌":  {"爬山", "看电影", "唱歌"},
		"爬山 看电影":     {"爬山", "看电影"},
		"1.爬山 2.看电影": {"爬山", "看电影"},
		"A、爬山 B、看电影": {"爬山", "看电影"},
		"爬山，看电影，唱 K": {"爬山", "看电影", "唱 K"},
		"爬山":         {"爬山"},
		"":           nil,
	} {
		if got := splitOptions(strings.Fields(in)); !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	options := []string{"爬山", "看电影"}
	for in, want := range map[string]int{"1": 0, "２": 1, "看电影": 1, "2.": 1, "3": -1, "唱歌": -1, "0": -1} {
		got, ok := optionOf(in, options)
		if (want < 0) == ok || (ok && got != want) {
			t.Errorf("optionOf(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
}

func TestShowTime(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{at(11, 21, 20, 0), "今天 20:00"}, {at(11, 22, 9, 5), "明天 09:05"}, {at(11, 23, 9, 5), "后天 09:05"},
		{at(12, 24, 20, 0), "12月24日 20:00"}, {time.Date(2027, 1, 3, 8, 0, 0, 0, shanghai), "2027年1月3日 08:00"},
	} {
		if got := showTime(tc.at, now); got != tc.want {
			t.Errorf("showTime(%v) = %q, want %q", tc.at, got, tc.want)
		}
	}
}
