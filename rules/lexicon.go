package rules

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:embed lexicons/*.txt
var lexiconFS embed.FS

// builtinLexicons names the embedded word lists and the defaults their lines
// get. Read-only.
var builtinLexicons = map[string]struct{ file, category, action string }{
	"ads":   {"lexicons/ads.txt", "ad", ActionStrike},
	"scam":  {"lexicons/scam.txt", "scam", ActionStrike},
	"abuse": {"lexicons/abuse.txt", "abuse", ActionStrike},
}

// BuiltinLexiconNames lists the names BuiltinLexicon accepts, sorted.
func BuiltinLexiconNames() []string {
	names := make([]string, 0, len(builtinLexicons))
	for n := range builtinLexicons {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// BuiltinLexicon returns the entries of an embedded word list: "ads",
// "scam" or "abuse". Sources read "builtin:ads:12".
func BuiltinLexicon(name string) ([]Entry, error) {
	lx, ok := builtinLexicons[name]
	if !ok {
		return nil, fmt.Errorf("没有名为 %q 的内置词库，可用：%s (unknown builtin lexicon %q)",
			name, strings.Join(BuiltinLexiconNames(), "、"), name)
	}
	f, err := lexiconFS.Open(lx.file)
	if err != nil {
		return nil, fmt.Errorf("open builtin lexicon %s: %w", name, err)
	}
	defer f.Close()
	entries, err := ParseLexicon(f, "builtin:"+name, lx.category, lx.action)
	if err != nil {
		return nil, fmt.Errorf("builtin lexicon %s: %w", name, err)
	}
	return entries, nil
}

// Actions an entry or a check may carry.
const (
	ActionStrike = "strike" // one more strike; the ladder decides (the default)
	ActionWarn   = "warn"   // a warning only, no strike
	ActionMute   = "mute"   // jump to the ladder's mute step
	ActionRemove = "remove" // jump to removal
)

// actionAliases accepts the Chinese words admins write.
var actionAliases = map[string]string{
	"":       "",
	"记过":     ActionStrike,
	"累计":     ActionStrike,
	"警告":     ActionWarn,
	"禁言":     ActionMute,
	"移出":     ActionRemove,
	"踢出":     ActionRemove,
	"移除":     ActionRemove,
	"踢":      ActionRemove,
	"strike": ActionStrike, "warn": ActionWarn, "mute": ActionMute, "remove": ActionRemove,
}

// ParseAction maps an action word (English or Chinese) to its canonical
// form; "" stays "" (the caller's default).
func ParseAction(s string) (string, error) {
	a, ok := actionAliases[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return "", fmt.Errorf("不认识的处理方式 %q，可用 strike/记过、warn/警告、mute/禁言、remove/移出 (unknown action %q)", s, s)
	}
	return a, nil
}

// categoryAliases accepts Chinese category names.
var categoryAliases = map[string]string{
	"广告": "ad", "诈骗": "scam", "辱骂": "abuse", "骂人": "abuse", "色情": "porn",
	"联系方式": "contact", "赌博": "gambling", "刷屏": "flood", "垃圾": "spam", "链接": "link",
}

// categoryLabels are the Chinese names used in reasons.
var categoryLabels = map[string]string{
	"ad": "广告", "scam": "诈骗", "abuse": "辱骂", "porn": "色情", "contact": "联系方式",
	"gambling": "赌博", "flood": "刷屏", "spam": "垃圾信息", "link": "链接",
}

// CategoryLabel is the Chinese name of a category, or the category itself.
func CategoryLabel(category string) string {
	if l, ok := categoryLabels[category]; ok {
		return l
	}
	return category
}

func parseCategory(s string) (string, error) {
	s = strings.TrimSpace(s)
	if c, ok := categoryAliases[s]; ok {
		return c, nil
	}
	s = strings.ToLower(s)
	if s == "" {
		return "", errors.New("类别为空 (empty category)")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return "", fmt.Errorf("类别 %q 只能用英文小写字母、数字、_ 或 -，或 广告/诈骗/辱骂/色情/联系方式/赌博/垃圾 (invalid category %q)", s, s)
		}
	}
	return s, nil
}

// maxLexiconErrors caps how many line errors one parse reports, so a file
// of the wrong format gives a readable message instead of thousands.
const maxLexiconErrors = 20

// ParseLexicon reads a word list: one keyword a line, blank lines and
// everything after '#' ignored ('#' is never part of a keyword: the
// normaliser drops it anyway). A line may override the defaults:
//
//	词                      category and action from the arguments
//	词 | 类别               e.g. 刷单 | scam
//	词 | 类别 | 动作         e.g. 杀你全家 | abuse | remove
//	词 | 类别 | 动作 | 次数   strikes a match adds (1–10)
//	!词                     allow-list entry (白名单): cancels matches it covers
//	=词                     exact: no variant expansion
//
// Empty fields keep the default ("词 | | warn"). Every entry's Source is
// "source:line". A keyword listed twice keeps its first line. Errors name
// source:line and what to fix, in Chinese with English; all bad lines are
// reported (up to 20), not just the first.
func ParseLexicon(r io.Reader, source, category, action string) ([]Entry, error) {
	defCat, err := parseCategory(category)
	if err != nil {
		return nil, fmt.Errorf("%s: 默认类别: %w", source, err)
	}
	defAct, err := ParseAction(action)
	if err != nil {
		return nil, fmt.Errorf("%s: 默认处理方式: %w", source, err)
	}
	var (
		entries []Entry
		errs    []error
		seen    = make(map[string]bool)
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\uFEFF") // BOM from Windows editors
		}
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		e, err := parseLexiconLine(text, defCat, defAct)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", source, line, err))
			if len(errs) >= maxLexiconErrors {
				errs = append(errs, fmt.Errorf("%s: 错误太多，后面的不再列出 (too many errors)", source))
				break
			}
			continue
		}
		key := NormalizeString(e.Text)
		if e.Allow {
			key = "!" + key
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		e.Source = source + ":" + strconv.Itoa(line)
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s:%d: 读取失败 (read): %w", source, line+1, err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return entries, nil
}

func parseLexiconLine(text, defCat, defAct string) (Entry, error) {
	if !utf8.ValidString(text) {
		return Entry{}, errors.New("不是有效的 UTF-8 文本，请用 UTF-8 编码保存文件 (invalid UTF-8; save the file as UTF-8)")
	}
	fields := strings.Split(text, "|")
	if len(fields) > 4 {
		return Entry{}, errors.New("竖线 | 分隔的字段最多 4 个：词 | 类别 | 动作 | 次数 (at most 4 fields)")
	}
	e := Entry{Category: defCat, Action: defAct}
	word := strings.TrimSpace(fields[0])
	for len(word) > 0 && (word[0] == '!' || word[0] == '=') {
		if word[0] == '!' {
			e.Allow = true
		} else {
			e.Exact = true
		}
		word = strings.TrimSpace(word[1:])
	}
	if strings.ContainsFunc(word, func(r rune) bool { return r == '\t' }) {
		return Entry{}, errors.New("词中有制表符，一行只写一个词 (tab inside keyword; one keyword per line)")
	}
	k := NormalizeString(word)
	switch {
	case k == "":
		return Entry{}, fmt.Errorf("「%s」%w", word, errEmptyKeyword)
	case strings.ContainsRune(k, BreakRune):
		return Entry{}, fmt.Errorf("「%s」%w", word, errBrokenKeyword)
	case utf8.RuneCountInString(k) > maxKeywordRunes:
		return Entry{}, fmt.Errorf("「%.20s…」%w", word, errLongKeyword)
	}
	e.Text = word
	if len(fields) > 1 && strings.TrimSpace(fields[1]) != "" {
		c, err := parseCategory(fields[1])
		if err != nil {
			return Entry{}, err
		}
		e.Category = c
	}
	if len(fields) > 2 && strings.TrimSpace(fields[2]) != "" {
		a, err := ParseAction(fields[2])
		if err != nil {
			return Entry{}, err
		}
		e.Action = a
	}
	if len(fields) > 3 && strings.TrimSpace(fields[3]) != "" {
		f := strings.TrimFunc(fields[3], unicode.IsSpace)
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 10 {
			return Entry{}, fmt.Errorf("次数 %q 应为 1 到 10 的整数 (strikes must be an integer 1–10)", f)
		}
		e.Severity = n
	}
	return e, nil
}
