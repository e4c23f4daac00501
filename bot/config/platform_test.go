package config

import (
	"strings"
	"testing"
)

func TestPlatformSection(t *testing.T) {
	tests := []struct {
		name, yaml string
		wantErr    string // "" valid
	}{
		{"default is wechat", "timezone: Asia/Shanghai\n", ""},
		{"forward", "platform: onebot\nonebot:\n  url: ws://127.0.0.1:3001\n  owner: 10001000\n", ""},
		{"forward wss with token", "platform: onebot\nonebot: {url: \"wss://qq.example.com/ws\", access_token: abc, owner: \"10001000\"}\n", ""},
		{"reverse loopback needs no token", "platform: onebot\nonebot: {listen: \"127.0.0.1:8080\", owner: 10001000}\n", ""},
		{"reverse localhost", "platform: onebot\nonebot: {listen: \"localhost:8080\", owner: 10001000}\n", ""},
		{"reverse beyond loopback with token", "platform: onebot\nonebot: {listen: \"0.0.0.0:8080\", access_token: s3cret, owner: 10001000}\n", ""},
		{"unknown platform", "platform: telegram\n", "test.yaml:1: platform"},
		{"http url", "platform: onebot\nonebot:\n  url: http://127.0.0.1:3001\n  owner: 10001000\n", "test.yaml:3: onebot.url"},
		{"no host", "platform: onebot\nonebot: {url: \"ws://\", owner: 10001000}\n", "onebot.url"},
		{"neither", "platform: onebot\nonebot: {owner: 10001000}\n", "onebot.url"},
		{"both", "platform: onebot\nonebot: {url: \"ws://a:1\", listen: \"127.0.0.1:2\", owner: 10001000}\n", "onebot.listen"},
		{"bad listen", "platform: onebot\nonebot: {listen: \"8080\", owner: 10001000}\n", "onebot.listen"},
		{"open listen without token", "platform: onebot\nonebot:\n  listen: \"0.0.0.0:8080\"\n  owner: 10001000\n", "test.yaml:2: onebot.access_token"},
		{"empty host listen without token", "platform: onebot\nonebot: {listen: \":8080\", owner: 10001000}\n", "onebot.access_token"},
		{"token with space", "platform: onebot\nonebot: {url: \"ws://a:1\", access_token: \"a b\", owner: 10001000}\n", "onebot.access_token"},
		{"owner missing", "platform: onebot\nonebot: {url: \"ws://a:1\"}\n", "onebot.owner"},
		{"owner not a number", "platform: onebot\nonebot: {url: \"ws://a:1\", owner: 张三}\n", "onebot.owner"},
		{"unknown key", "platform: onebot\nonebot: {url: \"ws://a:1\", owner: 10001000, token: x}\n", "onebot.token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.yaml), "test.yaml")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("want valid: %v", err)
				}
				if cfg.Platform == "" {
					t.Fatal("platform has a default")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("want an error naming %q, got %v", tt.wantErr, err)
			}
		})
	}
}

func TestGroupsByNumber(t *testing.T) {
	cfg, err := Parse([]byte(`all_groups: false
groups:
  123456:
    rules_text: 按群号
  读书会:
    rules_text: 按群名
`), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id, name, want, key string
		managed             bool
	}{
		{"123456", "随便叫什么", "按群号", "123456", true},
		{"123456", "读书会", "按群号", "123456", true}, // the number wins
		{"999", "读书会", "按群名", "读书会", true},
		{"999", "别的群", "", "", false},
		{"", "读书会", "按群名", "读书会", true},
	} {
		g, managed, key := cfg.ForGroupID(tt.id, tt.name)
		if managed != tt.managed || key != tt.key || g.RulesText != tt.want {
			t.Errorf("ForGroupID(%s, %s) = %q %v %q", tt.id, tt.name, g.RulesText, managed, key)
		}
	}
	aliased := cfg.WithGroupAliases(map[string]string{"新群名": "123456", "读书会": "123456"})
	if g, ok := aliased.ForGroup("新群名"); !ok || g.RulesText != "按群号" {
		t.Error("an alias finds the entry by number")
	}
	if g, _ := aliased.ForGroup("读书会"); g.RulesText != "按群名" {
		t.Error("an entry of the name itself wins over an alias")
	}
	if _, ok := cfg.ForGroup("新群名"); ok {
		t.Error("the original config is not changed")
	}
}
