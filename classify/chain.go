package classify

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
)

// Labeller is implemented by classifiers that label conversations
// (intent, urgency, status, tags) without filing them, such as Intents.
// Chain runs every labeller, wherever it stands, and its labels fill what
// the members that decided left empty.
type Labeller interface {
	inbox.Classifier
	LabelsOnly()
}

// Namer is implemented by classifiers that have a name; Chain uses it to
// fill Decision.By and to name failures.
type Namer interface {
	Name() string
}

// Chain returns a classifier that asks each classifier in turn until one
// files the conversation (a decision with a FolderID). Decisions without
// a folder — a rule with no_move that only sets a status or tags, a
// fallback status — do not end the chain: their labels are kept and
// merged into the filing decision, earlier members winning (a rule's
// status urgent stays when the learner files). Labellers (Labeller, such
// as Intents) run wherever they stand, even after the filing member, and
// fill the labels nobody set. If nobody files, the merged labels are
// returned.
//
// A classifier that fails (an error or a panic) is recorded and the next
// one is asked; the decision's Reason mentions the failures and
// abstentions before it, so a filing is always explainable. If nobody
// files and some failed, the failures are returned as a *ChainError. The
// chain forwards the optional capabilities the engine looks for: Learn
// (inbox.Learner) and Confirm (inbox.Confirmer) to every classifier that
// learns, ValidateRules (inbox.RuleValidator) to every classifier that
// validates folder rules, and NeedsHistory (inbox.HistoryNeeder), true if
// any member reads the history.
//
// When a member is slow (inbox.DeferredClassifier, such as the AI
// classifier or a classifier wrapped in Background), the chain is too:
// the engine runs the members before a slow filer, and the fast
// labellers, at intake, and the whole chain as durable background work
// that completes their decision (see Background).
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
	var partial inbox.Decision // labels of members that did not file
	partialBy := ""
	var reasons []string
	filed := -1
	for i, cl := range c {
		_, labeller := cl.(Labeller)
		if filed >= 0 && !labeller {
			continue // after the filing decision only labellers still run
		}
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
			if d.Reason != "" && !labeller {
				notes = append(notes, name+" abstained: "+d.Reason)
			}
			continue
		}
		if d.By == "" {
			d.By = name
		}
		if d.FolderID == "" || labeller {
			// Labels only (a rule with no_move, a fallback status, an
			// intent): kept, and the chain goes on to find a folder.
			mergeLabels(&partial, d)
			if partialBy == "" && !labeller {
				partialBy = d.By
			}
			if d.Reason != "" {
				reasons = append(reasons, labelNote(d, labeller))
			}
			continue
		}
		filed = i
		merged := d
		merged.Error = ""
		// Members before the filing one decided first: their labels win.
		labels := partial
		mergeLabels(&labels, d)
		merged.Status, merged.Intent, merged.Urgency, merged.Assignee, merged.Tags = labels.Status, labels.Intent, labels.Urgency, labels.Assignee, labels.Tags
		partial = merged
		partialBy = d.By
		if len(reasons) > 0 {
			merged.Reason = strings.TrimSpace(merged.Reason + "; " + strings.Join(reasons, "; "))
			reasons = nil
		}
		partial.Reason = merged.Reason
	}
	if filed < 0 && len(failures) > 0 {
		return inbox.Decision{}, &ChainError{Failures: failures}
	}
	if partial.Abstains() {
		return inbox.Decision{}, nil
	}
	d := partial
	if filed < 0 {
		d.By = partialBy
		if d.By == "" {
			d.By = IntentBy
		}
		d.Reason = strings.Join(reasons, "; ")
	} else if len(reasons) > 0 { // labellers after the filing member
		d.Reason = strings.TrimSpace(d.Reason + "; " + strings.Join(reasons, "; "))
	}
	if len(notes) > 0 {
		d.Reason = strings.TrimSpace(d.Reason + " (after " + strings.Join(notes, "; ") + ")")
	}
	return d, nil
}

// mergeLabels adds d's labels (not its folder) to dst where dst has none;
// tags are added.
func mergeLabels(dst *inbox.Decision, d inbox.Decision) {
	if dst.Status == "" {
		dst.Status = d.Status
	}
	if dst.Intent == "" {
		dst.Intent = d.Intent
	}
	if dst.Urgency == "" {
		dst.Urgency = d.Urgency
	}
	if dst.Assignee == "" {
		dst.Assignee = d.Assignee
	}
	for _, t := range d.Tags {
		if !slices.Contains(dst.Tags, t) {
			dst.Tags = append(dst.Tags, t)
		}
	}
	if dst.Confidence == 0 {
		dst.Confidence = d.Confidence
	}
}

func labelNote(d inbox.Decision, labeller bool) string {
	if labeller {
		return d.By + ": " + d.Reason
	}
	return d.Reason
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

// Confirm forwards a filing an agent kept to every classifier that
// learns from confirmations (inbox.Confirmer).
func (c chain) Confirm(tenant inbox.TenantID, in inbox.ClassifyInput, folderID string) {
	for _, cl := range c {
		if l, ok := cl.(inbox.Confirmer); ok {
			l.Confirm(tenant, in, folderID)
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
// classifier leaves it empty and in the chain's notes. It keeps the
// classifier's optional capabilities: Learn, Confirm, ValidateRules,
// NeedsHistory, the slow/fast split (inbox.DeferredClassifier) and
// Labeller.
//
// inbox.ClassifierFunc, by contrast, has none of them: a function
// adapted with it cannot learn (moves and confirmations are not
// forwarded to it), validate rules (rules are then only checked to be
// JSON), tell that it does not read the history (reclassification loads
// every message for it), run in the background (it runs at intake, on
// the request path) or be a labeller (it ends the chain when it files).
// Wrap a type with methods instead when one of those matters.
func Named(name string, c inbox.Classifier) inbox.Classifier {
	n := named{name: name, c: c}
	_, labeller := c.(Labeller)
	if _, ok := c.(inbox.DeferredClassifier); ok {
		if labeller {
			return namedDeferredLabeller{namedDeferred{n}}
		}
		return namedDeferred{n}
	}
	if labeller {
		return namedLabeller{n}
	}
	return n
}

// namedLabeller is Named over a Labeller.
type namedLabeller struct{ named }

func (namedLabeller) LabelsOnly() {}

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

func (n named) Confirm(tenant inbox.TenantID, in inbox.ClassifyInput, folderID string) {
	if l, ok := n.c.(inbox.Confirmer); ok {
		l.Confirm(tenant, in, folderID)
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
