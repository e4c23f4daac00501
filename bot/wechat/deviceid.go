package wechat

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"strings"
)

// The device id is how WeChat tells this "computer" from others. openwechat draws a new
// random one for every QR or push login unless WithDeviceID is given (bot.go:123-125), so
// every re-login looked like a new device logging in — one more thing an account-safety
// check can hold against the account. The adapter keeps one id per installation in a file
// beside the session file and hands it to every Bot.

// validDeviceID is the web client's format: "e" and 15 digits.
func validDeviceID(id string) bool {
	if len(id) != 16 || id[0] != 'e' {
		return false
	}
	for _, c := range id[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// newDeviceID draws an id from crypto/rand. (The library's own generator seeds math/rand
// with the current second and never draws a 9.)
func newDeviceID() (string, error) {
	var b strings.Builder
	b.WriteByte('e')
	for range 15 {
		n, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", err
		}
		b.WriteByte(byte('0' + n.Int64()))
	}
	return b.String(), nil
}

// loadDeviceID returns the installation's device id from path, creating it on first use.
// An installation that predates the file adopts the id its saved session was created with
// (hotPath), so the first login after an upgrade still looks like the same device. A file
// that holds something else is replaced (and the reason returned for the log).
func loadDeviceID(path, hotPath string) (id string, note string, err error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil && validDeviceID(strings.TrimSpace(string(b))):
		return strings.TrimSpace(string(b)), "", nil
	case err == nil:
		note = "设备 ID 文件内容无效，已重新生成 / device id file was invalid, replaced"
	case !errors.Is(err, fs.ErrNotExist):
		return "", "", fmt.Errorf("read device id %s: %w", path, err)
	}
	id = deviceIDFromSession(hotPath)
	if id == "" {
		if id, err = newDeviceID(); err != nil {
			return "", "", fmt.Errorf("draw a device id: %w", err)
		}
	}
	if err := writePrivate(path, []byte(id+"\n")); err != nil {
		return "", "", fmt.Errorf("save device id %s: %w", path, err)
	}
	return id, note, nil
}

// deviceIDFromSession reads the device id a saved session was created with, or "".
func deviceIDFromSession(hotPath string) string {
	b, err := os.ReadFile(hotPath)
	if err != nil {
		return ""
	}
	var item struct{ BaseRequest *struct{ DeviceID string } }
	if json.Unmarshal(b, &item) != nil || item.BaseRequest == nil || !validDeviceID(item.BaseRequest.DeviceID) {
		return ""
	}
	return item.BaseRequest.DeviceID
}
