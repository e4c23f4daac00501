package bot

import (
	"context"
	"strings"
	"testing"

	"qunbot/storage"
)

// rosterPlatform is a fake platform with a live member list (Roster).
type rosterPlatform struct {
	*fakePlatform
	live  []MemberInfo
	known bool
}

func (p *rosterPlatform) LiveMembers(string) ([]MemberInfo, bool) { return p.live, p.known }

// TestRoleRelinkNeedsAUniqueLiveMatch: after a re-login a row with a role goes to a new
// session id only when the platform's live list has exactly that one member with the
// names; an unknown list or a second person of that name grants nothing.
func TestRoleRelinkNeedsAUniqueLiveMatch(t *testing.T) {
	for _, tc := range []struct {
		name   string
		live   []MemberInfo
		known  bool
		relink bool
	}{
		{"list unknown", nil, false, false},
		{"unique", []MemberInfo{{ID: "v1", Nickname: "老张"}}, true, true},
		{"two alike", []MemberInfo{{ID: "v1", Nickname: "老张"}, {ID: "v9", Nickname: "老张"}}, true, false},
		{"speaker missing from the list", []MemberInfo{{ID: "v9", Nickname: "老张"}}, true, false},
		{"same nickname, other display name", []MemberInfo{{ID: "v1", Nickname: "老张"}, {ID: "v9", Nickname: "老张", DisplayName: "张三"}}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []*Turn
			spy := hookFunc(func(t *Turn) error { seen = append(seen, t); return nil })
			h := newHarness(t, "", Capabilities{}, nil, spy)
			rp := &rosterPlatform{fakePlatform: h.p}
			h.e.platform = rp
			g := GroupInfo{ID: "g1", Name: "读书会"}
			send := func(id, session string, m MemberInfo, text string) {
				h.e.Handle(context.Background(), Event{Type: EventMessage, ID: id, Group: g, Sender: m, Kind: KindText, Text: text, Session: session})
			}
			send("1", "", MemberInfo{ID: "u1", Nickname: "老张"}, "大家好")
			key := seen[0].Member.Key
			if err := h.store.Update(context.Background(), func(tx *storage.Tx) error { return tx.SetRole(key, storage.RoleAdmin) }); err != nil {
				t.Fatal(err)
			}
			rp.live, rp.known = tc.live, tc.known
			send("2", "s2", MemberInfo{ID: "v1", Nickname: "老张"}, "警告 @王五")
			got := seen[1]
			if linked := got.Member.Key == key; linked != tc.relink {
				t.Fatalf("relinked = %v, want %v", linked, tc.relink)
			}
			if got.Admin != tc.relink || got.Ambiguous == tc.relink {
				t.Errorf("admin = %v, ambiguous = %v: the admin flag only with the row", got.Admin, got.Ambiguous)
			}
			asked := false
			for _, s := range h.p.got() {
				asked = asked || (s.kind == "dm" && strings.Contains(s.text, "确认 #1"))
			}
			if asked == tc.relink {
				t.Errorf("the owner is asked exactly when the role is not relinked (asked = %v)", asked)
			}
			// The same session id stays a guess for the rest of the session.
			send("3", "s2", MemberInfo{ID: "v1", Nickname: "老张"}, "再说一句")
			if seen[2].Ambiguous == tc.relink || seen[2].Admin != tc.relink {
				t.Errorf("second message: admin = %v, ambiguous = %v", seen[2].Admin, seen[2].Ambiguous)
			}
		})
	}
}

// TestOwnerRowIsFoundByRoleNotName: a member called like the owner never gets the owner's
// row, and the owner keeps it across sessions.
func TestOwnerRowIsFoundByRoleNotName(t *testing.T) {
	var seen []*Turn
	spy := hookFunc(func(t *Turn) error { seen = append(seen, t); return nil })
	h := newHarness(t, "", Capabilities{}, nil, spy)
	g := GroupInfo{ID: "g1", Name: "读书会"}
	h.e.Handle(context.Background(), Event{Type: EventMessage, ID: "1", Group: g, FromOwner: true,
		Sender: MemberInfo{ID: "self1", Nickname: "群主"}, Kind: KindText, Text: "早"})
	owner := seen[0].Member
	if owner.Role != RoleOwner {
		t.Fatalf("the bot's own account holds the owner role: %+v", owner)
	}
	h.e.Handle(context.Background(), Event{Type: EventMessage, ID: "2", Group: g, Session: "s2",
		Sender: MemberInfo{ID: "x", Nickname: "群主"}, Kind: KindText, Text: "我是群主"})
	if m := seen[1].Member; m.Key == owner.Key || m.Role == RoleOwner || seen[1].Admin {
		t.Fatalf("a member named 群主 got the owner's row: %+v", m)
	}
	h.e.Handle(context.Background(), Event{Type: EventMessage, ID: "3", Group: g, Session: "s2", FromOwner: true,
		Sender: MemberInfo{ID: "self2", Nickname: "群主"}, Kind: KindText, Text: "早"})
	if seen[2].Member.Key != owner.Key {
		t.Fatalf("the owner keeps the row after a re-login: %+v vs %+v", seen[2].Member, owner)
	}
}
