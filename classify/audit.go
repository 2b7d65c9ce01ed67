package classify

import (
	"cmp"
	"encoding/json"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

// Audit actions the engine writes when it classifies a conversation and
// when an agent moves one.
const (
	AuditClassified = "conversation.classified"
	AuditMoved      = "conversation.move"
)

// FromAudit extracts automatic decisions and agents' corrections from
// audit entries (any order, unrelated entries ignored), so Accuracy can
// run on the log the engine already keeps.
func FromAudit(entries []inbox.AuditEntry) ([]Record, []Correction) {
	var records []Record
	var corrections []Correction
	for _, e := range entries {
		switch e.Action {
		case AuditClassified:
			var d inbox.Decision
			if json.Unmarshal(e.After, &d) != nil {
				continue
			}
			if d.By == "" {
				d.By, _ = strings.CutPrefix(e.Actor, "classifier:")
			}
			if d.At.IsZero() {
				d.At = e.At
			}
			records = append(records, Record{TenantID: e.TenantID, ConversationID: cmp.Or(e.ConversationID, e.EntityID), Decision: d})
		case AuditMoved:
			var after struct {
				FolderID *string `json:"folder_id"`
			}
			if json.Unmarshal(e.After, &after) != nil || after.FolderID == nil {
				continue
			}
			corrections = append(corrections, Correction{
				TenantID: e.TenantID, ConversationID: cmp.Or(e.ConversationID, e.EntityID),
				FolderID: *after.FolderID, Agent: e.Actor, At: e.At,
			})
		}
	}
	return records, corrections
}
