package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"qunbot/storage"
)

// A label is a POST that needs the CSRF token as well as the auth; with it, the engine's
// moderation labels the review, learns, and a 广告 label applies the ladder.
func TestReviewQueueLabelsWithCSRF(t *testing.T) {
	f := newFixture(t, "@time 2026-11-23 08:00\n@group 读书会\n+小李\n小李: 谁买谁傻逼\n")
	status, body := f.get(t, "/reviews")
	if status != http.StatusOK || !strings.Contains(body, `data-review="1"`) || !strings.Contains(body, "谁买谁傻逼") {
		t.Fatalf("review page: %d\n%s", status, body)
	}
	csrf := f.srv.auth.csrfToken()
	if !strings.Contains(body, csrf) {
		t.Fatal("the forms do not carry the CSRF token")
	}
	for name, form := range map[string]map[string]string{
		"no token":    {"label": "spam"},
		"wrong token": {"label": "spam", "csrf": strings.Repeat("0", len(csrf))},
	} {
		if status, _ := f.post(t, "/reviews/1", form); status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, status)
		}
	}
	if status, _ := f.post(t, "/reviews/1", map[string]string{"label": "maybe", "csrf": csrf}); status != http.StatusBadRequest {
		t.Errorf("bad label: status %d", status)
	}
	status, _ = f.post(t, "/reviews/1", map[string]string{"label": "spam", "csrf": csrf})
	if status != http.StatusSeeOther {
		t.Fatalf("label: status %d", status)
	}
	err := f.sim.Store.View(context.Background(), func(tx *storage.Tx) error {
		r, ok, err := tx.ReviewByID(1)
		if err != nil || !ok || r.Status != storage.ReviewSpam {
			t.Errorf("review after the label: %+v %v %v", r, ok, err)
		}
		spam, _, err := tx.ExampleCounts()
		if spam != 1 {
			t.Errorf("labelled spam examples: %d", spam)
		}
		strikes, err2 := tx.Strikes(r.MemberKey, 5)
		if err2 != nil || len(strikes) != 1 {
			t.Errorf("strikes after a 广告 label: %+v %v", strikes, err2)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, body = f.get(t, "/reviews")
	if strings.Contains(body, `data-review="1"`) {
		t.Error("a labelled review is still listed")
	}
}
