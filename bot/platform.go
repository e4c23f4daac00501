package bot

import (
	"context"
	"errors"
)

// Filehelper is the DM address of the owner's private console (WeChat's 文件传输助手).
// Every adapter must accept it in SendDM.
const Filehelper = "filehelper"

// ErrNotSupported is returned by an adapter asked to do something its Capabilities deny.
// The engine never asks (it degrades each step first); the error exists so that a bug
// surfaces as a logged error instead of a silent no-op.
var ErrNotSupported = errors.New("platform does not support this action / 平台不支持该操作")

// Capabilities says honestly what a platform can do. WeChat's web protocol can do none of
// these; a simulator or a OneBot (QQ) adapter can. The engine degrades each step it cannot
// perform: removal becomes a removal request to the owner, mute becomes a soft mute.
type Capabilities struct {
	CanRemove       bool // kick a member out of a group
	CanMute         bool // silence a member on the platform itself
	CanDMNonFriends bool // private-message a member who is not the owner's friend
}

// MemberInfo is what an adapter knows about a member in the current session. ID is
// session-scoped (WeChat's UserName changes on every login), so the engine keys members by
// its own member key and uses ID only to address the member during this session.
type MemberInfo struct {
	ID          string // adapter id, valid for this session only
	Nickname    string // the member's own nickname
	DisplayName string // the member's display name inside this group (群昵称), may be empty
	AttrStatus  int64  // WeChat's AttrStatus, part of the identity tuple; 0 elsewhere
	IsFriend    bool   // the owner's friend: can be DM'd
}

// Name is how the member is shown in the group: the group display name when set.
func (m MemberInfo) Name() string {
	if m.DisplayName != "" {
		return m.DisplayName
	}
	return m.Nickname
}

// GroupInfo describes a group in the current session. Groups are keyed by name in config
// and storage; ID is session-scoped like MemberInfo.ID.
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

// Platform is what an adapter (simulator, WeChat, …) implements. Methods run on the
// outbox's goroutine, never concurrently with each other for one adapter.
type Platform interface {
	Capabilities() Capabilities
	// SendText posts text to a group. mentions are adapter member IDs that the text
	// @-mentions (the text already contains "@Name"); adapters that can notify use them.
	SendText(ctx context.Context, groupID, text string, mentions []string) error
	// SendDM sends a private message to a friend's adapter ID, or to Filehelper.
	SendDM(ctx context.Context, to, text string) error
	// RemoveMember removes a member; only called when Capabilities().CanRemove.
	RemoveMember(ctx context.Context, groupID, memberID string) error
	Groups(ctx context.Context) ([]GroupInfo, error)
	Members(ctx context.Context, groupID string) ([]MemberInfo, error)
}
