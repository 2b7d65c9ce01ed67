package classify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/classify/learn"
	"github.com/inboxkit/inboxkit/inbox"
)

func inputOfLabelled(m labelledMessage) inbox.ClassifyInput {
	msg := inbox.Message{Subject: m.Subject, Text: m.Text, Source: inbox.Source(m.Channel), Language: m.Language}
	if strings.Contains(m.Sender, "@") {
		msg.From.Email = m.Sender
	} else {
		msg.From.Phone = m.Sender
	}
	return inbox.ClassifyInput{Tenant: inbox.Tenant{ID: "t"}, Message: msg}
}

// TestIntentAccuracy measures the offline intent and urgency classifier
// on testdata/companies.jsonl, leaving one company out: the classifier
// that labels a company's messages was trained on the four others.
func TestIntentAccuracy(t *testing.T) {
	ms, err := parseLabelled(companies)
	require.NoError(t, err)
	var companyNames []string
	for _, m := range ms {
		if !slices.Contains(companyNames, m.Company) {
			companyNames = append(companyNames, m.Company)
		}
	}
	type result struct {
		m       labelledMessage
		intent  string
		urgency inbox.Urgency
	}
	var results []result
	for _, company := range companyNames {
		var train []learn.Example
		for _, m := range ms {
			if m.Company != company {
				train = append(train, m.example(m.Intent))
			}
		}
		c := Intents(IntentOptions{MinConfidence: -1})
		c.train = train
		for _, m := range ms {
			if m.Company != company {
				continue
			}
			d, err := c.Classify(context.Background(), inputOfLabelled(m))
			require.NoError(t, err)
			results = append(results, result{m, string(d.Intent), d.Urgency})
		}
	}
	labels := []string{"order", "invoice", "appointment", "complaint", "cancellation", "question", "spam", "other"}
	var b strings.Builder
	fmt.Fprintf(&b, "\nintent, leave one company out, %d messages\n  %-13s %9s %9s %9s %6s\n", len(results), "intent", "precision", "recall", "F1", "n")
	var macro float64
	right := 0
	for _, r := range results {
		if r.intent == r.m.Intent {
			right++
		}
	}
	for _, l := range labels {
		tp, fp, fn := 0, 0, 0
		for _, r := range results {
			switch {
			case r.intent == l && r.m.Intent == l:
				tp++
			case r.intent == l:
				fp++
			case r.m.Intent == l:
				fn++
			}
		}
		p := float64(tp) / float64(max(tp+fp, 1))
		rc := float64(tp) / float64(max(tp+fn, 1))
		f1 := 0.0
		if p+rc > 0 {
			f1 = 2 * p * rc / (p + rc)
		}
		macro += f1
		fmt.Fprintf(&b, "  %-13s %8.1f%% %8.1f%% %9.2f %6d\n", l, 100*p, 100*rc, f1, tp+fn)
	}
	macro /= float64(len(labels))
	fmt.Fprintf(&b, "  accuracy %.1f %%, macro-F1 %.2f\n", 100*float64(right)/float64(len(results)), macro)

	tp, fp, fn := 0, 0, 0
	levels := map[[2]string]int{}
	for _, r := range results {
		want := r.m.Urgency >= 2
		got := r.urgency == inbox.UrgencyHigh
		levels[[2]string{string(urgencyOf(r.m.Urgency)), string(r.urgency)}]++
		switch {
		case want && got:
			tp++
		case got:
			fp++
		case want:
			fn++
		}
	}
	urgentRecall := float64(tp) / float64(max(tp+fn, 1))
	fmt.Fprintf(&b, "\nurgency (urgent = level 2-3 = high): recall %.1f %% (%d/%d), precision %.1f %% (%d/%d)\n",
		100*urgentRecall, tp, tp+fn, 100*float64(tp)/float64(max(tp+fp, 1)), tp, tp+fp)
	fmt.Fprintf(&b, "  %-8s %6s %6s %6s   (rows: labelled, columns: reported)\n", "", "low", "normal", "high")
	for _, want := range []string{"low", "normal", "high"} {
		fmt.Fprintf(&b, "  %-8s %6d %6d %6d\n", want, levels[[2]string{want, "low"}], levels[[2]string{want, "normal"}], levels[[2]string{want, "high"}])
	}
	t.Log(b.String())
	require.GreaterOrEqual(t, macro, 0.80, "intent macro-F1")
	require.GreaterOrEqual(t, urgentRecall, 0.90, "urgent recall")
}
