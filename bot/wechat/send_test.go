package wechat

import (
	"context"
	"errors"
	"testing"
	"time"

	"qunbot/bot"
)

// After a restart the engine knows its groups only by name until each speaks, and the
// first posts may be due before the login is done: a send by name waits for the login and
// then goes to this login's id.
func TestSendByNameWaitsForTheLogin(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	f.setNetDown(true)
	h := newHarness(t, f, harnessConfig{})
	backoff := h.clock.nextSleep(t) // the first login failed; the supervisor waits

	errc := make(chan error, 1)
	go func() { errc <- h.a.SendText(context.Background(), "读书会", "☀️ 早上好", nil) }()
	if w := h.clock.nextSleep(t); w != h.a.tune.sendWait {
		t.Fatalf("the send waits %v, want %v", w, h.a.tune.sendWait)
	}
	select {
	case err := <-errc:
		t.Fatalf("the send returned before any login: %v", err)
	default:
	}
	f.setNetDown(false)
	h.clock.Advance(backoff)
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("send after the login: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the send did not go out after the login")
	}
	sent := f.sentMessages()
	if len(sent) != 1 || sent[0].ToUserName != f.groupUN("books") || sent[0].Content != "☀️ 早上好" {
		t.Fatalf("sent %+v, want the post to this login's id of 读书会", sent)
	}
}

func TestSendByNameErrors(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	f.group("run1", "跑步群", true)
	f.group("run2", "跑步群", true)
	h := newHarness(t, f, harnessConfig{})
	h.session(1)
	ctx := context.Background()

	// A group this login does not have (yet): not saved to contacts, it shows up when it
	// speaks. Retryable, and the error says what to do.
	err := h.a.SendText(ctx, "未保存的群", "hi", nil)
	if !errors.Is(err, ErrGroupNotFound) || !IsRetryable(err) {
		t.Errorf("unknown name: %v, want retryable ErrGroupNotFound", err)
	}
	if err := h.a.SendText(ctx, "跑步群", "hi", nil); !errors.Is(err, ErrUnknownID) || IsRetryable(err) {
		t.Errorf("ambiguous name: %v, want permanent ErrUnknownID", err)
	}
	if members, err := h.a.Members(ctx, "读书会"); err != nil || len(members) != 3 {
		t.Errorf("members by name: %d, %v", len(members), err)
	}
	// An adapter that is not running does not wait.
	if err := New(Options{}).SendText(ctx, "读书会", "hi", nil); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("not running: %v", err)
	}
}

// A send that waited the whole while fails retryably: the outbox tries again later.
func TestSendWaitForLoginIsBounded(t *testing.T) {
	f := newFakeWeChat(t)
	standardGroup(f)
	f.setNetDown(true)
	h := newHarness(t, f, harnessConfig{})
	h.clock.nextSleep(t)
	errc := make(chan error, 1)
	go func() { errc <- h.a.SendDM(context.Background(), bot.Filehelper, "你好") }()
	h.clock.nextSleep(t)
	h.clock.Advance(h.a.tune.sendWait)
	select {
	case err := <-errc:
		if !errors.Is(err, ErrNotLoggedIn) || !IsRetryable(err) {
			t.Errorf("after the wait: %v, want retryable ErrNotLoggedIn", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the wait for a login is not bounded")
	}
}

// The owner typing a line the bot just sent is the owner speaking. WeChat's echo of a send
// carries the send's id: it is recognised by it, and does not leave a text entry behind
// that would swallow the owner's words.
func TestOwnerRepeatingTheBotIsNotTakenForAnEcho(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(f *fakeWeChat)
	}{
		{"echo with the send's id", func(f *fakeWeChat) { f.echoSameID = true }},
		{"echo with an id of its own", func(*fakeWeChat) {}},
		{"no echo at all", func(f *fakeWeChat) { f.noEcho = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeWeChat(t)
			standardGroup(f)
			f.set(tc.set)
			h := newHarness(t, f, harnessConfig{})
			h.session(1)
			group, self := f.groupUN("books"), f.selfUN()
			if err := h.a.SendText(context.Background(), group, "早上好", nil); err != nil {
				t.Fatal(err)
			}
			if err := h.a.SendDM(context.Background(), bot.Filehelper, "统计"); err != nil {
				t.Fatal(err)
			}
			h.expectOnlySentinel("哨兵") // the echoes are dropped
			h.clock.Advance(30 * time.Second)
			f.enqueue(fakeMsg{From: self, To: group, Type: 1, Content: "早上好"})
			if ev := h.next(); !ev.FromOwner || ev.Text != "早上好" || ev.Console {
				t.Fatalf("the owner's 早上好 was swallowed or changed: %+v", ev)
			}
			f.enqueue(fakeMsg{From: self, To: "filehelper", Type: 1, Content: "统计"})
			if ev := h.next(); !ev.Console || ev.Text != "统计" {
				t.Fatalf("the owner's console command was swallowed: %+v", ev)
			}
		})
	}
}
