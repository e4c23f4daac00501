package activity

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"qunbot/bot"
	"qunbot/bot/engage"
	"qunbot/internal/safetext"
	"qunbot/storage"
)

// Lotteries (抽奖). An admin starts one with a prize, an entry cost in points and a
// deadline; members enter with 抽奖 (the cost is taken from their points, reason
// "lottery"). The draw is fair and can be checked by anyone:
//
//   - at the start the bot draws a random seed and posts its fingerprint, the first 16 hex
//     digits of SHA-256(seed) — the seed itself stays secret, so nobody (the owner included)
//     can pick entry times to win, and the seed cannot be changed afterwards;
//   - at the draw it posts the seed; entrants are numbered 1…N in the order they entered,
//     and winner k (k = 0, 1, …) is number 1 + (first 8 bytes of SHA-256("<seed>:<k>") as an
//     unsigned big-endian integer mod the number still in the draw), taken out of the list
//     before the next one is drawn.
//
// The draw, its seed, the entrants and the winners are written with the lottery's status
// in one transaction (and the audit log), so it happens exactly once across restarts.

const (
	maxPrize = 40 // runes of a prize
	seedLen  = 16 // random bytes of a seed
)

func drawKey(id int64) string { return fmt.Sprintf("lottery.draw:%d", id) }
func ackKey(id int64) string  { return fmt.Sprintf("lottery.ack:%d", id) }

func entryRef(l storage.Lottery, memberKey int64) string {
	return fmt.Sprintf("lottery:%d:%d", l.ID, memberKey)
}

func refundRef(l storage.Lottery, memberKey int64) string {
	return fmt.Sprintf("lottery-refund:%d:%d", l.ID, memberKey)
}

// Fingerprint is what the start announcement shows of a seed: enough to bind the draw to
// it, too little to find it.
func Fingerprint(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:8])
}

// Draw picks winners among n entrants (numbered 0…n−1 in entry order) from the seed, as
// documented above. It is the whole algorithm: anyone can redo it with the posted seed.
func Draw(seed string, n, winners int) []int {
	remaining := make([]int, n)
	for i := range remaining {
		remaining[i] = i
	}
	var out []int
	for k := 0; k < winners && len(remaining) > 0; k++ {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s:%d", seed, k)))
		i := int(binary.BigEndian.Uint64(sum[:8]) % uint64(len(remaining)))
		out = append(out, remaining[i])
		remaining = append(remaining[:i], remaining[i+1:]...)
	}
	return out
}

func newSeed(r io.Reader) (string, error) {
	b := make([]byte, seedLen)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("draw a lottery seed: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func (m *Module) cmdStartLottery(t *bot.Turn, a bot.Args) error {
	cfg := t.Group.Config.Lottery
	if !cfg.Enabled {
		return t.Reply("本群没有开启抽奖。")
	}
	open, err := t.Tx.OpenLotteries(t.Group.Key)
	if err != nil {
		return err
	}
	if len(open) > 0 {
		return bot.Usagef("已经有一个进行中的抽奖「%s」（%s 开奖）：先「开奖」或「取消抽奖」，再发起新的。", open[0].Prize, showTime(local(t, open[0].Deadline), local(t, t.Now)))
	}
	now := local(t, t.Now)
	deadline, rest, said := takeWhen(a.Fields, now)
	if !said {
		deadline = now.Add(cfg.DefaultDuration.D())
	}
	cost, winners := 0, 1
	var prize []string
	for _, f := range rest {
		if n, ok := parseCount(f, "积分", "分"); ok {
			cost = n
		} else if f == "免费" {
			cost = 0
		} else if n, ok := parseCount(f, "名", "人", "个"); ok {
			winners = n
		} else {
			prize = append(prize, f)
		}
	}
	switch {
	case len(prize) == 0:
		return bot.Usagef("请写上奖品，例如「发起抽奖 《三体》一本 10分 1名 明天20:00」。")
	case cost > cfg.MaxCost:
		return bot.Usagef("每人最多花 %d 积分参加（配置 lottery.max_cost），现在写的是 %d。", cfg.MaxCost, cost)
	case winners < 1 || winners > cfg.MaxWinners:
		return bot.Usagef("中奖人数要在 1 到 %d 之间，现在写的是 %d。", cfg.MaxWinners, winners)
	case !deadline.After(now):
		return bot.Usagef("截止时间 %s 已经过了，请写一个以后的时间。", showTime(deadline, now))
	case deadline.Sub(now) < time.Minute:
		return bot.Usagef("截止时间太近了，至少要 1 分钟以后。")
	case deadline.Sub(now) > cfg.MaxDuration.D():
		return bot.Usagef("截止时间太远了：最长 %s（配置 lottery.max_duration）。", humanDays(cfg.MaxDuration.D()))
	}
	seed, err := newSeed(m.seeds)
	if err != nil {
		return err
	}
	l := storage.Lottery{GroupKey: t.Group.Key, StarterKey: t.Member.Key, Prize: clip(strings.Join(prize, " "), maxPrize),
		Cost: int64(cost), Winners: winners, Created: t.Now, Deadline: deadline, Seed: seed}
	if l.ID, err = t.Tx.CreateLottery(l); err != nil {
		return err
	}
	if err := t.Audit("lottery_start", t.Member.Key, map[string]any{"lottery": l.ID, "prize": l.Prize, "cost": cost,
		"winners": winners, "deadline": deadline.Format(time.RFC3339), "fingerprint": Fingerprint(seed)}); err != nil {
		return err
	}
	e := t.Engine()
	t.After(func(ctx context.Context) { m.armDraw(e, l, deadline) })
	how := "免费参加"
	if cost > 0 {
		how = fmt.Sprintf("每人花 %d 积分", cost)
	}
	return t.Say(fmt.Sprintf("🎁 抽奖开始！奖品：%s（%d 名）\n参加：发送「%s」，%s，每人一次\n截止：%s 自动开奖\n🔒 开奖种子指纹 %s（开奖时公布种子，人人可以验算）",
		l.Prize, winners, t.Word("抽奖"), how, showTime(deadline, now), Fingerprint(seed)))
}

func (m *Module) cmdEnterLottery(t *bot.Turn, a bot.Args) error {
	if !t.Group.Config.Lottery.Enabled {
		return t.Reply("本群没有开启抽奖。")
	}
	if t.Owner || t.Member.Role == bot.RoleOwner {
		return t.Reply("群主不参加抽奖哦。")
	}
	if t.Ambiguous {
		return t.Reply(ambiguousText)
	}
	open, err := t.Tx.OpenLotteries(t.Group.Key)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		return t.Reply("现在没有进行中的抽奖。")
	}
	l := open[0]
	now := local(t, t.Now)
	if !t.Now.Before(l.Deadline) {
		return t.Reply(fmt.Sprintf("抽奖「%s」已经截止，马上开奖。", l.Prize))
	}
	entries, err := t.Tx.LotteryEntries(l.ID)
	if err != nil {
		return err
	}
	for _, en := range entries {
		if en.MemberKey == t.Member.Key {
			return t.Reply(fmt.Sprintf("你已经参加「%s」了，%s 开奖，等好消息吧～", l.Prize, showTime(local(t, l.Deadline), now)))
		}
	}
	if l.Cost > 0 {
		balance, err := t.Tx.Balance(t.Member.Key)
		if err != nil {
			return err
		}
		if balance < l.Cost {
			return t.Reply(fmt.Sprintf("积分不够：参加「%s」要 %d 积分，你现在有 %d 积分。签到和聊天都能攒积分～", l.Prize, l.Cost, balance))
		}
	}
	added, err := t.Tx.EnterLottery(l.ID, t.Member.Key, t.Now)
	if err != nil {
		return err
	}
	if !added {
		return t.Reply(fmt.Sprintf("你已经参加「%s」了，%s 开奖，等好消息吧～", l.Prize, showTime(local(t, l.Deadline), now)))
	}
	if l.Cost > 0 {
		_, _, err := engage.Pay(t, t.Member, -l.Cost, storage.ReasonLottery, entryRef(l, t.Member.Key), "参加抽奖 "+l.Prize,
			map[string]any{"lottery": l.ID})
		if errors.Is(err, storage.ErrInsufficientPoints) {
			balance, berr := t.Tx.Balance(t.Member.Key)
			if berr != nil {
				return berr
			}
			// A usage error undoes the entry with the rest of the command.
			return bot.Usagef("积分不够：参加「%s」要 %d 积分，你现在有 %d 积分。签到和聊天都能攒积分～", l.Prize, l.Cost, balance)
		}
		if err != nil {
			return fmt.Errorf("lottery %d entry of member %d: %w", l.ID, t.Member.Key, err)
		}
	}
	e := t.Engine()
	pacing := pacingOf(t)
	t.After(func(ctx context.Context) {
		m.armAck(e, ackKey(l.ID), lotteryLabel(e, l, "确认新参加的人"), pacing, l.AckedAt, e.Now(), m.lotteryAck(l.ID))
	})
	return nil // acknowledged together with the others (activity_pacing)
}

// lotteryAck names everyone who entered since the last acknowledgement, in one message.
func (m *Module) lotteryAck(id int64) func(t *bot.Turn) error {
	return func(t *bot.Turn) error {
		l, ok, err := t.Tx.LotteryByID(id)
		if err != nil || !ok || l.Status != storage.StatusOpen {
			return err // the draw names everyone anyway
		}
		if ok, err := groupTurn(t, l.GroupKey); err != nil || !ok {
			return err
		}
		entries, err := t.Tx.LotteryEntries(id)
		if err != nil {
			return err
		}
		var fresh []storage.Member
		var last int64
		for _, en := range entries {
			if en.Seq <= l.AckThrough {
				continue
			}
			mem, err := t.Tx.Member(en.MemberKey)
			if err != nil {
				return err
			}
			fresh, last = append(fresh, mem), en.Seq
		}
		if len(fresh) == 0 {
			return nil
		}
		mentions, shown, more := mentionList(fresh)
		text := "✅ " + mentions
		if more > 0 {
			text += fmt.Sprintf(" 等 %d 人", len(fresh))
		}
		text += fmt.Sprintf(" 已参加抽奖「%s」，现在共 %d 人，%s 开奖。", l.Prize, len(entries), showTime(local(t, l.Deadline), local(t, t.Now)))
		if err := t.Say(text, shown...); err != nil {
			return err
		}
		return t.Tx.MarkLotteryAcked(id, last, t.Now)
	}
}

// lotteryLabel names a lottery's timer on the dashboard and in 状态.
func lotteryLabel(e *bot.Engine, l storage.Lottery, what string) bot.JobLabel {
	return e.JobIn(l.GroupKey, "抽奖「"+l.Prize+"」："+what)
}

func (m *Module) armDraw(e *bot.Engine, l storage.Lottery, at time.Time) {
	id := l.ID
	e.Schedule(drawKey(id), lotteryLabel(e, l, "截止开奖"), at, onTimer(e, drawKey(id), func(t *bot.Turn) error {
		l, ok, err := t.Tx.LotteryByID(id)
		if err != nil || !ok || l.Status != storage.StatusOpen {
			return err
		}
		if ok, err := groupTurn(t, l.GroupKey); err != nil || !ok {
			return err // not managed now: drawn when it is again (Start re-arms it)
		}
		return drawLottery(t, l)
	}))
}

func (m *Module) armLotteryAck(e *bot.Engine, tx *storage.Tx, l storage.Lottery, now time.Time) error {
	entries, err := tx.LotteryEntries(l.ID)
	if err != nil {
		return err
	}
	if len(entries) > 0 && entries[len(entries)-1].Seq > l.AckThrough {
		m.armAck(e, ackKey(l.ID), lotteryLabel(e, l, "确认新参加的人"), pacingFor(e, tx, l.GroupKey), l.AckedAt, now, m.lotteryAck(l.ID))
	}
	return nil
}

// drawResult is what a draw wrote: enough to check it by hand.
type drawResult struct {
	Seed     string        `json:"seed"`
	Entrants []drawEntrant `json:"entrants"`
	Winners  []drawEntrant `json:"winners"`
}

type drawEntrant struct {
	No     int    `json:"no"` // 1-based, in entry order
	Member int64  `json:"member"`
	Name   string `json:"name"`
}

// drawLottery draws an open lottery now: once, whatever called it (the deadline's timer,
// 开奖), because the status moves in the same transaction as the post.
func drawLottery(t *bot.Turn, l storage.Lottery) error {
	entries, err := t.Tx.LotteryEntries(l.ID)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		closed, err := t.Tx.CloseLottery(l.ID, storage.StatusVoid, "", t.Now)
		if err != nil || !closed {
			return err
		}
		if err := t.Audit("lottery_void", 0, map[string]any{"lottery": l.ID, "prize": l.Prize}); err != nil {
			return err
		}
		return t.Say(fmt.Sprintf("🎁 抽奖「%s」截止时没有人参加，本次不开奖。", l.Prize))
	}
	res := drawResult{Seed: l.Seed}
	members := make([]storage.Member, len(entries))
	for i, en := range entries {
		mem, err := t.Tx.Member(en.MemberKey)
		if err != nil {
			return err
		}
		members[i] = mem
		res.Entrants = append(res.Entrants, drawEntrant{No: i + 1, Member: mem.Key, Name: mem.Name()})
	}
	var winners []storage.Member
	for _, i := range Draw(l.Seed, len(entries), l.Winners) {
		winners = append(winners, members[i])
		res.Winners = append(res.Winners, res.Entrants[i])
	}
	blob, err := json.Marshal(res)
	if err != nil {
		return err
	}
	closed, err := t.Tx.CloseLottery(l.ID, storage.StatusDrawn, string(blob), t.Now)
	if err != nil || !closed {
		return err
	}
	var names []string
	var lines []string
	for i, w := range winners {
		names = append(names, w.Name())
		lines = append(lines, fmt.Sprintf("%s（%d 号）", bot.Mention(w), res.Winners[i].No))
	}
	if err := t.Audit("lottery_draw", 0, map[string]any{"lottery": l.ID, "prize": l.Prize, "seed": l.Seed,
		"fingerprint": Fingerprint(l.Seed), "entrants": len(entries), "winners": names, "result": string(blob)}); err != nil {
		return err
	}
	text := fmt.Sprintf("🎉 抽奖「%s」开奖！共 %d 人参加（按参加顺序编 1~%d 号）\n中奖：%s\n🔑 种子 %s（开始时公布的指纹 %s）\n请中奖的朋友找群主领奖～",
		l.Prize, len(entries), len(entries), strings.Join(lines, "、"), l.Seed, Fingerprint(l.Seed))
	if err := t.Say(text, winners...); err != nil {
		return err
	}
	for i, n := range names {
		names[i] = safetext.Name(n)
	}
	return t.NotifyOwner(fmt.Sprintf("🎁 「%s」的抽奖「%s」开奖了，中奖：%s。请为 TA 发放奖品。",
		safetext.Name(t.Group.Name), safetext.Quote(l.Prize, safetext.ReasonMax), strings.Join(names, "、")))
}

func (m *Module) cmdDrawNow(t *bot.Turn, a bot.Args) error {
	open, err := t.Tx.OpenLotteries(t.Group.Key)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		return t.Reply("现在没有进行中的抽奖。")
	}
	l := open[0]
	e := t.Engine()
	t.After(func(ctx context.Context) {
		e.Cancel(drawKey(l.ID))
		e.Cancel(ackKey(l.ID))
		delete(m.armed, ackKey(l.ID))
	})
	return drawLottery(t, l)
}

func (m *Module) cmdCancelLottery(t *bot.Turn, a bot.Args) error {
	open, err := t.Tx.OpenLotteries(t.Group.Key)
	if err != nil {
		return err
	}
	if len(open) == 0 {
		return t.Reply("现在没有进行中的抽奖。")
	}
	l := open[0]
	closed, err := t.Tx.CloseLottery(l.ID, storage.StatusCancelled, "", t.Now)
	if err != nil || !closed {
		return err
	}
	entries, err := t.Tx.LotteryEntries(l.ID)
	if err != nil {
		return err
	}
	refunded := 0
	if l.Cost > 0 {
		for _, en := range entries {
			mem, err := t.Tx.Member(en.MemberKey)
			if err != nil {
				return err
			}
			if _, applied, err := engage.Pay(t, mem, l.Cost, storage.ReasonLottery, refundRef(l, mem.Key), "抽奖取消退还 "+l.Prize,
				map[string]any{"lottery": l.ID}); err != nil {
				return err
			} else if applied {
				refunded++
			}
		}
	}
	if err := t.Audit("lottery_cancel", 0, map[string]any{"lottery": l.ID, "prize": l.Prize, "entrants": len(entries)}); err != nil {
		return err
	}
	e := t.Engine()
	t.After(func(ctx context.Context) {
		e.Cancel(drawKey(l.ID))
		e.Cancel(ackKey(l.ID))
		delete(m.armed, ackKey(l.ID))
	})
	text := fmt.Sprintf("抽奖「%s」已取消。", l.Prize)
	if refunded > 0 {
		text += fmt.Sprintf("已退还 %d 人的 %d 积分。", refunded, l.Cost)
	}
	return t.Say(text)
}

// humanDays shows a limit: "30 天", "12 小时".
func humanDays(d time.Duration) string {
	if d >= 24*time.Hour {
		return fmt.Sprintf("%d 天", int(d.Hours()/24))
	}
	return fmt.Sprintf("%d 小时", int(d.Hours()))
}
