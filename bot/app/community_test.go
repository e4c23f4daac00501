package app

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"qunbot/bot/activity"
	"qunbot/bot/config"
)

func sendsContaining(r simRun, s string) []line {
	var out []line
	for _, l := range append(r.kind("send"), r.kind("dm")...) {
		if strings.Contains(l.str("text"), s) {
			out = append(out, l)
		}
	}
	return out
}

// A lottery is drawn exactly once, by whichever run of the bot is up at its deadline: the
// draw's status moves in the transaction that posts it, and a restart re-arms only open
// lotteries. The seed revealed is the one the start announcement fingerprinted.
func TestLotteryDrawnOnceAcrossRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	first := runScript(t, nil, db, `@time 2026-11-21 08:00
@group 读书会
小吴: 签到
小郑: 签到
me: 发起抽奖 《三体》一本 5分 1名 今天20:00
小吴: 抽奖
小郑: 抽奖
@advance 2h
`, false)
	starts := sendsContaining(first, "抽奖开始")
	if len(starts) != 1 || len(sendsContaining(first, "开奖！")) != 0 {
		t.Fatalf("first run: the lottery starts, no draw yet:\n%s", first.out)
	}
	fp := regexp.MustCompile(`指纹 ([0-9a-f]{16})`).FindStringSubmatch(starts[0].str("text"))
	// The bot is down at 20:00 and comes back at 21:00: the draw happens then, once.
	second := runScript(t, nil, db, "@time 2026-11-21 21:00\n@group 读书会\n", false)
	draws := sendsContaining(second, "开奖！")
	if len(draws) != 1 || len(fp) != 2 {
		t.Fatalf("second run: one draw:\n%s", second.out)
	}
	seed := regexp.MustCompile(`种子 ([0-9a-f]{32})`).FindStringSubmatch(draws[0].str("text"))
	if len(seed) != 2 || activity.Fingerprint(seed[1]) != fp[1] {
		t.Fatalf("the revealed seed must match the fingerprint %s:\n%s", fp[1], draws[0].str("text"))
	}
	if len(sendsContaining(second, "开奖了，中奖")) != 1 {
		t.Errorf("the owner is told whom to give the prize to:\n%s", second.out)
	}
	third := runScript(t, nil, db, "@time 2026-11-22 09:00\n@group 读书会\n小吴: 抽奖\n", false)
	if len(sendsContaining(third, "开奖")) != 0 || len(sendsContaining(third, "现在没有进行中的抽奖")) != 1 {
		t.Fatalf("third run: nothing drawn again, no lottery open:\n%s", third.out)
	}
}

const datedConfig = `defaults:
  weekly_top: {enabled: false}
  silent: {enabled: false}
  reports: {daily: {enabled: false}, weekly: {enabled: false}}
  posts:
    - name: 圣诞共读会
      at: "2026-11-21 20:00"
      text: "🎄 共读会今晚 8 点开始"
`

// A one-off post goes out once: missed while the bot was down, it is sent on start within
// scheduler.grace (30m); a restart after it never sends it again.
func TestDatedPostSentOnceAcrossRestart(t *testing.T) {
	cfg, err := config.Parse([]byte(datedConfig), "dated.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "q.db")
	if r := runScript(t, cfg, db, "@time 2026-11-21 08:00\n@group 读书会\n小吴: 大家好\n@advance 11h\n", false); len(sendsContaining(r, "共读会")) != 0 {
		t.Fatalf("not before its time:\n%s", r.out)
	}
	r := runScript(t, cfg, db, "@time 2026-11-21 20:10\n@group 读书会\n", false)
	if len(sendsContaining(r, "共读会今晚")) != 1 {
		t.Fatalf("missed by 10 minutes while down: sent once on start:\n%s", r.out)
	}
	for _, at := range []string{"2026-11-21 20:20", "2026-11-22 09:00"} {
		if r := runScript(t, cfg, db, "@time "+at+"\n@group 读书会\n", false); len(sendsContaining(r, "共读会")) != 0 {
			t.Fatalf("restart at %s: sent again:\n%s", at, r.out)
		}
	}
}

// A one-off post whose time passed while the bot was down for longer than the grace (or
// that was written for a time already past) is not sent late: the owner is told, once.
func TestPassedDatedPostIsToldOnce(t *testing.T) {
	cfg, err := config.Parse([]byte(datedConfig), "dated.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "q.db")
	runScript(t, cfg, db, "@time 2026-11-21 08:00\n@group 读书会\n小吴: 大家好\n", false)
	r := runScript(t, cfg, db, "@time 2026-11-21 23:00\n@group 读书会\n", false)
	if len(sendsContaining(r, "共读会今晚")) != 0 || len(sendsContaining(r, "已经过了")) != 1 {
		t.Fatalf("three hours late: not sent, the owner told:\n%s", r.out)
	}
	if r := runScript(t, cfg, db, "@time 2026-11-22 08:00\n@group 读书会\n", false); len(r.kind("dm")) != 0 {
		t.Fatalf("told once only:\n%s", r.out)
	}
}

// The ordinary life of a group with a hand-run 接龙 gets no answer from the bot about it,
// and no penalty comes from anything this module added.
func TestHandChainIsLeftAlone(t *testing.T) {
	r := runScript(t, nil, "", `@time 2026-11-21 08:00
@group 读书会
小吴: 接龙 下午分享 1. 小吴
小郑: 接龙 下午分享 1. 小吴 2. 小郑
小王: 接龙 下午分享 1. 小吴 2. 小郑 3. 小王
@advance 30m
`, false)
	if len(r.kind("send")) != 0 || len(r.kind("penalty")) != 0 {
		t.Fatalf("a hand-run chain is chat:\n%s", r.out)
	}
	if len(r.kind("points")) != 3 {
		t.Errorf("each line earns its message point like any chat:\n%s", r.out)
	}
}

// A chain's changes waiting to be reposted when the bot stops are reposted after a
// restart, once; a vote waiting to be acknowledged likewise.
func TestPendingAcknowledgementsSurviveRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	first := runScript(t, nil, db, `@time 2026-11-21 08:00
@group 读书会
小吴: 发起接龙 周六爬山 5人
小吴: 报名
me: 发起投票 周末去哪 爬山/看电影 今天22:00
小郑: 投票 1
`, false)
	if len(sendsContaining(first, "1. 小吴")) != 0 || len(sendsContaining(first, "已投票")) != 0 {
		t.Fatalf("nothing acknowledged before the pacing delay:\n%s", first.out)
	}
	// Re-armed on start, paced from then (activity_pacing.delay, 1m).
	second := runScript(t, nil, db, "@time 2026-11-21 08:30\n@group 读书会\n@advance 2m\n", false)
	if len(sendsContaining(second, "1. 小吴")) != 1 || len(sendsContaining(second, "@小郑 已投票")) != 1 {
		t.Fatalf("after a restart the pending list and acknowledgement go out once:\n%s", second.out)
	}
	third := runScript(t, nil, db, "@time 2026-11-21 09:00\n@group 读书会\n", false)
	if len(third.kind("send")) != 0 {
		t.Fatalf("nothing repeated:\n%s", third.out)
	}
}
