package config

import (
	"strconv"
	"strings"
	"time"
)

// The articles' engagement tools beyond check-in and points: newcomer gifts and tasks,
// invite points, thanks (reputation), lotteries, votes and sign-up chains (接龙).

// Newcomer configures what a new member gets: a welcome gift (见面礼) when they join and
// three-day tasks (an introduction, a first check-in, a few valid messages) that pay a
// bonus when all are done in time. Both are paid once per member of a group, however often
// they leave and come back.
type Newcomer struct {
	Enabled bool          `yaml:"enabled"`
	Gift    int           `yaml:"gift"` // points on joining (0: no gift)
	Tasks   NewcomerTasks `yaml:"tasks"`
}

// NewcomerTasks are the first days' tasks (the seeds' 三日新手任务).
type NewcomerTasks struct {
	Enabled bool     `yaml:"enabled"`
	Within  Duration `yaml:"within"` // from the join; later progress counts for nothing
	// IntroMinChars: the first message with at least this many letters, digits or Chinese
	// characters is the introduction.
	IntroMinChars int  `yaml:"intro_min_chars"`
	Messages      int  `yaml:"messages"` // valid messages (as message points count them)
	Checkin       bool `yaml:"checkin"`  // a first check-in is one of the tasks
	Bonus         int  `yaml:"bonus"`    // points when every task is done
}

// Invite pays a member who brings someone in, and takes it back when the newcomer leaves
// again soon: invite points must not be farmed with accounts that come and go.
type Invite struct {
	Enabled bool `yaml:"enabled"`
	Points  int  `yaml:"points"`
	// TakeBackWithin: the points are taken back if the invitee leaves within this long.
	TakeBackWithin Duration `yaml:"take_back_within"`
	// DailyCap: at most this many invites a day pay one inviter (0: no cap).
	DailyCap int `yaml:"daily_cap"`
}

// Thanks is reputation: 「谢谢 @某人」 (or 「谢谢某人」 with their group name) gives them
// one thanks. Each giver counts for at most DailyCap people a day, the same person once a
// day, never themselves.
type Thanks struct {
	Enabled  bool     `yaml:"enabled"`
	Words    []string `yaml:"words"`
	DailyCap int      `yaml:"daily_cap"`
	Points   int      `yaml:"points"` // paid to the thanked member per thanks (0: reputation only)
}

// Who may start an activity.
const (
	WhoAdmins   = "admins"
	WhoEveryone = "everyone"
)

// Lottery configures 抽奖: an admin starts one with a prize, an entry cost in points and a
// deadline; the draw is fair (a seed committed to at the start and revealed at the draw)
// and happens once.
type Lottery struct {
	Enabled         bool     `yaml:"enabled"`
	DefaultDuration Duration `yaml:"default_duration"` // when the start command names no deadline
	MaxDuration     Duration `yaml:"max_duration"`
	MaxCost         int      `yaml:"max_cost"`
	MaxWinners      int      `yaml:"max_winners"`
}

// Vote configures 投票: one vote per member, results posted at the deadline.
type Vote struct {
	Enabled         bool     `yaml:"enabled"`
	WhoCanStart     string   `yaml:"who_can_start"`
	DefaultDuration Duration `yaml:"default_duration"`
	MaxDuration     Duration `yaml:"max_duration"`
	Points          int      `yaml:"points"`    // paid for voting (0: nothing)
	ShowLive        bool     `yaml:"show_live"` // 「投票」 shows the counts before the deadline
}

// Chain configures 接龙: a numbered sign-up list the bot keeps and reposts when it
// changes, paced by activity_pacing.
type Chain struct {
	Enabled     bool     `yaml:"enabled"`
	WhoCanStart string   `yaml:"who_can_start"`
	MaxEntries  int      `yaml:"max_entries"`  // the most a chain may hold
	MaxOpen     int      `yaml:"max_open"`     // chains open at once in a group
	MaxDuration Duration `yaml:"max_duration"` // the latest deadline a chain may have
	Points      int      `yaml:"points"`       // paid for signing up (0: nothing)
}

// ActivityPacing keeps busy activities from making the bot answer every line: sign-ups,
// lottery entries and votes are acknowledged together — a chain's list reposted, one
// message naming everyone who entered or voted — Delay after the first change and at most
// once per Interval.
type ActivityPacing struct {
	Delay    Duration `yaml:"delay"`
	Interval Duration `yaml:"interval"`
}

// Limits that keep activities readable in a chat and sums far from overflow.
const (
	MaxChainEntries = 300
	maxThanksWords  = 20
)

// DefaultThanksWords are the words that make a thanks.
var DefaultThanksWords = []string{"谢谢", "感谢", "多谢", "谢啦", "thanks", "thx"}

func defaultNewcomer() Newcomer {
	return Newcomer{Enabled: true, Gift: 10, Tasks: NewcomerTasks{Enabled: true, Within: Duration(3 * 24 * time.Hour),
		IntroMinChars: 10, Messages: 3, Checkin: true, Bonus: 30}}
}

func defaultInvite() Invite {
	return Invite{Enabled: true, Points: 10, TakeBackWithin: Duration(7 * 24 * time.Hour), DailyCap: 10}
}

func defaultThanks() Thanks {
	return Thanks{Enabled: true, Words: append([]string(nil), DefaultThanksWords...), DailyCap: 3, Points: 1}
}

func defaultLottery() Lottery {
	return Lottery{Enabled: true, DefaultDuration: Duration(24 * time.Hour), MaxDuration: Duration(30 * 24 * time.Hour),
		MaxCost: 1000, MaxWinners: 20}
}

func defaultVote() Vote {
	return Vote{Enabled: true, WhoCanStart: WhoAdmins, DefaultDuration: Duration(24 * time.Hour),
		MaxDuration: Duration(30 * 24 * time.Hour)}
}

func defaultChain() Chain {
	return Chain{Enabled: true, WhoCanStart: WhoEveryone, MaxEntries: 100, MaxOpen: 3, MaxDuration: Duration(30 * 24 * time.Hour)}
}

func defaultActivityPacing() ActivityPacing {
	return ActivityPacing{Delay: Duration(time.Minute), Interval: Duration(10 * time.Minute)}
}

func validateCommunity(g *Group, path string, at reporter) {
	inRange := func(key string, v, lo, hi int) {
		if v < lo || v > hi {
			at(path+"."+key, "应在 %d 到 %d 之间，现在是 %d / must be between %d and %d", lo, hi, v, lo, hi)
		}
	}
	durRange := func(key string, d Duration, lo, hi time.Duration) {
		if d.D() < lo || d.D() > hi {
			at(path+"."+key, "应在 %s 到 %s 之间，现在是 %s / must be between %s and %s", FormatDuration(lo), FormatDuration(hi), d, FormatDuration(lo), FormatDuration(hi))
		}
	}
	who := func(key, v string) {
		if v != WhoAdmins && v != WhoEveryone {
			at(path+"."+key, "只能是 admins（管理员和群主）或 everyone（所有成员），现在是「%s」/ must be admins or everyone", v)
		}
	}

	n := g.Newcomer
	inRange("newcomer.gift", n.Gift, 0, maxPointsSetting)
	if n.Tasks.Enabled {
		durRange("newcomer.tasks.within", n.Tasks.Within, time.Hour, 30*24*time.Hour)
		inRange("newcomer.tasks.intro_min_chars", n.Tasks.IntroMinChars, 0, 500)
		inRange("newcomer.tasks.messages", n.Tasks.Messages, 0, 100)
		inRange("newcomer.tasks.bonus", n.Tasks.Bonus, 0, maxPointsSetting)
		if n.Tasks.IntroMinChars == 0 && n.Tasks.Messages == 0 && !n.Tasks.Checkin {
			at(path+".newcomer.tasks", "任务都关掉了（intro_min_chars、messages 为 0，checkin 为 false）：请至少留一项，或写 enabled: false / every task is off")
		}
	}

	iv := g.Invite
	inRange("invite.points", iv.Points, 0, maxPointsSetting)
	inRange("invite.daily_cap", iv.DailyCap, 0, 1000)
	durRange("invite.take_back_within", iv.TakeBackWithin, 0, 365*24*time.Hour)

	th := g.Thanks
	if th.Enabled {
		if len(th.Words) == 0 {
			at(path+".thanks.words", "至少要有一个感谢词，例如 [谢谢, 感谢] / at least one word")
		}
		if len(th.Words) > maxThanksWords {
			at(path+".thanks.words", "最多 %d 个感谢词 / at most %d words", maxThanksWords, maxThanksWords)
		}
		for i, w := range th.Words {
			if strings.TrimSpace(w) == "" {
				at(path+".thanks.words["+strconv.Itoa(i)+"]", "感谢词不能为空 / a word must not be empty")
			}
			g.Thanks.Words[i] = strings.TrimSpace(w) // matched as written, every message: trimmed once here
		}
		inRange("thanks.daily_cap", th.DailyCap, 1, 100)
	}
	inRange("thanks.points", th.Points, 0, 1000)

	l := g.Lottery
	durRange("lottery.max_duration", l.MaxDuration, time.Minute, 365*24*time.Hour)
	durRange("lottery.default_duration", l.DefaultDuration, time.Minute, max(l.MaxDuration.D(), time.Minute))
	inRange("lottery.max_cost", l.MaxCost, 0, maxPointsSetting)
	inRange("lottery.max_winners", l.MaxWinners, 1, 100)

	v := g.Vote
	who("vote.who_can_start", v.WhoCanStart)
	durRange("vote.max_duration", v.MaxDuration, time.Minute, 365*24*time.Hour)
	durRange("vote.default_duration", v.DefaultDuration, time.Minute, max(v.MaxDuration.D(), time.Minute))
	inRange("vote.points", v.Points, 0, 1000)

	c := g.Chain
	who("chain.who_can_start", c.WhoCanStart)
	inRange("chain.max_entries", c.MaxEntries, 2, MaxChainEntries)
	inRange("chain.max_open", c.MaxOpen, 1, 10)
	durRange("activity_pacing.delay", g.ActivityPacing.Delay, 0, time.Hour)
	durRange("activity_pacing.interval", g.ActivityPacing.Interval, time.Minute, 24*time.Hour)
	durRange("chain.max_duration", c.MaxDuration, time.Hour, 365*24*time.Hour)
	inRange("chain.points", c.Points, 0, 1000)
}
