package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"qunbot/bot/config"
	"qunbot/internal/safetext"
	"qunbot/storage"
)

// Pacing keeps the owner's account looking human: WeChat bans accounts that post like
// machines. Zero values mean no limit (the simulator).
type Pacing struct {
	GroupInterval time.Duration // at most one message per group this often
	PerMinute     int           // at most this many messages a minute overall (0 = no limit)
	Jitter        time.Duration // up to this much random extra delay per message
	MaxAttempts   int           // tries before giving up and telling the owner
	// Retryable tells transient errors (rate limited, network) from permanent ones.
	// Nil treats every error except ErrNotSupported as transient.
	Retryable func(error) bool
}

// PacingFromConfig converts the outbox section of the config.
func PacingFromConfig(c config.Outbox) Pacing {
	return Pacing{GroupInterval: c.GroupInterval.D(), PerMinute: c.PerMinute, Jitter: c.Jitter.D(), MaxAttempts: c.MaxAttempts}
}

// Outbox delivers queued messages from the outbox table. Every message the bot sends goes
// through it; it never drops one silently: a message is sent, retried, or marked failed
// and reported to the owner.
type Outbox struct {
	e      *Engine
	pacing Pacing
	rand   *rand.Rand

	mu        sync.Mutex
	groupIDs  map[int64]string    // our group key → this session's platform id
	lastGroup map[int64]time.Time // last send per group
	sentAt    []time.Time         // sends in the last minute
	notBefore map[int64]time.Time // jittered earliest next send per group

	wake chan struct{} // async mode: poke the delivery goroutine

	// work is true when something was queued since the last delivery; nextAt is when a
	// held-back message becomes due. With neither, DeliverDue needs no DB read.
	work   bool
	nextAt time.Time
}

// Queued tells the outbox that a committed transaction queued messages.
func (o *Outbox) Queued() {
	o.mu.Lock()
	o.work = true
	o.mu.Unlock()
}

// idle reports that nothing can be due now.
func (o *Outbox) idle(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.work && (o.nextAt.IsZero() || now.Before(o.nextAt))
}

func newOutbox(e *Engine, p Pacing) *Outbox {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	// work starts true: messages queued before a restart (a crash between the commit and
	// the send) are pending in the database, and the first delivery must look for them
	// even if this run never queues anything itself.
	return &Outbox{e: e, pacing: p, rand: rand.New(rand.NewPCG(1, 2)), work: true,
		groupIDs: map[int64]string{}, lastGroup: map[int64]time.Time{}, notBefore: map[int64]time.Time{}}
}

// SetPacing changes the pacing (config reload).
func (o *Outbox) SetPacing(p Pacing) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	p.Retryable = o.pacing.Retryable
	o.pacing = p
}

// SetRetryable tells transient errors from permanent ones for this platform.
func (o *Outbox) SetRetryable(fn func(error) bool) {
	o.mu.Lock()
	o.pacing.Retryable = fn
	o.mu.Unlock()
}

// SetGroupID records the platform id of a group for this session.
func (o *Outbox) SetGroupID(groupKey int64, id string) {
	o.mu.Lock()
	o.groupIDs[groupKey] = id
	o.mu.Unlock()
}

func (o *Outbox) groupID(groupKey int64) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.groupIDs[groupKey]
}

// DeliverDue sends what is due now. In async mode (Run started) it only pokes the
// delivery goroutine; otherwise it delivers inline (the simulator).
func (o *Outbox) DeliverDue(ctx context.Context) time.Time { return o.deliverUpTo(ctx, 0) }

// deliverUpTo is DeliverDue limited to messages with ids up to upTo (0: all).
func (o *Outbox) deliverUpTo(ctx context.Context, upTo int64) time.Time {
	if o.wake != nil {
		select {
		case o.wake <- struct{}{}:
		default:
		}
		return time.Time{}
	}
	if o.idle(o.e.clock.Now()) {
		return o.nextAt
	}
	next, err := o.deliver(ctx, upTo)
	if err != nil {
		o.e.log.ErrorContext(ctx, "outbox delivery failed", "err", err)
	}
	return next
}

// Run delivers on its own goroutine until ctx ends, waking on DeliverDue and when paced
// messages become due. sleep waits (real timers in production, fakes in tests).
func (o *Outbox) Run(ctx context.Context, sleep func(ctx context.Context, d time.Duration) error) {
	if o.wake == nil {
		o.wake = make(chan struct{}, 1) // Engine.Run sets it before starting this goroutine
	}
	for {
		next, err := o.deliver(ctx, 0)
		if err != nil {
			o.e.log.ErrorContext(ctx, "outbox delivery failed", "err", err)
			next = o.e.clock.Now().Add(5 * time.Second)
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(o.e.clock.Now()), 10*time.Millisecond)
		}
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { sleep(wctx, wait); close(done) }()
		select {
		case <-ctx.Done():
			cancel()
			return
		case <-o.wake:
		case <-done:
		}
		cancel()
	}
}

// deliver sends every pending message the pacing allows now, in queue order, keeping
// each group's messages in order. It returns when the next held-back message is due.
func (o *Outbox) deliver(ctx context.Context, upTo int64) (next time.Time, err error) {
	o.mu.Lock()
	if upTo == 0 {
		o.work = false // a partial delivery leaves later messages for the next call
	}
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.nextAt = next
		if err != nil {
			o.work = true
		}
		o.mu.Unlock()
	}()
	later := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	var pending []storage.OutMessage
	loaded, i := false, 0
	blocked := map[int64]bool{} // a group whose earlier message waits keeps the rest in order
	// pick finds the next message the pacing allows now, in queue order.
	pick := func() (m storage.OutMessage, now time.Time, ok bool) {
		for ; i < len(pending); i++ {
			c := pending[i]
			now = o.e.clock.Now()
			lane := laneOf(c)
			if blocked[lane] {
				continue
			}
			if at := o.readyAt(c, lane, now); at.After(now) {
				blocked[lane] = true
				later(at)
				continue
			}
			i++
			return c, now, true
		}
		return m, now, false
	}
	for {
		var m storage.OutMessage
		var to address
		var now time.Time
		found, held := false, false
		if loaded {
			// Picked from what was read, so the end of the queue costs no transaction.
			if m, now, found = pick(); !found {
				return next, nil
			}
		}
		// One transaction reads what is pending (the first time), claims the next message
		// and resolves whom it goes to: one commit before the send instead of a read, the
		// claim and another read.
		err := o.e.store.Update(ctx, func(tx *storage.Tx) error {
			if !loaded {
				var err error
				if upTo > 0 {
					pending, err = tx.PendingOutboxUpTo(upTo, 500)
				} else {
					pending, err = tx.PendingOutbox(500)
				}
				if err != nil {
					return err
				}
				loaded = true
				if m, now, found = pick(); !found {
					return nil
				}
			}
			if held, err = o.overPostCap(tx, m, now); err != nil || held {
				return err
			}
			to = o.resolve(tx, m)
			return o.claim(ctx, tx, m, now)
		})
		if err != nil {
			return next, err
		}
		if !found {
			return next, nil
		}
		if held {
			continue // never sent: the reports say what the cap held back
		}
		err = o.send(WithDeliveryID(ctx, m.ID), m, to)
		retryAt, noticed, recErr := o.record(ctx, m, err, now)
		if recErr != nil {
			return next, recErr
		}
		if noticed {
			later(now) // the owner's notice about a failure is due at once
		}
		lane := laneOf(m)
		if err != nil {
			if !retryAt.IsZero() {
				later(retryAt)
			}
			blocked[lane] = true
			continue
		}
		o.noteSent(lane, now)
	}
}

// overPostCap holds back, in tx, a post over its group's daily cap (post_cap.daily: the
// articles' "at most three promotional posts a day"), with an audit entry; it reports
// whether it did. Only the bot's own posts are counted and capped.
func (o *Outbox) overPostCap(tx *storage.Tx, m storage.OutMessage, now time.Time) (bool, error) {
	if m.Class != storage.ClassPost {
		return false, nil
	}
	g, ok, err := tx.GroupByKey(m.GroupKey)
	if err != nil || !ok {
		return false, err
	}
	cfg, _ := o.e.Config().ForGroup(g.Name)
	limit := cfg.PostCap.Daily
	if limit <= 0 {
		return false, nil
	}
	local := now.In(o.e.Location())
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, local.Location())
	sent, err := tx.PostsSent(m.GroupKey, day, day.AddDate(0, 0, 1))
	if err != nil || sent < limit {
		return false, err
	}
	o.e.log.Info("post held back: the group's daily post cap is reached", "group", g.Name, "outbox", m.ID, "cap", limit)
	if _, err := tx.Audit(storage.AuditEntry{Time: now, GroupKey: m.GroupKey, Action: "post_held",
		Detail: map[string]any{"outbox": m.ID, "cap": limit, "text": truncate(m.Text, 200)}}); err != nil {
		return false, err
	}
	return true, tx.HoldOutbox(m.ID, now)
}

// laneOf is the pacing lane of a message: its group, or one lane shared by all DMs.
func laneOf(m storage.OutMessage) int64 {
	if m.Kind == storage.OutDM || m.Kind == storage.OutDMImage {
		return -1
	}
	return m.GroupKey
}

// readyAt is the earliest time m may go out under the pacing rules.
func (o *Outbox) readyAt(m storage.OutMessage, lane int64, now time.Time) time.Time {
	at := m.NextTry
	o.mu.Lock()
	defer o.mu.Unlock()
	if p := o.pacing.GroupInterval; p > 0 {
		if last, ok := o.lastGroup[lane]; ok && last.Add(p).After(at) {
			at = last.Add(p)
		}
	}
	if nb, ok := o.notBefore[lane]; ok && nb.After(at) {
		at = nb
	}
	if o.pacing.PerMinute > 0 {
		cut := now.Add(-time.Minute)
		kept := o.sentAt[:0]
		for _, s := range o.sentAt {
			if s.After(cut) {
				kept = append(kept, s)
			}
		}
		o.sentAt = kept
		if len(o.sentAt) >= o.pacing.PerMinute {
			if free := o.sentAt[0].Add(time.Minute); free.After(at) {
				at = free
			}
		}
	}
	return at
}

func (o *Outbox) noteSent(lane int64, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lastGroup[lane] = now
	if o.pacing.PerMinute > 0 {
		o.sentAt = append(o.sentAt, now)
	}
	if o.pacing.Jitter > 0 {
		o.notBefore[lane] = now.Add(o.pacing.GroupInterval + time.Duration(o.rand.Int64N(int64(o.pacing.Jitter))))
	}
}

// claim records in tx, which commits before the handing, that m is being handed to the
// platform, with the attempt's audit entry ("send"). A send and the commit that records it cannot be atomic: a
// crash between them leaves the row claimed and unsent. Such a row may or may not have
// reached the platform; it is sent again (a member never told of a warning is worse than
// one told twice) and the audit log says "resend", so a possible duplicate is never silent.
// Only the one message in the platform's hands at the moment of a crash can be caught so,
// and everything that can be done before the handing is done here, leaving the commit
// after it (MarkSent alone) as short as possible: docs/RELIABILITY.md measures it.
func (o *Outbox) claim(ctx context.Context, tx *storage.Tx, m storage.OutMessage, now time.Time) error {
	if !m.Claimed.IsZero() {
		o.e.log.WarnContext(ctx, "message was being sent when the bot stopped: sending it again, it may arrive twice",
			"outbox", m.ID, "claimed", m.Claimed)
		if _, err := tx.Audit(storage.AuditEntry{Time: now, GroupKey: m.GroupKey, Action: "resend",
			Detail: map[string]any{"outbox": m.ID, "kind": m.Kind, "claimed": m.Claimed.UnixMilli()}}); err != nil {
			return err
		}
	}
	if _, err := tx.Audit(storage.AuditEntry{Time: now, GroupKey: m.GroupKey, Action: "send",
		Detail: map[string]any{"outbox": m.ID, "kind": m.Kind, "target": m.Target, "text": truncate(m.Text, 200)}}); err != nil {
		return err
	}
	return tx.ClaimOutbox(m.ID, now)
}

type deliveryIDKey struct{}

// WithDeliveryID tells the platform which outbox row it is delivering. Platforms that
// take an idempotency key can pass it on; the simulator prints it as "id", so a harness
// can count deliveries per message across crashes and restarts.
func WithDeliveryID(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, deliveryIDKey{}, id)
}

// DeliveryID is the outbox row being delivered (0 outside a delivery).
func DeliveryID(ctx context.Context) int64 {
	id, _ := ctx.Value(deliveryIDKey{}).(int64)
	return id
}

// address is whom a message goes to in this session, resolved from our keys when it is
// claimed. err is set when the target cannot be resolved: the send then fails with it.
type address struct {
	group    string        // the group's platform id (or name, where the platform keys by it)
	target   string        // a member's platform id, for DMs and actions on a member
	mentions []string      // mentioned members' platform ids
	rich     []TextMention // the same with the text that stands for each (MentionSender)
	err      error
}

func (o *Outbox) resolve(tx *storage.Tx, m storage.OutMessage) address {
	var a address
	for _, k := range m.Mentions {
		mem, err := tx.Member(k)
		if err != nil || mem.PlatformID == "" {
			continue
		}
		a.mentions = append(a.mentions, mem.PlatformID)
		a.rich = append(a.rich, TextMention{ID: mem.PlatformID, Text: Mention(mem)})
	}
	if m.GroupKey != 0 {
		a.group = o.groupID(m.GroupKey)
		if a.group == "" && o.e.caps.StableIDs {
			// Not seen in this run yet: the id is stored with the group.
			if id, err := tx.GroupPlatformID(m.GroupKey); err == nil && id != "" {
				a.group = id
				o.SetGroupID(m.GroupKey, id)
			}
		}
		if a.group == "" {
			if g, ok, err := tx.GroupByKey(m.GroupKey); err == nil && ok {
				a.group = g.Name
			}
		}
	}
	if m.Kind != storage.OutSend && m.Target != Filehelper {
		key, err := strconv.ParseInt(m.Target, 10, 64)
		if err != nil {
			a.err = fmt.Errorf("bad outbox target %q", m.Target)
			return a
		}
		a.target = o.e.platformID(tx, key)
	}
	return a
}

// send hands m to the platform.
func (o *Outbox) send(ctx context.Context, m storage.OutMessage, to address) error {
	if to.err != nil {
		return to.err
	}
	p := o.e.platform
	target, mentions, groupID := to.target, to.mentions, to.group
	switch m.Kind {
	case storage.OutSend:
		if ms, ok := p.(MentionSender); ok {
			return ms.SendMentions(ctx, groupID, m.Text, to.rich)
		}
		return p.SendText(ctx, groupID, m.Text, mentions)
	case storage.OutDM:
		if m.Target == Filehelper {
			return p.SendDM(ctx, Filehelper, m.Text)
		}
		if target == "" {
			return fmt.Errorf("%w: member %s has no id in this session", errPermanent, m.Target)
		}
		return p.SendDM(ctx, target, m.Text)
	case storage.OutDMImage:
		return o.sendImage(ctx, m, target)
	case storage.OutRemove:
		if !o.e.caps.CanRemove {
			return ErrNotSupported
		}
		if target == "" {
			return fmt.Errorf("%w: member %s has no id in this session", errPermanent, m.Target)
		}
		return p.RemoveMember(ctx, groupID, target)
	case storage.OutMute:
		muter, ok := p.(Muter)
		if !ok || !o.e.caps.CanMute {
			return ErrNotSupported
		}
		secs, err := strconv.ParseInt(m.Text, 10, 64)
		if err != nil || secs < 0 {
			return fmt.Errorf("%w: bad mute duration %q", errPermanent, m.Text)
		}
		if target == "" {
			return fmt.Errorf("%w: member %s has no id in this session", errPermanent, m.Target)
		}
		return muter.MuteMember(ctx, groupID, target, time.Duration(secs)*time.Second)
	case storage.OutRecall:
		r, ok := p.(Recaller)
		if !ok || !o.e.caps.CanRecall {
			return ErrNotSupported
		}
		return r.Recall(ctx, groupID, target, m.Text)
	}
	return fmt.Errorf("%w: unknown outbox kind %q", errPermanent, m.Kind)
}

var errPermanent = errors.New("cannot be delivered")

// record writes the result of one attempt, with its audit entry, in one transaction. It
// returns when to retry (zero if not) and whether it queued a notice to the owner.
func (o *Outbox) record(ctx context.Context, m storage.OutMessage, sendErr error, now time.Time) (retryAt time.Time, noticed bool, err error) {
	err = o.e.store.Update(ctx, func(tx *storage.Tx) error {
		if sendErr == nil {
			// Only the mark: this transaction is the window in which a crash makes a
			// duplicate (see claim), so the attempt's audit entry was written before.
			return tx.MarkSent(m.ID, now)
		}
		audit := storage.AuditEntry{Time: now, GroupKey: m.GroupKey, Action: "send_failed",
			Detail: map[string]any{"outbox": m.ID, "kind": m.Kind, "target": m.Target, "text": truncate(m.Text, 200)}}
		attempts := m.Attempts + 1
		o.mu.Lock()
		retryable, maxAttempts := o.pacing.Retryable, o.pacing.MaxAttempts
		o.mu.Unlock()
		var refused *RefusedError
		var unconfirmed *UnconfirmedError
		permanent := errors.Is(sendErr, ErrNotSupported) || errors.Is(sendErr, errPermanent) ||
			errors.As(sendErr, &refused) || errors.As(sendErr, &unconfirmed)
		if retryable != nil && !retryable(sendErr) {
			permanent = true
		}
		if !permanent && attempts < maxAttempts {
			backoff := min(time.Duration(1<<min(attempts, 10))*time.Second, 10*time.Minute)
			o.e.log.WarnContext(ctx, "send failed; will retry", "outbox", m.ID, "attempt", attempts, "retry_in", backoff, "err", sendErr)
			retryAt = now.Add(backoff)
			return tx.MarkRetry(m.ID, retryAt, sendErr.Error())
		}
		o.e.log.ErrorContext(ctx, "send failed; giving up", "outbox", m.ID, "attempts", attempts, "err", sendErr)
		if err := tx.MarkFailed(m.ID, now, sendErr.Error()); err != nil {
			return err
		}
		audit.Detail["error"] = sendErr.Error()
		if _, err := tx.Audit(audit); err != nil {
			return err
		}
		if m.Kind == storage.OutDM && m.Target == Filehelper {
			return nil // the owner's console itself is unreachable; the log has it
		}
		if isAction(m.Kind) {
			noticed, err = o.actionFailed(tx, m, sendErr, attempts, now)
			return err
		}
		_, err := tx.Enqueue(storage.OutMessage{Created: now, Kind: storage.OutDM, Target: Filehelper,
			Text: fmt.Sprintf("⚠️ 有一条消息发送失败（已尝试 %d 次）：「%s」\n原因：%s", attempts, safetext.Quote(m.Text, 80), safetext.Quote(sendErr.Error(), 300))})
		noticed = err == nil
		return err
	})
	return retryAt, noticed, err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// isAction reports an outbox kind that acts on a member rather than saying something.
func isAction(kind string) bool {
	return kind == storage.OutRemove || kind == storage.OutMute || kind == storage.OutRecall
}

// actionFailed falls back after an action on a member failed for good, inside the
// transaction that records the failure: a removal becomes a removal request to the owner;
// a mute stays the soft mute the bot recorded when it decided; and the owner hears what
// happened — once per group when the bot lacks the power there (with what to fix), every
// time the platform claimed an action it did not do.
func (o *Outbox) actionFailed(tx *storage.Tx, m storage.OutMessage, sendErr error, attempts int, now time.Time) (noticed bool, err error) {
	key, _ := strconv.ParseInt(m.Target, 10, 64)
	member, err := tx.Member(key)
	loaded := err == nil
	if !loaded {
		// Never fail the record over it: the row must be marked, or it would be sent again.
		o.e.log.Error("action failed for a member that cannot be read", "outbox", m.ID, "target", m.Target, "err", err)
		member = storage.Member{Key: key, GroupKey: m.GroupKey, Nickname: "成员 " + m.Target}
	}
	groupName := ""
	if g, ok, err := tx.GroupByKey(m.GroupKey); err != nil {
		return false, err
	} else if ok {
		groupName = g.Name
	}
	tell := func(text string) error {
		if _, err := tx.Enqueue(storage.OutMessage{Created: now, Kind: storage.OutDM, Target: Filehelper, Text: text}); err != nil {
			return err
		}
		noticed = true
		return nil
	}
	what := map[string]string{storage.OutRemove: "移出", storage.OutMute: "禁言", storage.OutRecall: "撤回消息"}[m.Kind]
	if m.Kind == storage.OutMute && m.Text == "0" {
		what = "解除禁言"
	}
	fallback := map[string]string{storage.OutRemove: "已改为请你手动移出。", storage.OutMute: "已改为软禁言（记录在案，禁言期间发言不计积分并升级处罚）。",
		storage.OutRecall: "消息没有撤回，请你手动撤回。"}[m.Kind]
	if what == "解除禁言" {
		fallback = "机器人这边已经解除，请在群里手动解除禁言。"
	}
	var refused *RefusedError
	var unconfirmed *UnconfirmedError
	protected := false
	switch {
	case errors.As(sendErr, &refused) && refused.Reason == RefusedTargetProtected:
		protected = true
		first, err := tx.NoticeOnce(m.GroupKey, "protected:"+m.Target, now)
		if err != nil || !first {
			return noticed, err
		}
		err = tell(fmt.Sprintf("⚠️ 机器人没能%s「%s」：TA 是群「%s」的群主或管理员，机器人不会处罚管理员。", what, member.ShownName(), groupName))
		return noticed, err
	case errors.As(sendErr, &refused):
		first, err := tx.NoticeOnce(m.GroupKey, noticeNotAdmin, now)
		if err != nil {
			return noticed, err
		}
		if first {
			if err := tell(notAdminText(groupName)); err != nil {
				return noticed, err
			}
		}
	case errors.As(sendErr, &unconfirmed):
		if err := tell(fmt.Sprintf("⚠️ 平台回复「成功」，但检查发现「%s」并没有被%s（群「%s」；有些 NapCat 版本会这样）。%s建议升级 OneBot 实现。",
			member.ShownName(), what, groupName, fallback)); err != nil {
			return noticed, err
		}
	default:
		if err := tell(fmt.Sprintf("⚠️ 没能%s「%s」（群「%s」，已尝试 %d 次）：%v\n%s", what, member.ShownName(), groupName, attempts, sendErr, fallback)); err != nil {
			return noticed, err
		}
	}
	if m.Kind == storage.OutRemove && !protected && loaded {
		reason := m.Text
		if reason == "" {
			reason = "处罚升级到移出"
		}
		why := RemovalReason{Source: "platform", Reason: reason, cannot: cannotRemoveWhy(true, refused == nil, false)}
		created, err := o.e.requestRemoval(tx, member, why, now, "bot", func(out storage.OutMessage) error {
			_, err := tx.Enqueue(out)
			return err
		})
		if err != nil {
			return noticed, err
		}
		noticed = noticed || created
	}
	return noticed, nil
}
