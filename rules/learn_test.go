package rules

import (
	"math"
	"testing"
)

func TestLearnIsBounded(t *testing.T) {
	m, err := ShippedModel()
	if err != nil {
		t.Fatal(err)
	}
	var c Corrections
	text := "今天的读书会改到周六下午"
	before := m.Classify(text, &c).P
	changed := m.Learn(&c, text, true)
	if len(changed) == 0 {
		t.Fatal("a spam label on an ordinary-looking text changed nothing")
	}
	for b, d := range changed {
		if math.Abs(float64(d)) > MaxStep+1e-6 {
			t.Fatalf("bucket %d moved %.3f in one step, more than %.2f", b, d, MaxStep)
		}
	}
	c.Apply(changed)
	after := m.Classify(text, &c).P
	if after <= before {
		t.Fatalf("spam label did not raise the score: %.3f → %.3f", before, after)
	}
	if after > DefaultStrikeAbove {
		t.Fatalf("one label swung an ordinary text over the strike threshold: %.3f → %.3f", before, after)
	}
	// Many labels saturate: no bucket beyond MaxDelta.
	for range 50 {
		c.Apply(m.Learn(&c, text, true))
	}
	for b, d := range c.Snapshot() {
		if math.Abs(float64(d)) > MaxDelta+1e-6 {
			t.Fatalf("bucket %d reached %.3f, beyond %.2f", b, d, MaxDelta)
		}
	}
	// And the other way: an ordinary label lowers the score of a spam text.
	var h Corrections
	spam := "𝐔𝐗４４４２加微舒服"
	p0 := m.Classify(spam, &h).P
	h.Apply(m.Learn(&h, spam, false))
	if p1 := m.Classify(spam, &h).P; p1 >= p0 {
		t.Fatalf("ordinary label did not lower the score: %.3f → %.3f", p0, p1)
	}
}

func TestContactDetectors(t *testing.T) {
	for _, tc := range []struct {
		text, check, evidence string
	}{
		{"CAD571 来玩", CheckContactCode, "CAD571"},
		{"搜 ＴＡＤ７６５", CheckContactCode, "ＴＡＤ７６５"},
		{"𝐔𝐗４４４２狂干少女", CheckContactCode, "𝐔𝐗４４４２"},
		{"СΕΚ571", CheckContactCode, "СΕΚ571"},
		{"有事找喂心", CheckContactAlias, "喂心"},
		{"乞鹅联系", CheckContactAlias, "乞鹅"},
		{"飞机 abc123", CheckContactAlias, "飞机"},
		{"纸飞机联系我", CheckContactAlias, "纸飞机"},
		{"斯挖 看我", CheckContactAlias, "斯挖"},
	} {
		res := DetectContent(tc.text, DefaultDetectorOptions())
		found := false
		for _, r := range res {
			if r.Check == tc.check && r.Evidence == tc.evidence && tc.text[r.Span.Start:r.Span.End] == tc.evidence {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: want %s %q, got %+v", tc.text, tc.check, tc.evidence, res)
		}
	}
	for _, ok := range []string{"他在群里很有威信", "坐飞机去北京", "我买了 mx500", "DASD-980 型号", "win10 系统", "卫星发射成功", "iphone15 pro"} {
		for _, r := range DetectContent(ok, DefaultDetectorOptions()) {
			if r.Check == CheckContactCode || r.Check == CheckContactAlias {
				t.Errorf("%q: %s fired on %q", ok, r.Check, r.Evidence)
			}
		}
	}
}

func TestRulesetClassifierResult(t *testing.T) {
	m, err := ShippedModel()
	if err != nil {
		t.Fatal(err)
	}
	o, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	o.Classifier = &ClassifierOptions{Model: m, StrikeAbove: DefaultStrikeAbove, ReviewAbove: DefaultReviewAbove, Gate: true,
		KeywordsAbove: DefaultKeywordsAbove}
	rs, err := NewRuleset(o)
	if err != nil {
		t.Fatal(err)
	}
	var got *Result
	for _, r := range rs.CheckText("专业出U，担保交易，车队接料") {
		if r.Check == CheckClassifier {
			got = &r
		}
	}
	if got == nil || got.Action != ActionStrike || got.Score <= DefaultStrikeAbove || got.Span.End <= got.Span.Start {
		t.Fatalf("classifier result: %+v", got)
	}
	// Swearing in ordinary chat: the abuse word asks the owner, nothing strikes.
	for _, r := range rs.CheckText("谁买谁傻逼") {
		if r.Action != ActionReview {
			t.Fatalf("abuse in ordinary chat acts: %+v", r)
		}
	}
	bad := o
	bad.Classifier = &ClassifierOptions{Model: m, StrikeAbove: 0.5, ReviewAbove: 0.9}
	if _, err := NewRuleset(bad); err == nil {
		t.Fatal("review above strike accepted")
	}
}

// The ordinary sentences the lexicon must not match are not acted on by the classifier
// either (a review request is allowed: it punishes nobody).
func TestOrdinaryChatWithClassifier(t *testing.T) {
	m, err := ShippedModel()
	if err != nil {
		t.Fatal(err)
	}
	o, err := DefaultOptions()
	if err != nil {
		t.Fatal(err)
	}
	o.Classifier = &ClassifierOptions{Model: m, StrikeAbove: DefaultStrikeAbove, ReviewAbove: DefaultReviewAbove, Gate: true,
		KeywordsAbove: DefaultKeywordsAbove}
	rs, err := NewRuleset(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ordinaryChat {
		for _, r := range rs.CheckText(s) {
			if r.Action != ActionReview {
				t.Errorf("%q: %s acts: %s", s, r.Check, r.Reason)
			}
		}
	}
}
