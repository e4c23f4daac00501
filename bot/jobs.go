package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// JobLabel says what a timer is for, in the owner's words, as the module that registers it
// gives it: the dashboard and 状态 show it as it is and never parse a timer's key.
type JobLabel struct {
	// Group is the group's name, AllGroups for work across groups, "" when it is no one
	// group's.
	Group string
	// What is the Chinese description: "定时发帖「早安」", "入群验证：截止检查".
	What string
}

// AllGroups is JobLabel.Group for a job that works across groups (retention, the weekly star).
const AllGroups = "所有群"

// JobIn labels a timer of one group, known by key.
func (e *Engine) JobIn(groupKey int64, what string) JobLabel {
	return JobLabel{Group: e.GroupName(groupKey), What: what}
}

// JobInfo is one entry of the engine's timer queue, for the owner's dashboard.
type JobInfo struct {
	// Key is the timer's key: "job:report.weekly:读书会" for a cron job,
	// "welcome:3", "screening.deadline:12", … for one-shot timers.
	Key string
	// Job is the cron job's name ("report.weekly:读书会"), empty for one-shot timers.
	Job   string
	Next  time.Time
	Label JobLabel
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
		j := JobInfo{Key: t.key, Next: t.at, Label: t.label}
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
