package engage

import (
	"slices"
	"strings"
	"testing"
	"time"

	"qunbot/bot/config"
	"qunbot/storage"
)

func TestThanksTargets(t *testing.T) {
	members := []storage.Member{
		{Key: 1, Nickname: "小吴"}, {Key: 2, Nickname: "小吴同学"}, {Key: 3, Nickname: "Zheng", DisplayName: "小郑"},
		{Key: 4, Nickname: "你"}, {Key: 5, Nickname: "John Smith"}, {Key: 6, Nickname: "大"},
	}
	words := config.DefaultThanksWords
	for _, tc := range []struct {
		text string
		want []int64
	}{
		{"谢谢 @小吴\u2005", []int64{1}},
		{"谢谢@小吴同学 讲得好", []int64{2}}, // the longest name wins
		{"@小郑\u2005感谢分享！", []int64{3}},
		{"谢谢小吴的分享，收获很大", []int64{1}},
		{"感谢，小郑", []int64{3}},
		{"Thanks @John Smith\u2005", []int64{5}},
		{"谢谢小吴 谢谢小郑", []int64{1, 3}},
		{"谢谢你", nil},        // no one-character names without @
		{"谢谢大家", nil},       // 大 is a member, but not named with an @
		{"@小吴 明天见", nil},    // no thanks word
		{"小吴你好，谢谢", nil},    // the name is not after the word
		{"不用谢，小吴", nil},     // 谢 alone is not a thanks word
		{"谢谢 @不在群里的人", nil}, // nobody by that name
	} {
		var got []int64
		for _, m := range thanksTargets(tc.text, words, members) {
			got = append(got, m.Key)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.text, got, tc.want)
		}
	}
	// A wall of text is only searched at its start.
	long := strings.Repeat("好", 2000) + "谢谢小吴"
	if got := thanksTargets(long, words, members); len(got) != 0 {
		t.Errorf("thanks past the scanned head: %v", got)
	}
}

func TestCheckinNote(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"  今日读了 30 页 ":          "今日读了 30 页",
		"第一行\n第二行":              "第一行 第二行",
		strings.Repeat("读", 70): strings.Repeat("读", 60) + "…",
	} {
		if got := checkinNote(in); got != want {
			t.Errorf("checkinNote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		7 * 24 * time.Hour: "7 天", 36 * time.Hour: "1.5 天", 3 * time.Hour: "3 小时", 20 * time.Minute: "20 分钟", 10 * time.Second: "1 分钟",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTasksDone(t *testing.T) {
	c := config.NewcomerTasks{IntroMinChars: 10, Messages: 3, Checkin: true}
	at := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		n    storage.Newcomer
		want bool
	}{
		{storage.Newcomer{IntroAt: at, CheckinAt: at, Messages: 3}, true},
		{storage.Newcomer{IntroAt: at, CheckinAt: at, Messages: 2}, false},
		{storage.Newcomer{CheckinAt: at, Messages: 3}, false},
		{storage.Newcomer{IntroAt: at, Messages: 3}, false},
	} {
		if got := tasksDone(tc.n, c); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.n, got, tc.want)
		}
	}
	if !tasksDone(storage.Newcomer{Messages: 1}, config.NewcomerTasks{Messages: 1}) {
		t.Error("tasks that are off are done")
	}
}

func TestHasThanksWord(t *testing.T) {
	words := config.DefaultThanksWords
	for text, want := range map[string]bool{
		"谢谢小吴": true, "THANKS a lot": true, "Thx!": true, "今天天气不错": false, "thank you": false, "": false,
	} {
		if got := hasThanksWord(text, words); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}
