package rules

import (
	"strings"

	"github.com/inboxkit/inboxkit/inbox"
	"github.com/inboxkit/inboxkit/inbox/textfold"
)

// Env is what rules and raw expressions see of a message. Text fields
// are folded with inbox/textfold (lower case, accents removed, "‑" U+2011
// and other typographic dashes, quotes and spaces made ASCII), so raw
// expressions compare with folded literals: `subject contains "probleme"`
// matches "PROBLÈME"; fold("Problème") folds a literal at compile time.
// Compile rejects a literal compared with a field that folding would
// change, since it could never match. An Env holds the evaluation budget
// of the run in progress, so it serves one evaluation at a time.
type Env struct {
	SenderEmail   string   `expr:"sender_email"`
	SenderName    string   `expr:"sender_name"`
	SenderDomain  string   `expr:"sender_domain"`
	SenderPhone   string   `expr:"sender_phone"`
	Subject       string   `expr:"subject"`
	Body          string   `expr:"body"`
	Recipients    []string `expr:"recipients"`
	Channel       string   `expr:"channel"`
	HasAttachment bool     `expr:"has_attachment"`
	Language      string   `expr:"language"`

	vars   map[string]any // the same values for expr, built once
	filled bool           // vars holds this message's values

	// pending lists the fields not folded yet: Classify's environments
	// fold a field the first time a rule reads it, from src, so a
	// message that no rule looks past the sender of never has its body
	// folded. Environments built by NewEnv and newEnv have none pending.
	pending fieldSet
	src     envSource

	// budget is what the current run of an expr program may still
	// spend; the expr view holds a pointer to it (budgetName).
	budget budget
}

// envTypes declares the names and types rules see; expr type-checks
// against it. A map environment is read by expr without reflection,
// which keeps 20 folders of rules within a few microseconds.
func envTypes() map[string]any {
	return (&Env{Recipients: []string{}}).values()
}

// values returns the fields keyed by their expr names, computing them
// once per message.
func (e *Env) values() map[string]any {
	if e.filled {
		return e.vars
	}
	e.resolve(e.pending)
	if e.vars == nil {
		e.vars = make(map[string]any, len(fieldOrder))
	}
	e.fill(e.vars)
	return e.vars
}

// fill writes the fields into m (a map reused from a pool, or new) and
// makes it e's expr view.
func (e *Env) fill(m map[string]any) {
	recipients := e.Recipients
	if recipients == nil {
		recipients = []string{}
	}
	m["sender_email"] = e.SenderEmail
	m["sender_name"] = e.SenderName
	m["sender_domain"] = e.SenderDomain
	m["sender_phone"] = e.SenderPhone
	m["subject"] = e.Subject
	m["body"] = e.Body
	m["recipients"] = recipients
	m["channel"] = e.Channel
	m["has_attachment"] = e.HasAttachment
	m["language"] = e.Language
	m[budgetName] = &e.budget
	e.vars, e.filled = m, true
}

// maxBodyBytes bounds the text rules search, so a 5 MB mail costs no
// more than a long one.
const maxBodyBytes = 64 << 10

// NewEnv builds the environment of a message once; every folder's rules
// are evaluated against it.
func NewEnv(in inbox.ClassifyInput) *Env { return newEnv(in, rawExpression) }

// newEnv builds an environment in which only the fields in need are
// folded (all of them if need has rawExpression): a tenant whose rules
// look at subjects and senders never pays for folding long bodies.
func newEnv(in inbox.ClassifyInput, need fieldSet) *Env {
	env := &Env{}
	env.set(&in, need)
	return env
}

// set fills e for a message, computing only the fields in need; e may be
// reused from a previous message (its expr view is kept for reuse).
func (e *Env) set(in *inbox.ClassifyInput, need fieldSet) {
	e.prepare(in, need)
	e.resolve(e.pending)
}

// envSource holds the raw message text of the fields still pending.
type envSource struct {
	email, phone, subject, name, language, text, html string
	to, cc                                            []inbox.Party
}

// prepare resets e for a message, with the fields in need pending: they
// are folded by resolve, on first read. The cheap fields (channel,
// attachment) are set at once.
func (e *Env) prepare(in *inbox.ClassifyInput, need fieldSet) {
	*e = Env{vars: e.vars} // filled is false: the view is rebuilt
	m := &in.Message
	if need&rawExpression != 0 {
		need = allFields
	}
	if need&(bitSenderEmail|bitSenderDomain) != 0 {
		e.src.email = m.From.Email
		e.pending |= bitSenderEmail | bitSenderDomain
	}
	if need&bitSenderPhone != 0 {
		e.src.phone = m.From.Phone
		e.pending |= bitSenderPhone
	}
	if need&bitSubject != 0 {
		e.src.subject = m.Subject
		if e.src.subject == "" {
			e.src.subject = in.Conversation.Subject
		}
		e.pending |= bitSubject
	}
	if need&bitLanguage != 0 {
		e.src.language = m.Language
		e.pending |= bitLanguage
	}
	e.Channel = string(m.Source)
	if need&bitSenderName != 0 {
		e.src.name = m.From.Name
		if e.src.name == "" {
			e.src.name = in.Contact.Name
		}
		e.pending |= bitSenderName
	}
	if need&bitBody != 0 {
		e.src.text, e.src.html = m.Text, m.HTML
		e.pending |= bitBody
	}
	if e.Channel == "" {
		e.Channel = string(in.Conversation.Source)
	}
	if len(m.To)+len(m.Cc) > 0 && need&bitRecipients != 0 {
		e.src.to, e.src.cc = m.To, m.Cc
		e.pending |= bitRecipients
	}
	for _, a := range m.Attachments {
		if !a.Inline {
			e.HasAttachment = true
			break
		}
	}
}

// resolve folds the pending fields among bits.
func (e *Env) resolve(bits fieldSet) {
	bits &= e.pending
	if bits == 0 {
		return
	}
	if bits&(bitSenderEmail|bitSenderDomain) != 0 {
		// The domain is derived from the address: both are folded at once.
		bits |= bitSenderEmail | bitSenderDomain
		e.SenderEmail = textfold.Fold(strings.TrimSpace(e.src.email)) // lower case too
		e.SenderDomain = domainOf(e.SenderEmail)
	}
	if bits&bitSenderPhone != 0 {
		e.SenderPhone = inbox.NormalizePhone(e.src.phone)
	}
	if bits&bitSubject != 0 {
		e.Subject = textfold.Fold(e.src.subject)
	}
	if bits&bitLanguage != 0 {
		e.Language = textfold.Fold(e.src.language)
	}
	if bits&bitSenderName != 0 {
		e.SenderName = textfold.Fold(e.src.name)
	}
	if bits&bitBody != 0 {
		body := e.src.text
		if body == "" && e.src.html != "" {
			body = stripTags(e.src.html)
		}
		if len(body) > maxBodyBytes {
			body = strings.ToValidUTF8(body[:maxBodyBytes], "")
		}
		e.Body = textfold.Fold(body)
	}
	if bits&bitRecipients != 0 {
		to, cc := e.src.to, e.src.cc
		e.Recipients = make([]string, 0, len(to)+len(cc))
		for _, p := range append(to[:len(to):len(to)], cc...) {
			switch {
			case p.Email != "":
				e.Recipients = append(e.Recipients, inbox.NormalizeEmail(p.Email))
			case p.Phone != "":
				e.Recipients = append(e.Recipients, inbox.NormalizePhone(p.Phone))
			case p.ID != "":
				e.Recipients = append(e.Recipients, textfold.Fold(p.ID))
			}
		}
	}
	e.pending &^= bits
}

// Readers of the text fields for compiled predicates: each folds its
// field on first use.

// text returns *field, folding it first if bit is still pending.
func (e *Env) text(bit fieldSet, field *string) string {
	if e.pending&bit != 0 {
		e.resolve(bit)
	}
	return *field
}

func (e *Env) senderEmail() string { return e.text(bitSenderEmail, &e.SenderEmail) }

func (e *Env) senderName() string { return e.text(bitSenderName, &e.SenderName) }

func (e *Env) senderDomain() string { return e.text(bitSenderDomain, &e.SenderDomain) }

func (e *Env) senderPhone() string { return e.text(bitSenderPhone, &e.SenderPhone) }

func (e *Env) subject() string { return e.text(bitSubject, &e.Subject) }

func (e *Env) body() string { return e.text(bitBody, &e.Body) }

func (e *Env) recipients() []string {
	if e.pending&bitRecipients != 0 {
		e.resolve(bitRecipients)
	}
	return e.Recipients
}

func (e *Env) channel() string { return e.Channel }

func (e *Env) language() string {
	if e.pending&bitLanguage != 0 {
		e.resolve(bitLanguage)
	}
	return e.Language
}

func domainOf(email string) string {
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		return email[at+1:]
	}
	return ""
}

// stripTags keeps the text of sanitized HTML for rules when a message has
// no text part: tags become spaces.
func stripTags(html string) string {
	var b strings.Builder
	b.Grow(len(html))
	inTag := false
	for i := 0; i < len(html); i++ {
		switch c := html[i]; {
		case c == '<':
			inTag = true
		case c == '>' && inTag:
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// fieldOrder numbers the fields for fieldSet.
var fieldOrder = []Field{
	FieldSenderEmail, FieldSenderName, FieldSenderDomain, FieldSenderPhone, FieldSubject,
	FieldBody, FieldRecipients, FieldChannel, FieldHasAttachment, FieldLanguage,
}

// fieldSet records which fields generated conditions read.
type fieldSet uint16

// The bit of each field, in fieldOrder.
const (
	bitSenderEmail fieldSet = 1 << iota
	bitSenderName
	bitSenderDomain
	bitSenderPhone
	bitSubject
	bitBody
	bitRecipients
	bitChannel
	bitHasAttachment
	bitLanguage

	allFields = bitLanguage<<1 - 1
)

// rawExpression marks rules with a raw expression, which may read any
// field.
const rawExpression fieldSet = 1 << 15

// has reports whether field f must be computed.
func (s fieldSet) has(f Field) bool {
	if s&rawExpression != 0 {
		return true
	}
	for i, g := range fieldOrder {
		if g == f {
			return s&(1<<i) != 0
		}
	}
	return false
}

func (s *fieldSet) add(f Field) {
	for i, g := range fieldOrder {
		if g == f {
			*s |= 1 << i
		}
	}
}

// bindings reads each used field from the environment once into a
// variable (expr's variables are slots, env reads are map lookups).
func (s fieldSet) bindings() string {
	var b strings.Builder
	for i, f := range fieldOrder {
		if s&(1<<i) != 0 {
			b.WriteString("let " + variable(f) + " = " + string(f) + ";\n")
		}
	}
	return b.String()
}

// variable names the bound copy of a field in generated code.
func variable(f Field) string { return "f_" + string(f) }
