package bot

import "qunbot/storage"

// ListedAdmin reports whether the config file makes m an admin of the turn's group
// (config.Config.ListedAdmin): by the platform's stable id only, never by a name.
func (t *Turn) ListedAdmin(m storage.Member) bool {
	if !t.e.caps.StableIDs {
		return false
	}
	return t.e.Config().ListedAdmin(t.Group.Config, m.PlatformID)
}
