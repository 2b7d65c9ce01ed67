package app

import (
	"context"
	"log/slog"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/reply"
)

// newKnowledge returns the knowledge base when the store keeps one
// (its transactions implement driver.KnowledgeTx), else nil.
func newKnowledge(ctx context.Context, store driver.Store, log *slog.Logger) (*reply.Knowledge, error) {
	if !storeHasKnowledge(ctx, store) {
		return nil, nil
	}
	return reply.NewKnowledge(reply.KnowledgeOptions{Store: store, Logger: log})
}

// storeHasKnowledge probes a transaction for the KnowledgeTx capability.
// A store without tenants yet is probed with a scratch tenant name: View
// of an unknown tenant fails before handing out a Tx, so the answer is
// then "no", which only delays the feature to the next start.
func storeHasKnowledge(ctx context.Context, store driver.Store) bool {
	tenants, err := store.ListTenants(ctx)
	if err != nil || len(tenants) == 0 {
		return false
	}
	ok := false
	_ = store.View(ctx, tenants[0].ID, func(tx driver.Tx) error {
		_, ok = tx.(driver.KnowledgeTx)
		return nil
	})
	return ok
}

// summaryAdapter makes reply.Summarizer the API's Summarizer: it writes
// the summary into the conversation and returns its text.
type summaryAdapter struct {
	s   *reply.Summarizer
	eng *inbox.Engine
}

func (a summaryAdapter) Summarize(ctx context.Context, tenant inbox.TenantID, convID string) (string, error) {
	sum, err := a.s.Refresh(ctx, a.eng, tenant, convID)
	if err != nil {
		return "", err
	}
	return sum.Text, nil
}
