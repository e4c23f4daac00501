package engage

import (
	"fmt"
	"strings"

	"qunbot/bot"
	"qunbot/storage"
)

// maxAbsentNames bounds the names 今日未打卡 lists: one screen, not the whole roster.
const maxAbsentNames = 40

// cmdAbsent is 今日未打卡 (admins): who in the group has not checked in today, those whose
// streak ends tonight (they checked in yesterday) first. Names only, no @: the admin
// decides whom to nudge.
func (m *Module) cmdAbsent(t *bot.Turn, a bot.Args) error {
	if !t.Group.Config.Checkin.Enabled {
		return t.Reply("本群没有开启签到。")
	}
	today := t.Day()
	members, err := t.Tx.GroupMembers(t.Group.Key)
	if err != nil {
		return err
	}
	done, yesterday, err := t.Tx.CheckedInOn(t.Group.Key, today, shiftDay(today, -1))
	if err != nil {
		return err
	}
	var streak, others []storage.Member
	checked := 0
	for _, mem := range members {
		if mem.Role == bot.RoleOwner {
			continue
		}
		switch {
		case done[mem.Key]:
			checked++
		case yesterday[mem.Key]:
			streak = append(streak, mem)
		default:
			others = append(others, mem)
		}
	}
	missing := len(streak) + len(others)
	if missing == 0 {
		return t.Say(fmt.Sprintf("📋 今天（%s）大家都打卡了，%d 人全到 🎉", shortDay(today), checked))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "📋 今天（%s）已打卡 %d 人，未打卡 %d 人", shortDay(today), checked, missing)
	shown := 0
	list := func(label string, ms []storage.Member) {
		if len(ms) == 0 || shown >= maxAbsentNames {
			return
		}
		names := make([]string, 0, len(ms))
		for _, mem := range ms {
			if shown == maxAbsentNames {
				break
			}
			names = append(names, mem.ShownName())
			shown++
		}
		fmt.Fprintf(&b, "\n%s：%s", label, strings.Join(names, "、"))
	}
	list("昨天打过卡（今天不打就断签）", streak)
	list("其他", others)
	if missing > shown {
		fmt.Fprintf(&b, " 等 %d 人", missing)
	}
	return t.Say(b.String())
}
