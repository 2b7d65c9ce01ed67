package logmask

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
)

// maxDepth bounds the walk into nested values; deeper values are printed
// with fmt and masked as text.
const maxDepth = 6

var redactedValue = slog.StringValue(Redacted)

// attr masks one attribute. sensitive is set below a credential-named key
// or group.
func (m *Masker) attr(a slog.Attr, sensitive bool, depth int) slog.Attr {
	v := a.Value.Resolve()
	if a.Key != "" && m.SensitiveKey(a.Key) {
		sensitive = true
	}
	if sensitive {
		if v.Kind() == slog.KindGroup {
			return slog.Attr{Key: a.Key, Value: m.group(v.Group(), true, depth)}
		}
		if m.plainUnder(a.Key, v) {
			return a
		}
		return slog.Attr{Key: a.Key, Value: redactedValue}
	}
	if a.Key != "" && v.Kind() == slog.KindString && m.PhoneKey(a.Key) {
		return slog.Attr{Key: a.Key, Value: slog.StringValue(m.PhoneValue(v.String()))}
	}
	return slog.Attr{Key: a.Key, Value: m.value(v, depth)}
}

func (m *Masker) group(attrs []slog.Attr, sensitive bool, depth int) slog.Value {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = m.attr(a, sensitive, depth+1)
	}
	return slog.GroupValue(out...)
}

// value masks a resolved value of any kind.
func (m *Masker) value(v slog.Value, depth int) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		if s, masked := v.String(), m.String(v.String()); masked != s {
			return slog.StringValue(masked)
		}
		return v
	case slog.KindGroup:
		return m.group(v.Group(), false, depth)
	case slog.KindAny:
		return m.anyValue(v.Any(), depth)
	default: // numbers, bools, durations, times: nothing to mask
		return v
	}
}

// text masks s and wraps it as a value.
func (m *Masker) text(s string) slog.Value { return slog.StringValue(m.String(s)) }

// anyValue masks a value of arbitrary type: errors and Stringers by their
// text, byte slices as text, maps and structs as groups (so keys such as
// "password" are masked by name), slices element by element.
func (m *Masker) anyValue(x any, depth int) slog.Value {
	switch t := x.(type) {
	case nil:
		return slog.AnyValue(nil)
	case slog.LogValuer:
		return m.value(slog.AnyValue(t).Resolve(), depth)
	case error:
		return m.text(t.Error())
	case fmt.Stringer:
		return m.text(t.String())
	case []byte:
		return m.text(string(t))
	case json.RawMessage:
		return m.text(string(t))
	case []string:
		out := make([]string, len(t))
		for i, s := range t {
			out[i] = m.String(s)
		}
		return slog.AnyValue(out)
	}
	if depth >= maxDepth {
		return m.text(fmt.Sprintf("%+v", x))
	}
	rv := reflect.ValueOf(x)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return slog.AnyValue(x)
		}
		return m.anyValue(rv.Elem().Interface(), depth+1)
	case reflect.String:
		return m.text(rv.String())
	case reflect.Struct:
		return m.structValue(rv, depth)
	case reflect.Map:
		return m.mapValue(rv, depth)
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = plain(m.anyValue(rv.Index(i).Interface(), depth+1))
		}
		return slog.AnyValue(out)
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return slog.AnyValue(x)
	default: // funcs, channels: printed, not walked
		return m.text(fmt.Sprintf("%v", x))
	}
}

// structValue turns a struct into a group of its exported fields, named
// by their JSON name when they have one. A struct with no exported field
// is printed and masked as text.
func (m *Masker) structValue(rv reflect.Value, depth int) slog.Value {
	rt := rv.Type()
	var attrs []slog.Attr
	for i := range rt.NumField() {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == "-" {
			continue
		} else if tag != "" {
			name = tag
		}
		attrs = append(attrs, m.attr(slog.Any(name, rv.Field(i).Interface()), false, depth+1))
	}
	if attrs == nil {
		return m.text(fmt.Sprintf("%+v", rv.Interface()))
	}
	return slog.GroupValue(attrs...)
}

// mapValue turns a map into a group sorted by key.
func (m *Masker) mapValue(rv reflect.Value, depth int) slog.Value {
	attrs := make([]slog.Attr, 0, rv.Len())
	iter := rv.MapRange()
	for iter.Next() {
		key := fmt.Sprint(iter.Key().Interface())
		attrs = append(attrs, m.attr(slog.Any(m.String(key), iter.Value().Interface()), false, depth+1))
	}
	slices.SortFunc(attrs, func(a, b slog.Attr) int { return cmp.Compare(a.Key, b.Key) })
	return slog.GroupValue(attrs...)
}

// plain converts a masked value back to a Go value for use inside a slice;
// groups become maps so JSON output keeps their shape.
func plain(v slog.Value) any {
	if v.Kind() != slog.KindGroup {
		return v.Any()
	}
	out := make(map[string]any, len(v.Group()))
	for _, a := range v.Group() {
		out[a.Key] = plain(a.Value)
	}
	return out
}

// plainUnder reports whether v, under a credential-named key, cannot be
// a credential: a boolean, a word saying it is absent or checked
// ("none", "ok"...), or a number under a key that counts tokens
// ("prompt_tokens"). Numbers under other keys (a PIN, a one-time code)
// stay masked.
func (m *Masker) plainUnder(key string, v slog.Value) bool {
	switch v.Kind() {
	case slog.KindBool:
		return true
	case slog.KindString:
		return notSecret(v.String())
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64:
		return countKey(normalizeKey(key))
	}
	return false
}
