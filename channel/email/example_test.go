package email_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/inboxkit/inboxkit/channel/email"
	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/storage/blob"
	"github.com/inboxkit/inboxkit/storage/memstore"
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

// Wire the email channel into an engine: integrations of kind email are
// built from their settings, with the password opened by the engine's
// Sealer only when a sync or a send needs it.
func ExampleFactory() {
	blobs := blob.NewMemory()
	eng, err := inbox.New(inbox.Options{
		Store: memstore.New(),
		Blobs: blobs,
		Channels: map[inbox.Source]inbox.ChannelFactory{
			inbox.SourceEmail: email.Factory(email.FactoryOptions{Blobs: blobs}),
		},
		// Quarantined mail can be replayed once the parser improves.
		Parsers: map[inbox.Source]inbox.RawParser{inbox.SourceEmail: mustParser(blobs)},
	})
	if err != nil {
		panic(err)
	}
	defer eng.Close()

	integration := inbox.Integration{
		ID: "support-mail", TenantID: "acme", Kind: inbox.SourceEmail, Enabled: true,
		Config: map[string]string{
			email.ConfigIMAPHost:   "imap.example.com", // implicit TLS on 993
			email.ConfigSMTPHost:   "smtp.example.com", // implicit TLS on 465
			email.ConfigUsername:   "support@example.com",
			email.ConfigAddress:    "support@example.com",
			email.ConfigSinceDays:  "30",
			email.ConfigReplyToken: "true",
		},
		// Secrets[email.SecretPassword] holds the sealed password.
	}
	fmt.Println(integration.Config[email.ConfigIMAPHost])
	// Then: eng.Sync(ctx, "acme", "support-mail") fetches new mail and
	// reports fetched/new/duplicates/quarantined; the outbox sends replies.

	// Output: imap.example.com
}

func mustParser(blobs inbox.BlobStore) *email.Parser {
	p, err := email.NewParser(email.ParseOptions{Tenant: "acme", Blobs: blobs})
	if err != nil {
		panic(err)
	}
	return p
}
