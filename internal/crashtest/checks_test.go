package crashtest

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"qunbot/storage"
)

// openDB opens a database the way the next run would (storage.Open recovers the WAL a
// killed process left behind).
func openDB(t *testing.T, path string) *storage.Store {
	t.Helper()
	st, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s after the kill: %v", path, err)
	}
	return st
}

func queryInts(t *testing.T, db *sql.DB, q string, args ...any) [][]int64 {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]int64
	for rows.Next() {
		vals := make([]int64, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// deliveries counts, per outbox id, how often the platform (the JSON send/dm lines of every
// run of a trial) delivered it.
type deliveries map[int64]int

// invariantStats is what one check saw.
type invariantStats struct {
	inFlight    int // rows delivered but not yet recorded as sent at the kill (claimed)
	claimedOnly int // rows claimed but not yet delivered at the kill (will be resent once)
	jobs        int // scheduled-message occurrences recognised (posts, reports, weekly tops)
	// settledAndTail: the kill left points balances settled part of the way, with entries
	// past the mark (storage/settle.go): the next run must read the tail.
	settledAndTail bool
}

// checkInvariants checks the database a (possibly killed) run left behind. final says the
// last run completed: then nothing may be pending any more.
func checkInvariants(t *testing.T, path string, got deliveries, final bool) invariantStats {
	t.Helper()
	st := openDB(t, path)
	defer st.Close()
	db := st.DB()
	var s invariantStats
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: "+format, append([]any{path}, args...)...)
	}

	if problems, err := st.IntegrityCheck(context.Background()); err != nil || len(problems) > 0 {
		fail("integrity check: %v %v", problems, err)
	}
	if bad := queryInts(t, db, `SELECT COUNT(*) FROM pragma_foreign_key_check`); bad[0][0] != 0 {
		fail("%d foreign key violations", bad[0][0])
	}
	// Every balance is the sum of its ledger entries. A balance is its points_balances row
	// plus the member's entries past the settled mark (storage/settle.go), so what can be
	// wrong is the rows: each must be exactly the sum of its member's entries up to the mark,
	// every member with entries up to the mark must have one, and the mark must not be past
	// the ledger's end.
	mark := queryInts(t, db, `SELECT through, (SELECT COALESCE(MAX(id), 0) FROM points_ledger) FROM points_settled`)
	if len(mark) != 1 || mark[0][0] > mark[0][1] {
		fail("settled mark %v: want one row, not past the ledger's last entry", mark)
	} else {
		s.settledAndTail = mark[0][0] > 0 && mark[0][0] < mark[0][1]
	}
	for _, r := range queryInts(t, db, `SELECT m, b, s FROM (
		SELECT l.member_key AS m, COALESCE(b.balance, -999999) AS b, SUM(l.delta) AS s
		FROM points_ledger l LEFT JOIN points_balances b ON b.member_key = l.member_key
		WHERE l.id <= (SELECT through FROM points_settled) GROUP BY l.member_key)
		WHERE b != s`) {
		fail("member %d: settled balance %d but ledger sums to %d up to the mark", r[0], r[1], r[2])
	}
	for _, r := range queryInts(t, db, `SELECT b.member_key, b.balance FROM points_balances b
		WHERE NOT EXISTS (SELECT 1 FROM points_ledger l WHERE l.member_key = b.member_key
			AND l.id <= (SELECT through FROM points_settled)) AND b.balance != 0`) {
		fail("member %d has balance %d without ledger entries up to the mark", r[0], r[1])
	}
	// No member is paid twice for one day's check-in, and each paid check-in is in the ledger.
	for _, r := range queryInts(t, db, `SELECT member_key, COUNT(*) FROM points_ledger WHERE reason = 'checkin'
		GROUP BY member_key, day HAVING COUNT(*) > 1`) {
		fail("member %d was paid %d times for one day's check-in", r[0], r[1])
	}
	for _, r := range queryInts(t, db, `SELECT c.member_key, c.points, COALESCE((SELECT SUM(delta) FROM points_ledger l
		WHERE l.member_key = c.member_key AND l.day = c.day AND l.reason = 'checkin'), 0) AS paid
		FROM checkins c WHERE c.makeup = 0 AND c.points != paid`) {
		fail("member %d: check-in worth %d, ledger paid %d", r[0], r[1], r[2])
	}
	// Every strike has its audit entry (warn/mute/remove naming the strike, or hold for one
	// recorded within the step gap), every mute too.
	for _, r := range queryInts(t, db, `SELECT s.id FROM strikes s WHERE NOT EXISTS (SELECT 1 FROM audit a
		WHERE a.action IN ('warn', 'mute', 'remove', 'hold') AND a.member_key = s.member_key
		AND json_extract(a.detail, '$.strike') = s.id)`) {
		fail("strike %d has no audit entry", r[0])
	}
	for _, r := range queryInts(t, db, `SELECT m.member_key FROM mutes m WHERE NOT EXISTS (SELECT 1 FROM audit a
		WHERE a.action = 'mute' AND a.member_key = m.member_key AND a.time = m.since)`) {
		fail("mute of member %d has no audit entry", r[0])
	}
	// The outbox against what the platform received.
	type row struct {
		id              int64
		sent, failed    bool
		claimed, resent bool
	}
	var rows []row
	for _, r := range queryInts(t, db, `SELECT id, sent_at IS NOT NULL, failed_at IS NOT NULL, claimed_at IS NOT NULL,
		EXISTS(SELECT 1 FROM audit a WHERE a.action = 'resend' AND json_extract(a.detail, '$.outbox') = o.id) FROM outbox o`) {
		rows = append(rows, row{r[0], r[1] == 1, r[2] == 1, r[3] == 1, r[4] == 1})
	}
	known := map[int64]bool{}
	for _, r := range rows {
		known[r.id] = true
		n := got[r.id]
		switch {
		case r.failed:
			fail("outbox %d failed (the simulator never refuses a send)", r.id)
		case r.sent && n == 0:
			fail("outbox %d is marked sent but was never delivered", r.id)
		case !r.sent && n > 0 && !r.claimed && !r.resent:
			// Delivered, not recorded, and not marked in flight: a duplicate in the making
			// that nobody would know about.
			fail("outbox %d was delivered but is neither recorded as sent nor claimed", r.id)
		case !r.sent && final:
			fail("outbox %d is still pending after a complete run: lost", r.id)
		}
		if !r.sent && n > 0 {
			s.inFlight++
		}
		if !r.sent && n == 0 && r.claimed {
			s.claimedOnly++
		}
		if n > 1 && !r.resent {
			fail("outbox %d was delivered %d times with no resend audit entry: a silent duplicate", r.id, n)
		}
		if n > 2 {
			fail("outbox %d was delivered %d times", r.id, n)
		}
	}
	for id := range got {
		if !known[id] {
			fail("the platform received outbox id %d that the database does not have (a delivery of a rolled-back message)", id)
		}
	}
	if s.inFlight > 1 {
		fail("%d messages in flight at one kill; the outbox hands over one at a time", s.inFlight)
	}
	if final {
		if n := queryInts(t, db, `SELECT COUNT(*) FROM outbox WHERE claimed_at IS NOT NULL`)[0][0]; n != 0 {
			fail("%d outbox rows still claimed after a complete run", n)
		}
	}
	// Scheduled jobs never double: at most one morning post per group and day, one daily
	// report per group and day, one weekly top and weekly report per group.
	texts := queryStrings(t, db, `SELECT COALESCE(group_key, 0) || '|' || text FROM outbox`)
	seen := map[string]int{}
	for _, s := range texts {
		if k := jobKey(s); k != "" {
			seen[k]++
		}
	}
	for k, n := range seen {
		if n > 1 {
			fail("scheduled message %q queued %d times", k, n)
		}
	}
	s.jobs = len(seen)
	return s
}

var (
	outboxIDRE = regexp.MustCompile(`"outbox":\d+`)
	reportRE   = regexp.MustCompile(`^📊「([^」]+)」(日报|周报) (\S+)`)
	postRE     = regexp.MustCompile(`^☀️ (?:早上好！今天是(\S+?)，|周一早上好)`)
	starRE     = regexp.MustCompile(`^🌟 过去一周活跃之星（([^）]+)）`)
)

// jobKey names the job occurrence a queued text stands for ("" if it is not a job's).
func jobKey(groupAndText string) string {
	group, text, _ := strings.Cut(groupAndText, "|")
	if m := reportRE.FindStringSubmatch(text); m != nil {
		return m[1] + " " + m[2] + " " + m[3]
	}
	if m := postRE.FindStringSubmatch(text); m != nil {
		return "group " + group + " post " + m[1]
	}
	if m := starRE.FindStringSubmatch(text); m != nil {
		return "group " + group + " weekly top " + m[1]
	}
	return ""
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// volatile columns differ between an interrupted and an uninterrupted run for reasons
// that are not state: when a message was (re)delivered, migration wall-clock times, and
// outbox ids: jobs due at the same minute (one daily report per group) fire in the order
// they were registered, which after a restart is the order the module plans them in
// rather than the order the groups first appeared. Their contents must still match.
var volatile = map[string][]string{
	"outbox":            {"id", "sent_at", "attempts", "claimed_at", "next_try"},
	"audit":             {"id"},
	"schema_migrations": {"applied_at"},
}

// snapshot is every table's rows as sorted strings, without volatile columns and without
// the audit entries that only a crash produces ("resend", a second "send" attempt of the
// same message); a "send" entry's time is a delivery's and is dropped.
func snapshot(t *testing.T, path string) map[string][]string {
	t.Helper()
	st := openDB(t, path)
	defer st.Close()
	db := st.DB()
	tables := queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	out := map[string][]string{}
	seenSend := map[string]bool{}
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			rec := map[string]any{}
			for i, c := range cols {
				if b, ok := vals[i].([]byte); ok {
					vals[i] = string(b)
				}
				rec[c] = vals[i]
			}
			if table == "audit" {
				if rec["action"] == "resend" {
					continue
				}
				if rec["action"] == "send" {
					// One entry per attempt: a message resent after a crash has two.
					if seenSend[fmt.Sprint(rec["detail"])] {
						continue
					}
					seenSend[fmt.Sprint(rec["detail"])] = true
					rec["time"] = nil
					rec["detail"] = outboxIDRE.ReplaceAllString(fmt.Sprint(rec["detail"]), `"outbox":_`)
				}
			}
			var b strings.Builder
			for _, c := range cols {
				if slices.Contains(volatile[table], c) {
					continue
				}
				fmt.Fprintf(&b, "%s=%v ", c, rec[c])
			}
			out[table] = append(out[table], b.String())
		}
		rows.Close()
		slices.Sort(out[table])
	}
	return out
}

// compareState reports every difference between two snapshots (up to a few per table).
func compareState(want, got map[string][]string) []string {
	var diffs []string
	for table := range merged(want, got) {
		w, g := want[table], got[table]
		if slices.Equal(w, g) {
			continue
		}
		missing, extra := minus(w, g), minus(g, w)
		d := fmt.Sprintf("table %s: %d rows want, %d got", table, len(w), len(g))
		for i, r := range missing {
			if i == 3 {
				break
			}
			d += "\n    missing: " + r
		}
		for i, r := range extra {
			if i == 3 {
				break
			}
			d += "\n    extra:   " + r
		}
		diffs = append(diffs, d)
	}
	slices.Sort(diffs)
	return diffs
}

func merged(a, b map[string][]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// minus is the multiset difference a − b of sorted slices.
func minus(a, b []string) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) {
		switch {
		case j >= len(b) || a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] == b[j]:
			i++
			j++
		default:
			j++
		}
	}
	return out
}
