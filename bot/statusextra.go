package bot

import "time"

// StatusItem is one line a module adds to 状态 and to the dashboard's overview, such as
// the last good backup.
type StatusItem struct {
	Label string // 备份
	Text  string // 12-05 04:30（qunbot-20261205-043000.db，3.2 MB）
	Bad   bool   // something the owner must act on
}

// StatusReporter is a module with something to show in 状态 and on the dashboard. Status
// is called from the loop and from the dashboard's goroutines.
type StatusReporter interface {
	Status(now time.Time) []StatusItem
}

// ModuleStatus collects the modules' status items. Safe from any goroutine.
func (e *Engine) ModuleStatus(now time.Time) []StatusItem {
	var out []StatusItem
	for _, m := range e.modules {
		if r, ok := m.(StatusReporter); ok {
			out = append(out, r.Status(now)...)
		}
	}
	return out
}

func (e *Engine) statusModules(line liner, now time.Time) {
	for _, it := range e.ModuleStatus(now) {
		mark := "🗂"
		if it.Bad {
			mark = "❌"
		}
		line("%s %s：%s", mark, it.Label, it.Text)
	}
}
