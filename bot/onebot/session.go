package onebot

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"qunbot/bot"
)

// session is one live connection: its API multiplexer, the queue of events read from it
// (the reader never waits for the engine, so answers to calls always get through), and
// what it learned at the start.
type session struct {
	a      *Adapter
	c      *conn
	ctx    context.Context
	cancel context.CancelCauseFunc

	queue     eventQueue
	lastFrame atomic.Int64 // unix nanoseconds of the last frame read
	interval  atomic.Int64 // heartbeat interval the implementation announced, in ms (0: none yet)
	selfSeen  atomic.Value // string: the self_id events carry, should get_login_info not say
}

func (s *session) call(ctx context.Context, action string, params map[string]any) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, s.a.opts.CallTimeout)
	defer cancel()
	return s.c.call(ctx, action, params)
}

// errStale ends a connection whose heartbeats stopped.
var errStale = errors.New("no heartbeat from the OneBot implementation: reconnecting / OneBot 实现的心跳停了，重新连接")

// Run connects to the implementation and keeps connected until ctx ends, sending the
// events it translates. Forward WebSocket (URL) reconnects with back-off and jitter after
// every drop or refusal; reverse WebSocket (Listen) waits for the implementation to
// connect in (again). It returns nil when ctx ends, or an error it cannot retry (the
// listen address is taken).
func (a *Adapter) Run(ctx context.Context, events chan<- bot.Event) error {
	if a.opts.Listen != "" || a.opts.Listener != nil {
		return a.runReverse(ctx, events)
	}
	if a.opts.URL == "" {
		return errors.New("onebot: neither url nor listen is set / 没有配置 onebot.url 或 onebot.listen")
	}
	failures := 0
	for {
		started := a.opts.Now()
		a.status("🔌 连接中：" + a.opts.URL)
		err := a.dialAndServe(ctx, events)
		if ctx.Err() != nil {
			return nil
		}
		if a.opts.Now().Sub(started) > 2*time.Minute {
			failures = 0 // it ran for a while: this is a fresh drop, not a failing loop
		}
		failures++
		wait := a.backoff(failures)
		a.log.Warn("OneBot 连接断开或失败，稍后重连 / OneBot connection lost or refused; reconnecting",
			"url", a.opts.URL, "err", err, "attempt", failures, "retry_in", wait.Round(time.Millisecond))
		a.status(fmt.Sprintf("⚠️ 连不上 OneBot 实现（NapCat 等），%d 秒后重试（第 %d 次）", int(wait.Round(time.Second)/time.Second), failures))
		if err := a.opts.Sleep(ctx, wait); err != nil {
			return nil
		}
	}
}

// dialAndServe makes one forward connection and serves it until it ends.
func (a *Adapter) dialAndServe(ctx context.Context, events chan<- bot.Event) error {
	h := http.Header{}
	if a.opts.AccessToken != "" {
		h.Set("Authorization", "Bearer "+a.opts.AccessToken)
	}
	dctx, cancel := context.WithTimeout(ctx, a.opts.CallTimeout)
	ws, resp, err := websocket.Dial(dctx, a.opts.URL, &websocket.DialOptions{HTTPHeader: h})
	cancel()
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return fmt.Errorf("OneBot 实现拒绝了连接（HTTP %d）：access_token 不对，请让 onebot.access_token 和实现里的 token 一致 / the implementation refused the token (HTTP %d): make onebot.access_token match its token",
				resp.StatusCode, resp.StatusCode)
		}
		return fmt.Errorf("连不上 %s：OneBot 实现（NapCat 等）启动了吗？它的 WebSocket 服务端（正向）打开了吗？地址和端口对吗？/ cannot reach %s: is the implementation running with its WebSocket server on?: %w",
			a.opts.URL, a.opts.URL, err)
	}
	return a.serve(ctx, ws, events, "")
}

// runReverse listens for the implementation's reverse WebSocket connection; a new one
// replaces the old (an implementation that reconnected).
func (a *Adapter) runReverse(ctx context.Context, events chan<- bot.Event) error {
	ln := a.opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", a.opts.Listen); err != nil {
			return fmt.Errorf("监听 %s 失败（端口被占用？）/ listen on %s: %w", a.opts.Listen, a.opts.Listen, err)
		}
	}
	incoming := make(chan accepted)
	srv := &http.Server{Handler: a.reverseHandler(ctx, incoming), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	a.log.Info("等待 OneBot 实现连接（反向 WebSocket）/ waiting for the OneBot implementation to connect", "listen", ln.Addr().String())
	a.status("🔌 等待 OneBot 实现连进来（反向 WebSocket，监听 " + ln.Addr().String() + "）")
	var wg sync.WaitGroup
	defer wg.Wait()
	var stop context.CancelFunc = func() {}
	defer func() { stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case in := <-incoming:
			stop() // the implementation connected again: the old connection is gone for it
			sctx, cancel := context.WithCancel(ctx)
			stop = cancel
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := a.serve(sctx, in.ws, events, in.selfID); err != nil && sctx.Err() == nil {
					a.log.Warn("OneBot 反向连接断开，等待实现重连 / reverse connection lost; waiting for the implementation", "err", err)
				}
			}()
		}
	}
}

type accepted struct {
	ws     *websocket.Conn
	selfID string
}

// reverseHandler accepts the implementation's connection: the token must match, and the
// client must be universal (API calls and events on one connection).
func (a *Adapter) reverseHandler(ctx context.Context, incoming chan<- accepted) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := a.opts.AccessToken; tok != "" {
			got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if got == "" {
				got = r.URL.Query().Get("access_token")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
				a.log.Error("OneBot 实现连接时带的 access_token 不对，已拒绝；请让实现里的 token 和 onebot.access_token 一致 / refused a connection with a wrong access token",
					"remote", r.RemoteAddr)
				http.Error(w, "wrong access token", http.StatusUnauthorized)
				return
			}
		}
		if role := r.Header.Get("X-Client-Role"); role != "" && !strings.EqualFold(role, "Universal") {
			a.log.Error("OneBot 实现用了分开的 API/Event 连接；请在实现里选择 Universal（通用）客户端 / only a Universal reverse client is supported",
				"role", role)
			http.Error(w, "use a Universal client", http.StatusBadRequest)
			return
		}
		// The library's origin check stays on: an implementation sends no Origin header,
		// while a web page in the owner's browser would, and must not pose as QQ.
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			a.log.Warn("reverse WebSocket handshake failed", "err", err)
			return
		}
		select {
		case incoming <- accepted{ws: ws, selfID: r.Header.Get("X-Self-ID")}:
		case <-ctx.Done():
			ws.CloseNow()
		}
	})
}

// serve runs one connection: reads frames, logs in, then translates events in order
// until the connection ends, its heartbeats stop, or ctx ends.
func (a *Adapter) serve(ctx context.Context, ws *websocket.Conn, events chan<- bot.Event, selfHint string) error {
	sctx, cancel := context.WithCancelCause(ctx)
	s := &session{a: a, c: newConn(ws), ctx: sctx, cancel: cancel}
	s.queue.init()
	s.lastFrame.Store(a.opts.Now().UnixNano())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.read() }()
	go func() { defer wg.Done(); s.watchHeartbeat() }()
	defer func() {
		cancel(nil)
		s.c.close(context.Cause(sctx))
		wg.Wait()
		a.clearCurrent(s)
	}()

	if err := s.login(selfHint); err != nil {
		return err
	}
	a.setCurrent(s)
	a.log.Info("已连接 OneBot 实现 / connected to the OneBot implementation", "self", a.st.selfID())
	a.status("✅ 已连接 OneBot 实现，机器人 QQ " + a.st.selfID())
	go s.refreshGroups()
	// Events already read are translated even after the connection drops (their member
	// look-ups then fall back to what the event says): a drop loses nothing received.
	for {
		f, ok := s.queue.pop(ctx)
		if !ok {
			break
		}
		s.translate(ctx, f, events)
	}
	if cause := context.Cause(sctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return ctx.Err()
}

// login learns who the bot is and its groups' names. Who the bot is comes from
// get_login_info, else the X-Self-ID of a reverse connection, else the self_id of the
// events read meanwhile (the connect event comes first); without it nothing can be told
// apart from the bot's own messages, and the connection is given up.
func (s *session) login(selfHint string) error {
	var li loginInfo
	data, err := s.call(s.ctx, "get_login_info", nil)
	if err == nil {
		err = json.Unmarshal(data, &li)
	}
	if li.UserID == "" {
		li.UserID = ID(selfHint)
	}
	if seen, _ := s.selfSeen.Load().(string); li.UserID == "" && seen != "" {
		li.UserID = ID(seen)
	}
	if li.UserID == "" {
		return fmt.Errorf("get_login_info: 没有拿到机器人的 QQ 号 / no user_id: %v", err)
	}
	if err != nil {
		s.a.log.Warn("get_login_info failed; the bot's number comes from its events", "self", li.UserID, "err", err)
	}
	s.a.st.setSelf(string(li.UserID))
	s.a.st.markStale()
	if _, err := s.a.groupsOn(s); err != nil {
		// Not fatal: groups are then named by their numbers until the next reading.
		s.a.log.Warn("读群列表失败，先用群号代替群名 / could not read the group list", "err", err)
	}
	if err := s.a.friendsOn(s); err != nil {
		// Not fatal: private reminders go to the group instead.
		s.a.log.Info("could not read the friend list; reminders go to the group", "err", err)
	}
	return nil
}

// refreshGroups reads the group list again now and then: groups get renamed.
func (s *session) refreshGroups() {
	t := time.NewTicker(s.a.opts.GroupRefresh)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			if _, err := s.a.groupsOn(s); err != nil {
				s.a.log.Warn("refresh the group list", "err", err)
			}
			if err := s.a.friendsOn(s); err != nil {
				s.a.log.Info("refresh the friend list", "err", err)
			}
		}
	}
}

func (a *Adapter) groupsOn(s *session) ([]groupInfo, error) {
	data, err := s.call(s.ctx, "get_group_list", nil)
	if err != nil {
		return nil, fmt.Errorf("get_group_list: %w", err)
	}
	var list []groupInfo
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("get_group_list: malformed answer: %w", err)
	}
	a.st.setGroups(list)
	return list, nil
}

// read reads frames until the connection ends: responses go to their calls at once,
// events to the queue (notices that actions wait for are signalled here too, so a
// confirmation never waits behind the engine).
func (s *session) read() {
	defer func() {
		s.queue.close()
		s.cancel(nil)
	}()
	for {
		_, data, err := s.c.ws.Read(s.ctx)
		if err != nil {
			if s.ctx.Err() == nil {
				s.cancel(fmt.Errorf("read from the OneBot implementation: %w", err))
			}
			return
		}
		s.lastFrame.Store(s.a.opts.Now().UnixNano())
		f, err := parseFrame(data)
		if err != nil {
			s.a.log.Warn("忽略一条无法解析的数据 / ignoring a malformed frame", "err", err, "frame", truncate(string(data), 200))
			continue
		}
		if f.SelfID != "" {
			s.selfSeen.Store(string(f.SelfID))
		}
		if f.isResponse() {
			s.c.deliver(f)
			continue
		}
		if f.PostType == "meta_event" {
			if f.MetaEventType == "heartbeat" && f.Interval > 0 {
				s.interval.Store(f.Interval)
			}
			continue
		}
		s.a.observeNotice(f)
		s.queue.push(f)
	}
}

// watchHeartbeat ends a connection that went silent: no frame for HeartbeatMisses
// heartbeat intervals. Before the first heartbeat there is nothing to watch.
func (s *session) watchHeartbeat() {
	for {
		iv := time.Duration(s.interval.Load()) * time.Millisecond
		check := time.Second
		if iv > 0 {
			check = max(iv/2, time.Millisecond)
		}
		t := time.NewTimer(check)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if iv <= 0 {
			continue
		}
		silent := s.a.opts.Now().Sub(time.Unix(0, s.lastFrame.Load()))
		if silent > time.Duration(s.a.opts.HeartbeatMisses)*iv {
			s.cancel(fmt.Errorf("%w (silent for %s)", errStale, silent.Round(time.Millisecond)))
			return
		}
	}
}

// eventQueue is an unbounded FIFO of event frames between the reader and the translator.
type eventQueue struct {
	mu     sync.Mutex
	items  []*frame
	ready  chan struct{}
	closed bool
}

func (q *eventQueue) init() { q.ready = make(chan struct{}, 1) }

func (q *eventQueue) push(f *frame) {
	q.mu.Lock()
	q.items = append(q.items, f)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop returns the next frame; false once the queue is closed and empty, or ctx ends.
func (q *eventQueue) pop(ctx context.Context) (*frame, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			f := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			q.mu.Unlock()
			return f, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, false
		}
		select {
		case <-ctx.Done():
			return nil, false
		case <-q.ready:
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
