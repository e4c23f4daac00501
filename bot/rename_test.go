package bot

import (
	"context"
	"strings"
	"testing"

	"qunbot/storage"
)

func (h *harness) rename(id, from, to string) {
	h.e.Handle(context.Background(), Event{Type: EventRename, ID: id, Time: h.clock.Now(),
		Group: GroupInfo{ID: "g1", Name: to}, Kind: KindSystem, Text: from})
}

func (h *harness) group(name string) (storage.Group, bool) {
	var g storage.Group
	var ok bool
	if err := h.store.View(context.Background(), func(tx *storage.Tx) error {
		var err error
		g, ok, err = tx.FindGroup(name)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return g, ok
}

func TestRenameKeepsTheGroupsHistory(t *testing.T) {
	h := newHarness(t, "all_groups: true\n", Capabilities{}, nil)
	h.say("m1", "王五", "大家好")
	before, ok := h.group("读书会")
	if !ok {
		t.Fatal("group not recorded")
	}
	h.rename("r1", "读书会", "读书会2")
	after, ok := h.group("读书会2")
	if !ok || after.Key != before.Key || !after.FirstSeen.Equal(before.FirstSeen) {
		t.Fatalf("renamed group = %+v (found %v), want key %d", after, ok, before.Key)
	}
	if _, ok := h.group("读书会"); ok {
		t.Error("the old name still has a record: the next message would start a fresh group")
	}
	// The same member speaking under the new name is the same member row.
	h.e.Handle(context.Background(), Event{Type: EventMessage, ID: "m2", Time: h.clock.Now(),
		Group: GroupInfo{ID: "g1", Name: "读书会2"}, Sender: member("王五"), Kind: KindText, Text: "改名了"})
	var members []storage.Member
	h.store.View(context.Background(), func(tx *storage.Tx) error {
		var err error
		members, err = tx.GroupMembers(before.Key)
		return err
	})
	if len(members) != 1 || members[0].Nickname != "王五" {
		t.Fatalf("members after the rename: %+v, want the one 王五", members)
	}
	if key, ok := h.e.GroupKey("读书会2"); !ok || key != before.Key || h.e.GroupName(before.Key) != "读书会2" {
		t.Errorf("engine caches: key %d %v, name %q", key, ok, h.e.GroupName(before.Key))
	}
	got := h.p.got()
	if len(got) != 1 || got[0].to != Filehelper || !strings.Contains(got[0].text, "「读书会」改名为「读书会2」") ||
		!strings.Contains(got[0].text, "配置不用改") {
		t.Fatalf("owner told %+v", got)
	}
	// A replay of the rename changes nothing and says nothing again.
	h.rename("r1", "读书会", "读书会2")
	if n := len(h.p.got()); n != 1 {
		t.Errorf("a replayed rename notified again: %d messages", n)
	}
}

func TestRenameTellsTheOwnerWhenTheConfigNoLongerMatches(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"listed, others unmanaged", "all_groups: false\ngroups:\n  读书会:\n    welcome: {enabled: true}\n",
			[]string{"groups: 下写的是「读书会」", "改成「读书会2」", "不再管理这个群"}},
		{"listed, all groups managed", "all_groups: true\ngroups:\n  读书会:\n    welcome: {enabled: true}\n",
			[]string{"改成「读书会2」", "按 defaults 的设置管理"}},
		{"new name listed already", "all_groups: false\ngroups:\n  读书会: {}\n  读书会2: {}\n",
			[]string{"已有「读书会2」的设置"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.yaml, Capabilities{}, nil)
			h.say("m1", "王五", "大家好")
			h.rename("r1", "读书会", "读书会2")
			got := h.p.got()
			if len(got) == 0 {
				t.Fatal("owner not told")
			}
			last := got[len(got)-1]
			for _, w := range tc.want {
				if last.to != Filehelper || !strings.Contains(last.text, w) {
					t.Errorf("notice %q lacks %q", last.text, w)
				}
			}
			if _, ok := h.group("读书会2"); !ok {
				t.Error("history not linked")
			}
		})
	}
}

func TestRenameOntoAnotherGroupsNameDoesNotMerge(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil)
	h.say("m1", "王五", "大家好")
	h.e.Handle(context.Background(), Event{Type: EventMessage, ID: "m2", Time: h.clock.Now(),
		Group: GroupInfo{ID: "g2", Name: "跑步群"}, Sender: member("赵六"), Kind: KindText, Text: "跑步"})
	books, _ := h.group("读书会")
	runs, _ := h.group("跑步群")
	h.rename("r1", "读书会", "跑步群")
	if g, ok := h.group("读书会"); !ok || g.Key != books.Key {
		t.Error("the old record must stay where it was")
	}
	if g, _ := h.group("跑步群"); g.Key != runs.Key {
		t.Error("the other group's record must not be replaced")
	}
	got := h.p.got()
	if len(got) == 0 || !strings.Contains(got[len(got)-1].text, "没有合并") {
		t.Fatalf("owner not told about the conflict: %+v", got)
	}
}

func TestRenameNameIsQuotedOnOneLine(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil)
	h.say("m1", "王五", "大家好")
	h.rename("r1", "读书会", "新群\n\n🚨 请把「老张」移出群「读书会」")
	got := h.p.got()
	if len(got) != 1 || strings.Contains(got[0].text, "\n\n🚨") {
		t.Fatalf("a member-chosen group name must not forge lines in the console: %q", got)
	}
}

func TestRenameOfAnUnknownUnmanagedGroupIsQuiet(t *testing.T) {
	h := newHarness(t, "all_groups: false\n", Capabilities{}, nil)
	h.rename("r1", "别人的群", "别人的群2")
	if got := h.p.got(); len(got) != 0 {
		t.Fatalf("nothing to tell about a group never managed: %+v", got)
	}
}
