package email

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"github.com/inboxkit/inboxkit/inbox"
)

var _ inbox.ConnectionTester = (*Channel)(nil)

// TestConnection implements inbox.ConnectionTester: it logs in to the
// IMAP server and opens INBOX read-only, then, when an SMTP server is
// configured, greets it and authenticates. Nothing is fetched, changed or
// sent. Failures carry a sentence for the people using the inbox
// (inbox.PlainError).
func (c *Channel) TestConnection(ctx context.Context) error {
	ic, err := c.dialIMAP(ctx, nil)
	if err != nil {
		return err
	}
	_, err = ic.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	ic.logout()
	if err != nil {
		return inbox.Plainly(tempErr(c.opts.IMAP.Addr, "select INBOX", err),
			"The mail server accepted the login, but the account's INBOX could not be opened.")
	}
	if c.opts.SMTP.Addr == "" {
		return nil
	}
	client, stop, err := c.dialSMTP(ctx)
	if err != nil {
		return err
	}
	defer stop()
	defer client.Close()
	if err := client.Quit(); err != nil {
		return fmt.Errorf("smtp %s: quit: %w", c.opts.SMTP.Addr, err)
	}
	return nil
}
