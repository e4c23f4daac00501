package crashtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCrashConsistency is the crash harness: see docs/RELIABILITY.md for what it checks and
// what it found. QUNBOT_CRASH_TRIALS sets the number of trials (default 5; the recorded full
// run uses 50), QUNBOT_CRASH_SEED the seed (default 1).
//
//	QUNBOT_CRASH_TRIALS=50 go test ./internal/crashtest -run Crash -v
//
// The only real-clock use is the random delay before a SIGKILL: it picks the moment of the
// crash, nothing waits on it, and the invariants must hold wherever it lands.
func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the bot binary many times")
	}
	trials := envInt(t, "QUNBOT_CRASH_TRIALS", 5)
	seed := uint64(envInt(t, "QUNBOT_CRASH_SEED", 1))
	dir := t.TempDir()
	bin := buildBot(t, dir)
	script, lines := generateScript(seed)
	scriptPath := filepath.Join(dir, "crash.script")
	if err := os.WriteFile(scriptPath, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}

	// The reference: one uninterrupted run.
	refDB := filepath.Join(dir, "reference.db")
	ref := runBot(t, bin, scriptPath, refDB, killPlan{})
	if ref.killed || ref.err != nil {
		t.Fatalf("reference run failed: %v\n%s", ref.err, ref.stderr)
	}
	refDeliveries := deliveries{}
	ref.count(refDeliveries)
	if s := checkInvariants(t, refDB, refDeliveries, true); s.jobs < 20 {
		// 3 groups × (4 mornings + 4 daily reports) + weekly ones (29 with seed 1): the check must see them.
		t.Fatalf("only %d scheduled messages recognised in the reference run", s.jobs)
	}
	want := snapshot(t, refDB)
	t.Logf("script: %d lines; reference run: %v, %d output lines, %d deliveries", lines, ref.took.Round(time.Millisecond), len(ref.lines), ref.sends)
	if ref.sends == 0 || len(want["points_ledger"]) == 0 || len(want["strikes"]) == 0 || len(want["checkins"]) == 0 {
		t.Fatal("the script should pay points, check members in, strike ad senders and send messages")
	}

	var total struct {
		runs, kills, survived, duplicates, partial int
		// per kind of kill: landed, a message delivered but unrecorded (→ resent, a
		// duplicate), a message claimed but not yet delivered (→ resent once, no duplicate)
		byTime, bySend             int
		inFlightTime, inFlightSend int
		claimedTime, claimedSend   int
		settledAndTail             int // kills that left balances settled part of the way
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	for trial := 0; trial < trials; trial++ {
		db := filepath.Join(dir, fmt.Sprintf("trial-%d.db", trial))
		got := deliveries{}
		kills := 1 + rng.IntN(3)
		for run := 0; ; run++ {
			if run > kills+3 {
				t.Fatalf("trial %d: no complete run after %d runs", trial, run)
			}
			var plan killPlan
			if run < kills {
				// Aim inside what is left to do: a restarted run replays the done part
				// quickly and delivers only what is left.
				left := max(ref.sends-len(got), 1)
				if rng.IntN(2) == 0 {
					plan.after = time.Duration(rng.Int64N(int64(ref.took)*int64(left)/int64(ref.sends) + 1))
				} else {
					plan.afterSends = 1 + rng.IntN(left)
				}
			}
			res := runBot(t, bin, scriptPath, db, plan)
			total.runs++
			res.count(got)
			if res.partial {
				total.partial++
			}
			if strings.Contains(res.stderr, "level=ERROR") {
				t.Errorf("trial %d run %d logged an error:\n%s", trial, run, res.stderr)
			}
			if !res.killed {
				if res.err != nil {
					t.Fatalf("trial %d run %d failed: %v\n%s", trial, run, res.err, res.stderr)
				}
				if plan != (killPlan{}) {
					total.survived++ // finished before the kill was due
				}
				break
			}
			total.kills++
			s := checkInvariants(t, db, got, false)
			if s.settledAndTail {
				total.settledAndTail++
			}
			if plan.after > 0 {
				total.byTime++
				total.inFlightTime += s.inFlight
				total.claimedTime += s.claimedOnly
			} else {
				total.bySend++
				total.inFlightSend += s.inFlight
				total.claimedSend += s.claimedOnly
			}
			if t.Failed() {
				t.Fatalf("trial %d: invariants broken after kill %d (%+v); database kept at %s", trial, run+1, plan, db)
			}
		}
		checkInvariants(t, db, got, true)
		total.duplicates += countDuplicates(got)
		if diffs := compareState(want, snapshot(t, db)); len(diffs) > 0 {
			t.Errorf("trial %d: final state differs from the uninterrupted run:\n  %s", trial, strings.Join(diffs, "\n  "))
		}
		// Replaying the whole script on the finished database changes nothing.
		again := runBot(t, bin, scriptPath, db, killPlan{})
		if again.err != nil || again.killed {
			t.Fatalf("trial %d: replay failed: %v\n%s", trial, again.err, again.stderr)
		}
		if len(again.lines) != 0 {
			t.Errorf("trial %d: replaying the finished script produced %d output lines, want none; first: %s", trial, len(again.lines), again.lines[0].raw)
		}
		if diffs := compareState(want, snapshot(t, db)); len(diffs) > 0 {
			t.Errorf("trial %d: replay changed the state:\n  %s", trial, strings.Join(diffs, "\n  "))
		}
		if t.Failed() {
			t.Fatalf("trial %d failed; database kept at %s", trial, db)
		}
	}
	t.Logf("%d trials, %d runs: %d kills landed, %d planned kills came after the run had finished; %d partial output lines",
		trials, total.runs, total.kills, total.survived, total.partial)
	t.Logf("kills at a random time: %d; a message delivered but not yet recorded (resent: duplicate) in %d, claimed but not yet delivered (resent once: no duplicate) in %d",
		total.byTime, total.inFlightTime, total.claimedTime)
	t.Logf("kills right after a delivery: %d; delivered but not yet recorded in %d, claimed but not yet delivered in %d",
		total.bySend, total.inFlightSend, total.claimedSend)
	t.Logf("messages delivered twice: %d, every one announced by a resend audit entry; lost: 0; silent duplicates: 0", total.duplicates)
	t.Logf("kills that left points balances settled part of the way, with entries past the mark for the next run to read: %d", total.settledAndTail)
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}

func buildBot(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "bot")
	cmd := exec.Command("go", "build", "-o", bin, "qunbot/cmd/bot")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// killPlan says when to SIGKILL a run: after a delay, or right after the n-th delivery
// (send or dm line) it prints — the moment between handing a message to the platform and
// recording it, the worst case for the outbox. The zero plan lets the run finish.
type killPlan struct {
	after      time.Duration
	afterSends int
}

type outLine struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
	raw  string
}

type runResult struct {
	lines   []outLine
	sends   int
	killed  bool
	partial bool // the kill cut a line in half
	err     error
	stderr  string
	took    time.Duration
}

func (r runResult) count(d deliveries) {
	for _, l := range r.lines {
		if isDelivery(l.Kind) {
			d[l.ID]++
		}
	}
}

func runBot(t *testing.T, bin, script, db string, plan killPlan) runResult {
	t.Helper()
	cmd := exec.Command(bin, "sim", "--script", script, "--db", db, "--json")
	// Points balances settle every 40 ledger entries instead of every 100,000, so runs are
	// killed around settlements too (storage/settle.go).
	cmd.Env = append(os.Environ(), "QUNBOT_SETTLE_EVERY=40")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := func() { _ = cmd.Process.Signal(syscall.SIGKILL) }
	if plan.after > 0 {
		timer := time.AfterFunc(plan.after, kill)
		defer timer.Stop()
	}
	var res runResult
	rd := bufio.NewReaderSize(stdout, 1<<20)
	for {
		raw, err := rd.ReadString('\n')
		if err != nil {
			if raw != "" {
				res.partial = true // cut by the kill: not a delivery
			}
			if !errors.Is(err, io.EOF) {
				t.Fatalf("read output: %v", err)
			}
			break
		}
		var l outLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("output line is not JSON: %q: %v", raw, err)
		}
		l.raw = strings.TrimSpace(raw)
		res.lines = append(res.lines, l)
		if isDelivery(l.Kind) {
			if l.ID <= 0 {
				t.Fatalf("delivery without an outbox id: %s", raw)
			}
			res.sends++
			if res.sends == plan.afterSends {
				kill()
			}
		}
	}
	werr := cmd.Wait()
	res.took = time.Since(began)
	res.stderr = stderr.String()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		res.killed = true
	} else {
		res.err = werr
	}
	return res
}

func countDuplicates(d deliveries) int {
	n := 0
	for _, c := range d {
		if c > 1 {
			n++
		}
	}
	return n
}

// isDelivery tells the JSON kinds that stand for an outbox row handed to the platform.
func isDelivery(kind string) bool {
	return kind == "send" || kind == "dm" || kind == "image"
}
