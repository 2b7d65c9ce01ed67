package jsonl

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/storage/sqlstore"
)

// Record is one line of an export: a kind and the record as JSON.
type Record struct {
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// Exporter is a store that can list everything a tenant holds; the SQLite
// and PostgreSQL stores are Exporters.
type Exporter interface {
	ExportTenant(ctx context.Context, tenant inbox.TenantID, emit func(kind string, v any) error) error
}

// TombstoneImporter is a store that can restore dedupe keys of deleted
// messages; the SQLite and PostgreSQL stores are TombstoneImporters.
type TombstoneImporter interface {
	ImportDedupeKeys(ctx context.Context, tenant inbox.TenantID, keys []sqlstore.DedupeKey) error
}

// Stats counts records by kind and lists the blob keys an export refers
// to, which the caller copies between BlobStores.
type Stats struct {
	Records  map[string]int
	BlobKeys []string
}

func (s *Stats) count(kind string) {
	if s.Records == nil {
		s.Records = map[string]int{}
	}
	s.Records[kind]++
}

// Export writes every record of tenant as JSON lines.
func Export(ctx context.Context, src Exporter, tenant inbox.TenantID, w io.Writer) (Stats, error) {
	var st Stats
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err := src.ExportTenant(ctx, tenant, func(kind string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", kind, err)
		}
		if err := enc.Encode(Record{Kind: kind, Data: data}); err != nil {
			return fmt.Errorf("write %s: %w", kind, err)
		}
		st.count(kind)
		if kind == sqlstore.KindBlob {
			var b sqlstore.BlobRef
			_ = json.Unmarshal(data, &b)
			st.BlobKeys = append(st.BlobKeys, b.Key)
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("export tenant %q: %w", tenant, err)
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("export tenant %q: %w", tenant, err)
	}
	return st, nil
}

// ImportOptions tune Import. The zero value is a good default.
type ImportOptions struct {
	// Tenant, when set, imports under this id instead of the exported one.
	Tenant inbox.TenantID
	// BatchSize is how many records one transaction writes. 0 means 500.
	BatchSize int
}

// maxLine bounds one JSON line (a message with its text).
const maxLine = 64 << 20

// Import creates the tenant of an export and every record in it, in
// batches of transactions, through the driver.Store interface (so any store
// can receive an import). IDs, contents, times and states are kept;
// optimistic-lock versions restart at 1. The tenant must not exist
// (ErrConflict). Dedupe tombstones need a TombstoneImporter; other stores
// refuse an export that has them with ErrUnsupported.
func Import(ctx context.Context, dst driver.Store, r io.Reader, opts ImportOptions) (Stats, error) {
	var st Stats
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), maxLine)
	var (
		tenant     inbox.TenantID
		batch      []Record
		tombstones []sqlstore.DedupeKey
		line       int
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := dst.Update(ctx, tenant, func(tx driver.Tx) error {
			for _, rec := range batch {
				if err := apply(tx, rec); err != nil {
					return err
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	for sc.Scan() {
		line++
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return st, fmt.Errorf("import line %d: %w", line, inbox.Invalid("record", "is not a JSON record: "+err.Error()))
		}
		switch rec.Kind {
		case sqlstore.KindTenant:
			if tenant != "" {
				return st, fmt.Errorf("import line %d: %w", line, inbox.Invalid("tenant", "appears twice"))
			}
			var t inbox.Tenant
			if err := json.Unmarshal(rec.Data, &t); err != nil {
				return st, fmt.Errorf("import line %d: %w", line, inbox.Invalid("tenant", err.Error()))
			}
			if opts.Tenant != "" {
				t.ID = opts.Tenant
			}
			if err := dst.CreateTenant(ctx, &t); err != nil {
				return st, fmt.Errorf("import line %d: create tenant %q: %w", line, t.ID, err)
			}
			tenant = t.ID
		case sqlstore.KindDedupeKey:
			var k sqlstore.DedupeKey
			if err := json.Unmarshal(rec.Data, &k); err != nil {
				return st, fmt.Errorf("import line %d: %w", line, inbox.Invalid("dedupe_key", err.Error()))
			}
			tombstones = append(tombstones, k)
		case sqlstore.KindBlob:
			var b sqlstore.BlobRef
			if err := json.Unmarshal(rec.Data, &b); err != nil {
				return st, fmt.Errorf("import line %d: %w", line, inbox.Invalid("blob", err.Error()))
			}
			st.BlobKeys = append(st.BlobKeys, b.Key)
		default:
			if tenant == "" {
				return st, fmt.Errorf("import line %d: %w", line, inbox.Invalid("record", "comes before the tenant record"))
			}
			batch = append(batch, rec)
			if len(batch) >= opts.BatchSize {
				if err := flush(); err != nil {
					return st, fmt.Errorf("import up to line %d: %w", line, err)
				}
			}
		}
		st.count(rec.Kind)
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("import line %d: %w", line+1, err)
	}
	if err := flush(); err != nil {
		return st, fmt.Errorf("import up to line %d: %w", line, err)
	}
	if len(tombstones) > 0 {
		ti, ok := dst.(TombstoneImporter)
		if !ok {
			return st, fmt.Errorf("import: %w: the store cannot restore %d dedupe keys of deleted messages", inbox.ErrUnsupported, len(tombstones))
		}
		if err := ti.ImportDedupeKeys(ctx, tenant, tombstones); err != nil {
			return st, fmt.Errorf("import dedupe keys: %w", err)
		}
	}
	return st, nil
}

// apply writes one record with the Tx method that creates it.
func apply(tx driver.Tx, rec Record) error {
	var err error
	switch rec.Kind {
	case sqlstore.KindIntegration:
		err = create(rec, tx.Tenant(), tx.CreateIntegration, func(v *inbox.Integration) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindContact:
		err = create(rec, tx.Tenant(), tx.CreateContact, func(v *inbox.Contact) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindFolder:
		err = create(rec, tx.Tenant(), tx.CreateFolder, func(v *inbox.Folder) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindConversation:
		err = create(rec, tx.Tenant(), tx.CreateConversation, func(v *inbox.Conversation) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindMessage:
		err = create(rec, tx.Tenant(), tx.InsertMessage, func(v *inbox.Message) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindNote:
		err = create(rec, tx.Tenant(), tx.CreateNote, func(v *inbox.Note) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindTask:
		err = create(rec, tx.Tenant(), tx.CreateTask, func(v *inbox.Task) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindFollowUp:
		err = create(rec, tx.Tenant(), tx.CreateFollowUp, func(v *inbox.FollowUp) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindDraft:
		err = create(rec, tx.Tenant(), tx.CreateDraft, func(v *inbox.Draft) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindOutbox:
		err = create(rec, tx.Tenant(), tx.EnqueueOutbox, func(v *inbox.OutboxItem) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindQuarantine:
		err = create(rec, tx.Tenant(), tx.AddQuarantine, func(v *inbox.QuarantineItem) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindAudit:
		err = create(rec, tx.Tenant(), func(v *inbox.AuditEntry) error { return tx.AppendAudit(*v) },
			func(v *inbox.AuditEntry) *inbox.TenantID { return &v.TenantID })
	case sqlstore.KindNotification:
		err = create(rec, tx.Tenant(), tx.CreateNotification, func(v *inbox.Notification) *inbox.TenantID { return &v.TenantID })
	default:
		return fmt.Errorf("import: %w", inbox.Invalid("record.kind", fmt.Sprintf("%q is not a kind this version knows", rec.Kind)))
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", rec.Kind, err)
	}
	return nil
}

// create decodes a record, rebinds it to the importing tenant and writes
// it.
func create[T any](rec Record, tenant inbox.TenantID, write func(*T) error, tenantOf func(*T) *inbox.TenantID) error {
	var v T
	if err := json.Unmarshal(rec.Data, &v); err != nil {
		return inbox.Invalid(rec.Kind, "cannot be decoded: "+err.Error())
	}
	*tenantOf(&v) = tenant
	if err := write(&v); err != nil {
		if errors.Is(err, inbox.ErrConflict) {
			return fmt.Errorf("%w (already imported?)", err)
		}
		return err
	}
	return nil
}
