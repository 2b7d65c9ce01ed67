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
// Chain returns the first decision that files the conversation, with who
// decided (Decision.By), how sure it was and why, including the
// classifiers that failed or abstained before it; decisions that only
// label (a rule with no_move, a status) are merged into it. Intents is an
// offline labeller of intent and urgency: anywhere in a chain it fills
// Decision.Intent and Decision.Urgency when the member that files leaves
// them empty:
//
//	c := classify.Chain(rulesClassifier, classify.Intents(classify.IntentOptions{}), learner, fallback)
//
// Intents costs about as much CPU per message as storing it; wrapped in
// Background it runs as the engine's durable background work instead of
// on the intake path: the rules and the learner still file at intake,
// and the labels follow within moments (the decision is marked Pending
// until they do):
//
//	c := classify.Chain(rulesClassifier, learner, classify.Background(classify.Intents(classify.IntentOptions{})))
//
// Async moves a slow classifier (AI) off
// the ingest path with bounded concurrency. A chain forwards agents'
// manual moves (inbox.Learner) and the filings they kept (inbox.Confirmer) to
// the classifiers that learn from them
// and folder rules to the classifiers that validate them
// (inbox.RuleValidator).
//
// Accuracy computes statistics from automatic decisions and the agents'
// later corrections: per classifier, per folder and a confusion matrix
// over a time range. FromAudit extracts both from the engine's audit log.
package classify
