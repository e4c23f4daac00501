package rules

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

type wantMatch struct {
	keyword, evidence string
}

func matchesOf(text string, ms []Match) []wantMatch {
	out := make([]wantMatch, 0, len(ms))
	for _, m := range ms {
		out = append(out, wantMatch{m.Keyword, text[m.Start:m.End]})
	}
	return out
}

func TestMatcherFindAll(t *testing.T) {
	entries := []Entry{
		{Text: "加我微信", Category: "ad", Source: "t:1"},
		{Text: "刷单", Category: "ad", Source: "t:2"},
		{Text: "兼职刷单", Category: "ad", Source: "t:3"},
		{Text: "vx", Category: "ad", Source: "t:4", Exact: true},
		{Text: "qq", Category: "ad", Source: "t:5", Exact: true},
		{Text: "微信", Category: "contact", Source: "t:6", Exact: true},
		{Text: "微信支付", Allow: true, Source: "t:7"},
		{Text: "588", Category: "ad", Source: "t:8"},
		{Text: "he", Category: "x", Source: "t:9", Exact: true},
		{Text: "she", Category: "x", Source: "t:10", Exact: true},
		{Text: "hers", Category: "x", Source: "t:11", Exact: true},
	}
	m, err := NewMatcher(entries)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		want       []wantMatch
	}{
		{"plain", "加我微信", []wantMatch{{"加我微信", "加我微信"}, {"微信", "微信"}}},
		{"noise inside", "加 我-微.信", []wantMatch{{"加我微信", "加 我-微.信"}, {"微信", "微.信"}}},
		{"variant homophone", "加我威信吧", []wantMatch{{"加我微信", "加我威信"}}},
		{"variant letters", "加我ＶＸ", []wantMatch{{"加我微信", "加我ＶＸ"}, {"vx", "ＶＸ"}}},
		{"traditional", "兼職刷單", []wantMatch{{"兼职刷单", "兼職刷單"}, {"刷单", "刷單"}}},
		{"nested both reported", "兼职刷单", []wantMatch{{"兼职刷单", "兼职刷单"}, {"刷单", "刷单"}}},
		{"break stops match", "加我....微信", []wantMatch{{"微信", "微信"}}},
		{"allow cancels covered", "大家用微信支付吧", nil},
		{"allow does not cancel outside", "加我微信支付", []wantMatch{{"加我微信", "加我微信"}}},
		{"ascii boundary inside word", "vxlan", nil},
		{"ascii boundary full-width word", "ｖｘｌａｎ", nil},
		{"ascii boundary punctuation", "vx:abc", []wantMatch{{"vx", "vx"}}},
		{"ascii boundary digits follow", "vx123", nil},
		{"ascii boundary chinese around", "加vx好友", []wantMatch{{"vx", "vx"}}},
		{"qq not in qqq", "qqq123", nil},
		{"qq alone", "我的qq", []wantMatch{{"qq", "qq"}}},
		{"digits boundary", "15880", nil},
		{"digits alone", "只要588元", []wantMatch{{"588", "588"}}},
		{"overlapping ascii words", "ushers", nil},
		{"overlapping spaced", "u she rs", []wantMatch{{"she", "she"}}},
		{"nothing", "今天天气不错", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := matchesOf(tt.text, m.FindAll(tt.text))
			if !slices.Equal(got, tt.want) {
				t.Errorf("FindAll(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestMatcherOverlapsAndSuffixes(t *testing.T) {
	// The classic Aho–Corasick case: outputs reached through failure links.
	m, err := NewMatcher([]Entry{
		{Text: "他妈的", Category: "abuse", Exact: true},
		{Text: "妈的", Category: "abuse", Exact: true},
		{Text: "的", Category: "x", Exact: true},
		{Text: "我他妈", Category: "abuse", Exact: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := matchesOf("我他妈的", m.FindAll("我他妈的"))
	want := []wantMatch{{"我他妈", "我他妈"}, {"他妈的", "他妈的"}, {"妈的", "妈的"}, {"的", "的"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestMatcherEntryFields(t *testing.T) {
	m, err := NewMatcher([]Entry{{Text: "加我微信", Category: "ad", Action: ActionRemove, Source: "cfg:3", Severity: 2}})
	if err != nil {
		t.Fatal(err)
	}
	ms := m.FindAll("请加我薇信")
	if len(ms) != 1 {
		t.Fatalf("got %d matches", len(ms))
	}
	got := ms[0]
	if got.Entry.Source != "cfg:3" || got.Entry.Action != ActionRemove || got.Entry.Severity != 2 ||
		got.Category != "ad" || got.Keyword != "加我微信" || got.Variant != "加我薇信" {
		t.Errorf("match = %+v", got)
	}
	if m.Len() != 1 || m.Patterns() < 10 {
		t.Errorf("Len %d Patterns %d", m.Len(), m.Patterns())
	}
}

func TestNewMatcherErrors(t *testing.T) {
	tests := []struct {
		entry Entry
		want  []string
	}{
		{Entry{Text: "  ，。!!", Source: "ads.txt:7"}, []string{"ads.txt:7", "为空", "empty"}},
		{Entry{Text: "加....微信", Source: "cfg.yaml:12"}, []string{"cfg.yaml:12", "断句", "break"}},
		{Entry{Text: strings.Repeat("长", 101), Source: "x:1"}, []string{"x:1", "过长"}},
		{Entry{Text: ""}, []string{"第 2 条"}},
	}
	for _, tt := range tests {
		_, err := NewMatcher([]Entry{{Text: "好词"}, tt.entry})
		if err == nil {
			t.Errorf("NewMatcher(%q) succeeded", tt.entry.Text)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
	}
}

func TestVariants(t *testing.T) {
	forms := expandVariants("加我微信", maxVariants)
	if forms[0] != "加我微信" {
		t.Errorf("first form %q, want the keyword itself", forms[0])
	}
	for _, want := range []string{"加我威信", "加我vx", "嘉我微信", "加我wx", "加我v信", "嘉我薇信"} {
		if !slices.Contains(forms, want) {
			t.Errorf("variants of 加我微信 lack %q", want)
		}
	}
	seen := map[string]bool{}
	for _, f := range forms {
		if seen[f] {
			t.Errorf("duplicate form %q", f)
		}
		seen[f] = true
	}

	// The cap keeps every single substitution before any double one.
	many := expandVariants("加微信加qq私聊兼职", maxVariants)
	if len(many) != maxVariants {
		t.Errorf("got %d forms, want the cap %d", len(many), maxVariants)
	}
	if !slices.Contains(many, "加微信加qq私聊兼值") {
		t.Error("a single substitution of the last word was cut by the cap")
	}

	if got := expandVariants("今天天气", maxVariants); !slices.Equal(got, []string{"今天天气"}) {
		t.Errorf("plain keyword expanded to %v", got)
	}

	// Exact opts out.
	m, err := NewMatcher([]Entry{{Text: "加我微信", Exact: true}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Patterns() != 1 || len(m.FindAll("加我威信")) != 0 {
		t.Errorf("Exact entry expanded: %d patterns", m.Patterns())
	}
}

func TestMatcherConcurrent(t *testing.T) {
	m, err := NewMatcher([]Entry{{Text: "加我微信"}, {Text: "刷单"}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				text := fmt.Sprintf("%d 加我微信 %d 刷单", g, i)
				if got := len(m.FindAll(text)); got != 2 {
					t.Errorf("goroutine %d: %d matches", g, got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestMatcherDoesNotAllocateOnMiss(t *testing.T) {
	m, err := NewMatcher(benchKeywords(1000))
	if err != nil {
		t.Fatal(err)
	}
	text := "今天天气不错，我们下午去公园散步吧，顺便买点水果回来。"
	if got := m.FindAll(text); len(got) != 0 {
		// benchKeywords is seeded, so this is a property of the test, not of chance.
		t.Fatalf("the sample must be a miss for the seeded keywords, but matches %v: pick another sample", got)
	}
	if a := testing.AllocsPerRun(100, func() { m.FindAll(text) }); a != 0 {
		t.Errorf("FindAll allocates %v times on a miss", a)
	}
}

// The first pass must feed the automaton exactly what the full pass sees.
func TestMayMatchAgrees(t *testing.T) {
	entries := benchKeywords(2000)
	entries = append(entries, Entry{Text: "138"}, Entry{Text: "加微信"}, Entry{Text: "一起"}, Entry{Text: "v信"})
	m, err := NewMatcher(entries)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("加微信一三八零〇壹138abcVX ，。！!...\u200b😀①⑩Ｖ天氣气")
	for _, e := range entries[:200] {
		alphabet = append(alphabet, []rune(e.Text)...)
	}
	for range 20_000 {
		var sb strings.Builder
		for range rng.IntN(30) {
			sb.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		s := sb.String()
		sc := &scanScratch{}
		NormalizeInto(&sc.n, s)
		full := m.findIn(sc, nil)
		if len(full) > 0 && !m.mayMatch(s) {
			t.Fatalf("first pass rejects %q which matches %v", s, matchesOf(s, full))
		}
	}
}

// naiveFind is the reference the automaton is proved against: every
// pattern tried at every position of the normalised text, with the same
// boundary and allow-list rules written out plainly.
func naiveFind(entries []Entry, text string) []Match {
	n := Normalize(text)
	type hit struct{ entry, start, end int } // end exclusive, rune indices
	var hits []hit
	for ei, e := range entries {
		forms := []string{NormalizeString(e.Text)}
		if !e.Exact {
			forms = expandVariants(forms[0], maxVariants)
		}
		for _, f := range forms {
			p := []rune(f)
			for i := 0; i+len(p) <= len(n.Runes); i++ {
				if !slices.Equal(n.Runes[i:i+len(p)], p) {
					continue
				}
				if isWordRune(p[0]) && i > 0 && n.Joined(i) && isWordRune(n.Runes[i-1]) {
					continue
				}
				j := i + len(p)
				if isWordRune(p[len(p)-1]) && j < len(n.Runes) && n.Joined(j) && isWordRune(n.Runes[j]) {
					continue
				}
				hits = append(hits, hit{ei, i, j})
			}
		}
	}
	var out []Match
	for _, h := range hits {
		if entries[h.entry].Allow {
			continue
		}
		covered := false
		for _, a := range hits {
			if entries[a.entry].Allow && a.start <= h.start && h.end <= a.end {
				covered = true
			}
		}
		if !covered {
			out = append(out, Match{Entry: &entries[h.entry], Start: n.Start[h.start], End: n.End[h.end-1]})
		}
	}
	return out
}

type spanKey struct {
	entry      string
	start, end int
}

func spanKeys(ms []Match) []spanKey {
	out := make([]spanKey, 0, len(ms))
	for _, m := range ms {
		out = append(out, spanKey{m.Entry.Source, m.Start, m.End})
	}
	slices.SortFunc(out, func(a, b spanKey) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end), strings.Compare(a.entry, b.entry))
	})
	return out
}

// fuzzEntries turns fuzz input into entries: one per line, "!" allow,
// "=" exact; lines the matcher would reject are skipped.
func fuzzEntries(keywords string) []Entry {
	var entries []Entry
	for i, line := range strings.Split(keywords, "\n") {
		if len(entries) == 24 {
			break
		}
		e := Entry{Source: fmt.Sprintf("fuzz:%d", i)}
		for strings.HasPrefix(line, "!") || strings.HasPrefix(line, "=") {
			if line[0] == '!' {
				e.Allow = true
			} else {
				e.Exact = true
			}
			line = line[1:]
		}
		k := NormalizeString(line)
		if k == "" || strings.ContainsRune(k, BreakRune) || len([]rune(k)) > maxKeywordRunes {
			continue
		}
		e.Text = line
		entries = append(entries, e)
	}
	return entries
}

func FuzzMatcher(f *testing.F) {
	seeds := [][2]string{
		{"加我微信\n刷单\n!微信支付\n=vx", "加我威信 刷單 微信支付 vxlan vx"},
		{"he\nshe\nhis\nhers", "ushers she he his"},
		{"aa\naaa\n=a", "aaaa a aa"},
		{"138\n一起", "一三八 138 1380 一起去 一二一起"},
		{"微信\n!微信支付\n!信支", "微信支付微信信支"},
		{"qq\n加", "+qq qqq 加q q"},
		{"傻逼\n=sb", "傻 b SB usb s b"},
		{"=ab\n=b", "a\u200bb ab! ab....b"},
		{"⑩\n10", "⑩ 10 110"},
		{"!加我\n加我微信", "加我微信"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, keywords, text string) {
		entries := fuzzEntries(keywords)
		m, err := NewMatcher(entries)
		if err != nil {
			t.Fatalf("NewMatcher rejected pre-validated entries: %v", err)
		}
		got := m.FindAll(text)
		for _, g := range got {
			if g.Start < 0 || g.End > len(text) || g.Start >= g.End {
				t.Fatalf("match span [%d,%d) outside text of %d bytes", g.Start, g.End, len(text))
			}
			if g.Entry.Allow {
				t.Fatalf("allow entry reported as a match: %+v", g)
			}
		}
		want := naiveFind(m.Entries(), text)
		if gk, wk := spanKeys(got), spanKeys(want); !slices.Equal(gk, wk) {
			t.Fatalf("automaton and reference disagree on %q with %q:\n got  %v\n want %v", text, keywords, gk, wk)
		}
	})
}
