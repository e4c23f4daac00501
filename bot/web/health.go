package web

import (
	"fmt"
	"html/template"
	"strconv"
	"time"

	"qunbot/bot/chart"
	"qunbot/bot/config"
	"qunbot/bot/schedule"
	"qunbot/storage"
)

// The group page's health section: the articles' metrics, computed by the functions the
// reports use (schedule.Shares, MemberTiers, Retention3/30) and drawn against the
// thresholds of reports.alerts, so the page and the reports never disagree.

type healthView struct {
	On     bool
	Stats  []statView
	Shares template.HTML
	Tiers  template.HTML
	Bars   template.HTML
}

func (s *Server) fillHealth(tx *storage.Tx, p *groupPage, gc *config.Group, members int, from, to time.Time) error {
	a := gc.Reports.Alerts
	today := to.AddDate(0, 0, -1)
	p.Health.On = true
	if a.MemberShare.Enabled || a.BotShare.Enabled {
		days, err := schedule.Shares(tx, p.Key, from, to)
		if err != nil {
			return err
		}
		var series []chart.ShareDay
		for _, d := range days {
			sd := chart.ShareDay{Date: d.Date, Has: d.All() > 0}
			if sd.Has {
				sd.Members = float64(d.Ordinary) * 100 / float64(d.All())
				sd.Bot = float64(d.Bot) * 100 / float64(d.All())
			}
			series = append(series, sd)
		}
		memberMin, botMax := 0.0, 0.0
		if a.MemberShare.Enabled {
			memberMin = a.MemberShare.MinPercent
		}
		if a.BotShare.Enabled {
			botMax = a.BotShare.MaxPercent
		}
		p.Health.Shares = template.HTML(chart.SharesSVG(series, memberMin, botMax, fmt.Sprintf("近%d天每天成员之间对话和机器人消息的占比", chartDays)))
		sum := schedule.SumShares(days)
		if a.MemberShare.Enabled {
			p.Health.Stats = append(p.Health.Stats, statView{"成员之间对话", pct(sum.Ordinary, sum.All()), "近30天，建议 ≥" + num(a.MemberShare.MinPercent) + "%"})
		}
		if a.BotShare.Enabled {
			p.Health.Stats = append(p.Health.Stats, statView{"机器人消息", pct(sum.Bot, sum.All()), strconv.Itoa(sum.Bot) + " 条，建议 ≤" + num(a.BotShare.MaxPercent) + "%"})
		}
	}
	if t := a.MemberTiers; t.Enabled {
		tiers, err := schedule.MemberTiers(tx, p.Key, today, t)
		if err != nil {
			return err
		}
		p.Health.Tiers = template.HTML(chart.StackSVG([]chart.Segment{
			{Label: fmt.Sprintf("核心（≥%d天）", t.CoreDays), Count: tiers.Core},
			{Label: fmt.Sprintf("活跃（≥%d天）", t.ActiveDays), Count: tiers.Active},
			{Label: "普通（1天以上）", Count: tiers.Ordinary},
			{Label: "潜水（0天）", Count: tiers.Silent},
		}, t.MaxSilentPercent, "成员分层：近30天里发言的天数"))
		p.Health.Stats = append(p.Health.Stats, statView{"潜水成员", pct(tiers.Silent, tiers.Total()), "近30天没发言，建议 ≤" + num(t.MaxSilentPercent) + "%"})
	}
	var bars []chart.Bar
	if r := a.Retention; r.Enabled {
		for _, m := range []struct {
			read func(*storage.Tx, int64, time.Time) (schedule.Retention, error)
			min  float64
		}{{schedule.Retention3, r.Day3MinPercent}, {schedule.Retention30, r.Day30MinPercent}} {
			ret, err := m.read(tx, p.Key, today)
			if err != nil {
				return err
			}
			bar := chart.Bar{Label: fmt.Sprintf("新人 %d 天留存", ret.Days), Value: ret.Percent(), Max: 100, Threshold: m.min, Above: true,
				Text: fmt.Sprintf("%.0f%%（%d/%d）", ret.Percent(), ret.Retained, ret.Eligible)}
			if ret.Eligible == 0 {
				bar.Empty = "还没有可以统计的新人"
			}
			bars = append(bars, bar)
		}
	}
	if g := a.GroupSize; g.Enabled {
		bars = append(bars, chart.Bar{Label: "群人数", Value: float64(members), Max: float64(g.FullAt), Threshold: float64(g.WarnAt),
			Text: fmt.Sprintf("%d / %d", members, g.FullAt)})
	}
	if len(bars) > 0 {
		p.Health.Bars = template.HTML(chart.BarsSVG(bars, "新人留存和群人数（虚线是配置里的提醒线）"))
	}
	return nil
}

func pct(n, d int) string {
	if d <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", float64(n)*100/float64(d))
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
