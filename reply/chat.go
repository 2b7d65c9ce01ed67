package reply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/logmask"
)

// ErrEmptyAnswer is returned when the model answers with no text.
var ErrEmptyAnswer = errors.New("the model returned an empty answer")

// chatModel calls a chat-completions model for one structured answer.
type chatModel struct {
	client      *openai.Client
	model       string
	maxTokens   int
	temperature float32
	timeout     time.Duration
	retry       RetryOptions
	masker      *logmask.Masker
	// use labels the metrics ("reply", "summary").
	use     string
	metrics inbox.Metrics
}

// complete sends messages and decodes the model's JSON answer, which a
// strict JSON schema constrains, into out. The request never carries tools
// or functions: the model can only write text.
func (c *chatModel) complete(ctx context.Context, messages []openai.ChatCompletionMessage, schemaName string, schema json.RawMessage, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req := openai.ChatCompletionRequest{
		Model:               c.model,
		Messages:            messages,
		MaxCompletionTokens: c.maxTokens,
		Temperature:         c.temperature,
		ResponseFormat: &openai.ChatCompletionResponseFormat{
			Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
				Name: schemaName, Schema: schema, Strict: true,
			},
		},
	}
	var res openai.ChatCompletionResponse
	start := time.Now()
	err := c.retry.do(ctx, c.masker, func(ctx context.Context) error {
		var err error
		res, err = c.client.CreateChatCompletion(ctx, req)
		return err
	})
	if c.metrics != nil {
		c.metrics.Observe("ai_request_seconds", time.Since(start).Seconds(), "use", c.use)
		if err != nil {
			c.metrics.Add("ai_errors_total", 1, "use", c.use, "reason", inbox.ErrorReason(err))
		}
	}
	if err != nil {
		return fmt.Errorf("model %s: %w", c.model, err)
	}
	if len(res.Choices) == 0 {
		return fmt.Errorf("model %s: %w (no choices)", c.model, ErrEmptyAnswer)
	}
	choice := res.Choices[0]
	switch {
	case choice.Message.Refusal != "":
		return fmt.Errorf("model %s refused: %s", c.model, c.masker.String(choice.Message.Refusal))
	case choice.FinishReason == openai.FinishReasonLength:
		return fmt.Errorf("model %s: the answer was cut at the token limit (%d)", c.model, c.maxTokens)
	case choice.FinishReason == openai.FinishReasonContentFilter:
		return fmt.Errorf("model %s: the answer was withheld by the provider's content filter", c.model)
	case strings.TrimSpace(choice.Message.Content) == "":
		return fmt.Errorf("model %s: %w", c.model, ErrEmptyAnswer)
	}
	if err := json.Unmarshal([]byte(choice.Message.Content), out); err != nil {
		return fmt.Errorf("model %s: the answer is not the requested JSON: %w", c.model, err)
	}
	return nil
}
