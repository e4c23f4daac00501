package rules

import (
	"slices"
	"strings"
)

// variantSource lists the high-risk words advertisers disguise, with the
// disguises seen in the wild: homophones, look-alikes and pinyin initials.
// A keyword containing one of these words is expanded at build time to every
// combination of variants (capped at maxVariants), so "加微信" also catches
// "嘉威信" and "加vx". Each variant remembers its entry, so the reason text
// still quotes the keyword as configured.
//
// Only variants that are never ordinary words on their own belong here,
// because a bare keyword's variants become bare keywords too. Deliberately
// left out: 家 for 加 ("大家微信群" is everyday chat), 菠菜 for 博彩 (spinach).
// Forms are written naturally and normalised at start-up, so "Q Q", "V信"
// and "+" (which normalises to 加) need no special casing.
var variantSource = []struct {
	word  string
	forms []string
}{
	{"微信", []string{"薇信", "威信", "徽信", "维信", "唯信", "微芯", "嶶信", "V信", "VX", "WX", "weixin", "wechat", "微x", "威x", "薇x", "徽x"}},
	{"QQ", []string{"扣扣", "企鹅", "球球", "抠抠", "Q Q", "扣Q"}},
	{"加", []string{"嘉", "伽", "+"}},
	{"私聊", []string{"私信", "丝聊", "私撩", "斯聊", "私l"}},
	{"兼职", []string{"监职", "兼值", "兼只", "兼zhi"}},
	{"代理", []string{"带理", "代li"}},
	{"刷单", []string{"唰单", "刷dan", "刷d"}},
	{"贷款", []string{"带款", "代款", "dai款"}},
	{"色情", []string{"涩情", "瑟情", "se情"}},
	{"返利", []string{"返哩", "反利", "返l"}},
	{"赌博", []string{"du博", "堵博", "赌bo"}},
	{"裸聊", []string{"祼聊", "luo聊", "裸l"}},
	{"二维码", []string{"二v码", "2维码", "二wei码"}},
	{"扫码", []string{"扫马", "扫ma", "sao码"}},
}

type variantSet struct {
	word  []rune
	forms []string // normalised, without the word itself, deduplicated
}

// variantTable is variantSource normalised, longest word first so the
// expansion prefers 二维码 over a shorter word inside it. Built once at
// initialisation; read-only afterwards.
var variantTable = func() []variantSet {
	t := make([]variantSet, 0, len(variantSource))
	for _, v := range variantSource {
		w := NormalizeString(v.word)
		var forms []string
		for _, f := range v.forms {
			nf := NormalizeString(f)
			if nf != "" && nf != w && !slices.Contains(forms, nf) {
				forms = append(forms, nf)
			}
		}
		t = append(t, variantSet{word: []rune(w), forms: forms})
	}
	slices.SortStableFunc(t, func(a, b variantSet) int { return len(b.word) - len(a.word) })
	return t
}()

// HighRiskWords returns the normalised high-risk words and their variants,
// for documentation and the rule tester.
func HighRiskWords() map[string][]string {
	m := make(map[string][]string, len(variantTable))
	for _, v := range variantTable {
		m[string(v.word)] = slices.Clone(v.forms)
	}
	return m
}

// hasHighRiskWord reports whether normalised runes contain a word of the
// variant table; most keywords do not and skip expansion.
func hasHighRiskWord(runes []rune) bool {
	for i := range runes {
		for _, v := range variantTable {
			if runes[i] == v.word[0] && len(v.word) <= len(runes)-i && slices.Equal(runes[i:i+len(v.word)], v.word) {
				return true
			}
		}
	}
	return false
}

// expandVariants returns norm followed by its variants: first every variant
// with one high-risk word replaced, then with two, and so on, so that when
// the cap cuts the list short each single substitution has been kept.
// Occurrences are found left to right, longest word first, without overlap.
func expandVariants(norm string, limit int) []string {
	runes := []rune(norm)
	type seg struct {
		text  string
		forms []string // nil for literal text
	}
	var segs []seg
	lit := 0
	for i := 0; i < len(runes); {
		var hit *variantSet
		for k := range variantTable {
			w := variantTable[k].word
			if len(w) <= len(runes)-i && slices.Equal(runes[i:i+len(w)], w) {
				hit = &variantTable[k]
				break
			}
		}
		if hit == nil {
			i++
			continue
		}
		if lit < i {
			segs = append(segs, seg{text: string(runes[lit:i])})
		}
		segs = append(segs, seg{text: string(hit.word), forms: hit.forms})
		i += len(hit.word)
		lit = i
	}
	if lit == 0 && len(segs) == 0 {
		return []string{norm}
	}
	if lit < len(runes) {
		segs = append(segs, seg{text: string(runes[lit:])})
	}
	var vars []int // indices of variable segments
	for i, s := range segs {
		if s.forms != nil {
			vars = append(vars, i)
		}
	}

	out := make([]string, 0, min(limit, 8))
	seen := make(map[string]bool)
	choice := make([]int, len(segs)) // 0 = the word itself, j = forms[j-1]
	emit := func() {
		var sb strings.Builder
		for i, s := range segs {
			if choice[i] == 0 {
				sb.WriteString(s.text)
			} else {
				sb.WriteString(s.forms[choice[i]-1])
			}
		}
		if v := sb.String(); !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	// fill substitutes exactly left of the variable segments from vars[pos:].
	var fill func(pos, left int)
	fill = func(pos, left int) {
		if len(out) >= limit {
			return
		}
		if left == 0 {
			emit()
			return
		}
		if len(vars)-pos < left {
			return
		}
		si := vars[pos]
		for j := 1; j <= len(segs[si].forms) && len(out) < limit; j++ {
			choice[si] = j
			fill(pos+1, left-1)
		}
		choice[si] = 0
		fill(pos+1, left)
	}
	for k := 0; k <= len(vars) && len(out) < limit; k++ {
		fill(0, k)
	}
	return out
}
