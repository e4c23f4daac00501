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
)

func (t EventType) String() string {
	switch t {
	case EventMessage:
		return "message"
	case EventJoin:
		return "join"
	case EventLeave:
		return "leave"
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

	// Session names the platform session whose ids the event carries. When it changes
	// (WeChat: every login) the engine forgets the old session's ids and re-links members
	// by their names. Empty for platforms whose ids are stable (the simulator).
	Session string

	// Join/leave fields.
	Members []MemberInfo
	Inviter string // the inviter's name for joins, when known
}
