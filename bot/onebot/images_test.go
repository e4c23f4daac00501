package onebot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"qunbot/bot/qrscan"
)

func TestRenderKeepsImageHandle(t *testing.T) {
	segs, err := ParseMessage(json.RawMessage(`[{"type":"image","data":{"file":"abc.image","url":"https://multimedia.example/abc"}},{"type":"image","data":{"file":"second"}}]`))
	if err != nil {
		t.Fatal(err)
	}
	r := render(segs, "1", func(qq string) string { return qq })
	if r.kind != "image" || r.image != "https://multimedia.example/abc" {
		t.Fatalf("render = %+v", r)
	}
	segs, _ = ParseMessage(json.RawMessage(`"扫码[CQ:image,file=x.jpg]"`))
	if r := render(segs, "1", func(qq string) string { return qq }); r.kind != "text" || r.image != "x.jpg" {
		t.Fatalf("CQ image beside text = %+v", r)
	}
}

// The QR check's download: an image is read within the byte limit (a 20 MB answer is cut,
// one that says its length is refused unread) and the deadline.
func TestFetchImageBounded(t *testing.T) {
	qr, err := qrscan.Encode("https://x.cn/q", 200)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/qr.png":
			w.Write(qr)
		case "/big":
			w.Header().Set("Content-Length", "20971520")
			w.Write(make([]byte, 1<<20))
		case "/chunked":
			w.(http.Flusher).Flush()
			for range 20 {
				w.Write(make([]byte, 1<<20))
			}
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	defer close(release)
	a := &Adapter{}
	ctx := context.Background()
	data, err := a.FetchImage(ctx, "g", srv.URL+"/qr.png", 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	if text, ok, err := qrscan.Decode(data, 1e7); !ok || err != nil || text != "https://x.cn/q" {
		t.Fatalf("decoded %q %v %v", text, ok, err)
	}
	for _, path := range []string{"/big", "/chunked"} {
		if _, err := a.FetchImage(ctx, "g", srv.URL+path, 8<<20); !errors.Is(err, qrscan.ErrTooLarge) {
			t.Fatalf("%s: %v", path, err)
		}
	}
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := a.FetchImage(tctx, "g", srv.URL+"/slow", 8<<20); err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("slow download: %v", err)
	}
}
