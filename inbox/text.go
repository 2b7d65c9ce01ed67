package inbox

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// CleanText returns s as stores can keep it: valid UTF-8 holding no NUL
// byte. Invalid bytes and NULs become U+FFFD, so the text stays readable
// and shows where something was lost. Clean text is returned as is.
func CleanText(s string) string {
	if textOK(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

func textOK(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

func (p *Party) clean() {
	p.Name, p.Email, p.Phone, p.ID = CleanText(p.Name), CleanText(p.Email), CleanText(p.Phone), CleanText(p.ID)
}

func cleanParties(ps []Party) {
	for i := range ps {
		ps[i].clean()
	}
}

func cleanList(ss []string) {
	for i, s := range ss {
		ss[i] = CleanText(s)
	}
}

// clean makes every text of an inbound message storable (CleanText). A
// channel hands over what the sender wrote, which may hold NUL bytes or
// broken encodings; refusing them would lose the message, storing them
// would fail the store. Clean messages, nearly all of them, are left as
// they are without a copy.
func (in *Inbound) clean() {
	if CheckText("inbound", in) == nil {
		return
	}
	for _, s := range []*string{&in.IntegrationID, &in.Channel, &in.ProviderID, &in.MessageID, &in.InReplyTo, &in.ThreadIndex, &in.ThreadKey,
		&in.Subject, &in.Text, &in.HTML, &in.AutomatedReason, &in.RawKey, &in.Language, &in.ParseError} {
		*s = CleanText(*s)
	}
	in.References = append([]string(nil), in.References...)
	cleanList(in.References)
	in.From.clean()
	in.To, in.Cc, in.ReplyTo = append([]Party(nil), in.To...), append([]Party(nil), in.Cc...), append([]Party(nil), in.ReplyTo...)
	cleanParties(in.To)
	cleanParties(in.Cc)
	cleanParties(in.ReplyTo)
	in.Attachments = append([]Attachment(nil), in.Attachments...)
	for i := range in.Attachments {
		a := &in.Attachments[i]
		a.ID, a.Filename, a.ContentType, a.SHA256, a.BlobKey, a.ContentID, a.Rejected =
			CleanText(a.ID), CleanText(a.Filename), CleanText(a.ContentType), CleanText(a.SHA256), CleanText(a.BlobKey), CleanText(a.ContentID), CleanText(a.Rejected)
	}
}

// CheckText reports the first text of a record (a struct, or a pointer to
// one, with nested structs, slices and maps) that a store cannot keep: a
// NUL byte or invalid UTF-8. The error wraps ErrInvalid and names the
// field ("message.from.name"). The engine cleans what it writes
// (CleanText), so only a caller writing to a store directly meets it;
// every store refuses such text alike.
func CheckText(what string, record any) error {
	var path []string // built only when something is wrong, innermost first
	if bad := badText(reflect.ValueOf(record), &path); bad != "" {
		for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
			path[i], path[j] = path[j], path[i]
		}
		return Invalid(what+strings.Join(path, ""), bad)
	}
	return nil
}

// badText finds bad text in v; on a find it appends the path to it,
// innermost element first.
func badText(v reflect.Value, path *[]string) string {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		switch {
		case strings.IndexByte(s, 0) >= 0:
			return "holds a NUL byte"
		case !utf8.ValidString(s):
			return "is not valid UTF-8"
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return badText(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || !mayHoldText(f.Type) {
				continue
			}
			if bad := badText(v.Field(i), path); bad != "" {
				*path = append(*path, "."+fieldName(f))
				return bad
			}
		}
	case reflect.Slice, reflect.Array:
		if !mayHoldText(v.Type().Elem()) {
			return ""
		}
		for i := range v.Len() {
			if bad := badText(v.Index(i), path); bad != "" {
				*path = append(*path, fmt.Sprintf("[%d]", i))
				return bad
			}
		}
	case reflect.Map:
		if !mayHoldText(v.Type().Key()) && !mayHoldText(v.Type().Elem()) {
			return ""
		}
		iter := v.MapRange()
		for iter.Next() {
			if bad := badText(iter.Key(), path); bad != "" {
				*path = append(*path, " key")
				return bad
			}
			if bad := badText(iter.Value(), path); bad != "" {
				*path = append(*path, fmt.Sprintf("[%v]", iter.Key()))
				return bad
			}
		}
	}
	return ""
}

// textTypes caches whether a type can hold a string somewhere.
var textTypes sync.Map // reflect.Type -> bool

// mayHoldText reports whether values of t can contain text to check
// (bytes and times cannot), so records are walked only where it matters.
func mayHoldText(t reflect.Type) bool {
	if v, ok := textTypes.Load(t); ok {
		return v.(bool)
	}
	textTypes.Store(t, false) // breaks cycles while t is examined
	var yes bool
	switch t.Kind() {
	case reflect.String, reflect.Interface:
		yes = true
	case reflect.Pointer:
		yes = mayHoldText(t.Elem())
	case reflect.Slice, reflect.Array:
		yes = t.Elem().Kind() != reflect.Uint8 && mayHoldText(t.Elem())
	case reflect.Map:
		yes = mayHoldText(t.Key()) || mayHoldText(t.Elem())
	case reflect.Struct:
		if t == reflect.TypeOf(time.Time{}) {
			break
		}
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && mayHoldText(f.Type) {
				yes = true
				break
			}
		}
	}
	textTypes.Store(t, yes)
	return yes
}

// fieldName is a field's JSON name when it has one, else its Go name in
// snake case ("ConversationID" → "conversation_id").
func fieldName(f reflect.StructField) string {
	if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
		return tag
	}
	var b strings.Builder
	for i, r := range f.Name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && !(f.Name[i-1] >= 'A' && f.Name[i-1] <= 'Z') {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
