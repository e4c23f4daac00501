package moderate

import (
	"context"
	"fmt"
	"sync"
	"time"

	"qunbot/bot"
	"qunbot/bot/qrscan"
	"qunbot/rules"
)

// The QR check (issue 21): an image message is fetched from the platform and searched for
// a QR code off the event loop; a code found comes back to the loop as a unit of work of
// its own and is judged like any check (named qr_code, the decoded text as evidence;
// stricter for newcomers). Every failure — a slow or refused download, a 20 MB image, a
// corrupt one — is one log line and no penalty: the message was already let through.

// QRWorkers is how many images are fetched and decoded at once; QRQueue how many may wait.
// A full queue skips the image (logged): a flood of images must not grow memory or hold up
// the loop.
const (
	QRWorkers = 2
	QRQueue   = 64
)

// qrJob is one image to scan, with what is needed to judge it later.
type qrJob struct {
	groupKey, memberKey int64
	groupID, msgID      string
	image               string
	maxBytes, maxPixels int64
	timeout             time.Duration
}

// qrScanner runs jobs: at once in the simulator (not live), else on a bounded pool.
type qrScanner struct {
	e       *bot.Engine
	mod     *Module
	ctx     context.Context // the engine's: workers end with it
	start   sync.Once
	jobs    chan qrJob
	decoded func(job qrJob, text string) // tests observe results here
}

func newQRScanner(ctx context.Context, e *bot.Engine, m *Module) *qrScanner {
	return &qrScanner{e: e, mod: m, ctx: ctx, jobs: make(chan qrJob, QRQueue)}
}

// scanQR queues an image message of the turn for the QR check, after the turn commits.
// Only a message nothing else caught is scanned: one offence per message.
func (m *Module) scanQR(t *bot.Turn, fired []rules.Result) {
	q := t.Group.Config.Moderation.QR
	if m.qr == nil || !q.Enabled || len(fired) > 0 || t.Ambiguous || t.Event.Image == "" {
		return
	}
	if _, ok := t.Engine().Images(); !ok {
		return
	}
	job := qrJob{groupKey: t.Group.Key, memberKey: t.Member.Key, groupID: t.Event.Group.ID, msgID: t.Event.ID,
		image: t.Event.Image, maxBytes: q.MaxBytes, maxPixels: q.MaxPixels, timeout: q.Timeout.D()}
	qr := m.qr
	t.After(func(ctx context.Context) { qr.enqueue(ctx, job) })
}

func (q *qrScanner) enqueue(ctx context.Context, job qrJob) {
	if !q.e.IsLive() {
		q.run(ctx, job)
		return
	}
	q.start.Do(func() {
		for range QRWorkers {
			go q.work()
		}
	})
	select {
	case q.jobs <- job:
	default:
		q.e.Logger().Warn("二维码检查排队已满，这张图片没有检查 / QR check queue full: image skipped",
			"group", q.e.GroupName(job.groupKey), "msg", job.msgID)
	}
}

func (q *qrScanner) work() {
	for {
		select {
		case <-q.ctx.Done():
			return
		case job := <-q.jobs:
			q.run(q.ctx, job)
		}
	}
}

// run fetches and decodes one image and, when it holds a QR code, hands the result to the
// loop (Submit; in the simulator at once).
func (q *qrScanner) run(ctx context.Context, job qrJob) {
	text, ok := q.scan(ctx, job)
	if q.decoded != nil {
		q.decoded(job, text)
	}
	if !ok {
		return
	}
	q.e.Submit(func(ctx context.Context) {
		if err := q.e.Update(ctx, func(t *bot.Turn) error { return q.mod.judgeQR(t, job, text) }); err != nil {
			q.e.Logger().ErrorContext(ctx, "二维码检查的处罚没有记下 / QR check result not applied", "group", q.e.GroupName(job.groupKey), "msg", job.msgID, "err", err)
		}
		// Live, this pokes the delivery goroutine; the simulator delivers inline (its runner
		// ends a batch at such an image, so nothing queued later is overtaken).
		q.e.Outbox().DeliverDue(ctx)
	})
}

// scan is the bounded work: a download within maxBytes and timeout, a decode within
// maxPixels. Failures are logged, never returned: the check is advisory.
func (q *qrScanner) scan(ctx context.Context, job qrJob) (string, bool) {
	f, ok := q.e.Images()
	if !ok {
		return "", false
	}
	log := q.e.Logger().With("group", q.e.GroupName(job.groupKey), "msg", job.msgID)
	cctx, cancel := context.WithTimeout(ctx, job.timeout)
	defer cancel()
	started := time.Now()
	data, err := f.FetchImage(cctx, job.groupID, job.image, job.maxBytes)
	if err != nil {
		log.Warn("二维码检查：取不到图片，跳过 / QR check: image not fetched, skipped", "err", err, "took", time.Since(started).Round(time.Millisecond))
		return "", false
	}
	text, found, err := qrscan.Decode(data, job.maxPixels)
	if err != nil {
		log.Warn("二维码检查：图片无法识别，跳过 / QR check: image not decoded, skipped", "bytes", len(data), "err", err)
		return "", false
	}
	if found {
		log.Info("二维码检查：图片里有二维码 / QR check: image carries a QR code", "bytes", len(data), "text", truncate(text, 200))
	}
	return text, found
}

// judgeQR puts a QR code found in a member's image on the ladder, on the loop.
func (m *Module) judgeQR(t *bot.Turn, job qrJob, text string) error {
	e := t.Engine()
	name := e.GroupName(job.groupKey)
	cfg, managed := e.Config().ForGroup(name)
	mc := cfg.Moderation
	if !managed || !mc.Enabled || !mc.QR.Enabled {
		return nil
	}
	member, err := t.Tx.Member(job.memberKey)
	if err != nil {
		return err
	}
	if !member.InGroup() {
		return nil // gone already: nothing to do
	}
	t.Group, t.Member = bot.GroupCtx{Key: job.groupKey, Name: name, Config: cfg}, member
	if protected, err := t.Protected(member); err != nil || protected {
		return err
	}
	c := m.ruleset(e.Config(), name, mc)
	if c.err != nil {
		return c.err
	}
	res := rules.Result{Check: CheckQR, Rule: CheckQR, Category: "ad", Action: mc.QR.Action, Strikes: mc.QR.Strikes,
		Reason: "发送带二维码的图片", Evidence: truncate(text, 300)}
	if n := mc.Newcomers; n.Enabled && n.Kinds["qr"] != "" && severity[n.Kinds["qr"]] > severity[res.Action] {
		isNew, err := IsNewcomer(t, n)
		if err != nil {
			return err
		}
		if isNew {
			res.Action, res.Reason = n.Kinds["qr"], res.Reason+"（"+periodZH(n)+"）"
		}
	}
	v := violationFrom([]rules.Result{res}, c, mc.DryRun || mc.QR.DryRun)
	v.MessageID = job.msgID
	d, err := apply(t, member, v, fmt.Sprintf("qr:%d:%s", job.groupKey, job.msgID))
	if err != nil {
		return err
	}
	return t.Audit("qr_code", member.Key, map[string]any{"text": truncate(text, 500), "applied": d.Applied})
}
