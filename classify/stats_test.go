package classify_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/inboxkit/inboxkit/classify"
	"github.com/inboxkit/inboxkit/inbox"
)

func TestAccuracy(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	rec := func(conv, folder, by string, h int) classify.Record {
		return classify.Record{TenantID: "t", ConversationID: conv, Decision: inbox.Decision{FolderID: folder, By: by, At: at(h)}}
	}
	records := []classify.Record{
		rec("c1", "orders", "rules", 0),    // right
		rec("c2", "orders", "ai", 1),       // corrected to billing
		rec("c3", "billing", "ai", 2),      // right
		rec("c4", "support", "learner", 3), // corrected twice, last word: billing
		rec("c5", "orders", "ai", 4),       // corrected, then re-decided by rules: the correction counts for the first only
		rec("c5", "billing", "rules", 6),   // right
		rec("c6", "orders", "ai", 100),     // out of range
		{TenantID: "t", ConversationID: "c7", Decision: inbox.Decision{Error: "timeout", By: "ai", At: at(5)}},
		{TenantID: "t", ConversationID: "c8", Decision: inbox.Decision{Status: inbox.StatusSpam, By: "rules", At: at(5)}},
		{TenantID: "t", ConversationID: "c9", Decision: inbox.Decision{FolderID: "x", By: inbox.DecidedByManual, At: at(5)}},
		{TenantID: "other", ConversationID: "c2", Decision: inbox.Decision{FolderID: "orders", By: "ai", At: at(1)}}, // same id, other tenant: right
	}
	corrections := []classify.Correction{
		{TenantID: "t", ConversationID: "c2", FolderID: "billing", At: at(1).Add(time.Minute)},
		{TenantID: "t", ConversationID: "c4", FolderID: "billing", At: at(3).Add(2 * time.Minute)},
		{TenantID: "t", ConversationID: "c4", FolderID: "orders", At: at(3).Add(time.Minute)},
		{TenantID: "t", ConversationID: "c5", FolderID: "billing", At: at(5)},
		{TenantID: "t", ConversationID: "c1", FolderID: "support", At: at(0).Add(-time.Minute)}, // before the decision
	}
	rep := classify.Accuracy(records, corrections, classify.Range{Since: t0, Until: at(24)})
	require.Equal(t, classify.Score{Decisions: 7, Correct: 4}, rep.Overall)
	require.InDelta(t, 4.0/7, rep.Overall.Accuracy(), 1e-9)
	require.Equal(t, map[string]classify.Score{
		"rules": {Decisions: 2, Correct: 2}, "ai": {Decisions: 4, Correct: 2}, "learner": {Decisions: 1, Correct: 0},
	}, rep.ByClassifier)
	require.Equal(t, classify.Score{Decisions: 4, Correct: 2}, rep.ByFolder["orders"])
	require.Equal(t, classify.Score{Decisions: 5, Correct: 2}, rep.ByActualFolder["billing"])
	require.Equal(t, map[string]map[string]int{
		"orders":  {"orders": 2, "billing": 2},
		"billing": {"billing": 2},
		"support": {"billing": 1},
	}, rep.Confusion)
	require.Equal(t, []string{"billing", "orders", "support"}, rep.Folders)
	require.Equal(t, 1, rep.Failed)
	require.Equal(t, 1, rep.Unfiled)
	require.Zero(t, classify.Score{}.Accuracy())
}

func TestFromAudit(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	decision, _ := json.Marshal(inbox.Decision{FolderID: "orders", Confidence: 0.9, At: t0})
	moved, _ := json.Marshal(map[string]any{"folder_id": "billing", "previous_decision": inbox.Decision{FolderID: "orders"}})
	unfiled, _ := json.Marshal(map[string]any{"folder_id": ""})
	entries := []inbox.AuditEntry{
		{TenantID: "t", Actor: "classifier:ai", Action: classify.AuditClassified, ConversationID: "c1", After: decision, At: t0},
		{TenantID: "t", Actor: "emp-1", Action: classify.AuditMoved, ConversationID: "c1", After: moved, At: t0.Add(time.Minute)},
		{TenantID: "t", Actor: "emp-1", Action: classify.AuditMoved, EntityID: "c2", After: unfiled, At: t0.Add(time.Minute)},
		{TenantID: "t", Actor: "emp-1", Action: "conversation.status", ConversationID: "c1", After: moved, At: t0},
		{TenantID: "t", Actor: "classifier", Action: classify.AuditClassified, ConversationID: "c3", After: []byte("{broken"), At: t0},
	}
	records, corrections := classify.FromAudit(entries)
	require.Equal(t, []classify.Record{{TenantID: "t", ConversationID: "c1", Decision: inbox.Decision{FolderID: "orders", Confidence: 0.9, By: "ai", At: t0}}}, records)
	require.Equal(t, []classify.Correction{
		{TenantID: "t", ConversationID: "c1", FolderID: "billing", Agent: "emp-1", At: t0.Add(time.Minute)},
		{TenantID: "t", ConversationID: "c2", FolderID: "", Agent: "emp-1", At: t0.Add(time.Minute)},
	}, corrections)
	rep := classify.Accuracy(records, corrections, classify.Range{})
	require.Equal(t, classify.Score{Decisions: 1, Correct: 0}, rep.ByClassifier["ai"])
}
