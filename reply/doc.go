// Package reply writes AI answers to customers: the inbox.Responder behind
// folders with auto-reply, the knowledge base it quotes, and conversation
// summaries.
//
// The engine (package inbox) owns every rule about when an answer may be
// sent — the anti-loop guard, approval drafts, the outbox; this package
// only writes text:
//
//   - Knowledge stores a tenant's documents (text, Markdown, HTML) cut into
//     passages by headings and paragraphs (Chunk) in the store's full-text
//     index (driver.KnowledgeTx), and retrieves the passages relevant to a
//     conversation, optionally re-ranked with an Embedder on an
//     OpenAI-compatible embeddings API.
//   - AI is the inbox.Responder on an OpenAI-compatible chat-completions
//     API (go-openai): company and folder prompt, fixed safety rules, the
//     conversation trimmed to a token budget with customer text delimited as
//     data, numbered knowledge-base sources; the answer is strict JSON
//     (reply, confidence, used sources) and the sources used become the
//     draft's citations. The request carries no tools: nothing a customer
//     writes can change a setting or trigger an action.
//   - Summarizer keeps a short summary with key points, intent and urgency
//     in Conversation.Summary, on demand or automatically for long
//     conversations.
//
// Rate limits and server errors are retried with backoff; a model error, a
// timeout or an empty answer is returned as an error, which the engine
// turns into a failed draft with the reason, and nothing is sent.
package reply
