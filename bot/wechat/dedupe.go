package wechat

import (
	"strings"
	"sync"
	"time"
)

// idSet remembers the last max message ids. Hot login replays what the previous session
// already delivered, and WeChat may deliver a message twice around a re-login; memory stays
// bounded because the oldest id is forgotten first (a replay comes soon or not at all).
type idSet struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	ring []string
	next int
}

func newIDSet(max int) *idSet {
	return &idSet{ids: make(map[string]struct{}, max), ring: make([]string, max)}
}

// add records id and reports whether it was new.
func (s *idSet) add(id string) bool {
	if id == "" {
		return true // nothing to dedupe on; let it through
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.ids[id]; dup {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.next = (s.next + 1) % len(s.ring)
	s.ids[id] = struct{}{}
	return true
}

// echoLog remembers what this adapter just sent. WeChat syncs the account's own outgoing
// messages back as "sent by self"; without this, the bot's own DM to the file helper would
// come back as a console command from the owner, and its group posts as owner messages.
// The send response's MsgID is also added to the id set, but whether WeChat reuses it as
// the echo's NewMsgId is not documented, so the text is matched as well.
type echoLog struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries []echo
}

type echo struct {
	to, text string
	at       time.Time
}

func newEchoLog(ttl time.Duration, max int) *echoLog {
	return &echoLog{ttl: ttl, max: max}
}

func (l *echoLog) add(to, text string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	if len(l.entries) >= l.max {
		l.entries = l.entries[1:]
	}
	l.entries = append(l.entries, echo{to: to, text: normEcho(text), at: now})
}

// take reports whether (to, text) is an echo of something sent within ttl, consuming the
// entry so that the owner typing the same words later is not swallowed twice.
func (l *echoLog) take(to, text string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	text = normEcho(text)
	for i, e := range l.entries {
		if e.to == to && e.text == text {
			l.entries = append(l.entries[:i], l.entries[i+1:]...)
			return true
		}
	}
	return false
}

func (l *echoLog) prune(now time.Time) {
	i := 0
	for i < len(l.entries) && now.Sub(l.entries[i].at) > l.ttl {
		i++
	}
	l.entries = l.entries[i:]
}

// normEcho undoes what the round trip changes: WeChat turns newlines into <br/> and the
// library turns them back, possibly with \r lost or trailing space trimmed.
func normEcho(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}
