package app

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Identity after a re-login or a restart (issue 19): a name is not proof. Each test fails
// if the row of an admin, of the owner or of a member with points can be taken over by
// someone who only shares the name, or if the real member cannot get it back.

// before is a group where 老张 is an admin with points and 王五 an ordinary member.
const before = `@time 2026-11-21 08:00
@group 读书会
me: 大家早
老张: 大家好
王五: 你好
me: 设为管理员 @老张
老张: 签到
`

// warnsOf lists the penalties given to member.
func penaltiesOf(r simRun, member string) []line {
	var out []line
	for _, p := range r.kind("penalty") {
		if p.str("member") == member {
			out = append(out, p)
		}
	}
	return out
}

// gainedNothing checks that who, after the re-login on 11-22, warned nobody, earned no
// points and got no admin's answer.
func gainedNothing(t *testing.T, r simRun, who string) {
	t.Helper()
	if p := penaltiesOf(r, "王五"); len(p) > 0 {
		t.Errorf("%s's 警告 @王五 must not count: %v\n%s", who, p, r.out)
	}
	for _, p := range r.kind("points") {
		if p.str("member") == who && p.str("time") >= "2026-11-22" {
			t.Errorf("%s must earn no points while who they are is a guess: %v", who, p)
		}
	}
	for _, s := range r.kind("send") {
		if strings.Contains(s.str("text"), "管理员") && strings.Contains(s.str("text"), "@王五") {
			t.Errorf("an admin's answer went to the group for %s: %v", who, s)
		}
	}
}

var askNumber = regexp.MustCompile(`确认 #(\d+)`)

// asks are the owner's 「确认 #N」 questions, by number.
func asks(r simRun) []string {
	var out []string
	for _, d := range r.kind("dm") {
		if m := askNumber.FindStringSubmatch(d.str("text")); m != nil && strings.Contains(d.str("text"), "❓") {
			out = append(out, m[1])
		}
	}
	return out
}

func TestImpostorFirstAfterReloginGainsNothing(t *testing.T) {
	r := runScript(t, nil, "", before+`@advance 1d
@relogin
老张#2: 警告 @王五 广告
老张#2: 签到
老张#2: 设为管理员 @王五
老张#2: 加分 @王五 100
`, false)
	gainedNothing(t, r, "老张#2")
	if a := asks(r); len(a) != 1 {
		t.Fatalf("the owner must be asked once whether 老张#2 is the admin, got %v\n%s", a, r.out)
	}
	for _, d := range r.kind("dm") {
		if strings.Contains(d.str("text"), "❓") && !strings.Contains(d.str("text"), "确认 老张 是管理员") {
			t.Errorf("the question must say what to confirm: %q", d.str("text"))
		}
	}
}

func TestRealAdminKeepsHisRowAfterAnImpostor(t *testing.T) {
	r := runScript(t, nil, "", before+`@advance 1d
@relogin
老张#2: 警告 @王五 广告
老张: 警告 @王五 广告
> 确认 #2
老张: 警告 @王五 广告
老张: 签到
`, false)
	pens := penaltiesOf(r, "王五")
	if len(pens) != 1 {
		t.Fatalf("only the confirmed admin's warning counts: want 1 penalty, got %v\n%s", pens, r.out)
	}
	var pts []line
	for _, p := range r.kind("points") {
		if p.str("member") == "老张" && p.str("reason") == "checkin" {
			pts = append(pts, p)
		}
	}
	if len(pts) != 2 {
		t.Fatalf("老张 checks in on both days: %v\n%s", pts, r.out)
	}
	if b0, b1 := pts[0]["balance"].(float64), pts[1]["balance"].(float64); b1 <= b0 {
		t.Errorf("老张's balance must carry on from his own row: %v then %v", b0, b1)
	}
	if !strings.Contains(r.out, "已确认") {
		t.Errorf("the owner must hear that the confirmation took:\n%s", r.out)
	}
}

func TestTwoStoredRowsMatchingGrantNothing(t *testing.T) {
	// Both 老张s spoke before the re-login: two rows match the names, one an admin's.
	r := runScript(t, nil, "", before+`老张#2: 我也叫老张
@advance 1d
@relogin
老张: 警告 @王五 广告
老张#2: 警告 @王五 广告
老张#2: 签到
`, false)
	gainedNothing(t, r, "老张#2")
	if p := penaltiesOf(r, "王五"); len(p) > 0 {
		t.Errorf("neither 老张 can be told from the other: %v", p)
	}
	if a := asks(r); len(a) != 2 {
		t.Errorf("the owner is asked about each of them once: %v\n%s", a, r.out)
	}
}

func TestOwnersNameIsNotTheOwner(t *testing.T) {
	r := runScript(t, nil, "", before+`@relogin
群主: 警告 @王五 广告
群主: 设为管理员 @群主
群主: 加分 @群主 100
me: 警告 @王五 刷屏
`, false)
	pens := penaltiesOf(r, "王五")
	if len(pens) != 1 {
		t.Fatalf("only the owner's own account warns: want 1 penalty, got %v\n%s", pens, r.out)
	}
	for _, p := range r.kind("points") {
		if p.str("member") == "群主" {
			t.Errorf("a member called 群主 got points: %v", p)
		}
	}
}

func TestSameNameNewcomerAfterRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.db")
	runScript(t, nil, db, before, false)
	// The same database, a new run: a newcomer with the admin's name joins and speaks.
	r := runScript(t, nil, db, `@time 2026-11-22 09:00
@group 读书会
+老张#2
老张#2: 警告 @王五 广告
老张#2: 签到
老张: 警告 @王五 广告
`, false)
	pens := penaltiesOf(r, "王五")
	if len(pens) != 1 {
		t.Fatalf("the newcomer gains nothing, the admin keeps his power: want 1 penalty, got %v\n%s", pens, r.out)
	}
	for _, p := range r.kind("points") {
		if p.str("member") == "老张#2" {
			if p["balance"] != p["delta"] {
				t.Errorf("the newcomer must start from nothing, not the admin's balance: %v", p)
			}
			break
		}
	}
	// And after a restart with a re-login: both look alike, so neither is granted anything.
	r = runScript(t, nil, db, `@time 2026-11-23 09:00
@relogin
@group 读书会
+老张#3
老张#3: 警告 @王五 广告
`, false)
	if p := penaltiesOf(r, "王五"); len(p) > 0 {
		t.Errorf("a same-name newcomer after a re-login gains nothing: %v\n%s", p, r.out)
	}
}

func TestUniqueAdminRelinksAfterRelogin(t *testing.T) {
	r := runScript(t, nil, "", before+`@advance 1d
@relogin
老张: 警告 @王五 广告
`, false)
	if p := penaltiesOf(r, "王五"); len(p) != 1 {
		t.Fatalf("the only 老张 in the group is the admin after a re-login: %v\n%s", p, r.out)
	}
	if a := asks(r); len(a) != 0 {
		t.Errorf("nothing to ask when the name is unique: %v", a)
	}
}

func TestPointsNotTakenOverByName(t *testing.T) {
	r := runScript(t, nil, "", `@time 2026-11-21 08:00
@group 读书会
小红: 签到
@advance 1d
@relogin
小红#2: 兑换 1
小红#2: 签到
`, false)
	for _, p := range r.kind("points") {
		if p.str("member") == "小红#2" {
			t.Errorf("小红#2 must not spend or earn on 小红's points: %v\n%s", p, r.out)
		}
	}
}

func TestAdminWhoLeftIsNotReplacedByName(t *testing.T) {
	r := runScript(t, nil, "", before+`-老张
@advance 1d
@relogin
老张#2: 警告 @王五 广告
`, false)
	if p := penaltiesOf(r, "王五"); len(p) > 0 {
		t.Errorf("the admin left: a newcomer with his name gains nothing: %v\n%s", p, r.out)
	}
	if a := asks(r); len(a) != 1 {
		t.Errorf("the owner is asked: %v", a)
	}
}

func TestImpostorIsNotImmuneToModeration(t *testing.T) {
	r := runScript(t, nil, "", before+`@advance 1d
@relogin
老张#2: 加我微信领取福利
老张#2: 兼职刷单日结，加我微信
`, false)
	var pens []line
	for _, p := range r.kind("penalty") {
		if p.str("member") == "老张#2" {
			pens = append(pens, p)
		}
	}
	if len(pens) == 0 {
		t.Fatalf("copying an admin's name buys no immunity: the impostor's ads are punished on their own row\n%s", r.out)
	}
	if pens[0]["strikes"] != float64(1) {
		t.Errorf("the strikes are the impostor's own, not the admin's: %v", pens[0])
	}
}
