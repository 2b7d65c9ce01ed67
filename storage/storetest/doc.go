// Package storetest is the conformance suite every driver.Store must pass.
//
// A store's own test calls Run with a factory that returns a fresh, empty
// store and registers its cleanup:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) driver.Store {
//			s := memstore.New()
//			t.Cleanup(func() { _ = s.Close() })
//			return s
//		})
//	}
//
// Every store passes all of it but the groups of the optional capabilities
// it does not declare (driver.Features: leases, knowledge base, statistics
// in the database), which the log names; a store must declare exactly the
// capabilities it offers (group Features). It
// spells out the parts of the driver.Store contract that the interface's
// doc comments leave open, so that the in-memory store and the SQL stores
// behave the same:
//
// # Records
//
//   - Create methods (and InsertMessage, EnqueueOutbox, AddQuarantine,
//     AppendAudit, CreateNotification) assign an ID with inbox.NewID when it
//     is empty and set the time stamps CreatedAt / UpdatedAt (AuditEntry.At)
//     when they are zero. Records with a Version get Version 1. A given ID
//     that already exists in the tenant is ErrConflict.
//   - TenantID is filled with the transaction's tenant when empty; a record
//     naming another tenant is rejected with ErrInvalid (or, for updates,
//     ErrNotFound) and nothing is written.
//   - Update methods with a Version require the stored Version, fail with
//     ErrConflict when it is stale (changing nothing) and increment Version
//     in the stored record and in the caller's value. An unknown id is
//     ErrNotFound. ID, TenantID and CreatedAt never change after creation;
//     UpdatedAt is stored as given (the engine owns the clock).
//   - Every field round-trips: slices, maps, nested structs,
//     json.RawMessage (compared as JSON, so jsonb columns may reorder keys)
//     and times. Times come back in UTC (Location() == time.UTC) with at
//     least microsecond precision; zero times come back zero. An empty slice
//     or map may come back nil and vice versa. Time bounds in queries are
//     compared at microsecond precision.
//   - Values are copies: changing a value after passing it to the store, or
//     one the store returned, never changes what is stored.
//   - Every Get of an unknown id, and of another tenant's id, is ErrNotFound.
//     Deletes of an unknown id are ErrNotFound.
//
// # Specific rules
//
//   - UpdateTenant replaces Name and Settings (and UpdatedAt, set to now
//     when zero); CreatedAt is kept. An empty tenant id is ErrInvalid.
//   - ListIntegrations orders by Name, then ID. UpdateIntegration replaces
//     Kind, Name, Enabled, Config, Secrets and UpdatedAt but keeps Cursor,
//     LastSync and Status, which only SetIntegrationCursor and
//     SetIntegrationStatus write; those two neither check nor change
//     Version, so a sync never conflicts with an admin edit and an admin
//     edit never rewinds a cursor.
//   - Contact identities (each email, each phone, a non-empty ExternalID)
//     are unique per tenant: CreateContact / UpdateContact fail with
//     ErrConflict when another contact holds one. FindContact compares
//     exactly (callers pass normalized values). ListContacts orders by Name
//     then ID; Search is a case-insensitive substring of the name, an email
//     or a phone; Limit 0 means 50.
//   - ListFolders orders by Position, Name, then ID. DeleteFolder unfiles its
//     conversations (FolderID "") and increments their Version.
//   - InsertMessage, CreateNote, CreateDraft, CreateFollowUp and CreateTask
//     (when ConversationID is set; a task may stand alone) fail with
//     ErrNotFound when the conversation does not exist in the tenant.
//     ListMessages and ListNotes of an unknown conversation are ErrNotFound.
//     Their ConversationID is fixed at creation: updates keep it.
//   - UpdateMessage writes every field except ConversationID, DedupeKeys and
//     ThreadKeys, which are fixed at insert (MoveMessage changes the
//     conversation); it may change ProviderID, which GetMessageByProviderID
//     then finds. MoveMessage increments the message's Version. ListMessages
//     orders by SentAt, then ID.
//   - Dedupe keys are unique per tenant and outlive their message:
//     InsertMessage with a taken key is ErrConflict, also when the message
//     holding it was deleted with its conversation; LookupDedupeKeys returns
//     the id of the message that took each key.
//   - Thread keys belong to messages: LookupThreadKeys returns, per key, the
//     conversation of the holder with the greatest (CreatedAt, ID); they
//     follow MoveMessage and vanish with DeleteConversation.
//   - DeleteConversation also removes the conversation's messages, notes,
//     drafts, tasks and follow-ups; audit entries stay.
//   - ListNotes, ListTasks and ListDrafts order by CreatedAt, then ID;
//     ListFollowUps by DueAt, then ID; ListOutbox by NextAttemptAt, then ID.
//     DueBefore bounds are exclusive (DueAt < DueBefore).
//   - EnqueueOutbox requires an IdempotencyKey (ErrInvalid when empty),
//     unique per tenant (ErrConflict). UpdateOutbox writes Status, Attempts,
//     NextAttemptAt, LastError, ProviderID and UpdatedAt.
//   - UpdateQuarantine writes every field but ID, TenantID and CreatedAt.
//     ListQuarantine orders by CreatedAt descending, then ID descending,
//     hides replayed items (non-zero ReplayedAt) unless IncludeReplayed;
//     Limit 0 means 50.
//   - AppendAudit is append-only: an existing entry ID is ErrConflict.
//     ListAudit orders by At descending then ID descending; Since is
//     inclusive, Until exclusive; Limit 0 means 100.
//   - ListNotifications orders by CreatedAt descending then ID descending;
//     an empty UserID lists every user; Limit 0 means 50.
//     MarkNotificationRead keeps the first read time.
//
// # Conversation lists
//
// Sorts, with the id as last key so pages are stable:
//
//	SortNewest   LastMessageAt desc, ID desc
//	SortOldest   LastMessageAt asc,  ID asc
//	SortPriority Status.Priority() asc, LastMessageAt desc, ID desc
//	SortStatus   Status.Priority() asc (workflow order), LastMessageAt desc, ID desc
//	SortQueue    inbox.QueueRank asc, LastMessageAt asc, ID asc
//
// An unknown sort, a negative limit, a malformed cursor or a cursor made
// for another sort is ErrInvalid.
// Limit 0 means 50 and larger limits are capped at 500. NextCursor is ""
// exactly when no conversation follows the page. Cursors are keyset
// cursors (the sort key and the id of the last item): walking the pages
// yields every conversation that matched throughout the walk exactly once
// and in order, even when conversations are inserted, updated or deleted
// between pages (including the one a cursor points to).
//
// Search: a conversation matches when each whitespace-separated word of the
// query occurs case- and accent-insensitively ("probleme" finds
// "Problème", "ECOLE" finds "école") as a whole word in its subject, in the
// subject or text of one of its messages, or in a message sender's name,
// email address or phone number, or in the text of one of its internal
// notes (all of a query's words in one note; a note has no sender, so
// from: never matches it); a full email address or phone number is a
// single word. Stores may match more (substrings, stems), never less. The
// suite only uses queries whose words all occur in one message or note.
//
// Filters: OpenWork keeps QueueRank below inbox.RankOpenWork (new, open
// and urgent, not snoozed); ContactIDs keeps those contacts'
// conversations; ProjectID keeps conversations linked to the project or
// holding one of its tasks (Task.ProjectID); UnreadOnly keeps Unread > 0
// outside spam and archived, exactly the set UnreadCounts counts.
//
// UnreadCounts counts per folder; a folder with no unread conversation may
// be absent or zero.
//
// Read marks: SetReadMark gives one agent their own state of a
// conversation (inbox.ReadState: the mark when there is one, otherwise
// Unread > 0); ClearReadMarks and DeleteConversation drop every agent's
// marks. ReaderUnreadCounts, UnreadOnly with a Reader and is:unread with
// a Reader all count the same set: unread for that agent, outside spam and
// archived.
//
// # Transactions
//
//   - Update with an unknown tenant, and View likewise, are ErrNotFound
//     without calling fn. A context already done is its error.
//   - If fn returns an error, Update returns an error wrapping it and keeps
//     nothing fn wrote; if fn panics, Update keeps nothing and the panic
//     propagates after the store is released.
//   - A Tx method failing with ErrNotFound, ErrConflict or ErrInvalid has no
//     effect and leaves the Tx usable (SQL stores use ON CONFLICT and
//     conditional updates, or savepoints, rather than letting the
//     statement abort the transaction).
//   - Every write method of a View Tx fails with an error wrapping
//     inbox.ErrUnsupported, writes nothing, and the Tx stays readable.
//   - Concurrent transactions are serializable in effect for the rules
//     above: concurrent ingest stores each message once and creates one
//     contact per identity; of concurrent updates at one Version exactly one
//     wins. A store may fail a transaction that lost a race with ErrConflict
//     or ErrTemporary; callers retry.
//
// Tenant isolation: every method of a Tx bound to tenant B treats records
// of tenant A as absent — gets and finds are ErrNotFound, lists and
// lookups exclude them, updates and deletes of their ids are ErrNotFound
// and leave them unchanged, and uniqueness rules (dedupe keys, idempotency
// keys, contact identities) apply per tenant.
package storetest
