package sim

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"strconv"
	"strings"

	"qunbot/bot/qrscan"
)

// Scripted images (`[image] SPEC`, DESIGN-facing contract in docs/ARCHITECTURE.md): the QR
// check fetches them through FetchImage like a real download.
//
//	qr:URL      a PNG of a QR code of URL, drawn in-process
//	photo       a PNG without a QR code
//	corrupt     bytes that start like a PNG and are not one
//	bytes:20MB  an image of that size (KB, MB; a bare number is bytes)
//
// Any other text is an image without a picture to fetch (the check skips it).
const QRPrefix = "qr:"

// QRImageSize is the side in pixels of a scripted QR image.
const QRImageSize = 400

// IsScriptedImage reports whether an image line's text names a picture FetchImage draws.
func IsScriptedImage(text string) bool {
	return strings.HasPrefix(text, QRPrefix) || strings.HasPrefix(text, "bytes:") || text == "photo" || text == "corrupt"
}

// FetchImage draws a scripted image (bot.ImageFetcher), read within maxBytes as a download
// would be.
func (p *Platform) FetchImage(ctx context.Context, groupID, spec string, maxBytes int64) ([]byte, error) {
	var r io.Reader
	switch {
	case strings.HasPrefix(spec, QRPrefix):
		data, err := qrscan.Encode(strings.TrimSpace(strings.TrimPrefix(spec, QRPrefix)), QRImageSize)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(data)
	case spec == "photo":
		img := image.NewGray(image.Rect(0, 0, 64, 64))
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 13)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, err
		}
		r = &buf
	case spec == "corrupt":
		r = strings.NewReader("\x89PNG\r\n\x1a\n" + strings.Repeat("garbage", 100))
	case strings.HasPrefix(spec, "bytes:"):
		n, err := parseSize(strings.TrimPrefix(spec, "bytes:"))
		if err != nil {
			return nil, err
		}
		r = io.MultiReader(strings.NewReader("\x89PNG\r\n\x1a\n"), io.LimitReader(zeros{}, n))
	default:
		return nil, fmt.Errorf("sim: image %q has no picture (write [image] qr:URL, photo, corrupt or bytes:SIZE)", spec)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return qrscan.ReadLimited(r, maxBytes)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func parseSize(s string) (int64, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "MB"):
		mult, s = 1<<20, strings.TrimSuffix(s, "MB")
	case strings.HasSuffix(s, "KB"):
		mult, s = 1<<10, strings.TrimSuffix(s, "KB")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<40/mult {
		return 0, fmt.Errorf("sim: image size %q: write e.g. 20MB", s)
	}
	return n * mult, nil
}
