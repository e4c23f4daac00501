package onebot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// maxFrame bounds one frame from the implementation. A member list of a 3,000-member group
// is about a megabyte; a frame past the limit closes the connection (and it reconnects).
const maxFrame = 32 << 20

// conn multiplexes API calls over one WebSocket: each call gets a fresh echo, and its
// answer is matched by echo among the events interleaved with it. The session's reader
// feeds every response to deliver.
type conn struct {
	ws *websocket.Conn

	seq     atomic.Uint64
	mu      sync.Mutex
	pending map[string]chan *frame // echo → waiting call
	done    chan struct{}          // closed when the connection ends
	err     error                  // why it ended
}

func newConn(ws *websocket.Conn) *conn {
	ws.SetReadLimit(maxFrame)
	return &conn{ws: ws, pending: map[string]chan *frame{}, done: make(chan struct{})}
}

// call sends {action, params, echo} and waits for the response with that echo. ctx
// bounds the wait (every caller gives it a deadline). A "failed" response is an *APIError.
func (c *conn) call(ctx context.Context, action string, params map[string]any) (json.RawMessage, error) {
	echo := "qunbot-" + strconv.FormatUint(c.seq.Add(1), 10)
	ch := make(chan *frame, 1)
	c.mu.Lock()
	if c.pending == nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("%s: %w", action, ErrNotConnected)
	}
	c.pending[echo] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.pending != nil {
			delete(c.pending, echo)
		}
		c.mu.Unlock()
	}()
	if params == nil {
		params = map[string]any{}
	}
	body, err := json.Marshal(request{Action: action, Params: params, Echo: echo})
	if err != nil {
		return nil, fmt.Errorf("%s: encode: %w", action, err)
	}
	if err := c.ws.Write(ctx, websocket.MessageText, body); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", action, errTimeout)
		}
		return nil, fmt.Errorf("%s: send: %w: %w", action, ErrNotConnected, err)
	}
	select {
	case f := <-ch:
		if st := f.status(); st != "" && st != "ok" && st != "async" {
			return nil, &APIError{Action: action, Status: st, RetCode: f.RetCode, Msg: firstNonEmpty(f.Wording, f.Msg)}
		}
		if f.status() == "" && f.RetCode != 0 {
			return nil, &APIError{Action: action, Status: "failed", RetCode: f.RetCode, Msg: firstNonEmpty(f.Wording, f.Msg)}
		}
		return f.Data, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: no answer: %w", action, errTimeout)
	case <-c.done:
		return nil, fmt.Errorf("%s: %w", action, ErrNotConnected)
	}
}

// deliver hands a response to the call waiting for its echo; one nobody waits for (late,
// after a timeout) is dropped.
func (c *conn) deliver(f *frame) {
	var echo string
	if f.Echo != nil {
		if err := json.Unmarshal(*f.Echo, &echo); err != nil {
			echo = string(*f.Echo)
		}
	}
	c.mu.Lock()
	ch := c.pending[echo]
	c.mu.Unlock()
	if ch != nil {
		select {
		case ch <- f:
		default:
		}
	}
}

// close ends the connection and fails every waiting call.
func (c *conn) close(err error) {
	c.mu.Lock()
	if c.pending == nil {
		c.mu.Unlock()
		return
	}
	c.pending = nil
	c.err = err
	close(c.done)
	c.mu.Unlock()
	c.ws.Close(websocket.StatusNormalClosure, "")
}

// Errors callers can tell apart.
var (
	// ErrNotConnected: no live connection to the implementation; the outbox retries later.
	ErrNotConnected = errors.New("not connected to the OneBot implementation / 没有连上 OneBot 实现（NapCat、LLOneBot 等）")
	errTimeout      = errors.New("the OneBot implementation did not answer in time / OneBot 实现没有及时回复")
)

// APIError is a call the implementation answered with status "failed": permanent, the
// outbox does not retry it.
type APIError struct {
	Action  string
	Status  string
	RetCode int64
	Msg     string
}

func (e *APIError) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("%s failed (retcode %d): %s / OneBot 调用失败", e.Action, e.RetCode, e.Msg)
	}
	return fmt.Sprintf("%s failed (retcode %d) / OneBot 调用失败", e.Action, e.RetCode)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
