package bot

import (
	"context"
	"fmt"
	"strings"

	"qunbot/internal/safetext"
	"qunbot/storage"
)

// EventRename says a group was renamed. Group is the group under its new name (with its
// session id); Text is its old name. Platforms whose groups have stable ids need no
// renames; on WeChat, where groups are known by name, a rename read from the 修改群名为
// system message (or a member-list fetch) keeps the group's history under its key.
//
// Its value is apart from the iota-numbered event types so that adding those never
// renumbers it.
const EventRename EventType = 100

// renameTurn prepares a rename: unlike other events it is handled whether or not the new
// (or old) name is a managed group, because the config may be keyed by the name that just
// stopped matching.
func (e *Engine) renameTurn(tx *storage.Tx, ev *Event) (*Turn, error) {
	return &Turn{e: e, Tx: tx, Now: ev.Time, Event: ev, Ctx: context.Background()}, nil
}

// onRename moves the group's record to its new name — same key, so members, strikes,
// points, activity and the audit log follow — and tells the owner, in particular when the
// config names the group by its old name and so no longer matches it.
func (e *Engine) onRename(t *Turn) error {
	ev := t.Event
	oldName, newName := strings.TrimSpace(ev.Text), strings.TrimSpace(ev.Group.Name)
	if oldName == "" || newName == "" || oldName == newName {
		return nil
	}
	cfg := e.Config()
	_, wasManaged := cfg.ForGroup(oldName)
	oldRec, hasOld, err := t.Tx.FindGroup(oldName)
	if err != nil {
		return err
	}
	newRec, hasNew, err := t.Tx.FindGroup(newName)
	if err != nil {
		return err
	}
	newCfg, _ := cfg.ForGroup(newName)
	key := oldRec.Key
	if !hasOld {
		key = newRec.Key
	}
	t.Group = GroupCtx{Key: key, Name: newName, Config: newCfg}
	if ev.ID != "" && key != 0 {
		fresh, err := t.Tx.MarkProcessed(key, ev.ID, ev.Time)
		if err != nil || !fresh {
			return err
		}
	}
	switch {
	case hasOld && !hasNew:
		if err := t.Tx.RenameGroup(oldRec.Key, newName); err != nil {
			return err
		}
		e.renameCached(oldRec.Key, oldName, newName, ev.Group)
	case hasOld && hasNew:
		// Both names have a history. Merging two groups' members and points on the word of
		// a system message is not a guess to make: keep both and tell the owner.
		e.log.Warn("group renamed to the name of another group on record: records not merged",
			"from", oldName, "to", newName, "old_key", oldRec.Key, "new_key", newRec.Key)
	}
	if key != 0 {
		if err := t.Audit("rename", 0, map[string]any{"from": oldName, "to": newName}); err != nil {
			return err
		}
	}
	e.log.Info("group renamed", "from", oldName, "to", newName, "linked", hasOld && !hasNew)
	if !wasManaged && !hasOld {
		return nil // a group the bot never managed: nothing to tell
	}
	return t.NotifyOwner(e.renameNotice(oldName, newName, hasOld, hasNew))
}

// renameCached updates the engine's in-memory view of the group. A failed transaction
// reloads it from the database (resetCaches), so it cannot drift from the record.
func (e *Engine) renameCached(key int64, oldName, newName string, info GroupInfo) {
	delete(e.groupKeys, oldName)
	e.groupKeys[newName] = key
	g := e.groups[key]
	if g == nil {
		g = &groupState{key: key}
		e.groups[key] = g
	}
	g.name = newName
	if info.ID != "" && g.id != info.ID {
		g.id = info.ID
		e.outbox.SetGroupID(key, info.ID)
	}
	if info.MemberCount > 0 {
		g.count = info.MemberCount
	}
}

// renameNotice tells the owner what the rename means for the records and the config.
func (e *Engine) renameNotice(oldName, newName string, hasOld, hasNew bool) string {
	cfg := e.Config()
	o, n := "「"+oneLine(oldName)+"」", "「"+oneLine(newName)+"」"
	var b strings.Builder
	fmt.Fprintf(&b, "✏️ 群%s改名为%s。", o, n)
	switch {
	case hasOld && hasNew:
		fmt.Fprintf(&b, "\n⚠️ 数据库里已经有一个叫%s的群的记录，两份记录没有合并：成员、积分和警告记录仍分别在两个名字下。", n)
	case hasOld:
		b.WriteString("\n成员、积分、警告和统计记录已经接到新名字下。")
	}
	_, oldListed := cfg.Groups[oldName]
	_, newListed := cfg.Groups[newName]
	switch {
	case newListed:
		fmt.Fprintf(&b, "\n配置文件里已有%s的设置，现在按它管理。", n)
	case oldListed:
		fmt.Fprintf(&b, "\n⚠️ 配置文件 groups: 下写的是%s，已经对不上了：请把它改成%s并保存（会自动重载）。", o, n)
		if cfg.ManagesUnlisted() {
			b.WriteString("在那之前这个群按 defaults 的设置管理。")
		} else {
			b.WriteString("在那之前机器人不再管理这个群（不欢迎、不过滤、不发定时消息）。")
		}
	default:
		b.WriteString("\n配置不用改。")
	}
	return b.String()
}

// oneLine makes a group name safe to quote in the owner's console: any member can rename a
// group, so the name is member-provided text — controls, bidi marks and line breaks are shown
// as U+XXXX (safetext), and it is cut like a member's name.
func oneLine(name string) string {
	return safetext.Name(strings.TrimSpace(name))
}
