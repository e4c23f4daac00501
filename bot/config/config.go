// Package config loads and validates qunbot's one YAML file. Decoding is strict: unknown
// keys, bad durations, bad templates and a bad timezone are errors naming the file, line and
// key, and every error in the file is reported at once.
package config

import (
	"fmt"
	"time"
	_ "time/tzdata" // the timezone must resolve on machines without /usr/share/zoneinfo

	"gopkg.in/yaml.v3"

	"qunbot/bot/holiday"
)

// Config is the whole validated configuration.
type Config struct {
	Source    string         `yaml:"-"`        // file the config came from, for messages
	Platform  string         `yaml:"platform"` // "wechat" (default) or "onebot" (QQ): which adapter `bot run` uses
	OneBot    OneBot         `yaml:"onebot"`
	Timezone  string         `yaml:"timezone"`
	Location  *time.Location `yaml:"-"`
	AllGroups bool           `yaml:"all_groups"`
	// AllGroupsSet: the file says all_groups (either way). Unsaid, the bot manages every
	// group only while the file lists none (a first try); `bot run` manages the listed
	// groups only (RunDefaults), so a family group is never moderated by surprise.
	AllGroupsSet bool      `yaml:"-"`
	Storage      Storage   `yaml:"storage"`
	Owner        Owner     `yaml:"owner"`
	Outbox       Outbox    `yaml:"outbox"`
	Scheduler    Scheduler `yaml:"scheduler"`
	Web          Web       `yaml:"web"`
	Retention    Retention `yaml:"retention"`
	Backup       Backup    `yaml:"backup"` // scheduled backups (backup.go)
	// HolidaysFile adds or replaces years of the built-in public-holiday table
	// (bot/holiday/cn.yaml's format); empty: the built-in table alone.
	HolidaysFile string `yaml:"holidays_file"`
	// Holidays is the table in force: the built-in one with HolidaysFile's years over it.
	Holidays *holiday.Table `yaml:"-"`

	// Defaults apply to every group; Groups holds the effective (merged) config of each
	// group named in the file.
	Defaults Group             `yaml:"-"`
	Groups   map[string]*Group `yaml:"-"`

	// aliases map a group's name, as the engine stores it, to the entry under groups that
	// names the same group by its platform id (a QQ group number): see WithGroupAliases.
	aliases map[string]string
}

// Storage says where the database lives.
type Storage struct {
	Path string `yaml:"path"`
}

// Owner describes the account the bot runs on.
type Owner struct {
	// Name is the owner's nickname as members see it; the simulator uses it for "me".
	Name string `yaml:"name"`
}

// Outbox paces everything the bot sends so the owner's account looks human.
type Outbox struct {
	GroupInterval Duration `yaml:"group_interval"` // at most one message per group this often
	PerMinute     int      `yaml:"per_minute"`     // at most this many messages a minute overall
	Jitter        Duration `yaml:"jitter"`         // random extra delay up to this much
	MaxAttempts   int      `yaml:"max_attempts"`   // give up (and tell the owner) after this many tries
}

// Scheduler configures cron jobs for all groups.
type Scheduler struct {
	// Grace: a job missed while the bot was down runs on start if it is at most this late;
	// later than that it is skipped and logged (a morning post at 3 pm helps nobody).
	Grace Duration `yaml:"grace"`
	// MinInterval: no cron spec may fire more often than this (limits.go); at least 1m.
	MinInterval Duration `yaml:"min_interval"`
}

// Group is the configuration of one group (or the defaults for all groups).
type Group struct {
	Enabled   bool     `yaml:"enabled"`
	RulesText string   `yaml:"rules_text"`
	Welcome   Welcome  `yaml:"welcome"`
	Commands  Commands `yaml:"commands"`
	// Texts are the owner's words for what members read (texts.go).
	Texts Texts `yaml:"texts"`
	// Boards are the sizes of 排行榜 and 发言榜 (boards.go).
	Boards Boards `yaml:"boards"`
	// Admins are QQ numbers made admins by the file (admins.go).
	Admins []string `yaml:"admins"`

	Blocklist Blocklist `yaml:"blocklist"` // defences.go

	// Moderation (moderation.go).
	Moderation Moderation `yaml:"moderation"`

	// Engagement (engagement.go).
	Checkin     Checkin     `yaml:"checkin"`
	Points      Points      `yaml:"points"`
	Redeem      Redeem      `yaml:"redeem"`
	AutoReplies []AutoReply `yaml:"auto_replies"`
	WeeklyTop   WeeklyTop   `yaml:"weekly_top"`

	// Newcomers, invites, thanks and activities (community.go).
	Newcomer Newcomer `yaml:"newcomer"`
	Invite   Invite   `yaml:"invite"`
	Thanks   Thanks   `yaml:"thanks"`
	Lottery  Lottery  `yaml:"lottery"`
	Vote     Vote     `yaml:"vote"`
	Chain    Chain    `yaml:"chain"`
	// ActivityPacing paces the acknowledgements of chains, lotteries and votes.
	ActivityPacing ActivityPacing `yaml:"activity_pacing"`

	// Schedules and member lifecycle (schedule.go).
	Posts     []Post    `yaml:"posts"`
	Silent    Silent    `yaml:"silent"`
	Screening Screening `yaml:"screening"`
	Reports   Reports   `yaml:"reports"`
	PostCap   PostCap   `yaml:"post_cap"`
}

// Commands configures chat commands for everyone.
type Commands struct {
	// Cooldown: a member gets one answer per command this often, so nobody can make the
	// bot flood the group (every message it sends costs the owner's account ban risk).
	Cooldown Duration `yaml:"cooldown"`
	// Rename and Off are the owner's command words (commands.go).
	Rename map[string]string `yaml:"rename"`
	Off    []string          `yaml:"off"`
}

// Welcome configures the greeting for new members.
type Welcome struct {
	Enabled     bool     `yaml:"enabled"`
	Template    Template `yaml:"template"`
	BatchWindow Duration `yaml:"batch_window"` // joins within this window get one welcome
	ShowRules   bool     `yaml:"show_rules"`
	AskIntro    bool     `yaml:"ask_intro"`
	MaxDelay    Duration `yaml:"max_delay"` // joins older than this (e.g. after downtime) are not greeted
}

// ManagesUnlisted reports whether groups the file does not list are managed (with the
// defaults): all_groups: true, or all_groups unsaid and no group listed.
func (c *Config) ManagesUnlisted() bool {
	return c.AllGroups || (!c.AllGroupsSet && len(c.Groups) == 0)
}

// RunDefaults applies what `bot run` assumes on a real account where the file is silent:
// only the groups listed under groups: are managed (all_groups: false).
func (c *Config) RunDefaults() {
	if !c.AllGroupsSet {
		c.AllGroups, c.AllGroupsSet = false, true
	}
}

// ForGroup returns the effective configuration of a group, and whether the bot manages it:
// listed groups use their merged config; others get the defaults when ManagesUnlisted.
// The result points into c, which nobody changes after Parse (a reload makes a new
// Config): every event reads its group's config, and a copy of it is over a kilobyte.
// It is never nil.
func (c *Config) ForGroup(name string) (*Group, bool) {
	if g, ok := c.Groups[name]; ok {
		return g, g.Enabled
	}
	if key, ok := c.aliases[name]; ok {
		if g, ok := c.Groups[key]; ok {
			return g, g.Enabled
		}
	}
	if c.ManagesUnlisted() {
		return &c.Defaults, c.Defaults.Enabled
	}
	return &Group{}, false
}

// Load reads and validates a config file.
func Load(path string) (*Config, error) {
	data, err := readCapped(path, MaxConfigBytes, "配置文件 / config") // limits.go
	if err != nil {
		return nil, fmt.Errorf("读取配置文件失败 / read config %s: %w", path, err)
	}
	return Parse(data, path)
}

// topLevel mirrors the file's top level; defaults and groups are kept as nodes because
// each group is decoded as built-in defaults ⊕ the file's defaults ⊕ the group's own keys.
type topLevel struct {
	Platform  string    `yaml:"platform"`
	OneBot    OneBot    `yaml:"onebot"`
	Timezone  string    `yaml:"timezone"`
	AllGroups bool      `yaml:"all_groups"`
	Storage   Storage   `yaml:"storage"`
	Owner     Owner     `yaml:"owner"`
	Outbox    Outbox    `yaml:"outbox"`
	Scheduler Scheduler `yaml:"scheduler"`
	Web       Web       `yaml:"web"`
	Retention Retention `yaml:"retention"`
	Backup    Backup    `yaml:"backup"`
	Holidays  string    `yaml:"holidays_file"`
	Defaults  yaml.Node `yaml:"defaults"`
	Groups    yaml.Node `yaml:"groups"`
}

// Parse validates config text; source names it in error messages.
func Parse(data []byte, source string) (*Config, error) {
	p := &problems{source: source}
	if len(data) > MaxConfigBytes {
		return nil, tooBig(source, "配置文件 / config", MaxConfigBytes)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		p.addYAML(err, nil)
		return nil, p.err()
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	pos := indexPositions(doc)
	if doc.Kind != 0 && doc.Kind != yaml.MappingNode {
		p.add(doc.Line, "", "配置文件的最外层必须是「键: 值」的映射 / the top level must be a mapping")
		return nil, p.err()
	}

	builtin := Default()
	top := topLevel{Platform: builtin.Platform, OneBot: builtin.OneBot, Timezone: builtin.Timezone, AllGroups: builtin.AllGroups, Storage: builtin.Storage,
		Owner: builtin.Owner, Outbox: builtin.Outbox, Scheduler: builtin.Scheduler, Web: builtin.Web,
		Retention: builtin.Retention, Backup: builtin.Backup}
	_, allGroupsSet := pos.lineOf["all_groups"]
	if doc.Kind == yaml.MappingNode {
		checkKeys(doc, typeOf[topLevel](), "", p)
		if err := doc.Decode(&top); err != nil {
			p.addYAML(err, pos)
		}
	}
	cfg := &Config{Source: source, Platform: top.Platform, OneBot: top.OneBot, Timezone: top.Timezone, AllGroups: top.AllGroups, AllGroupsSet: allGroupsSet, Storage: top.Storage,
		Owner: top.Owner, Outbox: top.Outbox, Scheduler: top.Scheduler, Web: top.Web,
		Retention: top.Retention, Backup: top.Backup, HolidaysFile: top.Holidays, Groups: map[string]*Group{}}

	defaultsNode := nodeOrNil(&top.Defaults)
	if defaultsNode != nil {
		checkKeys(defaultsNode, typeOf[Group](), "defaults", p)
	}
	cfg.Defaults = decodeGroup(builtin.Defaults, defaultsNode, nil, pos, p)
	if g := nodeOrNil(&top.Groups); g != nil {
		if g.Kind != yaml.MappingNode {
			p.add(g.Line, "groups", "groups 必须是「群名: 设置」的映射 / groups must map group names to settings")
		} else {
			for i := 0; i+1 < len(g.Content); i += 2 {
				name, body := g.Content[i].Value, g.Content[i+1]
				path := "groups." + name
				if name == "" {
					p.add(g.Content[i].Line, path, "群名不能为空 / group name must not be empty")
					continue
				}
				if _, dup := cfg.Groups[name]; dup {
					p.add(g.Content[i].Line, path, "群「%s」重复出现 / group listed twice", name)
					continue
				}
				checkKeys(body, typeOf[Group](), path, p)
				g := decodeGroup(builtin.Defaults, defaultsNode, body, pos, p)
				cfg.Groups[name] = &g
			}
		}
	}
	validate(cfg, pos, p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decodeGroup layers the file's defaults and then the group's own keys over the built-in
// defaults. Decoding afresh per group keeps groups from sharing slices or maps.
func decodeGroup(builtin Group, defaults, own *yaml.Node, pos *positions, p *problems) Group {
	g := builtin.clone()
	for _, n := range []*yaml.Node{defaults, own} {
		if n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
			continue
		}
		if err := n.Decode(&g); err != nil {
			p.addYAML(err, pos)
		}
	}
	return g
}

func nodeOrNil(n *yaml.Node) *yaml.Node {
	if n.Kind == 0 {
		return nil
	}
	return n
}
