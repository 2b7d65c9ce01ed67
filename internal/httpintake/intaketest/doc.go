// Package intaketest holds the test fixtures of inboxkit's webhook
// receivers: an engine over memstore whose store can be made to fail and
// whose blob store counts live files, the shared webhook signature vectors
// (read from the test corpus, see internal/corpus), and a decoder for the
// receivers' JSON answers.
package intaketest
