package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium. Without it the browser test skips, unless
// QUNBOT_REQUIRE_BROWSER is set (CI sets it, so that a missing browser fails the build
// instead of silently testing less).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "chromium not found: install Debian's package (apt-get install -y chromium) to run the dashboard's browser test"
	if os.Getenv("QUNBOT_REQUIRE_BROWSER") != "" {
		t.Fatal(msg + " (QUNBOT_REQUIRE_BROWSER is set: the browser test is required)")
	}
	t.Skip(msg + "; set QUNBOT_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// TestDashboardInBrowser opens the dashboard of a scripted simulator session in headless
// Chromium: signs in with the token link, checks the chart and the moderation log, uses
// the rule tester like an owner would (fill the form, submit, read the verdict), and
// saves screenshots under testdata/out/.
func TestDashboardInBrowser(t *testing.T) {
	exe := chromiumPath(t)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	f := scriptedFixture(t)
	out := filepath.Join("testdata", "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	// The machine has no internet: nothing in the browser may try to reach it.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	defer cancelBrowser()

	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	get := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(bctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	count := func(expr string) int {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	shot := func(name string, full bool) {
		t.Helper()
		a := chromedp.CaptureScreenshot()
		if full {
			a = chromedp.FullScreenshot(100) // 100: PNG
		}
		buf, err := chromedp.Run(bctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Sign in with the printed link: the token becomes a cookie and leaves the URL.
	run(chromedp.EmulateViewport(1100, 1500),
		chromedp.Navigate(f.ts.URL+"/?token="+testToken),
		chromedp.WaitVisible(chromedp.CSS("#config")))
	if url, groups := get(chromedp.Location()), get(chromedp.Text(chromedp.CSS("main table"))); strings.Contains(url, "token") || !strings.Contains(groups, "读书会") {
		t.Fatalf("after sign-in: url %q, groups %q", url, groups)
	}

	// The group page: chart, moderation log, no script anywhere.
	run(chromedp.Click(chromedp.CSS(`a[href="/g/1"]`)), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if days, bars := count(`document.querySelectorAll("svg.chart g.day").length`), count(`document.querySelectorAll("svg.chart rect.bar").length`); days != chartDays || bars < 10 {
		t.Errorf("chart: %d days, %d bars", days, bars)
	}
	if n := count(`document.querySelectorAll("script").length`); n != 0 {
		t.Errorf("%d <script> elements on the page: a hostile name got through", n)
	}
	log := get(chromedp.Text(chromedp.CSS("#log")))
	for _, want := range []string{"请群主移出", "判定移出", "广告", "微信号", "入群不满1天", "警告", "禁言"} {
		if !strings.Contains(log, want) {
			t.Errorf("moderation log lacks %q:\n%s", want, log)
		}
	}
	if removals := get(chromedp.Text(chromedp.CSS("#removals"))); !strings.Contains(removals, "<script>alert(1)</script>") {
		t.Errorf("the hostile name should read as text: %q", removals)
	}
	shot("group-desktop.png", false)

	// The same page on a phone: one column, nothing wider than the screen.
	run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("svg.chart")))
	if scrollW, clientW := count(`document.documentElement.scrollWidth`), count(`document.documentElement.clientWidth`); scrollW > clientW {
		t.Errorf("the group page scrolls sideways on a phone: %d > %d px", scrollW, clientW)
	}
	shot("group-phone.png", true)

	// The rule tester, as an owner uses it: pick, type, submit, read.
	run(chromedp.Navigate(f.ts.URL+"/test"),
		chromedp.WaitVisible(chromedp.CSS("#tester")),
		chromedp.SetValue(chromedp.CSS("#group"), "读书会"),
		chromedp.SetValue(chromedp.CSS("#kind"), "text"),
		chromedp.SendKeys(chromedp.CSS("#text"), "你好😀加我微信 abc12345，兼职日结"),
		chromedp.Click(chromedp.CSS("#tester button")),
		chromedp.WaitVisible(chromedp.CSS("#verdict")))
	if step := get(chromedp.Text(chromedp.CSS("#step"))); !strings.Contains(step, "警告") {
		t.Errorf("verdict step %q", step)
	}
	if marked := get(chromedp.InnerHTML(chromedp.CSS("#marked"))); !strings.Contains(marked, "你好😀<mark>加我微信 abc12345</mark>") || !strings.Contains(marked, "<mark>日结</mark>") {
		t.Errorf("highlighted text %q", marked)
	}
	checks := get(chromedp.Text(chromedp.CSS("#checks")))
	for _, want := range []string{"词条来自内置广告词库", "联系方式", "广告", "微信号"} {
		if !strings.Contains(checks, want) {
			t.Errorf("checks table lacks %q:\n%s", want, checks)
		}
	}
	shot("tester-phone.png", true)
}
