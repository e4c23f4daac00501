package config

import (
	"strings"
	"testing"
	"time"
)

func TestDefencesDefaults(t *testing.T) {
	c, err := Parse([]byte(""), "empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := c.Defaults
	if !g.Blocklist.Enabled || g.Blocklist.Scope != BlockScopeOwner {
		t.Errorf("blocklist %+v", g.Blocklist)
	}
	n := g.Moderation.Newcomers
	if !n.Enabled || n.For.D() != 24*time.Hour || n.Messages != 10 || n.Kinds["link"] != "mute" || n.Kinds["qr"] != "remove" || n.Contacts != "mute" || n.NoMentionAll {
		t.Errorf("newcomers %+v", n)
	}
	if q := g.Moderation.QR; !q.Enabled || q.MaxBytes != 8<<20 || q.Timeout.D() != 15*time.Second || q.Action != "strike" {
		t.Errorf("qr %+v", q)
	}
	if len(g.Moderation.Kinds.Actions) != 0 || g.Moderation.Kinds.Action != "strike" {
		t.Errorf("kinds %+v: the one action for every denied kind stays the default", g.Moderation.Kinds)
	}
}

func TestDefencesConfig(t *testing.T) {
	src := `defaults:
  blocklist: {scope: 本群}
  moderation:
    kinds:
      actions: {card: 移出}
    newcomers:
      for: 1小时
      kinds: {link: 禁言}
groups:
  读书会:
    moderation:
      newcomers:
        kinds: {card: warn}
`
	c, err := Parse([]byte(src), "ok.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Defaults.Blocklist.Scope != BlockScopeGroup || c.Defaults.Moderation.Kinds.Actions["card"] != "remove" {
		t.Errorf("aliases not canonical: %+v %+v", c.Defaults.Blocklist, c.Defaults.Moderation.Kinds)
	}
	g, _ := c.ForGroup("读书会")
	n := g.Moderation.Newcomers
	// A group's keys merge over the defaults' (and the built-in ones).
	if n.For.D() != time.Hour || n.Kinds["link"] != "mute" || n.Kinds["card"] != "warn" || n.Kinds["miniapp"] != "remove" {
		t.Errorf("group newcomers %+v", n)
	}
	if c.Defaults.Moderation.Newcomers.Kinds["card"] != "remove" {
		t.Error("a group's setting leaked into the defaults")
	}

	bad := `defaults:
  blocklist: {scope: everyone}
  moderation:
    kinds:
      actions: {sticker: mute, card: shout}
    newcomers:
      for: 0s
      contacts: 拉倒
    qr:
      max_bytes: 100
      timeout: 10m
`
	_, err = Parse([]byte(bad), "bad.yaml")
	for _, want := range []string{"blocklist.scope", "owner", "kinds.actions.sticker", "不认识的消息类型", "kinds.actions.card",
		"newcomers.for", "newcomers.contacts", "qr.max_bytes", "qr.timeout"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}
