package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"qunbot/storage"
)

// Filehelper is the DM address of the owner's private console (WeChat's 文件传输助手; on QQ
// the owner's private chat with the bot). Every adapter must accept it in SendDM.
const Filehelper = "filehelper"

// ErrNotSupported is returned by an adapter asked to do something its Capabilities deny.
// The engine never asks (it degrades each step first); the error exists so that a bug
// surfaces as a logged error instead of a silent no-op.
var ErrNotSupported = errors.New("platform does not support this action / 平台不支持该操作")

// Capabilities says honestly what a platform can do. WeChat's web protocol can do none of
// these; a simulator or a OneBot (QQ) adapter can. The engine degrades each step it cannot
// perform: removal becomes a removal request to the owner, mute becomes a soft mute.
//
// A platform's Capabilities() are what it can do at best; where abilities differ between
// groups (a QQ bot can mute only where it is a group admin) the platform also implements
// GroupCapabilities, and the engine asks per group at the moment it decides.
type Capabilities struct {
	CanRemove       bool // kick a member out of a group
	CanMute         bool // silence a member on the platform itself, for a duration (Muter)
	CanRecall       bool // recall (delete) a member's message (Recaller)
	CanDMNonFriends bool // private-message a member who is not the owner's friend
	// StableIDs: group and member ids never change (QQ's group_id and user_id). The engine
	// then keys groups and members by them: a renamed group or a changed group card keeps
	// its history, strikes and points, and names are never used to re-link anyone.
	StableIDs bool
}

// MemberInfo is what an adapter knows about a member in the current session. ID is
// session-scoped (WeChat's UserName changes on every login), so the engine keys members by
// its own member key and uses ID only to address the member during this session — unless
// the platform's ids are stable (Capabilities.StableIDs), when ID is who the member is.
type MemberInfo struct {
	ID          string // adapter id, valid for this session only (or for good: StableIDs)
	Nickname    string // the member's own nickname
	DisplayName string // the member's display name inside this group (群昵称, QQ's card), may be empty
	AttrStatus  int64  // WeChat's AttrStatus, part of the identity tuple; 0 elsewhere
	IsFriend    bool   // the owner's friend: can be DM'd
	// Role is the member's role on the platform in this group: RoleOwner ("owner": the
	// group's creator), "admin" or "member"; "" where the platform does not say (WeChat).
	// The engine never mutes or removes a platform owner or admin, and lets them use the
	// admin commands.
	Role string
}

// Name is how the member is shown in the group: the group display name when set.
func (m MemberInfo) Name() string { return storage.DisplayOrNick(m.DisplayName, m.Nickname) }

// GroupInfo describes a group in the current session. Groups are keyed by name in config
// and storage; ID is session-scoped like MemberInfo.ID (stable with StableIDs: then the
// group is keyed by it, and a config entry may name the group by it).
type GroupInfo struct {
	ID          string
	Name        string
	MemberCount int
}

// Connection is a platform that can say how its connection is, in one short Chinese line
// (状态 shows it): 「✅ 已登录：群主」, 「⚠️ 连不上服务器，30 秒后重试」.
type Connection interface {
	ConnectionLine() string
}

// Platform is what an adapter (simulator, WeChat, OneBot, …) implements. Methods run on
// the outbox's goroutine, never concurrently with each other for one adapter.
type Platform interface {
	Capabilities() Capabilities
	// SendText posts text to a group. mentions are adapter member IDs that the text
	// @-mentions (the text already contains "@Name"); adapters that can notify use them.
	SendText(ctx context.Context, groupID, text string, mentions []string) error
	// SendDM sends a private message to a friend's adapter ID, or to Filehelper.
	SendDM(ctx context.Context, to, text string) error
	// RemoveMember removes a member; only called when the group's capabilities allow it.
	RemoveMember(ctx context.Context, groupID, memberID string) error
	Groups(ctx context.Context) ([]GroupInfo, error)
	Members(ctx context.Context, groupID string) ([]MemberInfo, error)
}

// GroupCapabilities is implemented by platforms whose abilities differ per group. The
// result is never more than Capabilities(). The engine calls it on its loop when it
// decides a step, so it must answer from what the adapter already knows, without I/O.
type GroupCapabilities interface {
	GroupCapabilities(groupID string) Capabilities
}

// Muter is a platform that can mute a member (Capabilities.CanMute): for d, rounded to
// whole seconds; d == 0 lifts a mute.
type Muter interface {
	MuteMember(ctx context.Context, groupID, memberID string, d time.Duration) error
}

// Recaller is a platform that can recall a member's message (Capabilities.CanRecall).
// memberID is who sent it (the simulator prints it; QQ needs only the message id).
type Recaller interface {
	Recall(ctx context.Context, groupID, memberID, messageID string) error
}

// TextMention is one @-mention in a text the engine sends: the member's adapter id and the
// exact text that stands for them ("@Name" and U+2005, as Mention renders it).
type TextMention struct {
	ID   string
	Text string
}

// MentionSender is a platform whose mentions are structured (QQ's `at` segment): it gets
// each mention's text with its id, to turn exactly that text into a real mention.
// Platforms without it get SendText, whose mentions are only ids.
type MentionSender interface {
	SendMentions(ctx context.Context, groupID, text string, mentions []TextMention) error
}

// Refusal says why a platform refused an action the engine asked for.
type Refusal int

const (
	// RefusedNotAdmin: the bot's account has no power here (not a QQ group admin).
	RefusedNotAdmin Refusal = iota + 1
	// RefusedTargetProtected: the member is the group's owner or an admin.
	RefusedTargetProtected
)

// RefusedError is a platform's refusal of an action: permanent, never retried. The
// engine falls back to the soft step and tells the owner once what to fix.
type RefusedError struct {
	Reason Refusal
	Err    error // the platform's own answer, for the log
}

func (e *RefusedError) Error() string {
	what := "the bot is not allowed to do this here / 机器人没有权限"
	if e.Reason == RefusedTargetProtected {
		what = "the member is the group's owner or an admin / 对方是群主或管理员"
	}
	if e.Err != nil {
		return fmt.Sprintf("refused: %s: %v", what, e.Err)
	}
	return "refused: " + what
}

func (e *RefusedError) Unwrap() error { return e.Err }

// UnconfirmedError is an action the platform said it did, which a check afterwards found
// not done (some NapCat versions answer ok to a mute or kick that did nothing). The
// outbox does not record it as done: it falls back to the soft step and tells the owner.
type UnconfirmedError struct {
	Action string // "mute", "unmute", "remove"
	Detail string
}

func (e *UnconfirmedError) Error() string {
	return fmt.Sprintf("platform answered ok but the %s did not take effect / 平台回复成功但操作没有生效: %s", e.Action, e.Detail)
}
