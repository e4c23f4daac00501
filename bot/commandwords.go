package bot

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"qunbot/bot/config"
)

// The owner's command words: a group's config may rename a command word
// (commands.rename: {签到: 报到}) and switch commands off (commands.off: [抽奖]). A renamed
// word replaces only that word — the command's other words still work — and 帮助 and the
// usage lines show the new one. A switched-off command is not a command in that group at
// all: its words are ordinary chat (no answer, so nobody can make the bot talk by poking
// at it), and 帮助 does not list it. The console is not a group: there every command keeps
// its words.

// maxWordTables bounds the per-group tables kept (one per group config; a reload drops
// them all, since it makes new configs).
const maxWordTables = 256

// wordsFor returns the word table for the turn's group.
func (cs *commandSet) wordsFor(t *Turn) *wordTable {
	if t.Event == nil || t.Event.Console || t.Group.Config == nil || !t.Group.Config.Commands.CustomWords() {
		return &cs.wordTable
	}
	g := t.Group.Config
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if w, ok := cs.perGroup[g]; ok {
		return w
	}
	if cfg := t.e.Config(); cs.perGroup == nil || cs.tablesFor != cfg || len(cs.perGroup) >= maxWordTables {
		cs.perGroup, cs.tablesFor = map[*config.Group]*wordTable{}, cfg
	}
	w := cs.groupTable(g.Commands)
	cs.perGroup[g] = w
	return w
}

// groupTable builds a group's table. Renamed words go in first: a new word that clashes
// with another command's word (which CheckCommandWords refuses) means the renamed command.
func (cs *commandSet) groupTable(c config.Commands) *wordTable {
	w := &wordTable{byName: map[string]*Command{}, shown: map[*Command]string{}, off: map[*Command]bool{}}
	add := func(word string, cmd *Command) {
		key := Fold(word)
		if _, taken := w.byName[key]; taken {
			return
		}
		w.byName[key] = cmd
		w.names = append(w.names, key)
		w.longest = max(w.longest, utf8.RuneCountInString(key))
	}
	for _, pass := range []bool{true, false} {
		for _, cmd := range cs.list {
			words := append([]string{cmd.Name}, cmd.Aliases...)
			if c.CommandOff(words) {
				w.off[cmd] = true
				continue
			}
			for _, word := range words {
				renamed := c.Renamed(word)
				if (renamed != word) != pass {
					continue
				}
				if pass && word == cmd.Name {
					w.shown[cmd] = renamed
				}
				add(renamed, cmd)
			}
		}
	}
	sort.Slice(w.names, func(i, j int) bool { return len(w.names[i]) > len(w.names[j]) })
	return w
}

// usageIn is the command's usage line as the turn's group knows the command.
func (cs *commandSet) usageIn(t *Turn, c *Command) string {
	word, ok := cs.wordsFor(t).shown[c]
	if !ok || !strings.HasPrefix(c.Usage, c.Name) {
		return c.Usage
	}
	return word + strings.TrimPrefix(c.Usage, c.Name)
}

// offIn reports whether the command is switched off in the turn's group.
func (cs *commandSet) offIn(t *Turn, c *Command) bool { return cs.wordsFor(t).off[c] }

// checkWords lists what is wrong with the command words of every group's config: a word
// to rename or switch off that no command has, a new word another command already uses.
func (cs *commandSet) checkWords(cfg *config.Config) []string {
	var problems []string
	check := func(path string, c config.Commands) {
		olds := make([]string, 0, len(c.Rename))
		for old := range c.Rename {
			olds = append(olds, old)
		}
		sort.Strings(olds)
		for _, old := range olds {
			cmd, ok := cs.byName[Fold(strings.TrimSpace(old))]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s.commands.rename.%s: 没有「%s」这个命令词；命令词有：%s / no such command word",
					path, old, old, cs.allNames()))
				continue
			}
			word := strings.TrimSpace(c.Rename[old])
			if other, taken := cs.byName[Fold(word)]; taken && other != cmd {
				problems = append(problems, fmt.Sprintf("%s.commands.rename.%s: 「%s」已经是命令「%s」的词，请换一个 / %q is already a word of another command",
					path, old, word, other.Name, word))
			}
		}
		for _, off := range c.Off {
			if _, ok := cs.byName[Fold(strings.TrimSpace(off))]; !ok && strings.TrimSpace(off) != "" {
				problems = append(problems, fmt.Sprintf("%s.commands.off: 没有「%s」这个命令；命令有：%s / no such command", path, off, cs.allNames()))
			}
		}
	}
	check("defaults", cfg.Defaults.Commands)
	names := make([]string, 0, len(cfg.Groups))
	for name := range cfg.Groups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		g := cfg.Groups[name]
		same := reflect.DeepEqual(g.Commands.Rename, cfg.Defaults.Commands.Rename) && slices.Equal(g.Commands.Off, cfg.Defaults.Commands.Off)
		if g.Commands.CustomWords() && !same {
			check("groups."+name, g.Commands)
		}
	}
	return problems
}

func (cs *commandSet) allNames() string {
	names := make([]string, 0, len(cs.list))
	for _, c := range cs.list {
		names = append(names, c.Name)
	}
	return strings.Join(names, "、")
}

// CheckCommandWords checks a config's command words against the commands the modules
// offer (bot check runs it; so do the engine's start and every reload).
func CheckCommandWords(cfg *config.Config, modules []Module) ([]string, error) {
	cs, err := newCommandSet((&Engine{}).coreCommands(), modules)
	if err != nil {
		return nil, err
	}
	return cs.checkWords(cfg), nil
}

// Word is the word for the command named name in the turn's group: what a text telling
// members to send 「抽奖」 must say where the owner renamed it.
func (t *Turn) Word(name string) string {
	if t.Group.Config == nil {
		return name
	}
	return t.Group.Config.Commands.Renamed(name)
}
