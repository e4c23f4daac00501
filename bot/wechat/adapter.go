package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eatmoreapple/openwechat"

	"qunbot/bot"
)

// Options configures the adapter. Only HotLoginFile matters in production; the rest has
// sensible defaults, and the injectables exist so tests run without WeChat, network or
// real time.
type Options struct {
	// HotLoginFile keeps the login session between runs and re-logins so that a restart
	// needs no QR scan. It holds session cookies: it is written with mode 0600 and its
	// directory is created (0700). Default "wechat-session.json" (DefaultHotLoginFile).
	HotLoginFile string
	// QRWriter is the terminal: it receives the login QR code, drawn with block characters,
	// and whatever the owner must read even while WeChat is down (the circuit breaker's
	// notice). Default os.Stdout.
	QRWriter io.Writer
	// DeviceIDFile keeps the device id WeChat sees for this installation, so that every
	// login comes from the same "device" (see deviceid.go). Default: HotLoginFile + ".device".
	DeviceIDFile string
	// Location is the timezone of times in the owner's notices. Default time.Local.
	Location *time.Location
	// Logger receives structured logs. Default slog.Default().
	Logger *slog.Logger
	// Notify tells the owner, in Chinese, through the console (the file helper): a re-login
	// and why the session before it ended, configured groups that cannot be found, the
	// circuit breaker stopping logins. It is only called with something the owner can act
	// on and never for what happens while logged out, as it happens (the console is a chat
	// of the same account, unreachable then); that is summed up, dated, once the next
	// session has proven stable (see supervisor.go). It must not block for long. Nil:
	// messages are only logged.
	Notify func(msg string)
	// Status receives every change of the login state (status.go), for the person at the
	// terminal: bot run prints Status.Line, one short Chinese line per state. Called from
	// the supervisor goroutine; must not block. Nil: none.
	Status func(Status)
	// Groups are the configured group names. When set, only these groups are polled for
	// leaves, and every login checks that they can be found (see CheckGroups), telling the
	// operator about any that cannot. Empty: every group the session knows is polled.
	Groups []string

	// Transport replaces the HTTP transport of every openwechat client (tests use a fake
	// WeChat here). Nil: the real network.
	Transport http.RoundTripper
	// Now is the clock. Nil: time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx is done (then it returns ctx.Err()). Every wait in
	// the adapter — back-off, watchdog, member polling — goes through it. Nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand draws back-off jitter. Nil: the goroutine-safe global source.
	Rand *rand.Rand

	tune tuning
}

// tuning holds the adapter's timings; tests in this package shorten or disable them.
type tuning struct {
	watchdogSilence time.Duration // restart a session with no healthy sync check this long; <0: no watchdog
	memberRefresh   time.Duration // re-read a watched group's members at most this often; <0: no polling
	joinRefresh     time.Duration // minimum gap between refreshes of one group for joins/unknown senders
	stableSession   time.Duration // a session that lived this long resets the login back-off
	// shortSession: a session that ends sooner than this counts towards the circuit breaker,
	// and notes about it wait until a session lives this long.
	shortSession    time.Duration
	breakerSessions int           // this many short sessions in a row stop logging in
	sendWait        time.Duration // a send waits this long for a login in progress
	echoWindow      time.Duration // an echo is recognised by its text this close to the send

	// syncBackoff paces the message loop after a failed sync check. The library itself
	// retries at once, forever (measured: ~58,000 requests in 200 ms with the network down).
	syncBackoff backoff
	// loginBackoff paces whole login attempts. A push login buzzes the owner's phone and a
	// QR code needs a human, so the cap is long.
	loginBackoff backoff
	// spinBackoff slows a loop that WeChat answers instantly without any message.
	spinBackoff backoff
}

func defaultTuning() tuning {
	return tuning{
		watchdogSilence: 2 * time.Minute,
		memberRefresh:   5 * time.Minute,
		joinRefresh:     10 * time.Second,
		stableSession:   10 * time.Minute,
		shortSession:    time.Minute,
		breakerSessions: 3,
		sendWait:        2 * time.Minute,
		echoWindow:      15 * time.Second,
		syncBackoff:     backoff{base: time.Second, max: time.Minute},
		loginBackoff:    backoff{base: 2 * time.Second, max: 10 * time.Minute},
		spinBackoff:     backoff{base: 500 * time.Millisecond, max: 30 * time.Second},
	}
}

// DefaultHotLoginFile is used when Options.HotLoginFile is empty.
const DefaultHotLoginFile = "wechat-session.json"

// MissingGroupReason is why a configured group is not found: WeChat's web protocol
// lists only groups saved to contacts.
const MissingGroupReason = "群未保存到通讯录（在手机微信打开该群 → 右上角「…」→ 打开「保存到通讯录」，然后重启机器人）"

// DuplicateGroupReason is why a configured group name cannot be used: groups are keyed by
// name, and two groups share it.
const DuplicateGroupReason = "有多个同名的群，无法区分（请给其中一个改名后重启机器人）"

// keepSessions is how many earlier logins' ids are still translated to the current ones.
const keepSessions = 3

// Adapter is the WeChat platform (bot.Platform) plus the login supervisor (Run).
type Adapter struct {
	opts  Options
	tune  tuning
	log   *slog.Logger
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	loc   *time.Location

	randMu sync.Mutex // *rand.Rand is not safe for concurrent use

	hotGate  *hotGate // set by Run; closed when it returns
	deviceID string   // set by Run from Options.DeviceIDFile

	seen   *idSet
	echoes *echoLog
	ids    *idBook
	forms  *noticeForms
	groups map[string]bool

	mu       sync.Mutex
	cur      *session      // the live session, nil while logging in
	changed  chan struct{} // closed and replaced whenever cur or the breaker changes
	runDone  chan struct{} // closed when Run returns (waiting sends give up)
	seq      int
	loggedIn bool // some session has been ready before: the next one is a re-login

	// The circuit breaker and what the owner is told about logins (supervisor.go).
	shortRun  int                         // sessions in a row shorter than shortSession
	paused    *pause                      // non-nil while logging in is stopped
	resume    chan struct{}               // Relogin wakes the paused supervisor
	pending   pendingNotes                // what happened while the console was unreachable
	snapshots map[string][]bot.MemberInfo // the last session's member lists, by group name
	termMu    sync.Mutex                  // one writer on the terminal at a time

	// The login state for the terminal and 状态 (status.go).
	lastStatus   Status
	statusSeen   bool      // lastStatus is set
	offlineSince time.Time // the first failure of the current offline stretch

	running     atomic.Bool
	botsCreated atomic.Int64
}

var _ bot.Platform = (*Adapter)(nil)

// New builds an adapter. Nothing happens until Run.
func New(opts Options) *Adapter {
	if opts.HotLoginFile == "" {
		opts.HotLoginFile = DefaultHotLoginFile
	}
	if opts.DeviceIDFile == "" {
		opts.DeviceIDFile = opts.HotLoginFile + ".device"
	}
	if opts.QRWriter == nil {
		opts.QRWriter = os.Stdout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepTimer
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	tune := defaultTuning()
	if opts.tune != (tuning{}) {
		tune = opts.tune
	}
	groups := make(map[string]bool, len(opts.Groups))
	for _, g := range opts.Groups {
		groups[strings.TrimSpace(g)] = true
	}
	return &Adapter{
		opts:  opts,
		tune:  tune,
		log:   opts.Logger.With(slog.String("platform", "wechat")),
		now:   opts.Now,
		sleep: opts.Sleep,
		loc:   opts.Location,
		seen:  newIDSet(20000),
		// Entries live ten minutes, so that an echo handled late behind a busy engine is
		// still recognised by its id or its creation time; text matches stay within the
		// short window either way.
		echoes:    newEchoLog(tune.echoWindow, 10*time.Minute, 256),
		ids:       newIDBook(),
		forms:     newNoticeForms(500),
		groups:    groups,
		changed:   make(chan struct{}),
		resume:    make(chan struct{}, 1),
		snapshots: map[string][]bot.MemberInfo{},
	}
}

func sleepTimer(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Capabilities: WeChat's web protocol can neither remove nor mute members, and can only
// DM friends (and the file helper).
func (a *Adapter) Capabilities() bot.Capabilities { return bot.Capabilities{} }

// SendText posts text to a group. groupID is a session id (one from the last few logins is
// translated by the group's name) or the group's name: after a restart the engine knows
// its groups only by name until each speaks. The text is sent as is: WeChat's @-mention is
// plain text ("@Name" followed by U+2005, which the engine appends), so mentions are not
// needed to build it and trigger no notification on the web protocol.
//
// While a login is in progress the send waits for it (up to a couple of minutes), then
// fails with ErrNotLoggedIn, which is retryable; while the circuit breaker has stopped
// logging in it fails at once with ErrLoginPaused, which is not.
func (a *Adapter) SendText(ctx context.Context, groupID, text string, mentions []string) error {
	s, err := a.ready(ctx)
	if err != nil {
		return fmt.Errorf("send text to group %s: %w", groupID, err)
	}
	to, err := s.resolveGroup(groupID)
	if err != nil {
		return fmt.Errorf("send text: %w", err)
	}
	if err := s.sendText(ctx, to, text); err != nil {
		return fmt.Errorf("send text to group %q: %w", s.groupName(to), err)
	}
	return nil
}

// SendDM sends a private message to a friend or to bot.Filehelper (the owner's console).
// A member who is not a friend cannot be messaged on WeChat: that is bot.ErrNotSupported.
// It waits for a login in progress as SendText does.
func (a *Adapter) SendDM(ctx context.Context, to, text string) error {
	s, err := a.ready(ctx)
	if err != nil {
		return fmt.Errorf("send DM to %s: %w", to, err)
	}
	id, err := s.resolveDM(to)
	if err != nil {
		return fmt.Errorf("send DM: %w", err)
	}
	if err := s.sendText(ctx, id, text); err != nil {
		return fmt.Errorf("send DM to %s: %w", to, err)
	}
	return nil
}

// RemoveMember always fails: openwechat's RemoveMembers "does not work on web or in
// programs" (relations.go:224-229), so Capabilities says CanRemove=false and the engine
// asks the owner to remove the member by hand.
func (a *Adapter) RemoveMember(_ context.Context, groupID, memberID string) error {
	return fmt.Errorf("remove member %s from group %s: %w", memberID, groupID, bot.ErrNotSupported)
}

// Groups lists the groups of the current login: those saved to contacts, plus any other
// group that has sent a message since.
func (a *Adapter) Groups(_ context.Context) ([]bot.GroupInfo, error) {
	s, err := a.live()
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return s.groupList(), nil
}

// Members lists a group's members (the owner's own account excluded) as last read from
// WeChat; the list is kept fresh by the poller and after joins. groupID may be a session
// id or the group's name. Two members may share a nickname: they differ in ID and usually
// in DisplayName or AttrStatus.
func (a *Adapter) Members(ctx context.Context, groupID string) ([]bot.MemberInfo, error) {
	s, err := a.live()
	if err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", groupID, err)
	}
	id, err := s.resolveGroup(groupID)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	if !s.loaded(id) {
		ctx, cancel := s.bound(ctx)
		defer cancel()
		// What this first read finds (leaves and joins since the last login) must not be
		// delivered from the outbox's goroutine, which the engine may be waiting on.
		s.emitAsync(s.diffEvents(s.refreshGroups(ctx, []string{id}, fetchBaseline), nil))
		if !s.loaded(id) {
			return nil, fmt.Errorf("list members of group %q: %w", s.groupName(id), ErrNetwork)
		}
	}
	return s.memberList(id), nil
}

// CheckGroups waits for a login (or ctx), then reports which configured group names can
// be used. A name is missing when no group of the login has it — WeChat lists only groups
// saved to contacts (MissingGroupReason) — or when several have it
// (DuplicateGroupReason). Every problem is logged with its reason in Chinese.
func (a *Adapter) CheckGroups(ctx context.Context, names []string) (found, missing []string) {
	s, err := a.waitLive(ctx, 0)
	if err != nil {
		a.log.Warn("微信未登录，无法检查群 / not logged in, cannot check groups", "err", err)
		return nil, append([]string(nil), names...)
	}
	found, problems := s.checkGroups(names)
	for _, p := range problems {
		missing = append(missing, p.name)
	}
	return found, missing
}

// live returns the current session or ErrNotLoggedIn.
func (a *Adapter) live() (*session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cur == nil {
		return nil, ErrNotLoggedIn
	}
	return a.cur, nil
}

// ready returns the current session, waiting up to sendWait for a login in progress: a
// post due right after a restart goes out as soon as the session has read its groups,
// instead of spending its retries on the login. It does not wait when nothing is logging
// in: Run is not running, or the circuit breaker stopped it (ErrLoginPaused).
func (a *Adapter) ready(ctx context.Context) (*session, error) {
	if s, err := a.live(); err == nil {
		return s, nil
	}
	a.mu.Lock()
	runDone := a.runDone
	a.mu.Unlock()
	switch {
	case a.isPaused():
		return nil, ErrLoginPaused
	case !a.running.Load() || runDone == nil || a.tune.sendWait <= 0:
		return nil, ErrNotLoggedIn
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		if a.sleep(wctx, a.tune.sendWait) == nil {
			cancel()
		}
	}()
	for {
		a.mu.Lock()
		s, ch, paused := a.cur, a.changed, a.paused != nil
		a.mu.Unlock()
		switch {
		case s != nil:
			return s, nil
		case paused:
			return nil, ErrLoginPaused
		}
		select {
		case <-ch:
		case <-runDone:
			return nil, ErrNotLoggedIn
		case <-wctx.Done():
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrNotLoggedIn, err)
			}
			return nil, ErrNotLoggedIn
		}
	}
}

// waitLive waits for a ready session numbered at least minSeq.
func (a *Adapter) waitLive(ctx context.Context, minSeq int) (*session, error) {
	for {
		a.mu.Lock()
		s, ch := a.cur, a.changed
		a.mu.Unlock()
		if s != nil && s.seq >= minSeq {
			return s, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (a *Adapter) setCurrent(s *session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.cur = s
	a.loggedIn = true
	a.broadcastLocked()
}

func (a *Adapter) clearCurrent(s *session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cur != s {
		return
	}
	a.cur = nil
	a.broadcastLocked()
}

// broadcastLocked wakes everyone waiting for a change of session or breaker. a.mu held.
func (a *Adapter) broadcastLocked() {
	close(a.changed)
	a.changed = make(chan struct{})
}

// watches reports whether a group is polled for leaves.
func (a *Adapter) watches(name string) bool {
	return len(a.groups) == 0 || a.groups[name]
}

// notify tells the owner through the console. A panicking callback must not take the
// supervisor down.
func (a *Adapter) notify(msg string) {
	a.log.Info("通知群主 / owner notified", "msg", msg)
	if a.opts.Notify == nil {
		return
	}
	defer a.recovered(a.log, "Notify")
	a.opts.Notify(msg)
}

// say writes to the terminal: what the owner must read even while WeChat is down.
func (a *Adapter) say(msg string) {
	a.termMu.Lock()
	defer a.termMu.Unlock()
	_, _ = fmt.Fprintf(a.opts.QRWriter, "\n%s\n\n", msg)
}

// clock formats a time for the owner.
func (a *Adapter) clock(t time.Time) string {
	t = t.In(a.loc)
	if t.YearDay() != a.now().In(a.loc).YearDay() {
		return t.Format("1月2日 15:04")
	}
	return t.Format("15:04")
}

// delay draws the wait before retry number attempt of a schedule.
func (a *Adapter) delay(b backoff, attempt int) time.Duration {
	var unit float64
	if a.opts.Rand != nil {
		a.randMu.Lock()
		unit = a.opts.Rand.Float64()
		a.randMu.Unlock()
	} else {
		unit = rand.Float64()
	}
	return b.delay(attempt, unit)
}

// sendText sends through the library's stateless Caller with the session's credentials
// rather than through Self/Group objects, whose caches the message loop mutates.
func (s *session) sendText(ctx context.Context, to, text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("empty text")
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	// Recorded before sending: the echo can be synced back before the send returns.
	e := s.a.echoes.add(to, text, s.a.now())
	msg := openwechat.NewTextSendMessage(text, s.selfName, to)
	sent, err := s.caller.WebWxSendMsg(ctx, &openwechat.CallerWebWxSendMsgOptions{
		LoginInfo:   s.loginInfo,
		BaseRequest: s.baseReq,
		Message:     msg,
	})
	if err != nil {
		if s.ctx.Err() != nil && s.root.Err() == nil {
			// The session ended under us; the message goes out after the re-login.
			return fmt.Errorf("%w: %w", ErrNotLoggedIn, err)
		}
		return classify(err)
	}
	if sent != nil {
		s.a.echoes.sent(e, sent.MsgId)
	}
	return nil
}

// bound limits a caller's context to the session's lifetime.
func (s *session) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// resolveGroup maps what the engine addresses a group by to this session's id: this
// session's id; an id from one of the last few logins, by the group's name; or the name
// itself (the engine's only handle on a group after a restart, until it speaks). A name
// that no group of this login has yet is ErrGroupNotFound (retryable: an unsaved group
// appears when it speaks); a name several groups share is ErrUnknownID.
func (s *session) resolveGroup(id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.HasPrefix(id, "@@") {
		return s.groupByNameLocked(strings.TrimSpace(id), "")
	}
	if g, ok := s.groups[id]; ok && (g.loaded || g.saved || g.info.Name != "") {
		return id, nil
	}
	name, ok := s.a.ids.group(id)
	if !ok || name == "" {
		return "", fmt.Errorf("group %s: %w", id, ErrUnknownID)
	}
	gid, err := s.groupByNameLocked(name, id)
	if errors.Is(err, ErrGroupNotFound) {
		// An id from an earlier login whose group this login does not have.
		return "", fmt.Errorf("%w (%w)", ErrUnknownID, err)
	}
	return gid, err
}

// groupByNameLocked finds the one group of this session called name. s.mu held.
func (s *session) groupByNameLocked(name, oldID string) (string, error) {
	var match []string
	for gid, g := range s.groups {
		if g.info.Name == name && name != "" {
			match = append(match, gid)
		}
	}
	from := ""
	if oldID != "" {
		from = " (id " + oldID + " from an earlier login)"
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return "", fmt.Errorf("group %q%s: %w", name, from, ErrGroupNotFound)
	}
	return "", fmt.Errorf("group %q%s: %d groups of that name now, %s: %w",
		name, from, len(match), DuplicateGroupReason, ErrUnknownID)
}

func (s *session) resolveDM(to string) (string, error) {
	if to == bot.Filehelper {
		return openwechat.FileHelper, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.friends[to]; ok {
		return to, nil
	}
	if key, ok := s.a.ids.friend(to); ok {
		var match []string
		for id, c := range s.friends {
			if c.key() == key {
				match = append(match, id)
			}
		}
		if len(match) == 1 {
			return match[0], nil
		}
		return "", fmt.Errorf("friend %s from an earlier login: %d friends match now: %w", to, len(match), ErrUnknownID)
	}
	for _, g := range s.groups {
		if _, ok := g.members[to]; ok {
			return "", fmt.Errorf("member %s is not a friend (只能私聊好友): %w", to, bot.ErrNotSupported)
		}
	}
	return "", fmt.Errorf("DM recipient %s: %w", to, ErrUnknownID)
}

func (s *session) groupName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.groups[id]; ok {
		return g.info.Name
	}
	return id
}

func (s *session) loaded(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[id]
	return ok && g.loaded
}

func (s *session) groupList() []bot.GroupInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]bot.GroupInfo, 0, len(s.groups))
	for _, g := range s.groups {
		if g.saved || g.loaded || g.info.Name != "" {
			out = append(out, g.info)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (s *session) memberList(id string) []bot.MemberInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[id]
	out := make([]bot.MemberInfo, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	sortMembers(out)
	return out
}

type groupProblem struct{ name, reason string }

// checkGroups matches configured names against the session's groups and logs problems.
func (s *session) checkGroups(names []string) (found []string, problems []groupProblem) {
	s.mu.Lock()
	byName := make(map[string][]*groupState)
	for _, g := range s.groups {
		byName[g.info.Name] = append(byName[g.info.Name], g)
	}
	s.mu.Unlock()
	for _, raw := range names {
		name := strings.TrimSpace(raw)
		gs := byName[name]
		switch {
		case len(gs) == 0:
			problems = append(problems, groupProblem{raw, MissingGroupReason})
			s.log.Warn("找不到配置的群 / configured group not found", "group", name, "reason", MissingGroupReason)
		case len(gs) > 1:
			problems = append(problems, groupProblem{raw, DuplicateGroupReason})
			s.log.Error("配置的群有重名 / configured group name is ambiguous", "group", name, "count", len(gs), "reason", DuplicateGroupReason)
		default:
			found = append(found, raw)
			if !gs[0].saved {
				s.log.Warn("群未保存到通讯录，重新登录后将找不到 / group not saved to contacts, will be missing after re-login",
					"group", name, "reason", MissingGroupReason)
			}
		}
	}
	return found, problems
}

// idBook remembers which group name and which friend each session id stood for in the
// last few logins, so an id the engine cached before a re-login still reaches the right
// chat. Ids are only translated when exactly one current group or friend matches.
type idBook struct {
	mu      sync.Mutex
	groups  map[string]idEntry
	friends map[string]idEntry
}

type idEntry struct {
	key string
	seq int
}

func newIDBook() *idBook {
	return &idBook{groups: map[string]idEntry{}, friends: map[string]idEntry{}}
}

func (b *idBook) noteGroup(id, name string, seq int) {
	if name == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.groups[id] = idEntry{name, seq}
}

func (b *idBook) noteFriend(id, key string, seq int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.friends[id] = idEntry{key, seq}
}

func (b *idBook) group(id string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.groups[id]
	return e.key, ok
}

func (b *idBook) friend(id string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.friends[id]
	return e.key, ok
}

// prune forgets ids from sessions before minSeq, bounding memory over months of logins.
func (b *idBook) prune(minSeq int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range []map[string]idEntry{b.groups, b.friends} {
		for id, e := range m {
			if e.seq < minSeq {
				delete(m, id)
			}
		}
	}
}
