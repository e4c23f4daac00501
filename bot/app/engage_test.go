package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"qunbot/storage"
)

// pointsOf lists the "points" lines as "member reason delta balance".
func (r simRun) pointsOf() []string {
	var out []string
	for _, l := range r.kind("points") {
		out = append(out, fmt.Sprintf("%s %s %v %v", l.str("member"), l.str("reason"), l["delta"], l["balance"]))
	}
	return out
}

func (r simRun) sendsTo(member string) []string {
	var out []string
	for _, s := range r.kind("send") {
		if strings.HasPrefix(s.str("text"), "@"+member+"\u2005") {
			out = append(out, s.str("text"))
		}
	}
	return out
}

func TestEngageCheckinOncePerDayStreakAndMissedDay(t *testing.T) {
	script := `@time 2026-11-21 22:30
@group 读书会
王五: 签到
王五: 签到
@time 2026-11-22 07:30
王五: 签到
@time 2026-11-24 07:30
王五: 签到
`
	r := runScript(t, nil, "", script, false)
	want := []string{"王五 checkin 10 10", "王五 checkin 12 22", "王五 checkin 10 32"}
	if got := r.pointsOf(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("check-in twice pays once, the next day pays 12 (streak 2), after a missed day 10 (streak 1):\ngot  %v\nwant %v\n%s", got, want, r.out)
	}
	replies := r.sendsTo("王五")
	if len(replies) != 4 || !strings.Contains(replies[1], "今天已经签到过了") || !strings.Contains(replies[2], "连续 2 天") || !strings.Contains(replies[3], "连续 1 天") {
		t.Fatalf("replies: %q", replies)
	}
}

func TestEngageRedeemWithTooFewPointsChangesNothing(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:30\n@group 读书会\n王五: 签到\n@advance 31s\n王五: 兑换 1\n", false)
	if got := r.pointsOf(); len(got) != 1 || got[0] != "王五 checkin 10 10" {
		t.Fatalf("only the check-in changes points: %v\n%s", got, r.out)
	}
	replies := r.sendsTo("王五")
	if len(replies) != 2 || !strings.Contains(replies[1], "积分不够：「1元优惠券」要 100 积分，你现在有 10 积分。") || !strings.Contains(replies[1], "用法：兑换") {
		t.Fatalf("a clear answer with the usage line: %q", replies)
	}
	if len(r.kind("dm")) != 0 {
		t.Fatalf("the owner hears nothing of a refused redemption:\n%s", r.out)
	}
}

func TestEngagePlainMemberCannotAddPoints(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:30\n@group 读书会\n李四: 嗨\n王五: 加分 @李四 100 自己人\n王五: 扣分 @李四 5\n", false)
	if len(r.lines) != 0 {
		t.Fatalf("加分 / 扣分 from a plain member change nothing and get no answer:\n%s", r.out)
	}
}

func TestEngageMessagePointsStopAtTheDailyCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("@time 2026-11-21 08:30\n@group 读书会\n")
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(&b, "@advance 2m\n王五: 第%d条消息，今天读到第%d页了\n", i, i*10)
	}
	r := runScript(t, nil, "", b.String(), false)
	got := r.pointsOf()
	if len(got) != 20 || got[19] != "王五 message 1 20" {
		t.Fatalf("25 messages earn at most the daily cap of 20: %d points lines, last %v\n%s", len(got), got[len(got)-1:], r.out)
	}
}

func TestEngageReplayedScriptPaysOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	script := "@time 2026-11-21 08:30\n@group 读书会\n王五: 签到\n王五: 今天读完了第三章\n"
	first := runScript(t, nil, db, script, false)
	if len(first.pointsOf()) != 2 {
		t.Fatalf("first run pays the check-in and the message:\n%s", first.out)
	}
	again := runScript(t, nil, db, script, false)
	if len(again.lines) != 0 {
		t.Fatalf("the same message ids again change nothing:\n%s", again.out)
	}
	st, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(context.Background(), func(tx *storage.Tx) error {
		groups, err := tx.Groups()
		if err != nil || len(groups) != 1 {
			return fmt.Errorf("groups %v: %w", groups, err)
		}
		found, err := tx.MembersNamed(groups[0].Key, "王五")
		if err != nil || len(found) != 1 {
			return fmt.Errorf("王五: %v %w", found, err)
		}
		b, err := tx.Balance(found[0].Key)
		if b != 11 {
			t.Errorf("balance %d after a replay, want 11", b)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEngageWeeklyTopContributors(t *testing.T) {
	script := `@time 2026-11-22 20:00
@group 读书会
李四: 这周读完了两本书
@advance 1m
李四: 推荐《人类简史》给大家
@advance 1m
王五: 我也在读这本，很好看
@advance 1m
赵六: 签到
@time 2026-11-23 09:01
`
	r := runScript(t, nil, "", script, false)
	var post line
	for _, s := range r.kind("send") {
		if strings.Contains(s.str("text"), "活跃之星") {
			if post != nil {
				t.Fatalf("one weekly post per group:\n%s", r.out)
			}
			post = s
		}
	}
	if post == nil {
		t.Fatalf("no weekly top post on Monday 09:00:\n%s", r.out)
	}
	want := "🌟 过去一周活跃之星（11-16 ~ 11-22）\n🥇 @李四\u20052 条\n🥈 @王五\u20051 条\n谢谢大家的参与，新的一周继续热聊吧！"
	if post.str("text") != want || strings.Join(post.mentions(), ",") != "李四,王五" || post.str("time") != "2026-11-23T09:00:00+08:00" {
		t.Fatalf("post = %v\nwant text %q (a check-in is a command, not a contribution)", post, want)
	}
}

func TestEngageCommandCooldown(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 08:30\n@group 读书会\n王五: 积分\n王五: 我的积分\n王五: 排行榜\n王五: 排行榜\n@advance 31s\n王五: points\n", false)
	if n := len(r.kind("send")); n != 3 {
		t.Fatalf("one answer per command per 30 s: want 3 sends (积分, 排行榜, 积分 again), got %d:\n%s", n, r.out)
	}
}
