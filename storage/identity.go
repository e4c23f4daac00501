package storage

import "fmt"

// MembersWithRole lists the group's members holding role ("owner" for the bot's own
// account), oldest first. The owner's row is found this way, never by name.
func (t *Tx) MembersWithRole(groupKey int64, role string) ([]Member, error) {
	ms, err := t.members(`WHERE group_key = ? AND role = ? ORDER BY key`, groupKey, role)
	if err != nil {
		return nil, fmt.Errorf("find members with role %q: %w", role, err)
	}
	return ms, nil
}
