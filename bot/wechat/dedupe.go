package wechat

import (
	"slices"
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
//
// An echo is recognised by the message id the send returned (WeChat's echo carries it as
// MsgId), else by its text in the same chat within a short window of the send — measured
// both on our clock (when the echo is handled) and on WeChat's (when it was created), so
// that an echo handled late behind a busy engine is still caught. Each send swallows one
// echo at most. The owner typing the bot's words again, later than the window, is the
// owner speaking: an earlier version matched text for two minutes and swallowed them.
type echoLog struct {
	mu      sync.Mutex
	window  time.Duration // text matches only this close to the send
	ttl     time.Duration // id matches (and memory) this long
	max     int
	entries []*echo
}

type echo struct {
	to, text string
	at       time.Time // our clock at the send
	ids      []string  // message ids the send returned
}

func newEchoLog(window, ttl time.Duration, max int) *echoLog {
	return &echoLog{window: window, ttl: ttl, max: max}
}

// add records a send about to happen and returns it, for sent to fill in the id.
func (l *echoLog) add(to, text string, now time.Time) *echo {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	if len(l.entries) >= l.max {
		l.entries = l.entries[1:]
	}
	e := &echo{to: to, text: normEcho(text), at: now}
	l.entries = append(l.entries, e)
	return e
}

// sent records the id WeChat gave a send. The echo may already have been taken (it can
// arrive before the send's answer); then there is nothing to do.
func (l *echoLog) sent(e *echo, id string) {
	if id == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.ids = append(e.ids, id)
}

// take reports whether a message the account sent to `to` is the echo of a send: the same
// message id, or the same text within the window (created is WeChat's creation time
// converted to our clock; zero if unknown). The matching entry is consumed.
func (l *echoLog) take(to, text string, ids []string, created, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	for i, e := range l.entries {
		for _, id := range ids {
			if id != "" && slices.Contains(e.ids, id) {
				l.entries = append(l.entries[:i], l.entries[i+1:]...)
				return true
			}
		}
	}
	text = normEcho(text)
	near := func(t time.Time, e *echo) bool {
		d := t.Sub(e.at)
		return !t.IsZero() && d >= -l.window && d <= l.window
	}
	for i, e := range l.entries {
		if e.to == to && e.text == text && (near(now, e) || near(created, e)) {
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
