package bot

import (
	"context"
	"time"

	"qunbot/bot/config"
)

// Retention keeps the database bounded over months: a daily job deletes audit entries and
// processed-message ids older than the config's retention (config.Retention). It deletes
// at most retentionChunk rows per table per transaction; when there is more (the first
// prune of an old database), it goes on a second later, so events are served in between.

const (
	retentionJob   = "retention"
	retentionMore  = "retention:more"
	retentionChunk = 5000
	// retentionCron runs when groups are quiet.
	retentionCron = "30 4 * * *"
)

func (e *Engine) startRetention(ctx context.Context) error {
	return e.Every(ctx, retentionJob, JobLabel{Group: AllGroups, What: "清理过期的记录（按保留期限）"}, config.MustCron(retentionCron), func(t *Turn) error {
		more, err := e.prune(t)
		if err == nil && more {
			e.Schedule(retentionMore, JobLabel{Group: AllGroups, What: "继续清理过期的记录"}, t.Now.Add(time.Second), e.pruneMore)
		}
		return err
	})
}

func (e *Engine) pruneMore(ctx context.Context, now time.Time) {
	var more bool
	err := e.Update(ctx, func(t *Turn) error {
		var err error
		more, err = e.prune(t)
		return err
	})
	if err != nil {
		e.log.ErrorContext(ctx, "retention: prune failed", "err", err)
		return
	}
	if more {
		e.Schedule(retentionMore, JobLabel{Group: AllGroups, What: "继续清理过期的记录"}, now.Add(time.Second), e.pruneMore)
	}
}

// prune deletes one chunk of expired rows of each table; more says a table had a full chunk.
func (e *Engine) prune(t *Turn) (more bool, err error) {
	r := e.Config().Retention
	var audit, processed int64
	if d := r.Audit.D(); d > 0 {
		if audit, err = t.Tx.PruneAudit(t.Now.Add(-d), retentionChunk); err != nil {
			return false, err
		}
	}
	if d := r.Processed.D(); d > 0 {
		if processed, err = t.Tx.PruneProcessed(t.Now.Add(-d), retentionChunk); err != nil {
			return false, err
		}
	}
	if audit+processed > 0 {
		e.log.InfoContext(t.Ctx, "retention: pruned old records", "audit", audit, "processed", processed,
			"audit_retention", r.Audit, "processed_retention", r.Processed)
	}
	return audit == retentionChunk || processed == retentionChunk, nil
}
