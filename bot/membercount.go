package bot

import "qunbot/storage"

// MemberCount is the group's size: the platform's count when it reports one (it includes
// members who never spoke and the owner), else the members we know.
func (e *Engine) MemberCount(tx *storage.Tx, groupKey int64) (int, error) {
	count, err := tx.CountMembers(groupKey)
	if err != nil {
		return 0, err
	}
	if g := e.groups[groupKey]; g != nil && g.count > count {
		count = g.count
	}
	return count, nil
}
