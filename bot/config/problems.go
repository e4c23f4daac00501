package config

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one mistake in the config file.
type Problem struct {
	Line int
	Path string // dotted key path, e.g. "groups.读书会.welcome.batch_window"
	Msg  string
}

// Error lists every problem found in a config file.
type Error struct {
	Source   string
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "配置文件 %s 有 %d 处错误 / config has %d error(s):", e.Source, len(e.Problems), len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String(e.Source))
	}
	return b.String()
}

// String formats a problem as "file:line: key: message".
func (p Problem) String(source string) string {
	loc := source
	if p.Line > 0 {
		loc = fmt.Sprintf("%s:%d", source, p.Line)
	}
	if p.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Path, p.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, p.Msg)
}

// AsError extracts the problem list from an error returned by Load or Parse.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

type problems struct {
	source string
	list   []Problem
	seen   map[string]bool
	// decodeLines are the lines a value failed to decode on: a check of that value
	// afterwards ("cron is required" after "bad cron") only repeats the first mistake.
	decodeLines map[int]bool
	// said holds (path, message) of every check already reported or suppressed, so a group
	// that inherits a broken value from defaults is not reported again for it.
	said map[string]bool
}

func (p *problems) add(line int, path, format string, args ...any) {
	// Messages quote what the owner wrote; a broken byte sequence must not reach the
	// owner's phone as 「某某�」.
	msg := strings.ToValidUTF8(fmt.Sprintf(format, args...), "")
	key := fmt.Sprintf("%d\x00%s\x00%s", line, path, msg)
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	// The defaults section is decoded once per group; report each mistake once.
	if p.seen[key] {
		return
	}
	p.seen[key] = true
	p.list = append(p.list, Problem{Line: line, Path: path, Msg: msg})
}

var lineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var unmarshalRe = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (.+)$")

// addYAML turns yaml.v3's errors into problems with key paths.
func (p *problems) addYAML(err error, pos *positions) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		line := 0
		if sm := lineRe.FindStringSubmatch(m); sm != nil {
			line, _ = strconv.Atoi(sm[1])
			m = sm[2]
		}
		if sm := unmarshalRe.FindStringSubmatch(m); sm != nil {
			// yaml.v3 cuts a long value at a byte ("某某\xe6..."): quote the value from the
			// file instead, cut by characters.
			value := sm[2]
			if v, ok := pos.valueAt(line); ok {
				value = clip(v, 20)
			} else {
				value = strings.ToValidUTF8(strings.TrimSuffix(value, "..."), "") + "…"
			}
			m = fmt.Sprintf("值「%s」的类型不对，这里应为%s / wrong type: cannot unmarshal !!%s into %s", value, describeType(sm[3]), sm[1], sm[3])
		} else if line > 0 && pos == nil {
			m = "YAML 语法错误 / syntax error: " + m
		}
		path := ""
		if pos != nil {
			path = pos.pathAt(line)
		}
		if line > 0 {
			if p.decodeLines == nil {
				p.decodeLines = map[int]bool{}
			}
			p.decodeLines[line] = true
		}
		p.add(line, path, "%s", m)
	}
}

// check reports a problem found by validation, unless it follows from one already
// reported: the value it checks failed to decode (its line has a decode error), or the
// value is inherited from defaults (group is "groups.<name>", the path is not written
// under the group) and defaults was already reported, or excused, for the same thing.
func (p *problems) check(pos *positions, group, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if p.said == nil {
		p.said = map[string]bool{}
	}
	line, exact := pos.lineOf[path]
	if !exact && group != "" && strings.HasPrefix(path, group) {
		if p.said["defaults"+path[len(group):]+"\x00"+msg] {
			return
		}
	}
	p.said[path+"\x00"+msg] = true
	if exact && p.decodeLines[line] {
		return
	}
	p.add(pos.line(path), path, "%s", msg)
}

// clip shortens s to n characters (never inside one), marking the cut with "…".
func clip(s string, n int) string {
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…"
		}
		i++
	}
	return s
}

func describeType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		return "整数 (integer)"
	case goType == "bool":
		return " true 或 false"
	case goType == "string":
		return "一段文字 (string)"
	case strings.HasPrefix(goType, "float"):
		return "数字 (number)"
	case strings.HasPrefix(goType, "[]"):
		return "列表 (list)"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "config."):
		return "「键: 值」映射 (mapping)"
	}
	return goType
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	sort.SliceStable(p.list, func(i, j int) bool { return p.list[i].Line < p.list[j].Line })
	return &Error{Source: p.source, Problems: p.list}
}

// positions maps key paths to lines and back, so decode errors (which know only a line)
// and validation errors (which know only a path) both name the line and the key.
type positions struct {
	lineOf  map[string]int
	pathOf  map[int]string
	valueOf map[int]string // the first scalar value on a line, to quote it in messages
}

// valueAt is the scalar written on a line (p may be nil).
func (p *positions) valueAt(line int) (string, bool) {
	if p == nil {
		return "", false
	}
	v, ok := p.valueOf[line]
	return v, ok
}

// maxIndexedNodes bounds indexPositions. It follows aliases (a group may be written as
// `*defaults`), and nested aliases make a few hundred bytes expand exponentially (the
// "billion laughs"): found by FuzzParse as a hang. Past the budget positions are not
// recorded, and the decoder refuses such a file ("excessive aliasing").
const maxIndexedNodes = 100_000

func indexPositions(root *yaml.Node) *positions {
	p := &positions{lineOf: map[string]int{}, pathOf: map[int]string{}, valueOf: map[int]string{}}
	budget := maxIndexedNodes
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n == nil || budget <= 0 {
			return
		}
		budget--
		if n.Kind == yaml.AliasNode {
			n = n.Alias
			if n == nil {
				return
			}
		}
		switch n.Kind {
		case yaml.ScalarNode:
			if _, taken := p.valueOf[n.Line]; !taken && path != "" {
				p.valueOf[n.Line] = n.Value
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				child := joinPath(path, k.Value)
				p.lineOf[child] = k.Line
				// "- cron: x" puts a list item and its first key on one line: the key
				// says more about a mistake there.
				if have, taken := p.pathOf[k.Line]; !taken || (strings.HasSuffix(have, "]") && strings.HasPrefix(child, have+".")) {
					p.pathOf[k.Line] = child
				}
				walk(v, child)
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				child := fmt.Sprintf("%s[%d]", path, i)
				p.lineOf[child] = item.Line
				if _, taken := p.pathOf[item.Line]; !taken {
					p.pathOf[item.Line] = child
				}
				walk(item, child)
			}
		}
	}
	walk(root, "")
	return p
}

// line finds the line of path, or of its nearest ancestor that is in the file.
func (p *positions) line(path string) int {
	for path != "" {
		if l, ok := p.lineOf[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func (p *positions) pathAt(line int) string {
	if line <= 0 {
		return ""
	}
	// A multi-line value (a template) reports the line of its first content line; walk
	// back to the key that owns it.
	for l := line; l > 0 && l > line-200; l-- {
		if path, ok := p.pathOf[l]; ok {
			return path
		}
	}
	return ""
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func typeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }

var unmarshalerType = typeOf[yaml.Unmarshaler]()
var nodeType = typeOf[yaml.Node]()

// checkKeys reports keys the schema does not know, with a suggestion, and recurses into
// known ones. yaml.v3's own KnownFields stops at the first error; this reports them all.
func checkKeys(n *yaml.Node, t reflect.Type, path string, p *problems) {
	if n == nil {
		return
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType || reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // the decoder reports the type mismatch
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				p.add(k.Line, joinPath(path, k.Value), "未知的配置项「%s」%s / unknown key", k.Value, suggest(k.Value, fields))
				continue
			}
			checkKeys(v, ft, joinPath(path, k.Value), p)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkKeys(n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value), p)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), p)
		}
	}
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if opts == "inline" && f.Type.Kind() == reflect.Struct {
			maps.Copy(out, yamlFields(f.Type)) // an inlined struct's keys are the parent's
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest names the closest known key when the unknown one looks like a typo.
func suggest(key string, fields map[string]reflect.Type) string {
	best, bestDist := "", 3
	for name := range fields {
		if d := editDistance(key, name); d < bestDist || (d == bestDist && best != "" && name < best) {
			best, bestDist = name, d
		}
	}
	if best == "" {
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		sort.Strings(names)
		return "，可用的有 / valid keys: " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("，你是不是想写「%s」？/ did you mean %q?", best, best)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
