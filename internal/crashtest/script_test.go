package crashtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// The generated script exercises everything that writes state, over four days of virtual
// time (fewer than the seven days of the processed-message retention, so re-running the
// script on the same database is a replay of ids the engine still remembers):
//
//   - chat from a few hundred members in three groups (message points, activity counters);
//   - 签到 check-ins every morning, some repeated the same day (must not pay twice);
//   - ad senders who climb the ladder (warn → mute 1h → removal request), also while muted;
//   - joins (some invited, some with an ad account's nickname) and leaves (welcome batches);
//   - the owner's commands (加分, 警告) and console (> 状态), members' 积分 / 排行榜 queries;
//   - @advance steps that cross the 08:00 morning post, the 22:00 daily report and, on
//     Monday, the weekly top (09:00) and weekly report (09:30) of the embedded config.
//
// It avoids what the engine deliberately keeps only in memory (flood and duplicate windows,
// per-member command cooldowns), so that a run that was killed and restarted must end in
// exactly the state of an uninterrupted run; see compareState.

var groups = []string{"读书会", "跑步群", "摄影群"}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐")

var givens = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英"}

var phrases = []string{
	"今天读到第三章了", "作者的观点很有意思", "有人看过这本书吗", "晚上一起讨论吧", "我觉得第二部分写得更好",
	"周末去公园跑了十公里", "配速还可以再提高", "膝盖有点不舒服", "大家注意拉伸", "明早六点集合",
	"这张照片的光线真好", "用的什么镜头呀", "后期调了一下色温", "逆光拍人像很难", "下次一起去扫街",
	"哈哈同意楼上", "学到了谢谢分享", "这个问题我也想知道", "最近工作好忙", "天气转凉了大家保重",
	"推荐一本历史书", "小说还是纪录片好看", "晚饭吃了饺子", "孩子今天考试了", "周五有空吗",
	"刚看完一部电影", "音乐会的票买到了", "早上起来有点冷", "新买的跑鞋很舒服", "湖边的日落很美",
}

var ads = []string{
	"兼职日赚三百，加我微信了解", "代理招募，零成本躺赚，加V详聊", "低价出售会员，私聊加微信",
	"刷单返利，日结工资，加微信", "免费领取福利，扫码进群加微信", "招聘宝妈兼职在家赚钱加微信",
}

type member struct {
	name   string
	inside bool
	bad    bool
}

type gen struct {
	r       *rand.Rand
	b       strings.Builder
	lines   int
	members map[string][]*member
	cur     string
	now     time.Time
	newbies int
}

func (g *gen) line(format string, args ...any) {
	fmt.Fprintf(&g.b, format, args...)
	g.b.WriteByte('\n')
	g.lines++
}

func (g *gen) group(name string) {
	if g.cur != name {
		g.line("@group %s", name)
		g.cur = name
	}
}

// pick returns a member inside the current group, good or bad as asked.
func (g *gen) pick(bad bool) *member {
	ms := g.members[g.cur]
	for range 50 {
		m := ms[g.r.IntN(len(ms))]
		if m.inside && m.bad == bad {
			return m
		}
	}
	return nil
}

func (g *gen) chat() string {
	n := 2 + g.r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = phrases[g.r.IntN(len(phrases))]
	}
	return strings.Join(parts, "，")
}

// generateScript writes a deterministic script for a seed.
func generateScript(seed uint64) (script string, lines int) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	g := &gen{r: rand.New(rand.NewPCG(seed, 7)), members: map[string][]*member{}}
	for gi, name := range groups {
		seen := map[string]bool{}
		for i := 0; len(g.members[name]) < 100; i++ {
			n := string(surnames[(i+gi*7)%len(surnames)]) + givens[(i/len(surnames)+gi)%len(givens)]
			if i >= len(surnames)*len(givens)/2 {
				n += fmt.Sprint(i)
			}
			if seen[n] {
				continue
			}
			seen[n] = true
			g.members[name] = append(g.members[name], &member{name: n, inside: true, bad: len(g.members[name])%20 == 7})
		}
	}
	g.line("# crash-consistency script, seed %d", seed)
	start := time.Date(2026, 11, 22, 7, 0, 0, 0, loc) // a Sunday; Monday brings the weekly jobs
	g.now = start
	g.line("@time %s", start.Format("2006-01-02 15:04"))
	for day := 0; day < 4; day++ {
		dayStart := start.AddDate(0, 0, day)
		if day > 0 {
			g.now = dayStart
			g.line("@time %s", dayStart.Format("2006-01-02 15:04"))
		}
		end := dayStart.Add(16*time.Hour + 30*time.Minute) // 23:30
		checkedIn := map[*member]bool{}
		for g.now.Before(end) {
			g.step(checkedIn)
			adv := time.Duration(5+g.r.IntN(20)) * time.Minute
			g.now = g.now.Add(adv)
			g.line("@advance %dm", int(adv/time.Minute))
		}
		g.group(groups[0])
		g.line("> 状态")
	}
	return g.b.String(), g.lines
}

// step writes the lines of one moment in one group.
func (g *gen) step(checkedIn map[*member]bool) {
	g.group(groups[g.r.IntN(len(groups))])
	hour := g.now.Hour()
	used := map[*member]bool{} // one command per member per moment: cooldowns stay out of play
	n := 6 + g.r.IntN(10)
	for range n {
		roll := g.r.IntN(100)
		switch {
		case roll < 55: // chat
			if m := g.pick(false); m != nil {
				g.line("%s: %s", m.name, g.chat())
			}
		case roll < 70: // check-in, mostly in the morning; now and then twice a day
			if m := g.pick(false); m != nil && !used[m] && (hour < 11 || g.r.IntN(3) == 0) {
				if !checkedIn[m] || g.r.IntN(4) == 0 {
					used[m] = true
					checkedIn[m] = true
					g.line("%s: 签到", m.name)
				}
			}
		case roll < 76: // an ad
			if m := g.pick(true); m != nil {
				g.line("%s: %s %s", m.name, ads[g.r.IntN(len(ads))], phrases[g.r.IntN(len(phrases))])
			}
		case roll < 79: // members asking
			if m := g.pick(false); m != nil && !used[m] {
				used[m] = true
				g.line("%s: %s", m.name, []string{"积分", "排行榜", "群规", "发言榜"}[g.r.IntN(4)])
			}
		case roll < 82: // a newcomer, now and then an ad account by its nickname
			g.newbies++
			name := fmt.Sprintf("新人%d号", g.newbies)
			if g.r.IntN(6) == 0 {
				name = fmt.Sprintf("加V信领福利%d", g.newbies)
			}
			nm := &member{name: name, inside: true}
			g.members[g.cur] = append(g.members[g.cur], nm)
			if inv := g.pick(false); inv != nil && g.r.IntN(2) == 0 {
				g.line("+%s by %s", name, inv.name)
			} else {
				g.line("+%s", name)
			}
		case roll < 84: // someone leaves
			if m := g.pick(g.r.IntN(3) == 0); m != nil {
				m.inside = false
				g.line("-%s", m.name)
			}
		case roll < 86: // the owner rewards someone
			if m := g.pick(false); m != nil {
				g.line("me: 加分 @%s %d 活动奖励", m.name, 1+g.r.IntN(20))
			}
		case roll < 87: // the owner warns an ad sender by hand
			if m := g.pick(true); m != nil {
				g.line("me: 警告 @%s 发广告", m.name)
			}
		case roll < 88 && g.cur == groups[0]: // the auto-reply (its cooldown is stored)
			if m := g.pick(false); m != nil {
				g.line("%s: 请问怎么报名呀", m.name)
			}
		default:
			if m := g.pick(false); m != nil {
				g.line("%s: %s", m.name, g.chat())
			}
		}
	}
}
