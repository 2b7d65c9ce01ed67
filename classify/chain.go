package classify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

// Namer is implemented by classifiers that have a name; Chain uses it to
// fill Decision.By and to name failures.
type Namer interface {
	Name() string
}

// Chain returns a classifier that asks each classifier in turn and returns
// the first decision that does not abstain. A classifier that fails (an
// error or a panic) is recorded and the next one is asked; the winning
// decision's Reason mentions the failures and abstentions before it, so a
// filing is always explainable. If none decides and some failed, the
// failures are returned as a *ChainError. The chain forwards the optional
// capabilities the engine looks for: Learn (inbox.Learner) to every
// classifier that learns, ValidateRules (inbox.RuleValidator) to every
// classifier that validates folder rules, and NeedsHistory
// (inbox.HistoryNeeder), true if any member reads the history.
//
// When a member is slow (inbox.DeferredClassifier, such as the AI
// classifier), the chain is too: the engine runs the members before it at
// intake and the whole chain as durable background work.
func Chain(classifiers ...inbox.Classifier) inbox.Classifier {
	if isDeferred(classifiers) {
		return deferredChain{chain(classifiers)}
	}
	return chain(classifiers)
}

type chain []inbox.Classifier

var (
	_ inbox.Classifier    = chain(nil)
	_ inbox.Learner       = chain(nil)
	_ inbox.RuleValidator = chain(nil)
	_ inbox.HistoryNeeder = chain(nil)
)

// ChainError lists the classifiers of a chain that failed when none of
// the others decided.
type ChainError struct {
	Failures []error
}

// Error lists the failures on one line.
func (e *ChainError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, err := range e.Failures {
		parts[i] = err.Error()
	}
	return "no classifier decided: " + strings.Join(parts, "; ")
}

// Unwrap exposes the failures to errors.Is and errors.As.
func (e *ChainError) Unwrap() []error { return e.Failures }

// Classify asks each classifier in turn (see Chain).
func (c chain) Classify(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	var notes []string
	var failures []error
	for i, cl := range c {
		if err := ctx.Err(); err != nil {
			return inbox.Decision{}, err
		}
		d, err := safeClassify(ctx, cl, in)
		name := nameOf(cl, d, i)
		if err != nil {
			failures = append(failures, fmt.Errorf("%s: %w", name, err))
			notes = append(notes, name+" failed: "+oneLine(err.Error()))
			continue
		}
		if d.Abstains() {
			if d.Reason != "" {
				notes = append(notes, name+" abstained: "+d.Reason)
			}
			continue
		}
		if d.By == "" {
			d.By = name
		}
		d.Error = ""
		if len(notes) > 0 {
			d.Reason = strings.TrimSpace(d.Reason + " (after " + strings.Join(notes, "; ") + ")")
		}
		return d, nil
	}
	if len(failures) > 0 {
		return inbox.Decision{}, &ChainError{Failures: failures}
	}
	return inbox.Decision{}, nil
}

// Learn forwards an agent's manual filing to every classifier that learns.
// NeedsHistory is true if any classifier of the chain reads
// ClassifyInput.History (or does not say).
func (c chain) NeedsHistory() bool {
	for _, cl := range c {
		if h, ok := cl.(inbox.HistoryNeeder); !ok || h.NeedsHistory() {
			return true
		}
	}
	return false
}

func (c chain) Learn(tenant inbox.TenantID, in inbox.ClassifyInput, folderID string) {
	for _, cl := range c {
		if l, ok := cl.(inbox.Learner); ok {
			l.Learn(tenant, in, folderID)
		}
	}
}

// ValidateRules asks every classifier that validates folder rules; the
// first refusal wins. Without any, rules must at least be valid JSON.
func (c chain) ValidateRules(rules json.RawMessage) error {
	validated := false
	for _, cl := range c {
		if v, ok := cl.(inbox.RuleValidator); ok {
			validated = true
			if err := v.ValidateRules(rules); err != nil {
				return err
			}
		}
	}
	if !validated && len(rules) > 0 && !json.Valid(rules) {
		return inbox.Invalid("rules", "is not valid JSON")
	}
	return nil
}

// safeClassify turns a classifier's panic into an error: one broken
// classifier must not take ingest down.
func safeClassify(ctx context.Context, c inbox.Classifier, in inbox.ClassifyInput) (d inbox.Decision, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = inbox.Decision{}, fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Classify(ctx, in)
}

func nameOf(c inbox.Classifier, d inbox.Decision, i int) string {
	if n, ok := c.(Namer); ok && n.Name() != "" {
		return n.Name()
	}
	if d.By != "" {
		return d.By
	}
	return fmt.Sprintf("classifier %d", i+1)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// Named gives a classifier a name, used as Decision.By when the
// classifier leaves it empty and in the chain's notes. It forwards Learn,
// ValidateRules, NeedsHistory and the slow/fast split
// (inbox.DeferredClassifier).
func Named(name string, c inbox.Classifier) inbox.Classifier {
	if _, ok := c.(inbox.DeferredClassifier); ok {
		return namedDeferred{named{name: name, c: c}}
	}
	return named{name: name, c: c}
}

type named struct {
	name string
	c    inbox.Classifier
}

func (n named) Name() string { return n.name }

func (n named) Classify(ctx context.Context, in inbox.ClassifyInput) (inbox.Decision, error) {
	d, err := n.c.Classify(ctx, in)
	if err == nil && d.By == "" && !d.Abstains() {
		d.By = n.name
	}
	return d, err
}

func (n named) Learn(tenant inbox.TenantID, in inbox.ClassifyInput, folderID string) {
	if l, ok := n.c.(inbox.Learner); ok {
		l.Learn(tenant, in, folderID)
	}
}

func (n named) ValidateRules(rules json.RawMessage) error {
	return chain{n.c}.ValidateRules(rules)
}

// FallbackBy is the Decision.By of Fallback decisions.
const FallbackBy = "default"

// Fallback returns a classifier that always makes decision d (for example
// a default folder, or status new with intent other), ending a chain.
func Fallback(d inbox.Decision) inbox.Classifier {
	if d.By == "" {
		d.By = FallbackBy
	}
	if d.Reason == "" {
		d.Reason = "no other classifier decided"
	}
	return fallback(d)
}

// fallback always returns its decision.
type fallback inbox.Decision

// Classify returns a copy of the decision.
func (f fallback) Classify(context.Context, inbox.ClassifyInput) (inbox.Decision, error) {
	out := inbox.Decision(f)
	out.Tags = append([]string(nil), f.Tags...)
	return out, nil
}

// NeedsHistory is false: the decision is fixed.
func (fallback) NeedsHistory() bool { return false }
