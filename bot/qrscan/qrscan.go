// Package qrscan finds QR codes in images members send (issue 21): the image is read
// within a byte limit, its size checked from the header before any pixel is decoded, and
// the QR code decoded with gozxing (a Go port of ZXing, the reference barcode library).
// It is pure work on bytes, with no I/O of its own: the platform fetches the image, and
// the moderation module runs this off the event loop.
package qrscan

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // members send GIFs too
	_ "image/jpeg"
	"image/png"
	"io"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// Errors a scan ends with, besides "no QR code" (which is not an error: ok is false).
var (
	ErrTooLarge     = errors.New("图片超过大小上限 / image larger than the limit")
	ErrTooManyPixel = errors.New("图片像素超过上限 / image has more pixels than the limit")
	ErrNotImage     = errors.New("不是能识别的图片（PNG、JPEG、GIF）/ not a PNG, JPEG or GIF image")
)

// MaxText is how much of a decoded text is kept: a QR code holds at most ~3 KB, and the
// evidence only needs the address.
const MaxText = 4096

// ReadLimited reads r up to max bytes; a longer stream is ErrTooLarge (after reading at
// most max+1 bytes: a 20 MB image costs 8 MB of reading, not 20).
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read image: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w (%d 字节 / bytes)", ErrTooLarge, max)
	}
	return data, nil
}

// Decode finds a QR code in an encoded image of at most maxPixels pixels. ok is false when
// there is none. The header is read first, so a huge or corrupt image is refused before
// any pixel is allocated.
func Decode(data []byte, maxPixels int64) (text string, ok bool, err error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", false, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels || cfg.Width <= 0 || cfg.Height <= 0 {
		return "", false, fmt.Errorf("%w（%d×%d，上限 %d / limit）", ErrTooManyPixel, cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", false, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", false, fmt.Errorf("prepare image for QR decoding: %w", err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		// Not found, or a code too damaged to read: either way, nothing to judge.
		return "", false, nil
	}
	text = res.GetText()
	if len(text) > MaxText {
		text = text[:MaxText]
	}
	return text, true, nil
}

// Encode draws text as a QR code PNG of size×size pixels: the simulator's `[image] qr:URL`
// and tests. Text beyond what a QR code holds (~2.9 KB) is an error.
func Encode(text string, size int) ([]byte, error) {
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_ERROR_CORRECTION: "L", gozxing.EncodeHintType_CHARACTER_SET: "UTF-8"}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size, hints)
	if err != nil {
		return nil, fmt.Errorf("二维码装不下这段文字（%d 字节）/ encode QR code: %w", len(text), err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return nil, fmt.Errorf("encode QR png: %w", err)
	}
	return buf.Bytes(), nil
}
