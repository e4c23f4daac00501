package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"time"

	"qunbot/bot"
)

// Runner feeds script steps to an engine on a simulated platform.
type Runner struct {
	engine    *bot.Engine
	platform  *Platform
	out       *Printer
	clock     settableClock
	loc       *time.Location
	ownerNick string

	group    string // current group (@group)
	started  bool
	moved    bool // something happened: from now on @time may only go forward
	idPrefix string
}

type settableClock interface {
	bot.Clock
	Set(time.Time)
}

// NewRunner wires a runner. idPrefix makes message ids unique per source: script lines
// keep the same id on every run (re-running a script on the same DB replays it, and
// replays change nothing), interactive lines get a per-session prefix.
func NewRunner(e *bot.Engine, p *Platform, out *Printer, clock settableClock, loc *time.Location, ownerNick, idPrefix string) *Runner {
	return &Runner{engine: e, platform: p, out: out, clock: clock, loc: loc, ownerNick: ownerNick, idPrefix: idPrefix}
}

// Step executes one parsed line.
func (r *Runner) Step(ctx context.Context, s Step) error {
	if s.Kind == StepTime && !r.moved {
		// A script's first @time sets the start, past or future; the engine starts after
		// it, so cron jobs are planned from the script's own time.
		r.clock.Set(s.Time)
		r.moved = true
		return r.start(ctx)
	}
	switch s.Kind {
	case StepNone:
		return nil
	case StepFriend:
		r.platform.addFriend(s.Member)
		return nil
	case StepGroup:
		r.group = s.Group
		r.platform.ensureGroup(s.Group)
		return nil
	}
	r.moved = true
	if err := r.start(ctx); err != nil {
		return err
	}
	switch s.Kind {
	case StepTime:
		if s.Time.Before(r.clock.Now()) {
			return &LineError{Line: s.Line, Msg: fmt.Sprintf("时间不能倒退：现在已经是 %s / time cannot go backwards",
				r.clock.Now().In(r.loc).Format("2006-01-02 15:04"))}
		}
		r.advanceTo(ctx, s.Time)
		return nil
	case StepAdvance:
		r.advanceTo(ctx, r.clock.Now().Add(s.Advance))
		return nil
	case StepRelogin:
		r.platform.Relogin()
		r.out.Note(r.clock.Now(), "重新登录：每位成员的 id 都换了新的，机器人要重新认人")
		return nil
	}
	ev, err := r.event(s)
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return err
	}
	r.handle(ctx, []bot.Event{ev})
	return nil
}

// errSkip marks a line that produces no event (a removed member's message).
var errSkip = errors.New("skip")

// event turns a chat step into the platform event it stands for, updating the simulated
// group's membership as the real platform would.
func (r *Runner) event(s Step) (bot.Event, error) {
	if s.Kind == StepConsole {
		return bot.Event{Type: bot.EventMessage, ID: r.id(s), Console: true, FromOwner: true,
			Sender: r.owner(), Kind: bot.KindText, Text: s.Text, Time: r.clock.Now(), Session: r.platform.Session()}, nil
	}
	if r.group == "" {
		return bot.Event{}, &LineError{Line: s.Line, Msg: "还没有选择群：请先写一行 @group 群名 / no group yet: add '@group NAME' first"}
	}
	ev := bot.Event{ID: r.id(s), Time: r.clock.Now(), Session: r.platform.Session()}
	switch s.Kind {
	case StepJoin:
		r.platform.rejoin(r.group, s.Member)
		if cfg, ok := r.engine.Config().ForGroup(r.group); ok && cfg.Welcome.Enabled {
			r.out.Note(r.clock.Now(), fmt.Sprintf("%s 入群了。欢迎语会在 %s 内合并发送（输入 @advance %s 马上看到）",
				s.Member, cfg.Welcome.BatchWindow, cfg.Welcome.BatchWindow))
		}
		ev.Type, ev.Group = bot.EventJoin, r.platform.setMember(r.group, s.Member, true)
		ev.Members, ev.Inviter = []bot.MemberInfo{r.platform.memberInfo(s.Member)}, s.Inviter
	case StepLeave:
		ev.Type, ev.Group = bot.EventLeave, r.platform.setMember(r.group, s.Member, false)
		ev.Members = []bot.MemberInfo{r.platform.memberInfo(s.Member)}
	case StepMessage:
		ev.Type, ev.Kind, ev.Text = bot.EventMessage, s.MsgKind, s.Text
		if s.MsgKind == bot.KindImage && IsScriptedImage(s.Text) {
			// `[image] qr:URL` and the other scripted images (images.go, drawn
			// when the QR check fetches them); an image has no text of its own.
			ev.Image, ev.Text = s.Text, ""
		}
		if s.Member == OwnerName {
			ev.Sender, ev.FromOwner = r.owner(), true
			ev.Group = r.platform.ensureGroup(r.group)
		} else {
			if r.platform.wasRemoved(r.group, s.Member) {
				// A removed member cannot post; the line is reported and skipped.
				r.out.Note(r.clock.Now(), fmt.Sprintf("第 %d 行：%s 已被移出「%s」，消息没有送达（先写 +%s 让 TA 重新入群）", s.Line, s.Member, r.group, s.Member))
				return bot.Event{}, errSkip
			}
			if until := r.platform.mutedUntil(r.group, s.Member); !until.IsZero() {
				// Neither can a member the platform muted.
				r.out.Note(r.clock.Now(), fmt.Sprintf("第 %d 行：%s 在「%s」被禁言到 %s，消息没有送达", s.Line, s.Member, r.group, until.In(r.loc).Format("01-02 15:04")))
				return bot.Event{}, errSkip
			}
			// Someone speaking is in the group, even if the script never said they joined:
			// they were there before the bot.
			ev.Sender = r.platform.memberInfo(s.Member)
			ev.Group = r.platform.setMember(r.group, s.Member, true)
		}
	default:
		return bot.Event{}, &LineError{Line: s.Line, Msg: "internal: not a chat step"}
	}
	return ev, nil
}

func (r *Runner) owner() bot.MemberInfo {
	return bot.MemberInfo{ID: OwnerName, Nickname: r.ownerNick}
}

func (r *Runner) id(s Step) string {
	if s.Key != "" {
		return r.idPrefix + s.Key
	}
	return r.idPrefix + strconv.Itoa(s.Line)
}

// handle passes events to the engine, then turns removals the platform carried out into
// the leave events a real platform would deliver.
func (r *Runner) handle(ctx context.Context, evs []bot.Event) {
	r.engine.HandleBatch(ctx, evs)
	r.followUp(ctx)
}

func (r *Runner) followUp(ctx context.Context) {
	for _, rm := range r.platform.takeRemovals() {
		r.engine.Handle(ctx, bot.Event{Type: bot.EventLeave, Time: r.clock.Now(), Session: r.platform.Session(),
			Group: r.platform.ensureGroup(rm.group), Members: []bot.MemberInfo{r.platform.memberInfo(rm.member)}})
	}
}

func (r *Runner) advanceTo(ctx context.Context, t time.Time) {
	r.engine.AdvanceTo(ctx, t, r.clock.Set)
	r.followUp(ctx)
}

func (r *Runner) start(ctx context.Context) error {
	if r.started {
		return nil
	}
	r.started = true
	return r.engine.Start(ctx)
}

// Finish fires whatever is due at the final clock (nothing later) and flushes batches
// that a graceful stop sends early rather than loses (a pending welcome).
func (r *Runner) Finish(ctx context.Context) {
	if err := r.start(ctx); err != nil {
		return
	}
	r.engine.RunDue(ctx, r.clock.Now())
	r.engine.Stop(ctx)
	r.followUp(ctx)
}

// RunScript parses and runs a whole script. Parse errors stop before anything runs, so
// a typo at line 90 never leaves a half-applied script; all of them are reported.
func (r *Runner) RunScript(ctx context.Context, src io.Reader) error {
	steps, err := ParseScript(src, r.loc)
	if err != nil {
		return err
	}
	// Consecutive chat lines at the same virtual time share a transaction: the output is
	// the same as one by one (the engine reports per event, in order), only faster.
	var batch []bot.Event
	flush := func() {
		if len(batch) > 0 {
			r.handle(ctx, batch)
			batch = batch[:0]
		}
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch s.Kind {
		case StepJoin, StepLeave, StepMessage, StepConsole:
			if err := r.start(ctx); err != nil {
				return err
			}
			r.moved = true
			ev, err := r.event(s)
			if errors.Is(err, errSkip) {
				continue
			}
			if err != nil {
				return err
			}
			batch = append(batch, ev)
			// A removal (or a mute) changes who can post on the next line; a batch must
			// not outrun it.
			// So must an image with a QR code: its check is judged after the batch commits,
			// and its replies must come before the next line's.
			if len(batch) >= bot.MaxBatch || r.platform.caps.CanRemove || r.platform.caps.CanMute || ev.Image != "" {
				flush()
			}
			continue
		case StepGroup, StepNone, StepFriend:
			// Events carry their group: switching groups does not end a batch. A friend
			// matters only to reminders, which timers send, after the batch.
			if err := r.Step(ctx, s); err != nil {
				return err
			}
			continue
		}
		flush()
		if err := r.Step(ctx, s); err != nil {
			return err
		}
	}
	flush()
	r.Finish(ctx)
	return nil
}

// ScriptError lists every bad line of a script.
type ScriptError struct{ Lines []*LineError }

func (e *ScriptError) Error() string {
	msg := fmt.Sprintf("脚本有 %d 处错误 / script has %d error(s):", len(e.Lines), len(e.Lines))
	for _, l := range e.Lines {
		msg += "\n  " + l.Error()
	}
	return msg
}

// ParseScript parses every line, collecting all errors.
func ParseScript(src io.Reader, loc *time.Location) ([]Step, error) {
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine+1)
	var steps []Step
	var bad []*LineError
	n := 0
	script := fnv.New64a() // the lines so far: Step.Key
	for sc.Scan() {
		n++
		s, err := ParseLine(n, sc.Text(), loc)
		var le *LineError
		if errors.As(err, &le) {
			bad = append(bad, le)
			continue
		}
		if s.Kind != StepNone {
			script.Write([]byte(strings.TrimSpace(sc.Text())))
			script.Write([]byte{'\n'})
			// The line number first: a script's ids still grow line by line, as WeChat's
			// grow with time, so the processed ids and ledger refs append (storage).
			s.Key = fmt.Sprintf("%08d.%s", n, strconv.FormatUint(script.Sum64(), 36))
		}
		steps = append(steps, s)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			bad = append(bad, &LineError{Line: n + 1, Msg: fmt.Sprintf("这一行太长（最多 %d 字节）/ line too long", maxLine)})
		} else {
			return nil, fmt.Errorf("read script: %w", err)
		}
	}
	if len(bad) > 0 {
		return nil, &ScriptError{Lines: bad}
	}
	return steps, nil
}
