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
// Kills are aimed by the child's progress, not by the clock: right after its n-th output
// line, or its n-th delivery. The child writes into a pipe of one page, so it cannot run
// more than a few lines ahead of the harness's reading, and a kill aimed with more output
// still to come lands mid-run however loaded the machine is. Every planned kill must land:
// one that finds its run finished is planned again in the next trial, and the test fails
// if fewer kills landed than were planned.
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

	// Lines the child can write beyond the harness's reading: the pipe's page and the
	// reader's buffer, in lines of the reference's mean length, and one more. Kills are
	// aimed at least that far from the end of what is left to print.
	var refBytes int
	for _, l := range ref.lines {
		refBytes += len(l.raw) + 1
	}
	aheadLines := (pipeBytes+readBytes)*len(ref.lines)/max(refBytes, 1) + 2
	aheadSends := aheadLines*ref.sends/max(len(ref.lines), 1) + 2

	var total struct {
		runs, planned, kills, missed, duplicates, partial int
		// per kind of kill: landed, a message delivered but unrecorded (→ resent, a
		// duplicate), a message claimed but not yet delivered (→ resent once, no duplicate)
		byLine, bySend             int
		inFlightLine, inFlightSend int
		claimedLine, claimedSend   int
		settledAndTail             int // kills that left balances settled part of the way
	}
	owed := 0 // planned kills that found their run finished, planned again
	rng := rand.New(rand.NewPCG(seed, 99))
	for trial := 0; trial < trials; trial++ {
		db := filepath.Join(dir, fmt.Sprintf("trial-%d.db", trial))
		got := deliveries{}
		planned := 1 + rng.IntN(3)
		total.planned += planned
		kills := planned + owed
		landed, printed := 0, 0
		for run := 0; ; run++ {
			if run > kills+3 {
				t.Fatalf("trial %d: no complete run after %d runs", trial, run)
			}
			var plan killPlan
			if landed < kills {
				// Aim inside what is left to do: a restarted run replays the done part
				// without output and prints only what is left.
				if rng.IntN(2) == 0 {
					left := len(ref.lines) - printed - aheadLines
					plan.afterLines = 1 + rng.IntN(max(left, 1))
				} else {
					left := ref.sends - len(got) - aheadSends
					plan.afterSends = 1 + rng.IntN(max(left, 1))
				}
			}
			res := runBot(t, bin, scriptPath, db, plan)
			total.runs++
			printed += len(res.lines)
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
					total.missed++ // finished before the kill was due
				}
				break
			}
			total.kills++
			landed++
			s := checkInvariants(t, db, got, false)
			if s.settledAndTail {
				total.settledAndTail++
			}
			if plan.afterLines > 0 {
				total.byLine++
				total.inFlightLine += s.inFlight
				total.claimedLine += s.claimedOnly
			} else {
				total.bySend++
				total.inFlightSend += s.inFlight
				total.claimedSend += s.claimedOnly
			}
			if t.Failed() {
				t.Fatalf("trial %d: invariants broken after kill %d (%+v); database kept at %s", trial, run+1, plan, db)
			}
		}
		owed = max(kills-landed, 0)
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
	t.Logf("%d trials, %d runs: %d kills planned, %d landed mid-run, %d found their run finished (planned again); %d partial output lines",
		trials, total.runs, total.planned, total.kills, total.missed, total.partial)
	t.Logf("kills after a random output line: %d; a message delivered but not yet recorded (resent: duplicate) in %d, claimed but not yet delivered (resent once: no duplicate) in %d",
		total.byLine, total.inFlightLine, total.claimedLine)
	t.Logf("kills right after a delivery: %d; delivered but not yet recorded in %d, claimed but not yet delivered in %d",
		total.bySend, total.inFlightSend, total.claimedSend)
	t.Logf("messages delivered twice: %d, every one announced by a resend audit entry; lost: 0; silent duplicates: 0", total.duplicates)
	t.Logf("kills that left points balances settled part of the way, with entries past the mark for the next run to read: %d", total.settledAndTail)
	if total.kills < total.planned {
		t.Errorf("only %d of %d planned kills landed mid-run: the harness tested less than it claims", total.kills, total.planned)
	}
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

// killPlan says when to SIGKILL a run: right after the n-th output line it prints (any
// point of its progress), or right after the n-th delivery (send or dm line) — the moment
// between handing a message to the platform and recording it, the worst case for the
// outbox. The zero plan lets the run finish.
type killPlan struct {
	afterLines int
	afterSends int
}

// The child's stdout is a pipe of pipeBytes read through readBytes of buffer: how far it
// can write ahead of the harness.
const (
	pipeBytes = 4096
	readBytes = 4096
)

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
	stdout, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	shrinkPipe(t, w, pipeBytes)
	cmd.Stdout = w
	began := time.Now()
	err = cmd.Start()
	w.Close() // the child has its own copy
	if err != nil {
		t.Fatal(err)
	}
	kill := func() { _ = cmd.Process.Signal(syscall.SIGKILL) }
	var res runResult
	rd := bufio.NewReaderSize(stdout, readBytes)
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
		if len(res.lines) == plan.afterLines {
			kill()
		}
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

// shrinkPipe sets the pipe's capacity (Linux's F_SETPIPE_SZ; the kernel rounds up to a
// page), so a child writing into it blocks once that much is unread.
func shrinkPipe(t *testing.T, w *os.File, size int) {
	t.Helper()
	const fSetPipeSz = 1031
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), fSetPipeSz, uintptr(size)); errno != 0 {
		t.Fatalf("shrink the output pipe: %v", errno)
	}
}
