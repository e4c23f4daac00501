package rules

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Benchmark corpora are generated deterministically from a fixed seed, and
// only when a benchmark asks for them, so plain `go test` stays fast.

// benchHan is a pool of 3,000 ideographs drawn from the CJK block. Random
// keywords and messages share it so keyword first characters really occur
// in the messages: the automaton leaves the root on most Chinese characters,
// which is the expensive case.
func benchHan(rng *rand.Rand) []rune {
	pool := make([]rune, 3000)
	for i := range pool {
		pool[i] = rune(0x4E00 + rng.IntN(0x9FA5-0x4E00))
	}
	return pool
}

const benchASCII = "abcdefghijklmnopqrstuvwxyz0123456789"

// benchKeywords returns n keywords of 2–6 characters, 80% Chinese.
func benchKeywords(n int) []Entry {
	rng := rand.New(rand.NewPCG(2026, 11))
	han := benchHan(rng)
	entries := make([]Entry, 0, n)
	var sb strings.Builder
	for len(entries) < n {
		sb.Reset()
		k := 2 + rng.IntN(5)
		chinese := rng.IntN(10) < 8
		for range k {
			if chinese {
				sb.WriteRune(han[rng.IntN(len(han))])
			} else {
				sb.WriteByte(benchASCII[rng.IntN(len(benchASCII))])
			}
		}
		entries = append(entries, Entry{Text: sb.String(), Category: "ad", Source: "bench"})
	}
	return entries
}

type benchCorpus struct {
	messages []string
	bytes    int64
}

var (
	benchChatOnce, benchUniformOnce sync.Once
	benchChat, benchUniform         benchCorpus
)

// benchMessages returns 100,000 messages of 10–80 characters: Chinese with
// punctuation and spaces (about one character in ten), and in one message of
// five an ASCII word of 3–8 letters or digits, as chat has ("ok", "app",
// "2024"); about 1% have a keyword from the 10k list inserted.
//
// The "chat" corpus draws characters the way chat uses them: simplified,
// with a Zipf-like frequency (the 500 most frequent of the 3,000 pool
// characters make about 70% of the text, as the most common Chinese
// characters do) and 2% traditional characters. The "uniform" corpus is the
// stress case: every pool character equally likely, 15% of them traditional
// (their share of the CJK block), so the cache sees the whole automaton and
// the T→S path runs constantly.
func benchMessages(uniform bool) benchCorpus {
	once, dst := &benchChatOnce, &benchChat
	if uniform {
		once, dst = &benchUniformOnce, &benchUniform
	}
	once.Do(func() { *dst = makeBenchMessages(uniform) })
	return *dst
}

func makeBenchMessages(uniform bool) benchCorpus {
	keywords := benchKeywords(10_000)
	rng := rand.New(rand.NewPCG(7, 42))
	han := benchHan(rand.New(rand.NewPCG(2026, 11)))
	var simplified, traditional []rune
	for _, r := range han {
		if toSimplified(r) == r {
			simplified = append(simplified, r)
		} else {
			traditional = append(traditional, r)
		}
	}
	zipf := rand.NewZipf(rng, 1.1, 20, uint64(len(simplified)-1))
	char := func() rune {
		if uniform {
			return han[rng.IntN(len(han))]
		}
		if rng.IntN(50) == 0 {
			return traditional[rng.IntN(len(traditional))]
		}
		return simplified[zipf.Uint64()]
	}
	punct := []rune("，。！？、 ,.!?~")
	msgs := make([]string, 100_000)
	var total int64
	var sb strings.Builder
	for i := range msgs {
		sb.Reset()
		n := 10 + rng.IntN(71)
		insertAt, asciiAt := -1, -1
		if rng.IntN(100) == 0 {
			insertAt = rng.IntN(n)
		}
		if rng.IntN(5) == 0 {
			asciiAt = rng.IntN(n)
		}
		for j := range n {
			if j == insertAt {
				sb.WriteString(keywords[rng.IntN(len(keywords))].Text)
			}
			if j == asciiAt {
				sb.WriteByte(' ')
				for range 3 + rng.IntN(6) {
					sb.WriteByte(benchASCII[rng.IntN(len(benchASCII))])
				}
				sb.WriteByte(' ')
			}
			if rng.IntN(10) == 0 {
				sb.WriteRune(punct[rng.IntN(len(punct))])
			} else {
				sb.WriteRune(char())
			}
		}
		msgs[i] = sb.String()
		total += int64(len(msgs[i]))
	}
	return benchCorpus{messages: msgs, bytes: total}
}

func benchScan(b *testing.B, uniform bool) {
	m, err := NewMatcher(benchKeywords(10_000))
	if err != nil {
		b.Fatal(err)
	}
	corpus := benchMessages(uniform)
	b.SetBytes(corpus.bytes)
	b.ResetTimer()
	matched := 0
	for b.Loop() {
		matched = 0
		for _, msg := range corpus.messages {
			if len(m.FindAll(msg)) > 0 {
				matched++
			}
		}
	}
	b.ReportMetric(float64(matched)/float64(len(corpus.messages))*100, "%msgs-matched")
}

// BenchmarkScan10k scans the whole 100k-message chat corpus per operation
// with 10,000 keywords, normalisation included; MB/s is original text.
func BenchmarkScan10k(b *testing.B) { benchScan(b, false) }

// BenchmarkScan10kUniform is the same on the uniform stress corpus.
func BenchmarkScan10kUniform(b *testing.B) { benchScan(b, true) }

// BenchmarkNormalize isolates the normaliser on the chat corpus.
func BenchmarkNormalize(b *testing.B) {
	corpus := benchMessages(false)
	b.SetBytes(corpus.bytes)
	var n Normalized
	b.ResetTimer()
	for b.Loop() {
		for _, msg := range corpus.messages {
			NormalizeInto(&n, msg)
		}
	}
}

// BenchmarkBuild50k builds the automaton for 50,000 keywords per operation
// and reports the heap it retains (the keyword strings themselves belong to
// the caller and are not counted).
func BenchmarkBuild50k(b *testing.B) {
	entries := benchKeywords(50_000)
	var heap uint64
	for b.Loop() {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		m, err := NewMatcher(entries)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(m)
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
}
