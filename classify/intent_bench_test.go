package classify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/inboxkit/inboxkit/classify"
	"github.com/inboxkit/inboxkit/inbox"
)

// BenchmarkIntents measures the offline intent and urgency labeller on a
// short message and on a long one (6 kB of text, as a message with its
// quoted history), per message.
func BenchmarkIntents(b *testing.B) {
	c := classify.Intents(classify.IntentOptions{})
	for _, tc := range []struct {
		name string
		text string
	}{
		{"short", "Bonjour, je n'ai toujours pas reçu ma commande 12345, pouvez-vous me dire où elle en est ? Merci."},
		{"long", strings.Repeat("Bonjour, je vous écris au sujet de ma commande et de sa livraison. ", 90)},
	} {
		in := inbox.ClassifyInput{Message: inbox.Message{Subject: "Ma commande", Text: tc.text}}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.Classify(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
