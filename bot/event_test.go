package bot

import (
	"slices"
	"testing"

	"qunbot/bot/config"
)

// The kinds a config may deny are the engine's kinds, in the same order, except system
// notices (a platform's own lines, never a member's choice). A kind added to one list and
// not the other would be a kind the adapters report and the config rejects, or the reverse.
func TestMessageKindsMatchConfig(t *testing.T) {
	var engine []string
	for _, k := range MessageKinds {
		if k != KindSystem {
			engine = append(engine, string(k))
		}
	}
	if cfg := config.MessageKinds(); !slices.Equal(engine, cfg) {
		t.Errorf("bot.MessageKinds (without system) %v, config's kinds %v", engine, cfg)
	}
}
