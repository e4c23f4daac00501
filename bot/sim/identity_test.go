package sim

import (
	"testing"
	"time"

	"qunbot/bot"
)

func TestTagsAndRelogin(t *testing.T) {
	for name, nick := range map[string]string{"老张#2": "老张", "老张": "老张", "C#": "C#", "#2": "#2", "a#b#c": "a#b"} {
		if got := Nickname(name); got != nick {
			t.Errorf("Nickname(%q) = %q, want %q", name, got, nick)
		}
	}
	p := NewPlatform(bot.Capabilities{}, nil, nil)
	if m := p.memberInfo("老张#2"); m.ID != "老张#2" || m.Nickname != "老张" || p.Session() != "" {
		t.Fatalf("before a re-login the id is the script name: %+v", m)
	}
	p.Relogin()
	m := p.memberInfo("老张#2")
	if m.ID == "老张#2" || ScriptName(m.ID) != "老张#2" || m.Nickname != "老张" || p.Session() == "" {
		t.Fatalf("after @relogin the id is new and maps back to the script name: %+v, session %q", m, p.Session())
	}
	if s, err := ParseLine(1, "@relogin", time.UTC); err != nil || s.Kind != StepRelogin {
		t.Fatalf("@relogin: %+v %v", s, err)
	}
	if _, err := ParseLine(1, "@relogin now", time.UTC); err == nil {
		t.Fatal("@relogin takes no argument")
	}
	if s, err := ParseLine(1, "老张#2: 你好", time.UTC); err != nil || s.Member != "老张#2" {
		t.Fatalf("a #tag is part of the script name: %+v %v", s, err)
	}
}
