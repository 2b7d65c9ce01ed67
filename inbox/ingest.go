package inbox

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// IngestStatus is what happened to one inbound message.
type IngestStatus string

// Ingest outcomes.
const (
	IngestStored      IngestStatus = "stored"
	IngestDuplicate   IngestStatus = "duplicate"
	IngestQuarantined IngestStatus = "quarantined"
	// IngestSkipped: dropped on purpose by tenant policy (newsletter skip).
	IngestSkipped IngestStatus = "skipped"
)

// IngestItem reports one message of a batch, in batch order.
type IngestItem struct {
	Status         IngestStatus
	MessageID      string // stored (or, for duplicates, the original) message
	ConversationID string
	// NewConversation is true when the message started a conversation.
	NewConversation bool
	// Reason explains a quarantine or skip, or how the message was threaded.
	Reason string
}

// IngestResult reports a batch.
type IngestResult struct {
	Items       []IngestItem
	Stored      int
	Duplicates  int
	Quarantined int
	Skipped     int
}

// maxIngestAttempts bounds retries of a batch whose transaction lost a race:
// on a unique key (two instances ingesting the same mail at once), or on a
// conversation's version (mailboxes synced side by side whose messages
// thread into one conversation). Each retry waits a random time that
// grows with the attempt (ingestBackoff), so contenders spread out; a
// conversation half a dozen writers reply into at once under load needs
// more than eight rounds for the unluckiest of them.
const maxIngestAttempts = 16

// ingestBackoff is the wait before retry attempt (1-based) of a batch: a
// random duration below 2 ms doubled per attempt, at most 250 ms.
func ingestBackoff(attempt int) time.Duration {
	limit := min(2*time.Millisecond<<attempt, 250*time.Millisecond)
	return rand.N(limit)
}

// Ingest stores inbound messages for tenant: see IngestBatch.
func (e *Engine) Ingest(ctx context.Context, tenant TenantID, msgs []Inbound) (IngestResult, error) {
	return e.IngestBatch(ctx, tenant, Batch{Messages: msgs})
}

// IngestBatch makes a batch durable in one transaction, together with its
// cursor and audit entries, then files new conversations and publishes
// events.
//
// Each message is de-duplicated (provider id per integration, Message-ID
// per tenant), threaded, and linked to a contact created on first sight.
// A message that is invalid or that the channel could not parse is
// quarantined with its reason while the rest of the batch is stored; a
// duplicate is reported, not an error. An error is returned only when
// nothing was stored: unknown tenant (ErrNotFound), malformed batch
// (ErrInvalid), or a store failure.
func (e *Engine) IngestBatch(ctx context.Context, tenantID TenantID, b Batch) (IngestResult, error) {
	tenant, err := e.tenant(ctx, tenantID)
	if err != nil {
		return IngestResult{}, fmt.Errorf("ingest: %w", err)
	}
	start := time.Now()
	defer func() { e.metrics.observe("ingest_batch_seconds", time.Since(start)) }()
	defer e.intake.begin()()
	prepared := make([]preparedInbound, len(b.Messages))
	for i := range b.Messages {
		prepared[i] = e.prepare(tenant, b, i)
	}

	var out ingestOutcome
	for attempt := 1; ; attempt++ {
		err = e.updateTx(ctx, tenantID, func(tx storeTx) error {
			w := ingestTx{ctx: ctx, e: e, tx: tx, tenant: tenant, now: e.clock.Now()}
			var err error
			out, err = w.run(prepared, b)
			return err
		})
		if err == nil || !errors.Is(err, ErrConflict) || attempt == maxIngestAttempts || ctx.Err() != nil {
			break
		}
		// A concurrent ingest took one of our keys (they now read as
		// duplicates) or changed a conversation we thread into: retry.
		select {
		case <-ctx.Done():
		case <-time.After(ingestBackoff(attempt)):
		}
	}
	if err != nil {
		// Nothing of the batch was stored: the files its channel kept for
		// it belong to nothing (a new fetch keeps new copies).
		var keys []string
		for _, p := range prepared {
			keys = append(keys, blobKeys(p.in)...)
		}
		e.deleteBlobs(ctx, tenantID, keys)
		return IngestResult{}, fmt.Errorf("ingest %d messages for tenant %q: %w", len(b.Messages), tenantID, err)
	}
	e.deleteBlobs(ctx, tenantID, out.unusedBlobs)
	e.metrics.add("ingested", out.result.Stored)
	e.metrics.add("duplicates", out.result.Duplicates)
	e.metrics.add("quarantined", out.result.Quarantined)
	e.metrics.add("skipped", out.result.Skipped)
	e.bus.publish(out.events...)
	// Fast classifiers file new conversations on the request path (those
	// the batch created were filed in its transaction); slow ones run as
	// the background work the batch enqueued, which starts once the
	// filing is done (an auto-reply depends on the folder).
	toFile := slices.DeleteFunc(slices.Clone(out.toFile), func(id string) bool { return out.filed[id] != "" })
	if inline := e.inlineClassifier(); len(toFile) > 0 && inline != nil {
		e.classifyConversations(ctx, tenant, toFile, inline)
	}
	if out.work > 0 {
		e.kickWork()
	}
	return out.result, nil
}

// inlineClassifier is the part of the classifier that runs at intake:
// all of it, or only its fast part (DeferredClassifier).
func (e *Engine) inlineClassifier() Classifier {
	if d, ok := e.classifier.(DeferredClassifier); ok {
		return d.Inline()
	}
	return e.classifier
}

// enqueueWork writes the background work a batch makes necessary, in its
// transaction: the slow classification of conversations left unfiled, an
// answer to each conversation's newest customer message when a folder of
// the tenant answers automatically, and the linking of new contacts.
func (w *ingestTx) enqueueWork(toFile []string, lastInbound map[string]string) (int, error) {
	var items []WorkItem
	_, deferred := w.e.classifier.(DeferredClassifier)
	classifying := map[string]bool{}
	if deferred {
		// The classification carries the message to answer: it enqueues
		// the auto-reply once it has filed the conversation (see
		// autoReplyAfterFiling), instead of an auto-reply waiting for it.
		for _, id := range toFile {
			classifying[id] = true
			items = append(items, WorkItem{Kind: WorkClassify, Key: id, Payload: lastInbound[id]})
		}
	}
	if w.e.responder != nil && len(lastInbound) > 0 {
		folders, err := w.tx.ListFolders()
		if err != nil {
			return 0, fmt.Errorf("list folders: %w", err)
		}
		if slices.ContainsFunc(folders, func(f Folder) bool { return f.AutoReply.Mode != AutoReplyOff }) {
			for _, id := range sortedKeys(lastInbound) {
				if !classifying[id] {
					items = append(items, WorkItem{Kind: WorkAutoReply, Key: id, Payload: lastInbound[id]})
				}
			}
		}
	}
	if w.e.directory != nil {
		for _, id := range w.newContacts {
			items = append(items, WorkItem{Kind: WorkLinkContact, Key: id})
		}
	}
	for i := range items {
		items[i].TenantID, items[i].NotBefore, items[i].CreatedAt, items[i].UpdatedAt = w.tenant.ID, w.now, w.now, w.now
		if err := w.tx.PutWork(&items[i]); err != nil {
			return 0, fmt.Errorf("enqueue %s work: %w", items[i].Kind, err)
		}
	}
	return len(items), nil
}

// ingestOutcome is what a committed batch leaves for after-commit work.
type ingestOutcome struct {
	result IngestResult
	events []Event
	toFile []string // conversations to classify
	// filed are the conversations of toFile filed in the transaction
	// (see fileNew).
	filed map[string]string
	// lastInbound maps a conversation to its newest customer message of
	// the batch: the one an auto-reply would answer.
	lastInbound map[string]string
	newContacts []string
	work        int // background work items enqueued
	// unusedBlobs are the files of messages not kept (duplicates,
	// skipped, quarantined again): deleted after the commit.
	unusedBlobs []string
}

// preparedInbound is an inbound message after validation and key
// derivation, before the transaction.
type preparedInbound struct {
	in         Inbound
	invalid    string // reason to quarantine
	qkey       string // QuarantineItem.Key of an invalid message
	skip       string // reason to skip
	dedupe     []string
	threadKeys []string // keys this message will be findable by
	lookups    []lookupKey
	contact    Party
	direction  Direction
}

// lookupKey is a thread key to look for, with the reason recorded when it
// matches.
type lookupKey struct {
	key, reason string
}

func (e *Engine) prepare(tenant Tenant, b Batch, i int) preparedInbound {
	p := e.check(tenant, b, i)
	if p.invalid == "" {
		return p
	}
	// A message that cannot be stored is quarantined once, however often
	// its channel delivers it again; once replayed, it is a duplicate.
	p.dedupe, p.threadKeys, p.lookups = nil, nil, nil
	if p.in.ProviderID != "" && p.in.IntegrationID != "" {
		p.dedupe = []string{"p:" + p.in.IntegrationID + ":" + p.in.ProviderID}
		p.qkey = "p:" + p.in.IntegrationID + ":" + p.in.ProviderID
	} else {
		p.qkey = "h:" + inboundHash(p.in)
	}
	return p
}

// inboundHash identifies an inbound message by its content, leaving out
// what differs between two fetches of the same message (where its raw
// bytes and files were kept).
func inboundHash(in Inbound) string {
	in.RawKey = ""
	in.Attachments = append([]Attachment(nil), in.Attachments...)
	for i := range in.Attachments {
		in.Attachments[i].ID, in.Attachments[i].BlobKey = "", ""
	}
	raw, _ := json.Marshal(in)
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

// check validates one message of a batch and derives its keys.
func (e *Engine) check(tenant Tenant, b Batch, i int) preparedInbound {
	in := b.Messages[i]
	in.clean()
	p := preparedInbound{in: in}
	if in.IntegrationID == "" {
		p.in.IntegrationID = b.IntegrationID
		in.IntegrationID = b.IntegrationID
	}
	field := func(name string) string { return fmt.Sprintf("messages[%d].%s", i, name) }
	if in.ParseError != "" {
		p.invalid = "unparsable: " + in.ParseError
		return p
	}
	if b.IntegrationID != "" && in.IntegrationID != b.IntegrationID {
		p.invalid = Invalid(field("integration_id"), "differs from the batch's integration").Error()
		return p
	}
	if !in.Source.Valid() {
		p.invalid = Invalid(field("source"), fmt.Sprintf("%q is not a kind name (lower-case letters, digits, '_' or '-')", clipValue(string(in.Source)))).Error()
		return p
	}
	p.in.MessageID = CleanMessageID(in.MessageID)
	p.in.InReplyTo = CleanMessageID(in.InReplyTo)
	p.in.From.Email = NormalizeEmail(in.From.Email)
	p.in.From.Phone = NormalizePhone(in.From.Phone)
	in = p.in

	p.direction = DirectionIn
	p.contact = in.From
	if in.Own {
		p.direction = DirectionOut
		p.contact = Party{}
		if len(in.To) > 0 {
			p.contact = in.To[0]
		}
		if p.contact.IsZero() {
			p.invalid = Invalid(field("to"), "our own message has no recipient").Error()
			return p
		}
	} else {
		if in.From.IsZero() {
			p.invalid = Invalid(field("from"), "has no email, phone or id").Error()
			return p
		}
		// Contact forms send from a system address with the customer in
		// Reply-To: the customer is the contact.
		if in.Source == SourceEmail && !in.Automated && len(in.ReplyTo) > 0 && in.ReplyTo[0].Email != "" &&
			NormalizeEmail(in.ReplyTo[0].Email) != in.From.Email {
			p.contact = in.ReplyTo[0]
		}
	}
	p.contact.Email = NormalizeEmail(p.contact.Email)
	p.contact.Phone = NormalizePhone(p.contact.Phone)
	if in.Source == SourceEmail && p.contact.Email == "" && p.contact.ID == "" {
		p.invalid = Invalid(field("from.email"), "an email without a sender address").Error()
		return p
	}
	if (in.Source == SourceSMS || in.Source == SourceWhatsApp) && p.contact.Phone == "" {
		p.invalid = Invalid(field("from.phone"), "an "+string(in.Source)+" message without a phone number").Error()
		return p
	}
	if in.ProviderID == "" && in.MessageID == "" && in.Source != SourceEmail {
		p.invalid = Invalid(field("provider_id"), "is required to recognise duplicates").Error()
		return p
	}
	if in.Newsletter && tenant.Settings.Newsletter == NewsletterSkip {
		p.skip = "newsletter skipped by tenant policy"
	}

	if in.ProviderID != "" {
		p.dedupe = append(p.dedupe, "p:"+in.IntegrationID+":"+in.ProviderID)
	}
	if in.Source == SourceEmail {
		if in.MessageID != "" {
			// The sender is part of the key: broken mailers reuse fixed
			// Message-IDs for unrelated mail, while one mail seen in two
			// folders or mailboxes keeps its sender.
			p.dedupe = append(p.dedupe, "m:"+in.MessageID+"|"+in.From.Email)
			p.threadKeys = append(p.threadKeys, "m:"+in.MessageID)
		} else {
			p.dedupe = append(p.dedupe, "s:"+contentHash(in))
		}
		if in.InReplyTo != "" {
			p.lookups = append(p.lookups, lookupKey{"m:" + in.InReplyTo, "in-reply-to <" + in.InReplyTo + ">"})
		}
		for j := len(in.References) - 1; j >= 0; j-- {
			ref := CleanMessageID(in.References[j])
			if ref != "" && ref != in.InReplyTo {
				p.lookups = append(p.lookups, lookupKey{"m:" + ref, "references <" + ref + ">"})
			}
		}
		if root := ThreadIndexRoot(in.ThreadIndex); root != "" {
			p.threadKeys = append(p.threadKeys, "t:"+root)
			p.lookups = append(p.lookups, lookupKey{"t:" + root, "outlook thread-index"})
		}
	}
	if in.ThreadKey != "" {
		k := "k:" + in.IntegrationID + ":" + in.ThreadKey
		p.threadKeys = append(p.threadKeys, k)
		p.lookups = append(p.lookups, lookupKey{k, "thread key " + in.ThreadKey})
	}
	return p
}

// contentHash synthesizes a stable identity for mail without a Message-ID,
// so a re-sync of the same mail is recognised.
func contentHash(in Inbound) string {
	h := sha256.New()
	for _, s := range []string{in.From.Email, in.Subject, in.SentAt.UTC().Format(time.RFC3339), in.Text, in.HTML} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// ingestTx is one attempt at storing a batch inside a transaction.
type ingestTx struct {
	ctx    context.Context
	e      *Engine
	tx     storeTx
	tenant Tenant
	now    time.Time

	contacts map[string]Contact // identity key -> contact, for this batch
	// foundContacts and missingContacts are prefetchContacts' answers.
	foundContacts   map[ContactKey]Contact
	missingContacts map[ContactKey]bool
	// latestByChannel remembers, per contact, source and integration, the
	// stored conversation a phone-like channel continues ("" for none).
	latestByChannel map[string]string
	conversations   map[string]Conversation // id -> latest state, for this batch
	created         map[string]bool         // conversation ids created in this batch
	// inline is the classifier that files new conversations in the
	// transaction (see fileNew), nil for none.
	inline        Classifier
	inlineHistory bool     // inline reads ClassifyInput.History
	folders       []Folder // the tenant's folders, once read (foldersRead)
	foldersRead   bool
	// createdMsgs are the messages of each conversation created in this
	// batch (all it holds), and contactByID the batch's contacts.
	createdMsgs map[string][]Message
	contactByID map[string]Contact
	// filed maps a conversation filed in the transaction to the message
	// its decision read; dirty marks created conversations changed since
	// their creation (the others need no update at the end of the batch).
	filed       map[string]string
	dirty       map[string]bool
	threadKeys  map[string]string // key -> conversation id, stored so far in this batch
	newContacts []string
	audit       []AuditEntry // written with the batch
	unusedBlobs []string     // files of messages not kept
	// readUpTo: conversations whose customer messages our own reply,
	// synced from Sent, answered: they are marked read.
	readUpTo map[string]time.Time
}

func (w *ingestTx) run(batch []preparedInbound, b Batch) (ingestOutcome, error) {
	res, events, toFile, lastInbound, err := w.ingest(batch, b)
	if err != nil {
		return ingestOutcome{}, err
	}
	n, err := w.enqueueWork(toFile, lastInbound)
	return ingestOutcome{result: res, events: events, toFile: toFile, filed: w.filed, lastInbound: lastInbound, newContacts: w.newContacts, work: n,
		unusedBlobs: w.unusedBlobs}, err
}

// blobKeys lists the files a channel kept for an inbound message.
func blobKeys(in Inbound) []string {
	var keys []string
	if in.RawKey != "" {
		keys = append(keys, in.RawKey)
	}
	for _, a := range in.Attachments {
		if a.BlobKey != "" {
			keys = append(keys, a.BlobKey)
		}
	}
	return keys
}

// deleteBlobs removes files nothing refers to, logging failures: a file
// left behind costs space, never correctness.
func (e *Engine) deleteBlobs(ctx context.Context, tenant TenantID, keys []string) {
	if e.blobs == nil {
		return
	}
	for _, k := range keys {
		if err := e.blobs.Delete(context.WithoutCancel(ctx), k); err != nil && !errors.Is(err, ErrNotFound) {
			e.log.Warn("inbox: delete unused file", "tenant", string(tenant), "err", err)
		}
	}
}

func (w *ingestTx) ingest(batch []preparedInbound, b Batch) (IngestResult, []Event, []string, map[string]string, error) {
	w.contacts = map[string]Contact{}
	w.audit, w.newContacts, w.unusedBlobs = nil, nil, nil
	w.readUpTo = map[string]time.Time{}
	w.conversations = map[string]Conversation{}
	w.latestByChannel = map[string]string{}
	w.created = map[string]bool{}
	w.createdMsgs, w.contactByID, w.filed, w.dirty = map[string][]Message{}, map[string]Contact{}, map[string]string{}, map[string]bool{}
	w.folders, w.foldersRead = nil, false
	w.inline, w.inlineHistory = nil, false
	if d, ok := w.e.classifier.(DeferredClassifier); ok {
		if w.inline = d.Inline(); w.inline != nil {
			w.inlineHistory = needsHistory(w.inline)
		}
	}
	w.threadKeys = map[string]string{}

	// One lookup for every dedupe key and thread key of the batch.
	var dkeys, tkeys []string
	for _, p := range batch {
		dkeys = append(dkeys, p.dedupe...)
		for _, l := range p.lookups {
			tkeys = append(tkeys, l.key)
		}
	}
	taken, err := w.tx.LookupDedupeKeys(dkeys)
	if err != nil {
		return IngestResult{}, nil, nil, nil, fmt.Errorf("look up dedupe keys: %w", err)
	}
	known, err := w.tx.LookupThreadKeys(tkeys)
	if err != nil {
		return IngestResult{}, nil, nil, nil, fmt.Errorf("look up thread keys: %w", err)
	}
	if err := w.prefetchContacts(batch); err != nil {
		return IngestResult{}, nil, nil, nil, err
	}

	var (
		res    IngestResult
		events []Event
		audit  []AuditEntry
	)
	touched := map[string]bool{}
	lastInbound := map[string]string{}
	res.Items = make([]IngestItem, len(batch))
	for i, p := range batch {
		item := &res.Items[i]
		if dup, ok := firstTaken(p.dedupe, taken); ok {
			w.unusedBlobs = append(w.unusedBlobs, blobKeys(p.in)...)
			*item = IngestItem{Status: IngestDuplicate, MessageID: dup}
			res.Duplicates++
			continue
		}
		if p.invalid != "" {
			q, again, err := w.quarantine(p)
			if err != nil {
				return IngestResult{}, nil, nil, nil, err
			}
			*item = IngestItem{Status: IngestQuarantined, Reason: p.invalid}
			res.Quarantined++
			if again {
				item.Reason = p.invalid + " (already quarantined as " + q.ID + ")"
				w.unusedBlobs = append(w.unusedBlobs, blobKeys(p.in)...)
				continue
			}
			events = append(events, Event{Type: EventMessageQuarantined, TenantID: w.tenant.ID, IntegrationID: p.in.IntegrationID, Detail: q.ID, At: w.now})
			audit = append(audit, w.auditEntry("message.quarantined", "quarantine", q.ID, "", map[string]string{"reason": p.invalid}))
			continue
		}
		if p.skip != "" {
			w.unusedBlobs = append(w.unusedBlobs, blobKeys(p.in)...)
			*item = IngestItem{Status: IngestSkipped, Reason: p.skip}
			res.Skipped++
			continue
		}
		msg, conv, isNew, err := w.store(p, known)
		if err != nil {
			return IngestResult{}, nil, nil, nil, err
		}
		for _, k := range p.dedupe {
			taken[k] = msg.ID
		}
		*item = IngestItem{Status: IngestStored, MessageID: msg.ID, ConversationID: conv.ID, NewConversation: isNew, Reason: msg.ThreadReason}
		res.Stored++
		touched[conv.ID] = true
		if !p.in.Own {
			lastInbound[conv.ID] = msg.ID
		}
		events = append(events, Event{Type: EventMessageReceived, TenantID: w.tenant.ID, ConversationID: conv.ID, MessageID: msg.ID, IntegrationID: msg.IntegrationID, Direction: msg.Direction, At: w.now})
		audit = append(audit, w.auditEntry("message.ingested", "message", msg.ID, conv.ID, ingestAudit{
			Source: msg.Source, Direction: msg.Direction, Thread: msg.ThreadReason,
		}))
	}

	var answered []string // stored conversations a customer wrote in
	for _, id := range sortedKeys(touched) {
		if _, ok := lastInbound[id]; ok && !w.created[id] {
			answered = append(answered, id)
		}
	}
	if err := w.cancelFollowUps(answered); err != nil {
		return IngestResult{}, nil, nil, nil, err
	}
	if len(answered) > 0 {
		// The customer wrote again: unread for every agent.
		if err := w.tx.ClearReadMarks(answered); err != nil {
			return IngestResult{}, nil, nil, nil, fmt.Errorf("clear read marks: %w", err)
		}
	}
	// A subscriber hears of a new conversation before its messages (a
	// CRM opens the timeline entry first), of updates after them.
	var created []Event
	var toFile []string
	for _, id := range sortedKeys(w.readUpTo) {
		conv := w.conversations[id]
		if err := w.markRead(&conv, w.readUpTo[id]); err != nil {
			return IngestResult{}, nil, nil, nil, err
		}
		w.conversations[id] = conv
		w.dirty[id] = true
	}
	if err := w.refileCreated(sortedKeys(touched)); err != nil {
		return IngestResult{}, nil, nil, nil, err
	}
	for _, id := range sortedKeys(touched) {
		conv := w.conversations[id]
		// A conversation created by one message of the batch was
		// stored as it is: it needs no update.
		if !w.created[id] || w.dirty[id] {
			markChanged(&conv) // a new message: agents must see it
			if err := w.tx.UpdateConversation(&conv); err != nil {
				return IngestResult{}, nil, nil, nil, fmt.Errorf("update conversation %s: %w", id, err)
			}
		}
		if w.created[id] {
			created = append(created, Event{Type: EventConversationCreated, TenantID: w.tenant.ID, ConversationID: id, At: w.now})
		} else {
			events = append(events, Event{Type: EventConversationUpdated, TenantID: w.tenant.ID, ConversationID: id, At: w.now})
		}
		// Conversations filed in the transaction stay listed: their
		// background work (a slow part to complete, an auto-reply after
		// the filing) is enqueued as for the others.
		if unfiled(conv) || w.filed[id] != "" {
			toFile = append(toFile, id)
		}
	}
	if b.Cursor != nil {
		if b.IntegrationID == "" {
			return IngestResult{}, nil, nil, nil, Invalid("batch.integration_id", "is required with a cursor")
		}
		if err := w.tx.SetIntegrationCursor(b.IntegrationID, *b.Cursor); err != nil {
			return IngestResult{}, nil, nil, nil, fmt.Errorf("set cursor of integration %q: %w", b.IntegrationID, err)
		}
	}
	audit = append(audit, w.audit...)
	if len(audit) > 0 {
		if err := w.tx.AppendAudit(audit...); err != nil {
			return IngestResult{}, nil, nil, nil, fmt.Errorf("append audit: %w", err)
		}
	}
	return res, append(created, events...), toFile, lastInbound, nil
}

// fileNew files a conversation the batch is creating for its opening
// customer message msg, before it is stored, with the fast part of a
// DeferredClassifier: the message, contact and conversation are at hand,
// so filing reads nothing, writes nothing of its own, and a subscriber
// hears of a conversation already filed. A classifier that is not a
// DeferredClassifier declares no fast part: it runs after the commit, so
// a slow one never holds the store's write lock. Stored conversations
// that receive a message are filed after the commit, as before.
func (w *ingestTx) fileNew(conv *Conversation, contact Contact, msg Message) error {
	if w.inline == nil || msg.Direction != DirectionIn || !unfiled(*conv) {
		return nil
	}
	in := ClassifyInput{Tenant: w.tenant, Conversation: *conv, Contact: contact, Message: msg}
	if w.inlineHistory {
		in.History = []Message{msg}
	}
	var err error
	if in.Folders, err = w.tenantFolders(); err != nil {
		return err
	}
	d, cerr := w.e.decide(w.ctx, w.inline, in)
	if cerr != nil {
		w.e.log.Warn("inbox: classification failed", "tenant", string(w.tenant.ID), "conversation", conv.ID, "err", cerr)
	}
	w.applyFiling(conv, d, msg.ID)
	return nil
}

// refileCreated files again, with what the whole batch brought, the
// conversations it created whose filing read less than that: a customer
// message sent before the one that opened the conversation arrived later
// in the batch, the classifier reads the history and more messages
// joined, or the conversation was opened by our own message and a
// customer's followed.
func (w *ingestTx) refileCreated(ids []string) error {
	if w.inline == nil {
		return nil
	}
	inputs := map[string]ClassifyInput{}
	var todo []string
	for _, id := range ids {
		conv := w.conversations[id]
		if !w.created[id] || (!unfiled(conv) && w.filed[id] == "") {
			continue
		}
		// As the store lists them (driver.Tx.ListMessages): the
		// opening customer message is the first inbound one.
		msgs := slices.Clone(w.createdMsgs[id])
		slices.SortFunc(msgs, func(a, b Message) int { return cmp.Or(a.SentAt.Compare(b.SentAt), cmp.Compare(a.ID, b.ID)) })
		i := slices.IndexFunc(msgs, func(m Message) bool { return m.Direction == DirectionIn })
		if i < 0 || w.filed[id] == msgs[i].ID && (!w.inlineHistory || len(msgs) == 1) {
			continue
		}
		in := ClassifyInput{Tenant: w.tenant, Conversation: conv, Contact: w.contactByID[conv.ContactID], Message: msgs[i]}
		if w.inlineHistory {
			in.History = msgs
		}
		var err error
		if in.Folders, err = w.tenantFolders(); err != nil {
			return err
		}
		inputs[id] = in
		todo = append(todo, id)
	}
	decisions, _ := w.e.decideAll(w.ctx, w.tenant, w.inline, todo, inputs)
	for _, id := range todo {
		conv := w.conversations[id]
		w.applyFiling(&conv, decisions[id], inputs[id].Message.ID)
		w.conversations[id] = conv
		w.dirty[id] = true
	}
	return nil
}

// unfiled reports whether classifiers may file c: no folder, not filed
// by an agent, not automated mail.
func unfiled(c Conversation) bool {
	return c.FolderID == "" && c.Classification.By != DecidedByManual && !c.Automated
}

// applyFiling applies decision d, made on message msgID, to conv and
// audits it when it changes the filing.
func (w *ingestTx) applyFiling(conv *Conversation, d Decision, msgID string) {
	w.filed[conv.ID] = msgID
	before := *conv
	applyDecision(conv, d)
	if !sameFiling(before, *conv) {
		w.audit = append(w.audit, classifiedAudit(w.tenant.ID, conv.ID, before.Classification, d, w.now))
	}
}

// tenantFolders reads the tenant's folders once per batch.
func (w *ingestTx) tenantFolders() ([]Folder, error) {
	if !w.foldersRead {
		f, err := w.tx.ListFolders()
		if err != nil {
			return nil, fmt.Errorf("folders: %w", err)
		}
		w.folders, w.foldersRead = f, true
	}
	return w.folders, nil
}

// markRead marks the customer messages of conv sent up to at read.
func (w *ingestTx) markRead(conv *Conversation, at time.Time) error {
	msgs, err := w.tx.ListMessages(conv.ID)
	if err != nil {
		return fmt.Errorf("messages of conversation %s: %w", conv.ID, err)
	}
	unread := 0
	for i := range msgs {
		m := &msgs[i]
		if m.Direction != DirectionIn || m.Read {
			continue
		}
		if m.SentAt.After(at) {
			unread++
			continue
		}
		m.Read = true
		if err := w.tx.UpdateMessage(m); err != nil {
			return fmt.Errorf("mark message %s read: %w", m.ID, err)
		}
	}
	conv.Unread = unread
	return nil
}

// cancelFollowUps cancels the "if no reply" follow-ups of conversations
// the customer has answered, with one query for all of them.
func (w *ingestTx) cancelFollowUps(convIDs []string) error {
	if len(convIDs) == 0 {
		return nil
	}
	fus, err := w.tx.ListFollowUps(FollowUpQuery{ConversationIDs: convIDs, Status: FollowUpPending})
	if err != nil {
		return fmt.Errorf("follow-ups of %d conversations: %w", len(convIDs), err)
	}
	for _, f := range fus {
		if !f.IfNoReply {
			continue
		}
		f.Status, f.UpdatedAt = FollowUpCancelled, w.now
		if err := w.tx.UpdateFollowUp(&f); err != nil {
			return fmt.Errorf("cancel follow-up %s: %w", f.ID, err)
		}
	}
	return nil
}

// sortedKeys returns a map's keys in order, for deterministic processing.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func firstTaken(keys []string, taken map[string]string) (string, bool) {
	for _, k := range keys {
		if id, ok := taken[k]; ok {
			return id, true
		}
	}
	return "", false
}

// quarantine keeps an invalid message; again is set when the message was
// already quarantined (a re-delivery), whose item is returned.
func (w *ingestTx) quarantine(p preparedInbound) (q QuarantineItem, again bool, err error) {
	raw, err := json.Marshal(p.in)
	if err != nil {
		return QuarantineItem{}, false, fmt.Errorf("encode quarantined message: %w", err)
	}
	q = QuarantineItem{
		TenantID:      w.tenant.ID,
		IntegrationID: p.in.IntegrationID,
		Source:        p.in.Source,
		ProviderID:    p.in.ProviderID,
		Key:           p.qkey,
		RawKey:        p.in.RawKey,
		Error:         p.invalid,
		Inbound:       raw,
		CreatedAt:     w.now,
	}
	err = w.tx.AddQuarantine(&q)
	if errors.Is(err, ErrConflict) && q.Key != "" {
		found, lerr := w.tx.ListQuarantine(QuarantineQuery{Key: q.Key, IncludeReplayed: true, Limit: 1})
		if lerr == nil && len(found) == 1 {
			return found[0], true, nil
		}
	}
	if err != nil {
		return QuarantineItem{}, false, fmt.Errorf("quarantine message: %w", err)
	}
	return q, false, nil
}

// ingestAudit is what the audit log says of an ingested message.
type ingestAudit struct {
	Source    Source    `json:"source"`
	Direction Direction `json:"direction"`
	Thread    string    `json:"thread"`
}

func (w *ingestTx) auditEntry(action, entityType, entityID, convID string, after any) AuditEntry {
	raw, _ := json.Marshal(after)
	return AuditEntry{
		TenantID: w.tenant.ID, Actor: ActorSystem, Action: action, EntityType: entityType,
		EntityID: entityID, ConversationID: convID, After: raw, At: w.now,
	}
}

// store writes one message, threading it into a new or existing
// conversation.
func (w *ingestTx) store(p preparedInbound, known map[string]string) (Message, Conversation, bool, error) {
	in := p.in
	contact, err := w.contact(p.contact, in.IntegrationID)
	if err != nil {
		return Message{}, Conversation{}, false, err
	}
	sentAt := in.SentAt
	if sentAt.IsZero() || sentAt.After(w.now.Add(time.Hour)) {
		sentAt = w.now
	}
	msg := Message{
		ID:              NewID(),
		TenantID:        w.tenant.ID,
		IntegrationID:   in.IntegrationID,
		Source:          in.Source,
		Channel:         in.Channel,
		Direction:       p.direction,
		Author:          AuthorCustomer,
		ProviderID:      in.ProviderID,
		MessageID:       in.MessageID,
		InReplyTo:       in.InReplyTo,
		References:      in.References,
		From:            in.From,
		To:              in.To,
		Cc:              in.Cc,
		ReplyTo:         in.ReplyTo,
		Subject:         in.Subject,
		Text:            in.Text,
		HTML:            in.HTML,
		Attachments:     in.Attachments,
		Automated:       in.Automated,
		Newsletter:      in.Newsletter,
		Bounce:          in.Bounce,
		AutomatedReason: in.AutomatedReason,
		RawKey:          in.RawKey,
		DedupeKeys:      p.dedupe,
		ThreadKeys:      p.threadKeys,
		SentAt:          sentAt,
		CreatedAt:       w.now,
		Language:        in.Language,
	}
	if in.Own {
		msg.Author = AuthorAgent
		msg.Read = true
		msg.Delivery = DeliverySent
	}

	conv, reason, found, err := w.thread(p, contact, sentAt, known)
	if err != nil {
		return Message{}, Conversation{}, false, err
	}
	isNew := !found
	if isNew {
		conv = w.newConversation(p, contact, sentAt)
		if reason == "" {
			reason = "new conversation"
		} else {
			reason = "new conversation: " + reason
		}
	}
	// The message's effect on its conversation comes first, so a new
	// conversation is created as it will be stored: the update at the end
	// of the batch then changes no indexed column (SQLite rewrites no
	// index entry).
	w.applyMessage(&conv, in, sentAt, isNew)
	msg.ConversationID = conv.ID
	if isNew {
		conv.ChangedVersion = 1 // agents first see it as created
		if err := w.fileNew(&conv, contact, msg); err != nil {
			return Message{}, Conversation{}, false, err
		}
		if err := w.tx.CreateConversation(&conv); err != nil {
			return Message{}, Conversation{}, false, fmt.Errorf("create conversation: %w", err)
		}
		w.created[conv.ID] = true
	} else if w.created[conv.ID] {
		w.dirty[conv.ID] = true
	}
	msg.ThreadReason = reason
	if err := w.tx.InsertMessage(&msg); err != nil {
		return Message{}, Conversation{}, false, fmt.Errorf("insert message: %w", err)
	}
	for _, k := range p.threadKeys {
		w.threadKeys[k] = conv.ID
	}
	w.conversations[conv.ID] = conv
	w.contactByID[contact.ID] = contact
	if w.created[conv.ID] {
		w.createdMsgs[conv.ID] = append(w.createdMsgs[conv.ID], msg)
	}
	return msg, conv, isNew, nil
}

// applyMessage updates a conversation for a message stored in it.
func (w *ingestTx) applyMessage(conv *Conversation, in Inbound, sentAt time.Time, isNew bool) {
	conv.MessageCount++
	if sentAt.After(conv.LastMessageAt) {
		conv.LastMessageAt = sentAt
	}
	if in.Own {
		// Our own mail synced from a Sent folder is a reply like one
		// written in the inbox: the conversation is open, and read up to it.
		if sentAt.After(conv.LastHumanReplyAt) {
			conv.LastHumanReplyAt = sentAt
		}
		if conv.FirstResponseAt.IsZero() || sentAt.Before(conv.FirstResponseAt) {
			conv.FirstResponseAt = sentAt
		}
		if conv.Status == StatusNew {
			conv.Status = StatusOpen
		}
		if conv.Unread > 0 && !sentAt.Before(conv.LastInboundAt) {
			w.readUpTo[conv.ID] = sentAt
		}
	} else {
		delete(w.readUpTo, conv.ID)
		conv.Unread++
		sent := sentAt
		if sent.After(w.now) {
			sent = w.now // clamped: never after we received it
		}
		if conv.FirstInboundAt.IsZero() || sent.Before(conv.FirstInboundAt) {
			conv.FirstInboundAt = sent
		}
		if sentAt.After(conv.LastInboundAt) {
			conv.LastInboundAt = sentAt
		}
		if !isNew && conv.Status == StatusResolved {
			conv.Status = StatusOpen
		}
		// The customer wrote again: a snoozed conversation is work again.
		conv.SnoozedUntil = time.Time{}
	}
}

// prefetchContacts finds the contacts of the whole batch in one query
// (driver.Tx.FindContacts), so contact() asks per message only
// for phones to merge. Parties without a contact are remembered as such.
func (w *ingestTx) prefetchContacts(batch []preparedInbound) error {
	var keys []ContactKey
	seen := map[ContactKey]bool{}
	for _, p := range batch {
		for _, k := range partyKeys(p.contact, p.in.IntegrationID) {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	found, err := w.tx.FindContacts(keys)
	if err != nil {
		return fmt.Errorf("find contacts: %w", err)
	}
	w.missingContacts = map[ContactKey]bool{}
	for _, k := range keys {
		if _, ok := found[k]; !ok {
			w.missingContacts[k] = true
		}
	}
	w.foundContacts = found
	return nil
}

// contact finds or creates the contact a message belongs to. A party's
// identities are looked up in precedence order: email, phone, then the
// channel handle. The rule when they disagree:
//
//   - none is known: a new contact holds them all;
//   - some are known: the message belongs to the contact of the first
//     known identity; identities nobody holds are added to it;
//   - an identity held by another contact stays with that contact, and
//     the conflict is recorded in the audit log (contact.identity_conflict)
//     so an agent can merge the two. It is never an error: the message is
//     stored either way.
func (w *ingestTx) contact(p Party, integrationID string) (Contact, error) {
	keys := partyKeys(p, integrationID)
	if len(keys) == 0 {
		return Contact{}, Invalid("from", "has no email, phone or id")
	}
	cacheKey := keys[0].Identity()
	if c, ok := w.contacts[cacheKey]; ok {
		return c, nil
	}
	holders := make([]Contact, len(keys)) // the contact holding each key, if any
	chosen := -1
	for i, k := range keys {
		c, err := w.findContact(k)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return Contact{}, fmt.Errorf("find contact: %w", err)
		default:
			holders[i] = c
			if chosen < 0 {
				chosen = i
			}
		}
	}
	if chosen < 0 {
		c := Contact{TenantID: w.tenant.ID, Name: p.Name, CreatedAt: w.now, UpdatedAt: w.now}
		for _, k := range keys {
			addIdentity(&c, k)
		}
		if err := w.tx.CreateContact(&c); err != nil {
			return Contact{}, fmt.Errorf("create contact: %w", err)
		}
		w.newContacts = append(w.newContacts, c.ID)
		w.contacts[cacheKey] = c
		w.learnContact(c)
		return c, nil
	}
	c := holders[chosen]
	changed := false
	if c.Name == "" && p.Name != "" {
		c.Name, changed = p.Name, true
	}
	for i, k := range keys {
		switch {
		case holders[i].ID == "":
			addIdentity(&c, k)
			changed = true
		case holders[i].ID != c.ID:
			w.audit = append(w.audit, w.auditEntry("contact.identity_conflict", "contact", c.ID, "", map[string]string{
				"identity": k.Identity(), "held_by": holders[i].ID, "message_contact": c.ID,
				"rule": "the message belongs to the contact of its first known identity (email, phone, handle); the other identity stays with its holder",
			}))
		}
	}
	if changed {
		c.UpdatedAt = w.now
		if err := w.tx.UpdateContact(&c); err != nil {
			return Contact{}, fmt.Errorf("update contact: %w", err)
		}
	}
	w.contacts[cacheKey] = c
	w.learnContact(c)
	return c, nil
}

// findContact looks a key up, using what prefetchContacts learned.
func (w *ingestTx) findContact(k ContactKey) (Contact, error) {
	switch {
	case w.missingContacts[k]:
		return Contact{}, ErrNotFound
	case w.foundContacts != nil && w.foundContacts[k].ID != "":
		return w.foundContacts[k], nil
	}
	return w.tx.FindContact(k)
}

// partyKeys lists a party's identities in precedence order: email,
// phone, channel handle (scoped by the integration).
func partyKeys(p Party, integrationID string) []ContactKey {
	var keys []ContactKey
	if p.Email != "" {
		keys = append(keys, ContactKey{Email: p.Email})
	}
	if p.Phone != "" {
		keys = append(keys, ContactKey{Phone: p.Phone})
	}
	if p.ID != "" {
		keys = append(keys, ContactKey{Handle: ContactHandle(integrationID, p.ID)})
	}
	return keys
}

// addIdentity adds k's identity to c.
func addIdentity(c *Contact, k ContactKey) {
	switch {
	case k.Email != "" && !contains(c.Emails, k.Email):
		c.Emails = append(c.Emails, k.Email)
	case k.Phone != "" && !contains(c.Phones, k.Phone):
		c.Phones = append(c.Phones, k.Phone)
	case k.Handle != "" && !contains(c.Handles, k.Handle):
		c.Handles = append(c.Handles, k.Handle)
	}
}

// learnContact keeps prefetchContacts' answers true after the batch
// created or changed a contact: each of its identities now finds it.
func (w *ingestTx) learnContact(c Contact) {
	if w.foundContacts == nil {
		return
	}
	learn := func(k ContactKey) {
		delete(w.missingContacts, k)
		w.foundContacts[k] = c
	}
	for _, e := range c.Emails {
		learn(ContactKey{Email: e})
	}
	for _, p := range c.Phones {
		learn(ContactKey{Phone: p})
	}
	for _, h := range c.Handles {
		learn(ContactKey{Handle: h})
	}
	if c.ExternalID != "" {
		learn(ContactKey{ExternalID: c.ExternalID})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// isNewContact reports whether the contact was created by this batch.
func (w *ingestTx) isNewContact(id string) bool {
	return slices.Contains(w.newContacts, id)
}

// conversation returns the latest state of a conversation touched in this
// batch, or loads it.
// adopt returns the batch's copy of a conversation a listing returned,
// keeping c as that copy if the batch had none: it may hold changes made
// earlier in the batch.
func (w *ingestTx) adopt(c Conversation) Conversation {
	if have, ok := w.conversations[c.ID]; ok {
		return have
	}
	w.conversations[c.ID] = c
	return c
}

func (w *ingestTx) conversation(id string) (Conversation, error) {
	if c, ok := w.conversations[id]; ok {
		return c, nil
	}
	c, err := w.tx.GetConversation(id)
	if err != nil {
		return Conversation{}, err
	}
	w.conversations[id] = c
	return c, nil
}

// thread finds the conversation a message belongs to (architecture
// invariant 4). found=false means a new conversation; reason explains
// the decision either way.
func (w *ingestTx) thread(p preparedInbound, contact Contact, sentAt time.Time, known map[string]string) (conv Conversation, reason string, found bool, err error) {
	in := p.in
	refused := ""
	for _, l := range p.lookups {
		id, ok := w.threadKeys[l.key]
		if !ok {
			id, ok = known[l.key]
		}
		if !ok {
			continue
		}
		c, err := w.conversation(id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return Conversation{}, "", false, fmt.Errorf("load conversation %s: %w", id, err)
		}
		switch {
		case c.Automated != in.Automated:
			refused = l.reason + " matched, but automated and customer mail are kept apart"
			continue
		case c.Status == StatusArchived:
			refused = l.reason + " matched an archived conversation"
			continue
		}
		return c, l.reason, true, nil
	}
	if refused != "" {
		return Conversation{}, refused, false, nil
	}

	switch in.Source {
	case SourceEmail:
		if in.Automated || in.Own {
			return Conversation{}, "", false, nil
		}
		subject := NormalizeSubject(in.Subject)
		if IsGenericSubject(subject) {
			return Conversation{}, "", false, nil
		}
		var page ConversationPage
		var err error
		if !w.isNewContact(contact.ID) { // a contact met in this batch has no stored conversations
			page, err = w.tx.ListConversations(ConversationQuery{
				ContactID: contact.ID, Sources: []Source{SourceEmail}, ThreadSubject: subject,
				Since: sentAt.Add(-w.tenant.Settings.subjectWindow()), Limit: 5,
			})
			if err != nil {
				return Conversation{}, "", false, fmt.Errorf("subject fallback: %w", err)
			}
		}
		for _, c := range page.Items {
			c := w.adopt(c)
			if c.Status != StatusArchived && !c.Automated {
				return c, "subject fallback: same sender and subject", true, nil
			}
		}
		// Conversations created earlier in this batch are not visible to
		// ListConversations in every store: check them too.
		for id := range w.created {
			c := w.conversations[id]
			if c.ContactID == contact.ID && c.Source == SourceEmail && c.ThreadSubject == subject && !c.Automated {
				return c, "subject fallback: same sender and subject", true, nil
			}
		}
		return Conversation{}, "", false, nil
	default:
		if in.ThreadKey != "" {
			return Conversation{}, "", false, nil
		}
		var page ConversationPage
		channel := contact.ID + "\x00" + string(in.Source) + "\x00" + in.IntegrationID
		if id, ok := w.latestByChannel[channel]; ok {
			if id != "" {
				page.Items = []Conversation{w.conversations[id]}
			}
		} else if !w.isNewContact(contact.ID) {
			var err error
			page, err = w.tx.ListConversations(ConversationQuery{
				ContactID: contact.ID, Sources: []Source{in.Source}, IntegrationID: in.IntegrationID, Limit: 1,
			})
			if err != nil {
				return Conversation{}, "", false, fmt.Errorf("find open conversation: %w", err)
			}
			// Later messages of the batch from this contact and channel
			// need not ask again: a conversation the batch creates is
			// found among w.created below.
			if len(page.Items) > 0 {
				page.Items[0] = w.adopt(page.Items[0])
				w.latestByChannel[channel] = page.Items[0].ID
			} else {
				w.latestByChannel[channel] = ""
			}
		}
		var latest *Conversation
		for id := range w.created {
			c := w.conversations[id]
			if c.ContactID == contact.ID && c.Source == in.Source && c.IntegrationID == in.IntegrationID {
				latest = &c
			}
		}
		if latest == nil && len(page.Items) > 0 {
			c := w.conversations[page.Items[0].ID]
			latest = &c
		}
		if latest == nil {
			return Conversation{}, "", false, nil
		}
		c := *latest
		switch {
		case c.Status == StatusArchived:
			return Conversation{}, "previous conversation archived", false, nil
		case c.Status == StatusResolved && sentAt.Sub(c.LastMessageAt) > w.tenant.Settings.reopenWindow():
			return Conversation{}, "previous conversation resolved too long ago", false, nil
		case c.Status == StatusResolved:
			return c, "same contact and channel: resolved conversation reopened", true, nil
		}
		return c, "same contact and channel", true, nil
	}
}

func (w *ingestTx) newConversation(p preparedInbound, contact Contact, sentAt time.Time) Conversation {
	in := p.in
	c := Conversation{
		ID:            NewID(),
		TenantID:      w.tenant.ID,
		Source:        in.Source,
		IntegrationID: in.IntegrationID,
		ContactID:     contact.ID,
		Status:        StatusNew,
		Subject:       in.Subject,
		Automated:     in.Automated,
		LastMessageAt: sentAt,
		CreatedAt:     w.now,
		UpdatedAt:     w.now,
	}
	if in.Source == SourceEmail {
		c.ThreadSubject = NormalizeSubject(in.Subject)
	}
	if in.Own {
		c.Status = StatusOpen
	}
	if in.Newsletter {
		switch w.tenant.Settings.Newsletter {
		case NewsletterSpam:
			c.Status = StatusSpam
			c.Classification = Decision{Status: StatusSpam, By: "newsletter-policy", Reason: "newsletter", At: w.now}
		case NewsletterFolder:
			c.FolderID = w.tenant.Settings.NewsletterFolderID
			c.Classification = Decision{FolderID: c.FolderID, By: "newsletter-policy", Reason: "newsletter", At: w.now}
		}
	}
	return c
}
