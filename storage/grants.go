package storage

import (
	"fmt"
	"time"
)

// PointsGrantedBy sums the points actor (an audit actor, "admin:<key>") granted by hand
// in a group since a time: the positive "points" audit entries with reason admin, which
// every 加分 writes in its transaction. It backs points.admin_daily_cap, read from the
// audit log so the cap needs no table of its own (the audit_by_group_action index).
func (t *Tx) PointsGrantedBy(groupKey int64, actor string, since time.Time) (int64, error) {
	var sum int64
	err := t.queryRow(`SELECT COALESCE(SUM(json_extract(detail, '$.delta')), 0) FROM audit
		WHERE group_key = ? AND action = 'points' AND time >= ? AND actor = ?
		AND json_extract(detail, '$.reason') = ? AND json_extract(detail, '$.delta') > 0`,
		groupKey, ms(since), actor, ReasonAdmin).Scan(&sum)
	if err != nil {
		return 0, fmt.Errorf("sum points granted by %s: %w", actor, err)
	}
	return sum, nil
}
