package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"
)

// Entry is one keyword as configured. Action and Source are opaque to the
// matcher; they travel with every match so the verdict can say who added the
// word ("builtin:ads:12", "config.yaml:34") and what to do about it.
//
// Field order keeps the struct at 80 bytes: a 50,000-word matcher holds a
// copy of every entry.
type Entry struct {
	Text     string // the keyword as written; matched in normalised form
	Category string // "ad", "scam", "abuse", …
	Action   string // "" or "strike" (ladder), "warn", "mute", "remove"
	Source   string // where the entry came from, for errors and audit
	Severity int    // strikes a match adds; 0 = the check's default
	Allow    bool   // allow-list entry: cancels block matches it covers
	Exact    bool   // opt out of variant expansion (see variants.go)
}

// Match is one block-list hit, with the allow-list already applied.
type Match struct {
	Entry    *Entry // points into the Matcher; read-only
	Keyword  string // Entry.Text: the keyword as configured, for the reason text
	Variant  string // the normalised text that matched (a variant differs from the keyword)
	Category string
	Start    int // original byte span of the evidence
	End      int
}

// Keyword-level limits. The rune limit keeps pattern lengths in a uint16 and
// rejects pasted paragraphs that were meant to be several lines.
const (
	maxKeywordRunes = 100
	maxVariants     = 64
)

var (
	errEmptyKeyword  = errors.New("关键词为空：去掉空格、标点、表情后什么也不剩 (keyword is empty after normalisation)")
	errBrokenKeyword = errors.New("关键词中间有 4 个以上连续的空格或符号，会被当作断句，请拆成两个词 (keyword contains a hard break; split it)")
	errLongKeyword   = fmt.Errorf("关键词过长，最多 %d 个字 (keyword longer than %d characters)", maxKeywordRunes, maxKeywordRunes)
)

// Matcher is a rune-level Aho–Corasick automaton over normalised text.
//
// Memory layout, chosen so 50,000 keywords fit in a few megabytes:
//   - runes that occur in keywords get dense symbol ids (1…); every other
//     rune, and BreakRune, is symbol 0 and resets the automaton to the root;
//     the rune → symbol map is a two-level page table (256 runes a page);
//   - trie nodes are numbered in breadth-first order with siblings sorted by
//     symbol, so the children of node v are exactly the nodes from v's first
//     child up to node v+1's first child, and no edge array is needed;
//     a node keeps a 32-bit signature of its children's symbols (a Bloom
//     filter with two bits per symbol, see symSig), which settles most
//     failed transitions without touching other memory;
//     otherwise the children's symbols are searched in sym;
//   - the root's transitions are a dense array indexed by symbol holding a
//     copy of each child node, because almost every step of a scan on
//     ordinary text starts at the root or one step below it: the scan then
//     keeps the current node in registers and reads the node array only
//     while the text really follows a keyword;
//   - each node's outputs are a linked list through the patterns that shares
//     its tail with the node's failure target, so no node needs a dictionary
//     link of its own.
//
// A Matcher is immutable after NewMatcher and safe for concurrent use.
type Matcher struct {
	entries []Entry

	pageIdx []uint16 // rune>>8 → page; page 0 is all zeros
	pages   []uint32 // page<<8 | rune&0xff → symbol

	nodes []node   // len = number of nodes + 1 (a sentinel closes the last child block)
	sym   []uint32 // symbol on the edge into each node
	root  []node   // symbol → copy of the root's child, its id in the fail slot (0 = none)

	pats     []pattern
	hasAllow bool

	// cjkSym is the normaliser and the symbol table fused for U+3400–U+9FFF,
	// used by the first pass (mayMatch): the symbol of each character's
	// normalised form (traditional characters already simplified), with
	// cjkNumeralFlag set for Chinese numerals. 108 KB, one load per
	// character instead of three.
	cjkSym   []uint32
	asciiSym [128]uint32 // the same for ASCII: symbol of asciiMap[c]

	scratch sync.Pool // *scanScratch
}

// node is one automaton state, 16 bytes so four share a cache line. A scan
// step on ordinary text that leaves the node reads nothing but the node
// itself in most cases: sig rules the symbol out.
type node struct {
	first uint32 // first child (firstMask) | multiChild; children run to the next node's first child
	fail  uint32
	out   uint32 // 1+index into pats of the first output, 0 = none
	sig   uint32 // symSig of every child symbol, or-ed
}

// symSig is a symbol's two bits in a node signature. Two bits instead of
// one cut the false positives for the typical two or three children of a
// node near the root from about 8% to about 2.5%, and each false positive
// costs a cache miss.
func symSig(s uint32) uint32 {
	return 1<<(s&31) | 1<<((s*0x9E3779B1)>>27)
}

const (
	firstMask  = 1<<31 - 1
	multiChild = 1 << 31
)

// pattern is one normalised form of one entry (the keyword or a variant).
type pattern struct {
	entry  uint32
	next   uint32 // output chain: 1+index of the next pattern, 0 = end
	n      uint16 // length in runes
	lclass uint8  // runeClass of the first rune: needs a left boundary if non-zero
	rclass uint8  // runeClass of the last rune
}

type hit struct {
	pat        uint32
	start, end int // normalised rune indices, end inclusive
}

type scanScratch struct {
	n     Normalized
	hits  []hit
	allow []hit // allow-list hits, see collectAllows
}

// maxPooledRunes bounds the buffers kept for reuse, so one 100k-character
// message does not pin megabytes in the pool.
const maxPooledRunes = 1 << 14

// NewMatcher builds the automaton. Every entry's text is normalised and, unless
// Exact is set, expanded to the variants of the high-risk words it contains.
// An entry that normalises to nothing or is otherwise unusable is an error
// naming its Source.
func NewMatcher(entries []Entry) (*Matcher, error) {
	m := &Matcher{entries: slices.Clone(entries)}
	b := builder{m: m, pageIdx: make([]uint16, (utf8.MaxRune+1)>>8), pages: make([]uint32, 256)}
	for i := range m.entries {
		e := &m.entries[i]
		if err := b.addEntry(uint32(i), e); err != nil {
			where := e.Source
			if where == "" {
				where = fmt.Sprintf("第 %d 条 (entry %d)", i+1, i+1)
			}
			return nil, fmt.Errorf("%s: 关键词「%s」: %w", where, e.Text, err)
		}
		m.hasAllow = m.hasAllow || e.Allow
	}
	b.build()
	return m, nil
}

// Len is the number of entries (not counting variants).
func (m *Matcher) Len() int { return len(m.entries) }

// Patterns is the number of normalised forms in the automaton, variants
// included.
func (m *Matcher) Patterns() int { return len(m.pats) }

// Nodes is the number of automaton states (for capacity planning and tests).
func (m *Matcher) Nodes() int { return len(m.sym) }

// HeapBytes estimates the memory the automaton holds (entries excluded).
func (m *Matcher) HeapBytes() int {
	return len(m.nodes)*16 + len(m.sym)*4 + len(m.root)*16 + len(m.pats)*12 + len(m.cjkSym)*4 +
		len(m.pageIdx)*2 + len(m.pages)*4
}

// Entries returns the matcher's entries; the slice must not be modified.
func (m *Matcher) Entries() []Entry { return m.entries }

// FindAll reports every block-list match in text, allow-list applied, in
// order of position. It does not allocate when nothing matches.
func (m *Matcher) FindAll(text string) []Match {
	if !m.mayMatch(text) {
		return nil
	}
	sc := m.getScratch()
	NormalizeInto(&sc.n, text)
	out := m.findIn(sc, nil)
	m.putScratch(sc)
	return out
}

// FindNormalized is FindAll on text the caller has already normalised (the
// ruleset normalises once for all of its checks). Matches are appended to dst.
func (m *Matcher) FindNormalized(n *Normalized, dst []Match) []Match {
	sc := m.getScratch()
	out := m.scanInto(sc, n, dst)
	m.putScratch(sc)
	return out
}

func (m *Matcher) findIn(sc *scanScratch, dst []Match) []Match {
	return m.scanInto(sc, &sc.n, dst)
}

func (m *Matcher) getScratch() *scanScratch {
	if sc, ok := m.scratch.Get().(*scanScratch); ok {
		return sc
	}
	return &scanScratch{}
}

func (m *Matcher) putScratch(sc *scanScratch) {
	if cap(sc.n.Runes) > maxPooledRunes || cap(sc.hits) > maxPooledRunes || cap(sc.allow) > maxPooledRunes {
		return
	}
	sc.hits, sc.allow = sc.hits[:0], sc.allow[:0]
	m.scratch.Put(sc)
}

// symbol maps a normalised rune to its symbol id, 0 if no keyword uses it.
func (m *Matcher) symbol(r rune) uint32 {
	if uint32(r) > utf8.MaxRune {
		return 0
	}
	return m.pages[int(m.pageIdx[r>>8])<<8|int(r&0xff)]
}

// childMulti finds the child of node v along symbol s among the children
// from first on; v has several children and the first did not match.
func (m *Matcher) childMulti(v, first, s uint32) uint32 {
	lo, hi := first+1, m.nodes[v+1].first&firstMask
	if hi-lo <= 8 {
		for c := lo; c < hi; c++ {
			if m.sym[c] == s {
				return c
			}
		}
		return 0
	}
	end := hi
	for lo < hi {
		mid := (lo + hi) >> 1
		if m.sym[mid] < s {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < end && m.sym[lo] == s {
		return lo
	}
	return 0
}

// step is the Aho–Corasick transition with failure links: from node v
// (whose copy is cur) along symbol s. It returns the new node and its copy.
// For the root's children the copy comes from m.root, so following the text
// at depth one never touches m.nodes.
func (m *Matcher) step(v uint32, cur node, s uint32) (uint32, node) {
	for v != 0 {
		if sg := symSig(s); cur.sig&sg == sg {
			c := cur.first & firstMask
			if m.sym[c] == s {
				return c, m.nodes[c]
			}
			if cur.first&multiChild != 0 {
				if c = m.childMulti(v, c, s); c != 0 {
					return c, m.nodes[c]
				}
			}
		}
		v = cur.fail
		if v != 0 {
			cur = m.nodes[v]
		}
	}
	cur = m.root[s]
	v, cur.fail = cur.fail, 0
	return v, cur
}

// scan collects raw hits (block and allow) over normalised runes.
func (m *Matcher) scan(n *Normalized, hits []hit) []hit {
	var v uint32
	var cur node
	runes := n.Runes
	for i, r := range runes {
		s := m.symbol(r)
		if s == 0 {
			v = 0
			continue
		}
		v, cur = m.step(v, cur, s)
		for o := cur.out; o != 0; {
			pi := o - 1
			p := &m.pats[pi]
			o = p.next
			start := i - int(p.n) + 1
			// ASCII keywords stand on word boundaries: an edge that is an
			// ASCII letter or digit must not touch another one, where
			// "touch" means adjacent in the original with nothing between
			// (full-width and styled letters count once normalised).
			if p.lclass != 0 && n.Joined(start) && isWordRune(runes[start-1]) {
				continue
			}
			if p.rclass != 0 && n.Joined(i+1) && isWordRune(runes[i+1]) {
				continue
			}
			hits = append(hits, hit{pat: pi, start: start, end: i})
		}
	}
	return hits
}

func (m *Matcher) scanInto(sc *scanScratch, n *Normalized, dst []Match) []Match {
	sc.hits = m.scan(n, sc.hits[:0])
	if len(sc.hits) == 0 {
		return dst
	}
	if m.hasAllow {
		m.collectAllows(sc)
	}
	base := len(dst)
	for _, h := range sc.hits {
		p := &m.pats[h.pat]
		e := &m.entries[p.entry]
		if e.Allow {
			continue
		}
		if len(sc.allow) > 0 && sc.allowed(h) {
			continue
		}
		dst = append(dst, Match{
			Entry:    e,
			Keyword:  e.Text,
			Variant:  string(n.Runes[h.start : h.end+1]),
			Category: e.Category,
			Start:    n.Start[h.start],
			End:      n.End[h.end],
		})
	}
	slices.SortStableFunc(dst[base:], func(a, b Match) int {
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.End, b.End)
	})
	return dst
}

// collectAllows gathers the allow-list hits sorted by start, with end
// holding the furthest end of any allow hit starting at or before it, so
// coverage is a binary search: a message packed with allow and block words
// costs O(n log n), not O(n²).
func (m *Matcher) collectAllows(sc *scanScratch) {
	sc.allow = sc.allow[:0]
	for _, h := range sc.hits {
		if m.entries[m.pats[h.pat].entry].Allow {
			sc.allow = append(sc.allow, h)
		}
	}
	slices.SortFunc(sc.allow, func(a, b hit) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(sc.allow); i++ {
		sc.allow[i].end = max(sc.allow[i].end, sc.allow[i-1].end)
	}
}

// allowed reports whether an allow-list hit covers block hit h.
func (sc *scanScratch) allowed(h hit) bool {
	i, _ := slices.BinarySearchFunc(sc.allow, h.start+1, func(a hit, t int) int { return cmp.Compare(a.start, t) })
	return i > 0 && sc.allow[i-1].end >= h.end
}

// builder holds the temporaries of NewMatcher; they are dropped after build.
type builder struct {
	m       *Matcher
	pageIdx []uint16
	pages   []uint32
	nsym    uint32
	syms    []uint32 // all patterns' symbols, concatenated
	off     []uint32 // pattern i is syms[off[i]:off[i+1]]
	nbuf    Normalized
}

func (b *builder) addEntry(idx uint32, e *Entry) error {
	// The builder's buffer keeps normalisation allocation-free; 50,000
	// keywords would otherwise cost four allocations each.
	NormalizeInto(&b.nbuf, e.Text)
	runes := b.nbuf.Runes
	switch {
	case len(runes) == 0:
		return errEmptyKeyword
	case slices.Contains(runes, BreakRune):
		return errBrokenKeyword
	case len(runes) > maxKeywordRunes:
		return errLongKeyword
	}
	if e.Exact || !hasHighRiskWord(runes) {
		b.addPattern(idx, runes)
		return nil
	}
	// expandVariants never repeats a form, and forms differ from each other
	// as normalised strings, so each becomes its own pattern.
	for _, f := range expandVariants(string(runes), maxVariants) {
		b.addPattern(idx, []rune(f))
	}
	return nil
}

func (b *builder) addPattern(entry uint32, runes []rune) {
	if len(b.off) == 0 {
		b.off = append(b.off, 0)
	}
	for _, r := range runes {
		b.syms = append(b.syms, b.symbolFor(r))
	}
	b.off = append(b.off, uint32(len(b.syms)))
	b.m.pats = append(b.m.pats, pattern{
		entry:  entry,
		n:      uint16(len(runes)),
		lclass: uint8(runeClass(runes[0])),
		rclass: uint8(runeClass(runes[len(runes)-1])),
	})
}

// symbolFor assigns symbol ids on first sight, growing the page table.
func (b *builder) symbolFor(r rune) uint32 {
	pg := b.pageIdx[r>>8]
	if pg == 0 {
		pg = uint16(len(b.pages) >> 8)
		b.pageIdx[r>>8] = pg
		b.pages = append(b.pages, make([]uint32, 256)...)
	}
	slot := int(pg)<<8 | int(r&0xff)
	if s := b.pages[slot]; s != 0 {
		return s
	}
	b.nsym++
	b.pages[slot] = b.nsym
	return b.nsym
}

func (b *builder) pat(i uint32) []uint32 { return b.syms[b.off[i]:b.off[i+1]] }

// build lays the trie out level by level from the patterns sorted by symbol
// sequence: at depth d the distinct length-d prefixes appear in sorted order,
// which is exactly breadth-first order with sorted siblings.
func (b *builder) build() {
	m := b.m
	m.pageIdx = b.pageIdx
	m.pages = slices.Clip(b.pages)
	np := uint32(len(m.pats))
	order := make([]uint32, np)
	maxLen := 0
	for i := range order {
		order[i] = uint32(i)
		maxLen = max(maxLen, int(m.pats[i].n))
	}
	slices.SortFunc(order, func(x, y uint32) int { return slices.Compare(b.pat(x), b.pat(y)) })

	// Node 0 is the root. at[p] is pattern p's node at the current depth.
	sym := []uint32{0}
	parent := []uint32{0}
	out := []uint32{0}
	at := make([]uint32, np)
	active := order
	for d := 0; d < maxLen && len(active) > 0; d++ {
		next := active[:0] // in place: the filtered list is never longer
		prevParent, prevSym := ^uint32(0), ^uint32(0)
		cur := uint32(0)
		for _, p := range active {
			ps := b.pat(p)
			par, s := at[p], ps[d]
			if par != prevParent || s != prevSym {
				cur = uint32(len(sym))
				sym = append(sym, s)
				parent = append(parent, par)
				out = append(out, 0)
				prevParent, prevSym = par, s
			}
			at[p] = cur
			if len(ps) == d+1 {
				// Ends here: push onto the node's own output list.
				m.pats[p].next = out[cur]
				out[cur] = p + 1
			} else {
				next = append(next, p)
			}
		}
		active = next
	}
	nodes := uint32(len(sym))

	// first: children are numbered in parent order, so a prefix sum of
	// child counts gives every node's block; leaves get an empty block.
	m.nodes = make([]node, nodes+1)
	for v := uint32(1); v < nodes; v++ {
		m.nodes[parent[v]+1].first++
	}
	m.nodes[0].first = 1
	for v := uint32(1); v <= nodes; v++ {
		m.nodes[v].first += m.nodes[v-1].first
	}
	for v := uint32(0); v < nodes; v++ {
		c, next := m.nodes[v].first, m.nodes[v+1].first
		for k := c; k < next; k++ {
			m.nodes[v].sig |= symSig(sym[k])
		}
		if next-c > 1 {
			m.nodes[v].first |= multiChild
		}
	}
	m.nodes[nodes].first = nodes
	m.sym = sym
	m.root = make([]node, b.nsym+1)
	for c := uint32(1); c < m.nodes[1].first&firstMask; c++ {
		m.root[sym[c]].fail = c // the rest is copied once the node is final
	}

	// Failure links and output chains, in breadth-first order so every
	// failure target is final before it is used.
	for v := uint32(1); v < nodes; v++ {
		nd := &m.nodes[v]
		if p := parent[v]; p != 0 {
			f := m.nodes[p].fail
			nd.fail, _ = m.step(f, m.nodes[f], sym[v])
		}
		inherit := m.nodes[nd.fail].out
		nd.out = out[v]
		if nd.out == 0 {
			nd.out = inherit
			continue
		}
		tail := nd.out - 1
		for m.pats[tail].next != 0 {
			tail = m.pats[tail].next - 1
		}
		m.pats[tail].next = inherit
	}
	for s := range m.root {
		if id := m.root[s].fail; id != 0 {
			m.root[s] = m.nodes[id]
			m.root[s].fail = id
		}
	}
	m.pats = slices.Clip(m.pats)

	for c, r := range asciiMap {
		if r >= 0 {
			m.asciiSym[c] = m.symbol(r)
		}
	}
	m.cjkSym = make([]uint32, 0x9FFF-0x3400+1)
	for r := rune(0x3400); r <= 0x9FFF; r++ {
		nr, kind := r, kindText
		if o := r - 0x3400; cjkSpecial[o>>6]&(1<<(o&63)) != 0 {
			nr, kind = cjkLookup(r)
		}
		e := m.symbol(nr)
		if kind == kindNumeral {
			e |= cjkNumeralFlag
		}
		m.cjkSym[r-0x3400] = e
	}
}

// cjkNumeralFlag marks Chinese numerals in Matcher.cjkSym; symbol ids stay
// below it because there are fewer than 2^31 runes.
const cjkNumeralFlag = 1 << 31

// mayMatch is FindAll's first pass: it normalises on the fly and drives the
// automaton without recording spans, and reports whether the text needs the
// full pass. Most messages match nothing, and for them this pass is the whole
// cost; writing and re-reading three arrays per rune roughly doubled it.
//
// It must feed the automaton exactly the runes NormalizeInto would produce.
// The two differ only in Chinese numerals, which NormalizeInto may rewrite to
// digits after seeing the rest of the run; so as soon as a numeral run
// qualifies for rewriting, this pass gives up and defers to the full one.
// Reaching any output state, before boundaries and the allow-list are
// considered, also defers. FuzzMatcher checks the combination against a
// naive matcher; TestMayMatchAgrees checks this pass against NormalizeInto.
func (m *Matcher) mayMatch(s string) bool {
	var (
		v        uint32
		cur      node
		noiseRun int
		numLen   int
		numCN    int
	)
	// feed handles one kept rune, given as its symbol; it reports true when
	// the full pass is needed.
	feed := func(sym uint32, kind int) bool {
		if noiseRun > maxBridgedNoise {
			v, numLen, numCN = 0, 0, 0 // a break
		}
		noiseRun = 0
		if kind == kindText {
			numLen, numCN = 0, 0
		} else {
			numLen++
			if kind == kindNumeral {
				numCN++
			}
			if numCN > 0 && numLen >= minNumeralRun {
				return true
			}
		}
		if sym == 0 {
			v = 0
			return false
		}
		if sg := symSig(sym); cur.sig&sg != sg && cur.fail == 0 {
			// The common case, inlined: no child can match and failing
			// leads straight to the root (true at the root and one step
			// below it).
			cur = m.root[sym]
			v, cur.fail = cur.fail, 0
		} else {
			v, cur = m.step(v, cur, sym)
		}
		return cur.out != 0
	}
	for i := 0; i < len(s); {
		var (
			r    rune
			size int
		)
		c := s[i]
		if c < utf8.RuneSelf {
			switch a := asciiMap[c]; {
			case a >= 0:
				kind := kindText
				if c >= '0' && c <= '9' {
					kind = kindDigit
				}
				if feed(m.asciiSym[c], kind) {
					return true
				}
			case a == mapNoise:
				noiseRun++
			}
			i++
			continue
		}
		if c&0xF0 == 0xE0 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			r = rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
			if r >= 0x3400 && r <= 0x9FFF {
				e := m.cjkSym[r-0x3400]
				kind := kindText
				if e&cjkNumeralFlag != 0 {
					kind = kindNumeral
				}
				if feed(e&^cjkNumeralFlag, kind) {
					return true
				}
				i += 3
				continue
			}
			if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
				// Other three-byte characters (CJK punctuation, full-width
				// forms) are already decoded; skip the general decoder.
				i += 3
				goto mapped
			}
		}
		r, size = utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			noiseRun++
			continue
		}
	mapped:
		switch r1, r2, cls := mapRune(r); cls {
		case clsNoise:
			noiseRun++
		case clsInvisible:
		case clsTwo:
			if feed(m.symbol(r1), runeKind(r1)) || feed(m.symbol(r2), runeKind(r2)) {
				return true
			}
		default:
			if feed(m.symbol(r1), runeKind(r1)) {
				return true
			}
		}
	}
	return false
}
