package qrscan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	data, err := Encode("https://x.cn/join?g=123", 300)
	if err != nil {
		t.Fatal(err)
	}
	text, ok, err := Decode(data, 24_000_000)
	if err != nil || !ok || text != "https://x.cn/join?g=123" {
		t.Fatalf("decode = %q %v %v", text, ok, err)
	}
}

func TestNoQR(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 200, 200))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if text, ok, err := Decode(buf.Bytes(), 24_000_000); ok || err != nil {
		t.Fatalf("a picture without a QR code: %q %v %v", text, ok, err)
	}
}

// Bad input: a 20 MB image is cut at the byte limit, a corrupt one is refused by its header,
// a huge canvas by its pixel count before any pixel is decoded, and the longest URL a QR code
// holds decodes in bounded time (a 10 KB one cannot be encoded at all: a QR code holds ~3 KB).
func TestBadInput(t *testing.T) {
	big := bytes.NewReader(make([]byte, 20<<20))
	if _, err := ReadLimited(big, 8<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("20 MB image: %v", err)
	}
	if n := big.Len(); n < 11<<20 {
		t.Fatalf("read %d bytes of a 20 MB image with an 8 MB limit", 20<<20-n)
	}
	if _, _, err := Decode([]byte("\x89PNG\r\n\x1a\nthis is not a png"), 24_000_000); !errors.Is(err, ErrNotImage) {
		t.Fatalf("corrupt image: %v", err)
	}
	// A PNG header claiming 100,000 × 100,000 pixels.
	huge := image.NewGray(image.Rect(0, 0, 1, 1))
	var buf bytes.Buffer
	png.Encode(&buf, huge)
	b := buf.Bytes()
	copy(b[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29])) // the IHDR chunk's checksum
	start := time.Now()
	if _, _, err := Decode(b, 24_000_000); !errors.Is(err, ErrTooManyPixel) {
		t.Fatalf("100k×100k image: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("the pixel check decoded the image")
	}
	if _, err := Encode("https://x.cn/"+strings.Repeat("a", 10<<10), 600); err == nil {
		t.Fatal("a 10 KB URL fitted in a QR code")
	}
	long := "https://x.cn/" + strings.Repeat("a", 2800)
	data, err := Encode(long, 800)
	if err != nil {
		t.Fatal(err)
	}
	text, ok, err := Decode(data, 24_000_000)
	if err != nil || !ok || text != long {
		t.Fatalf("longest URL: ok=%v err=%v len=%d", ok, err, len(text))
	}
}
