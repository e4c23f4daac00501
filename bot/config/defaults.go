package config

import (
	"reflect"
	"time"

	"qunbot/bot/holiday"
)

// DefaultWelcome is the built-in welcome. Variables are documented on WelcomeData.
const DefaultWelcome = `欢迎 {{.Mentions}}加入「{{.Group}}」🎉 现在群里有 {{.Count}} 位成员。
{{- if .Rules}}
📌 群规：
{{.Rules}}
{{- end}}
{{- if .AskIntro}}
请简单做个自我介绍吧～（称呼、城市、为什么加入）
{{- end}}`

// Default is the configuration used for anything the file leaves out.
func Default() *Config {
	shanghai, _ := time.LoadLocation("Asia/Shanghai") // embedded tzdata: cannot fail
	return &Config{
		Platform:  PlatformWeChat,
		Timezone:  "Asia/Shanghai",
		Location:  shanghai,
		AllGroups: false, // see Config.ManagesUnlisted
		Storage:   Storage{Path: "data/qunbot.db"},
		Owner:     Owner{Name: "群主"},
		// Human pacing (issue 18): the bot posts as the owner's own account, and WeChat bans
		// accounts that post like machines. 6 a minute overall (WeChatFerry.Net's default),
		// 5–9 s between two messages in one group. A burst queues — 30 messages take about
		// five minutes — which batched welcomes and reminders keep rare. The simulator and
		// tests pass their own pacing (none).
		Outbox: Outbox{
			GroupInterval: Duration(5 * time.Second),
			PerMinute:     6,
			Jitter:        Duration(4 * time.Second),
			MaxAttempts:   8,
		},
		Scheduler: Scheduler{Grace: Duration(30 * time.Minute), MinInterval: Duration(time.Minute)},
		Retention: Retention{Audit: Duration(180 * 24 * time.Hour), Processed: Duration(7 * 24 * time.Hour)},
		Web:       Web{}, // no token: one is generated at each start
		Backup:    Backup{Every: Duration(24 * time.Hour), Keep: 7},
		Holidays:  holiday.Default(),
		Defaults: Group{
			Enabled: true,
			Welcome: Welcome{
				Enabled:     true,
				Template:    MustTemplate("welcome", DefaultWelcome),
				BatchWindow: Duration(time.Minute),
				ShowRules:   true,
				AskIntro:    true,
				MaxDelay:    Duration(6 * time.Hour),
			},
			Commands:       Commands{Cooldown: Duration(30 * time.Second)},
			Moderation:     defaultModeration(),
			Blocklist:      DefaultBlocklist(),
			Checkin:        defaultCheckin(),
			Points:         defaultPoints(),
			Redeem:         defaultRedeem(),
			AutoReplies:    defaultAutoReplies(),
			WeeklyTop:      defaultWeeklyTop(),
			Newcomer:       defaultNewcomer(),
			Invite:         defaultInvite(),
			Thanks:         defaultThanks(),
			Lottery:        defaultLottery(),
			Vote:           defaultVote(),
			Chain:          defaultChain(),
			ActivityPacing: defaultActivityPacing(),
			Posts:          defaultPosts(),
			Silent:         defaultSilent(),
			Screening:      defaultScreening(),
			Reports:        defaultReports(),
			PostCap:        defaultPostCap(),
			Boards:         defaultBoards(),
		},
		Groups: map[string]*Group{},
	}
}

// clone deep-copies a group so that decoding one group's overrides never changes another's
// (yaml.v3 decodes into existing maps in place).
func (g Group) clone() Group {
	return deepCopy(reflect.ValueOf(g)).Interface().(Group)
}

func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			m.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return m
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			s.Index(i).Set(deepCopy(v.Index(i)))
		}
		return s
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v) // copies unexported fields too (parsed templates are immutable, so sharing is fine)
		for i := 0; i < v.NumField(); i++ {
			if f := out.Field(i); f.CanSet() {
				f.Set(deepCopy(v.Field(i)))
			}
		}
		return out
	}
	return v
}
