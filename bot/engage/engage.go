// Package engage is the engagement module: daily check-in (签到) with streaks, points for
// taking part, the points ledger commands (积分, 排行榜, 加分/扣分), the activity board
// (发言榜), redemption (兑换), keyword auto-replies and the weekly top-contributors post.
//
// Every points change goes through one ledger entry with a unique reference, so a replayed
// message or a retried job can never pay twice, and is written with its audit entry in the
// turn's transaction before any reply leaves.
package engage

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"qunbot/bot"
	"qunbot/storage"
)

// Module is the engagement feature. Its only state is the set of weekly jobs it registered,
// touched only from the engine loop (Start).
type Module struct {
	jobs map[string]bool
}

// New builds the module.
func New() *Module { return &Module{} }

// Name names the module in logs and errors.
func (m *Module) Name() string { return "engage" }

var (
	_ bot.Module        = (*Module)(nil)
	_ bot.Starter       = (*Module)(nil)
	_ bot.MessageHook   = (*Module)(nil)
	_ bot.JoinHook      = (*Module)(nil)
	_ bot.LeaveHook     = (*Module)(nil)
	_ bot.CommandSource = (*Module)(nil)
)

// Commands are the engagement chat commands.
func (m *Module) Commands() []*bot.Command {
	return []*bot.Command{
		{
			Name: "签到", Aliases: []string{"打卡", "checkin"}, Usage: "签到 [今天做了什么]", Summary: "每日签到领积分，可以附上打卡内容",
			// The once-a-day rule already stops repeats from paying, and a member who retries
			// because they missed the answer should get one; repeatCheckin rate-limits the
			// "already checked in" answers itself.
			NoCooldown: true,
			Run:        m.cmdCheckin,
		},
		{
			Name: "补签", Aliases: []string{"makeup"}, Usage: "补签", Summary: "花积分补上最近漏签的一天",
			Shown: func(t *bot.Turn) bool { return t.Group.Config.Checkin.Makeup.Enabled },
			Run:   m.cmdMakeup,
		},
		{
			Name: "积分", Aliases: []string{"我的积分", "points", "mypoints"}, Usage: "积分 [@成员]", Summary: "查看积分、排名和连续签到",
			Run: m.cmdPoints,
		},
		{
			Name: "排行榜", Aliases: []string{"积分榜", "积分排行", "leaderboard", "rank"}, Usage: "排行榜", Summary: "积分前 10 名",
			Describe: func(t *bot.Turn) string { return fmt.Sprintf("积分前 %d 名", t.Group.Config.Boards.Points) },
			Run:      m.cmdBoard,
		},
		{
			Name: "发言榜", Aliases: []string{"活跃榜", "active"}, Usage: "发言榜", Summary: "本周发言最多的成员",
			Run: m.cmdActive,
		},
		{
			Name: "兑换", Aliases: []string{"redeem"}, Usage: "兑换 [编号]", Summary: "查看可兑换的奖励，或用积分兑换",
			Run: m.cmdRedeem,
		},
		{
			Name: "新人任务", Aliases: []string{"新手任务", "newbie"}, Usage: "新人任务", Summary: "查看新人任务的进度",
			Shown: func(t *bot.Turn) bool {
				return t.Group.Config.Newcomer.Enabled && t.Group.Config.Newcomer.Tasks.Enabled
			},
			Run: m.cmdNewcomer,
		},
		{
			Name: "邀请榜", Aliases: []string{"invites"}, Usage: "邀请榜", Summary: "邀请新成员最多的人",
			Shown: func(t *bot.Turn) bool { return t.Group.Config.Invite.Enabled },
			Run:   m.cmdInviteBoard,
		},
		{
			Name: "今日未打卡", Aliases: []string{"未打卡", "nocheckin"}, Usage: "今日未打卡", Summary: "列出今天还没签到的成员",
			Perm: bot.AdminOnly, Shown: func(t *bot.Turn) bool { return t.Group.Config.Checkin.Enabled },
			Run: m.cmdAbsent,
		},
		{
			Name: "加分", Aliases: []string{"addpoints"}, Usage: "加分 @成员 分数 [原因]", Summary: "给成员加积分",
			Perm: bot.AdminOnly, Run: m.cmdAdjust(+1),
		},
		{
			Name: "扣分", Aliases: []string{"deductpoints"}, Usage: "扣分 @成员 分数 [原因]", Summary: "扣成员的积分",
			Perm: bot.AdminOnly, Run: m.cmdAdjust(-1),
		},
	}
}

// OnMessage pays points for a valid message, counts newcomers' tasks and thanks, and
// answers FAQ keywords.
func (m *Module) OnMessage(t *bot.Turn) error {
	if err := m.messagePoints(t); err != nil {
		return fmt.Errorf("message points of member %d: %w", t.Member.Key, err)
	}
	if err := m.newcomerMessage(t); err != nil {
		return fmt.Errorf("newcomer tasks of member %d: %w", t.Member.Key, err)
	}
	if err := m.thanks(t); err != nil {
		return fmt.Errorf("thanks from member %d: %w", t.Member.Key, err)
	}
	if err := m.autoReply(t); err != nil {
		return fmt.Errorf("auto-reply in group %q: %w", t.Group.Name, err)
	}
	return nil
}

// OnJoin pays newcomers their gift, opens their tasks and pays whoever invited them.
func (m *Module) OnJoin(t *bot.Turn, joined []storage.Member) error {
	// Moderation has already judged the joiners: one on the blocklist or told to leave
	// earns nothing.
	kept := make([]storage.Member, 0, len(joined))
	for _, mem := range joined {
		out, err := t.Sidelined(mem.Key)
		if err != nil {
			return err
		}
		if !out {
			kept = append(kept, mem)
		}
	}
	joined = kept
	if err := welcomeNewcomers(t, joined); err != nil {
		return err
	}
	return payInvites(t, joined)
}

// OnLeave takes invite points back from the inviters of members who left soon.
func (m *Module) OnLeave(t *bot.Turn, left []storage.Member) error {
	if !t.Group.Config.Invite.Enabled {
		return nil
	}
	return takeBackInvites(t, left)
}

// pay writes one ledger entry with its audit entry and reports the "points" outcome. It
// reports applied=false, changing nothing, when the reference was paid before; and
// storage.ErrInsufficientPoints (with the balance) when a non-admin change would go below zero.
func pay(t *bot.Turn, m storage.Member, delta int64, reason, ref, note string, extra map[string]any) (balance int64, applied bool, err error) {
	return payEntry(t, m, storage.PointsEntry{GroupKey: m.GroupKey, MemberKey: m.Key, Delta: delta,
		Reason: reason, Ref: ref, Time: t.Now, Day: t.Day(), Note: note}, extra)
}

// takeBack is pay for taking back points paid earlier: the balance may go below zero (the
// points may have been spent meanwhile).
func takeBack(t *bot.Turn, m storage.Member, delta int64, reason, ref, note string, extra map[string]any) (balance int64, applied bool, err error) {
	return payEntry(t, m, storage.PointsEntry{GroupKey: m.GroupKey, MemberKey: m.Key, Delta: delta,
		Reason: reason, Ref: ref, Time: t.Now, Day: t.Day(), Note: note, AllowNegative: true}, extra)
}

func payEntry(t *bot.Turn, m storage.Member, e storage.PointsEntry, extra map[string]any) (balance int64, applied bool, err error) {
	delta, reason, ref, note := e.Delta, e.Reason, e.Ref, e.Note
	if reason == storage.ReasonMessage && delta > 0 {
		// A message is paid once under its id, which the engine has just found new: the
		// entry can be queued with the transaction's other per-message rows.
		balance, err = t.Tx.AddNewPoints(e)
		applied = err == nil
	} else {
		balance, applied, err = t.Tx.AddPoints(e)
	}
	if err != nil || !applied {
		return balance, applied, err
	}
	// The ledger row is itself an append-only record (who, how much, why, which message,
	// when). Points for taking part — the one change made on almost every message — are
	// audited by it alone; every other change also gets an audit-log entry.
	if reason != storage.ReasonMessage {
		detail := map[string]any{"delta": delta, "balance": balance, "reason": reason, "ref": ref}
		if note != "" {
			detail["note"] = note
		}
		maps.Copy(detail, extra)
		if err := t.Audit("points", m.Key, detail); err != nil {
			return balance, true, err
		}
	}
	t.Emit("points", m, map[string]any{"delta": delta, "balance": balance, "reason": reason})
	return balance, true, nil
}

// eventRef identifies the message a turn is about, for ledger references. Adapters give
// every message an id; a synthetic event without one gets the turn's time, which at least
// never collides.
func eventRef(t *bot.Turn) string {
	if t.Event != nil && t.Event.ID != "" {
		return t.Event.ID
	}
	return "t" + strconv.FormatInt(t.Now.UnixNano(), 10)
}

// ambiguousText answers a member whose identity is a guess: no points are given or taken on
// a guess.
const ambiguousText = "暂时认不准你是谁（群里有昵称相同的成员），这次没有记分。改一下群昵称再试试吧。"

const dayLayout = "2006-01-02"

// shiftDay moves a local day by n days. Calendar arithmetic on the date alone, so daylight
// saving (in timezones that have it) cannot skip or repeat a day.
func shiftDay(day string, n int) string {
	d, err := time.Parse(dayLayout, day)
	if err != nil {
		return day
	}
	return d.AddDate(0, 0, n).Format(dayLayout)
}

// weekStart is the Monday of the week containing day.
func weekStart(day string) string {
	d, err := time.Parse(dayLayout, day)
	if err != nil {
		return day
	}
	back := (int(d.Weekday()) + 6) % 7
	return d.AddDate(0, 0, -back).Format(dayLayout)
}

// shortDay shows a day as members write it: "11-20".
func shortDay(day string) string {
	if len(day) == len(dayLayout) {
		return day[5:]
	}
	return day
}

var errNotNumber = errors.New("not a number")

// parsePositive reads a whole number typed by a member: ASCII or full-width digits, an
// optional leading "+". It returns errNotNumber for anything else, and a value in
// [0, max+1]: anything above max, however many digits, comes back as max+1 so the caller
// can say "too big" without ever overflowing. The caller answers in Chinese.
func parsePositive(s string, max int64) (int64, error) {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '０' && r <= '９':
			b.WriteRune(r - '０' + '0')
		case (r == '+' || r == '＋') && i == 0:
		default:
			return 0, errNotNumber
		}
	}
	digits := strings.TrimLeft(b.String(), "0")
	if b.Len() == 0 {
		return 0, errNotNumber
	}
	if len(digits) > 15 {
		return max + 1, nil
	}
	n, err := strconv.ParseInt("0"+digits, 10, 64)
	if err != nil {
		return 0, errNotNumber
	}
	return min(n, max+1), nil
}

// echo shows a member's input back inside an answer, cut short so a wall of text cannot
// make the bot repeat it.
func echo(s string) string {
	const maxRunes = 12
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	r := []rune(s)
	return string(r[:maxRunes]) + "…"
}

// reasonLabels are the Chinese names of the ledger's reasons, for anything an owner reads.
var reasonLabels = map[string]string{
	storage.ReasonCheckin: "签到", storage.ReasonMessage: "发言", storage.ReasonAdmin: "管理员调整",
	storage.ReasonRedeem: "兑换", storage.ReasonAward: "活跃之星奖励",
	storage.ReasonGift: "见面礼", storage.ReasonNewcomer: "新人任务", storage.ReasonInvite: "邀请",
	storage.ReasonThanks: "被感谢", storage.ReasonLottery: "抽奖", storage.ReasonVote: "投票",
	storage.ReasonSignup: "接龙报名",
}

// ReasonLabel is the Chinese name of a points reason ("checkin" → 签到); an unknown one is
// shown as stored.
func ReasonLabel(reason string) string {
	if l, ok := reasonLabels[reason]; ok {
		return l
	}
	return reason
}

// humanDuration shows a duration as members say it: "7 天", "3 小时", "20 分钟".
func humanDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d 天", d/(24*time.Hour))
	case d >= 24*time.Hour:
		return fmt.Sprintf("%.1f 天", d.Hours()/24)
	case d >= time.Hour:
		return fmt.Sprintf("%d 小时", int(d.Round(time.Hour).Hours()))
	}
	return fmt.Sprintf("%d 分钟", max(int(d.Round(time.Minute).Minutes()), 1))
}

// timeUnit is what a duration is rounded to before it is shown: days, hours or minutes.
func timeUnit(d time.Duration) time.Duration {
	switch {
	case d >= 24*time.Hour:
		return time.Hour
	case d >= time.Hour:
		return time.Hour
	}
	return time.Minute
}

// Pay writes a points change for another module (activities): one ledger entry under a
// unique ref, its audit entry and its "points" outcome. A ref paid before changes nothing
// (applied false); a debit below zero fails with storage.ErrInsufficientPoints.
func Pay(t *bot.Turn, m storage.Member, delta int64, reason, ref, note string, extra map[string]any) (balance int64, applied bool, err error) {
	return pay(t, m, delta, reason, ref, note, extra)
}
