package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"qunbot/bot"
	"qunbot/bot/config"
	"qunbot/bot/qrscan"
	"qunbot/storage"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Bad input for the QR check: a corrupt image, a 20 MB one and a QR code of a 10 KB URL
// each cost bounded work and leave one clear log line, and nobody is punished for them.
func TestQRBadInputLogged(t *testing.T) {
	cfg, err := config.Load("testdata/defences_qr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("testdata/defences_qr.script")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	var out bytes.Buffer
	clock := bot.NewManualClock(time.Date(2026, 11, 21, 0, 0, 0, 0, cfg.Location))
	s, err := NewSim(context.Background(), SimOptions{Config: cfg, DBPath: ":memory:", JSON: true, Out: &out,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}, clock, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	if err := s.Runner.RunScript(context.Background(), bytes.NewReader(src)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("script took %v", took)
	}
	for _, want := range []string{
		"QR check: image not decoded, skipped",          // corrupt
		"image larger than the limit (8388608",          // 20 MB: cut at 8 MB
		"encode QR code: WriterException: Data too big", // 10 KB URL: no QR code holds it
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no log line %q in:\n%s", want, logs.String())
		}
	}
	r := parseOut(t, out.String())
	var penalties []string
	for _, line := range strings.Split(r.out, "\n") {
		if strings.Contains(line, `"kind":"penalty"`) {
			penalties = append(penalties, line)
		}
	}
	if len(penalties) != 2 || !strings.Contains(penalties[0], `"member":"老李","level":"warn","rule":"qr_code"`) ||
		!strings.Contains(penalties[1], `"member":"小新","level":"remove","rule":"qr_code"`) {
		t.Fatalf("want the veteran warned and the newcomer removed for their QR codes, nothing else:\n%s", strings.Join(penalties, "\n"))
	}
}

// imagePlatform serves images for the QR check the way a live adapter would: from another
// goroutine, one of them never finishing until its deadline.
type imagePlatform struct {
	nopPlatform
	qr    []byte
	sends chan string
}

func (p *imagePlatform) SendText(ctx context.Context, group, text string, mentions []string) error {
	p.sends <- text
	return nil
}

func (p *imagePlatform) FetchImage(ctx context.Context, groupID, image string, maxBytes int64) ([]byte, error) {
	if image == "slow" {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return p.qr, nil
}

// Live, the QR check runs on the worker pool: the loop goes on while an image downloads
// (a stuck one only until the configured timeout), and the result comes back to the loop
// as a unit of work of its own.
func TestQRLiveOffLoop(t *testing.T) {
	cfg, err := config.Parse([]byte("all_groups: true\ndefaults:\n  moderation:\n    qr: {timeout: 1s}\n  welcome: {enabled: false}\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	qr, err := qrscan.Encode("https://u.wechat.com/live", 300)
	if err != nil {
		t.Fatal(err)
	}
	p := &imagePlatform{qr: qr, sends: make(chan string, 16)}
	e, err := bot.New(bot.Options{Config: cfg, Store: st, Platform: p, Logger: testLogger(t), Modules: mustModules(t, cfg), Pacing: &bot.Pacing{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan bot.Event, 4)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, events) }()
	group := bot.GroupInfo{ID: "g", Name: "读书会"}
	who := bot.MemberInfo{ID: "u1", Nickname: "老王"}
	now := time.Now()
	events <- bot.Event{Type: bot.EventMessage, ID: "m1", Time: now, Group: group, Sender: who, Kind: bot.KindImage, Image: "slow"}
	events <- bot.Event{Type: bot.EventMessage, ID: "m2", Time: now, Group: group, Sender: who, Kind: bot.KindImage, Image: "qr"}
	select {
	case text := <-p.sends:
		if !strings.Contains(text, "二维码") {
			t.Fatalf("sent %q", text)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no warning for the QR image while another image was stuck downloading")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
