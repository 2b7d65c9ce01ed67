package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
)

// Record kinds written by ExportTenant, parents before children.
const (
	KindTenant       = "tenant"
	KindIntegration  = "integration"
	KindContact      = "contact"
	KindFolder       = "folder"
	KindConversation = "conversation"
	KindMessage      = "message"
	KindNote         = "note"
	KindTask         = "task"
	KindFollowUp     = "follow_up"
	KindDraft        = "draft"
	KindOutbox       = "outbox"
	KindQuarantine   = "quarantine"
	KindAudit        = "audit"
	KindNotification = "notification"
	// KindDedupeKey is a tombstone: a dedupe key whose message was deleted
	// (DedupeKey value). Keys of stored messages travel with them.
	KindDedupeKey = "dedupe_key"
	// KindBlob names a BlobStore key the tenant's records refer to
	// (BlobRef value), so a migration can copy the bytes.
	KindBlob = "blob"
)

// DedupeKey is a tombstone record.
type DedupeKey struct {
	Key       string `json:"key"`
	MessageID string `json:"message_id"`
}

// BlobRef is a blob key record.
type BlobRef struct {
	Key string `json:"key"`
}

// exportChunk is how many rows one export query reads.
const exportChunk = 1000

// ExportTenant emits every record of a tenant, from one consistent
// read transaction: the tenant, then each kind in dependency order (see
// the Kind constants), then dedupe tombstones and referenced blob keys.
// Values are the inbox types (inbox.Message...), DedupeKey and BlobRef.
func (s *Store) ExportTenant(ctx context.Context, tenant inbox.TenantID, emit func(kind string, v any) error) error {
	t, err := s.GetTenant(ctx, tenant)
	if err != nil {
		return err
	}
	if err := emit(KindTenant, t); err != nil {
		return err
	}
	return s.View(ctx, tenant, func(itx driver.Tx) error {
		x := itx.(*tx)
		blobs := map[string]bool{}
		var blobOrder []string
		blob := func(k string) {
			if k != "" && !blobs[k] {
				blobs[k] = true
				blobOrder = append(blobOrder, k)
			}
		}
		steps := []func() error{
			func() error {
				return exportTable(x, "integrations", integrationCols, x.scanIntegrations, func(v inbox.Integration) string { return v.ID },
					func(v inbox.Integration) error { return emit(KindIntegration, v) })
			},
			docStep[inbox.Contact](x, "contacts", KindContact, emit, func(v inbox.Contact) string { return v.ID }),
			docStep[inbox.Folder](x, "folders", KindFolder, emit, func(v inbox.Folder) string { return v.ID }),
			func() error {
				return exportTable(x, "conversations", conversationSelect, x.scanConversations, func(v inbox.Conversation) string { return v.ID },
					func(v inbox.Conversation) error { return emit(KindConversation, v) })
			},
			func() error {
				cols := strings.TrimSuffix(strings.TrimPrefix(messageSelect, "SELECT "), " FROM messages ")
				return exportTable(x, "messages", cols, x.scanMessages, func(v inbox.Message) string { return v.ID },
					func(v inbox.Message) error {
						blob(v.RawKey)
						for _, a := range v.Attachments {
							blob(a.BlobKey)
						}
						return emit(KindMessage, v)
					})
			},
			docStep[inbox.Note](x, "notes", KindNote, emit, func(v inbox.Note) string { return v.ID }),
			docStep[inbox.Task](x, "tasks", KindTask, emit, func(v inbox.Task) string { return v.ID }),
			docStep[inbox.FollowUp](x, "follow_ups", KindFollowUp, emit, func(v inbox.FollowUp) string { return v.ID }),
			docStep[inbox.Draft](x, "drafts", KindDraft, emit, func(v inbox.Draft) string { return v.ID }),
			docStep[inbox.OutboxItem](x, "outbox", KindOutbox, emit, func(v inbox.OutboxItem) string { return v.ID }),
			func() error {
				return exportTable(x, "quarantine", "doc, created_at", scanDocs[inbox.QuarantineItem], func(v inbox.QuarantineItem) string { return v.ID },
					func(v inbox.QuarantineItem) error { blob(v.RawKey); return emit(KindQuarantine, v) })
			},
			docStep[inbox.AuditEntry](x, "audit", KindAudit, emit, func(v inbox.AuditEntry) string { return v.ID }),
			docStep[inbox.Notification](x, "notifications", KindNotification, emit, func(v inbox.Notification) string { return v.ID }),
			func() error { return x.exportTombstones(emit) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		for _, k := range blobOrder {
			if err := emit(KindBlob, BlobRef{Key: k}); err != nil {
				return err
			}
		}
		return nil
	})
}

func docStep[T any](x *tx, table, kind string, emit func(string, any) error, id func(T) string) func() error {
	return func() error {
		return exportTable(x, table, "doc, created_at", scanDocs[T], id, func(v T) error { return emit(kind, v) })
	}
}

// exportTable pages through a tenant's rows by id.
func exportTable[T any](x *tx, table, cols string, scan func(*sql.Rows) ([]T, error), id func(T) string, emit func(T) error) error {
	after := ""
	for {
		rows, err := x.query("export "+table, `SELECT `+cols+` FROM `+table+` WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`,
			string(x.tenant), after, exportChunk)
		if err != nil {
			return err
		}
		list, err := scan(rows)
		if err != nil {
			return x.s.wrap("export "+table, err)
		}
		for _, v := range list {
			if err := emit(v); err != nil {
				return err
			}
		}
		if len(list) < exportChunk {
			return nil
		}
		after = id(list[len(list)-1])
	}
}

func (x *tx) exportTombstones(emit func(string, any) error) error {
	rows, err := x.query("export dedupe keys", `SELECT d.key, d.message_id FROM dedupe_keys d WHERE d.tenant_id = ?
		AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = d.tenant_id AND m.id = d.message_id) ORDER BY d.key`, string(x.tenant))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k DedupeKey
		if err := rows.Scan(&k.Key, &k.MessageID); err != nil {
			return x.s.wrap("export dedupe keys", err)
		}
		if err := emit(KindDedupeKey, k); err != nil {
			return err
		}
	}
	return x.s.wrap("export dedupe keys", rows.Err())
}

// ImportDedupeKeys restores tombstones: dedupe keys whose message no
// longer exists, so a later sync does not re-import it. Keys already
// taken are left as they are.
func (s *Store) ImportDedupeKeys(ctx context.Context, tenant inbox.TenantID, keys []DedupeKey) error {
	return s.Update(ctx, tenant, func(itx driver.Tx) error {
		x := itx.(*tx)
		for _, k := range keys {
			if k.Key == "" {
				return fmt.Errorf("import dedupe key: %w", inbox.Invalid("dedupe_key.key", "is required"))
			}
			if _, err := x.exec("import dedupe key", `INSERT INTO dedupe_keys (tenant_id, key, message_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				string(tenant), k.Key, k.MessageID); err != nil {
				return err
			}
		}
		return nil
	})
}
