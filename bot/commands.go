package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	byName   map[string]*Command
	names    []string // longest first, for prefix matching
	longest  int      // runes in the longest command word
	list     []*Command
	cooldown map[cooldownKey]time.Time
}

type cooldownKey struct {
	member int64
	cmd    string
}

func newCommandSet(core []*Command, modules []Module) (*commandSet, error) {
	cs := &commandSet{byName: map[string]*Command{}, cooldown: map[cooldownKey]time.Time{}}
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
			key := foldCommand(n)
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

// foldCommand makes command words match regardless of case and full-width typing.
func foldCommand(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// match finds the command a message starts with. The word must be followed by the end, a
// space, "@" or a digit, so that chat like "签到了吗" is not a command.
func (cs *commandSet) match(text string) (*Command, string) {
	// Only the start can be a command word: folding a whole pasted essay on every message
	// would cost the loop for nothing. The longest word plus the rune after it is enough.
	folded := foldCommand(headRunes(text, cs.longest+1))
	for _, name := range cs.names {
		if !strings.HasPrefix(folded, name) {
			continue
		}
		rest := folded[len(name):]
		r, _ := utf8.DecodeRuneInString(rest)
		if rest == "" || unicode.IsSpace(r) || r == '@' || r == '＠' || r == '#' || unicode.IsDigit(r) || r == '\u2005' {
			// foldCommand keeps byte lengths for ASCII and maps full-width forms (3 bytes)
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
	cmd, rest := cs.match(text)
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
		key := cooldownKey{t.Member.Key, cmd.Name + "\x00" + strings.Join(strings.Fields(foldCommand(rest)), " ")}
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
		if cmd.Usage != "" {
			msg += "\n用法：" + cmd.Usage
		}
		return true, t.Answer(msg)
	}
	return true, err
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
		return t.Owner || t.Admin
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
				if strings.TrimSpace(t.Group.Config.RulesText) == "" {
					return t.Reply("本群还没有设置群规。")
				}
				return t.Say("📌「" + t.Group.Name + "」群规：\n" + t.Group.Config.RulesText)
			},
		},
		{
			Name: "状态", Aliases: []string{"status"}, Usage: "状态", Summary: "查看机器人状态（群主）",
			Perm: OwnerOnly, Where: InConsole, Run: e.cmdStatus,
		},
		{
			Name: "重载配置", Aliases: []string{"reload"}, Usage: "重载配置", Summary: "重新读取配置文件（群主）",
			Perm: OwnerOnly, Where: Anywhere, NoCooldown: true,
			Run: func(t *Turn, a Args) error {
				// Re-planning jobs reads the database: do it after this event commits.
				t.After(func(ctx context.Context) { e.NotifyOwner(e.ReloadFromLoader(ctx)) })
				return nil
			},
		},
	}
}

func (e *Engine) cmdHelp(t *Turn, a Args) error {
	// Members see their commands; the owner and admins see theirs in a section of their
	// own, so a member's list is not buried under management commands.
	var members, admins []string
	for _, c := range e.commands.list {
		where := InGroup
		if t.Event != nil && t.Event.Console {
			where = InConsole
		}
		if c.Where&where == 0 || !allowed(t, c.Perm) || (c.Shown != nil && !c.Shown(t)) {
			continue
		}
		line := fmt.Sprintf("· %s — %s", c.Usage, c.Summary)
		if c.Perm == Anyone {
			members = append(members, line)
		} else {
			admins = append(admins, line)
		}
	}
	if len(admins) == 0 || (t.Event != nil && t.Event.Console) {
		return t.Answer("可用命令：\n" + strings.Join(append(members, admins...), "\n"))
	}
	text := "管理员命令：\n" + strings.Join(admins, "\n")
	if len(members) > 0 {
		text = "成员命令：\n" + strings.Join(members, "\n") + "\n\n" + text
	}
	return t.Answer(text)
}

func (e *Engine) cmdStatus(t *Turn, a Args) error {
	groups, err := t.Tx.Groups()
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "qunbot 运行中，现在 %s。\n", t.Now.In(e.Location()).Format("2006-01-02 15:04"))
	for _, g := range groups {
		n, err := e.MemberCount(t.Tx, g.Key)
		if err != nil {
			return err
		}
		_, managed := e.Config().ForGroup(g.Name)
		state := "管理中"
		if !managed {
			state = "未管理"
		}
		fmt.Fprintf(&b, "· %s：%d 人（%s）\n", g.Name, n, state)
	}
	if len(groups) == 0 {
		b.WriteString("还没有见到任何群。\n")
	}
	return t.NotifyOwner(strings.TrimSpace(b.String()))
}
