package rules

import "github.com/inboxkit/inboxkit/inbox"

// RuleSet is the rule model of one folder, stored as JSON in
// inbox.Folder.Rules. Its root is a Node (a condition, a group or a raw
// expression) plus the actions applied when it matches:
//
//	{"any": [
//	    {"field": "subject", "op": "contains", "value": "RDV"},
//	    {"field": "body", "op": "contains", "value": "rendez-vous"}
//	 ],
//	 "actions": {"status": "urgent", "tags": ["agenda"]}}
//
// A folder whose rules are empty (no bytes, null or {}) never matches.
type RuleSet struct {
	Node
	// Actions say what a match does besides filing into the folder.
	Actions Actions `json:"actions,omitzero"`
}

// Node is a condition, a group of nodes or a raw expression: exactly one
// of Field (with Op and Value), All, Any, None or Expr is set.
type Node struct {
	// All matches when every child matches (AND).
	All []Node `json:"all,omitempty"`
	// Any matches when at least one child matches (OR).
	Any []Node `json:"any,omitempty"`
	// None matches when no child matches (NOT OR).
	None []Node `json:"none,omitempty"`

	// Field, Op and Value form a condition such as
	// subject contains "RDV". Value is a string, a list of strings for
	// OpIn, or a boolean for FieldHasAttachment.
	Field Field `json:"field,omitempty"`
	Op    Op    `json:"op,omitempty"`
	Value any   `json:"value,omitempty"`

	// Expr is a raw expr-lang expression over Env for power users, e.g.
	// `sender_domain == "client.com" && has_attachment`.
	Expr string `json:"expr,omitempty"`
}

// Field names a part of the message a condition looks at.
type Field string

// Fields. Text fields are folded (inbox/textfold: lower case, no
// accents, typographic dashes, quotes and spaces made plain) before any
// rule reads them, so they compare case- and accent-insensitively.
const (
	FieldSenderEmail   Field = "sender_email"   // the From address
	FieldSenderName    Field = "sender_name"    // the From display name, else the contact's name
	FieldSenderDomain  Field = "sender_domain"  // the part of the From address after "@"
	FieldSenderPhone   Field = "sender_phone"   // the sender's phone digits (SMS, WhatsApp)
	FieldSubject       Field = "subject"        // the message subject, else the conversation's
	FieldBody          Field = "body"           // the message text
	FieldRecipients    Field = "recipients"     // To and Cc addresses: a list, any element may match
	FieldChannel       Field = "channel"        // email, sms, whatsapp or webhook
	FieldHasAttachment Field = "has_attachment" // a boolean: the message carries a file
	FieldLanguage      Field = "language"       // the detected language code ("fr"), if known
)

// fieldKind says how a field's values are typed.
type fieldKind int

const (
	kindText fieldKind = iota
	kindList
	kindBool
)

var fields = map[Field]fieldKind{
	FieldSenderEmail:   kindText,
	FieldSenderName:    kindText,
	FieldSenderDomain:  kindText,
	FieldSenderPhone:   kindText,
	FieldSubject:       kindText,
	FieldBody:          kindText,
	FieldRecipients:    kindList,
	FieldChannel:       kindText,
	FieldHasAttachment: kindBool,
	FieldLanguage:      kindText,
}

// Op is a comparison operator.
type Op string

// Operators. All text comparisons are case- and accent-insensitive.
const (
	OpContains    Op = "contains"
	OpNotContains Op = "not_contains"
	OpEquals      Op = "equals"
	OpNotEquals   Op = "not_equals"
	OpStartsWith  Op = "starts_with"
	OpEndsWith    Op = "ends_with"
	OpMatches     Op = "matches" // a regular expression (RE2 syntax)
	OpIn          Op = "in"      // the field equals one of a list of values
)

var ops = map[Op]string{
	OpContains:    "contains",
	OpNotContains: "does not contain",
	OpEquals:      "is",
	OpNotEquals:   "is not",
	OpStartsWith:  "starts with",
	OpEndsWith:    "ends with",
	OpMatches:     "matches",
	OpIn:          "is one of",
}

// Actions are applied when a folder's rules match. Filing into the folder
// is implied unless NoMove is set.
type Actions struct {
	// Status raises the conversation's status, typically urgent or spam.
	Status inbox.Status `json:"status,omitempty"`
	// Intent and Urgency label the conversation.
	Intent  inbox.Intent  `json:"intent,omitempty"`
	Urgency inbox.Urgency `json:"urgency,omitempty"`
	// Assign gives the conversation to an employee (host id) if unassigned.
	Assign string `json:"assign,omitempty"`
	// Tags are added to the conversation.
	Tags []string `json:"tags,omitempty"`
	// NoMove applies the other actions without filing: evaluation goes on
	// with the next folders, whose actions are merged.
	NoMove bool `json:"no_move,omitempty"`
}

// IsZero reports whether a has no action besides filing.
func (a Actions) IsZero() bool {
	return a.Status == "" && a.Intent == "" && a.Urgency == "" && a.Assign == "" && len(a.Tags) == 0 && !a.NoMove
}

// Limits bound what a rule set may contain, so a rule built by mistake
// (or by an attacker) cannot make classification slow.
const (
	MaxRulesBytes  = 64 << 10 // JSON size of one folder's rules
	MaxDepth       = 8        // nesting of groups
	MaxConditions  = 100      // conditions and expressions in one rule set
	MaxValueLen    = 1000     // bytes of one compared value
	MaxListLen     = 500      // values of one "in" list
	MaxRegexLen    = 512      // bytes of one regular expression
	MaxExprLen     = 4000     // bytes of one raw expression
	MaxTags        = 20       // tags added by one rule set
	maxExprNodes   = 2000     // AST nodes of one compiled program
	maxDescription = 200      // bytes of a condition in a decision's reason
)
