package inbox

import "context"

// ReplyInput is the context a Responder writes an answer from.
type ReplyInput struct {
	Tenant       Tenant
	Conversation Conversation
	Contact      Contact
	Folder       Folder
	// Messages is the conversation so far, oldest first.
	Messages []Message
	// Prompt is the tenant's reply prompt followed by the folder's.
	Prompt string
}

// Reply is a generated answer.
type Reply struct {
	Text       string
	Confidence float64
	Citations  []Citation
}

// Responder writes replies to customers (an AI model, a template engine).
// It must not have side effects: text in a customer message can never
// change settings or trigger actions.
type Responder interface {
	Respond(ctx context.Context, in ReplyInput) (Reply, error)
}

// ResponderFunc adapts a function to Responder.
type ResponderFunc func(ctx context.Context, in ReplyInput) (Reply, error)

// Respond calls f.
func (f ResponderFunc) Respond(ctx context.Context, in ReplyInput) (Reply, error) {
	return f(ctx, in)
}
