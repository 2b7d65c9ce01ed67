package storetest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// requireSame asserts that got is what a store must return for want: equal
// after empty slices and maps are made nil and JSON is re-encoded
// canonically, with want's times converted to UTC at microsecond precision
// (got's must already be).
func requireSame[T any](t require.TestingT, want, got T, msgAndArgs ...any) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	require.Equal(t, canonical(want, true), canonical(got, false), msgAndArgs...)
}

// canonical returns a deep copy of v with the representation freedoms of
// the store contract removed.
func canonical[T any](v T, utc bool) T {
	src := reflect.ValueOf(&v).Elem()
	dst := reflect.New(src.Type()).Elem()
	canonicalValue(dst, src, utc)
	return dst.Interface().(T)
}

func canonicalValue(dst, src reflect.Value, utc bool) {
	switch {
	case src.Type() == timeType:
		tm := src.Interface().(time.Time)
		if utc && !tm.IsZero() {
			tm = tm.UTC().Truncate(time.Microsecond)
		}
		dst.Set(reflect.ValueOf(tm))
		return
	case src.Type() == rawType:
		dst.Set(reflect.ValueOf(canonicalJSON(src.Interface().(json.RawMessage))))
		return
	}
	switch src.Kind() {
	case reflect.Struct:
		for i := range src.NumField() {
			if dst.Field(i).CanSet() {
				canonicalValue(dst.Field(i), src.Field(i), utc)
			}
		}
	case reflect.Slice:
		if src.Len() == 0 {
			return // nil
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			canonicalValue(s.Index(i), src.Index(i), utc)
		}
		dst.Set(s)
	case reflect.Map:
		if src.Len() == 0 {
			return // nil
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			val := reflect.New(src.Type().Elem()).Elem()
			canonicalValue(val, it.Value(), utc)
			m.SetMapIndex(it.Key(), val)
		}
		dst.Set(m)
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		p := reflect.New(src.Type().Elem())
		canonicalValue(p.Elem(), src.Elem(), utc)
		dst.Set(p)
	default:
		dst.Set(src)
	}
}

// canonicalJSON re-encodes JSON so that key order and spacing do not
// matter; "null" and empty are the same.
func canonicalJSON(raw json.RawMessage) json.RawMessage {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil
	}
	var v any
	if err := json.Unmarshal(trimmed, &v); err != nil {
		return append(json.RawMessage("invalid JSON: "), trimmed...)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return append(json.RawMessage("invalid JSON: "), trimmed...)
	}
	return out
}
