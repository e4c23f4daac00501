// Package onebottest is a fake OneBot v11 implementation for tests, written from the
// spec (botuniverse/onebot-11: api/public.md, event/*.md, communication/ws.md,
// ws-reverse.md). It keeps groups, members with roles and mutes, and messages; answers
// API calls by echo on the connection that made them, interleaved with events; sends
// messages in the array or the string (CQ code) format; enforces QQ's permissions (only
// an admin bot may mute, kick or recall, and nobody may act on the group's owner or an
// admin: refused calls answer status "failed" with a non-zero retcode); and can misbehave
// on purpose: answer ok to a mute or kick that does nothing (as some NapCat versions do),
// never answer an action, drop the connection, stop its heartbeat.
//
// It serves forward WebSocket (NewServer: the bot connects to URL()) and can act as a
// reverse WebSocket client (DialReverse: it connects to the bot).
package onebottest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Options configure the fake.
type Options struct {
	SelfID   int64  // the bot's QQ number
	Nickname string // the bot's nickname
	Token    string // access token required of connections ("" none)
	// StringFormat sends message events in the string format (CQ codes) instead of arrays.
	StringFormat bool
	// Heartbeat sends a heartbeat meta event this often (0: none).
	Heartbeat time.Duration
	// Friends are the bot's friends from the start (QQ number → nickname): get_friend_list.
	Friends map[int64]string
}

// Call is one API call the fake received.
type Call struct {
	Action string
	Params map[string]any // decoded JSON: numbers are json.Number
	Echo   json.RawMessage
}

// Int reads a numeric parameter (a JSON number, or a string holding one).
func (c Call) Int(key string) int64 {
	switch v := c.Params[key].(type) {
	case json.Number:
		n, _ := v.Int64()
		return n
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	case float64:
		return int64(v)
	}
	return 0
}

// Segments reads a message parameter given as a segment array.
func (c Call) Segments() ([]map[string]any, bool) {
	arr, ok := c.Params["message"].([]any)
	if !ok {
		return nil, false
	}
	var out []map[string]any
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		out = append(out, m)
	}
	return out, true
}

// Member is a member of a fake group.
type Member struct {
	Nickname string
	Card     string
	Role     string // owner, admin, member
	MutedTil time.Time
}

type group struct {
	name    string
	members map[int64]*Member
}

type message struct {
	group, user int64
}

// Server is the fake implementation.
type Server struct {
	opts Options
	http *httptest.Server

	mu       sync.Mutex
	groups   map[int64]*group
	friends  map[int64]string // the bot's friends: QQ number → nickname
	msgs     map[int64]message
	nextMsg  int64
	conns    map[*websocket.Conn]context.CancelFunc
	calls    []Call
	done     []Call        // calls carried out (answered ok), in order
	changed  chan struct{} // closed and replaced on every call and connection
	connects int

	// Misbehaviour switches.
	okButNothing map[string]bool // actions answered ok without doing anything
	silent       map[string]bool // actions never answered
	unsupported  map[string]bool // actions answered failed 1404, as an implementation without them
	noHeartbeat  bool
	rejectAll    bool // refuse every connection with 401 (a wrong token on the bot's side)
}

// NewServer starts a fake serving forward WebSocket on loopback.
func NewServer(o Options) *Server {
	s := newFake(o)
	s.http = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

func newFake(o Options) *Server {
	if o.SelfID == 0 {
		o.SelfID = 10000
	}
	if o.Nickname == "" {
		o.Nickname = "机器人"
	}
	friends := map[int64]string{}
	for id, nick := range o.Friends {
		friends[id] = nick
	}
	return &Server{opts: o, groups: map[int64]*group{}, friends: friends, msgs: map[int64]message{}, nextMsg: 1000,
		conns: map[*websocket.Conn]context.CancelFunc{}, changed: make(chan struct{}),
		okButNothing: map[string]bool{}, silent: map[string]bool{}, unsupported: map[string]bool{}}
}

// URL is the forward WebSocket address (ws://127.0.0.1:port).
func (s *Server) URL() string { return "ws" + strings.TrimPrefix(s.http.URL, "http") }

// Close stops the server and drops every connection.
func (s *Server) Close() {
	s.Drop()
	if s.http != nil {
		s.http.Close()
	}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	reject := s.rejectAll
	s.mu.Unlock()
	if tok := s.opts.Token; reject || (tok != "" && r.Header.Get("Authorization") != "Bearer "+tok && r.URL.Query().Get("access_token") != tok) {
		http.Error(w, "token mismatch", http.StatusUnauthorized)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	s.serve(r.Context(), ws)
}

// DialReverse connects to a bot listening for reverse WebSocket (url "ws://host:port/")
// as a universal client, and serves the connection until ctx ends or it drops.
func (s *Server) DialReverse(ctx context.Context, url string) error {
	h := http.Header{}
	h.Set("X-Self-ID", strconv.FormatInt(s.opts.SelfID, 10))
	h.Set("X-Client-Role", "Universal")
	if s.opts.Token != "" {
		h.Set("Authorization", "Bearer "+s.opts.Token)
	}
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp != nil {
			return fmt.Errorf("dial %s: HTTP %d: %w", url, resp.StatusCode, err)
		}
		return err
	}
	go s.serve(ctx, ws)
	return nil
}

// serve runs one connection: the lifecycle event, heartbeats, and answers to calls.
func (s *Server) serve(ctx context.Context, ws *websocket.Conn) {
	ws.SetReadLimit(64 << 20)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.conns[ws] = cancel
	s.connects++
	s.notifyLocked()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, ws)
		s.notifyLocked()
		s.mu.Unlock()
		ws.CloseNow()
	}()
	s.write(ctx, ws, s.meta("lifecycle", map[string]any{"sub_type": "connect"}))
	if s.opts.Heartbeat > 0 {
		go s.beat(ctx, ws)
	}
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var req struct {
			Action string          `json:"action"`
			Params json.RawMessage `json:"params"`
			Echo   json.RawMessage `json:"echo"`
		}
		if err := json.Unmarshal(data, &req); err != nil {
			continue
		}
		c := Call{Action: req.Action, Echo: req.Echo, Params: map[string]any{}}
		if len(req.Params) > 0 {
			dec := json.NewDecoder(strings.NewReader(string(req.Params)))
			dec.UseNumber()
			_ = dec.Decode(&c.Params)
		}
		s.mu.Lock()
		s.calls = append(s.calls, c)
		silent := s.silent[c.Action]
		s.notifyLocked()
		s.mu.Unlock()
		if silent {
			continue // the echo that never comes back
		}
		data2, events, status, retcode, msg := s.act(c)
		if status == "ok" {
			s.mu.Lock()
			s.done = append(s.done, c)
			s.notifyLocked()
			s.mu.Unlock()
		}
		resp := map[string]any{"status": status, "retcode": retcode, "data": data2}
		if msg != "" {
			resp["msg"], resp["wording"] = msg, msg
		}
		if c.Echo != nil {
			resp["echo"] = c.Echo
		}
		// Events interleave with answers: a heartbeat goes out between the call and its
		// answer, and the notices an action causes go out just before its answer.
		if s.opts.Heartbeat > 0 {
			s.write(ctx, ws, s.meta("heartbeat", map[string]any{"interval": s.opts.Heartbeat.Milliseconds(), "status": map[string]any{"online": true, "good": true}}))
		}
		for _, ev := range events {
			s.Broadcast(ev)
		}
		s.write(ctx, ws, resp)
	}
}

func (s *Server) beat(ctx context.Context, ws *websocket.Conn) {
	t := time.NewTicker(s.opts.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		stop := s.noHeartbeat
		s.mu.Unlock()
		if stop {
			continue
		}
		s.write(ctx, ws, s.meta("heartbeat", map[string]any{"interval": s.opts.Heartbeat.Milliseconds(), "status": map[string]any{"online": true, "good": true}}))
	}
}

func (s *Server) write(ctx context.Context, ws *websocket.Conn, v any) {
	b, _ := json.Marshal(v)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = ws.Write(wctx, websocket.MessageText, b)
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) meta(kind string, extra map[string]any) map[string]any {
	ev := map[string]any{"time": time.Now().Unix(), "self_id": s.opts.SelfID, "post_type": "meta_event", "meta_event_type": kind}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}

// Broadcast sends an event (any JSON value) to every connection.
func (s *Server) Broadcast(ev any) {
	s.mu.Lock()
	conns := make([]*websocket.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		s.write(context.Background(), c, ev)
	}
}

// SendRaw sends a text frame as is (malformed JSON, unknown shapes).
func (s *Server) SendRaw(text string) {
	s.mu.Lock()
	conns := make([]*websocket.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.Write(ctx, websocket.MessageText, []byte(text))
		cancel()
	}
}

// Drop closes every connection abruptly (the implementation restarting).
func (s *Server) Drop() {
	s.mu.Lock()
	conns := s.conns
	s.conns = map[*websocket.Conn]context.CancelFunc{}
	s.notifyLocked()
	s.mu.Unlock()
	for c, cancel := range conns {
		cancel()
		c.CloseNow()
	}
}

// Connected reports how many connections are open.
func (s *Server) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Connects counts the connections made since the start.
func (s *Server) Connects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connects
}

// OkButNothing makes an action answer ok without doing anything (no change, no notice).
func (s *Server) OkButNothing(action string, on bool) {
	s.mu.Lock()
	s.okButNothing[action] = on
	s.mu.Unlock()
}

// Silence makes an action never answered.
func (s *Server) Silence(action string, on bool) {
	s.mu.Lock()
	s.silent[action] = on
	s.mu.Unlock()
}

// Unsupported makes an action answer failed (retcode 1404), as an implementation that
// lacks it does.
func (s *Server) Unsupported(action string, on bool) {
	s.mu.Lock()
	s.unsupported[action] = on
	s.mu.Unlock()
}

// StopHeartbeat stops (or resumes) heartbeats while keeping the connection open.
func (s *Server) StopHeartbeat(stop bool) {
	s.mu.Lock()
	s.noHeartbeat = stop
	s.mu.Unlock()
}

// RejectAll refuses (or accepts again) every connection with HTTP 401.
func (s *Server) RejectAll(on bool) {
	s.mu.Lock()
	s.rejectAll = on
	s.mu.Unlock()
}

// Done returns the calls carried out so far (answered ok): what members saw happen.
func (s *Server) Done() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.done...)
}

// Calls returns the calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Wait waits until cond holds over the calls received (checked on every call and
// connection change), or the timeout; it returns the calls and whether cond held.
func (s *Server) Wait(timeout time.Duration, cond func(calls []Call) bool) ([]Call, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		calls := append([]Call(nil), s.calls...)
		ch := s.changed
		s.mu.Unlock()
		if cond(calls) {
			return calls, true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return calls, false
		}
	}
}

// WaitConnected waits for n open connections.
func (s *Server) WaitConnected(timeout time.Duration, n int) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ok := len(s.conns) >= n
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}
