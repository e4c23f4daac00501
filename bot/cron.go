package bot

import (
	"context"
	"time"

	"qunbot/bot/config"
	"qunbot/storage"
)

// JobFunc is the body of a recurring job. It runs in one transaction together with the
// record of its run, so a job that committed is never repeated after a restart and one
// that did not is not lost.
type JobFunc func(t *Turn) error

// maxCatchUp bounds the search for the latest missed occurrence after a long outage.
const maxCatchUp = 100000

// Every registers a recurring job under a stable name (it keys the stored last run) on a
// cron schedule in the config timezone. Registering the same name again replaces it (config
// reload). A job missed while the bot was down runs once on start if it is within the grace
// period, otherwise it is skipped and logged.
func (e *Engine) Every(ctx context.Context, name string, label JobLabel, spec config.CronSpec, fn JobFunc) error {
	return e.EverySince(ctx, name, label, spec, time.Time{}, fn)
}

// EverySince is Every for a job that has nothing to do before `since`: a group's posts and
// reports are not due for times before the bot first saw the group. It matters when the
// job is registered for the first time with the clock behind since: a restart that
// replays the group's first event (a script re-run in the simulator, a clock corrected
// backwards) must not post for hours the group was not yet known.
func (e *Engine) EverySince(ctx context.Context, name string, label JobLabel, spec config.CronSpec, since time.Time, fn JobFunc) error {
	label = e.checkLabel("job:"+name, label)
	var last time.Time
	if err := e.store.View(ctx, func(tx *storage.Tx) error {
		var err error
		last, err = tx.JobLastRun(name)
		return err
	}); err != nil {
		return err
	}
	now := e.clock.Now().In(e.Location())
	if last.IsZero() {
		// First registration: store now (or since, if later) as the point up to which the
		// job is done. Without it a job that has not run yet (a post added yesterday) could
		// not tell a run it missed while the bot was down from one before it existed, and
		// would lose it.
		from := maxTime(now, since.In(e.Location()))
		if err := e.store.Update(ctx, func(tx *storage.Tx) error { return tx.SetJobLastRun(name, from) }); err != nil {
			return err
		}
		e.scheduleJob(name, label, spec, spec.Schedule.Next(from), spec.Schedule.Next(from), fn)
		return nil
	}
	// A zero time from Next means "no more occurrences" (cron.Schedule's convention: a
	// one-off post that went out, a countdown past its day); the loops below stop there.
	// Plan from the later of now and the last run: if the clock is behind the stored run
	// (a clock corrected backwards, a database copied from a machine running ahead), the
	// occurrences up to the last run have been done already and must not repeat.
	next := spec.Schedule.Next(maxTime(now, last.In(e.Location())))
	// The latest occurrence that should have run but did not.
	var missed time.Time
	for t, i := spec.Schedule.Next(last.In(e.Location())), 0; !t.IsZero() && !t.After(now) && i < maxCatchUp; t, i = spec.Schedule.Next(t), i+1 {
		missed = t
	}
	if !missed.IsZero() {
		grace := e.Config().Scheduler.Grace.D()
		if now.Sub(missed) <= grace {
			e.log.Info("job missed while down: running it now", "job", name, "was_due", missed, "late", now.Sub(missed).Round(time.Second))
			e.scheduleJob(name, label, spec, missed, now, fn)
			return nil
		}
		e.log.Warn("job missed while down: skipped, past its grace period", "job", name, "was_due", missed, "grace", grace)
	}
	e.scheduleJob(name, label, spec, next, next, fn)
	return nil
}

// scheduleJob arms the job's timer: `due` is the occurrence it stands for (recorded as the
// last run), `at` when it fires (later than due only when catching up).
func (e *Engine) scheduleJob(name string, label JobLabel, spec config.CronSpec, due, at time.Time, fn JobFunc) {
	if due.IsZero() {
		e.timers.cancel("job:" + name) // the schedule has no more occurrences
		return
	}
	e.timers.schedule(&timer{key: "job:" + name, label: label, at: at, run: func(ctx context.Context, now time.Time) {
		// A timer that fires long after it was due (the machine slept, the loop was stuck
		// in a login) is the same as a job missed while down: past the grace period it is
		// skipped, not run hours late. The tolerance never drops below a minute, so that a
		// grace of 0 does not skip jobs for a timer's ordinary few milliseconds of delay.
		grace := max(e.Config().Scheduler.Grace.D(), time.Minute)
		var err error
		if late := now.Sub(at); late > grace {
			e.log.WarnContext(ctx, "job fired past its grace period: skipped", "job", name, "was_due", due, "late", late.Round(time.Second), "grace", grace)
			err = e.Update(ctx, func(t *Turn) error { return t.Tx.SetJobLastRun(name, due) })
		} else {
			err = e.Update(ctx, func(t *Turn) error {
				if err := fn(t); err != nil {
					return err
				}
				return t.Tx.SetJobLastRun(name, due)
			})
		}
		if err != nil {
			e.log.ErrorContext(ctx, "job failed", "job", name, "due", due, "err", err)
		}
		next := spec.Schedule.Next(maxTime(due, now).In(e.Location()))
		e.scheduleJob(name, label, spec, next, next, fn)
	}})
}

// checkLabel keeps a timer's label shown: a module that registers one without saying what
// it is for is a bug (TestEveryJobHasALabel), logged, and its key stands in.
func (e *Engine) checkLabel(key string, l JobLabel) JobLabel {
	if l.What == "" {
		e.log.Error("timer registered without a label", "key", key)
		l.What = key
	}
	return l
}

// CancelJob stops a recurring job (it was removed from the config).
func (e *Engine) CancelJob(name string) { e.timers.cancel("job:" + name) }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
