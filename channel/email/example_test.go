package email_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/inboxkit/inboxkit/channel/email"
)

// Parse a message and read what the engine will receive.
func ExampleParser_Parse() {
	p, err := email.NewParser(email.ParseOptions{})
	if err != nil {
		panic(err)
	}
	raw := "From: =?UTF-8?Q?Zo=C3=A9?= <zoe@example.com>\r\n" +
		"Subject: =?UTF-8?Q?O=C3=B9_est_ma_commande_=3F?=\r\n" +
		"Message-ID: <1@example.com>\r\n" +
		"Auto-Submitted: auto-replied\r\n" +
		"\r\n" +
		"Je suis absente.\r\n"
	got, err := p.Parse(context.Background(), strings.NewReader(raw))
	if err != nil {
		panic(err)
	}
	in := got.Inbound
	fmt.Println(in.From.Name, in.From.Email)
	fmt.Println(in.Subject)
	fmt.Println(in.Automated, in.AutomatedReason)
	// Output:
	// Zoé zoe@example.com
	// Où est ma commande ?
	// true auto-submitted: auto-replied
}
