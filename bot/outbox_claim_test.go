package bot

import (
	"context"
	"testing"

	"qunbot/storage"
)

// idPlatform records the outbox id the engine hands over with each send.
type idPlatform struct {
	fakePlatform
	ids []int64
}

func (p *idPlatform) SendDM(ctx context.Context, to, text string) error {
	p.ids = append(p.ids, DeliveryID(ctx))
	return p.fakePlatform.SendDM(ctx, to, text)
}

// A message claimed but never marked sent was in the platform's hands when the bot died.
// The next delivery sends it again (never lost) and writes a "resend" audit entry (never a
// silent duplicate); an ordinary delivery leaves no claim and no such entry.
func TestOutboxResendsAClaimedMessageAndSaysSo(t *testing.T) {
	h := newHarness(t, "", Capabilities{}, nil)
	p := &idPlatform{fakePlatform: fakePlatform{t: t}}
	h.e.platform = p
	ctx := context.Background()
	var crashed, normal int64
	if err := h.store.Update(ctx, func(tx *storage.Tx) error {
		var err error
		if crashed, err = tx.Enqueue(storage.OutMessage{Created: t0, Kind: storage.OutDM, Target: Filehelper, Text: "in flight at the crash"}); err != nil {
			return err
		}
		if err := tx.ClaimOutbox(crashed, t0); err != nil {
			return err
		}
		normal, err = tx.Enqueue(storage.OutMessage{Created: t0, Kind: storage.OutDM, Target: Filehelper, Text: "queued"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	h.e.outbox.Queued()
	h.e.outbox.DeliverDue(ctx)
	if len(p.ids) != 2 || p.ids[0] != crashed || p.ids[1] != normal {
		t.Fatalf("delivered ids %v, want [%d %d] (each send carries its outbox id)", p.ids, crashed, normal)
	}
	var pending int
	var resends []storage.AuditEntry
	h.store.View(ctx, func(tx *storage.Tx) error {
		left, _ := tx.PendingOutbox(10)
		pending = len(left)
		log, _ := tx.AuditLog(0, 0, 50)
		for _, e := range log {
			if e.Action == "resend" {
				resends = append(resends, e)
			}
		}
		return nil
	})
	if pending != 0 {
		t.Errorf("%d messages still pending", pending)
	}
	if len(resends) != 1 || int64(resends[0].Detail["outbox"].(float64)) != crashed {
		t.Fatalf("want one resend audit entry for outbox %d, got %+v", crashed, resends)
	}
	var claimed int
	h.store.DB().QueryRow(`SELECT COUNT(*) FROM outbox WHERE claimed_at IS NOT NULL`).Scan(&claimed)
	if claimed != 0 {
		t.Errorf("%d rows still claimed after their delivery was recorded", claimed)
	}
}
