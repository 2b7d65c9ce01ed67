package inbox

import "context"

// ClassifyInput is what a classifier sees: the message that arrived, its
// conversation and contact, and the tenant's folders.
type ClassifyInput struct {
	Tenant       Tenant
	Conversation Conversation
	Message      Message
	Contact      Contact
	Folders      []Folder
}

// Classifier decides where a conversation belongs. A Decision with no
// FolderID and no Status abstains, letting the next classifier decide.
// Reason should be readable by a person ("subject contains RDV").
type Classifier interface {
	Classify(ctx context.Context, in ClassifyInput) (Decision, error)
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
