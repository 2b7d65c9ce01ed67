package email

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/inboxkit/inboxkit/inbox"
)

// folder is a mailbox folder to sync.
type folder struct {
	name string
	// sent marks the folder of our own sent mail: its messages are
	// agent messages.
	sent bool
	// optional folders are skipped when missing instead of failing.
	optional bool
}

// Pull fetches the mail of INBOX, the configured folders and the Sent
// folder that the cursor does not cover, and hands it to deliver in
// batches, each with the cursor that covers it. A UIDVALIDITY change
// re-reads the folder (the engine drops what it already has by
// Message-ID). A dropped connection returns an error wrapping
// inbox.ErrTemporary; the next Pull resumes from the last committed batch.
// Refused credentials return an error wrapping inbox.ErrUnauthorized.
func (c *Channel) Pull(ctx context.Context, cursorText string, deliver inbox.DeliverFunc) error {
	cur, err := parseCursor(cursorText)
	if err != nil {
		// A cursor we cannot read is started over: the engine's dedupe
		// keys make the re-read harmless.
		c.log.Warn("email: unreadable cursor, starting over", "err", err)
		cur, _ = parseCursor("")
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ic, err := c.dialIMAP(ctx, nil)
	if err != nil {
		return err
	}
	defer ic.logout()
	stop := context.AfterFunc(ctx, func() { ic.Close() })
	defer stop()

	folders, err := c.folders(ic)
	if err != nil {
		return c.ctxErr(parent, err)
	}

	// The next batch is fetched while the engine commits the previous
	// one; batches are still delivered one at a time, in order.
	run := &pullRun{pending: &blobWaits{}, batches: make(chan pendingBatch), ctx: ctx}
	run.parser, run.staged = c.parser.deferring(run.pending)
	var deliverErr error
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		for pb := range run.batches {
			if deliverErr != nil {
				continue
			}
			if pb.synced != nil {
				if err := <-pb.synced; err != nil {
					deliverErr = fmt.Errorf("email: keep %d messages of %s: %w", len(pb.batch.Messages), pb.folder, err)
					cancel()
					continue
				}
			}
			if _, err := deliver(ctx, pb.batch); err != nil {
				deliverErr = fmt.Errorf("email: deliver %d messages of %s: %w", len(pb.batch.Messages), pb.folder, err)
				cancel() // stops the fetching side
			}
		}
	}()
	for _, f := range folders {
		if err = c.pullFolder(ctx, ic, run, &cur, f); err != nil {
			break
		}
	}
	close(run.batches)
	<-delivered
	// Never leave writes running behind a failed pull.
	_ = run.pending.wait()
	run.syncs.Wait()
	switch {
	case deliverErr != nil:
		return deliverErr
	case err != nil:
		return c.ctxErr(parent, err)
	}
	return nil
}

// pendingBatch is a batch on its way to the deliver function.
type pendingBatch struct {
	batch  inbox.Batch
	folder string
	// synced, when set, yields the result of the Sync that makes the
	// batch's staged blobs durable; the batch waits for it.
	synced <-chan error
}

// pullRun is the state of one Pull shared by its folders.
type pullRun struct {
	ctx     context.Context
	batches chan pendingBatch
	parser  *Parser
	// pending holds the raw-message writes of the current batch, which
	// run side by side while the next messages are fetched.
	pending *blobWaits
	// staged, when set, is the BlobStore the parser stages blobs in;
	// syncs tracks the Syncs running for batches on their way.
	staged inbox.BlobBatcher
	syncs  sync.WaitGroup
}

// flush finishes the blob writes of a batch before it is committed.
func (r *pullRun) flush() error { return r.pending.wait() }

// send hands a batch to the delivering goroutine. A batch of messages
// whose blobs were staged (flush has returned, so every Stage has) first
// starts the Sync that makes them durable: it runs while the previous
// batch is committed and the next one fetched, and the batch is delivered
// only once it has succeeded.
func (r *pullRun) send(folder string, b inbox.Batch) error {
	pb := pendingBatch{batch: b, folder: folder}
	if r.staged != nil && len(b.Messages) > 0 {
		synced := make(chan error, 1)
		r.syncs.Go(func() { synced <- r.staged.Sync(r.ctx) })
		pb.synced = synced
	}
	select {
	case r.batches <- pb:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// ctxErr prefers the context's error when it ended, since closing the
// connection is how a cancelled pull stops.
func (c *Channel) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// folders lists the folders to sync: INBOX, the configured ones, then the
// Sent folder.
func (c *Channel) folders(ic *imapConn) ([]folder, error) {
	out := []folder{{name: "INBOX"}}
	seen := map[string]bool{"INBOX": true}
	for _, f := range c.opts.Folders {
		if !seen[f] {
			out = append(out, folder{name: f})
			seen[f] = true
		}
	}
	switch sent := c.opts.SentFolder; sent {
	case "-":
	case "":
		name, err := c.findSent(ic)
		if err != nil {
			return nil, err
		}
		if name != "" && !seen[name] {
			out = append(out, folder{name: name, sent: true, optional: true})
		}
	default:
		if !seen[sent] {
			out = append(out, folder{name: sent, sent: true})
		}
	}
	return out, nil
}

// sentNames are the usual names of the Sent folder on servers without
// SPECIAL-USE.
var sentNames = []string{"Sent", "Sent Items", "Sent Messages", "Sent Mail", "[Gmail]/Sent Mail", "INBOX.Sent", "INBOX/Sent", "Envoyés", "Éléments envoyés", "Gesendet", "Gesendete Elemente"}

// findSent returns the folder with the \Sent attribute or a usual name,
// "" when there is none.
func (c *Channel) findSent(ic *imapConn) (string, error) {
	var opts *imap.ListOptions
	if ic.caps.Has(imap.CapSpecialUse) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	list, err := ic.List("", "*", opts).Collect()
	if err != nil {
		return "", tempErr(c.opts.IMAP.Addr, "list folders", err)
	}
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrSent) {
			return l.Mailbox, nil
		}
	}
	for _, want := range sentNames {
		for _, l := range list {
			if strings.EqualFold(l.Mailbox, want) {
				return l.Mailbox, nil
			}
		}
	}
	return "", nil
}

// pullFolder fetches one folder's new mail.
func (c *Channel) pullFolder(ctx context.Context, ic *imapConn, run *pullRun, cur *cursor, f folder) error {
	addr := c.opts.IMAP.Addr
	condstore := ic.caps.Has(imap.CapCondStore)
	prev := cur.Folders[f.name]

	// A cheap STATUS tells whether anything arrived: a no-op poll stops
	// here, without selecting the folder.
	st, err := ic.Status(f.name, &imap.StatusOptions{UIDNext: true, UIDValidity: true, HighestModSeq: condstore}).Wait()
	if err != nil {
		var imapErr *imap.Error
		if f.optional && errors.As(err, &imapErr) {
			return nil
		}
		return tempErr(addr, "status of "+f.name, err)
	}
	if st.UIDValidity == prev.UIDValidity && prev.UIDValidity != 0 {
		if condstore && st.HighestModSeq != 0 && st.HighestModSeq == prev.ModSeq {
			return nil
		}
		if st.UIDNext != 0 && uint32(st.UIDNext) <= prev.LastUID+1 {
			return nil
		}
	}

	sel, err := ic.Select(f.name, &imap.SelectOptions{ReadOnly: !c.opts.MarkSeen, CondStore: condstore}).Wait()
	if err != nil {
		return tempErr(addr, "select "+f.name, err)
	}
	fc := prev
	first := fc.UIDValidity == 0
	if fc.UIDValidity != sel.UIDValidity {
		if !first {
			c.log.Warn("email: UIDVALIDITY changed, re-reading the folder", "folder", f.name, "was", fc.UIDValidity, "now", sel.UIDValidity)
		}
		fc = folderCursor{UIDValidity: sel.UIDValidity}
		first = true
	}

	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: imap.UID(fc.LastUID + 1), Stop: 0}}}}
	if first && c.opts.Since > 0 {
		criteria.Since = time.Now().Add(-c.opts.Since)
	}
	data, err := ic.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return tempErr(addr, "search "+f.name, err)
	}
	var uids []imap.UID
	for _, u := range data.AllUIDs() {
		// "n:*" always matches the last message, even below n.
		if uint32(u) > fc.LastUID {
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)

	// One FETCH covers several batches: Dovecot (maildir) may rescan the
	// whole folder at the start of each command, so a FETCH per batch
	// costs the server O(folder) per batch. Batches are still committed
	// one at a time as their messages arrive.
	window := c.opts.BatchSize * max(1, fetchWindow/c.opts.BatchSize)
	for start := 0; start < len(uids); start += window {
		win := uids[start:min(start+window, len(uids))]
		err := c.fetch(ctx, ic, run.parser, f, sel.UIDValidity, win, func(msgs []inbox.Inbound, through imap.UID) error {
			if err := run.flush(); err != nil {
				return fmt.Errorf("email: keep %d messages of %s: %w", len(msgs), f.name, err)
			}
			fc.LastUID = uint32(through)
			cur.Folders[f.name] = fc
			cs := cur.String()
			return run.send(f.name, inbox.Batch{IntegrationID: c.opts.IntegrationID, Cursor: &cs, Messages: msgs})
		})
		if err != nil {
			return err
		}
	}

	// Everything below UIDNEXT at selection time has now been seen (or
	// lies outside the first-sync window): move the cursor there, so
	// expunged or skipped UIDs are not searched again.
	committed := prev
	if len(uids) > 0 {
		committed = fc
	}
	done := fc
	if sel.UIDNext > 0 && uint32(sel.UIDNext)-1 > done.LastUID {
		done.LastUID = uint32(sel.UIDNext) - 1
	}
	if condstore {
		done.ModSeq = sel.HighestModSeq
	}
	if done != committed {
		cur.Folders[f.name] = done
		cs := cur.String()
		if err := run.send(f.name, inbox.Batch{IntegrationID: c.opts.IntegrationID, Cursor: &cs}); err != nil {
			return err
		}
	}
	return nil
}

// fetchWindow is about how many messages one FETCH command asks for.
const fetchWindow = 1000

// fetch reads the messages of uids (ascending) with BODY.PEEK[] in one
// command, streaming each into the parser, and hands them to emit in
// batches of BatchSize, each with the UID its cursor may move to: every
// UID of uids up to it has been read. A batch is emitted whole or not at
// all, so a dropped connection never commits a cursor past unfetched
// mail; the last batch moves the cursor to the last of uids once the
// command has completed, past messages the server no longer has.
func (c *Channel) fetch(ctx context.Context, ic *imapConn, parser *Parser, f folder, uidValidity uint32, uids []imap.UID, emit func([]inbox.Inbound, imap.UID) error) error {
	addr := c.opts.IMAP.Addr
	opts := &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{{Peek: !c.opts.MarkSeen}},
	}
	cmd := ic.Fetch(imap.UIDSetNum(uids...), opts)
	out := make([]inbox.Inbound, 0, min(len(uids), c.opts.BatchSize))
	// read holds the UIDs read beyond the first unread one of uids, next.
	read := map[imap.UID]bool{}
	next := 0
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var uid imap.UID
		var parsed *Parsed
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = it.UID
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				p, err := parser.Parse(ctx, &literalReader{r: it.Literal})
				if err != nil {
					// The connection broke inside a message: close it
					// rather than draining the command, whose reader
					// must not be touched again.
					ic.Close()
					return c.ctxErr(ctx, tempErr(addr, fmt.Sprintf("read message of %s", f.name), err))
				}
				parsed = p
			}
		}
		if uid == 0 || parsed == nil {
			continue
		}
		in := parsed.Inbound
		in.IntegrationID = c.opts.IntegrationID
		in.ProviderID = fmt.Sprintf("%d/%s/%d", uidValidity, f.name, uid)
		if f.sent {
			in.Own = true
		}
		c.resolveReplyToken(&in)
		out = append(out, in)
		read[uid] = true
		for next < len(uids) && read[uids[next]] {
			delete(read, uids[next])
			next++
		}
		if len(out) >= c.opts.BatchSize && next > 0 && next < len(uids) {
			if err := emit(out, uids[next-1]); err != nil {
				// The command is abandoned halfway: its reader must not
				// be touched again.
				ic.Close()
				return c.ctxErr(ctx, err)
			}
			out = make([]inbox.Inbound, 0, c.opts.BatchSize)
		}
	}
	if err := cmd.Close(); err != nil {
		return c.ctxErr(ctx, tempErr(addr, "fetch from "+f.name, err))
	}
	return emit(out, uids[len(uids)-1])
}

// literalReader turns a literal that ends before its announced size (the
// connection closed cleanly mid-message) into io.ErrUnexpectedEOF, so a
// cut-off message is never taken for a whole one.
type literalReader struct {
	r    imap.LiteralReader
	read int64
}

func (l *literalReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.read += int64(n)
	if err == io.EOF && l.read < l.r.Size() {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
