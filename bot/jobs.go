package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"qunbot/bot/config"
)

// JobInfo is one entry of the engine's timer queue, for the owner's dashboard.
type JobInfo struct {
	// Key is the timer's key: "job:report.weekly:读书会" for a cron job,
	// "welcome:3", "screening.deadline:12", … for one-shot timers.
	Key string
	// Job is the cron job's name ("report.weekly:读书会"), empty for one-shot timers.
	Job  string
	Next time.Time
}

// Jobs is a snapshot of the timer queue, earliest first. The queue belongs to the engine
// loop, so on a live engine (Run serves it) the snapshot is taken on the loop, through its
// task channel, and handed back; ctx bounds the wait when the loop is busy. Without a loop
// (the simulator) the caller must be the only one driving the engine at the time, e.g.
// the dashboard serving the result of a finished script.
func (e *Engine) Jobs(ctx context.Context) ([]JobInfo, error) {
	if !e.live.Load() {
		return e.jobsSnapshot(), nil
	}
	// Leave most of the task queue to the work that matters (login notices, reloads): a
	// stuck loop and an owner refreshing the page must not fill it with snapshots.
	if len(e.tasks) > cap(e.tasks)/2 {
		return nil, errors.New("list jobs: engine busy")
	}
	res := make(chan []JobInfo, 1)
	select {
	case e.tasks <- func(context.Context) { res <- e.jobsSnapshot() }:
	case <-ctx.Done():
		return nil, fmt.Errorf("list jobs: engine busy: %w", ctx.Err())
	}
	select {
	case jobs := <-res:
		return jobs, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("list jobs: engine busy: %w", ctx.Err())
	}
}

func (e *Engine) jobsSnapshot() []JobInfo {
	out := make([]JobInfo, 0, len(e.timers.h))
	for _, t := range e.timers.h {
		j := JobInfo{Key: t.key, Next: t.at}
		if name, ok := strings.CutPrefix(t.key, "job:"); ok {
			j.Job = name
		}
		out = append(out, j)
	}
	slices.SortFunc(out, func(a, b JobInfo) int {
		if c := a.Next.Compare(b.Next); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// DescribeJob names a timer in Chinese and finds its group, for the dashboard and 状态.
// groups are the known group names, longest first; byKey names groups by key. Job names are built by the
// feature modules as "<kind>:<group>[:<post id>]"; one-shot timers carry a key.
func DescribeJob(j JobInfo, groups []string, byKey map[int64]string) (what, group string) {
	if j.Job != "" {
		kind, rest, _ := strings.Cut(j.Job, ":")
		for _, g := range groups {
			if rest == g || strings.HasPrefix(rest, g+":") {
				group, rest = g, strings.TrimPrefix(strings.TrimPrefix(rest, g), ":")
				break
			}
		}
		switch kind {
		case "post":
			return "定时发帖「" + rest + "」", group
		case "silent.check":
			return "检查沉默成员", group
		case "report.daily":
			return "日报（发给群主）", group
		case "report.weekly":
			return "周报（发给群主，附活跃图）", group
		}
		if j.Job == "retention" {
			return "清理过期的记录（按保留期限）", "所有群"
		}
		if spec, ok := strings.CutPrefix(j.Job, "engage.weekly_top "); ok {
			return "每周活跃之星（" + config.CronWords(spec) + "）", "所有群"
		}
		return j.Job, group
	}
	kind, id, _ := strings.Cut(j.Key, ":")
	key, _ := strconv.ParseInt(id, 10, 64)
	switch kind {
	case "welcome":
		return "发送欢迎语（合并同一时间进群的新人）", byKey[key]
	case "screening.prompt":
		return "入群验证：提示新人回答", byKey[key]
	case "screening.remind":
		return "入群验证：提醒未回答的新人", ""
	case "screening.deadline":
		return "入群验证：截止检查", ""
	case "retention":
		return "继续清理过期的记录", "所有群"
	case "schedule.plan":
		return "安排这个群的定时任务", id
	case "lottery.draw":
		return "抽奖：截止开奖", ""
	case "lottery.ack":
		return "抽奖：确认新参加的人", ""
	case "poll.close":
		return "投票：截止公布结果", ""
	case "poll.ack":
		return "投票：确认新投票的人", ""
	case "chain.post":
		return "接龙：重发最新名单", ""
	case "chain.close":
		return "接龙：截止发最终名单", ""
	}
	return j.Key, ""
}
