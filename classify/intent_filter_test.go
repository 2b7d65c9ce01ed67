package classify

import "testing"

// TestUrgencyRulesAreFiltered keeps the rules cheap on long messages:
// each must have a literal prefilter, so a text holding none of its
// words is never scanned by the regular expression.
func TestUrgencyRulesAreFiltered(t *testing.T) {
	for _, r := range urgencyRules {
		if !r.re.Filtered() {
			t.Errorf("urgency rule %q has no literal start strings; keep each alternative starting with a literal", r.why)
		}
	}
	if !cancelWords.Filtered() {
		t.Error("cancelWords has no literal start strings")
	}
}
