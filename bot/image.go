package bot

import (
	"context"
	"fmt"

	"qunbot/storage"
)

// ImageSender is an optional Platform capability: sending a PNG privately (to a friend or
// to Filehelper). The outbox uses it for "dm_image" rows; platforms without it never get
// such rows, because Turn.NotifyOwnerImage refuses to queue them.
type ImageSender interface {
	SendImageDM(ctx context.Context, to string, png []byte, name string) error
}

// CanSendImages reports whether the platform implements ImageSender.
func (e *Engine) CanSendImages() bool {
	_, ok := e.platform.(ImageSender)
	return ok
}

// NotifyOwnerImage queues a PNG to the owner's file helper inside the turn's transaction.
// It returns ErrNotSupported (queuing nothing) when the platform cannot send images:
// callers check Engine.CanSendImages first and skip the image.
func (t *Turn) NotifyOwnerImage(png []byte, name string) error {
	if !t.e.CanSendImages() {
		return ErrNotSupported
	}
	id, err := t.Tx.EnqueueImage(storage.OutMessage{Created: t.Now, Target: Filehelper, Text: name}, png)
	if err != nil {
		return err
	}
	t.lastOut = max(t.lastOut, id)
	return nil
}

// sendImage delivers a "dm_image" outbox row to target (the member's id in this session,
// already resolved by send; unused for Filehelper). The PNG is read from the row itself.
func (o *Outbox) sendImage(ctx context.Context, m storage.OutMessage, target string) error {
	is, ok := o.e.platform.(ImageSender)
	if !ok {
		return ErrNotSupported
	}
	if m.Target == Filehelper {
		target = Filehelper
	}
	if target == "" {
		return fmt.Errorf("%w: member %s has no id in this session", errPermanent, m.Target)
	}
	var png []byte
	if err := o.e.store.View(ctx, func(tx *storage.Tx) error {
		var err error
		png, err = tx.OutboxImage(m.ID)
		return err
	}); err != nil {
		return err
	}
	return is.SendImageDM(ctx, target, png, m.Text)
}
