// Package classify composes classifiers that file conversations into
// folders and label them (status, intent, urgency), and measures how well
// they do.
//
// The usual chain is rules → AI → learner → default:
//
//	rulesClassifier := rules.New(rules.Options{})       // package classify/rules
//	aiClassifier, _ := ai.New(ai.Options{...})          // package classify/ai
//	learner := learn.New(learn.Options{})               // package classify/learn
//	c := classify.Chain(rulesClassifier, classify.Async(aiClassifier, ...), learner,
//		classify.Fallback(inbox.Decision{Status: inbox.StatusNew}))
//
// Chain returns the first decision that does not abstain, with who decided
// (Decision.By), how sure it was and why, including the classifiers that
// failed or abstained before it. Async moves a slow classifier (AI) off
// the ingest path with bounded concurrency. A chain forwards agents'
// manual moves to the classifiers that learn from them (inbox.Learner)
// and folder rules to the classifiers that validate them
// (inbox.RuleValidator).
//
// Accuracy computes statistics from automatic decisions and the agents'
// later corrections: per classifier, per folder and a confusion matrix
// over a time range. FromAudit extracts both from the engine's audit log.
package classify
