// Package bot is qunbot's engine: platform events in, actions out. It owns the event loop,
// dedupe, member identity, the command dispatcher, timers and the outbox, and calls the
// feature modules (moderation, engagement, schedules) at fixed points of a message's trip.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"qunbot/bot/config"
	"qunbot/storage"
)

// Outcome is a state change worth reporting outside the engine: the simulator prints each
// one as a JSON line ("penalty", "points", …). Sends are reported by the platform itself.
type Outcome struct {
	Time   time.Time
	Kind   string
	Group  string         // group name
	Member string         // the member's adapter id (the script name in the simulator)
	Fields map[string]any // kind-specific fields, e.g. level/rule/strikes for "penalty"
}

// Observer receives outcomes after the transaction that caused them has committed.
type Observer interface {
	Outcome(Outcome)
}

// Module is a feature plugged into the engine. It implements any of the hook interfaces
// below; the engine calls them in the order modules were given.
type Module interface {
	Name() string
}

// Starter modules set up timers and state when the engine starts and on config reload.
type Starter interface {
	Start(ctx context.Context, e *Engine) error
}

// Screener runs on every group message before commands: moderation. It may mark the turn
// Caught, Muted or Duplicate.
type Screener interface {
	Screen(t *Turn) error
}

// MessageHook runs on every group message after commands: engagement, auto-replies.
type MessageHook interface {
	OnMessage(t *Turn) error
}

// Stopper modules flush work that a graceful stop should not lose (a welcome batch is
// sent early rather than never). Called on the engine loop, before the last delivery.
type Stopper interface {
	Stop(ctx context.Context, e *Engine)
}

// JoinHook runs once per join event with the members that joined.
type JoinHook interface {
	OnJoin(t *Turn, joined []storage.Member) error
}

// LeaveHook runs once per leave event with the members that actually left now.
type LeaveHook interface {
	OnLeave(t *Turn, left []storage.Member) error
}

// CommandSource contributes chat commands.
type CommandSource interface {
	Commands() []*Command
}

// Options are the engine's dependencies.
type Options struct {
	Config   *config.Config
	Store    *storage.Store
	Platform Platform
	Clock    Clock
	Logger   *slog.Logger
	Observer Observer // may be nil
	Modules  []Module
	// Pacing overrides the config's outbox pacing (the simulator delivers at once).
	Pacing *Pacing
	// Loader reloads the configuration (hot reload, 重载配置); nil: not reloadable.
	Loader Loader
}

// Engine processes events for one platform. Handle, Advance and Stop must be called from
// one goroutine (Run does that); Config may be swapped from anywhere.
type Engine struct {
	cfg      atomic.Pointer[config.Config] // the config in force, with group aliases (see SetConfig)
	cfgMu    sync.Mutex                    // guards base and stable
	base     *config.Config                // the config as loaded
	stable   map[string]stableName         // groups with stable ids: platform id → names (see storeConfig)
	store    *storage.Store
	platform Platform
	caps     Capabilities
	clock    Clock
	log      *slog.Logger
	observer Observer
	modules  []Module
	commands *commandSet
	outbox   *Outbox
	timers   timers

	groups    map[int64]*groupState // by group key
	groupKeys map[string]int64      // by group name
	groupIDs  map[string]int64      // by stable platform id (Capabilities.StableIDs)
	idCache   map[memberRef]int64   // (group key, session id) → member key
	roles     map[int64]string      // member key → platform role ("" ordinary), as stored
	recent    *recentIDs            // first-level dedupe before touching the DB
	ident     identityState         // identities not granted on a guess (relink.go)
	started   bool

	session     string // the platform session of the last event (see Event.Session)
	loader      Loader
	status      statusBox
	pacingFixed bool                       // Options.Pacing given: config reloads keep it
	tasks       chan func(context.Context) // work from other goroutines, run by Run
	live        atomic.Bool                // Run serves tasks (see Live)
	messages    atomic.Int64               // group messages handled (committed) since New
}

type memberRef struct {
	group int64
	id    string
}

type groupState struct {
	key  int64
	name string
	id   string // session id on the platform (stable with Capabilities.StableIDs)
	// platformName is the name the platform last gave a group with a stable id; the stored
	// name differs when another group has the same one (see storage.EnsureGroupByPlatformID).
	platformName string
	// count is the platform's member count when the adapter reports one.
	count int
}

// New builds an engine. It does not start anything; call Start (or Run).
func New(o Options) (*Engine, error) {
	if o.Config == nil || o.Store == nil || o.Platform == nil {
		return nil, errors.New("bot.New: config, store and platform are required")
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	e := &Engine{
		store:     o.Store,
		platform:  o.Platform,
		caps:      o.Platform.Capabilities(),
		clock:     o.Clock,
		log:       o.Logger,
		observer:  o.Observer,
		modules:   o.Modules,
		groups:    map[int64]*groupState{},
		groupKeys: map[string]int64{},
		groupIDs:  map[string]int64{},
		idCache:   map[memberRef]int64{},
		roles:     map[int64]string{},
		stable:    map[string]stableName{},
		recent:    newRecentIDs(4096),
		tasks:     make(chan func(context.Context), 64),
	}
	e.SetConfig(o.Config)
	e.loader = o.Loader
	e.status.set(func(s *ConfigStatus) { s.Source, s.Loaded = o.Config.Source, o.Clock.Now() })
	pacing := PacingFromConfig(o.Config.Outbox)
	if o.Pacing != nil {
		pacing, e.pacingFixed = *o.Pacing, true
	}
	e.outbox = newOutbox(e, pacing)
	cmds, err := newCommandSet(append(append(e.coreCommands(), e.identityCommands()...), e.removalCommands()...), o.Modules)
	if err != nil {
		return nil, err
	}
	e.commands = cmds
	if problems := cmds.checkWords(o.Config); len(problems) > 0 {
		return nil, fmt.Errorf("配置里的命令词有 %d 处错误 / bad command words:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	return e, nil
}

// Messages is how many group messages the engine has handled since it was built (bot
// run's goodbye line). Safe from any goroutine.
func (e *Engine) Messages() int64 { return e.messages.Load() }

// Config is the configuration in force.
func (e *Engine) Config() *config.Config { return e.cfg.Load() }

// SetConfig swaps the configuration; modules re-plan on the next Start-like call. Groups
// the file names by their platform id (a QQ group number) are found by their stored names
// too in the config in force (config.WithGroupAliases).
func (e *Engine) SetConfig(c *config.Config) {
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	e.base = c
	e.storeConfig()
}

// stableName is how a group with a stable platform id is stored, and what the platform
// calls it (they differ when two groups share a name).
type stableName struct{ stored, platform string }

// storeConfig puts the config in force: the loaded one, with an alias for every group with
// a stable id whose entry under groups: is not its stored name — the entry names it by its
// number, or by the platform's name where the stored one has the number added. Anything
// that looks a group's settings up by its stored name then finds its entry.
func (e *Engine) storeConfig() {
	aliases := map[string]string{}
	for id, n := range e.stable {
		if _, ok := e.base.Groups[id]; ok {
			if n.stored != id {
				aliases[n.stored] = id
			}
			continue
		}
		if n.platform != n.stored {
			if _, ok := e.base.Groups[n.platform]; ok {
				aliases[n.stored] = n.platform
			}
		}
	}
	if len(aliases) == 0 {
		e.cfg.Store(e.base)
		return
	}
	e.cfg.Store(e.base.WithGroupAliases(aliases))
}

// noteStableGroup records a stable group's names, for the aliases of the config in force.
func (e *Engine) noteStableGroup(id, stored, platform string) {
	if platform == "" {
		platform = stored
	}
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	n := stableName{stored, platform}
	if e.stable[id] == n {
		return
	}
	e.stable[id] = n
	e.storeConfig()
}

// Store is the engine's database.
func (e *Engine) Store() *storage.Store { return e.store }

// Capabilities are the platform's at best (what it can do where it may).
func (e *Engine) Capabilities() Capabilities { return e.caps }

// CapabilitiesIn is what the platform can do in one group now: a QQ bot can mute, remove
// and recall only where it is a group admin. Asked when a step is decided.
func (e *Engine) CapabilitiesIn(groupKey int64) Capabilities {
	gc, ok := e.platform.(GroupCapabilities)
	if !ok {
		return e.caps
	}
	c := e.caps
	id := e.outbox.groupID(groupKey)
	if id == "" {
		// A group the platform has not named in this run cannot be acted in.
		c.CanRemove, c.CanMute, c.CanRecall = false, false, false
		return c
	}
	g := gc.GroupCapabilities(id)
	c.CanRemove = c.CanRemove && g.CanRemove
	c.CanMute = c.CanMute && g.CanMute
	c.CanRecall = c.CanRecall && g.CanRecall
	c.CanDMNonFriends = c.CanDMNonFriends && g.CanDMNonFriends
	return c
}

// Logger is the engine's logger.
func (e *Engine) Logger() *slog.Logger { return e.log }

// Now is the engine clock's time.
func (e *Engine) Now() time.Time { return e.clock.Now() }

// Location is the configured timezone.
func (e *Engine) Location() *time.Location {
	if loc := e.Config().Location; loc != nil {
		return loc
	}
	return time.Local
}

// Outbox gives access to delivery (the real loop runs it on its own goroutine).
func (e *Engine) Outbox() *Outbox { return e.outbox }

// Start restores timers from the database and lets modules plan their work.
func (e *Engine) Start(ctx context.Context) error {
	if e.started {
		return nil
	}
	e.started = true
	// Groups' platform ids first: the config's aliases for groups named by number come
	// from them, and everything after reads settings by group name.
	if err := e.loadPlatformIDs(ctx); err != nil {
		return fmt.Errorf("load platform ids of groups: %w", err)
	}
	// The config in force took effect now, by the engine's clock (the simulator's clock is
	// set by then; New may run before it is).
	now := e.clock.Now()
	e.status.set(func(s *ConfigStatus) {
		if s.LastAttempt.IsZero() {
			s.Loaded = now
		}
	})
	if err := e.loadKnownGroups(ctx); err != nil {
		return err
	}
	if err := e.startRetention(ctx); err != nil {
		return fmt.Errorf("start retention job: %w", err)
	}
	for _, m := range e.modules {
		if s, ok := m.(Starter); ok {
			if err := e.safely(ctx, "start "+m.Name(), func() error { return s.Start(ctx, e) }); err != nil {
				return fmt.Errorf("start %s: %w", m.Name(), err)
			}
		}
	}
	return nil
}

// Schedule arranges for fn to run on the engine loop at `at`. A timer with the same key
// replaces the earlier one. Used by modules for cron jobs and deadlines; label says what it
// is for on the dashboard and in 状态.
func (e *Engine) Schedule(key string, label JobLabel, at time.Time, fn func(ctx context.Context, now time.Time)) {
	e.timers.schedule(&timer{key: key, label: e.checkLabel(key, label), at: at, run: fn})
}

// Cancel drops a scheduled timer.
func (e *Engine) Cancel(key string) { e.timers.cancel(key) }

// NextDue is when the earliest timer is due (zero if none).
func (e *Engine) NextDue() time.Time { return e.timers.next() }

// RunDue fires every timer due at or before now, in time order.
func (e *Engine) RunDue(ctx context.Context, now time.Time) {
	for {
		t := e.timers.popDue(now)
		if t == nil {
			return
		}
		e.fire(ctx, t, now)
	}
}

// AdvanceTo moves a manual clock forward to target, firing each due timer at its own time
// so that everything it sends is stamped when it was due. set moves the clock.
func (e *Engine) AdvanceTo(ctx context.Context, target time.Time, set func(time.Time)) {
	for {
		t := e.timers.popDue(target)
		if t == nil {
			break
		}
		if t.at.After(e.clock.Now()) {
			set(t.at)
		}
		e.fire(ctx, t, e.clock.Now())
	}
	set(target)
	e.outbox.DeliverDue(ctx)
}

func (e *Engine) fire(ctx context.Context, t *timer, now time.Time) {
	_ = e.safely(ctx, "timer "+t.key, func() error { t.run(ctx, now); return nil })
	e.outbox.DeliverDue(ctx)
}

// Stop lets modules flush work that should not be lost on a graceful stop (Stopper) and
// delivers what the platform lets it.
func (e *Engine) Stop(ctx context.Context) {
	for _, m := range e.modules {
		if s, ok := m.(Stopper); ok {
			_ = e.safely(ctx, "stop "+m.Name(), func() error { s.Stop(ctx, e); return nil })
		}
	}
	e.outbox.DeliverDue(ctx)
}

// safely runs fn, turning a panic into a logged error: one bad message or module must
// never take the bot down.
func (e *Engine) safely(ctx context.Context, what string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			e.log.ErrorContext(ctx, "recovered from panic", "in", what, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("%s: panic: %v", what, p)
		}
	}()
	return fn()
}

// Handle processes one event completely: state changes commit in one transaction, then
// outcomes are reported and queued messages delivered.
func (e *Engine) Handle(ctx context.Context, ev Event) {
	e.HandleBatch(ctx, []Event{ev})
}

// MaxBatch bounds how many events share one transaction. Only a backlog fills a batch (an
// idle bot handles each event alone, at once); then the commit — every page the batch
// changed, appended to the log — is shared by more messages the larger the batch, since
// members of one group share pages. 1,024 was ~2× the throughput of 64 under the load
// benchmark, and 2,048 is 7–10% more than 1,024 with 22% fewer bytes written, for a batch
// of ~0.1–0.2 s; 4,096 gained nothing more (docs/PERFORMANCE.md ## load). A member whose
// message arrives in a flood hears back a fraction of a second after the flood's messages
// ahead of it, which it waits for either way.
const MaxBatch = 2048

// HandleBatch processes events in order in one transaction, each inside its own savepoint:
// a failing (or panicking) event is rolled back alone and logged, the others commit. After
// the commit each event's outcomes are reported and its messages delivered, in event
// order, exactly as if they had been handled one by one.
func (e *Engine) HandleBatch(ctx context.Context, evs []Event) {
	type result struct {
		outcomes []Outcome
		lastOut  int64
		after    []func(context.Context)
	}
	results := make([]result, len(evs))
	failed := false
	var handled int64
	err := e.store.Update(ctx, func(tx *storage.Tx) error {
		for i := range evs {
			ev := &evs[i]
			if ev.Time.IsZero() {
				ev.Time = e.clock.Now()
			}
			if ev.ID != "" && e.recent.seen(ev.Group.Name, ev.ID) {
				continue
			}
			err := e.safely(ctx, "handle "+ev.Type.String(), func() error {
				return tx.Savepoint(func() error {
					t, err := e.newTurn(tx, ev)
					if err != nil || t == nil {
						return err
					}
					if err := e.dispatch(t); err != nil {
						return err
					}
					if ev.Type == EventMessage && !ev.Console {
						handled++
					}
					results[i] = result{outcomes: t.outcomes, lastOut: t.lastOut, after: t.after}
					return nil
				})
			})
			if err != nil {
				e.log.ErrorContext(ctx, "event not processed", "type", ev.Type.String(), "group", ev.Group.Name, "id", ev.ID, "err", err)
				results[i] = result{}
				failed = true
			}
		}
		return nil
	})
	if err != nil {
		e.log.ErrorContext(ctx, "events not processed: commit failed", "events", len(evs), "err", err)
		e.resetCaches()
		return
	}
	e.messages.Add(handled)
	if failed {
		// Rolled-back savepoints may have created rows the caches still point at.
		e.resetCaches()
	}
	for i, ev := range evs {
		if ev.ID != "" {
			e.recent.add(ev.Group.Name, ev.ID)
		}
		e.report(results[i].outcomes)
		if results[i].lastOut > 0 {
			// Deliver only up to this event's messages: later events' replies must not
			// overtake this event's outcomes.
			e.outbox.Queued()
			e.outbox.deliverUpTo(ctx, results[i].lastOut)
		}
		for _, fn := range results[i].after {
			_ = e.safely(ctx, "after "+ev.Type.String(), func() error { fn(ctx); return nil })
		}
	}
}

func (e *Engine) report(outcomes []Outcome) {
	if e.observer == nil {
		return
	}
	for _, o := range outcomes {
		e.observer.Outcome(o)
	}
}

// Update runs fn as a unit of work outside any event (timers, module jobs), with the
// same guarantees: one transaction, outcomes reported after commit.
func (e *Engine) Update(ctx context.Context, fn func(t *Turn) error) error {
	var outcomes []Outcome
	var queued bool
	err := e.store.Update(ctx, func(tx *storage.Tx) error {
		t := &Turn{e: e, Tx: tx, Now: e.clock.Now(), Ctx: ctx}
		if err := fn(t); err != nil {
			return err
		}
		outcomes = t.outcomes
		queued = t.lastOut > 0
		return nil
	})
	if err != nil {
		return err
	}
	e.report(outcomes)
	if queued {
		e.outbox.Queued()
	}
	return nil
}

// newTurn prepares the unit of work: group, dedupe in the DB, sender identity.
// It returns nil when the event must be ignored.
func (e *Engine) newTurn(tx *storage.Tx, ev *Event) (*Turn, error) {
	t := &Turn{e: e, Tx: tx, Now: ev.Time, Event: ev, Ctx: context.Background()}
	if ev.Session != e.session {
		// A new login: yesterday's ids may now belong to someone else.
		e.idCache = map[memberRef]int64{}
		e.ident.newSession()
		e.session = ev.Session
	}
	if ev.Type == EventRename {
		return e.renameTurn(tx, ev) // rename.go: handled even where the config no longer matches
	}
	if ev.Console {
		if !ev.FromOwner {
			return nil, nil // only the owner's own messages reach the console
		}
		t.Owner = true
		if ev.ID != "" {
			// Console commands change state and answer too: a replayed one is a no-op like
			// any replayed message (group key 0 is the console's namespace).
			fresh, err := tx.MarkProcessed(0, ev.ID, ev.Time)
			if err != nil || !fresh {
				return nil, err
			}
		}
		return t, nil
	}
	stable := e.caps.StableIDs && ev.Group.ID != ""
	var cfg *config.Group
	var managed bool
	if stable {
		cfg, managed, _ = e.Config().ForGroupID(ev.Group.ID, ev.Group.Name)
	} else {
		cfg, managed = e.Config().ForGroup(ev.Group.Name)
	}
	if !managed {
		return nil, nil
	}
	g, err := e.group(tx, ev.Group, ev.Time)
	if err != nil {
		return nil, err
	}
	t.Group = GroupCtx{Key: g.key, Name: g.name, Config: cfg}
	if ev.ID != "" {
		fresh, err := tx.MarkProcessed(g.key, ev.ID, ev.Time)
		if err != nil {
			return nil, err
		}
		if !fresh {
			return nil, nil
		}
	}
	if ev.Type == EventMessage {
		var m storage.Member
		var ambiguous bool
		var err error
		if ev.FromOwner && !stable {
			// The bot's own account: its row is found by role, never by name.
			m, err = e.resolveOwner(tx, g, ev.Sender, ev.Time)
		} else {
			m, ambiguous, err = e.resolveMember(tx, g, ev.Sender, ev.Time)
		}
		if err != nil {
			return nil, err
		}
		t.Member, t.Ambiguous = m, ambiguous
		t.Shadow = ambiguous && e.ident.shadowed(memberRef{g.key, ev.Sender.ID})
		t.Owner = ev.FromOwner
		// An identity that is a guess grants no rights, whatever row the guess fell on.
		t.Admin = m.Role == storage.RoleAdmin && !ambiguous
		if ambiguous {
			if err := e.askRelink(t); err != nil {
				return nil, err
			}
		}
		if e.caps.StableIDs {
			// The platform's roles make admins too (QQ's group owner and admins); never
			// a name or a group card.
			role := ev.Sender.Role
			if role != "" {
				if err := e.notePlatformRole(tx, m.Key, role); err != nil {
					return nil, err
				}
			} else if role, err = e.platformRole(tx, m.Key); err != nil {
				return nil, err
			}
			t.Admin = t.Admin || platformAdmin(role) || e.Config().ListedAdmin(cfg, m.PlatformID)
		}
		if ev.FromOwner && m.Role != RoleOwner {
			if err := tx.SetRole(m.Key, RoleOwner); err != nil {
				return nil, err
			}
			t.Member.Role = RoleOwner
		}
	}
	return t, nil
}

// RoleOwner marks the member row of the bot's own account; it is exempt from everything.
const RoleOwner = "owner"

func (e *Engine) dispatch(t *Turn) error {
	ev := t.Event
	switch ev.Type {
	case EventMessage:
		if ev.Console {
			_, err := e.commands.dispatch(t, true)
			return err
		}
		return e.onMessage(t)
	case EventJoin:
		return e.onJoin(t)
	case EventLeave:
		return e.onLeave(t)
	case EventRename:
		return e.onRename(t) // rename.go
	case EventMute:
		return e.onPlatformMute(t)
	case EventRole:
		return e.onPlatformRole(t)
	case EventAbilities:
		return e.onAbilities(t)
	}
	return fmt.Errorf("unknown event type %v", ev.Type)
}

func (e *Engine) onMessage(t *Turn) error {
	if err := t.Tx.SetLastSpoke(t.Member.Key, t.Now); err != nil {
		return err
	}
	t.Member.LastSpoke = t.Now
	if t.Member.JoinedAt.IsZero() && !t.Member.InGroup() {
		// Someone we thought had left is talking: they are back.
		if err := t.Tx.MarkJoined(t.Member.Key, t.Now, true); err != nil {
			return err
		}
	}
	for _, m := range e.modules {
		if s, ok := m.(Screener); ok {
			if err := s.Screen(t); err != nil {
				return fmt.Errorf("%s: %w", m.Name(), err)
			}
		}
	}
	if !t.Caught {
		handled, err := e.commands.dispatch(t, false)
		if err != nil {
			return err
		}
		t.Handled = handled
	}
	for _, m := range e.modules {
		if h, ok := m.(MessageHook); ok {
			if err := h.OnMessage(t); err != nil {
				return fmt.Errorf("%s: %w", m.Name(), err)
			}
		}
	}
	if t.Handled || t.Owner || t.Member.Role == RoleOwner {
		// Activity counts people talking to each other: a command is talking to the bot,
		// and the owner's account is the bot's own (its lines would make a quiet day look
		// busy and put the owner in every 日活).
		return nil
	}
	return t.Tx.CountMessage(t.Group.Key, t.Member.Key, t.Day(), t.Valid())
}

func (e *Engine) onJoin(t *Turn) error {
	var joined []storage.Member
	for _, info := range t.Event.Members {
		m, _, err := e.resolveMember(t.Tx, e.groups[t.Group.Key], info, t.Now)
		if err != nil {
			return err
		}
		// Not yet welcomed: the welcome module (a JoinHook) greets or waves the joiner through.
		if err := t.Tx.MarkJoined(m.Key, t.Now, false); err != nil {
			return err
		}
		m.JoinedAt, m.LeftAt, m.Welcomed = t.Now, time.Time{}, false
		if err := t.Audit("join", m.Key, map[string]any{"name": m.Name(), "inviter": t.Event.Inviter}); err != nil {
			return err
		}
		joined = append(joined, m)
	}
	if len(joined) == 0 {
		return nil
	}
	for _, mod := range e.modules {
		if h, ok := mod.(JoinHook); ok {
			if err := h.OnJoin(t, joined); err != nil {
				return fmt.Errorf("%s: %w", mod.Name(), err)
			}
		}
	}
	return nil
}

func (e *Engine) onLeave(t *Turn) error {
	var left []storage.Member
	for _, info := range t.Event.Members {
		m, _, err := e.resolveMember(t.Tx, e.groups[t.Group.Key], info, t.Now)
		if err != nil {
			return err
		}
		changed, err := t.Tx.MarkLeft(m.Key, t.Now)
		if err != nil {
			return err
		}
		if !changed {
			continue // a late or repeated leave: already recorded
		}
		m.LeftAt = t.Now
		detail := map[string]any{"name": m.Name()}
		if t.Event.Kicked {
			detail["kicked"], detail["operator"] = true, t.Event.Operator
		}
		if err := t.Audit("leave", m.Key, detail); err != nil {
			return err
		}
		// A pending removal request is done once the member is gone, however they went.
		closed, err := t.Tx.CloseRemovals(m.Key, storage.RemovalDone, t.Now)
		if err != nil {
			return err
		}
		if closed > 0 {
			if err := t.Audit("remove_done", m.Key, map[string]any{"name": m.Name()}); err != nil {
				return err
			}
		}
		left = append(left, m)
	}
	for _, mod := range e.modules {
		if h, ok := mod.(LeaveHook); ok && len(left) > 0 {
			if err := h.OnLeave(t, left); err != nil {
				return fmt.Errorf("%s: %w", mod.Name(), err)
			}
		}
	}
	return nil
}

// group finds or creates our record of a group and remembers its session id.
func (e *Engine) group(tx *storage.Tx, info GroupInfo, now time.Time) (*groupState, error) {
	if e.caps.StableIDs && info.ID != "" {
		return e.stableGroup(tx, info, now)
	}
	if key, ok := e.groupKeys[info.Name]; ok {
		g := e.groups[key]
		if info.ID != "" && g.id != info.ID {
			g.id = info.ID
			e.outbox.SetGroupID(key, info.ID)
		}
		if info.MemberCount > 0 {
			g.count = info.MemberCount
		}
		return g, nil
	}
	rec, err := tx.EnsureGroup(info.Name, now)
	if err != nil {
		return nil, err
	}
	g := &groupState{key: rec.Key, name: rec.Name, id: info.ID, count: info.MemberCount}
	if info.ID != "" {
		e.outbox.SetGroupID(g.key, info.ID)
	}
	e.groups[g.key] = g
	e.groupKeys[g.name] = g.key
	return g, nil
}

// stableGroup is group for a platform whose group ids are stable: the id decides, and a
// group renamed on the platform keeps its key (so its members, strikes and points); only
// its stored name changes.
func (e *Engine) stableGroup(tx *storage.Tx, info GroupInfo, now time.Time) (*groupState, error) {
	if key, ok := e.groupIDs[info.ID]; ok {
		if g := e.groups[key]; g != nil && (info.Name == "" || info.Name == g.platformName) {
			if info.MemberCount > 0 {
				g.count = info.MemberCount
			}
			return g, nil
		}
	}
	rec, renamed, err := tx.EnsureGroupByPlatformID(info.ID, info.Name, now)
	if err != nil {
		return nil, err
	}
	g := e.groups[rec.Key]
	if g == nil {
		g = &groupState{key: rec.Key, name: rec.Name}
		e.groups[rec.Key] = g
	}
	if g.name != rec.Name {
		delete(e.groupKeys, g.name)
		g.name = rec.Name
	}
	if renamed {
		e.log.Info("group renamed on the platform: history kept", "group", rec.Name, "id", info.ID)
		if _, err := tx.Audit(storage.AuditEntry{Time: now, GroupKey: rec.Key, Action: "group_renamed",
			Detail: map[string]any{"name": rec.Name, "id": info.ID}}); err != nil {
			return nil, err
		}
	}
	e.groupKeys[g.name] = g.key
	g.platformName = info.Name
	if info.MemberCount > 0 {
		g.count = info.MemberCount
	}
	if g.id != info.ID {
		g.id = info.ID
		e.outbox.SetGroupID(g.key, info.ID)
	}
	e.groupIDs[info.ID] = g.key
	e.noteStableGroup(info.ID, g.name, info.Name)
	return g, nil
}

// GroupKey returns our key for a group name known to this engine.
func (e *Engine) GroupKey(name string) (int64, bool) {
	k, ok := e.groupKeys[name]
	return k, ok
}

// GroupName returns a known group's name.
func (e *Engine) GroupName(key int64) string {
	if g, ok := e.groups[key]; ok {
		return g.name
	}
	return ""
}

// GroupKeys lists the groups seen in this run.
func (e *Engine) GroupKeys() []int64 {
	out := make([]int64, 0, len(e.groups))
	for k := range e.groups {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
