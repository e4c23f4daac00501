package engage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/storage"
)

const benchMembers = 1000

// benchHarness is an engine on a temp-file database (WAL, as in production) with a group of
// benchMembers members who have all spoken before.
func benchHarness(b *testing.B, yamlText string) (*harness, []bot.MemberInfo) {
	h := newHarness(b, yamlText)
	h.say("成员0", "大家好") // creates the group
	key, _ := h.e.GroupKey(testGroup)
	infos := make([]bot.MemberInfo, benchMembers)
	err := h.st.Update(context.Background(), func(tx *storage.Tx) error {
		for i := range infos {
			infos[i] = bot.MemberInfo{ID: fmt.Sprint("成员", i), Nickname: fmt.Sprint("成员", i)}
			if i == 0 {
				continue
			}
			if _, err := tx.InsertMember(storage.Member{GroupKey: key, PlatformID: infos[i].ID, Nickname: infos[i].Nickname,
				FirstSeen: h.clock.Now(), Welcomed: true}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	h.take()
	return h, infos
}

// BenchmarkCheckinThroughEngine is the whole trip of a 签到 message: dedupe, identity,
// the check-in row, the ledger entry, rank, audit, the queued reply, commit and delivery.
// Each check-in is its own event and transaction, as in production.
func BenchmarkCheckinThroughEngine(b *testing.B) {
	h, infos := benchHarness(b, "")
	ctx := context.Background()
	g := bot.GroupInfo{ID: testGroup, Name: testGroup}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%benchMembers == 0 {
			h.clock.Set(h.clock.Now().Add(24 * time.Hour)) // everyone has checked in: next day
		}
		h.e.Handle(ctx, bot.Event{Type: bot.EventMessage, ID: fmt.Sprint("c", i), Time: h.clock.Now(), Group: g,
			Sender: infos[i%benchMembers], Kind: bot.KindText, Text: "签到"})
		if i%256 == 0 {
			h.take() // keep the recorded sends from growing without bound
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checkins/s")
	if h.balance("成员0") < 10 {
		b.Fatal("no check-in paid")
	}
}

// BenchmarkMessagePointsThroughEngine is the whole trip of an ordinary chat message that
// earns a point: dedupe, identity, the daily-cap sum, the ledger entry, audit, the activity
// counter and commit.
func BenchmarkMessagePointsThroughEngine(b *testing.B) {
	h, infos := benchHarness(b, "defaults:\n  points: {daily_cap: 1000000}\n")
	ctx := context.Background()
	g := bot.GroupInfo{ID: testGroup, Name: testGroup}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.e.Handle(ctx, bot.Event{Type: bot.EventMessage, ID: fmt.Sprint("p", i), Time: h.clock.Now(), Group: g,
			Sender: infos[i%benchMembers], Kind: bot.KindText, Text: "今天这一章读得很有收获"})
		if i%256 == 0 {
			h.take()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
}
