package app

import (
	"context"
	"log/slog"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/driver"
	"github.com/inboxkit/inboxkit/reply"
)

// newKnowledge returns the knowledge base when the store declares one
// (driver.Features.Knowledge), else nil. A fresh database has it from the
// first start.
func newKnowledge(store driver.Store, log *slog.Logger) (*reply.Knowledge, error) {
	if !store.Features().Knowledge {
		return nil, nil
	}
	return reply.NewKnowledge(reply.KnowledgeOptions{Store: store, Logger: log})
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
