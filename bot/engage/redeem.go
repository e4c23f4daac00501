package engage

import (
	"errors"
	"fmt"
	"strings"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/internal/safetext"
	"qunbot/storage"
)

// cmdRedeem lists the catalogue (兑换) or buys item N (兑换 N): the points are deducted in
// the turn's transaction and the owner is asked in the file helper to hand the item out.
func (m *Module) cmdRedeem(t *bot.Turn, a bot.Args) error {
	cfg := t.Group.Config.Redeem
	if !cfg.Enabled || len(cfg.Items) == 0 {
		return t.Reply("本群暂未开放积分兑换。")
	}
	if len(a.Fields) == 0 {
		balance, err := t.Tx.Balance(t.Member.Key)
		if err != nil {
			return err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "🎁 可兑换（你有 %d 积分）：", balance)
		for i, it := range cfg.Items {
			fmt.Fprintf(&b, "\n%d. %s — %d 积分", i+1, it.Name, it.Cost)
		}
		fmt.Fprintf(&b, "\n发送「%[1]s 编号」兑换，例如「%[1]s 1」。", t.Word("兑换"))
		return t.Reply(b.String())
	}
	n, err := parsePositive(a.Fields[0], int64(len(cfg.Items)))
	switch {
	case err != nil:
		return bot.Usagef("「%s」不是商品编号，请写商品前面的数字，发送「%s」查看列表。", echo(a.Fields[0]), t.Word("兑换"))
	case n < 1 || n > int64(len(cfg.Items)):
		return bot.Usagef("没有这个编号的商品（编号是 1 到 %d），发送「%s」查看列表。", len(cfg.Items), t.Word("兑换"))
	}
	if t.Ambiguous {
		return t.Reply(ambiguousText)
	}
	item := cfg.Items[n-1]
	balance, applied, err := pay(t, t.Member, -int64(item.Cost), storage.ReasonRedeem,
		fmt.Sprintf("redeem:%d:%s", t.Group.Key, eventRef(t)), item.Name, map[string]any{"item": item.Name})
	if errors.Is(err, storage.ErrInsufficientPoints) {
		return bot.Usagef("积分不够：「%s」要 %d 积分，你现在有 %d 积分。", item.Name, item.Cost, balance)
	}
	if err != nil {
		return fmt.Errorf("redeem item %d for member %d: %w", n, t.Member.Key, err)
	}
	if !applied {
		return nil // the same message again: already redeemed
	}
	if err := t.Reply(t.Group.Config.Texts.Text("redeem.ok", config.Vars{"奖品": item.Name, "花费": fmt.Sprint(item.Cost), "余额": fmt.Sprint(balance)})); err != nil {
		return err
	}
	return t.NotifyOwner(fmt.Sprintf("🎁 兑换请求：「%s」的 %s 兑换了「%s」（%d 积分，余额 %d）。\n请为 TA 发放。",
		safetext.Name(t.Group.Name), safetext.Name(t.Member.Name()), item.Name, item.Cost, balance))
}
