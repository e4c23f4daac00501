package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"qunbot/bot/config"
	"qunbot/storage"
)

// GroupCtx is the group a turn is about, with its effective configuration.
type GroupCtx struct {
	Key    int64
	Name   string
	Config *config.Group // shared with every turn of the group: read it, never change it
}

// Turn is one unit of work: one event (or one timer) and its transaction. Modules read
// the facts on it and record what they did; nothing leaves the engine until it commits.
type Turn struct {
	e     *Engine
	Ctx   context.Context
	Tx    *storage.Tx
	Now   time.Time
	Event *Event // nil for timer work

	Group  GroupCtx
	Member storage.Member // the sender of a message

	Owner     bool // sent by the owner's own account
	Admin     bool // sender holds the admin role (bound to the member key)
	Ambiguous bool // sender's identity is a guess: take no penalty or points action
	// Shadow: the sender could not be told from a member with a role or points after a
	// re-login, so they got a plain row of their own (bot/relink.go). They are Ambiguous —
	// no rights, no points — but the row is certainly theirs: moderation acts on it, or
	// copying a name with points would buy immunity.
	Shadow bool

	// Facts set along the pipeline.
	Caught    bool // moderation acted on the message
	Muted     bool // the sender is (soft-)muted
	Duplicate bool // the text repeats a recent message
	Handled   bool // a command answered the message

	cmdKnown bool     // cmd and cmdRest are set (matchCommand)
	cmd      *Command // the command the message starts with, nil: none
	cmdRest  string

	outcomes []Outcome
	lastOut  int64                   // highest outbox id this turn queued (0: none)
	after    []func(context.Context) // run on the loop after commit
}

// Valid says whether the message counts as a contribution (activity rankings, message
// points): not caught by moderation, not a duplicate, not while muted, not a command, not
// the owner's, and from a member we are sure of. Admins' messages count: they are members too.
func (t *Turn) Valid() bool {
	return !t.Caught && !t.Duplicate && !t.Muted && !t.Handled && !t.Owner && t.Member.Role != RoleOwner && !t.Ambiguous
}

// Sidelined reports whether a member is waiting to be removed, is muted now or is on the
// blocklist: such a member is not welcomed, not named as an example to the group and not
// awarded.
func (t *Turn) Sidelined(memberKey int64) (bool, error) {
	if _, pending, err := t.Tx.PendingRemoval(memberKey); err != nil || pending {
		return pending, err
	}
	if blocked, err := t.Tx.Blocked(memberKey); err != nil || blocked {
		return blocked, err
	}
	_, muted, err := t.Tx.ActiveMute(memberKey, t.Now)
	return muted, err
}

// Engine is the engine the turn runs in.
func (t *Turn) Engine() *Engine { return t.e }

// Privileged is true for the owner and admins: exempt from moderation.
func (t *Turn) Privileged() bool {
	return t.Owner || t.Admin || t.Member.Role == RoleOwner
}

// Mention renders "@Name" the way WeChat does (a four-per-em space ends the mention).
func Mention(m storage.Member) string { return "@" + m.ShownName() + "\u2005" }

// Say queues text to the turn's group, mentioning members (their "@Name" should be in
// the text; see Mention).
func (t *Turn) Say(text string, mentions ...storage.Member) error {
	return t.SayIn(t.Group.Key, text, mentions...)
}

// SayIn queues text to any group.
func (t *Turn) SayIn(groupKey int64, text string, mentions ...storage.Member) error {
	return t.sayIn(groupKey, text, "", mentions)
}

// PostIn queues one of the bot's own posts (a scheduled or dated post, the weekly star) to a
// group: the outbox counts it against the group's post_cap.daily and holds back what is
// over. Answers to members use Say.
func (t *Turn) PostIn(groupKey int64, text string, mentions ...storage.Member) error {
	return t.sayIn(groupKey, text, storage.ClassPost, mentions)
}

func (t *Turn) sayIn(groupKey int64, text, class string, mentions []storage.Member) error {
	keys := make([]int64, 0, len(mentions))
	for _, m := range mentions {
		keys = append(keys, m.Key)
	}
	return t.enqueue(storage.OutMessage{Created: t.Now, Kind: storage.OutSend, GroupKey: groupKey, Text: text, Mentions: keys, Class: class})
}

// Reply answers the sender in the group, mentioning them.
func (t *Turn) Reply(text string) error {
	if t.Owner {
		return t.Say(text) // the owner needs no @ from their own bot
	}
	return t.Say(Mention(t.Member)+text, t.Member)
}

// Answer replies where the message came from: the console or the group.
func (t *Turn) Answer(text string) error {
	if t.Event != nil && t.Event.Console {
		return t.NotifyOwner(text)
	}
	return t.Reply(text)
}

// NotifyOwner queues a DM to the owner's file helper (the private console).
func (t *Turn) NotifyOwner(text string) error {
	return t.enqueue(storage.OutMessage{Created: t.Now, Kind: storage.OutDM, Target: Filehelper, Text: text})
}

// DM queues a private message to a member; the caller must know they can receive it.
func (t *Turn) DM(m storage.Member, text string) error {
	return t.enqueue(storage.OutMessage{Created: t.Now, Kind: storage.OutDM, GroupKey: m.GroupKey,
		Target: strconv.FormatInt(m.Key, 10), Text: text})
}

// Remove queues a real removal. Only valid where the platform can remove in the member's
// group. reason is kept with it: should the platform refuse, the owner's removal request
// says why.
func (t *Turn) Remove(m storage.Member, reason string) error {
	if !t.e.CapabilitiesIn(m.GroupKey).CanRemove {
		return ErrNotSupported
	}
	return t.enqueue(storage.OutMessage{Created: t.Now, Kind: storage.OutRemove, GroupKey: m.GroupKey,
		Target: strconv.FormatInt(m.Key, 10), Text: reason})
}

func (t *Turn) enqueue(m storage.OutMessage) error {
	id, err := t.Tx.Enqueue(m)
	if err != nil {
		return err
	}
	t.lastOut = max(t.lastOut, id)
	return nil
}

// Audit records an action in the audit log, inside the turn's transaction.
func (t *Turn) Audit(action string, memberKey int64, detail map[string]any) error {
	_, err := t.Tx.Audit(storage.AuditEntry{Time: t.Now, GroupKey: t.Group.Key, MemberKey: memberKey,
		Actor: t.actor(), Action: action, Detail: detail})
	return err
}

// actor is who the audit log says acted in this turn: the owner, an admin, or the bot.
func (t *Turn) actor() string {
	if t.Event != nil && t.Event.Type == EventMessage {
		switch {
		case t.Owner:
			return "owner"
		case t.Admin:
			return "admin:" + strconv.FormatInt(t.Member.Key, 10)
		}
	}
	return "bot"
}

// Emit reports an outcome once the turn commits.
func (t *Turn) Emit(kind string, m storage.Member, fields map[string]any) {
	// A member known only by name (an inviter the bot never heard from) has no adapter id
	// yet: the outcome names them as the group does.
	id := m.PlatformID
	if id == "" {
		id = m.Name()
	}
	t.outcomes = append(t.outcomes, Outcome{Time: t.Now, Kind: kind, Group: t.e.GroupName(m.GroupKey),
		Member: id, Fields: fields})
}

// Day is the local calendar day of the turn, "2006-01-02" in the configured timezone.
func (t *Turn) Day() string { return t.Now.In(t.e.Location()).Format("2006-01-02") }

// Text is the message text, trimmed.
func (t *Turn) Text() string {
	if t.Event == nil {
		return ""
	}
	return strings.TrimSpace(t.Event.Text)
}

// After runs fn on the engine loop once the turn's transaction has committed: work that
// must not run inside it (a reload re-plans jobs, which reads the database).
func (t *Turn) After(fn func(ctx context.Context)) { t.after = append(t.after, fn) }
