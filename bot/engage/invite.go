package engage

import (
	"fmt"
	"strings"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// Invites: the platform names who brought a newcomer in (WeChat's 「李四邀请王五加入了群聊」,
// QQ's operator_id); the engine passes the name on the join event (Event.Inviter). The
// inviter earns points, once per invitee and group, and loses them again when the invitee
// leaves within invite.take_back_within: invite points must not be farmed with accounts
// that come and go.

func inviteRef(groupKey, inviteeKey int64) string {
	return fmt.Sprintf("invite:%d:%d", groupKey, inviteeKey)
}

func inviteBackRef(groupKey, inviteeKey int64) string {
	return fmt.Sprintf("invite-back:%d:%d", groupKey, inviteeKey)
}

// inviterOf finds the member named as the inviter. The inviter is in the group (only
// members can invite): one we never saw is recorded now, as a member who was there before
// the bot. Two members with that name are a guess, and no points are paid on a guess.
func inviterOf(t *bot.Turn, name string) (storage.Member, bool, error) {
	found, err := t.Tx.MembersNamed(t.Group.Key, name)
	if err != nil {
		return storage.Member{}, false, err
	}
	var in []storage.Member
	for _, m := range found {
		if m.InGroup() {
			in = append(in, m)
		}
	}
	switch len(in) {
	case 1:
		return in[0], true, nil
	case 0:
		if len(found) > 0 {
			return storage.Member{}, false, nil // they left since: nobody to pay
		}
		m, err := t.Tx.InsertMember(storage.Member{GroupKey: t.Group.Key, Nickname: name, FirstSeen: t.Now, Welcomed: true})
		return m, err == nil, err
	}
	t.Engine().Logger().Warn("inviter's name is ambiguous: no invite points", "group", t.Group.Name, "inviter", name, "candidates", len(in))
	return storage.Member{}, false, nil
}

// payInvites records who invited the members who just joined and pays the inviter.
func payInvites(t *bot.Turn, joined []storage.Member) error {
	cfg := t.Group.Config.Invite
	name := ""
	if t.Event != nil {
		name = strings.TrimSpace(t.Event.Inviter)
	}
	if !cfg.Enabled || name == "" {
		return nil
	}
	inviter, ok, err := inviterOf(t, name)
	if err != nil || !ok {
		return err
	}
	for _, mem := range joined {
		if mem.Key == inviter.Key {
			continue
		}
		points := int64(cfg.Points)
		if inviter.Role == bot.RoleOwner {
			points = 0 // the bot's own account: the board counts it, points mean nothing to it
		}
		if points > 0 && cfg.DailyCap > 0 {
			n, err := t.Tx.PaidInvitesOn(inviter.Key, t.Day())
			if err != nil {
				return err
			}
			if n >= cfg.DailyCap {
				points = 0
			}
		}
		added, err := t.Tx.RecordInvite(storage.Invite{InviteeKey: mem.Key, GroupKey: t.Group.Key, InviterKey: inviter.Key,
			At: t.Now, Day: t.Day(), Points: points})
		if err != nil {
			return err
		}
		if !added || points == 0 {
			continue // invited before (a member who came back): paid once, never again
		}
		if _, _, err := pay(t, inviter, points, storage.ReasonInvite, inviteRef(t.Group.Key, mem.Key), "邀请 "+mem.Name(),
			map[string]any{"invitee": mem.Name()}); err != nil {
			return fmt.Errorf("invite points of member %d: %w", inviter.Key, err)
		}
	}
	return nil
}

// takeBackInvites takes the invite points back from the inviters of members who left
// within invite.take_back_within of joining.
func takeBackInvites(t *bot.Turn, left []storage.Member) error {
	cfg := t.Group.Config.Invite
	for _, mem := range left {
		inv, ok, err := t.Tx.InviteOf(mem.Key)
		if err != nil {
			return err
		}
		if !ok || !inv.RevokedAt.IsZero() || inv.Points <= 0 || t.Now.Sub(inv.At) > cfg.TakeBackWithin.D() {
			continue
		}
		inviter, err := t.Tx.Member(inv.InviterKey)
		if err != nil {
			return err
		}
		stayed := t.Now.Sub(inv.At).Round(timeUnit(t.Now.Sub(inv.At)))
		if _, _, err := takeBack(t, inviter, -inv.Points, storage.ReasonInvite, inviteBackRef(inv.GroupKey, mem.Key),
			fmt.Sprintf("%s 入群 %s 就退群了，收回邀请积分", mem.Name(), humanDuration(stayed)),
			map[string]any{"invitee": mem.Name(), "taken_back": true}); err != nil {
			return fmt.Errorf("take back invite points of member %d: %w", inviter.Key, err)
		}
		if err := t.Tx.RevokeInvite(mem.Key, t.Now); err != nil {
			return err
		}
	}
	return nil
}

// cmdInviteBoard is 邀请榜: the members who brought in the most people still here.
func (m *Module) cmdInviteBoard(t *bot.Turn, a bot.Args) error {
	if !t.Group.Config.Invite.Enabled {
		return t.Reply("本群没有开启邀请积分。")
	}
	top, err := t.Tx.InviteBoard(t.Group.Key, t.Group.Config.Boards.Invite)
	if err != nil {
		return err
	}
	if len(top) == 0 {
		return t.Reply(t.Group.Config.Texts.Text("board.invite.empty", nil))
	}
	var b strings.Builder
	b.WriteString(t.Group.Config.Texts.Text("board.invite.title", nil))
	for i, c := range top {
		mem, err := t.Tx.Member(c.InviterKey)
		if err != nil {
			return err
		}
		staying := ""
		if c.Staying != c.Invited {
			staying = fmt.Sprintf("（仍在群 %d 人）", c.Staying)
		}
		b.WriteString("\n" + t.Group.Config.Texts.Text("board.invite.line", config.Vars{"名次": fmt.Sprint(i + 1), "昵称": mem.ShownName(),
			"人数": fmt.Sprint(c.Invited), "仍在群": staying}))
	}
	cfg := t.Group.Config.Invite
	if cfg.Points > 0 {
		fmt.Fprintf(&b, "\n每邀请一位得 %d 积分", cfg.Points)
		if d := cfg.TakeBackWithin.D(); d > 0 {
			fmt.Fprintf(&b, "（对方 %s内退群会收回）", humanDuration(d))
		}
	}
	return t.Say(b.String())
}
