package rules

import (
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// The windows are the stateful checks. The engine owns one of each, feeds
// them every message with the message's time (never the wall clock), and
// they keep bounded memory by pruning what has left the window. All are safe
// for concurrent use.
//
// Times are handled as Unix nanoseconds. If a caller's clock goes backwards
// for a key (a replayed or reordered message), the time is clamped to the
// newest one already recorded, so windows never hold entries out of order.

// sweeper decides when to prune idle keys: whenever the map has doubled
// since the last sweep (and at least minSweep keys exist), so the work is
// amortised O(1) per call and a map never holds more than about twice the
// keys that are live in the window.
type sweeper struct{ next int }

const minSweep = 1024

func (s *sweeper) due(size int) bool {
	if s.next == 0 {
		s.next = minSweep
	}
	return size >= s.next
}

func (s *sweeper) done(size int) { s.next = max(minSweep, 2*size) }

// Flood fires when a member sends more than Max messages within Window in
// one group: a true sliding window over the member's last Max message times.
//
// Memory: one ring of Max timestamps per (group, member) that sent within
// the window, and at most about twice that many keys between sweeps:
// O(active members × Max).
type Flood struct {
	max    int
	window time.Duration

	mu    sync.Mutex
	rings map[memberKey]*timeRing
	sweep sweeper
}

type memberKey struct{ group, member string }

// timeRing holds the newest len(buf) times, oldest at head.
type timeRing struct {
	buf   []int64
	head  int
	count int
}

func (r *timeRing) newest() int64 {
	return r.buf[(r.head+r.count-1)%len(r.buf)]
}

// push appends t, dropping the oldest if full.
func (r *timeRing) push(t int64) {
	if r.count < len(r.buf) {
		r.buf[(r.head+r.count)%len(r.buf)] = t
		r.count++
		return
	}
	r.buf[r.head] = t
	r.head = (r.head + 1) % len(r.buf)
}

// dropBefore forgets times ≤ cutoff.
func (r *timeRing) dropBefore(cutoff int64) {
	for r.count > 0 && r.buf[r.head] <= cutoff {
		r.head = (r.head + 1) % len(r.buf)
		r.count--
	}
}

// Default thresholds.
const (
	DefaultFloodMax        = 10
	DefaultFloodWindow     = time.Minute
	DefaultDuplicateCount  = 3
	DefaultDuplicateWindow = 10 * time.Minute
	DefaultDuplicateMinLen = 4
	DefaultPromoPerDay     = 1
)

// NewFlood returns a flood window; max ≤ 0 or window ≤ 0 take the defaults
// (10 messages in 60 s).
func NewFlood(max int, window time.Duration) *Flood {
	if max <= 0 {
		max = DefaultFloodMax
	}
	if window <= 0 {
		window = DefaultFloodWindow
	}
	return &Flood{max: max, window: window, rings: make(map[memberKey]*timeRing)}
}

// Observe records one message and reports a flood result if it is more than
// max within the window (t-window, t]: the (max+1)-th message fires, and so
// does every later one while the member stays over the limit.
func (f *Flood) Observe(group, member string, t time.Time) (Result, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := t.UnixNano()
	k := memberKey{group, member}
	r := f.rings[k]
	if r == nil {
		if f.sweep.due(len(f.rings)) {
			cutoff := now - int64(f.window)
			for key, ring := range f.rings {
				if ring.count == 0 || ring.newest() <= cutoff {
					delete(f.rings, key)
				}
			}
			f.sweep.done(len(f.rings))
		}
		r = &timeRing{buf: make([]int64, f.max)}
		f.rings[k] = r
	}
	if r.count > 0 {
		now = max(now, r.newest())
	}
	r.dropBefore(now - int64(f.window))
	fire := r.count >= f.max
	r.push(now)
	if !fire {
		return Result{}, false
	}
	return Result{
		Check:    CheckFlood,
		Rule:     fmt.Sprintf("flood %d/%s", f.max, f.window),
		Category: "flood",
		Action:   ActionStrike,
		Strikes:  1,
		Reason:   fmt.Sprintf("%s内发送超过 %d 条消息，刷屏", DurationZH(f.window), f.max),
	}, true
}

// Len is the number of (group, member) keys held, for tests and metrics.
func (f *Flood) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rings)
}

// Duplicates watches for the same text (compared in normalised form) sent again and
// again in one group within Window. Chinese groups repeat each other all the time —
// 复读, birthday blessings, 接龙, "+1", 收到 — and that is group life, not spam. So a text
// repeated by several members is a *wave* only when it looks like spam (see Observe); one
// member repeating their own line is counted on its own. Texts shorter than MinRunes
// normalised characters ("好的", "收到", "+1") never count.
//
// Memory: texts are kept as 64-bit hashes (seeded per instance, so nobody can craft
// collisions offline); each holds at most 32 recent copies (a copy count beyond 33 is
// reported as 33); at most MaxTexts texts are kept, the least recently seen dropped
// first. Bound: MaxTexts × 32 copies.
//
// Time: O(1) per message. Texts sit on a list in the order they were last seen, so the
// ones that left the window (or must make room) are always at its front; no sweep ever
// walks the whole map. Under a flood of distinct texts a periodic sweep and sort had
// cost ~2 µs a message.
type Duplicates struct {
	opts DuplicateOptions

	mu    sync.Mutex
	seed  maphash.Seed
	texts map[dupKey]*dupEntry
	lru   dupEntry // sentinel: lru.next is the least recently seen text
}

type dupKey struct {
	group string
	hash  uint64
}

type dupSend struct {
	at     int64
	member string
}

type dupEntry struct {
	key        dupKey
	sends      []dupSend // oldest first
	prev, next *dupEntry
}

func (e *dupEntry) unlink() {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// pushBack makes e the most recently seen.
func (d *Duplicates) pushBack(e *dupEntry) {
	last := d.lru.prev
	e.prev, e.next = last, &d.lru
	last.next, d.lru.prev = e, e
}

const (
	maxDupSenders      = 32
	DefaultMaxDupTexts = 20_000
	// DefaultWaveLongRunes: a wave's text must be at least this long (in characters) for a
	// link, contact or lexicon hit in it to make the wave spam. A short shared link ("会议
	// 链接 https://…") is how groups pass things round; ad copy is long.
	DefaultWaveLongRunes = 15
	// DefaultWaveNewSenders: this many distinct senders new to the group, all sending the
	// same text, make a wave spam whatever it says: a raid of fresh accounts. Three
	// newcomers who greet alike ("大家好，请多关照") are ordinary.
	DefaultWaveNewSenders = 5
)

// DuplicateOptions configures Duplicates; zero fields take the defaults (3 copies in 10
// minutes, texts of at least 4 characters, 20,000 texts, waves of 15 characters or 5 new
// senders).
type DuplicateOptions struct {
	Count      int
	Window     time.Duration
	MinRunes   int
	MaxTexts   int
	LongRunes  int // see DefaultWaveLongRunes
	NewSenders int // see DefaultWaveNewSenders
}

// NewDuplicates returns a duplicate window.
func NewDuplicates(opts DuplicateOptions) *Duplicates {
	if opts.Count <= 0 {
		opts.Count = DefaultDuplicateCount
	}
	if opts.Window <= 0 {
		opts.Window = DefaultDuplicateWindow
	}
	if opts.MinRunes <= 0 {
		opts.MinRunes = DefaultDuplicateMinLen
	}
	if opts.MaxTexts <= 0 {
		opts.MaxTexts = DefaultMaxDupTexts
	}
	if opts.LongRunes <= 0 {
		opts.LongRunes = DefaultWaveLongRunes
	}
	if opts.NewSenders <= 0 {
		opts.NewSenders = DefaultWaveNewSenders
	}
	d := &Duplicates{opts: opts, seed: maphash.MakeSeed(), texts: make(map[dupKey]*dupEntry)}
	d.lru.prev, d.lru.next = &d.lru, &d.lru
	return d
}

// WaveSignals is what the caller knows about a text and its senders that the window
// cannot: asked only when a text has reached Count copies, so they may cost a lookup.
type WaveSignals struct {
	// Flagged reports whether the text carries a link, a contact (phone, QQ, WeChat id) or
	// a lexicon hit. Nil: it does not.
	Flagged func() bool
	// NewSender reports whether a sender is new to the group (joined recently). Nil:
	// nobody is.
	NewSender func(member string) bool
}

// Observe records one message and reports a duplicate result when it is either
//
//   - the member's own Count-th copy (or later) of the same text within the window — one
//     person repeating themselves; or
//   - a copy of a cross-member wave — Count or more members sent it within the window —
//     that looks like spam: a long text (LongRunes) that is Flagged, or a wave with
//     NewSenders or more senders new to the group.
//
// Any other repetition (复读, blessings, 接龙, +1) is left alone. The result names no
// one: a member is never shown who else sent a text (Related keeps the other senders'
// ids for the audit log only).
func (d *Duplicates) Observe(group, member, text string, t time.Time, sig WaveSignals) (Result, bool) {
	norm := NormalizeString(text)
	runes := utf8.RuneCountInString(norm) - strings.Count(norm, string(BreakRune))
	if runes < d.opts.MinRunes {
		return Result{}, false
	}
	k := dupKey{group, maphash.String(d.seed, norm)}
	d.mu.Lock()
	now := t.UnixNano()
	cutoff := now - int64(d.opts.Window)
	e := d.texts[k]
	if e == nil {
		d.prune(cutoff)
		e = &dupEntry{key: k}
		d.texts[k] = e
	} else {
		e.unlink()
	}
	d.pushBack(e)
	i := 0
	for i < len(e.sends) && e.sends[i].at <= cutoff {
		i++
	}
	e.sends = e.sends[i:]
	if len(e.sends) > 0 {
		now = max(now, e.sends[len(e.sends)-1].at)
	}
	// Counted without allocating: this runs for every message long enough to count.
	own, senders := 1, 1
	for j, s := range e.sends {
		if s.member == member {
			own++
		} else if !sentBefore(e.sends[:j], s.member) {
			senders++
		}
	}
	var others []string
	if own < d.opts.Count && senders >= d.opts.Count {
		for j, s := range e.sends {
			if s.member != member && !sentBefore(e.sends[:j], s.member) {
				others = append(others, s.member)
			}
		}
	}
	if len(e.sends) == maxDupSenders {
		e.sends = slices.Delete(e.sends, 0, 1)
	}
	e.sends = append(e.sends, dupSend{now, member})
	d.mu.Unlock()

	window := DurationZH(d.opts.Window)
	if own >= d.opts.Count {
		return Result{
			Check:    CheckDuplicate,
			Rule:     fmt.Sprintf("duplicate own %d/%s", d.opts.Count, d.opts.Window),
			Category: "spam",
			Action:   ActionStrike,
			Strikes:  1,
			Reason:   fmt.Sprintf("%s内第 %d 次发送同样的内容", window, own),
			Span:     Span{0, len(text)},
			Evidence: text,
		}, true
	}
	if senders < d.opts.Count {
		return Result{}, false
	}
	// The signals are asked outside the lock: they may read the database.
	spam := false
	if copyRunes(text) >= d.opts.LongRunes && sig.Flagged != nil && sig.Flagged() {
		spam = true
	} else if sig.NewSender != nil && senders >= d.opts.NewSenders {
		fresh := 0
		for _, m := range append(others, member) {
			if sig.NewSender(m) {
				fresh++
			}
		}
		spam = fresh >= d.opts.NewSenders
	}
	if !spam {
		return Result{}, false
	}
	return Result{
		Check:    CheckDuplicate,
		Rule:     fmt.Sprintf("duplicate wave %d/%s", d.opts.Count, d.opts.Window),
		Category: "spam",
		Action:   ActionStrike,
		Strikes:  1,
		Reason:   fmt.Sprintf("%s内已有 %d 人发送同样的内容，像是刷广告", window, senders),
		Span:     Span{0, len(text)},
		Evidence: text,
		Related:  others,
	}, true
}

// copyRunes is how long a text is as copy: its letters, digits and Han characters, not
// counting web addresses (a bare link is short however long its address).
func copyRunes(text string) int {
	n := 0
	for _, f := range strings.Fields(text) {
		if strings.Contains(f, "://") || strings.HasPrefix(strings.ToLower(f), "www.") {
			continue
		}
		for _, r := range f {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				n++
			}
		}
	}
	return n
}

func sentBefore(sends []dupSend, member string) bool {
	for _, s := range sends {
		if s.member == member {
			return true
		}
	}
	return false
}

// prune makes room for one new text: it drops, from the least recently seen
// end, texts whose last copy left the window, then texts beyond MaxTexts-1.
func (d *Duplicates) prune(cutoff int64) {
	for e := d.lru.next; e != &d.lru; e = d.lru.next {
		expired := len(e.sends) == 0 || e.sends[len(e.sends)-1].at <= cutoff
		if !expired && len(d.texts) < d.opts.MaxTexts {
			return
		}
		e.unlink()
		delete(d.texts, e.key)
	}
}

// Len is the number of texts held, for tests and metrics.
func (d *Duplicates) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.texts)
}

// PromoQuota counts promotions of members who are allowed to advertise:
// at most perDay per (group, member) per local day. The caller decides what
// counts as a promotion and passes the day key ("2026-11-21" in the group's
// timezone), which keeps this free of clocks and timezones.
//
// Memory: counts for the two most recent day keys only (two, so a message
// from just before midnight that arrives just after does not wipe today's
// counts): O(members who promoted today).
type PromoQuota struct {
	perDay int

	mu   sync.Mutex
	days []string // most recent last, at most 2
	used map[promoKey]int
}

type promoKey struct{ day, group, member string }

// NewPromoQuota returns a quota; perDay ≤ 0 takes the default (1 a day,
// the usual group rule 广告≤1条/日).
func NewPromoQuota(perDay int) *PromoQuota {
	if perDay <= 0 {
		perDay = DefaultPromoPerDay
	}
	return &PromoQuota{perDay: perDay, used: make(map[promoKey]int)}
}

// Use records one promotion and reports a result if it is over the quota.
func (p *PromoQuota) Use(group, member, day string) (Result, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rollDay(day)
	k := promoKey{day, group, member}
	p.used[k]++
	n := p.used[k]
	if n <= p.perDay {
		return Result{}, false
	}
	return Result{
		Check:    CheckPromoQuota,
		Rule:     fmt.Sprintf("promo_quota %d/day", p.perDay),
		Category: "ad",
		Action:   ActionStrike,
		Strikes:  1,
		Reason:   fmt.Sprintf("今天已发 %d 条推广，超过每天 %d 条的限额", n, p.perDay),
	}, true
}

// Remaining is how many promotions the member has left on day.
func (p *PromoQuota) Remaining(group, member, day string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(0, p.perDay-p.used[promoKey{day, group, member}])
}

func (p *PromoQuota) rollDay(day string) {
	if slices.Contains(p.days, day) {
		return
	}
	p.days = append(p.days, day)
	if len(p.days) <= 2 {
		return
	}
	old := p.days[0]
	p.days = p.days[1:]
	for k := range p.used {
		if k.day == old {
			delete(p.used, k)
		}
	}
}

// Len is the number of counters held, for tests and metrics.
func (p *PromoQuota) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.used)
}

// DurationZH renders a duration the way a Chinese notice would: "1分钟",
// "10分钟", "1小时", "1小时30分钟", "30天", "45秒".
func DurationZH(d time.Duration) string {
	if d <= 0 {
		return "0秒"
	}
	var sb strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&sb, "%d天", days)
		d -= days * 24 * time.Hour
	}
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&sb, "%d小时", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&sb, "%d分钟", m)
		d -= m * time.Minute
	}
	if s := d / time.Second; s > 0 {
		fmt.Fprintf(&sb, "%d秒", s)
	}
	if sb.Len() == 0 {
		return "不到1秒"
	}
	return sb.String()
}
