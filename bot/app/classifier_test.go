package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"qunbot/storage"
)

// The owner's decisions teach the classifier, the lessons survive a restart, a 广告 label
// applies the ladder, and a pardon teaches the other way.
func TestClassifierLearnsFromTheOwner(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bot.db")
	r := runScript(t, nil, db, modStart+`小李: 谁买谁傻逼
小张: 谁用谁傻逼
> 复核
> 广告 1
> 广告 1
> 正常 2
小赵: 专业出U，担保交易，车队接料
@advance 11m
me: 误判 @小赵
小王: 今天的分享真好
me: 广告 @小王
`, false)
	reviews := r.kind("review")
	if len(reviews) != 2 || reviews[0].str("member") != "小李" || reviews[1].str("member") != "小张" {
		t.Fatalf("abuse in ordinary chat asks the owner, twice: %v\n%s", reviews, r.out)
	}
	var who []string
	for _, p := range penalties(r) {
		who = append(who, p.str("member")+":"+p.str("rule"))
	}
	if got := strings.Join(who, ","); got != "小李:classifier,小赵:classifier,小王:admin" {
		t.Fatalf("penalties: %s\n%s", got, r.out)
	}
	for _, want := range []string{"#1 「小李」", "已经标记过了", "复核 #2 已标记为正常"} {
		if len(r.kindWith("dm", want)) == 0 {
			t.Errorf("no owner message with %q\n%s", want, r.out)
		}
	}
	st, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(context.Background(), func(tx *storage.Tx) error {
		spam, ham, err := tx.ExampleCounts()
		if err != nil {
			return err
		}
		// 广告 1, 广告 @小王: spam; 正常 2, 误判 @小赵: ordinary.
		if spam != 2 || ham != 2 {
			t.Errorf("labelled examples: %d spam, %d ordinary; want 2 and 2", spam, ham)
		}
		d, err := tx.WeightDeltas()
		if len(d) == 0 {
			t.Error("no learned weights stored")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
