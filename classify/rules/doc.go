// Package rules files conversations by rules that people write in a UI:
// conditions on the sender, subject, body, recipients, channel,
// attachments and language, combined in nested AND / OR / NOT groups,
// with actions (file into the folder, set a status such as urgent or
// spam, assign, tag).
//
// A folder's rules are JSON (inbox.Folder.Rules, modelled by RuleSet):
//
//	{"any": [
//	    {"field": "subject", "op": "contains", "value": "RDV"},
//	    {"field": "body", "op": "contains", "value": "rendez-vous"}
//	]}
//
// Compile validates them (errors name the path of the offending
// condition and wrap inbox.ErrInvalid) and compiles them once into
// expr-lang programs over a typed Env. Power users may write raw
// expressions ({"expr": "sender_domain == \"client.com\""}) against the
// same Env.
//
// # Text is folded
//
// Rules never see a message's text as it was written: every text field
// (sender email, name, domain and phone, subject, body, recipients,
// channel, language) is folded with inbox/textfold first. Folding
// lower-cases, removes accents ("Problème" → "probleme", "Straße" →
// "strasse"), and makes typographic punctuation plain ASCII: curly
// apostrophes and quotes, non-breaking spaces, and dashes, so
// "rendez‑vous" written with U+2011 (non-breaking hyphen) or U+2013 is
// "rendez-vous". The condition builder folds its values the same way, so
// its comparisons are case-, accent- and typography-insensitive:
// "probleme" matches "PROBLÈME", "rendez-vous" matches "Rendez‑Vous". Regular
// expressions ("matches") are made case-insensitive and their accented
// letters folded.
//
// Raw expressions compare with what they are given: a literal must be
// written folded ("probleme", or fold("Problème"), folded at compile
// time). A literal that folding would change can never match a folded
// field, so Compile rejects it and names its folded spelling:
// `subject contains "Problème"`, `body contains "rendez‑vous"` (U+2011),
// `body matches "^Urgent"` (use "^urgent" or "(?i)^urgent"). Compile also
// rejects comparisons with an empty string (`sender_email equals ""` is
// true of every SMS: use len(sender_email) == 0 in an expression if that
// is meant), regular expressions that are not literals, and indexes
// that are out of range whatever the message (`split(x, "@", 2)[2]`).
//
// # Budget
//
// Each evaluation of a raw expression has a budget: MaxEvalTime of wall
// time (Options.EvalTimeout; the caller's context can shorten it), a
// bounded number of loop iterations and scanned bytes, and bounded
// allocations (expr's MaxNodes and VM memory budget included). A rule
// over its budget fails with ErrBudget: it files nothing, the error is
// reported, and the other folders are evaluated as usual.
//
// Classifier is the inbox.Classifier: folders are tried in Position order
// and the first match wins. It caches compiled rules per folder version;
// when a new version does not compile, the previous one stays active and
// the error is reported. Rules made of conditions (no raw expression)
// are also compiled to Go predicates, which Classify runs instead of the
// VM; a field is folded once per message, when a rule first reads it.
// Tenants with raw expressions have all their folders chained into one
// bundled expr program, one VM run per message whatever the number of
// folders.
package rules
