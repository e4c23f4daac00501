package web

import (
	"context"
	"errors"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"qunbot/bot"
	"qunbot/bot/app"
	"qunbot/bot/config"
	"qunbot/rules"
	"qunbot/storage"
)

const rlo = "\u202e" // RIGHT-TO-LEFT OVERRIDE: "‮gpj.exe" shows as "exe.jpg"

func TestUnauthorizedLeaksNothing(t *testing.T) {
	f := scriptedFixture(t)
	// Strings of the scripted database (and of any page) that must never appear in a 401.
	leakMarkers := []string{"读书会", "王五", "alert", "加我微信", "<html", "积分"}
	cookie := &http.Cookie{Name: cookieName, Value: strings.Repeat("0", 64)}
	for _, path := range []string{"/", "/g/1", "/g/1/week.png", "/test", "/nope"} {
		for _, tc := range []struct {
			name string
			req  func() *http.Request
		}{
			{"no token", func() *http.Request { r, _ := http.NewRequest("GET", f.ts.URL+path, nil); return r }},
			{"wrong bearer", func() *http.Request {
				r, _ := http.NewRequest("GET", f.ts.URL+path, nil)
				r.Header.Set("Authorization", "Bearer "+testToken+"x")
				return r
			}},
			{"basic scheme", func() *http.Request {
				r, _ := http.NewRequest("GET", f.ts.URL+path, nil)
				r.Header.Set("Authorization", "Basic "+testToken)
				return r
			}},
			{"wrong query token", func() *http.Request { r, _ := http.NewRequest("GET", f.ts.URL+path+"?token=nope", nil); return r }},
			{"forged cookie", func() *http.Request {
				r, _ := http.NewRequest("GET", f.ts.URL+path, nil)
				r.AddCookie(cookie)
				return r
			}},
			{"raw token as cookie", func() *http.Request {
				r, _ := http.NewRequest("GET", f.ts.URL+path, nil)
				r.AddCookie(&http.Cookie{Name: cookieName, Value: testToken})
				return r
			}},
			{"post without token", func() *http.Request {
				r, _ := http.NewRequest("POST", f.ts.URL+"/test", strings.NewReader("group=读书会&text=加我微信"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			}},
		} {
			t.Run(path+" "+tc.name, func(t *testing.T) {
				status, body := do(t, tc.req())
				if status != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", status)
				}
				for _, m := range leakMarkers {
					if strings.Contains(body, m) {
						t.Errorf("401 body leaks %q:\n%s", m, body)
					}
				}
			})
		}
	}
}

func TestTokenLinkSetsCookieAndDropsToken(t *testing.T) {
	f := scriptedFixture(t)
	req, _ := http.NewRequest("GET", f.ts.URL+"/g/1?x=1&token="+testToken, nil)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/g/1?x=1" {
		t.Fatalf("status %d location %q, want 303 to /g/1?x=1", resp.StatusCode, resp.Header.Get("Location"))
	}
	var c *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == cookieName {
			c = ck
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/", c)
	}
	if strings.Contains(c.Value, testToken) {
		t.Fatal("the cookie must not carry the token itself")
	}
	req, _ = http.NewRequest("GET", f.ts.URL+"/g/1", nil)
	req.AddCookie(c)
	if status, body := do(t, req); status != http.StatusOK || !strings.Contains(body, "读书会") {
		t.Fatalf("with the cookie: status %d", status)
	}

	// The redirect never leaves the site, however the path is written.
	for _, p := range []string{"//evil.example/x", "/\\evil.example"} {
		req, _ = http.NewRequest("GET", f.ts.URL+"/", nil)
		req.URL.Path, req.URL.RawQuery = p, "token="+testToken
		resp, err = client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
			t.Errorf("path %q redirects to %q", p, loc)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t, "")
	req, _ := http.NewRequest("GET", f.ts.URL+"/", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q: want no scripts at all", csp)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", resp.Header)
	}
}

// pages lists every page with a request that reaches it.
func pages() []struct{ name, method, path string } {
	return []struct{ name, method, path string }{
		{"index", "GET", "/"},
		{"group", "GET", "/g/1"},
		{"hostile group", "GET", "/g/2"},
		{"tester", "GET", "/test"},
		{"tester verdict", "POST", "/test"},
		{"not found", "GET", "/g/999"},
		{"no such page", "GET", "/nope"},
	}
}

func (f *fixture) page(t *testing.T, method, path string) (int, string) {
	if method == "POST" {
		return f.post(t, path, map[string]string{"group": "读书会", "kind": "text", "text": "加我微信 abc12345，兼职日结"})
	}
	return f.get(t, path)
}

func TestPagesRenderOnEmptyDatabase(t *testing.T) {
	f := newFixture(t, "")
	for _, p := range pages() {
		t.Run(p.name, func(t *testing.T) {
			status, body := f.page(t, p.method, p.path)
			want := http.StatusOK
			if strings.HasPrefix(p.path, "/g/") || p.path == "/nope" {
				want = http.StatusNotFound // no group has been seen yet
			}
			if status != want || !strings.Contains(body, "</html>") {
				t.Fatalf("status %d (want %d):\n%s", status, want, body)
			}
		})
	}
	_, body := f.get(t, "/")
	if !strings.Contains(body, "还没见过这个群的消息") {
		t.Error("a configured group not seen yet should be listed as such")
	}
}

func TestPagesRenderScripted(t *testing.T) {
	f := scriptedFixture(t)
	for _, p := range pages() {
		t.Run(p.name, func(t *testing.T) {
			status, body := f.page(t, p.method, p.path)
			want := http.StatusOK
			if p.name == "not found" || p.name == "no such page" {
				want = http.StatusNotFound
			}
			if status != want || !strings.Contains(body, "</html>") {
				t.Fatalf("status %d (want %d):\n%s", status, want, body)
			}
		})
	}

	_, index := f.get(t, "/")
	for _, want := range []string{`href="/g/1"`, "读书会", "周报（发给群主，附活跃图）", "周一 09:30", "检查沉默成员", "config.example.yaml",
		`id="blocklist"`, "#1", "韩梅梅", "私下拉人"} { // the blocklist (issue 21)
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q", want)
		}
	}

	_, group := f.get(t, "/g/1")
	if n := strings.Count(group, `<g class="day"`); n != chartDays {
		t.Errorf("chart has %d days, want %d", n, chartDays)
	}
	for _, want := range []string{
		`<svg class="chart"`, `class="bar"`, `class="active"`, "消息数（条）", "活跃成员（人）", // the chart
		"请群主移出", "判定移出", "微信号", "入群不满1天", "累计 3 次", // the moderation log: rule label, reason (a newcomer: stricter), evidence
		`id="removals"`, "待移出 <span class=\"muted small\">（1）", // one pending removal
		"沉默满 7 天", "沉默满 15 天", "小明", // silent members by step
		"积分排行", "进群", "退群", "李雷", // leaderboard, moves
		"日报（发给群主）",                               // the group's jobs
		`id="health"`, "成员之间对话", "机器人消息", "潜水成员", // the articles' metrics against their thresholds
		`class="threshold"`, "新人 3 天留存", "新人 30 天留存", "群人数", "核心（≥15天）",
	} {
		if !strings.Contains(group, want) {
			t.Errorf("group page lacks %q", want)
		}
	}

	status, img := f.get(t, "/g/1/week.png")
	if status != http.StatusOK {
		t.Fatalf("week.png: %d", status)
	}
	if _, err := png.Decode(strings.NewReader(img)); err != nil {
		t.Fatalf("week.png is not a PNG: %v", err)
	}
}

func TestHostileNamesAreEscapedEverywhere(t *testing.T) {
	f := scriptedFixture(t)
	hostileText := "<script>alert(2)</script>{{.Z}}" + rlo + "txt.exe 加我微信"
	for _, tc := range []struct {
		name, method, path string
		form               map[string]string
		want               []string // escaped forms that must be there
	}{
		{"index", "GET", "/", nil, []string{"&lt;b&gt;坏群&lt;/b&gt;{{.Y}}"}},
		{"group", "GET", "/g/1", nil, []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "{{.X}}", "U+202E"}},
		{"hostile group", "GET", "/g/2", nil, []string{"&lt;b&gt;坏群&lt;/b&gt;{{.Y}}", "U+202E"}},
		{"tester", "GET", "/test", nil, []string{"&lt;b&gt;坏群&lt;/b&gt;{{.Y}}&#x202E;", "&lt;b&gt;坏群&lt;/b&gt;{{.Y}}⟨U+202E⟩"}},
		{"tester verdict", "POST", "/test", map[string]string{"group": "<b>坏群</b>{{.Y}}" + rlo, "kind": "text", "text": hostileText},
			[]string{"&lt;script&gt;alert(2)&lt;/script&gt;{{.Z}}", "U+202E", "<mark>"}},
		{"tester via link", "GET", "/test?group=%3Cb%3E%E5%9D%8F%E7%BE%A4%3C%2Fb%3E%7B%7B.Y%7D%7D%E2%80%AE", nil,
			[]string{`value="&lt;b&gt;坏群&lt;/b&gt;{{.Y}}&#x202E;" selected`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var status int
			var body string
			if tc.method == "POST" {
				status, body = f.post(t, tc.path, tc.form)
			} else {
				status, body = f.get(t, tc.path)
			}
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			for _, bad := range []string{"<script>", "<b>坏群", rlo} {
				if strings.Contains(body, bad) {
					i := strings.Index(body, bad)
					t.Errorf("page contains raw %q: …%s…", bad, body[max(0, i-80):min(len(body), i+80)])
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

func TestRuleTesterVerdict(t *testing.T) {
	f := scriptedFixture(t)
	status, body := f.post(t, "/test", map[string]string{"group": "读书会", "kind": "text", "text": "你好😀加我微信 abc12345，兼职日结 13812345678"})
	if status != http.StatusOK {
		t.Fatal(status)
	}
	for _, want := range []string{
		"第一次违规的处罚：警告", "取决于成员最近 30天 内的违规次数", // the ladder step and its caveat
		`data-check="keyword"`, `data-check="phone"`, `data-check="wechat_id"`, // checks
		"广告", "手机号", "微信号", "联系方式", "记一次（按阶梯处罚）", "词条来自<bdi>内置广告词库第 ", // labels, categories, action, entry
		"发送广告关键词「加我微信」",                 // reason
		"你好😀<mark>加我微信 abc12345</mark>", // the span, after a 4-byte emoji
		"<mark>13812345678</mark>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("verdict lacks %q\n%s", want, section(body, `id="checks"`))
		}
	}

	_, body = f.post(t, "/test", map[string]string{"group": "读书会", "kind": "text", "text": "今天读完了《三体》"})
	if !strings.Contains(body, "没有触发任何规则") {
		t.Error("a clean message should pass")
	}
	_, body = f.post(t, "/test", map[string]string{"group": "读书会", "kind": "miniapp", "text": ""})
	if !strings.Contains(body, "<code>kind</code>") && !strings.Contains(body, "禁发类型") {
		t.Errorf("a mini program is denied by the example config:\n%s", section(body, `id="verdict"`))
	}
}

func section(body, marker string) string {
	if i := strings.Index(body, marker); i >= 0 {
		return body[i:min(len(body), i+3000)]
	}
	return body
}

// TestRuleTesterWritesNothing proves the tester changes no state: every table has the
// same number of rows before and after a series of tests, and the timers are the same.
func TestRuleTesterWritesNothing(t *testing.T) {
	f := scriptedFixture(t)
	ctx := context.Background()
	before := rowCounts(t, f.sim.Store)
	jobsBefore, err := f.sim.Engine.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []map[string]string{
		{"group": "读书会", "kind": "text", "text": "加我微信 abc12345，兼职日结 13812345678"},
		{"group": "读书会", "kind": "text", "text": "兼职刷单 免费领取 加V"},
		{"group": "读书会", "kind": "miniapp", "text": ""},
		{"group": "读书会", "kind": "text", "text": "今天读完了《三体》"},
		{"group": "不存在的群", "kind": "text", "text": "加我微信"},
	} {
		if status, _ := f.post(t, "/test", form); status != http.StatusOK {
			t.Fatalf("tester: %d", status)
		}
	}
	for _, p := range []string{"/", "/g/1", "/g/2", "/g/1/week.png", "/test"} {
		f.get(t, p)
	}
	after := rowCounts(t, f.sim.Store)
	if len(before) < 10 {
		t.Fatalf("only %d tables counted: %v", len(before), before)
	}
	for table, n := range before {
		if after[table] != n {
			t.Errorf("table %s: %d rows before, %d after", table, n, after[table])
		}
	}
	if before["strikes"] == 0 || before["audit"] == 0 {
		t.Errorf("the script should have left strikes and audit rows: %v", before)
	}
	jobsAfter, err := f.sim.Engine.Jobs(ctx)
	if err != nil || len(jobsAfter) != len(jobsBefore) {
		t.Errorf("timers changed: %d before, %d after (%v)", len(jobsBefore), len(jobsAfter), err)
	}
}

func rowCounts(t *testing.T, st *storage.Store) map[string]int {
	t.Helper()
	rows, err := st.DB().Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]int{}
	for _, tb := range tables {
		var n int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM "` + tb + `"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

func TestConfigStatusShowsReloadErrors(t *testing.T) {
	f := newFixture(t, "")
	_, body := f.get(t, "/")
	if !strings.Contains(body, "内置的默认配置") {
		t.Error("the embedded config should be named as such")
	}
	// A reload that fails keeps the running config; the page lists the problems.
	f = newFixture(t, "", func(o *app.SimOptions) {
		o.Loader = func() (*config.Config, error) {
			return config.Parse([]byte("timezone: Mars/Olympus\n"), "broken.yaml")
		}
	})
	f.sim.Engine.ReloadFromLoader(context.Background())
	_, body = f.get(t, "/")
	if !strings.Contains(body, "上次重载失败") || !strings.Contains(body, "Mars/Olympus") {
		t.Errorf("reload errors not shown:\n%s", section(body, `id="config"`))
	}
}

func TestHighlight(t *testing.T) {
	res := func(start, end int) rules.Result { return rules.Result{Span: rules.Span{Start: start, End: end}} }
	text := "你好加我微信<b>" // 你 好 加 我 微 信: 3 bytes each
	for _, tc := range []struct {
		name    string
		results []rules.Result
		want    string
	}{
		{"none", nil, "你好加我微信&lt;b&gt;"},
		{"whole characters", []rules.Result{res(6, 18)}, "你好<mark>加我微信</mark>&lt;b&gt;"},
		{"mid-character span widened", []rules.Result{res(7, 10)}, "你好<mark>加我</mark>微信&lt;b&gt;"},
		{"overlaps merged", []rules.Result{res(6, 12), res(9, 18)}, "你好<mark>加我微信</mark>&lt;b&gt;"},
		{"out of range clamped", []rules.Result{res(15, 999)}, "你好加我微<mark>信&lt;b&gt;</mark>"},
		{"at the very end", []rules.Result{res(len(text), len(text)+3)}, "你好加我微信&lt;b&gt;"},
		{"negative ignored", []rules.Result{res(-5, -1)}, "你好加我微信&lt;b&gt;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(highlight(text, tc.results)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if got := string(highlight("a\u200bb", []rules.Result{res(1, 4)})); !strings.Contains(got, `<mark><span class="cc"`) || !strings.Contains(got, "U+200B") {
		t.Errorf("a zero-width character should be shown and marked: %s", got)
	}
}

func TestFirstOffence(t *testing.T) {
	cfg, err := config.Parse([]byte(""), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mc := cfg.Defaults.Moderation // warn → mute 1h → remove
	for _, tc := range []struct {
		action  string
		strikes int
		want    string
	}{
		{rules.ActionStrike, 1, "警告"},
		{rules.ActionStrike, 2, "禁言1小时（软禁言"},
		{rules.ActionWarn, 0, "警告"},
		{rules.ActionMute, 1, "禁言1小时"},
		{rules.ActionRemove, 1, "移出群聊（微信不能踢人"},
	} {
		step, note := firstOffence(mc, rules.Result{Action: tc.action, Strikes: tc.strikes}, bot.Capabilities{})
		if !strings.HasPrefix(step, tc.want) || note == "" {
			t.Errorf("%s×%d: step %q, want prefix %q (note %q)", tc.action, tc.strikes, step, tc.want, note)
		}
	}
}

func TestAddrWarning(t *testing.T) {
	for addr, risky := range map[string]bool{
		"127.0.0.1:8080": false, "localhost:8080": false, "[::1]:8080": false, "127.0.0.2:80": false,
		":8080": true, "0.0.0.0:8080": true, "[::]:8080": true, "192.168.1.5:8080": true, "example.com:80": true,
	} {
		if got := AddrWarning(addr) != ""; got != risky {
			t.Errorf("AddrWarning(%q) risky=%v, want %v", addr, got, risky)
		}
	}
}

func TestNewTokenIsRandom(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if a == b || len(a) < config.MinWebToken || !regexp.MustCompile(`^[0-9a-f]+$`).MatchString(a) {
		t.Errorf("tokens %q %q", a, b)
	}
}

func TestNewRefusesShortToken(t *testing.T) {
	f := newFixture(t, "")
	if _, err := New(Options{Engine: f.sim.Engine, Token: "short"}); err == nil {
		t.Error("a short token must be refused")
	}
	if _, err := New(Options{Token: testToken}); err == nil {
		t.Error("an engine is required")
	}
}

func TestVisibleAndShow(t *testing.T) {
	if got := visible("a" + rlo + "b\u200b"); got != "a⟨U+202E⟩b⟨U+200B⟩" {
		t.Errorf("visible = %q", got)
	}
	if got := string(show("<i>x</i>" + rlo)); got != `<bdi>&lt;i&gt;x&lt;/i&gt;<span class="cc" title="看不见的字符">U+202E</span></bdi>` {
		t.Errorf("show = %q", got)
	}
	if got := attrText(`"&'` + rlo); got != "&#34;&amp;&#39;&#x202E;" {
		t.Errorf("attrText = %q", got)
	}
	if got := visible(string([]byte{0xff, 'a'})); got != "\uFFFDa" {
		t.Errorf("invalid UTF-8: %q", got)
	}
}

// Serve stops when its context ends.
func TestServeStops(t *testing.T) {
	f := newFixture(t, "")
	ln, err := Listen("127.0.0.1:0", discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ctx, ln) }()
	req, _ := http.NewRequest("GET", URL(ln, ""), nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if status, _ := do(t, req); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if u := URL(ln, "a b&c"); !strings.Contains(u, "?token=a+b%26c") || !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Errorf("URL = %q", u)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
