// Package onebot is qunbot's QQ adapter: it speaks OneBot v11 (the protocol of NapCat,
// LLOneBot and Lagrange.OneBot) over one WebSocket, translates its events into bot.Events
// and carries out what the engine decides — sends with real @-mentions, mutes, removals
// and recalls where the bot's account is a group admin. The protocol stays here: the
// engine knows only bot.Platform and its optional abilities.
package onebot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"qunbot/bot"
)

// Options configure the adapter. URL or Listen is required; the rest has defaults, and
// the injectables let tests run on loopback without waiting on real time.
type Options struct {
	// URL is the implementation's forward WebSocket server (ws://127.0.0.1:3001): the
	// adapter connects to it, one universal connection for API calls and events.
	URL string
	// Listen is host:port for reverse WebSocket: the implementation connects in.
	Listen string
	// Listener replaces Listen with a listener already open (tests: 127.0.0.1:0).
	Listener net.Listener
	// AccessToken goes as "Authorization: Bearer …" (and is required of connections in).
	AccessToken string
	// Owner is the owner's own QQ number: their group messages are the owner's, their
	// private messages the console, and console replies go to them.
	Owner string

	Logger *slog.Logger
	// Notify tells the owner about something that needs a human (the bot was removed from
	// a group). Called from the adapter's goroutines; must not block for long.
	Notify func(msg string)
	// Manages reports whether the engine manages a group: events of other groups are
	// dropped early, without reading their member lists. Nil: every group.
	Manages func(groupID, groupName string) bool
	// Status receives one short Chinese line for the person at the terminal each time the
	// connection's state changes (连接中 / 已连接 / 连不上，N 秒后重试). Nil: none.
	Status func(line string)

	Now   func() time.Time                                 // default time.Now
	Sleep func(ctx context.Context, d time.Duration) error // back-off waits; default a timer
	Rand  func() float64                                   // jitter in [0,1); default math/rand

	CallTimeout time.Duration // every API call's limit; default 10s
	// ConfirmWait is how long a mute or removal waits for the implementation's notice
	// before asking get_group_member_info instead; default 3s, negative: ask at once.
	ConfirmWait time.Duration
	// HeartbeatMisses: the connection is given up when no frame came for this many
	// heartbeat intervals (the implementation's heartbeat meta events); default 3.
	HeartbeatMisses int
	BackoffBase     time.Duration // first reconnect wait; default 1s
	BackoffMax      time.Duration // longest reconnect wait; default 1m
	// GroupRefresh: how often the group list is read again (names change); default 10m.
	GroupRefresh time.Duration
}

// Adapter is the OneBot v11 platform (bot.Platform with mute, recall, per-group
// capabilities and structured mentions) and its connection supervisor (Run).
type Adapter struct {
	opts Options
	log  *slog.Logger
	st   *state

	mu      sync.Mutex
	cur     *session
	changed chan struct{} // closed and replaced when cur changes
}

// Interfaces the adapter implements; checked at compile time.
var (
	_ bot.Platform          = (*Adapter)(nil)
	_ bot.GroupCapabilities = (*Adapter)(nil)
	_ bot.Muter             = (*Adapter)(nil)
	_ bot.Recaller          = (*Adapter)(nil)
	_ bot.MentionSender     = (*Adapter)(nil)
)

// New builds an adapter; nothing happens until Run.
func New(o Options) *Adapter {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepTimer
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 10 * time.Second
	}
	if o.ConfirmWait == 0 {
		o.ConfirmWait = 3 * time.Second
	}
	if o.HeartbeatMisses <= 0 {
		o.HeartbeatMisses = 3
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = time.Minute
	}
	if o.GroupRefresh <= 0 {
		o.GroupRefresh = 10 * time.Minute
	}
	return &Adapter{opts: o, log: o.Logger.With(slog.String("platform", "onebot")), st: newState(), changed: make(chan struct{})}
}

func sleepTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Capabilities: QQ can remove, mute and recall — where the bot is a group admin
// (GroupCapabilities) — and its ids are stable.
func (a *Adapter) Capabilities() bot.Capabilities {
	return bot.Capabilities{CanRemove: true, CanMute: true, CanRecall: true, StableIDs: true}
}

// GroupCapabilities: the bot may mute, remove and recall only in groups where its account
// is the owner or an admin, as last read from the member list or a group_admin notice.
func (a *Adapter) GroupCapabilities(groupID string) bot.Capabilities {
	c := bot.Capabilities{StableIDs: true}
	if a.st.selfAdmin(groupID) {
		c.CanRemove, c.CanMute, c.CanRecall = true, true, true
	}
	return c
}

// IsRetryable tells the outbox which failures are worth another try: a lost connection
// or a call that timed out is; an answer of "failed", a refusal or an unconfirmed action
// is not.
func IsRetryable(err error) bool {
	var api *APIError
	var refused *bot.RefusedError
	var unconfirmed *bot.UnconfirmedError
	if errors.As(err, &api) || errors.As(err, &refused) || errors.As(err, &unconfirmed) || errors.Is(err, bot.ErrNotSupported) {
		return false
	}
	return true
}

// live is the current session or ErrNotConnected.
func (a *Adapter) live() (*session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cur == nil {
		return nil, ErrNotConnected
	}
	return a.cur, nil
}

func (a *Adapter) setCurrent(s *session) {
	a.mu.Lock()
	a.cur = s
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
}

func (a *Adapter) clearCurrent(s *session) {
	a.mu.Lock()
	if a.cur == s {
		a.cur = nil
		close(a.changed)
		a.changed = make(chan struct{})
	}
	a.mu.Unlock()
}

// WaitConnected waits until a connection is ready (logged in, group list read) or ctx ends.
func (a *Adapter) WaitConnected(ctx context.Context) error {
	for {
		a.mu.Lock()
		cur, ch := a.cur, a.changed
		a.mu.Unlock()
		if cur != nil {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitGroups waits for a connection and lists the account's groups.
func (a *Adapter) WaitGroups(ctx context.Context) ([]bot.GroupInfo, error) {
	if err := a.WaitConnected(ctx); err != nil {
		return nil, err
	}
	return a.Groups(ctx)
}

// status tells the person at the terminal about the connection, if anyone listens.
func (a *Adapter) status(line string) {
	if a.opts.Status != nil {
		a.opts.Status(line)
	}
}

// call makes an API call on the live connection with the adapter's time limit.
func (a *Adapter) call(ctx context.Context, action string, params map[string]any) (json.RawMessage, error) {
	s, err := a.live()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	return s.call(ctx, action, params)
}

// SendMentions posts text to a group as a segment array; each mention's text becomes an
// `at` segment, so the member is notified (bot.MentionSender).
func (a *Adapter) SendMentions(ctx context.Context, groupID, text string, mentions []bot.TextMention) error {
	ms := make([]Mention, 0, len(mentions))
	for _, m := range mentions {
		ms = append(ms, Mention{Text: m.Text, QQ: m.ID})
	}
	_, err := a.call(ctx, "send_group_msg", map[string]any{"group_id": ID(groupID).param(), "message": BuildSegments(text, ms)})
	if err != nil {
		return fmt.Errorf("send to group %s: %w", groupID, err)
	}
	return nil
}

// SendText posts text to a group. The engine sends through SendMentions; here mentions
// are ids only, so they are added as `at` segments in front.
func (a *Adapter) SendText(ctx context.Context, groupID, text string, mentions []string) error {
	var segs []Segment
	for _, qq := range mentions {
		segs = append(segs, atSeg(qq), textSeg(" "))
	}
	segs = append(segs, textSeg(text))
	if _, err := a.call(ctx, "send_group_msg", map[string]any{"group_id": ID(groupID).param(), "message": segs}); err != nil {
		return fmt.Errorf("send to group %s: %w", groupID, err)
	}
	return nil
}

// SendDM sends a private message; bot.Filehelper is the owner's private chat (the console).
func (a *Adapter) SendDM(ctx context.Context, to, text string) error {
	if to == bot.Filehelper {
		if a.opts.Owner == "" {
			return fmt.Errorf("send to the owner: onebot.owner is not set: %w", bot.ErrNotSupported)
		}
		to = a.opts.Owner
	}
	if _, err := a.call(ctx, "send_private_msg", map[string]any{"user_id": ID(to).param(), "message": []Segment{textSeg(text)}}); err != nil {
		return fmt.Errorf("send private message to %s: %w", to, err)
	}
	return nil
}

// MuteMember mutes with set_group_ban for d (whole seconds; 0 lifts), then confirms it
// took effect before reporting success: some NapCat versions answer ok to a ban that did
// nothing (bot.UnconfirmedError then).
func (a *Adapter) MuteMember(ctx context.Context, groupID, memberID string, d time.Duration) error {
	secs := int64((d + time.Second - 1) / time.Second)
	if err := a.mayAct(ctx, groupID, memberID); err != nil {
		return fmt.Errorf("mute %s in group %s: %w", memberID, groupID, err)
	}
	kind := "ban"
	if secs == 0 {
		kind = "lift"
	}
	key := waitKey{kind, groupID, memberID}
	notice := a.st.expect(key)
	defer a.st.unexpect(key, notice)
	_, err := a.call(ctx, "set_group_ban", map[string]any{"group_id": ID(groupID).param(), "user_id": ID(memberID).param(), "duration": secs})
	if err != nil {
		return fmt.Errorf("mute %s in group %s: %w", memberID, groupID, a.classify(ctx, groupID, memberID, err))
	}
	if a.waitNotice(ctx, notice) {
		return nil
	}
	info, err := a.memberInfo(ctx, groupID, memberID)
	if err != nil {
		return fmt.Errorf("confirm the mute of %s in group %s: %w", memberID, groupID, err)
	}
	if info.ShutUpTimestamp != nil {
		muted := *info.ShutUpTimestamp > a.opts.Now().Unix()
		if muted == (secs > 0) {
			return nil
		}
	} else if secs == 0 {
		// Lifting a mute that may not have existed needs no notice; nothing to confirm by.
		return nil
	}
	action := map[bool]string{true: "mute", false: "unmute"}[secs > 0]
	return &bot.UnconfirmedError{Action: action, Detail: fmt.Sprintf("set_group_ban %s in group %s answered ok, but no group_ban notice came and the member info shows no change", memberID, groupID)}
}

// RemoveMember removes with set_group_kick and confirms the member is gone (the
// group_decrease notice, or get_group_member_info no longer finding them).
func (a *Adapter) RemoveMember(ctx context.Context, groupID, memberID string) error {
	if err := a.mayAct(ctx, groupID, memberID); err != nil {
		return fmt.Errorf("remove %s from group %s: %w", memberID, groupID, err)
	}
	key := waitKey{"kick", groupID, memberID}
	notice := a.st.expect(key)
	defer a.st.unexpect(key, notice)
	_, err := a.call(ctx, "set_group_kick", map[string]any{"group_id": ID(groupID).param(), "user_id": ID(memberID).param(), "reject_add_request": false})
	if err != nil {
		return fmt.Errorf("remove %s from group %s: %w", memberID, groupID, a.classify(ctx, groupID, memberID, err))
	}
	if a.waitNotice(ctx, notice) {
		return nil
	}
	_, err = a.memberInfo(ctx, groupID, memberID)
	var api *APIError
	if errors.As(err, &api) {
		return nil // not a member any more
	}
	if err != nil {
		return fmt.Errorf("confirm the removal of %s from group %s: %w", memberID, groupID, err)
	}
	return &bot.UnconfirmedError{Action: "remove", Detail: fmt.Sprintf("set_group_kick %s from group %s answered ok, but the member is still in the group", memberID, groupID)}
}

// Recall recalls a message with delete_msg. A message its sender (or an admin) recalled
// already needs nothing more.
func (a *Adapter) Recall(ctx context.Context, groupID, memberID, messageID string) error {
	if a.st.recalls.has(groupID + "\x00" + messageID) {
		return nil
	}
	if err := a.mayAct(ctx, groupID, memberID); err != nil {
		return fmt.Errorf("recall message %s in group %s: %w", messageID, groupID, err)
	}
	if _, err := a.call(ctx, "delete_msg", map[string]any{"message_id": ID(messageID).param()}); err != nil {
		if a.st.recalls.has(groupID + "\x00" + messageID) {
			return nil // recalled meanwhile by someone else
		}
		return fmt.Errorf("recall message %s in group %s: %w", messageID, groupID, a.classify(ctx, groupID, memberID, err))
	}
	return nil
}

// mayAct refuses, without acting, what the platform would refuse: acting in a group where
// the bot is not an admin, or on the group's owner or an admin. Roles not known yet (an
// action queued before a restart, for a group that has sent nothing since) are read first.
func (a *Adapter) mayAct(ctx context.Context, groupID, memberID string) error {
	if a.st.needsMembers(groupID) {
		if _, err := a.memberInfo(ctx, groupID, a.st.selfID()); err != nil {
			return fmt.Errorf("read the bot's role in the group: %w", err)
		}
		if _, err := a.memberInfo(ctx, groupID, memberID); err != nil {
			var api *APIError
			if !errors.As(err, &api) {
				return fmt.Errorf("read the member's role: %w", err)
			}
		}
	}
	if !a.st.selfAdmin(groupID) {
		return &bot.RefusedError{Reason: bot.RefusedNotAdmin}
	}
	if powerful(a.st.role(groupID, memberID)) {
		return &bot.RefusedError{Reason: bot.RefusedTargetProtected}
	}
	return nil
}

// classify explains a failed action: the bot is not an admin (any more), or the member is
// one (now) — both read again without the implementation's cache — else the failure itself.
func (a *Adapter) classify(ctx context.Context, groupID, memberID string, err error) error {
	var api *APIError
	if !errors.As(err, &api) {
		return err
	}
	if self, e := a.memberInfo(ctx, groupID, a.st.selfID()); e == nil && !powerful(self.Role) {
		return &bot.RefusedError{Reason: bot.RefusedNotAdmin, Err: err}
	}
	if target, e := a.memberInfo(ctx, groupID, memberID); e == nil && powerful(target.Role) {
		return &bot.RefusedError{Reason: bot.RefusedTargetProtected, Err: err}
	}
	return err
}

// memberInfo reads one member without the implementation's cache, and keeps what it says.
func (a *Adapter) memberInfo(ctx context.Context, groupID, userID string) (memberInfo, error) {
	s, err := a.live()
	if err != nil {
		return memberInfo{}, err
	}
	return a.memberInfoCall(ctx, s, groupID, userID, true)
}

func (a *Adapter) memberInfoCall(ctx context.Context, s *session, groupID, userID string, noCache bool) (memberInfo, error) {
	var m memberInfo
	data, err := s.call(ctx, "get_group_member_info", map[string]any{"group_id": ID(groupID).param(), "user_id": ID(userID).param(), "no_cache": noCache})
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("get_group_member_info: malformed answer: %w", err)
	}
	a.st.noteMember(groupID, userID, memberRec{nickname: m.Nickname, card: m.Card, role: m.Role})
	return m, nil
}

// waitNotice waits up to ConfirmWait for the notice an action causes.
func (a *Adapter) waitNotice(ctx context.Context, ch chan struct{}) bool {
	if a.opts.ConfirmWait < 0 {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	t := time.NewTimer(a.opts.ConfirmWait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// Groups lists the bot account's groups (get_group_list).
func (a *Adapter) Groups(ctx context.Context) ([]bot.GroupInfo, error) {
	data, err := a.call(ctx, "get_group_list", nil)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	var list []groupInfo
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("get_group_list: malformed answer: %w", err)
	}
	a.st.setGroups(list)
	out := make([]bot.GroupInfo, 0, len(list))
	for _, g := range list {
		out = append(out, bot.GroupInfo{ID: string(g.GroupID), Name: g.GroupName, MemberCount: g.MemberCount})
	}
	return out, nil
}

// Members lists a group's members (get_group_member_list), the bot's own account excluded.
func (a *Adapter) Members(ctx context.Context, groupID string) ([]bot.MemberInfo, error) {
	list, err := a.memberList(ctx, groupID)
	if err != nil {
		return nil, err
	}
	self := a.st.selfID()
	out := make([]bot.MemberInfo, 0, len(list))
	for _, m := range list {
		if string(m.UserID) == self {
			continue
		}
		out = append(out, bot.MemberInfo{ID: string(m.UserID), Nickname: m.Nickname, DisplayName: m.Card, Role: m.Role})
	}
	return out, nil
}

func (a *Adapter) memberList(ctx context.Context, groupID string) ([]memberInfo, error) {
	s, err := a.live()
	if err != nil {
		return nil, err
	}
	return a.memberListCall(ctx, s, groupID)
}

func (a *Adapter) memberListCall(ctx context.Context, s *session, groupID string) ([]memberInfo, error) {
	data, err := s.call(ctx, "get_group_member_list", map[string]any{"group_id": ID(groupID).param()})
	if err != nil {
		return nil, fmt.Errorf("list members of group %s: %w", groupID, err)
	}
	var list []memberInfo
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("get_group_member_list: malformed answer: %w", err)
	}
	a.st.setMembers(groupID, list)
	return list, nil
}

// notify tells the owner; a panicking callback must not take the adapter down.
func (a *Adapter) notify(msg string) {
	a.log.Info("通知群主 / owner notified", "msg", msg)
	if a.opts.Notify == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("Notify panicked", "panic", fmt.Sprint(p))
		}
	}()
	a.opts.Notify(msg)
}

// backoff is the wait before reconnect attempt n (1, 2, …): doubling from BackoffBase up
// to BackoffMax, with jitter so that many bots do not reconnect in step.
func (a *Adapter) backoff(n int) time.Duration {
	d := a.opts.BackoffBase << min(n-1, 20)
	if d > a.opts.BackoffMax || d <= 0 {
		d = a.opts.BackoffMax
	}
	// Between half and the whole of it.
	return d/2 + time.Duration(a.opts.Rand()*float64(d/2))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ConnectionLine is the connection's state now, for 状态 (bot.Connection).
func (a *Adapter) ConnectionLine() string {
	a.mu.Lock()
	connected := a.cur != nil
	a.mu.Unlock()
	if connected {
		return "✅ 已连接 OneBot 实现，机器人 QQ " + a.st.selfID()
	}
	if a.opts.URL != "" {
		return "⚠️ 没有连上 OneBot 实现（" + a.opts.URL + "），正在重试"
	}
	return "⚠️ 等待 OneBot 实现连进来（反向 WebSocket）"
}
