package reply

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/logmask"
)

// AI defaults.
const (
	DefaultMaxHistoryTokens = 3000
	DefaultMaxReplyTokens   = 1000
	DefaultTimeout          = 60 * time.Second
)

// AIOptions configure the AI responder.
type AIOptions struct {
	// ClientOptions reach the chat-completions API (Client, or BaseURL
	// and APIKey).
	ClientOptions
	// Model names the chat model; it must support strict JSON-schema
	// structured outputs. Required.
	Model string
	// Knowledge supplies passages for folders whose AutoReply.UseKnowledge
	// is set (or for every reply with AlwaysUseKnowledge). Nil: replies use
	// the conversation and the prompt only.
	Knowledge *Knowledge
	// AlwaysUseKnowledge consults the knowledge base whatever the folder
	// says.
	AlwaysUseKnowledge bool
	// MaxHistoryTokens bounds the verbatim conversation sent to the model;
	// older messages are replaced by the conversation's summary (or a
	// digest). 0 means DefaultMaxHistoryTokens.
	MaxHistoryTokens int
	// MaxReplyTokens bounds the generated answer. 0 means
	// DefaultMaxReplyTokens.
	MaxReplyTokens int
	// Temperature is sent when non-zero; 0 leaves the model's default.
	Temperature float32
	// Timeout bounds one Respond call, retries included. 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Retry bounds retries of rate-limited and failing calls.
	Retry RetryOptions
	// Logger receives warnings. Nil: discarded.
	Logger *slog.Logger
}

// AI is an inbox.Responder that writes replies with a chat model: the
// tenant's and folder's prompt, fixed safety rules, the conversation
// (customer text delimited as data, trimmed to a token budget) and
// numbered knowledge-base passages go in; a reply, a confidence and the
// passages it used come out. The request carries no tools or functions,
// so nothing a customer writes can make the model act.
type AI struct {
	chat      chatModel
	opts      AIOptions
	masker    *logmask.Masker
	log       *slog.Logger
	knowledge *Knowledge
}

var _ inbox.Responder = (*AI)(nil)

// NewAI validates opts and returns the responder.
func NewAI(opts AIOptions) (*AI, error) {
	client, err := opts.client("AIOptions.Client")
	if err != nil {
		return nil, fmt.Errorf("reply: new AI responder: %w", err)
	}
	if strings.TrimSpace(opts.Model) == "" {
		return nil, fmt.Errorf("reply: new AI responder: %w", inbox.Invalid("AIOptions.Model", "is required"))
	}
	switch {
	case opts.MaxHistoryTokens < 0:
		return nil, fmt.Errorf("reply: new AI responder: %w", inbox.Invalid("AIOptions.MaxHistoryTokens", "must not be negative"))
	case opts.MaxHistoryTokens == 0:
		opts.MaxHistoryTokens = DefaultMaxHistoryTokens
	}
	if opts.MaxReplyTokens <= 0 {
		opts.MaxReplyTokens = DefaultMaxReplyTokens
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	masker := logmask.NewMasker(logmask.Options{})
	return &AI{
		chat: chatModel{client: client, model: opts.Model, maxTokens: opts.MaxReplyTokens, temperature: opts.Temperature,
			timeout: opts.Timeout, retry: opts.Retry, masker: masker, use: "reply", metrics: opts.metrics()},
		opts: opts, masker: masker, log: log, knowledge: opts.Knowledge,
	}, nil
}

// aiAnswer is the structured answer the model must give.
type aiAnswer struct {
	Reply       string  `json:"reply"`
	Confidence  float64 `json:"confidence"`
	UsedSources []int   `json:"used_sources"`
}

// Respond writes a reply to the conversation's latest customer message.
// A model error, a timeout, a refusal or an empty answer is an error: the
// engine then keeps a failed draft with the reason and sends nothing.
func (a *AI) Respond(ctx context.Context, in inbox.ReplyInput) (inbox.Reply, error) {
	if len(in.Messages) == 0 {
		return inbox.Reply{}, fmt.Errorf("reply: %w", inbox.Invalid("messages", "the conversation is empty"))
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()

	var sources []inbox.KnowledgeHit
	if a.knowledge != nil && (a.opts.AlwaysUseKnowledge || in.Folder.AutoReply.UseKnowledge) {
		var err error
		sources, err = a.knowledge.ForConversation(ctx, in.Tenant.ID, in.Conversation.Subject, in.Messages)
		if err != nil {
			return inbox.Reply{}, fmt.Errorf("reply: %w", err)
		}
	}
	messages := a.Messages(in, sources)
	var ans aiAnswer
	if err := a.chat.complete(ctx, messages, "customer_reply", json.RawMessage(replySchema), &ans); err != nil {
		return inbox.Reply{}, fmt.Errorf("reply: %w", err)
	}
	text := strings.TrimSpace(ans.Reply)
	if text == "" {
		return inbox.Reply{}, fmt.Errorf("reply: model %s: %w", a.opts.Model, ErrEmptyAnswer)
	}
	var used []inbox.KnowledgeHit
	seen := map[int]bool{}
	for _, n := range ans.UsedSources {
		if n >= 1 && n <= len(sources) && !seen[n] {
			seen[n] = true
			used = append(used, sources[n-1])
		}
	}
	return inbox.Reply{Text: text, Confidence: min(max(ans.Confidence, 0), 1), Citations: Citations(used)}, nil
}

// Messages returns the chat messages Respond sends for in with the given
// knowledge-base passages: a system message (who writes, the company and
// folder prompt, the safety rules, the numbered sources) and one user
// message holding the delimited conversation. Hosts use it to preview or
// log what the model sees.
func (a *AI) Messages(in inbox.ReplyInput, sources []inbox.KnowledgeHit) []openai.ChatCompletionMessage {
	mask := func(s string) string { return s }
	if in.Tenant.Settings.MaskPII {
		mask = a.masker.String
	}
	h := renderHistory(in, a.opts.MaxHistoryTokens, mask)
	return []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: systemPrompt(in, sources)},
		{Role: openai.ChatMessageRoleUser, Content: userPrompt(in, h)},
	}
}
