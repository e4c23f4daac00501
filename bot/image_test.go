package bot

import (
	"context"
	"errors"
	"testing"
)

// imagePlatform is the fake platform plus ImageSender.
type imagePlatform struct {
	*fakePlatform
	images []sentImage
}

type sentImage struct {
	to, name string
	png      []byte
}

func (p *imagePlatform) SendImageDM(ctx context.Context, to string, png []byte, name string) error {
	if err := p.record(sent{"image", to, name, nil}); err != nil {
		return err
	}
	p.mu.Lock()
	p.images = append(p.images, sentImage{to, name, png})
	p.mu.Unlock()
	return nil
}

func TestImageDeliveredThroughOutbox(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil)
	ip := &imagePlatform{fakePlatform: h.p}
	h.e.platform = ip // same engine, a platform that can send images
	if !h.e.CanSendImages() {
		t.Fatal("CanSendImages with an ImageSender")
	}
	png := []byte("\x89PNG…")
	err := h.e.Update(context.Background(), func(tr *Turn) error {
		if err := tr.NotifyOwner("周报"); err != nil {
			return err
		}
		return tr.NotifyOwnerImage(png, "week.png")
	})
	if err != nil {
		t.Fatal(err)
	}
	h.e.outbox.DeliverDue(context.Background())
	got := h.p.got()
	if len(got) != 2 || got[0].kind != "dm" || got[1].kind != "image" || got[1].to != Filehelper || got[1].text != "week.png" {
		t.Fatalf("sent %+v: want the text, then the image, to the file helper", got)
	}
	if string(ip.images[0].png) != string(png) {
		t.Errorf("image bytes %q", ip.images[0].png)
	}
}

func TestImageRefusedWithoutImageSender(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil)
	if h.e.CanSendImages() {
		t.Fatal("the fake platform has no ImageSender")
	}
	err := h.e.Update(context.Background(), func(tr *Turn) error { return tr.NotifyOwnerImage([]byte("x"), "a.png") })
	if !errors.Is(err, ErrNotSupported) {
		t.Fatalf("err = %v, want ErrNotSupported (and nothing queued)", err)
	}
	h.e.outbox.DeliverDue(context.Background())
	if got := h.p.got(); len(got) != 0 {
		t.Errorf("sent %+v", got)
	}
}

// A failing image send is retried like text, then given up on and audited.
func TestImageRetried(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil)
	ip := &imagePlatform{fakePlatform: h.p}
	h.e.platform = ip
	h.p.failN, h.p.failErr = 1, errors.New("network down")
	if err := h.e.Update(context.Background(), func(tr *Turn) error { return tr.NotifyOwnerImage([]byte("png"), "w.png") }); err != nil {
		t.Fatal(err)
	}
	h.e.outbox.DeliverDue(context.Background())
	if len(ip.images) != 0 {
		t.Fatal("the first attempt failed")
	}
	h.advance(10 * 60 * 1e9)
	h.e.outbox.DeliverDue(context.Background())
	if len(ip.images) != 1 {
		t.Fatalf("retried image not sent: %+v", h.p.got())
	}
}
