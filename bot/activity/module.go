// Package activity runs a group's activities: lotteries (抽奖), polls (投票) and sign-up
// chains (接龙). Each is a row with a status that only moves forward, in the transaction
// that posts its ending, so a draw, a result or a final list happens exactly once however
// the bot is restarted; deadlines are one-shot engine timers, re-armed from the database on
// start.
//
// Busy activities never make the bot answer every line: sign-ups, entries and votes are
// acknowledged together (activity_pacing) — a chain's list reposted, one message naming
// everyone who entered or voted since the last one.
//
//	lottery.draw:<id>   lottery.ack:<id>
//	poll.close:<id>     poll.ack:<id>
//	chain.close:<id>    chain.post:<id>
package activity

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"qunbot/bot"
	"qunbot/storage"
)

// Module is the activities feature. Its state (which acknowledgements are armed) belongs
// to the engine loop.
type Module struct {
	seeds io.Reader // lottery seeds: crypto/rand, or a fixed sequence in the simulator
	// armed holds the acknowledgement timers armed and when they fire, so that a change
	// never postpones one already due (a steady trickle of votes must not keep the
	// acknowledgement from ever going out).
	armed map[string]time.Time
}

// New builds the module. seeds is where lottery seeds come from; nil is the system's
// cryptographic randomness (the simulator passes a fixed sequence so scripts repeat).
func New(seeds io.Reader) *Module {
	if seeds == nil {
		seeds = rand.Reader
	}
	return &Module{seeds: seeds, armed: map[string]time.Time{}}
}

// Name implements bot.Module.
func (m *Module) Name() string { return "activity" }

var (
	_ bot.Starter       = (*Module)(nil)
	_ bot.CommandSource = (*Module)(nil)
	_ bot.MessageHook   = (*Module)(nil)
)

// Commands are the activity commands.
func (m *Module) Commands() []*bot.Command {
	lottery := func(t *bot.Turn) bool { return t.Group.Config.Lottery.Enabled }
	vote := func(t *bot.Turn) bool { return t.Group.Config.Vote.Enabled }
	chain := func(t *bot.Turn) bool { return t.Group.Config.Chain.Enabled }
	return []*bot.Command{
		{Name: "抽奖", Aliases: []string{"参加抽奖", "lottery"}, Usage: "抽奖", Summary: "参加进行中的抽奖（花积分）",
			Shown: lottery, Run: m.cmdEnterLottery},
		{Name: "投票", Aliases: []string{"vote"}, Usage: "投票 [编号]", Summary: "查看投票，或投给某个选项（每人一票）",
			Shown: vote, Run: m.cmdVote},
		{Name: "报名", Aliases: []string{"signup"}, Usage: "报名 [备注]", Summary: "在进行中的接龙里报名（「取消报名」退出）",
			Shown: chain, Run: m.cmdSignup},
		// Named in 报名's line: one line of 帮助 fewer for members.
		{Name: "取消报名", Aliases: []string{"unsignup"}, Usage: "取消报名", Summary: "从接龙里去掉自己",
			Shown: func(*bot.Turn) bool { return false }, Run: m.cmdUnsignup},
		{Name: "查看接龙", Aliases: []string{"接龙名单", "chains"}, Usage: "查看接龙", Summary: "看进行中的接龙名单",
			Shown: chain, Run: m.cmdShowChains},
		{Name: "发起接龙", Aliases: []string{"startchain"}, Usage: "发起接龙 标题 [人数上限] [截止时间]", Summary: "发起一个接龙报名（发起人可「结束接龙」）",
			Perm: bot.Anyone, Shown: func(t *bot.Turn) bool {
				return t.Group.Config.Chain.Enabled && canStart(t, t.Group.Config.Chain.WhoCanStart)
			}, Run: m.cmdStartChain},
		{Name: "结束接龙", Aliases: []string{"endchain"}, Usage: "结束接龙 [编号]", Summary: "结束接龙并发出最终名单（发起人或管理员）",
			Shown: func(t *bot.Turn) bool { return t.Group.Config.Chain.Enabled && t.Privileged() }, Run: m.cmdEndChain},
		{Name: "发起抽奖", Aliases: []string{"startlottery"}, Usage: "发起抽奖 奖品 [每人积分] [中奖人数] [截止时间]",
			Summary: "发起抽奖，例如「发起抽奖 《三体》一本 10分 1名 明天20:00」", Perm: bot.AdminOnly, Shown: lottery, Run: m.cmdStartLottery},
		{Name: "开奖", Aliases: []string{"drawnow"}, Usage: "开奖", Summary: "不等截止，马上开奖", Perm: bot.AdminOnly, Shown: lottery,
			Run: m.cmdDrawNow},
		{Name: "取消抽奖", Aliases: []string{"cancellottery"}, Usage: "取消抽奖", Summary: "取消抽奖并退还积分", Perm: bot.AdminOnly,
			Shown: lottery, Run: m.cmdCancelLottery},
		{Name: "发起投票", Aliases: []string{"startvote"}, Usage: "发起投票 问题 选项1/选项2/… [截止时间]",
			Summary: "发起投票，例如「发起投票 周末去哪 爬山/看电影 明天20:00」", Perm: bot.Anyone,
			Shown: func(t *bot.Turn) bool {
				return t.Group.Config.Vote.Enabled && canStart(t, t.Group.Config.Vote.WhoCanStart)
			},
			Run: m.cmdStartPoll},
		{Name: "结束投票", Aliases: []string{"endvote"}, Usage: "结束投票", Summary: "马上公布投票结果（发起人或管理员）",
			Shown: func(t *bot.Turn) bool { return t.Group.Config.Vote.Enabled && t.Privileged() }, Run: m.cmdEndPoll},
	}
}

// canStart says whether the sender may start an activity the config opens to who.
func canStart(t *bot.Turn, who string) bool {
	return t.Privileged() || who == "everyone"
}

// Start re-arms the deadlines and pending acknowledgements of every open activity (on
// start and on a config reload; arming again replaces a timer).
func (m *Module) Start(ctx context.Context, e *bot.Engine) error {
	now := e.Now()
	err := e.Store().View(ctx, func(tx *storage.Tx) error {
		lotteries, err := tx.OpenLotteries(0)
		if err != nil {
			return err
		}
		for _, l := range lotteries {
			m.armDraw(e, l, l.Deadline)
			if err := m.armLotteryAck(e, tx, l, now); err != nil {
				return err
			}
		}
		polls, err := tx.OpenPolls(0)
		if err != nil {
			return err
		}
		for _, p := range polls {
			m.armPollClose(e, p, p.Deadline)
			if err := m.armPollAck(e, tx, p, now); err != nil {
				return err
			}
		}
		chains, err := tx.OpenChains(0)
		if err != nil {
			return err
		}
		for _, c := range chains {
			if !c.Deadline.IsZero() {
				m.armChainClose(e, c, c.Deadline)
			}
			if c.Version > c.PostedVersion {
				m.armChainPost(e, pacingFor(e, tx, c.GroupKey), c, now)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("re-arm open activities: %w", err)
	}
	return nil
}

// OnMessage implements bot.MessageHook: a pasted chain list with the sender's name added
// signs them up.
func (m *Module) OnMessage(t *bot.Turn) error {
	return m.chainPaste(t)
}

// groupTurn points a timer's turn at a group by key; false when the bot no longer manages
// it (the activity then waits).
func groupTurn(t *bot.Turn, key int64) (bool, error) {
	g, ok, err := t.Tx.GroupByKey(key)
	if err != nil || !ok {
		return false, err
	}
	cfg, managed := t.Engine().Config().ForGroup(g.Name)
	if !managed {
		return false, nil
	}
	t.Group = bot.GroupCtx{Key: g.Key, Name: g.Name, Config: cfg}
	return true, nil
}

// onTimer runs fn as a unit of work at a timer; errors are logged.
func onTimer(e *bot.Engine, what string, fn func(t *bot.Turn) error) func(ctx context.Context, now time.Time) {
	return func(ctx context.Context, now time.Time) {
		if err := e.Update(ctx, fn); err != nil {
			e.Logger().ErrorContext(ctx, "activity timer failed", "timer", what, "err", err)
		}
	}
}

// armAck arms an acknowledgement timer at the later of now+delay and last+interval, unless
// one is armed already (it keeps its time).
func (m *Module) armAck(e *bot.Engine, key string, label bot.JobLabel, cfg ackPacing, last, now time.Time, fn func(t *bot.Turn) error) {
	if _, ok := m.armed[key]; ok {
		return // armed: it keeps its time (it may be due and about to fire)
	}
	at := now.Add(cfg.delay)
	if !last.IsZero() && last.Add(cfg.interval).After(at) {
		at = last.Add(cfg.interval)
	}
	m.armed[key] = at
	e.Schedule(key, label, at, func(ctx context.Context, now time.Time) {
		delete(m.armed, key)
		onTimer(e, key, fn)(ctx, now)
	})
}

type ackPacing struct{ delay, interval time.Duration }

func pacingOf(t *bot.Turn) ackPacing {
	p := t.Group.Config.ActivityPacing
	return ackPacing{p.Delay.D(), p.Interval.D()}
}

// pacingFor is the pacing of a group known by key (timers, start).
func pacingFor(e *bot.Engine, tx *storage.Tx, groupKey int64) ackPacing {
	g, ok, err := tx.GroupByKey(groupKey)
	if err != nil || !ok {
		return ackPacing{time.Minute, 10 * time.Minute}
	}
	cfg, _ := e.Config().ForGroup(g.Name)
	return ackPacing{cfg.ActivityPacing.Delay.D(), cfg.ActivityPacing.Interval.D()}
}

// mentionList renders "@A @B" for at most maxMentions members, and how many more.
func mentionList(ms []storage.Member) (string, []storage.Member, int) {
	const maxMentions = 20
	shown := ms[:min(len(ms), maxMentions)]
	var b strings.Builder
	for _, mem := range shown {
		b.WriteString(bot.Mention(mem))
	}
	return strings.TrimSpace(b.String()), shown, len(ms) - len(shown)
}

// clip cuts a member's text (a title, a prize, a label) to n runes.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// parseCount reads a whole number followed by one of the units: "10分" → 10.
func parseCount(f string, units ...string) (int, bool) {
	for _, u := range units {
		if num, ok := strings.CutSuffix(f, u); ok && num != "" {
			n, err := strconv.Atoi(num)
			return n, err == nil && n >= 0
		}
	}
	return 0, false
}

// local shows an instant in the configured timezone.
func local(t *bot.Turn, at time.Time) time.Time { return at.In(t.Engine().Location()) }

// ambiguousText answers a member whose identity is a guess: no points are taken or given
// on a guess.
const ambiguousText = "暂时认不准你是谁（群里有昵称相同的成员），这次没有记录。改一下群昵称再试试吧。"
