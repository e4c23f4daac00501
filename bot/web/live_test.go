package web

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"qunbot/bot"
)

// TestDashboardWhileEngineRuns serves every page while the engine's loop handles events
// and the outbox delivers on its own goroutine, as in `bot run`: -race proves the
// dashboard reads only what it may (the database in read transactions, the config
// pointer, the timers through the loop).
func TestDashboardWhileEngineRuns(t *testing.T) {
	f := newFixture(t, dashboardScript(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan bot.Event)
	done := make(chan error, 1)
	f.sim.Engine.Live()
	go func() { done <- f.sim.Engine.Run(ctx, events) }()

	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2; i++ {
				for _, p := range []string{"/", "/g/1", "/g/1/week.png", "/test"} {
					if status, _ := f.get(t, p); status != http.StatusOK {
						t.Errorf("%s: %d", p, status)
					}
				}
				if status, _ := f.post(t, "/test", map[string]string{"group": "读书会", "text": "加我微信 abc12345"}); status != http.StatusOK {
					t.Errorf("tester: %d", status)
				}
			}
		}()
	}
	now := f.sim.Engine.Now()
	for i := 0; i < 30; i++ {
		name := fmt.Sprint("新人", i%4)
		ev := bot.Event{Type: bot.EventMessage, ID: fmt.Sprint("live-", i), Time: now, Group: bot.GroupInfo{ID: "读书会", Name: "读书会"},
			Sender: bot.MemberInfo{ID: name, Nickname: name}, Kind: bot.KindText, Text: fmt.Sprint("第 ", i, " 条消息，大家好")}
		if i%10 == 0 {
			ev = bot.Event{Type: bot.EventJoin, ID: fmt.Sprint("live-", i), Time: now, Group: bot.GroupInfo{ID: "读书会", Name: "读书会"},
				Members: []bot.MemberInfo{{ID: fmt.Sprint("加入", i), Nickname: fmt.Sprint("加入", i)}}}
		}
		events <- ev
	}
	wg.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
