package inbox

import (
	"fmt"
	"reflect"
	"strings"
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
// would fail the store.
func (in *Inbound) clean() {
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
	if path, bad := badText(reflect.ValueOf(record), what); bad != "" {
		return Invalid(path, bad)
	}
	return nil
}

func badText(v reflect.Value, path string) (string, string) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		switch {
		case strings.IndexByte(s, 0) >= 0:
			return path, "holds a NUL byte"
		case !utf8.ValidString(s):
			return path, "is not valid UTF-8"
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return badText(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if p, bad := badText(v.Field(i), path+"."+fieldName(f)); bad != "" {
				return p, bad
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", "" // bytes, not text
		}
		for i := range v.Len() {
			if p, bad := badText(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); bad != "" {
				return p, bad
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if p, bad := badText(iter.Key(), path+" key"); bad != "" {
				return p, bad
			}
			if p, bad := badText(iter.Value(), fmt.Sprintf("%s[%v]", path, iter.Key())); bad != "" {
				return p, bad
			}
		}
	}
	return "", ""
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
