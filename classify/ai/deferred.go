package ai

import "github.com/inboxkit/inboxkit/inbox"

var _ inbox.DeferredClassifier = (*Classifier)(nil)

// Inline is nil: every call is a model call, so the engine runs the AI
// classifier as durable background work, never on the intake path.
func (c *Classifier) Inline() inbox.Classifier { return nil }
