package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/storage"
)

// TestScheduleGolden runs testdata/schedule/*.script, each with the config in the .yaml
// file of the same name (e.g. screening on for 读书会): silent members and screening need
// their own settings. Try one with `go run ./cmd/bot sim --config X.yaml --script X.script --json`.
func TestScheduleGolden(t *testing.T) {
	runGoldens(t, "testdata/schedule/*.script")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func parseConfig(t testing.TB, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(src), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func loadTestConfig(t testing.TB, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// kindWith lists the output lines of one kind whose text contains substr.
func (r simRun) kindWith(kind, substr string) []line {
	var out []line
	for _, l := range r.kind(kind) {
		if strings.Contains(l.str("text"), substr) {
			out = append(out, l)
		}
	}
	return out
}

func (r simRun) sendsWith(substr string) []line { return r.kindWith("send", substr) }

func (r simRun) dmsWith(substr string) []line { return r.kindWith("dm", substr) }

func TestThreeMorningPostsInThreeDays(t *testing.T) {
	r := runScript(t, nil, "", "@time 2026-11-21 07:00\n@group 读书会\n张三: 大家早\n@advance 3d\n", false)
	posts := r.sendsWith("早上好")
	if len(posts) != 3 {
		t.Fatalf("@advance 3d from 07:00 shows exactly three 08:00 posts:\n%s", r.out)
	}
	for i, p := range posts {
		if want := fmt.Sprintf("2026-11-%dT08:00:00+08:00", 21+i); p.str("time") != want || p.str("group") != "读书会" {
			t.Errorf("post %d at %s in %s, want %s in 读书会", i, p.str("time"), p.str("group"), want)
		}
	}
	if !strings.Contains(posts[0].str("text"), "读书不是为了雄辩") || !strings.Contains(posts[1].str("text"), "种一棵树") {
		t.Errorf("items are taken in order: %q, %q", posts[0].str("text"), posts[1].str("text"))
	}
	if !strings.Contains(posts[2].str("text"), "周一早上好") {
		t.Errorf("2026-11-23 is a Monday: the content calendar's entry is used: %q", posts[2].str("text"))
	}
}

// The done-when test of the scheduler: stop and restart the engine on the same database
// across scheduled times. No post is doubled, one missed within the grace period runs once
// on start, one missed by more is skipped, and the item rotation survives restarts.
func TestScheduleSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	cfg := exampleConfig(t)
	posts := func(r simRun) []line { return r.sendsWith("早上好") }

	r := runScript(t, cfg, db, "@time 2026-11-21 07:00\n@group 读书会\n张三: 早\n@time 2026-11-21 08:05\n", false)
	if p := posts(r); len(p) != 1 || !strings.Contains(p[0].str("text"), "读书不是为了雄辩") {
		t.Fatalf("run 1 posts item 1 at 08:00:\n%s", r.out)
	}
	// Restarted at 08:10: the 08:00 post committed, nothing repeats.
	r = runScript(t, cfg, db, "@time 2026-11-21 08:10\n@group 读书会\n@advance 1h\n", false)
	if len(r.lines) != 0 {
		t.Fatalf("a restart never repeats a post:\n%s", r.out)
	}
	// Down from 09:10 to 08:20 the next day: the 08:00 post is 20 minutes late (grace 30m),
	// so it runs once on start, with the next item. Last night's 22:00 report is 10 hours
	// late: skipped.
	r = runScript(t, cfg, db, "@time 2026-11-22 08:20\n@group 读书会\n@advance 10m\n", false)
	p := posts(r)
	if len(p) != 1 || p[0].str("time") != "2026-11-22T08:20:00+08:00" || !strings.Contains(p[0].str("text"), "种一棵树") {
		t.Fatalf("a post missed by 20 minutes runs once at start with the next item:\n%s", r.out)
	}
	if len(r.kind("dm")) != 0 {
		t.Fatalf("a report missed by 10 hours is skipped:\n%s", r.out)
	}
	// Down until 08:31 on the 24th: that morning's post is 31 minutes late, skipped; the
	// rotation did not move, so the 25th posts item 3.
	r = runScript(t, cfg, db, "@time 2026-11-24 08:31\n@group 读书会\n@time 2026-11-25 08:00\n", false)
	p = posts(r)
	if len(p) != 1 || p[0].str("time") != "2026-11-25T08:00:00+08:00" || !strings.Contains(p[0].str("text"), "日日行") {
		t.Fatalf("past grace: skipped; the next day posts item 3:\n%s", r.out)
	}
	if d := r.dmsWith("日报"); len(d) != 1 || d[0].str("time") != "2026-11-24T22:00:00+08:00" {
		t.Fatalf("only the 24th's report is sent in this run:\n%s", r.out)
	}
	// Stopped right at a scheduled time and started again at that same minute.
	r = runScript(t, cfg, db, "@time 2026-11-26 07:00\n@group 读书会\n@time 2026-11-26 08:00\n", false)
	if len(posts(r)) != 1 {
		t.Fatalf("the 08:00 post due at the final clock is sent:\n%s", r.out)
	}
	r = runScript(t, cfg, db, "@time 2026-11-26 08:00\n@group 读书会\n@advance 1m\n", false)
	if len(posts(r)) != 0 {
		t.Fatalf("…and not again by the next process:\n%s", r.out)
	}
}

// A process killed after a group's first message committed but before that group's jobs
// were registered leaves the group in the database with no job record. The crash harness
// then re-runs the script from its start, with the clock before the group existed: the
// group's posts must still not be due before the bot first saw it (found by the harness:
// docs/RELIABILITY.md), and a reply queued before the kill goes out although the script
// has not named the group again yet.
func TestGroupJobsNotDueBeforeTheGroupWasFirstSeen(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	cfg := exampleConfig(t)
	script := "@time 2026-11-21 07:00\n@group 读书会\n张三: 早\n@time 2026-11-22 08:07\n@group 摄影群\n李四: 大家好\n@time 2026-11-23 09:00\n"
	want := runScript(t, cfg, filepath.Join(t.TempDir(), "ref.db"), script, false).sendsWith("早上好")

	runScript(t, cfg, db, "@time 2026-11-22 08:07\n@group 摄影群\n李四: 大家好\n李四: 举报\n", false)
	st, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	// The kill: the jobs' first registration never committed, and the usage reply to the
	// malformed 警告 was queued but not sent.
	for _, q := range []string{`DELETE FROM jobs`, `UPDATE outbox SET sent_at = NULL, claimed_at = NULL`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	r := runScript(t, cfg, db, script, false)
	got := r.sendsWith("早上好")
	var gotGroups, wantGroups []string
	for _, p := range got {
		gotGroups = append(gotGroups, p.str("group")+" "+p.str("time"))
	}
	for _, p := range want {
		wantGroups = append(wantGroups, p.str("group")+" "+p.str("time"))
	}
	// Jobs due at the same minute fire in the order they were registered: after a restart
	// that is the groups' name order, not the order they were first seen.
	slices.Sort(gotGroups)
	slices.Sort(wantGroups)
	if !slices.Equal(gotGroups, wantGroups) {
		t.Errorf("morning posts after the restart: %v\nwant those of the uninterrupted run: %v", gotGroups, wantGroups)
	}
	usage := r.sendsWith("用法")
	if len(usage) != 1 || usage[0].str("group") != "摄影群" {
		t.Errorf("the reply queued before the kill must go out once, to 摄影群:\n%s", r.out)
	}
	st, err = storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var failedTries int
	if err := st.DB().QueryRow(`SELECT COUNT(*) FROM outbox WHERE error != '' OR failed_at IS NOT NULL`).Scan(&failedTries); err != nil {
		t.Fatal(err)
	}
	if failedTries != 0 {
		t.Errorf("%d outbox rows record a failed try: the restarted account is in 摄影群 from the start", failedTries)
	}
}

func TestShuffledPostsDoNotRepeatUntilExhaustedAcrossRestarts(t *testing.T) {
	cfg := parseConfig(t, `defaults:
  reports: {daily: {enabled: false}, weekly: {enabled: false}}
  silent: {enabled: false}
  weekly_top: {enabled: false}
  posts:
    - name: 话题
      cron: "0 20 * * *"
      items: [甲, 乙, 丙, 丁, 戊]
      order: shuffle
`)
	db := filepath.Join(t.TempDir(), "q.db")
	var got []string
	start := time.Date(2026, 11, 21, 19, 0, 0, 0, cfg.Location)
	for day := 0; day < 10; day++ {
		// One process per day: the permutation must come from the database.
		at := start.AddDate(0, 0, day)
		script := fmt.Sprintf("@time %s\n@group 读书会\n@time %s\n", at.Format("2006-01-02 15:04"), at.Add(90*time.Minute).Format("2006-01-02 15:04"))
		if day == 0 {
			script = fmt.Sprintf("@time %s\n@group 读书会\n张三: 在\n@time %s\n", at.Format("2006-01-02 15:04"), at.Add(90*time.Minute).Format("2006-01-02 15:04"))
		}
		r := runScript(t, cfg, db, script, false)
		sends := r.kind("send")
		if len(sends) != 1 {
			t.Fatalf("day %d: want one post:\n%s", day, r.out)
		}
		got = append(got, sends[0].str("text"))
	}
	for round := 0; round < 2; round++ {
		seen := map[string]bool{}
		for _, it := range got[round*5 : round*5+5] {
			if seen[it] {
				t.Fatalf("round %d repeats %q before the list is exhausted: %v", round, it, got)
			}
			seen[it] = true
		}
	}
	if got[4] == got[5] {
		t.Errorf("a new round must not start with the item that ended the last: %v", got)
	}
}

// simSession drives one simulator session step by step, with access to its database.
type simSession struct {
	t   *testing.T
	cfg *config.Config
	s   *Sim
	out *bytes.Buffer
}

func newSession(t *testing.T, cfg *config.Config, db string, canRemove bool, start time.Time) *simSession {
	t.Helper()
	if db == "" {
		db = ":memory:"
	}
	var out bytes.Buffer
	s, err := NewSim(context.Background(), SimOptions{Config: cfg, DBPath: db, JSON: true, CanRemove: canRemove, Out: &out,
		Logger: testLogger(t)}, bot.NewManualClock(start), "s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &simSession{t: t, cfg: cfg, s: s, out: &out}
}

// run feeds script lines; line numbers (message ids) continue from `from`.
func (ss *simSession) run(from int, script string) {
	ss.t.Helper()
	for i, l := range strings.Split(strings.TrimSpace(script), "\n") {
		st, err := parseLine(from+i, l, ss.cfg)
		if err != nil {
			ss.t.Fatal(err)
		}
		if err := ss.s.Runner.Step(context.Background(), st); err != nil {
			ss.t.Fatal(err)
		}
	}
}

// take returns the output so far as a simRun and clears it.
func (ss *simSession) take() simRun {
	ss.t.Helper()
	r := simRun{out: ss.out.String()}
	ss.out.Reset()
	for _, raw := range strings.Split(strings.TrimSpace(r.out), "\n") {
		if raw == "" {
			continue
		}
		var l line
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			ss.t.Fatalf("not JSON: %q", raw)
		}
		r.lines = append(r.lines, l)
	}
	return r
}

func (ss *simSession) update(fn func(tx *storage.Tx) error) {
	ss.t.Helper()
	if err := ss.s.Store.Update(context.Background(), fn); err != nil {
		ss.t.Fatal(err)
	}
}

func (ss *simSession) member(group, name string) storage.Member {
	ss.t.Helper()
	key, ok := ss.s.Engine.GroupKey(group)
	if !ok {
		ss.t.Fatalf("no group %s", group)
	}
	var m storage.Member
	ss.update(func(tx *storage.Tx) error {
		ms, err := tx.MembersNamed(key, name)
		if err != nil || len(ms) == 0 {
			return fmt.Errorf("member %s: %v", name, err)
		}
		m = ms[0]
		return nil
	})
	return m
}

func (ss *simSession) auditCount(action string, member int64) int {
	ss.t.Helper()
	var n int
	if err := ss.s.Store.DB().QueryRow(`SELECT COUNT(*) FROM audit WHERE action = ? AND member_key = ?`, action, member).Scan(&n); err != nil {
		ss.t.Fatal(err)
	}
	return n
}

const silentOnly = `defaults:
  welcome: {enabled: false}
  points: {enabled: false}
  weekly_top: {enabled: false}
  posts: []
  reports: {daily: {enabled: false}, weekly: {enabled: false}}
`

func TestSilentRemindersNameAtMostTwentyADay(t *testing.T) {
	cfg := parseConfig(t, silentOnly)
	var b strings.Builder
	b.WriteString("@time 2026-11-21 09:00\n@group 读书会\n")
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(&b, "成员%02d: 在\n", i)
	}
	b.WriteString("@time 2026-11-28 10:01\n")
	r := runScript(t, cfg, "", b.String(), false)
	sends := r.kind("send")
	if len(sends) != 1 || len(sends[0].mentions()) != 20 {
		t.Fatalf("day 7: one message naming 20 members:\n%s", r.out)
	}
	b.WriteString("@time 2026-11-29 10:01\n")
	r = runScript(t, cfg, "", b.String(), false)
	sends = r.kind("send")
	if len(sends) != 2 || len(sends[1].mentions()) != 5 || sends[1].mentions()[0] != "成员21" {
		t.Fatalf("day 8: the other 5 (the cap moves on, nobody is named twice):\n%s", r.out)
	}
	for _, m := range sends[1].mentions() {
		if strings.Contains(strings.Join(sends[0].mentions(), ","), m) {
			t.Errorf("%s reminded twice", m)
		}
	}
}

func TestSilentSkipsAdminsOwnerAndNewBot(t *testing.T) {
	cfg := parseConfig(t, silentOnly)
	ss := newSession(t, cfg, "", false, time.Date(2026, 11, 21, 9, 0, 0, 0, cfg.Location))
	ss.run(1, "@time 2026-11-21 09:00\n@group 读书会\n管理员: 在\n张三: 在\nme: 在")
	admin := ss.member("读书会", "管理员")
	ss.update(func(tx *storage.Tx) error { return tx.SetRole(admin.Key, storage.RoleAdmin) })
	ss.run(10, "@time 2026-11-28 09:59")
	if r := ss.take(); len(r.lines) != 0 {
		t.Fatalf("nothing before day 7 (the bot first saw everyone today):\n%s", r.out)
	}
	ss.run(20, "@time 2026-12-22 10:01")
	r := ss.take()
	for _, l := range r.lines {
		text := l.str("text")
		if strings.Contains(text, "管理员") || strings.Contains(text, "群主") && l.str("kind") == "send" {
			t.Errorf("admins and the owner are exempt: %v", l)
		}
	}
	if len(r.sendsWith("@张三")) != 2 || len(r.dmsWith("张三")) != 1 {
		t.Fatalf("张三 gets the three steps:\n%s", r.out)
	}
}

func TestSilentRemovalWhereThePlatformCan(t *testing.T) {
	cfg := parseConfig(t, silentOnly+"  silent:\n    remove: {action: remove}\n")
	r := runScript(t, cfg, "", "@time 2026-11-21 09:00\n@group 读书会\n张三: 在\n李四: 在\n@time 2026-12-20 09:30\n李四: 在\n@time 2026-12-21 10:01\n", true)
	rm := r.kind("remove")
	if len(rm) != 1 || rm[0].str("member") != "张三" || rm[0].str("time") != "2026-12-21T10:00:00+08:00" {
		t.Fatalf("action remove on a platform that can: 张三 is removed on day 30:\n%s", r.out)
	}
	if len(r.kind("dm")) != 0 {
		t.Fatalf("no request to the owner when the bot removed him itself:\n%s", r.out)
	}
	// The same config on WeChat (cannot remove): the owner is asked instead.
	r = runScript(t, cfg, "", "@time 2026-11-21 09:00\n@group 读书会\n张三: 在\n@time 2026-12-21 10:01\n", false)
	if len(r.kind("remove")) != 0 || len(r.dmsWith("张三")) != 1 {
		t.Fatalf("WeChat cannot remove: a request instead:\n%s", r.out)
	}
}

func TestSilentStepsSurviveRestart(t *testing.T) {
	cfg := parseConfig(t, silentOnly)
	db := filepath.Join(t.TempDir(), "q.db")
	r := runScript(t, cfg, db, "@time 2026-11-21 09:00\n@group 读书会\n张三: 在\n@time 2026-11-28 10:30\n", false)
	if len(r.sendsWith("@张三")) != 1 {
		t.Fatalf("day 7 reminder:\n%s", r.out)
	}
	// Restarted within grace of the same check, and again the next days: no second reminder.
	r = runScript(t, cfg, db, "@time 2026-11-28 10:20\n@group 读书会\n@time 2026-12-05 11:00\n", false)
	if len(r.lines) != 0 {
		t.Fatalf("each step once per silence, restarts included:\n%s", r.out)
	}
}

func TestScreeningTimeoutRemovesWhereThePlatformCan(t *testing.T) {
	cfg := loadTestConfig(t, "testdata/schedule/screening.yaml")
	r := runScript(t, cfg, "", "@time 2026-11-21 08:00\n@group 读书会\n+赵六\n@advance 11m\n", true)
	rm := r.kind("remove")
	if len(rm) != 1 || rm[0].str("member") != "赵六" || rm[0].str("time") != "2026-11-21T08:10:00+08:00" {
		t.Fatalf("with --can-remove the newcomer is removed at the deadline:\n%s", r.out)
	}
	if len(r.kind("dm")) != 0 {
		t.Fatalf("no request when removed:\n%s", r.out)
	}
}

func TestScreeningSurvivesRestart(t *testing.T) {
	cfg := loadTestConfig(t, "testdata/schedule/screening.yaml")
	db := filepath.Join(t.TempDir(), "q.db")
	// Down 30 s after a join, before the prompt went out.
	runScript(t, cfg, db, "@time 2026-11-21 08:00\n@group 读书会\n+赵六\n@advance 30s\n", false)
	r := runScript(t, cfg, db, "@time 2026-11-21 08:04\n@group 读书会\n@advance 20m\n", false)
	if p := r.sendsWith("🔐"); len(p) != 1 || p[0].str("time") != "2026-11-21T08:04:00+08:00" || !strings.Contains(p[0].str("text"), "08:10 前") {
		t.Fatalf("the prompt pending at the stop goes out on start, with the original deadline:\n%s", r.out)
	}
	if rem := r.sendsWith("⏰"); len(rem) != 1 || rem[0].str("time") != "2026-11-21T08:05:00+08:00" {
		t.Fatalf("the reminder fires at 08:05:\n%s", r.out)
	}
	if d := r.dmsWith("赵六"); len(d) != 1 || d[0].str("time") != "2026-11-21T08:10:00+08:00" {
		t.Fatalf("the deadline fires at 08:10:\n%s", r.out)
	}
	// A deadline that passed while the bot was down: another half timeout, with a reminder.
	// (Script lines are message ids: the join sits on another line than run 1's, or it
	// would be a replay of that one.)
	runScript(t, cfg, db, "@time 2026-11-21 09:00\n@group 读书会\n# 孙七\n+孙七\n@advance 2m\n", false)
	r = runScript(t, cfg, db, "@time 2026-11-21 09:30\n@group 读书会\n@advance 10m\n", false)
	if rem := r.sendsWith("⏰"); len(rem) != 1 || rem[0].str("time") != "2026-11-21T09:30:00+08:00" || !strings.Contains(rem[0].str("text"), "09:35 前") {
		t.Fatalf("reminded at start with the new deadline 09:35:\n%s", r.out)
	}
	if d := r.dmsWith("孙七"); len(d) != 1 || d[0].str("time") != "2026-11-21T09:35:00+08:00" {
		t.Fatalf("removal requested at the new deadline:\n%s", r.out)
	}
}

// Leaves arrive late and twice: each is recorded once, screening of a member who left
// is dropped, a member who left gets no reminder, and a pending request closes.
func TestLeavesTwiceAndLate(t *testing.T) {
	cfg := loadTestConfig(t, "testdata/schedule/screening.yaml")
	ss := newSession(t, cfg, "", false, time.Date(2026, 11, 21, 8, 0, 0, 0, cfg.Location))
	ss.run(1, "@time 2026-11-21 08:00\n@group 读书会\n+周八\n+赵六\n@advance 2m\n-周八\n-周八\n@advance 10m")
	r := ss.take()
	if len(r.dmsWith("周八")) != 0 || len(r.dmsWith("赵六")) != 1 {
		t.Fatalf("周八 left: no request; 赵六 timed out: a request:\n%s", r.out)
	}
	for _, l := range r.sendsWith("⏰") {
		if strings.Contains(l.str("text"), "周八") {
			t.Fatalf("no reminder for a member who left:\n%s", r.out)
		}
	}
	zhou, zhao := ss.member("读书会", "周八"), ss.member("读书会", "赵六")
	if ss.auditCount("leave", zhou.Key) != 1 || ss.auditCount("screen_drop", zhou.Key) != 1 {
		t.Errorf("a leave twice is recorded once and drops the screening once")
	}
	// 赵六's leave arrives late (after the request) and twice.
	ss.run(20, "@advance 1h\n-赵六\n@advance 1m\n-赵六\n@advance 1d")
	if r := ss.take(); len(r.lines) != 0 {
		t.Fatalf("late and repeated leaves say nothing:\n%s", r.out)
	}
	ss.update(func(tx *storage.Tx) error {
		if _, open, err := tx.PendingRemoval(zhao.Key); err != nil || open {
			return fmt.Errorf("the request must be closed by the leave (open=%v, err=%v)", open, err)
		}
		return nil
	})
	if ss.auditCount("remove_done", zhao.Key) != 1 || ss.auditCount("leave", zhao.Key) != 1 {
		t.Errorf("one leave, one remove_done for 赵六")
	}
}

func TestSilentMemberWhoLeftIsNotReminded(t *testing.T) {
	cfg := parseConfig(t, silentOnly)
	r := runScript(t, cfg, "", "@time 2026-11-21 09:00\n@group 读书会\n张三: 在\n孙七: 在\n@advance 1d\n-孙七\n@advance 1d\n-孙七\n@time 2026-12-22 10:01\n", false)
	for _, l := range r.lines {
		if strings.Contains(l.str("text"), "孙七") {
			t.Fatalf("a member who left gets nothing:\n%s", r.out)
		}
	}
	if len(r.sendsWith("@张三")) != 2 {
		t.Fatalf("张三 still gets his steps:\n%s", r.out)
	}
}

func TestDailyReportCountsViolationsRemovalsAndSilence(t *testing.T) {
	cfg := parseConfig(t, `defaults:
  welcome: {enabled: false}
  posts: []
  reports: {weekly: {enabled: false}}
`)
	ss := newSession(t, cfg, "", false, time.Date(2026, 11, 21, 9, 0, 0, 0, cfg.Location))
	ss.run(1, "@time 2026-11-21 09:00\n@group 读书会\n张三: 在吗\n李四: 在的\n王五: 哈哈")
	key, _ := ss.s.Engine.GroupKey("读书会")
	zs, ls, ww := ss.member("读书会", "张三"), ss.member("读书会", "李四"), ss.member("读书会", "王五")
	noon := time.Date(2026, 11, 21, 12, 0, 0, 0, cfg.Location)
	ss.update(func(tx *storage.Tx) error {
		for _, a := range []storage.AuditEntry{
			{Action: "warn", MemberKey: zs.Key, Detail: map[string]any{"rule": "ads"}},
			{Action: "mute", MemberKey: zs.Key, Detail: map[string]any{"rule": "ads"}},
			{Action: "remove", MemberKey: zs.Key, Detail: map[string]any{"rule": "ads"}},
			{Action: "warn", MemberKey: ls.Key, Detail: map[string]any{"rule": "flood"}},
			// Not violations: the core's removal (no rule) and other actions.
			{Action: "remove", MemberKey: zs.Key, Detail: map[string]any{"source": "moderation:ads"}},
			{Action: "remove_request", MemberKey: zs.Key, Detail: map[string]any{"rule": "ads"}},
			// Yesterday's warning is not today's.
			{Action: "warn", MemberKey: ls.Key, Detail: map[string]any{"rule": "ads"}, Time: noon.AddDate(0, 0, -1)},
		} {
			a.GroupKey = key
			if a.Time.IsZero() {
				a.Time = noon
			}
			if _, err := tx.Audit(a); err != nil {
				return err
			}
		}
		if _, _, err := tx.RequestRemoval(storage.Removal{GroupKey: key, MemberKey: zs.Key, RequestedAt: noon, Source: "moderation:ads"}); err != nil {
			return err
		}
		return tx.SetSilentStep(key, ww.Key, 1, ww.LastSpoke, noon)
	})
	ss.run(10, "@time 2026-11-21 22:00")
	r := ss.take()
	d := r.dmsWith("日报")
	if len(d) != 1 {
		t.Fatalf("one daily report:\n%s", r.out)
	}
	text := d[0].str("text")
	for _, want := range []string{"🚫 违规 4 次：广告 3 · 刷屏 1", "🚪 待移出 1 人", "🤫 沉默 满7天 1 人 · 满15天 0 人 · 满30天 0 人",
		"💬 消息 3 条，发言 3 人", "👥 成员 4 人，今日 +0 / -0", "📈 日活 3/4 人（75%）"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if n := len([]rune(l)); n > 40 {
			t.Errorf("line too long for a phone (%d characters): %q", n, l)
		}
	}
}

func TestDailyActiveAlertAfterThreeLowDays(t *testing.T) {
	cfg := parseConfig(t, `defaults:
  welcome: {enabled: false}
  posts: []
  silent: {enabled: false}
  reports: {weekly: {enabled: false}}
`)
	var b strings.Builder
	b.WriteString("@time 2026-11-21 09:00\n@group 读书会\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "成员%d: 在\n", i)
	}
	for day := 22; day <= 24; day++ {
		fmt.Fprintf(&b, "@time 2026-11-%d 09:00\n成员1: 在\n", day)
	}
	b.WriteString("@time 2026-11-24 22:00\n")
	r := runScript(t, cfg, "", b.String(), false)
	reports := r.dmsWith("日报")
	if len(reports) != 4 {
		t.Fatalf("four daily reports:\n%s", r.out)
	}
	for i, rep := range reports {
		alert := strings.Contains(rep.str("text"), "日活连续 3 天低于 15%")
		if alert != (i == 3) {
			t.Errorf("report %d (%s): alert=%v; only the third low day in a row (11-24) alerts:\n%s", i, rep.str("time"), alert, rep.str("text"))
		}
	}
}

func TestWeeklyReportHealthAlerts(t *testing.T) {
	cfg := parseConfig(t, `defaults:
  welcome: {enabled: false}
  posts: []
  silent: {enabled: false}
  weekly_top: {enabled: false}
  reports: {daily: {enabled: false}}
`)
	var b strings.Builder
	b.WriteString("@time 2026-10-01 09:00\n@group 读书会\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "成员%d: 大家好\n", i)
	}
	// One leave a week from mid-October, nobody joins, nobody talks.
	b.WriteString("@time 2026-10-14 12:00\n-成员20\n@time 2026-10-21 12:00\n-成员19\n@time 2026-10-28 12:00\n-成员18\n")
	b.WriteString("@time 2026-11-02 10:00\n")
	r := runScript(t, cfg, "", b.String(), false)
	weeklies := r.dmsWith("周报")
	if len(weeklies) != 5 {
		t.Fatalf("weekly reports on 10-05, 10-12, 10-19, 10-26, 11-02:\n%s", r.out)
	}
	first, last := weeklies[0].str("text"), weeklies[4].str("text")
	if strings.Contains(first, "⚠️") || !strings.Contains(first, "机器人从10月1日开始统计") {
		t.Errorf("the first week was only partly watched: no alerts, and it says so:\n%s", first)
	}
	for _, want := range []string{"每百人消息 0 条/周，低于 120 条", "30 天内 3/21 人退群（14.3%），高于 5%", "连续 2 周退群多于入群"} {
		if !strings.Contains(last, want) {
			t.Errorf("11-02 report lacks %q:\n%s", want, last)
		}
	}
	if !strings.Contains(last, "👥 成员 18 人，本周 +0 / -1") {
		t.Errorf("members and leaves of the week:\n%s", last)
	}
}

// The daily report counts members by their current silent step: those reminded and still
// in the group, not one who left since (nor anyone who spoke after the reminder).
func TestReportCountsSilentMembersStillInTheGroup(t *testing.T) {
	script := `@time 2026-11-21 09:00
@group 读书会
成员01: 在
成员02: 在
成员03: 在
成员04: 在
@time 2026-11-27 09:00
成员04: 还在
@time 2026-11-28 10:01
-成员02
@time 2026-11-28 12:00
成员03: 我回来了
@time 2026-11-28 22:01
`
	r := runScript(t, nil, "", script, false)
	reminders := r.sendsWith("好久不见")
	if len(reminders) != 1 || len(reminders[0].mentions()) != 3 {
		t.Fatalf("day 7: 成员01–03 reminded:\n%s", r.out)
	}
	report := r.dmsWith("日报 11月28日")
	if len(report) != 1 || !strings.Contains(report[0].str("text"), "满7天 1 人") {
		t.Fatalf("the report counts 成员01 only (成员02 left, 成员03 spoke again):\n%s", r.out)
	}
}

// Reports count people talking to each other: commands (talking to the bot) and the
// owner's own lines are not activity; a rate says what it is a share of.
func TestReportsCountPeopleNotCommands(t *testing.T) {
	cfg := parseConfig(t, `defaults:
  welcome: {enabled: false}
  posts: []
  silent: {enabled: false}
  reports: {weekly: {enabled: false}, top: 3}
`)
	r := runScript(t, cfg, "", `@time 2026-11-21 09:00
@group 读书会
甲: 早上好
乙: 早上好呀
甲: 签到
乙: 签到
丙: 帮助
丙: 积分
丙: 排行榜
me: 大家今天读到哪了
me: 周日晚上八点共读
me: 别忘了打卡
@time 2026-11-21 22:00
`, false)
	d := r.dmsWith("日报")
	if len(d) != 1 {
		t.Fatalf("one daily report:\n%s", r.out)
	}
	text := d[0].str("text")
	for _, want := range []string{"💬 消息 2 条，发言 2 人", "📈 日活 2/4 人（50%）", "🏆 甲 1 条 · 乙 1 条"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q (commands and the owner's lines are not activity):\n%s", want, text)
		}
	}
}

// One member in five (the owner's account is a member too) left: 20%, said with its base.
// It used to divide by the members of 30 days ago, which is 1 when three joined since and
// one of them left: 「近30天退群率 100.0%」.
func TestLeaveRateSaysItsBase(t *testing.T) {
	cfg := parseConfig(t, `defaults:
  welcome: {enabled: false}
  posts: []
  silent: {enabled: false}
  weekly_top: {enabled: false}
  reports: {daily: {enabled: false}}
`)
	r := runScript(t, cfg, "", `@time 2026-10-01 09:00
@group 读书会
老成员: 大家好
@time 2026-10-02 09:00
+甲
+乙
+丁
@time 2026-10-20 09:00
-丁
@time 2026-11-02 10:00
`, false)
	weeklies := r.dmsWith("周报")
	last := weeklies[len(weeklies)-1].str("text")
	leaveLines := ""
	for _, l := range strings.Split(last, "\n") {
		if strings.Contains(l, "退群") {
			leaveLines += l
		}
	}
	if !strings.Contains(last, "30 天内 1/5 人退群（20%）") || strings.Contains(leaveLines, "100") {
		t.Errorf("want 「30 天内 1/5 人退群（20%%）」:\n%s", last)
	}
}
