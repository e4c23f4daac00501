package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/eatmoreapple/openwechat"

	"qunbot/bot"
)

func TestBackoffSchedule(t *testing.T) {
	b := backoff{base: time.Second, max: time.Minute}
	for attempt := 0; attempt < 100; attempt++ {
		d := time.Second << uint(min(attempt, 30))
		if attempt >= 6 {
			d = time.Minute
		}
		lo, hi := b.delay(attempt, 0), b.delay(attempt, 0.999999)
		if lo != d/2 || hi > d || hi < d-time.Millisecond {
			t.Errorf("attempt %d: delay in [%v, %v], want [%v, %v]", attempt, lo, hi, d/2, d)
		}
	}
	if got := b.delay(3, 7); got != 4*time.Second {
		t.Errorf("out-of-range unit must not escape the bounds: %v", got)
	}
}

func TestIDSetForgetsOldestOnly(t *testing.T) {
	s := newIDSet(3)
	for _, id := range []string{"1", "2", "3"} {
		if !s.add(id) {
			t.Fatalf("%s reported as seen", id)
		}
	}
	if s.add("2") {
		t.Error("replay of 2 not caught")
	}
	s.add("4") // evicts 1
	if !s.add("1") {
		t.Error("1 should have been forgotten")
	}
	if s.add("4") || s.add("1") {
		t.Error("recent ids must still be remembered")
	}
	if !s.add("") || !s.add("") {
		t.Error("messages without id must pass")
	}
	if len(s.ids) != 3 {
		t.Errorf("memory not bounded: %d ids kept", len(s.ids))
	}
}

func TestEchoLog(t *testing.T) {
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newEchoLog(15*time.Second, 2*time.Minute, 2)
	l.add("filehelper", "提醒：\r\n明天开会 ", now)
	if l.take("@@g", "提醒：\n明天开会", nil, time.Time{}, now) {
		t.Error("matched another chat")
	}
	if !l.take("filehelper", "提醒：\n明天开会", nil, time.Time{}, now.Add(time.Second)) {
		t.Error("echo not recognised")
	}
	if l.take("filehelper", "提醒：\n明天开会", nil, time.Time{}, now.Add(time.Second)) {
		t.Error("one send must swallow one echo only")
	}

	// By id, however late and whatever the text (WeChat may render it differently).
	e := l.add("filehelper", "你好", now)
	l.sent(e, "7001")
	if !l.take("filehelper", "你好 ", []string{"6999", "7001"}, time.Time{}, now.Add(90*time.Second)) {
		t.Error("echo with the send's id not recognised")
	}
	// The owner typing the same words a little later is the owner: not swallowed.
	l.add("@@g", "早上好", now)
	if l.take("@@g", "早上好", []string{"8000"}, now.Add(30*time.Second), now.Add(30*time.Second)) {
		t.Error("the owner's own words, 30 s after the bot's, were taken for an echo")
	}
	// An echo handled late (a busy engine) is still one: WeChat created it at the send.
	l.add("@@g", "晚安", now)
	if !l.take("@@g", "晚安", []string{"8001"}, now.Add(time.Second), now.Add(50*time.Second)) {
		t.Error("a late-handled echo created right after the send was not recognised")
	}
	l.add("filehelper", "旧", now)
	if l.take("filehelper", "旧", nil, time.Time{}, now.Add(3*time.Minute)) {
		t.Error("expired entry matched")
	}
	for i := range 5 {
		l.add("x", strconv.Itoa(i), now)
	}
	if len(l.entries) != 2 {
		t.Errorf("echo log not bounded: %d", len(l.entries))
	}
}

func TestIsRetryable(t *testing.T) {
	network := errors.Join(openwechat.NetworkErr, errors.New("dial tcp: connection refused"))
	cases := []struct {
		name      string
		err       error
		retryable bool
		tooOften  bool
	}{
		{"nil", nil, false, false},
		{"ret 1205", openwechat.Ret(1205), true, true},
		{"classified 1205", fmt.Errorf("send: %w", classify(openwechat.Ret(1205))), true, true},
		{"ret 1101", openwechat.Ret(1101), true, false},
		{"ret 1100 classified", classify(openwechat.Ret(1100)), true, false},
		{"ret 1 param error", openwechat.Ret(1), false, false},
		{"ret -1 sys error", classify(openwechat.Ret(-1)), false, false},
		{"network", network, true, false},
		{"network classified", classify(network), true, false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), true, false},
		{"canceled", context.Canceled, false, false},
		{"not logged in", fmt.Errorf("send: %w", ErrNotLoggedIn), true, false},
		{"not logged in after cancel", fmt.Errorf("%w: %w", ErrNotLoggedIn, context.Canceled), true, false},
		{"unknown id", fmt.Errorf("x: %w", ErrUnknownID), false, false},
		{"not supported", fmt.Errorf("x: %w", bot.ErrNotSupported), false, false},
		{"bad json", io.ErrUnexpectedEOF, false, false},
	}
	for _, tc := range cases {
		if got := IsRetryable(tc.err); got != tc.retryable {
			t.Errorf("%s: IsRetryable = %v", tc.name, got)
		}
		if got := IsTooOften(tc.err); got != tc.tooOften {
			t.Errorf("%s: IsTooOften = %v", tc.name, got)
		}
	}
	if err := classify(openwechat.Ret(1205)); !errors.Is(err, ErrTooOften) {
		t.Errorf("classify lost the sentinel: %v", err)
	}
	var ret openwechat.Ret
	if err := classify(openwechat.Ret(1101)); !errors.As(err, &ret) || ret != 1101 || !errors.Is(err, ErrSessionExpired) {
		t.Errorf("classify lost the ret code: %v", err)
	}
}

func TestHotFileIsPrivateAndAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "hot.json")
	h := newHotFile(path, &hotGate{})
	if _, err := h.Read(make([]byte, 8)); !errors.Is(err, openwechat.ErrInvalidStorage) {
		t.Errorf("missing file: %v, want openwechat.ErrInvalidStorage (falls through to QR login)", err)
	}
	if hasHotSession(path) {
		t.Error("no session yet")
	}
	if _, err := h.Write([]byte(`{"one":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Write([]byte(`{"two":2}`)); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v: want 0600", st.Mode(), err)
	}
	if dst, _ := os.Stat(filepath.Dir(path)); dst.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", dst.Mode().Perm())
	}
	b, _ := io.ReadAll(newHotFile(path, &hotGate{}))
	if string(b) != `{"two":2}` {
		t.Errorf("content %q: each write must replace the file", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if !hasHotSession(path) {
		t.Error("session not detected")
	}
}

func TestPrepareHotFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new", "hot.json")
	if tightened, err := prepareHotFile(path); err != nil || tightened {
		t.Fatalf("new path: %v %v", tightened, err)
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		t.Errorf("directory not created: %v", err)
	}
	if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if tightened, err := prepareHotFile(path); err != nil || !tightened {
		t.Fatalf("loose mode: %v %v", tightened, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after prepare", st.Mode().Perm())
	}
	if _, err := prepareHotFile(dir); err == nil {
		t.Error("a directory as hot-login file must be refused")
	}
}

func TestRunRefusesBadSetup(t *testing.T) {
	a := New(Options{HotLoginFile: filepath.Join(t.TempDir(), "x.json")})
	if err := a.Run(context.Background(), nil); err == nil {
		t.Error("nil events channel accepted")
	}
	dir := t.TempDir()
	a = New(Options{HotLoginFile: dir}) // a directory
	if err := a.Run(context.Background(), make(chan bot.Event)); err == nil {
		t.Error("unusable hot-login path accepted")
	}
}

func TestIDBookTranslatesRecentLoginsOnly(t *testing.T) {
	b := newIDBook()
	b.noteGroup("@@g1", "读书会", 1)
	b.noteGroup("@@g2", "读书会", 2)
	b.noteFriend("@f1", "nick:张三", 1)
	b.prune(2)
	if _, ok := b.group("@@g1"); ok {
		t.Error("id from a pruned login still translated")
	}
	if name, ok := b.group("@@g2"); !ok || name != "读书会" {
		t.Errorf("recent id lost: %q %v", name, ok)
	}
	if _, ok := b.friend("@f1"); ok {
		t.Error("friend id from a pruned login still translated")
	}
}

// A save after the adapter stopped must not touch the file (the library's goroutines may
// outlive Run by a moment).
func TestHotFileRefusesWritesAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s", "hot.json")
	gate := &hotGate{}
	h := newHotFile(path, gate)
	if _, err := h.Write([]byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	gate.close()
	if _, err := h.Write([]byte(`{"a":2}`)); !errors.Is(err, errHotFileClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != `{"a":1}` {
		t.Fatalf("file changed after close: %s", b)
	}
}
