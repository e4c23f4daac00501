// Package app wires the engine, its feature modules and a platform together: the one
// place that knows every module, used by the CLI (run, sim) and end-to-end tests.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"qunbot/bot"
	"qunbot/bot/activity"
	"qunbot/bot/config"
	"qunbot/bot/engage"
	"qunbot/bot/moderate"
	"qunbot/bot/schedule"
	"qunbot/bot/sim"
	"qunbot/bot/welcome"
	"qunbot/storage"
)

// Modules builds the feature modules in the order they see a message.
func Modules(cfg *config.Config) ([]bot.Module, error) { return modules(cfg, nil) }

// modules builds them with a source of lottery seeds (nil: the system's randomness).
func modules(cfg *config.Config, seeds io.Reader) ([]bot.Module, error) {
	mods := []bot.Module{
		// Order matters: moderation screens a message before commands and engagement see it.
		// Welcome arms its batch on a join before screening arms its prompt for the same
		// instant, so the greeting comes first.
		welcome.New(),
		moderate.New(),
		engage.New(),
		activity.New(seeds),
		schedule.New(),
	}
	return mods, nil
}

// simSeeds makes the simulator's lottery seeds a fixed sequence: a script draws the same
// winners every time it runs (goldens, demos). A real run draws seeds from crypto/rand.
func simSeeds() io.Reader { return rand.NewChaCha8([32]byte{'q', 'u', 'n', 'b', 'o', 't'}) }

// SimOptions configure a simulator session.
type SimOptions struct {
	Config    *config.Config
	DBPath    string // ":memory:" unless the user wants to keep state
	JSON      bool
	CanRemove bool
	CanMute   bool      // a platform that can mute and recall (QQ where the bot is a group admin)
	Out       io.Writer // bot actions
	Logger    *slog.Logger
	Loader    bot.Loader // reloads the config file (重载配置); nil with the embedded config
}

// Sim is a simulator session: the runner to feed, and what it runs on.
type Sim struct {
	Runner *sim.Runner
	Engine *bot.Engine
	Store  *storage.Store
}

// Close closes the session's database.
func (s *Sim) Close() error { return s.Store.Close() }

// NewSim opens the store and builds an engine on a simulated platform. clock is a
// ManualClock for scripts or an OffsetClock for interactive use. idPrefix keeps message
// ids apart between sources (see sim.NewRunner).
func NewSim(ctx context.Context, o SimOptions, clock interface {
	bot.Clock
	Set(time.Time)
}, idPrefix string) (*Sim, error) {
	st, err := storage.Open(ctx, o.DBPath)
	if err != nil {
		return nil, err
	}
	loc := o.Config.Location
	out := sim.NewPrinter(o.Out, o.JSON, loc)
	out.SetLabels(moderate.RuleLabel, engage.ReasonLabel)
	p := sim.NewPlatform(bot.Capabilities{CanRemove: o.CanRemove, CanMute: o.CanMute, CanRecall: o.CanMute}, out, clock)
	var known []string
	if err := st.View(ctx, func(tx *storage.Tx) error {
		groups, err := tx.Groups()
		for _, g := range groups {
			known = append(known, g.Name)
			// Who the database says is in the group is on the live member list, as on a
			// real platform after a restart: a same-name newcomer is then not the only one.
			ms, err := tx.GroupMembers(g.Key)
			if err != nil {
				return err
			}
			ids := make([]string, 0, len(ms))
			for _, m := range ms {
				ids = append(ids, m.PlatformID)
			}
			p.KnowMembers(g.Name, ids)
		}
		return err
	}); err != nil {
		st.Close()
		return nil, fmt.Errorf("list the groups of %s: %w", o.DBPath, err)
	}
	p.KnowGroups(known)
	mods, err := modules(o.Config, simSeeds())
	if err != nil {
		st.Close()
		return nil, err
	}
	e, err := bot.New(bot.Options{Config: o.Config, Store: st, Platform: p, Clock: clock, Logger: o.Logger,
		Observer: out, Modules: mods, Pacing: &bot.Pacing{}, Loader: o.Loader})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("build engine: %w", err)
	}
	return &Sim{Runner: sim.NewRunner(e, p, out, clock, loc, o.Config.Owner.Name, idPrefix), Engine: e, Store: st}, nil
}
