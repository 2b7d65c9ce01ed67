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
// expr-lang programs over a typed Env. Text comparisons are case- and
// accent-insensitive: "probleme" matches "problème". Power users may write
// raw expressions ({"expr": "sender_domain == \"client.com\""}) against
// the same Env.
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
