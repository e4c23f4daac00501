package wechat

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
)

func (n *notes) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.msgs)
}

// A flagged account: every login is ended by WeChat with 1102 two seconds later
// (openwechat #565). The breaker stops after its threshold with one message for the owner,
// instead of logging in again and again — which is what gets such accounts banned.
func TestBanLoopStopsAfterThresholdWithOneMessage(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	threshold := h.a.tune.breakerSessions
	for i := 1; i <= threshold; i++ {
		h.session(i)
		h.clock.Advance(2 * time.Second)
		f.forceSyncRet("1102")
		if i < threshold {
			h.clock.Advance(h.clock.nextSleep(t))
		}
	}
	// Wait until the breaker has tripped (the supervisor parks without sleeping).
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for paused, _ := h.a.Paused(); !paused; paused, _ = h.a.Paused() {
		h.a.mu.Lock()
		ch := h.a.changed
		h.a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("no pause after %d short sessions", threshold)
		}
	}
	// Hours pass: nothing logs in again.
	for range 5 {
		h.clock.Advance(6 * time.Hour)
	}
	if n := f.count("webwxinit"); n != threshold {
		t.Errorf("%d logins, want the breaker to stop at %d", n, threshold)
	}
	if n := h.notes.count(); n != 1 {
		t.Fatalf("owner told %d times, want once:\n%s", n, h.notes.all())
	}
	note := h.notes.all()
	for _, w := range []string{"暂停", "1102", "重新登录", "QQ", "OneBot"} {
		if !strings.Contains(note, w) {
			t.Errorf("the owner's note lacks %q:\n%s", w, note)
		}
	}
	if strings.Contains(note, "微信已重新登录") {
		t.Errorf("the loop posted 「微信已重新登录」: %s", note)
	}
	if term := h.qr.String(); !strings.Contains(term, "暂停") || !strings.Contains(term, "重新登录") {
		t.Errorf("the terminal was not told:\n%s", term)
	}
	err := h.a.SendText(context.Background(), "读书会", "早上好", nil)
	if !errors.Is(err, ErrLoginPaused) || IsRetryable(err) {
		t.Errorf("send while paused: %v, want ErrLoginPaused, not retryable", err)
	}

	// The owner resumes from the terminal.
	pr, pw := io.Pipe()
	go h.a.WatchTerminal(h.ctx, pr)
	if _, err := pw.Write([]byte("重新登录\n")); err != nil {
		t.Fatal(err)
	}
	s := h.session(threshold + 1)
	pw.Close()
	if paused, _ := h.a.Paused(); paused {
		t.Error("still paused after 重新登录")
	}
	if !strings.Contains(h.qr.String(), "正在重新登录") {
		t.Errorf("terminal did not answer:\n%s", h.qr.String())
	}
	// The session after a resume is not held back: the owner hears at once what happened.
	if n := h.notes.count(); n != 2 || !strings.Contains(h.notes.all(), "恢复") {
		t.Errorf("after the resume the owner gets one dated summary, got %d notes:\n%s", n, h.notes.all())
	}
	if s.seq != threshold+1 {
		t.Errorf("session %d after resume", s.seq)
	}
}

// Short sessions that are not in a row do not trip the breaker: a session that lives resets
// the count. The re-login note after a short session waits until the next session has
// proven stable (here: the sync check after a minute), so a loop never posts it.
func TestShortSessionsApartDoNotTrip(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	seq := 1
	for round := 0; round < 3; round++ {
		for range h.a.tune.breakerSessions - 1 {
			h.session(seq)
			f.forceSyncRet("1102")
			h.clock.Advance(h.clock.nextSleep(t))
			seq++
		}
		h.session(seq)
		before := h.notes.count()
		// This one lives past the short-session mark; the next sync check sends the note.
		h.clock.Advance(90 * time.Second)
		f.says("books", "zhangsan", "还在")
		if ev := h.next(); ev.Text != "还在" {
			t.Fatalf("got %+v", ev)
		}
		if h.notes.count() != before+1 || !strings.Contains(h.notes.all(), "1102") {
			t.Fatalf("round %d: the stable session's note was not sent: %s", round, h.notes.all())
		}
		if paused, _ := h.a.Paused(); paused {
			t.Fatalf("round %d: paused although no %d short sessions were in a row", round, h.a.tune.breakerSessions)
		}
		f.forceSyncRet("1101")
		h.clock.Advance(h.clock.nextSleep(t))
		seq++
	}
	// Notes: round 0 one (held, then sent); rounds 1 and 2 two each — the first session
	// after the long one is told at once (nothing suggested a loop), the stable one after
	// the short ones when it has proven stable. None for the short sessions in between.
	if n := h.notes.count(); n != 5 {
		t.Errorf("%d notes, want 5:\n%s", n, h.notes.all())
	}
}

// WeChat refuses the account outright (ret 1203, 「此微信号不能登录网页微信」): no retry at
// all, not even a push or QR login after a refused hot login.
func TestRefusedAccountStopsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  harnessConfig
	}{
		{"refused at the QR login", harnessConfig{noHotLogin: true}},
		{"refused at the hot login", harnessConfig{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeWeChat(t)
			standardGroup(f)
			f.set(func(f *fakeWeChat) { f.refuse = true })
			h := newHarness(t, f, tc.cfg)
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			for paused, _ := h.a.Paused(); !paused; paused, _ = h.a.Paused() {
				h.a.mu.Lock()
				ch := h.a.changed
				h.a.mu.Unlock()
				select {
				case <-ch:
				case <-ctx.Done():
					t.Fatal("a refused account is still being retried")
				}
			}
			h.clock.Advance(24 * time.Hour)
			if f.count("webwxpushloginurl") != 0 || f.count("jslogin") > 1 {
				t.Errorf("push %d, QR %d: a refused account must not be tried another way",
					f.count("webwxpushloginurl"), f.count("jslogin"))
			}
			if n := h.notes.count(); n != 1 || !strings.Contains(h.notes.all(), "拒绝") {
				t.Errorf("owner told %d times: %s", n, h.notes.all())
			}
			if !strings.Contains(h.qr.String(), "拒绝") {
				t.Errorf("terminal not told:\n%s", h.qr.String())
			}
		})
	}
}

func TestIsRefusal(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{errors.New("为了你的帐号安全，此微信号不能登录网页微信。你可以使用Windows微信或Mac微信在电脑端登录。"), true},
		{errors.New("为了你的帐号安全，此微信号已不允许登录网页微信。"), true},
		{errors.New(`Get "https://wx2.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage": 301 response missing Location header`), true},
		{classify(errors.Join(errors.New("init user info"), retLoginRefused)), true},
		{retCookieInvalid, false},
		{errors.New("login timeout"), false},
		{nil, false},
	} {
		if got := isRefusal(tc.err); got != tc.want {
			t.Errorf("isRefusal(%v) = %v", tc.err, got)
		}
	}
}

// Relogin when nothing is paused says so; the console command answers through the engine
// (engine_e2e_test.go).
func TestReloginWhenNotPaused(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	if got := h.a.Relogin(); !strings.Contains(got, "在线") {
		t.Errorf("Relogin while online: %q", got)
	}
	// The terminal is not read before anything is paused: a bot in the background is safe.
	r := &countingReader{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.a.WatchTerminal(ctx, r); close(done) }()
	cancel()
	<-done
	if r.n != 0 {
		t.Errorf("the terminal was read %d times before any pause", r.n)
	}
}

type countingReader struct{ n int }

func (r *countingReader) Read([]byte) (int, error) { r.n++; return 0, io.EOF }

// One device id for every login of an installation, kept beside the session file: the
// first login after an upgrade adopts the id the saved session was made with, a push login
// (which builds a new request) keeps it, and so does a fresh QR login after a restart.
func TestDeviceIDIsStableAcrossLogins(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	f.forceInitRet(1101) // the saved session expired: push login, which draws a device id
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	const saved = "e123456789012345" // writeFakeHotLogin's
	ids := f.devices()
	if len(ids) != 2 || ids[0] != saved || ids[1] != saved {
		t.Fatalf("device ids %v: the push login must keep the installation's id %s", ids, saved)
	}
	b, err := os.ReadFile(h.a.opts.DeviceIDFile)
	if err != nil || strings.TrimSpace(string(b)) != saved {
		t.Fatalf("device id file: %q, %v", b, err)
	}
	if st, _ := os.Stat(h.a.opts.DeviceIDFile); st.Mode().Perm() != 0o600 {
		t.Errorf("device id file mode %v", st.Mode().Perm())
	}

	// A restart without the session (QR login) keeps it too.
	h.cancel()
	<-h.done
	h.done <- nil // for the cleanup
	if err := os.Remove(h.hot); err != nil {
		t.Fatal(err)
	}
	a := New(Options{HotLoginFile: h.hot, QRWriter: io.Discard, Logger: slogTo(&syncBuffer{}), Transport: f,
		Now: h.clock.Now, Sleep: h.clock.Sleep, tune: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, make(chan bot.Event, 64)) }()
	wctx, wcancel := context.WithTimeout(ctx, waitLimit)
	defer wcancel()
	if _, err := a.waitLive(wctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if ids := f.devices(); ids[len(ids)-1] != saved || f.count("jslogin") != 1 {
		t.Errorf("after a restart with a QR login: device ids %v (jslogin %d)", ids, f.count("jslogin"))
	}
}

func TestDeviceIDFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/device"
	id, note, err := loadDeviceID(path, dir+"/none.json")
	if err != nil || !validDeviceID(id) || note != "" {
		t.Fatalf("new id %q %q %v", id, note, err)
	}
	again, _, _ := loadDeviceID(path, dir+"/none.json")
	if again != id {
		t.Errorf("id changed between runs: %s → %s", id, again)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	fixed, note, err := loadDeviceID(path, dir+"/none.json")
	if err != nil || !validDeviceID(fixed) || note == "" {
		t.Errorf("invalid file: %q %q %v", fixed, note, err)
	}
	for _, bad := range []string{"", "e12345", "x123456789012345", "e12345678901234a", "e1234567890123456"} {
		if validDeviceID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
