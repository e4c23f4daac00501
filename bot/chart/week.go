package chart

import (
	"fmt"
	"time"

	"qunbot/bot"
)

// SendWeek queues the week's activity chart to the owner after the weekly report: a line
// saying how to read it, then the PNG. from and to are the report's local midnights (to
// exclusive). Platforms that cannot send images, and weeks without a message, get nothing
// more than the text report.
func SendWeek(t *bot.Turn, from, to time.Time) error {
	if !t.Engine().CanSendImages() {
		return nil
	}
	days, err := Series(t.Tx, t.Group.Key, from, to)
	if err != nil {
		return fmt.Errorf("weekly chart of %s: %w", t.Group.Name, err)
	}
	quiet := true
	for _, d := range days {
		quiet = quiet && d.Messages == 0
	}
	if quiet {
		return nil // an empty chart says nothing the report's "消息 0 条" does not
	}
	img, err := PNG(days)
	if err != nil {
		return fmt.Errorf("weekly chart of %s: %w", t.Group.Name, err)
	}
	last := to.AddDate(0, 0, -1)
	if err := t.NotifyOwner(fmt.Sprintf("📈「%s」%d月%d日—%d月%d日 每日活跃：蓝柱是消息条数（左边刻度），红线是发言人数（右边刻度）。",
		t.Group.Name, from.Month(), from.Day(), last.Month(), last.Day())); err != nil {
		return err
	}
	name := fmt.Sprintf("qunbot-week-%s-%s.png", from.Format("20060102"), last.Format("20060102"))
	return t.NotifyOwnerImage(img, name)
}
