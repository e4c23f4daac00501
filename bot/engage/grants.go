package engage

import (
	"fmt"
	"strconv"
	"time"

	"qunbot/bot"
	"qunbot/storage"
)

// checkGrant bounds what an admin may grant by hand (加分): never to himself, and at most
// points.admin_daily_cap a day in this group, all targets together; past that only the
// owner grants. An admin account that is lost or misused can then hand out a bounded
// amount a day, and each grant stays in the audit log (payEntry) under the admin's key.
func checkGrant(t *bot.Turn, targets []storage.Member, n int64) error {
	if t.Owner || t.Member.Role == bot.RoleOwner {
		return nil
	}
	count := int64(0)
	seen := map[int64]bool{}
	for _, target := range targets {
		if target.Key == t.Member.Key {
			return bot.Usagef("管理员不能给自己加分，请群主来加。")
		}
		if !seen[target.Key] {
			seen[target.Key] = true
			count++
		}
	}
	limit := int64(t.Group.Config.Points.AdminDailyCap)
	if limit == 0 {
		return bot.Usagef("本群只有群主能加分。")
	}
	loc := t.Engine().Location()
	local := t.Now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	granted, err := t.Tx.PointsGrantedBy(t.Group.Key, "admin:"+strconv.FormatInt(t.Member.Key, 10), midnight)
	if err != nil {
		return fmt.Errorf("check admin daily cap: %w", err)
	}
	if granted+n*count > limit {
		return bot.Usagef("管理员每天最多加 %d 分，你今天已经加了 %d 分，这次要加 %d 分；更多请群主来加。", limit, granted, n*count)
	}
	return nil
}
