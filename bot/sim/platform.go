package sim

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"qunbot/bot"
)

// Platform is a simulated chat platform. By default it has WeChat's capabilities (no
// remove, no mute); CanRemove makes it behave like a platform that can kick, CanMute and
// CanRecall like one that can mute and recall (QQ, where the bot is a group admin).
type Platform struct {
	mu      sync.Mutex
	caps    bot.Capabilities
	out     *Printer
	clock   bot.Clock
	groups  map[string]map[string]bool // group → member script names
	removed []removal                  // removals to turn into leave events
	kicked  map[removal]bool           // removed members: they cannot post until they rejoin
	muted   map[removal]time.Time      // members muted on the platform, until when
	// seeded are members a database the simulation restarted on says are in a group: the
	// live member list (LiveMembers) has them, as a real platform's would after a restart.
	seeded map[string]map[string]bool
	// session counts @relogin lines: in session n > 0 every member's id is "name:n", as
	// WeChat gives everyone a new id at every login. Script names cannot hold a colon.
	session int
	friends map[string]bool // script names of the owner's friends (@friend)
}

type removal struct{ group, member string }

// NewPlatform makes a simulated platform that prints what the bot does.
func NewPlatform(caps bot.Capabilities, out *Printer, clock bot.Clock) *Platform {
	return &Platform{caps: caps, out: out, clock: clock, groups: map[string]map[string]bool{}, kicked: map[removal]bool{},
		muted: map[removal]time.Time{}, seeded: map[string]map[string]bool{},
		friends: map[string]bool{}}
}

// Capabilities are what the simulation was started with.
func (p *Platform) Capabilities() bot.Capabilities { return p.caps }

// ConnectionLine is the simulator's answer to 状态: nothing to log in to.
func (p *Platform) ConnectionLine() string { return "🧪 模拟器：不需要登录" }

// SendText prints a send.
func (p *Platform) SendText(ctx context.Context, groupID, text string, mentions []string) error {
	p.mu.Lock()
	_, ok := p.groups[groupID]
	p.mu.Unlock()
	if !ok {
		return fmt.Errorf("sim: no group %q", groupID)
	}
	names := make([]string, len(mentions))
	for i, id := range mentions {
		names[i] = ScriptName(id)
	}
	p.out.Send(p.clock.Now(), bot.DeliveryID(ctx), groupID, text, names)
	return nil
}

// SendDM prints a DM.
func (p *Platform) SendDM(ctx context.Context, to, text string) error {
	to = ScriptName(to) // a member by script name, whatever the session
	p.out.DM(p.clock.Now(), bot.DeliveryID(ctx), to, text)
	return nil
}

// SendImageDM prints an image (bot.ImageSender): name and size, not the pixels.
func (p *Platform) SendImageDM(ctx context.Context, to string, png []byte, name string) error {
	p.out.Image(p.clock.Now(), bot.DeliveryID(ctx), to, name, len(png))
	return nil
}

// RemoveMember prints a removal and takes the member out of the group.
func (p *Platform) RemoveMember(ctx context.Context, groupID, memberID string) error {
	if !p.caps.CanRemove {
		return bot.ErrNotSupported
	}
	memberID = ScriptName(memberID)
	p.mu.Lock()
	members, ok := p.groups[groupID]
	if ok {
		delete(members, memberID)
		p.removed = append(p.removed, removal{groupID, memberID})
		p.kicked[removal{groupID, memberID}] = true
	}
	p.mu.Unlock()
	if !ok {
		return fmt.Errorf("sim: no group %q", groupID)
	}
	p.out.Remove(p.clock.Now(), groupID, memberID)
	return nil
}

// MuteMember prints a mute (bot.Muter) and keeps the member from posting until it ends,
// as a platform that mutes does; d == 0 lifts it.
func (p *Platform) MuteMember(ctx context.Context, groupID, memberID string, d time.Duration) error {
	if !p.caps.CanMute {
		return bot.ErrNotSupported
	}
	memberID = ScriptName(memberID)
	p.mu.Lock()
	_, ok := p.groups[groupID]
	if ok {
		if d > 0 {
			p.muted[removal{groupID, memberID}] = p.clock.Now().Add(d)
		} else {
			delete(p.muted, removal{groupID, memberID})
		}
	}
	p.mu.Unlock()
	if !ok {
		return fmt.Errorf("sim: no group %q", groupID)
	}
	p.out.Mute(p.clock.Now(), bot.DeliveryID(ctx), groupID, memberID, int64(d/time.Second))
	return nil
}

// Recall prints the recall of a member's message (bot.Recaller).
func (p *Platform) Recall(ctx context.Context, groupID, memberID, messageID string) error {
	if !p.caps.CanRecall {
		return bot.ErrNotSupported
	}
	p.out.Recall(p.clock.Now(), bot.DeliveryID(ctx), groupID, ScriptName(memberID))
	return nil
}

// mutedUntil reports until when a member is muted on the platform (zero: not muted).
func (p *Platform) mutedUntil(group, member string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	until := p.muted[removal{group, member}]
	if !until.After(p.clock.Now()) {
		delete(p.muted, removal{group, member})
		return time.Time{}
	}
	return until
}

// Groups lists the simulated groups.
func (p *Platform) Groups(ctx context.Context) ([]bot.GroupInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]bot.GroupInfo, 0, len(p.groups))
	for name, members := range p.groups {
		out = append(out, bot.GroupInfo{ID: name, Name: name, MemberCount: len(members) + 1})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Members lists a simulated group's members under this session's ids.
func (p *Platform) Members(ctx context.Context, groupID string) ([]bot.MemberInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	members, ok := p.groups[groupID]
	if !ok {
		return nil, fmt.Errorf("sim: no group %q", groupID)
	}
	out := make([]bot.MemberInfo, 0, len(members))
	for name := range members {
		out = append(out, p.memberInfoLocked(name))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// LiveMembers is bot.Roster: everyone in the group now (who spoke or joined in this run,
// and whom the database says was there before it), under this session's ids.
func (p *Platform) LiveMembers(groupID string) ([]bot.MemberInfo, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := map[string]bool{}
	for n := range p.seeded[groupID] {
		names[n] = true
	}
	for n := range p.groups[groupID] {
		names[n] = true
	}
	out := make([]bot.MemberInfo, 0, len(names))
	for n := range names {
		out = append(out, p.memberInfoLocked(n))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, true
}

// KnowMembers records who a restarted simulation's database says is in a group, by the
// ids stored for them (script names, or "name:n" after a @relogin).
func (p *Platform) KnowMembers(group string, ids []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seeded[group] == nil {
		p.seeded[group] = map[string]bool{}
	}
	for _, id := range ids {
		if n := ScriptName(id); n != "" && n != OwnerName {
			p.seeded[group][n] = true
		}
	}
}

// Relogin starts a new session (@relogin): every member gets a new id, as after a WeChat
// re-login, and the engine has to recognise them again.
func (p *Platform) Relogin() {
	p.mu.Lock()
	p.session++
	p.mu.Unlock()
}

// Session names the current session for bot.Event.Session ("" before any @relogin).
func (p *Platform) Session() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.session == 0 {
		return ""
	}
	return "relogin-" + strconv.Itoa(p.session)
}

// memberInfo is how the platform shows a script name now: its id in this session, and
// its nickname (the name without a #tag: 老张#2 is another person called 老张).
func (p *Platform) memberInfo(name string) bot.MemberInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.memberInfoLocked(name)
}

func (p *Platform) memberInfoLocked(name string) bot.MemberInfo {
	id := name
	if p.session > 0 {
		id = name + ":" + strconv.Itoa(p.session)
	}
	return bot.MemberInfo{ID: id, Nickname: Nickname(name)}
}

// Nickname is the nickname a script name shows: 老张#2 is a second person whose nickname
// is 老张. A name whose # has nothing before or after it is all nickname.
func Nickname(name string) string {
	if i := strings.LastIndex(name, "#"); i > 0 && i < len(name)-1 {
		return name[:i]
	}
	return name
}

// ScriptName is the script name behind a simulated session id ("老张#2:3" → "老张#2").
func ScriptName(id string) string {
	name, _, _ := strings.Cut(id, ":")
	return name
}

// ensureGroup creates a group; it reports the group's info (the owner counts as a member).
// KnowGroups adds groups the simulated account is in already. A bot restarted on a
// database is still in every group it was in, as a real account is after logging in
// again: a message queued for one before the restart can go out before the script names
// the group again.
func (p *Platform) KnowGroups(names []string) {
	for _, n := range names {
		p.ensureGroup(n)
	}
}

func (p *Platform) ensureGroup(name string) bot.GroupInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.groups[name] == nil {
		p.groups[name] = map[string]bool{}
	}
	return bot.GroupInfo{ID: name, Name: name, MemberCount: len(p.groups[name]) + 1}
}

// setMember adds or removes a member and returns the group's info afterwards.
func (p *Platform) setMember(group, member string, in bool) bot.GroupInfo {
	p.ensureGroup(group)
	p.mu.Lock()
	defer p.mu.Unlock()
	if in {
		p.groups[group][member] = true
	} else {
		delete(p.groups[group], member)
	}
	return bot.GroupInfo{ID: group, Name: group, MemberCount: len(p.groups[group]) + 1}
}

func (p *Platform) isMember(group, member string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.groups[group][member]
}

// takeRemovals returns removals made since the last call.
func (p *Platform) takeRemovals() []removal {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.removed
	p.removed = nil
	return r
}

// rejoin lets a removed member back in (they joined again).
func (p *Platform) rejoin(group, member string) {
	p.mu.Lock()
	delete(p.kicked, removal{group, member})
	p.mu.Unlock()
}

// wasRemoved reports a member the platform removed who has not rejoined.
func (p *Platform) wasRemoved(group, member string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.kicked[removal{group, member}]
}
