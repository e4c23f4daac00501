package onebot

import (
	"encoding/json"
	"fmt"

	"qunbot/bot"
)

// Friends of the bot's account (get_friend_list), read with the group list — at each
// connection and every GroupRefresh — so that IsFriend (bot.Friends) answers from memory:
// a via: dm reminder goes privately only to a member a private message reaches.

type friendInfo struct {
	UserID   ID     `json:"user_id"`
	Nickname string `json:"nickname"`
}

// friendsOn reads the friend list. An implementation without the API leaves the list
// empty: every reminder then goes to the group, as before.
func (a *Adapter) friendsOn(s *session) error {
	data, err := s.call(s.ctx, "get_friend_list", nil)
	if err != nil {
		return fmt.Errorf("get_friend_list: %w", err)
	}
	var list []friendInfo
	if err := json.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("get_friend_list: malformed answer: %w", err)
	}
	ids := make(map[string]bool, len(list))
	for _, f := range list {
		if f.UserID != "" {
			ids[string(f.UserID)] = true
		}
	}
	a.st.setFriends(ids)
	return nil
}

// IsFriend reports whether the member is a friend of the bot's account (bot.Friends).
func (a *Adapter) IsFriend(m bot.MemberInfo) bool { return a.st.isFriend(m.ID) }

func (s *state) setFriends(ids map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.friends = ids
}

func (s *state) isFriend(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return id != "" && s.friends[id]
}
