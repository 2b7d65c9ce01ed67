// Package ai is a classifier that asks a chat-completions model (OpenAI,
// Azure OpenAI, Ollama, vLLM... through github.com/sashabaranov/go-openai)
// which of a tenant's folders a message belongs in, with its intent and
// urgency, using strict JSON-schema structured output whose folder enum is
// the tenant's folder names.
//
// It sends folder names and descriptions and the message, truncated, with
// email addresses and phone numbers masked when the tenant asks
// (TenantSettings.MaskPII). A whole call is bounded (Options.Deadline, 20 s
// by default) and so is each HTTP attempt; folder names in the answer are
// matched ignoring case and accents; a 200 answer that is an HTML page is
// ErrProvider, a wait past the deadline ErrTimeout, a persistent 429
// ErrRateLimited. Rate limits
// and server errors are retried with exponential backoff and jitter,
// honouring Retry-After. Calls are bounded per tenant in number and in
// tokens. Below a confidence threshold it abstains so the next classifier
// decides; unusable replies and failures are errors, never panics.
//
// Wrap it with classify.Async so classification never waits for the
// model during ingest.
package ai
