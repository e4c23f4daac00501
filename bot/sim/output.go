package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"qunbot/bot"
	"qunbot/rules"
)

// Printer writes what the bot does: one JSON object a line (--json), or readable lines.
type Printer struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
	loc  *time.Location
	// Chinese names for the readable lines (the JSON keeps the stable ids: "flood",
	// "checkin"). Nil: the ids are shown.
	ruleLabel, pointsLabel func(string) string
}

// SetLabels gives the readable lines Chinese names for rules and points reasons; --json
// output is unchanged (its ids are the simulator's contract).
func (p *Printer) SetLabels(rule, points func(string) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ruleLabel, p.pointsLabel = rule, points
}

// NewPrinter writes to w in the chosen form; times are shown in loc.
func NewPrinter(w io.Writer, jsonLines bool, loc *time.Location) *Printer {
	return &Printer{w: w, json: jsonLines, loc: loc}
}

// field is one key of a JSON line; the order is kept so lines read naturally.
type field struct {
	key string
	val any
}

func (p *Printer) emit(at time.Time, kind string, fields []field, human string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.json {
		fmt.Fprintf(p.w, "[%s] %s\n", at.In(p.loc).Format("01-02 15:04"), human)
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"time":`)
	writeJSON(&b, at.In(p.loc).Format(time.RFC3339))
	b.WriteString(`,"kind":`)
	writeJSON(&b, kind)
	for _, f := range fields {
		b.WriteByte(',')
		writeJSON(&b, f.key)
		b.WriteByte(':')
		writeJSON(&b, f.val)
	}
	b.WriteString("}\n")
	p.w.Write(b.Bytes())
}

func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	b.Truncate(b.Len() - 1) // Encode adds a newline
}

// Send reports a message to a group. id is the outbox row delivered (0: unknown); with it
// a reader can tell a message delivered twice (after a crash) from two messages.
func (p *Printer) Send(at time.Time, id int64, group, text string, mentions []string) {
	if mentions == nil {
		mentions = []string{}
	}
	p.emit(at, "send", []field{{"group", group}, {"text", text}, {"mentions", mentions}, {"id", id}},
		fmt.Sprintf("💬 %s ← 机器人: %s", group, indent(text)))
}

// DM reports a private message ("filehelper" is the owner's console); id as for Send.
func (p *Printer) DM(at time.Time, id int64, to, text string) {
	who := to
	if to == bot.Filehelper {
		who = "文件传输助手(群主)"
	}
	p.emit(at, "dm", []field{{"to", to}, {"text", text}, {"id", id}}, fmt.Sprintf("📩 私信 %s: %s", who, indent(text)))
}

// Image reports an image sent privately (the weekly chart to "filehelper"); the PNG itself
// is not printed, only its name and size. id as for Send.
func (p *Printer) Image(at time.Time, id int64, to, name string, size int) {
	who := to
	if to == bot.Filehelper {
		who = "文件传输助手(群主)"
	}
	p.emit(at, "image", []field{{"to", to}, {"name", name}, {"bytes", size}, {"id", id}},
		fmt.Sprintf("🖼️ 图片 %s: %s（%d 字节）", who, name, size))
}

// Remove reports a removal.
func (p *Printer) Remove(at time.Time, group, member string) {
	p.emit(at, "remove", []field{{"group", group}, {"member", member}}, fmt.Sprintf("🚪 %s 把 %s 移出了群", group, member))
}

// Mute reports a mute on the platform (only where it can mute); seconds 0 lifts it. id as
// for Send.
func (p *Printer) Mute(at time.Time, id int64, group, member string, seconds int64) {
	human := fmt.Sprintf("🔇 %s 把 %s 禁言%s", group, member, rules.DurationZH(time.Duration(seconds)*time.Second))
	if seconds == 0 {
		human = fmt.Sprintf("🔈 %s 解除了 %s 的禁言", group, member)
	}
	p.emit(at, "mute", []field{{"group", group}, {"member", member}, {"seconds", seconds}, {"id", id}}, human)
}

// Recall reports the recall of a member's message (only where the platform can recall).
func (p *Printer) Recall(at time.Time, id int64, group, member string) {
	p.emit(at, "recall", []field{{"group", group}, {"member", member}, {"id", id}}, fmt.Sprintf("↩️ %s 撤回了 %s 的消息", group, member))
}

// Outcome reports an engine outcome (penalty, points, …).
func (p *Printer) Outcome(o bot.Outcome) {
	o.Member = ScriptName(o.Member) // JSON names members by their script names, whatever the session
	fields := []field{{"group", o.Group}, {"member", o.Member}}
	keys := make([]string, 0, len(o.Fields))
	for k := range o.Fields {
		keys = append(keys, k)
	}
	// The contract's fields first in their documented order, then the rest sorted.
	order := map[string]int{"level": 1, "rule": 2, "strikes": 3, "delta": 4, "balance": 5, "reason": 6}
	sort.Slice(keys, func(i, j int) bool {
		oi, oj := order[keys[i]], order[keys[j]]
		if oi == 0 {
			oi = 100
		}
		if oj == 0 {
			oj = 100
		}
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		fields = append(fields, field{k, o.Fields[k]})
	}
	p.mu.Lock()
	human := humanOutcome(o, p.ruleLabel, p.pointsLabel)
	p.mu.Unlock()
	p.emit(o.Time, o.Kind, fields, human)
}

// Note prints an informational line for people (never in --json mode, where stdout is
// machine-read).
func (p *Printer) Note(at time.Time, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		return
	}
	fmt.Fprintf(p.w, "[%s] ℹ️  %s\n", at.In(p.loc).Format("01-02 15:04"), text)
}

func humanOutcome(o bot.Outcome, ruleLabel, pointsLabel func(string) string) string {
	f := o.Fields
	label := func(fn func(string) string, v any) any {
		if s, ok := v.(string); ok && fn != nil {
			return fn(s)
		}
		return v
	}
	switch o.Kind {
	case "penalty":
		levels := map[any]string{"warn": "警告", "mute": "禁言", "remove": "移出"}
		dry := ""
		if d, _ := f["dry_run"].(bool); d {
			dry = "（试运行，未执行）"
		}
		return fmt.Sprintf("⚖️  %s 在 %s：%s%s（规则 %v，累计 %v 次）", o.Member, o.Group, levels[f["level"]], dry, label(ruleLabel, f["rule"]), f["strikes"])
	case "points":
		return fmt.Sprintf("💰 %s 在 %s：积分 %+v（%v），余额 %v", o.Member, o.Group, f["delta"], label(pointsLabel, f["reason"]), f["balance"])
	case "review":
		return fmt.Sprintf("🔎 %s 在 %s：请群主复核 #%v，不处罚（规则 %v）", o.Member, o.Group, f["review"], label(ruleLabel, f["rule"]))
	}
	b, _ := json.Marshal(f)
	return fmt.Sprintf("%s %s %s %s", o.Kind, o.Group, o.Member, b)
}

func indent(text string) string {
	return strings.ReplaceAll(text, "\n", "\n                ")
}
