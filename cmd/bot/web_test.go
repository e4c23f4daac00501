package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes to it; changed
// is poked on every write.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSimWebNeedsScript(t *testing.T) {
	code, _, errOut := runCLI(t, "", "sim", "--web", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errOut, "--web 需要和 --script 一起用") {
		t.Fatalf("code %d: %s", code, errOut)
	}
}

// TestSimWebServesAfterScript runs `sim --script … --web 127.0.0.1:0`, opens the printed
// link, and stops the command like Ctrl-C would.
func TestSimWebServesAfterScript(t *testing.T) {
	script := writeFile(t, "s.txt", "@time 2026-11-21 08:00\n@group 测试群\n+王五\n王五: 大家好，我是王五\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout syncBuffer
	stderr := syncBuffer{changed: make(chan struct{}, 1)}
	done := make(chan error, 1)
	go func() {
		done <- cmdSim(ctx, []string{"--script", script, "--web", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr)
	}()
	link := regexp.MustCompile(`http://127\.0\.0\.1:\d+/\?token=[0-9a-f]{32}`)
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for !strings.Contains(stderr.String(), "Ctrl-C") {
		select {
		case err := <-done:
			t.Fatalf("sim ended early: %v\n%s", err, stderr.String())
		case <-stderr.changed:
		case <-timeout.C:
			t.Fatalf("no dashboard link printed:\n%s", stderr.String())
		}
	}
	url := link.FindString(stderr.String())
	if url == "" {
		t.Fatalf("no dashboard link printed:\n%s", stderr.String())
	}
	// A browser-like client: the link's token becomes a cookie on the redirect.
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "测试群") {
		t.Fatalf("dashboard: %d\n%s", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sim after Ctrl-C: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop")
	}
}
