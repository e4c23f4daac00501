package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"qunbot/internal/safetext"
	"qunbot/storage"
)

// Roster is a platform that can say, from what it already holds (no I/O: the engine asks
// on its loop), who is in a group now under this session's ids. known is false when it
// cannot tell yet (the list is still loading). Platforms with stable ids need not have it.
type Roster interface {
	LiveMembers(groupID string) (members []MemberInfo, known bool)
}

// identityState is what the engine remembers about identities it would not grant on a
// guess. Everything in it is about the current session and is forgotten with it.
type identityState struct {
	// shadows are session ids that look like a member with a role or points but could not
	// be told apart from someone else: each got a plain row of its own (no role, no points,
	// its turns Ambiguous), and the rows they might be are kept untouched.
	shadows map[memberRef][]int64
	asked   map[memberRef]int  // shadows the owner was asked about: the ask's number
	asks    map[int]*relinkAsk // by number, for 「确认 #N」
	next    int
}

// relinkAsk is a question to the owner: is this session id the member with the role?
type relinkAsk struct {
	session string
	ref     memberRef
	shadow  int64 // the plain row the speaker has meanwhile
	claim   int64 // the row with the role
	name    string
}

// maxAsks bounds the asks kept for 确认; the oldest go first.
const maxAsks = 200

// newSession forgets the shadows of the old session; its asks stay, to be refused by name.
func (s *identityState) newSession() {
	s.shadows, s.asked = nil, nil
}

func (s *identityState) shadowed(ref memberRef) bool {
	_, ok := s.shadows[ref]
	return ok
}

func (s *identityState) shadow(ref memberRef, claims []int64) {
	if s.shadows == nil {
		s.shadows = map[memberRef][]int64{}
	}
	s.shadows[ref] = claims
}

// valuable reports a stored row worth taking over: it holds a role (admin; the owner's
// row is never matched by name at all) or a points balance.
func valuable(tx *storage.Tx, m storage.Member) (bool, error) {
	if m.Role == storage.RoleAdmin || m.Role == RoleOwner {
		return true, nil
	}
	b, err := tx.Balance(m.Key)
	if err != nil {
		return false, fmt.Errorf("balance of member %d: %w", m.Key, err)
	}
	return b != 0, nil
}

// liveMembers is the platform's list of the group's members in this session.
func (e *Engine) liveMembers(g *groupState) ([]MemberInfo, bool) {
	r, ok := e.platform.(Roster)
	if !ok || g.id == "" {
		return nil, false
	}
	return r.LiveMembers(g.id)
}

func sameTuple(a, b MemberInfo) bool {
	return a.Nickname == b.Nickname && a.DisplayName == b.DisplayName && a.AttrStatus == b.AttrStatus
}

// relink finds the stored member a session id that is new to us belongs to, by the
// identity tuple (nickname, group display name, AttrStatus), or makes a new one.
//
// Names are not proof, so what a wrong guess could hand over decides how sure we must be:
//   - the owner's row is never matched by name (the owner is the bot's own account:
//     resolveOwner);
//   - a row already bound to another id of this session, or whose id is on the platform's
//     member list now, is someone else who is here: never matched;
//   - a plain row is re-linked when it is the only match (two matches: the turn is
//     Ambiguous and nothing is linked);
//   - a row with a role or points is re-linked only when its member has not left and exactly
//     one member of the group, on the platform's live list, has the tuple, and that member
//     is the speaker. Otherwise the speaker gets a plain row of their own, flagged as a
//     shadow for the session: no role, no points, nothing on the other row (moderation
//     acts on the speaker's own row: Turn.Shadow). The owner is asked (askRelink).
func (e *Engine) relink(tx *storage.Tx, g *groupState, info MemberInfo, now time.Time) (storage.Member, bool, error) {
	matches, err := tx.MembersByIdentity(g.key, info.Nickname, info.DisplayName, info.AttrStatus)
	if err != nil {
		return storage.Member{}, false, err
	}
	var live []MemberInfo
	known := false
	if len(matches) > 0 {
		live, known = e.liveMembers(g)
	}
	liveIDs := make(map[string]bool, len(live))
	sameLive, speakerLive := 0, false
	for _, m := range live {
		liveIDs[m.ID] = true
		if sameTuple(m, info) {
			sameLive++
			speakerLive = speakerLive || m.ID == info.ID
		}
	}
	var cands []storage.Member
	var claims []int64
	for _, m := range matches {
		if m.Role == RoleOwner {
			continue
		}
		if m.PlatformID != "" && m.PlatformID != info.ID && (e.idLive(g.key, m.PlatformID) || liveIDs[m.PlatformID]) {
			continue
		}
		cands = append(cands, m)
		v, err := valuable(tx, m)
		if err != nil {
			return m, false, err
		}
		if v {
			claims = append(claims, m.Key)
		}
	}
	ref := memberRef{g.key, info.ID}
	// A row with a role or points whose member left is not handed to whoever has the name
	// now: leaving and a newcomer copying the name look the same from here.
	unique := known && sameLive == 1 && speakerLive && len(cands) == 1 && cands[0].InGroup()
	switch {
	case len(cands) == 1 && (len(claims) == 0 || unique):
		m := cands[0]
		if err := tx.UpdateIdentity(m.Key, info.ID, info.Nickname, info.DisplayName, info.AttrStatus); err != nil {
			return m, false, err
		}
		m.PlatformID = info.ID
		if info.ID != "" {
			e.idCache[ref] = m.Key
		}
		return m, false, nil
	case len(cands) > 1 && len(claims) == 0, len(cands) > 0 && info.ID == "":
		// Without an id there is nothing to give a row of its own to (it would be a new
		// row at every event): bookkeeping on the first match, and the turn is a guess.
		e.log.Warn("ambiguous member identity: no penalty or points until resolved",
			"group", g.name, "nickname", info.Nickname, "candidates", len(cands))
		return cands[0], true, nil
	}
	m, err := tx.InsertMember(storage.Member{GroupKey: g.key, PlatformID: info.ID, Nickname: info.Nickname,
		DisplayName: info.DisplayName, AttrStatus: info.AttrStatus, FirstSeen: now, Welcomed: true})
	if err != nil {
		return m, false, err
	}
	if info.ID != "" {
		e.idCache[ref] = m.Key
	}
	if len(claims) == 0 {
		return m, false, nil
	}
	e.log.Warn("a member looks like one with a role or points but cannot be told apart: nothing granted",
		"group", g.name, "nickname", info.Nickname, "same_name_live", sameLive, "list_known", known, "rows", len(cands))
	if info.ID != "" {
		e.ident.shadow(ref, claims)
	}
	return m, true, nil
}

// resolveOwner is the member row of the bot's own account in a group: the row with the
// owner role, found by role and never by name (someone may well call themselves 群主).
func (e *Engine) resolveOwner(tx *storage.Tx, g *groupState, info MemberInfo, now time.Time) (storage.Member, error) {
	ref := memberRef{g.key, info.ID}
	if key, ok := e.idCache[ref]; ok {
		m, err := tx.Member(key)
		if err != nil {
			return m, err
		}
		if m.Role == RoleOwner {
			m, _, err = e.refreshNames(tx, m, info)
			return m, err
		}
	}
	owners, err := tx.MembersWithRole(g.key, RoleOwner)
	if err != nil {
		return storage.Member{}, err
	}
	var m storage.Member
	switch {
	case len(owners) > 0:
		m = owners[0]
		if m.PlatformID != info.ID {
			if err := tx.UpdateIdentity(m.Key, info.ID, info.Nickname, info.DisplayName, info.AttrStatus); err != nil {
				return m, err
			}
			m.PlatformID, m.Nickname, m.DisplayName, m.AttrStatus = info.ID, info.Nickname, info.DisplayName, info.AttrStatus
		} else if m, _, err = e.refreshNames(tx, m, info); err != nil {
			return m, err
		}
	default:
		// The owner's first message here: a new row (newTurn gives it the role). A row
		// that only shares the owner's name is someone else's.
		m, err = tx.InsertMember(storage.Member{GroupKey: g.key, PlatformID: info.ID, Nickname: info.Nickname,
			DisplayName: info.DisplayName, AttrStatus: info.AttrStatus, FirstSeen: now, Welcomed: true})
		if err != nil {
			return m, err
		}
	}
	if info.ID != "" {
		e.idCache[ref] = m.Key
	}
	return m, nil
}

// askRelink asks the owner, once per session id, whether a shadow (see relink) that looks
// like an admin is that admin: 「确认 #N」 in the console hands the admin's row over.
func (e *Engine) askRelink(t *Turn) error {
	ref := memberRef{t.Group.Key, t.Event.Sender.ID}
	claims := e.ident.shadows[ref]
	if len(claims) == 0 {
		return nil
	}
	if _, done := e.ident.asked[ref]; done {
		return nil
	}
	// The row with a role first; else the one with points (the owner can hand those back
	// too, so that two members of one name do not both go without points for good).
	var claim storage.Member
	found := false
	for _, k := range claims {
		m, err := t.Tx.Member(k)
		if err != nil {
			return err
		}
		if !found || (m.Role == storage.RoleAdmin && claim.Role != storage.RoleAdmin) {
			claim, found = m, true
		}
	}
	if !found {
		return nil
	}
	question, label := "管理员", "管理员"
	if claim.Role != storage.RoleAdmin {
		bal, err := t.Tx.Balance(claim.Key)
		if err != nil {
			return err
		}
		question, label = fmt.Sprintf("原来的成员（积分 %d）", bal), "成员"
	}
	s := &e.ident
	s.next++
	n := s.next
	if s.asks == nil {
		s.asks = map[int]*relinkAsk{}
	}
	if s.asked == nil {
		s.asked = map[memberRef]int{}
	}
	delete(s.asks, n-maxAsks)
	name := safetext.Name(t.Member.ShownName())
	s.asks[n] = &relinkAsk{session: e.session, ref: ref, shadow: t.Member.Key, claim: claim.Key, name: name}
	s.asked[ref] = n
	var b strings.Builder
	fmt.Fprintf(&b, "❓ 确认 %s 是%s？\n", name, question)
	fmt.Fprintf(&b, "群「%s」里有人叫「%s」，名字和%s「%s」完全一样，但机器人（重新登录后）分不清是不是同一个人，",
		safetext.Name(t.Group.Name), name, label, safetext.Name(claim.ShownName()))
	b.WriteString("所以暂时不给 TA 原来的权限和积分（违规只记在 TA 自己的新记录上）。\n")
	if text := t.Text(); text != "" {
		fmt.Fprintf(&b, "TA 刚才说：「%s」\n", safetext.Quote(text, safetext.TextMax))
	}
	fmt.Fprintf(&b, "如果这就是%s「%s」本人，请回复「确认 #%d」；不是就不用理会。", label, safetext.Name(claim.ShownName()), n)
	return t.NotifyOwner(b.String())
}

// cmdConfirmRelink is 「确认 #N」: the owner says the shadow of ask N is the admin. The
// admin's row (role, points, history) moves to the session id that spoke; the plain row it
// had meanwhile is closed.
func (e *Engine) cmdConfirmRelink(t *Turn, a Args) error {
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(a.Text), "#＃")))
	if err != nil || n <= 0 {
		return Usagef("请写要确认的编号，例如「确认 #3」（编号在机器人的提问里）。")
	}
	ask, ok := e.ident.asks[n]
	if !ok {
		return t.NotifyOwner(fmt.Sprintf("没有待确认的 #%d（可能已经确认过，或者太久以前）。", n))
	}
	if ask.session != e.session {
		delete(e.ident.asks, n)
		return t.NotifyOwner(fmt.Sprintf("#%d 已失效：机器人重新登录过，成员的身份也变了。等 TA 再发言，按新的提问确认。", n))
	}
	claim, err := t.Tx.Member(ask.claim)
	if err != nil {
		return err
	}
	shadow, err := t.Tx.Member(ask.shadow)
	if err != nil {
		return err
	}
	if claim.PlatformID != "" && claim.PlatformID != ask.ref.id && e.idLive(ask.ref.group, claim.PlatformID) {
		delete(e.ident.asks, n)
		return t.NotifyOwner(fmt.Sprintf("#%d 没有执行：「%s」在这次登录里已经确认过是另一位成员。", n, safetext.Name(claim.ShownName())))
	}
	if err := t.Tx.UpdateIdentity(shadow.Key, "", shadow.Nickname, shadow.DisplayName, shadow.AttrStatus); err != nil {
		return err
	}
	if _, err := t.Tx.MarkLeft(shadow.Key, t.Now); err != nil {
		return err
	}
	if err := t.Tx.UpdateIdentity(claim.Key, ask.ref.id, shadow.Nickname, shadow.DisplayName, shadow.AttrStatus); err != nil {
		return err
	}
	if _, err := t.Tx.Audit(storage.AuditEntry{Time: t.Now, GroupKey: claim.GroupKey, MemberKey: claim.Key, Actor: "owner",
		Action: "identity_confirmed", Detail: map[string]any{"ask": n, "name": claim.ShownName(), "interim_member": shadow.Key}}); err != nil {
		return err
	}
	e.idCache[ask.ref] = claim.Key
	delete(e.ident.shadows, ask.ref)
	delete(e.ident.asks, n)
	return t.NotifyOwner(fmt.Sprintf("✅ 已确认：群「%s」的「%s」就是原来那位，TA 的权限、积分和记录都已恢复。",
		safetext.Name(e.GroupName(claim.GroupKey)), ask.name))
}

// identityCommands are the owner's commands about who is who.
func (e *Engine) identityCommands() []*Command {
	return []*Command{{
		Name: "确认", Aliases: []string{"confirm"}, Usage: "确认 #编号",
		Summary: "确认重新登录后认不出的成员就是原来那位管理员或成员（编号见机器人的提问）",
		Perm:    OwnerOnly, Where: InConsole, NoCooldown: true, Run: e.cmdConfirmRelink,
	}}
}
