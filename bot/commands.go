package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"qunbot/bot/config"
	"qunbot/storage"
)

// Permission says who may run a command.
type Permission int

const (
	Anyone    Permission = iota // every member
	AdminOnly                   // admins (bound by member key) and the owner
	OwnerOnly                   // only the owner's own account
)

// Where a command can be used.
type Where int

const (
	InGroup   Where = 1 << iota // typed in a group
	InConsole                   // typed by the owner in the file helper
	Anywhere  = InGroup | InConsole
)

// Command is a chat command. Name is the Chinese word members know; Aliases hold other
// Chinese words and the English ones (签到 / 打卡 / checkin).
type Command struct {
	Name    string
	Aliases []string
	Usage   string // the usage line, e.g. "警告 @成员 [原因]"
	Summary string // one line for 帮助
	Perm    Permission
	Where   Where
	// NoCooldown exempts the command from the per-member cooldown (e.g. 签到, whose own
	// once-a-day rule already stops repeats from paying).
	NoCooldown bool
	// Shown reports whether 帮助 lists the command for this turn's group (a feature switched
	// off in the config is not advertised). Nil: always listed.
	Shown func(t *Turn) bool
	Run   func(t *Turn, a Args) error

	// Describe, when set, is the Summary for the turn's group (a board's size is the
	// group's to set).
	Describe func(t *Turn) string
}

// Args are a command's parsed arguments.
type Args struct {
	Text    string           // everything after the command word
	Targets []storage.Member // members @-mentioned, resolved, in order
	Rest    string           // Text without the mentions
	Fields  []string         // Rest split on white space
}

// UsageError is returned by a command whose arguments are wrong: the engine answers with
// the message and the usage line, and undoes whatever the command wrote.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef builds a UsageError.
func Usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

type commandSet struct {
	wordTable
	list     []*Command
	cooldown map[cooldownKey]time.Time
	// perGroup holds the word tables of groups whose config renames or switches off
	// commands (commandwords.go), by the group's config: a reload makes new pointers.
	perGroup  map[*config.Group]*wordTable
	tablesFor *config.Config // the config perGroup was built from
	mu        sync.Mutex     // perGroup: 帮助 and matching run on the loop, but cheap to be sure
}

// wordTable finds a command by its word.
type wordTable struct {
	byName  map[string]*Command
	names   []string // longest first, for prefix matching
	longest int      // runes in the longest command word
	// shown is a renamed command's word in this table (help and usage lines); off the
	// commands switched off. Both empty in the engine-wide table.
	shown map[*Command]string
	off   map[*Command]bool
}

type cooldownKey struct {
	member int64
	cmd    string
}

func newCommandSet(core []*Command, modules []Module) (*commandSet, error) {
	cs := &commandSet{wordTable: wordTable{byName: map[string]*Command{}}, cooldown: map[cooldownKey]time.Time{}}
	all := append([]*Command(nil), core...)
	for _, m := range modules {
		if src, ok := m.(CommandSource); ok {
			all = append(all, src.Commands()...)
		}
	}
	for _, c := range all {
		if c.Where == 0 {
			c.Where = InGroup
		}
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			key := Fold(n)
			if other, dup := cs.byName[key]; dup {
				return nil, fmt.Errorf("command word %q is used by both %s and %s", n, other.Name, c.Name)
			}
			cs.byName[key] = c
			cs.names = append(cs.names, key)
			cs.longest = max(cs.longest, utf8.RuneCountInString(key))
		}
		cs.list = append(cs.list, c)
	}
	sort.Slice(cs.names, func(i, j int) bool { return len(cs.names[i]) > len(cs.names[j]) })
	return cs, nil
}

// Fold makes words match regardless of case and full-width typing: command words, and
// the keywords a screening answer must contain (bot/schedule). The one implementation is
// config.FoldWord, which the config's command words (commands.rename, commands.off) need
// too and config cannot import bot.
func Fold(s string) string { return config.FoldWord(s) }

// match finds the command a message starts with. The word must be followed by the end, a
// space, "@" or a digit, so that chat like "签到了吗" is not a command.
func (cs *wordTable) match(text string) (*Command, string) {
	// Only the start can be a command word: folding a whole pasted essay on every message
	// would cost the loop for nothing. The longest word plus the rune after it is enough.
	folded := Fold(headRunes(text, cs.longest+1))
	for _, name := range cs.names {
		if !strings.HasPrefix(folded, name) {
			continue
		}
		rest := folded[len(name):]
		r, _ := utf8.DecodeRuneInString(rest)
		if rest == "" || unicode.IsSpace(r) || r == '@' || r == '＠' || r == '#' || unicode.IsDigit(r) || r == '\u2005' {
			// Fold keeps byte lengths for ASCII and maps full-width forms (3 bytes)
			// to ASCII (1 byte), so find the cut in the original by rune count.
			return cs.byName[name], cutRunes(text, utf8.RuneCountInString(name))
		}
	}
	return nil, ""
}

// headRunes is the first n runes of s.
func headRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

func cutRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[i:]
		}
		n--
	}
	return ""
}

// dispatch runs the command a message carries, if any. It reports whether the message
// was a command (then it earns no message points and is not auto-replied).
func (cs *commandSet) dispatch(t *Turn, console bool) (bool, error) {
	text := stripLeadingMention(t.Text(), t.e.Config().Owner.Name)
	cmd, rest := t.matchCommand()
	if cmd == nil {
		if console && text != "" {
			return true, t.NotifyOwner("未知命令「" + firstWord(text) + "」。发送「帮助」查看可用命令。")
		}
		return false, nil
	}
	where := InGroup
	if console {
		where = InConsole
	}
	if cmd.Where&where == 0 {
		if console {
			return true, t.NotifyOwner("「" + cmd.Name + "」要在群里使用。")
		}
		return false, nil
	}
	if !allowed(t, cmd.Perm) {
		// Silence: answering every member who pokes at admin commands would let anyone
		// make the bot talk. The attempt is logged for the owner.
		t.e.log.Info("command refused: not permitted", "command", cmd.Name, "group", t.Group.Name, "member", t.Member.Name())
		return true, nil
	}
	if !console && !t.Privileged() && !cmd.NoCooldown {
		// A repeat of the same command with the same arguments is throttled; 兑换 after
		// 兑换 1 is a new question and gets its answer (the flood rule bounds volume).
		key := cooldownKey{t.Member.Key, cmd.Name + "\x00" + strings.Join(strings.Fields(Fold(rest)), " ")}
		wait := t.Group.Config.Commands.Cooldown.D()
		if last, ok := cs.cooldown[key]; ok && t.Now.Sub(last) < wait {
			return true, nil
		}
		cs.cooldown[key] = t.Now
		cs.pruneCooldowns(t.Now, wait)
	}
	args, err := t.e.parseArgs(t, rest)
	if err == nil {
		err = t.Tx.Savepoint(func() error { return cmd.Run(t, args) })
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		msg := ue.Msg
		if usage := t.e.commands.usageIn(t, cmd); usage != "" {
			msg += "\n用法：" + usage
		}
		return true, t.Answer(msg)
	}
	return true, err
}

// IsCommand reports whether the message is a command that can be used in a group,
// whoever may run it (a refused one is still a member talking to the bot, not to the
// group). Moderation asks before commands run, to keep commands out of flood and
// duplicate counting.
func (t *Turn) IsCommand() bool {
	if t.Event == nil || t.Event.Type != EventMessage {
		return false
	}
	cmd, _ := t.matchCommand()
	return cmd != nil && cmd.Where&InGroup != 0
}

// matchCommand finds the command the message starts with, once per turn (moderation asks
// before the dispatcher runs it).
func (t *Turn) matchCommand() (*Command, string) {
	if !t.cmdKnown {
		t.cmd, t.cmdRest = t.e.commands.wordsFor(t).match(stripLeadingMention(t.Text(), t.e.Config().Owner.Name))
		t.cmdKnown = true
	}
	return t.cmd, t.cmdRest
}

// pruneCooldowns keeps the cooldown map from growing for months.
func (cs *commandSet) pruneCooldowns(now time.Time, wait time.Duration) {
	if len(cs.cooldown) < 10000 {
		return
	}
	for k, at := range cs.cooldown {
		if now.Sub(at) >= wait {
			delete(cs.cooldown, k)
		}
	}
}

func allowed(t *Turn, p Permission) bool {
	switch p {
	case OwnerOnly:
		return t.Owner
	case AdminOnly:
		// Never on an identity that is a guess (a name shared after a re-login).
		return t.Owner || (t.Admin && !t.Ambiguous)
	}
	return true
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}

// stripLeadingMention lets members address the bot: "@群主 签到" is "签到".
func stripLeadingMention(text, ownerName string) string {
	text = strings.TrimSpace(text)
	if ownerName == "" {
		return text
	}
	for _, at := range []string{"@", "＠"} {
		if p := at + ownerName; strings.HasPrefix(text, p) {
			return strings.TrimLeft(text[len(p):], " \u2005\t")
		}
	}
	return text
}

// maxTargets bounds the members one command can @.
const maxTargets = 20

// parseArgs resolves @mentions to members of the turn's group. An unknown or ambiguous
// name is a usage error that says what to do.
func (e *Engine) parseArgs(t *Turn, rest string) (Args, error) {
	a := Args{Text: strings.TrimSpace(rest)}
	var kept strings.Builder
	s := a.Text
	for len(s) > 0 {
		i := strings.IndexAny(s, "@＠")
		if i < 0 {
			kept.WriteString(s)
			break
		}
		kept.WriteString(s[:i])
		_, atLen := utf8.DecodeRuneInString(s[i:])
		s = s[i+atLen:]
		if m, n, ok, err := e.platformMention(t, s); err != nil {
			return a, err
		} else if ok {
			// A mention the platform identified (QQ's at segment): the member by id,
			// whatever their name, even if two members share it.
			if len(a.Targets) == maxTargets {
				return a, Usagef("一条命令最多 @ %d 位成员。", maxTargets)
			}
			a.Targets = append(a.Targets, m)
			s = strings.TrimLeft(s[n:], "\u2005")
			continue
		}
		end := strings.IndexFunc(s, func(r rune) bool { return r == '\u2005' || unicode.IsSpace(r) || r == '@' || r == '＠' })
		if end < 0 {
			end = len(s)
		}
		// WeChat ends a mention it inserts with U+2005, and a name may hold spaces
		// ("@John Smith\u2005"): when a member has the whole span as a name, it is the name.
		if j := strings.IndexRune(s, '\u2005'); j > end && t.Group.Key != 0 {
			if k := strings.IndexAny(s, "@＠"); k < 0 || j < k {
				found, err := t.Tx.MembersNamed(t.Group.Key, s[:j])
				if err != nil {
					return a, err
				}
				if len(found) > 0 {
					end = j
				}
			}
		}
		name := s[:end]
		s = strings.TrimLeft(s[end:], "\u2005")
		if name == "" {
			continue
		}
		if t.Group.Key == 0 {
			return a, Usagef("请在群里使用 @，或者在群里直接发送这个命令。")
		}
		if len(a.Targets) == maxTargets {
			// Each @ is a lookup: a pasted wall of @s must not cost the loop thousands.
			return a, Usagef("一条命令最多 @ %d 位成员。", maxTargets)
		}
		found, err := t.Tx.MembersNamed(t.Group.Key, name)
		if err != nil {
			return a, err
		}
		var inGroup []storage.Member
		for _, m := range found {
			if m.InGroup() {
				inGroup = append(inGroup, m)
			}
		}
		switch {
		case len(inGroup) == 1:
			a.Targets = append(a.Targets, inGroup[0])
		case len(inGroup) > 1:
			return a, Usagef("群里有 %d 位成员都叫「%s」，无法确定是哪一位。请先让其中一位修改群昵称再试。", len(inGroup), name)
		case len(found) > 0:
			return a, Usagef("「%s」已经不在群里了。", name)
		default:
			return a, Usagef("找不到成员「%s」，请用 @ 选择群里的成员。", name)
		}
	}
	a.Rest = strings.TrimSpace(kept.String())
	a.Fields = strings.Fields(a.Rest)
	return a, nil
}

// platformMention matches the start of s (the text after an "@") against the mentions the
// platform identified in the message, longest name first, and resolves the member by id.
// n is how many bytes of s the name takes.
func (e *Engine) platformMention(t *Turn, s string) (m storage.Member, n int, ok bool, err error) {
	if t.Event == nil || len(t.Event.Mentions) == 0 || t.Group.Key == 0 {
		return m, 0, false, nil
	}
	best := -1
	for i, info := range t.Event.Mentions {
		name := info.Name()
		if name == "" || info.ID == "" || !strings.HasPrefix(s, name) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(s[len(name):]); len(s) > len(name) && r != '\u2005' && !unicode.IsSpace(r) && r != '@' && r != '＠' {
			continue
		}
		if best < 0 || len(name) > len(t.Event.Mentions[best].Name()) {
			best = i
		}
	}
	g := e.groups[t.Group.Key]
	if best < 0 || g == nil {
		return m, 0, false, nil
	}
	info := t.Event.Mentions[best]
	if m, _, err = e.resolveMember(t.Tx, g, info, t.Now); err != nil {
		return m, 0, false, err
	}
	if info.Role != "" && e.caps.StableIDs {
		// The platform's word on who is an admin, for the command's permission checks.
		if err := e.notePlatformRole(t.Tx, m.Key, info.Role); err != nil {
			return m, 0, false, err
		}
	}
	return m, len(info.Name()), true, nil
}

// coreCommands are the commands every deployment has.
func (e *Engine) coreCommands() []*Command {
	return []*Command{
		{
			Name: "帮助", Aliases: []string{"help", "菜单", "命令"}, Usage: "帮助", Summary: "查看可用命令",
			Where: Anywhere, Run: e.cmdHelp,
		},
		{
			Name: "群规", Aliases: []string{"rules"}, Usage: "群规", Summary: "查看群规",
			Run: func(t *Turn, a Args) error {
				texts := t.Group.Config.Texts
				if strings.TrimSpace(t.Group.Config.RulesText) == "" {
					return t.Reply(texts.Text("rules.none", nil))
				}
				return t.Say(texts.Text("rules", config.Vars{"群名": t.Group.Name, "群规": t.Group.Config.RulesText}))
			},
		},
		{
			Name: "管理帮助", Aliases: []string{"管理命令", "adminhelp"}, Usage: "管理帮助", Summary: "查看管理员命令（管理员）",
			Perm: AdminOnly, Where: Anywhere, Run: e.cmdAdminHelp,
		},
		{
			Name: "状态", Aliases: []string{"status"}, Usage: "状态",
			Summary: "查看机器人状态：登录、配置、今天发了多少、接下来的任务、待移出和禁言的人（管理员）",
			Perm:    AdminOnly, Where: Anywhere, NoCooldown: true, Run: e.cmdStatus,
		},
		{
			Name: "重载配置", Aliases: []string{"reload"}, Usage: "重载配置", Summary: "重新读取配置文件（群主）",
			Perm: OwnerOnly, Where: Anywhere, NoCooldown: true,
			Run: func(t *Turn, a Args) error {
				// Re-planning jobs reads the database: do it after this event commits.
				t.After(func(context.Context) { e.ReloadAsync(func(_ context.Context, msg string) { e.NotifyOwner(msg) }) })
				return nil
			},
		},
	}
}

// cmdHelp answers 帮助. In a group it lists the commands every member can use, and only
// those: a wall of admin commands teaches members nothing and tells spammers what the bot
// can do. Admins are pointed to 管理帮助; the owner gets the admin list in the console.
// In the console it lists everything the owner can do, by where it is typed.
func (e *Engine) cmdHelp(t *Turn, a Args) error {
	if t.Event != nil && t.Event.Console {
		var b strings.Builder
		b.WriteString("在文件传输助手里可以发：\n")
		b.WriteString(e.helpLines(t, InConsole, func(c *Command) bool { return true }))
		b.WriteString("\n\n在群里，你和管理员可以发：\n")
		b.WriteString(e.helpLines(t, InGroup, func(c *Command) bool { return c.Perm != Anyone }))
		b.WriteString("\n\n群成员可以发：\n")
		b.WriteString(e.helpLines(t, InGroup, func(c *Command) bool { return c.Perm == Anyone }))
		return t.NotifyOwner(b.String())
	}
	text := "可用命令：\n" + e.helpLines(t, InGroup, func(c *Command) bool { return c.Perm == Anyone })
	switch {
	case t.Owner:
		if err := e.cmdAdminHelp(t, a); err != nil {
			return err
		}
		text += "\n（管理命令已发到你的文件传输助手）"
	case t.Admin:
		text += "\n（你是管理员：发「" + t.Word("管理帮助") + "」查看管理命令）"
	}
	return t.Reply(text)
}

// cmdAdminHelp lists the commands admins (and the owner) use in a group. The owner reads
// it in the console; an admin, who has no private channel to the bot, in the group.
func (e *Engine) cmdAdminHelp(t *Turn, a Args) error {
	text := "管理命令（在群里发）：\n" + e.helpLines(t, InGroup, func(c *Command) bool { return c.Perm != Anyone })
	if t.Owner {
		return t.NotifyOwner(text)
	}
	return t.Reply(text)
}

// helpLines lists the commands usable at where that keep says yes to, which this turn's
// sender may run and the group's config shows.
func (e *Engine) helpLines(t *Turn, where Where, keep func(*Command) bool) string {
	var lines []string
	for _, c := range e.commands.list {
		if c.Where&where == 0 || !keep(c) || !allowed(t, c.Perm) {
			continue
		}
		if c.Shown != nil && t.Group.Config != nil && !c.Shown(t) {
			continue
		}
		if where == InGroup && e.commands.offIn(t, c) {
			continue
		}
		summary := c.Summary
		if c.Describe != nil && t.Group.Config != nil {
			summary = c.Describe(t)
		}
		lines = append(lines, fmt.Sprintf("· %s — %s", e.commands.usageIn(t, c), summary))
	}
	if len(lines) == 0 {
		return "（没有）"
	}
	return strings.Join(lines, "\n")
}
