package storage

import "fmt"

// RenameGroup gives a group a new name. The key stays, and with it everything keyed by it:
// members, strikes, points, activity, the audit log. It fails if another group already
// has the name (names are unique), rather than merge two groups' records.
func (t *Tx) RenameGroup(key int64, name string) error {
	res, err := t.exec(`UPDATE groups SET name = ? WHERE key = ?`, name, key)
	if err != nil {
		return fmt.Errorf("rename group %d to %q: %w", key, name, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("rename group %d to %q: no such group", key, name)
	}
	return nil
}
