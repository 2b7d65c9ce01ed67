package inbox

import "context"

// ClassifyInput is what a classifier sees: the conversation's opening
// customer message, its conversation and contact, and the tenant's folders.
type ClassifyInput struct {
	Tenant       Tenant
	Conversation Conversation
	// Message is the customer message that states the topic: the first
	// one of the conversation.
	Message Message
	Contact Contact
	Folders []Folder
	// History is the whole conversation, oldest first, for classifiers
	// that use context.
	History []Message
}

// Classifier decides where a conversation belongs. A Decision with no
// FolderID and no Status abstains, letting the next classifier decide.
// Reason should be readable by a person ("subject contains RDV").
type Classifier interface {
	Classify(ctx context.Context, in ClassifyInput) (Decision, error)
}

// DeferredClassifier is an optional Classifier capability for classifiers
// with slow parts (a model called over the network, a labeller that costs
// milliseconds of CPU). At intake the engine runs only Inline, on the
// request path; the whole classifier then runs as durable background work
// (WorkClassify) for conversations Inline left unfiled or decided with
// Decision.Pending set, so a webhook's answer and a mailbox's first sync
// never wait for the slow part.
type DeferredClassifier interface {
	Classifier
	// Inline returns the fast part, or nil when every part is slow.
	Inline() Classifier
}

// HistoryNeeder is implemented by classifiers that tell whether they read
// ClassifyInput.History. Reclassifying a tenant reads every conversation;
// for a classifier that decides from the opening message, contact and
// folders alone (rules), it then loads one message per conversation
// instead of all of them. Classifiers without the method get the history.
type HistoryNeeder interface {
	NeedsHistory() bool
}

// needsHistory reports whether c reads ClassifyInput.History.
func needsHistory(c Classifier) bool {
	h, ok := c.(HistoryNeeder)
	return !ok || h.NeedsHistory()
}

// ClassifierFunc adapts a function to Classifier.
type ClassifierFunc func(ctx context.Context, in ClassifyInput) (Decision, error)

// Classify calls f.
func (f ClassifierFunc) Classify(ctx context.Context, in ClassifyInput) (Decision, error) {
	return f(ctx, in)
}

// Abstains reports whether d decides nothing.
func (d Decision) Abstains() bool {
	return d.FolderID == "" && d.Status == "" && d.Intent == "" && d.Urgency == "" && len(d.Tags) == 0 && d.Assignee == ""
}
