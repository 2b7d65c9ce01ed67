package classify_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/inboxkit/inboxkit/classify"
	"github.com/inboxkit/inboxkit/inbox"
)

// vipClassifier is a custom classifier: any type with a Classify method.
// It flags messages from the tenant's key accounts as urgent and leaves
// the folder to the classifiers after it: a decision without FolderID
// does not end a Chain, its labels are merged into the filing decision.
type vipClassifier struct {
	domains map[string]bool
}

func (v vipClassifier) Name() string { return "vip" }

func (v vipClassifier) Classify(_ context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	email := inbox.NormalizeEmail(in.Message.From.Email)
	_, domain, _ := strings.Cut(email, "@")
	if !v.domains[domain] {
		return inbox.Decision{}, nil // abstain: the next classifier decides
	}
	return inbox.Decision{
		Status:     inbox.StatusUrgent,
		Urgency:    inbox.UrgencyHigh,
		Tags:       []string{"key-account"},
		Confidence: 1,
		Reason:     "sender domain " + domain + " is a key account",
	}, nil
}

// A worked example of a custom classifier in a chain: a keyword
// classifier written as a function, a custom type, and a default.
func Example() {
	keywords := classify.Named("keywords", inbox.ClassifierFunc(func(_ context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
		if strings.Contains(strings.ToLower(in.Message.Text), "facture") {
			return inbox.Decision{FolderID: "billing", Intent: inbox.IntentQuestion, Confidence: 0.7, Reason: `text mentions "facture"`}, nil
		}
		return inbox.Decision{}, nil
	}))
	c := classify.Chain(keywords, vipClassifier{domains: map[string]bool{"bigcorp.com": true}},
		classify.Fallback(inbox.Decision{FolderID: "general"}))

	for _, m := range []inbox.Message{
		{From: inbox.Party{Email: "ana@shop.fr"}, Text: "Ma facture est fausse"},
		{From: inbox.Party{Email: "ceo@BigCorp.com"}, Text: "Rappelez-moi"},
		{From: inbox.Party{Email: "bob@mail.fr"}, Text: "Bonjour"},
	} {
		d, err := c.Classify(context.Background(), inbox.ClassifyInput{Message: m})
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s by %s: folder=%q status=%q (%s)\n", m.From.Email, d.By, d.FolderID, d.Status, d.Reason)
	}
	// Output:
	// ana@shop.fr by keywords: folder="billing" status="" (text mentions "facture")
	// ceo@BigCorp.com by default: folder="general" status="urgent" (no other classifier decided; sender domain bigcorp.com is a key account)
	// bob@mail.fr by default: folder="general" status="" (no other classifier decided)
}
