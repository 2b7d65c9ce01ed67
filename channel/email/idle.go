package email

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/inboxkit/inboxkit/inbox"
)

// Reconnection delays of Watch.
const (
	watchMinBackoff = time.Second
	watchMaxBackoff = 5 * time.Minute
	// watchStable is how long a session must last for the backoff to
	// start again from the minimum.
	watchStable = time.Minute
)

// Watch keeps a connection to INBOX and calls notify when the server
// reports new mail (IMAP IDLE), once after every (re)connection to catch
// up, and every PollInterval when the server has no IDLE. It reconnects
// with exponential backoff and jitter; refused credentials wait the
// longest delay so a wrong password never turns into a retry storm. It
// returns nil when ctx ends.
func (c *Channel) Watch(ctx context.Context, notify func()) error {
	backoff := watchMinBackoff
	for {
		started := time.Now()
		err := c.watchOnce(ctx, notify)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(started) > watchStable {
			backoff = watchMinBackoff
		}
		wait := backoff
		if errors.Is(err, inbox.ErrUnauthorized) {
			wait = watchMaxBackoff
		}
		wait = wait/2 + rand.N(wait/2+1)
		c.log.Warn("email: watch connection lost, reconnecting", "err", err, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(backoff*2, watchMaxBackoff)
	}
}

// watchOnce runs one watching session until the connection fails or ctx
// ends.
func (c *Channel) watchOnce(ctx context.Context, notify func()) error {
	arrived := make(chan struct{}, 1)
	signal := func() {
		select {
		case arrived <- struct{}{}:
		default:
		}
	}
	handler := &imapclient.UnilateralDataHandler{
		Mailbox: func(data *imapclient.UnilateralDataMailbox) {
			if data.NumMessages != nil {
				signal()
			}
		},
	}
	ic, err := c.dialIMAP(ctx, handler)
	if err != nil {
		return err
	}
	defer ic.Close()
	stop := context.AfterFunc(ctx, func() { ic.Close() })
	defer stop()
	if _, err := ic.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return tempErr(c.opts.IMAP.Addr, "select INBOX", err)
	}
	notify()

	if !ic.caps.Has(imap.CapIdle) && !ic.caps.Has(imap.CapIMAP4rev2) {
		return c.poll(ctx, ic, notify)
	}
	for {
		idle, err := ic.Idle()
		if err != nil {
			return tempErr(c.opts.IMAP.Addr, "idle", err)
		}
		renew := time.NewTimer(c.opts.PollInterval)
		var gotMail bool
		select {
		case <-ctx.Done():
		case <-arrived:
			gotMail = true
		case <-renew.C:
		case <-ic.Closed():
		}
		renew.Stop()
		closeErr := idle.Close()
		waitErr := idle.Wait()
		if ctx.Err() != nil {
			return nil
		}
		if err := errors.Join(closeErr, waitErr); err != nil {
			return tempErr(c.opts.IMAP.Addr, "idle", err)
		}
		select {
		case <-ic.Closed():
			return fmt.Errorf("imap %s: connection closed: %w", c.opts.IMAP.Addr, inbox.ErrTemporary)
		default:
		}
		if gotMail {
			notify()
		} else if err := ic.Noop().Wait(); err != nil {
			// The renewal doubles as a liveness check.
			return tempErr(c.opts.IMAP.Addr, "noop", err)
		}
		// A message that arrived while IDLE was being closed.
		select {
		case <-arrived:
			notify()
		default:
		}
	}
}

// poll asks for a pull every PollInterval on servers without IDLE, using
// NOOP to receive new-mail notices in between.
func (c *Channel) poll(ctx context.Context, ic *imapConn, notify func()) error {
	t := time.NewTicker(c.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := ic.Noop().Wait(); err != nil {
				return tempErr(c.opts.IMAP.Addr, "noop", err)
			}
			notify()
		}
	}
}
