package bot

import (
	"fmt"
	"time"
)

// EventType distinguishes what happened.
type EventType int

const (
	EventMessage EventType = iota + 1 // a message in a group or in the owner's console
	EventJoin                         // one or more members joined a group
	EventLeave                        // one or more members left (may arrive late or twice)
	// EventMute: a person muted (Duration > 0) or unmuted (Duration == 0) Members on the
	// platform itself (QQ's group_ban notice), so the bot's record matches the group's.
	// Mutes the bot made itself are not reported.
	EventMute
	// EventRole: the platform roles of Members changed (QQ's group_admin notice).
	EventRole
	// EventAbilities: what the bot's account may do in the group changed (it was made a
	// group admin, or stopped being one); the engine asks GroupCapabilities again.
	EventAbilities
)

func (t EventType) String() string {
	switch t {
	case EventMessage:
		return "message"
	case EventJoin:
		return "join"
	case EventLeave:
		return "leave"
	case EventMute:
		return "mute"
	case EventRole:
		return "role"
	case EventAbilities:
		return "abilities"
	}
	return fmt.Sprintf("event(%d)", int(t))
}

// MessageKind is the kind of a message as moderation sees it.
type MessageKind string

const (
	KindText      MessageKind = "text"
	KindLink      MessageKind = "link"
	KindCard      MessageKind = "card"
	KindImage     MessageKind = "image"
	KindMiniApp   MessageKind = "miniapp"
	KindFile      MessageKind = "file"
	KindVideo     MessageKind = "video"
	KindVoice     MessageKind = "voice"
	KindEmoji     MessageKind = "emoji"
	KindRedPacket MessageKind = "redpacket"
	KindTransfer  MessageKind = "transfer"
	KindSystem    MessageKind = "system"
)

// MessageKinds lists every kind, in the order documented in the config reference.
var MessageKinds = []MessageKind{KindText, KindLink, KindCard, KindImage, KindMiniApp, KindFile,
	KindVideo, KindVoice, KindEmoji, KindRedPacket, KindTransfer, KindSystem}

// ParseMessageKind accepts the names used in scripts and config.
func ParseMessageKind(s string) (MessageKind, bool) {
	for _, k := range MessageKinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// Event is one thing that happened on the platform, translated by an adapter.
type Event struct {
	Type EventType
	// ID is the platform's message id (WeChat NewMsgId). A second event with the same
	// ID in the same group is a replay and changes nothing. Empty for synthetic events.
	ID   string
	Time time.Time

	Group GroupInfo // empty for console messages

	// Message fields.
	Sender    MemberInfo
	FromOwner bool // sent by the bot's own account: the owner typing on the phone
	Console   bool // sent to the owner's file helper: the private console (always FromOwner)
	Kind      MessageKind
	Text      string
	// Image is an image message's handle for the platform's ImageFetcher (the QR check);
	// empty when the platform gave none.
	Image string

	// Session names the platform session whose ids the event carries. When it changes
	// (WeChat: every login) the engine forgets the old session's ids and re-links members
	// by their names. Empty for platforms whose ids are stable (the simulator).
	Session string

	// Mentions are the members a message @-mentions, as the platform identified them
	// (QQ's `at` segments; the text holds "@Name" and U+2005 for each). Commands resolve
	// "@Name" through them by id before trying names. Empty where mentions are only text.
	Mentions []MemberInfo

	// Join/leave/mute/role fields.
	Members  []MemberInfo
	Inviter  string        // the inviter's name for joins, when known
	Operator string        // who did it, for mutes and removals by a person, when known
	Duration time.Duration // EventMute: how long; 0 lifts the mute
	Kicked   bool          // EventLeave: removed by an admin rather than leaving
}
