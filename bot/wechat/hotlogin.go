package wechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/eatmoreapple/openwechat"
)

// hotFile is the hot-login storage handed to openwechat (an io.ReadWriter). The library's
// own file storage creates the file with os.Create (mode 0666 before umask) although it
// holds the session cookies, and keeps the file open across reads; this one writes 0600
// through a temporary file and a rename, so a crash mid-write never leaves half a JSON
// document (which would force a QR login).
//
// The library reads it once per login (one json.Decoder over the whole content) and writes
// one complete JSON document per Write: after webwxinit and after every webwxsync, from
// the message-loop goroutine — hence the mutex.
type hotFile struct {
	path string
	gate *hotGate

	mu sync.Mutex
	r  *bytes.Reader
}

// hotGate closes every hotFile of one Run at once: the library's goroutines may still try
// to save the session after Run has returned, and nothing may write the file after that.
type hotGate struct {
	mu     sync.Mutex
	closed bool
}

func (g *hotGate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

var errHotFileClosed = errors.New("hot-login file closed: the adapter has stopped")

func newHotFile(path string, gate *hotGate) *hotFile { return &hotFile{path: path, gate: gate} }

func (h *hotFile) Read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.r == nil {
		b, err := os.ReadFile(h.path)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && len(bytes.TrimSpace(b)) == 0) {
			// The library's own "no session stored" error: HotLogin with a
			// RetryLoginOption falls through to a QR login on it.
			return 0, openwechat.ErrInvalidStorage
		}
		if err != nil {
			return 0, fmt.Errorf("read hot-login file: %w", err)
		}
		h.r = bytes.NewReader(b)
	}
	return h.r.Read(p)
}

func (h *hotFile) Write(p []byte) (int, error) {
	h.gate.mu.Lock() // held through the write: closing waits for a write in progress
	defer h.gate.mu.Unlock()
	if h.gate.closed {
		return 0, errHotFileClosed
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := writePrivate(h.path, p); err != nil {
		return 0, fmt.Errorf("save hot-login file: %w", err)
	}
	return len(p), nil
}

// writePrivate replaces path with data, mode 0600, atomically.
func writePrivate(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".hotlogin-*.tmp") // CreateTemp uses 0600
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(name)
		return err
	}
	if err := os.Chmod(name, 0o600); err != nil {
		_ = os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		_ = os.Remove(name)
		return err
	}
	return nil
}

// hasHotSession reports whether a previous login left something to reuse.
func hasHotSession(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Size() > 0
}

// checkHotSession reports why a saved session cannot be used, or nil. openwechat trusts
// the file: a missing cookie jar ("Jar": null) makes its HTTP client dereference nil on
// the first request, on every attempt, and a missing domain sends requests to "https:///".
func checkHotSession(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var item struct {
		Jar          map[string]json.RawMessage
		BaseRequest  *struct{ Uin int64 }
		LoginInfo    *struct{ WxUin int64 }
		WechatDomain string
	}
	if err := json.Unmarshal(b, &item); err != nil {
		return fmt.Errorf("not a hot-login document: %w", err)
	}
	switch {
	case item.Jar == nil:
		return errors.New("no cookie jar")
	case item.BaseRequest == nil || item.LoginInfo == nil:
		return errors.New("no login info")
	case item.WechatDomain == "" || strings.ContainsAny(item.WechatDomain, "/ "):
		return errors.New("no WeChat domain")
	}
	return nil
}

// prepareHotFile makes sure the hot-login file can be written before the first login (a
// QR scan wasted on an unwritable path would have to be repeated) and tightens the mode of
// an existing file, which may have been created by an older version or by hand.
func prepareHotFile(path string) (tightened bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("create directory %s: %w", dir, err)
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		probe, err := os.CreateTemp(dir, ".hotlogin-probe-*")
		if err != nil {
			return false, fmt.Errorf("directory %s is not writable: %w", dir, err)
		}
		_ = probe.Close()
		_ = os.Remove(probe.Name())
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !st.Mode().IsRegular() {
		return false, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return false, fmt.Errorf("restrict %s to mode 0600: %w", path, err)
		}
		return true, nil
	}
	return false, nil
}
