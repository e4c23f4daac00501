package onebot

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"qunbot/bot/qrscan"
)

// FetchImage downloads an image a member sent (bot.ImageFetcher), for the QR check: the
// image segment's url when it has one, else what get_image says about its file (a url, or
// a path on the implementation's machine, which runs beside the bot). At most maxBytes are
// read, and ctx bounds the whole download.
func (a *Adapter) FetchImage(ctx context.Context, groupID, image string, maxBytes int64) ([]byte, error) {
	src := image
	if !isHTTP(src) {
		raw, err := a.call(ctx, "get_image", map[string]any{"file": image})
		if err != nil {
			return nil, fmt.Errorf("get_image %q: %w", clipText(image, 80), err)
		}
		var d struct {
			File string `json:"file"`
			URL  string `json:"url"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("get_image %q: read answer: %w", clipText(image, 80), err)
		}
		switch {
		case isHTTP(d.URL):
			src = d.URL
		case d.File != "":
			return readLocal(d.File, maxBytes)
		default:
			return nil, fmt.Errorf("get_image %q: neither url nor file in the answer", clipText(image, 80))
		}
	}
	if data, ok := strings.CutPrefix(src, "base64://"); ok {
		if int64(base64.StdEncoding.DecodedLen(len(data))) > maxBytes {
			return nil, fmt.Errorf("%w (%d 字节 / bytes)", qrscan.ErrTooLarge, maxBytes)
		}
		return base64.StdEncoding.DecodeString(data)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, fmt.Errorf("image url %q: %w", clipText(src, 80), err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download image: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download image: HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w (%d 字节 / bytes, 图片 / image %d)", qrscan.ErrTooLarge, maxBytes, resp.ContentLength)
	}
	return qrscan.ReadLimited(resp.Body, maxBytes)
}

func readLocal(path string, maxBytes int64) ([]byte, error) {
	path = strings.TrimPrefix(path, "file://")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open image file: %w", err)
	}
	defer f.Close()
	return qrscan.ReadLimited(f, maxBytes)
}

func isHTTP(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "base64://")
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
