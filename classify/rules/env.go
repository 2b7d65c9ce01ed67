package rules

import (
	"strings"

	"github.com/inboxkit/inboxkit/classify/internal/textnorm"
	"github.com/inboxkit/inboxkit/inbox"
)

// Env is what rules and raw expressions see of a message. Text fields
// are folded (lower case, accents removed), so raw expressions compare
// with folded literals: `subject contains "probleme"` matches
// "PROBLÈME"; fold("Problème") folds a literal at compile time.
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
	env.set(in, need)
	return env
}

// set fills e for a message, computing only the fields in need; e may be
// reused from a previous message (its expr view is kept for reuse).
func (e *Env) set(in inbox.ClassifyInput, need fieldSet) {
	*e = Env{vars: e.vars} // filled is false: the view is rebuilt
	env := e
	m := in.Message
	if need.has(FieldSenderEmail) || need.has(FieldSenderDomain) {
		env.SenderEmail = textnorm.Fold(strings.TrimSpace(m.From.Email)) // lower case too
		env.SenderDomain = domainOf(env.SenderEmail)
	}
	if need.has(FieldSenderPhone) {
		env.SenderPhone = inbox.NormalizePhone(m.From.Phone)
	}
	if need.has(FieldSubject) {
		subject := m.Subject
		if subject == "" {
			subject = in.Conversation.Subject
		}
		env.Subject = textnorm.Fold(subject)
	}
	if need.has(FieldLanguage) {
		env.Language = textnorm.Fold(m.Language)
	}
	env.Channel = string(m.Source)
	if need.has(FieldSenderName) {
		name := m.From.Name
		if name == "" {
			name = in.Contact.Name
		}
		env.SenderName = textnorm.Fold(name)
	}
	if need.has(FieldBody) {
		body := m.Text
		if body == "" && m.HTML != "" {
			body = stripTags(m.HTML)
		}
		if len(body) > maxBodyBytes {
			body = strings.ToValidUTF8(body[:maxBodyBytes], "")
		}
		env.Body = textnorm.Fold(body)
	}
	if env.Channel == "" {
		env.Channel = string(in.Conversation.Source)
	}
	if n := len(m.To) + len(m.Cc); n > 0 && need.has(FieldRecipients) {
		env.Recipients = make([]string, 0, n)
		for _, p := range append(m.To[:len(m.To):len(m.To)], m.Cc...) {
			switch {
			case p.Email != "":
				env.Recipients = append(env.Recipients, inbox.NormalizeEmail(p.Email))
			case p.Phone != "":
				env.Recipients = append(env.Recipients, inbox.NormalizePhone(p.Phone))
			case p.ID != "":
				env.Recipients = append(env.Recipients, textnorm.Fold(p.ID))
			}
		}
	}
	for _, a := range m.Attachments {
		if !a.Inline {
			env.HasAttachment = true
			break
		}
	}
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
