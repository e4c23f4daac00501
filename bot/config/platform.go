package config

import (
	"net"
	"net/url"
	"strings"
	"unicode"
)

// Platforms `bot run` can drive.
const (
	PlatformWeChat = "wechat" // the owner's own WeChat account (openwechat, web/UOS protocol)
	PlatformOneBot = "onebot" // QQ through a OneBot v11 implementation (NapCat, LLOneBot, Lagrange.OneBot)
)

// OneBot says how to reach a OneBot v11 implementation: either its WebSocket server (URL,
// forward WebSocket: the bot connects) or an address the bot listens on (Listen, reverse
// WebSocket: the implementation connects in). One of the two.
type OneBot struct {
	// URL of the implementation's forward WebSocket server, e.g. ws://127.0.0.1:3001: one
	// universal connection on "/" carries API calls and events.
	URL string `yaml:"url"`
	// Listen is host:port for reverse WebSocket, e.g. 127.0.0.1:8080: the implementation
	// connects to ws://host:port/ with its X-Self-ID header.
	Listen string `yaml:"listen"`
	// AccessToken is the implementation's token, sent (and, listening, checked) as
	// "Authorization: Bearer …". Required when listening beyond this machine.
	AccessToken string `yaml:"access_token"`
	// Owner is the group owner's own QQ number (not the bot's): messages from it in a
	// group are the owner's, and its private chat with the bot is the private console.
	Owner string `yaml:"owner"`
}

// Configured reports whether the section says how to connect.
func (o OneBot) Configured() bool { return o.URL != "" || o.Listen != "" }

func validatePlatform(c *Config, at reporter) {
	switch c.Platform {
	case PlatformWeChat:
		return
	case PlatformOneBot:
	default:
		at("platform", "未知的平台「%s」，请写 wechat（微信）或 onebot（QQ，通过 NapCat / LLOneBot / Lagrange.OneBot）/ unknown platform: use wechat or onebot", c.Platform)
		return
	}
	o := c.OneBot
	if o.URL == "" && o.Listen == "" {
		at("onebot", "platform: onebot 需要 onebot.url（连接 OneBot 实现的正向 WebSocket，例如 ws://127.0.0.1:3001）或 onebot.listen（反向 WebSocket，例如 127.0.0.1:8080）/ set onebot.url (forward WebSocket) or onebot.listen (reverse WebSocket)")
	}
	if o.URL != "" && o.Listen != "" {
		at("onebot.listen", "onebot.url 和 onebot.listen 只能写一个：url 是机器人去连接实现，listen 是实现来连接机器人 / set either onebot.url or onebot.listen, not both")
	}
	if o.URL != "" {
		u, err := url.Parse(o.URL)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			at("onebot.url", "「%s」不是 WebSocket 地址，请写成 ws://127.0.0.1:3001 这样（以 ws:// 或 wss:// 开头）/ not a WebSocket URL: write ws://host:port", o.URL)
		}
	}
	if o.Listen != "" {
		host, port, err := net.SplitHostPort(o.Listen)
		if err != nil || port == "" {
			at("onebot.listen", "「%s」不是「地址:端口」，请写成 127.0.0.1:8080 这样 / not host:port, write e.g. 127.0.0.1:8080", o.Listen)
		} else if o.AccessToken == "" && !Loopback(host) {
			at("onebot.access_token", "onebot.listen 监听在本机以外（%s），必须设置 access_token，并在 OneBot 实现里填同一个令牌；否则任何能连上这个端口的人都能冒充 QQ 发事件 / listening beyond loopback needs an access_token", o.Listen)
		}
	}
	if strings.ContainsFunc(o.AccessToken, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsSpace(r) || !unicode.IsPrint(r) }) {
		at("onebot.access_token", "令牌只能包含英文字母、数字和符号，不能有空格 / the token must be printable ASCII without spaces")
	}
	if !isQQNumber(o.Owner) {
		at("onebot.owner", "请写群主自己的 QQ 号（纯数字，不是机器人的号），例如 owner: 10001000；群主私聊机器人就是控制台 / set the owner's own QQ number (digits)")
	}
}

// Loopback reports whether a listen host is this machine only.
func Loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isQQNumber accepts a positive whole number. Real QQ numbers have 5 digits or more, but
// a test implementation may number its accounts from 1; nothing is gained by refusing them.
func isQQNumber(s string) bool {
	if len(s) == 0 || len(s) > 20 || s[0] == '0' {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ForGroupID is ForGroup for a platform whose group ids are stable: an entry under groups
// may name the group by its id (a QQ group number) as well as by its name, and the id wins.
// key is the entry that matched ("" when none did: the defaults, or unmanaged).
func (c *Config) ForGroupID(id, name string) (g *Group, managed bool, key string) {
	if id != "" {
		if g, ok := c.Groups[id]; ok {
			return g, g.Enabled, id
		}
	}
	if g, ok := c.Groups[name]; ok {
		return g, g.Enabled, name
	}
	g, managed = c.ForGroup(name)
	return g, managed, ""
}

// WithGroupAliases returns a copy of c in which ForGroup also finds an entry by another
// name: aliases maps the name a group is stored under to the entry that names it by its
// id. Everything that looks a group's settings up by its stored name (jobs, the welcome,
// the dashboard) then finds the entry an owner wrote as a QQ group number. The copy
// shares every group's settings with c; c itself is not changed.
func (c *Config) WithGroupAliases(aliases map[string]string) *Config {
	cp := *c
	cp.aliases = make(map[string]string, len(aliases))
	for name, key := range aliases {
		if _, ok := c.Groups[name]; !ok {
			cp.aliases[name] = key
		}
	}
	return &cp
}
