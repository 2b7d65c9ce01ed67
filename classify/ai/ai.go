package ai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// By is the Decision.By of AI decisions.
const By = "ai"

// Options configure a Classifier. Config and Model are required; every
// other zero value is a documented default.
type Options struct {
	// Config is the go-openai client configuration: API key, BaseURL and
	// API type, which select OpenAI, Azure OpenAI, Ollama or vLLM (any
	// server speaking the chat-completions API). Its HTTPClient (nil:
	// http.DefaultClient) is wrapped with timeouts and retries.
	Config openai.ClientConfig
	// Model names the model (the deployment on Azure).
	Model string
	// Timeout bounds one HTTP attempt. 0 means 10 seconds.
	Timeout time.Duration
	// Deadline bounds a whole Classify call: waiting for a call slot,
	// every attempt and the waits between them, so a provider that hangs
	// or keeps answering 429 cannot hold a classification longer. The
	// caller's context can shorten it. 0 means 20 seconds.
	Deadline time.Duration
	// MaxRetries is how many times a rate-limited (429), failed (5xx) or
	// timed-out attempt is repeated. 0 means 3; negative means never.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// attempts (full jitter; a Retry-After header wins, capped at one
	// minute). 0 means 500 ms and 10 s.
	MinBackoff, MaxBackoff time.Duration
	// MinConfidence: below it the classifier abstains and the next one in
	// the chain decides. 0 means 0.6.
	MinConfidence float64
	// MaxInputChars truncates the message text sent. 0 means 4,000.
	MaxInputChars int
	// MaxConcurrentPerTenant bounds a tenant's calls in flight; others
	// wait (as long as their context allows). 0 means 4.
	MaxConcurrentPerTenant int
	// TokenBudget caps the tokens a tenant may spend per BudgetWindow;
	// past it calls fail with inbox.ErrTemporary until the window ends.
	// 0 means no cap. BudgetWindow 0 means 24 hours.
	TokenBudget  int
	BudgetWindow time.Duration
	// MaxReplyTokens bounds the answer. 0 means 300.
	MaxReplyTokens int
	// KeepStatus stops the classifier from raising a conversation's status
	// to spam or urgent when it detects those intents.
	KeepStatus bool
	// Clock tells the time (budget windows). Nil: the system clock.
	Clock inbox.Clock
	// Logger receives retries and failures (never message text or keys).
	// Nil discards logs.
	Logger *slog.Logger
	// Metrics receives ai_request_seconds{use="classify"}, the time of
	// each call with its retries, and ai_errors_total{use,reason} for the
	// calls that failed (inbox.ErrorReason). Nil: not reported.
	Metrics inbox.Metrics
}

// Classifier asks a chat-completions model to choose among the tenant's
// folders (names and descriptions) and to label intent and urgency,
// using strict JSON-schema structured output. Below MinConfidence it
// abstains. A malformed reply, an unknown folder, a timeout or a
// provider error is returned as an error (the chain records it and asks
// the next classifier); nothing panics.
type Classifier struct {
	client *openai.Client
	opts   Options
	log    *slog.Logger
	clock  inbox.Clock
	limits *tenantLimits
	doer   *retryingDoer
}

var _ inbox.Classifier = (*Classifier)(nil)

// New validates opts and returns a Classifier.
func New(opts Options) (*Classifier, error) {
	switch {
	case strings.TrimSpace(opts.Model) == "":
		return nil, fmt.Errorf("ai classifier: %w", inbox.Invalid("Options.Model", "is required"))
	case opts.Timeout < 0 || opts.Deadline < 0 || opts.MinBackoff < 0 || opts.MaxBackoff < 0 || opts.BudgetWindow < 0:
		return nil, fmt.Errorf("ai classifier: %w", inbox.Invalid("Options", "durations must not be negative"))
	case opts.MinConfidence < 0 || opts.MinConfidence > 1:
		return nil, fmt.Errorf("ai classifier: %w", inbox.Invalid("Options.MinConfidence", "must be between 0 and 1"))
	case opts.MaxInputChars < 0 || opts.MaxConcurrentPerTenant < 0 || opts.TokenBudget < 0 || opts.MaxReplyTokens < 0:
		return nil, fmt.Errorf("ai classifier: %w", inbox.Invalid("Options", "limits must not be negative"))
	}
	setDefault(&opts.Timeout, 10*time.Second)
	setDefault(&opts.Deadline, 20*time.Second)
	setDefault(&opts.MinBackoff, 500*time.Millisecond)
	setDefault(&opts.MaxBackoff, 10*time.Second)
	setDefault(&opts.BudgetWindow, 24*time.Hour)
	setDefault(&opts.MinConfidence, 0.6)
	setDefault(&opts.MaxInputChars, 4000)
	setDefault(&opts.MaxConcurrentPerTenant, 4)
	setDefault(&opts.MaxReplyTokens, 300)
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 3
	} else if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	c := &Classifier{opts: opts, log: opts.Logger, clock: opts.Clock}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.clock == nil {
		c.clock = inbox.SystemClock{}
	}
	if c.opts.Metrics == nil {
		c.opts.Metrics = inbox.NopMetrics{}
	}
	next := opts.Config.HTTPClient
	if next == nil {
		next = http.DefaultClient
	}
	c.doer = &retryingDoer{
		next: next, timeout: opts.Timeout, maxRetries: opts.MaxRetries,
		minBackoff: opts.MinBackoff, maxBackoff: opts.MaxBackoff,
		now: c.clock.Now, sleep: sleepContext,
	}
	cfg := opts.Config
	cfg.HTTPClient = c.doer
	c.client = openai.NewClientWithConfig(cfg)
	c.limits = newTenantLimits(opts.MaxConcurrentPerTenant, opts.TokenBudget, opts.BudgetWindow)
	return c, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Name is "ai".
func (c *Classifier) Name() string { return By }

// SpentTokens reports the tokens a tenant spent in the current budget
// window.
func (c *Classifier) SpentTokens(tenant inbox.TenantID) int { return c.limits.spentTokens(tenant) }

// Errors of Classify besides inbox's sentinels.
var (
	// ErrRateLimited: the provider kept answering 429 (it also wraps
	// inbox.ErrTemporary: try later).
	ErrRateLimited = errors.New("rate limited by the provider")
	// ErrTimeout: the attempt, the call's Deadline or the caller's
	// deadline passed, waiting for a slot, an answer or a retry (it also
	// wraps inbox.ErrTemporary and context.DeadlineExceeded).
	ErrTimeout = errors.New("timeout")
	// ErrProvider: the provider answered something that is not the API
	// (an HTML page with status 200 from a proxy or a captive portal, a
	// body that is not JSON). Not temporary: retrying the same
	// configuration gives the same page.
	ErrProvider = errors.New("provider error")
)

// Classify asks the model. Errors wrap inbox.ErrTemporary (ErrTimeout,
// ErrRateLimited, server errors, spent budget), inbox.ErrUnauthorized
// (rejected key), ErrProvider (an answer that is not the API) or
// inbox.ErrInvalid (an unusable reply). The whole call is bounded by
// Options.Deadline.
func (c *Classifier) Classify(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	if len(in.Folders) == 0 {
		return inbox.Decision{Reason: "no folders to choose from"}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Deadline)
	defer cancel()
	names := folderNames(in.Folders)
	prompt := userPrompt(in, names, c.opts.MaxInputChars, in.Tenant.Settings.MaskPII)
	req := openai.ChatCompletionRequest{
		Model: c.opts.Model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: systemPrompt},
			{Role: openai.ChatMessageRoleUser, Content: prompt},
		},
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name:        "classification",
				Description: "Folder, intent and urgency of a customer message",
				Schema:      schema(names),
				Strict:      true,
			},
		},
		MaxCompletionTokens: c.opts.MaxReplyTokens,
	}
	// About four characters per token, plus the answer.
	estimate := (len(systemPrompt)+len(prompt))/4 + c.opts.MaxReplyTokens
	release, err := c.limits.acquire(ctx, in.Tenant.ID, estimate, c.clock.Now())
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return inbox.Decision{}, fmt.Errorf("ai: %w: %w (%w)", ErrTimeout, err, inbox.ErrTemporary)
		}
		return inbox.Decision{}, fmt.Errorf("ai: %w", err)
	}
	started := c.clock.Now()
	callStart := time.Now()
	resp, err := c.client.CreateChatCompletion(ctx, req)
	c.opts.Metrics.Observe("ai_request_seconds", time.Since(callStart).Seconds(), "use", "classify")
	used := resp.Usage.TotalTokens
	if err != nil || used == 0 {
		used = estimate // charge what was probably spent
	}
	release(used)
	if err != nil {
		err = classifyError(err)
		c.opts.Metrics.Add("ai_errors_total", 1, "use", "classify", "reason", inbox.ErrorReason(err))
		c.log.Warn("classify: ai call failed", "tenant", string(in.Tenant.ID), "model", c.opts.Model, "err", err)
		return inbox.Decision{}, fmt.Errorf("ai: %w", err)
	}
	if len(resp.Choices) == 0 {
		return inbox.Decision{}, fmt.Errorf("ai: reply has no choices: %w", inbox.ErrInvalid)
	}
	choice := resp.Choices[0]
	if choice.Message.Refusal != "" {
		return inbox.Decision{}, fmt.Errorf("ai: model refused: %s: %w", truncateRunes(oneLine(choice.Message.Refusal), 200), inbox.ErrInvalid)
	}
	if choice.FinishReason == openai.FinishReasonLength {
		return inbox.Decision{}, fmt.Errorf("ai: reply cut at %d tokens: %w", c.opts.MaxReplyTokens, inbox.ErrInvalid)
	}
	r, err := parseReply(choice.Message.Content, names)
	if err == nil && r.Folder != NoFolder {
		r.Folder = names[indexOf(names, r.Folder)]
	}
	if err != nil {
		return inbox.Decision{}, fmt.Errorf("ai: %s: %w", err.Error(), inbox.ErrInvalid)
	}
	c.log.Debug("classify: ai answered", "tenant", string(in.Tenant.ID), "folder", r.Folder, "confidence", r.Confidence, "tokens", used, "elapsed", c.clock.Now().Sub(started))
	if r.Confidence < c.opts.MinConfidence {
		return inbox.Decision{Reason: fmt.Sprintf("ai suggested %q at confidence %.2f, below %.2f", r.Folder, r.Confidence, c.opts.MinConfidence)}, nil
	}
	d := inbox.Decision{
		Intent:     inbox.Intent(r.Intent),
		Urgency:    inbox.Urgency(r.Urgency),
		Confidence: r.Confidence,
		By:         By,
		Reason:     r.Reason,
	}
	if r.Folder != NoFolder {
		d.FolderID = in.Folders[indexOf(names, r.Folder)].ID
	}
	if !c.opts.KeepStatus {
		switch d.Intent {
		case inbox.IntentSpam:
			d.Status = inbox.StatusSpam
		case inbox.IntentUrgent:
			d.Status = inbox.StatusUrgent
		}
	}
	return d, nil
}

// folderNames returns the names shown to the model, one per folder:
// unnamed folders use their id and repeated names get a number, so every
// answer maps back to one folder.
func folderNames(folders []inbox.Folder) []string {
	names := make([]string, len(folders))
	seen := map[string]int{NoFolder: 1}
	for i, f := range folders {
		name := oneLine(f.Name)
		if name == "" {
			name = f.ID
		}
		seen[name]++
		if n := seen[name]; n > 1 {
			name = fmt.Sprintf("%s (%d)", name, n)
		}
		names[i] = name
	}
	return names
}

// indexOf finds a folder name as the model wrote it: exactly, else
// ignoring case, accents and typography (inbox/textfold) and surrounding
// spaces, so "commandes" or "Rendez vous" name "Commandes" and
// "Rendez-vous" when no other folder folds alike.
func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	want := foldName(name)
	found := -1
	for i, n := range names {
		if foldName(n) == want {
			if found >= 0 {
				return -1 // ambiguous
			}
			found = i
		}
	}
	return found
}

func foldName(s string) string {
	return strings.Join(textfold.Tokens(s), " ")
}

// classifyError maps provider and transport failures to inbox's sentinel
// errors, keeping the provider's message (which never contains the key).
func classifyError(err error) error {
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	status := 0
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Errorf("provider rejected the credentials (HTTP %d): %w", status, inbox.ErrUnauthorized)
	case errors.As(err, new(*notAPIError)):
		return fmt.Errorf("%v: %w", oneLine(err.Error()), ErrProvider)
	case status == http.StatusTooManyRequests:
		return fmt.Errorf("%w (HTTP 429) after retries: %v: %w", ErrRateLimited, oneLine(err.Error()), inbox.ErrTemporary)
	case status >= 500:
		return fmt.Errorf("provider unavailable (HTTP %d) after retries: %v: %w", status, oneLine(err.Error()), inbox.ErrTemporary)
	case status != 0:
		return fmt.Errorf("provider refused the request (HTTP %d): %v: %w", status, oneLine(err.Error()), inbox.ErrInvalid)
	case isTimeout(err):
		return fmt.Errorf("%w: %w (%w)", ErrTimeout, context.DeadlineExceeded, inbox.ErrTemporary)
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("%v: %w", oneLine(err.Error()), inbox.ErrTemporary)
}
