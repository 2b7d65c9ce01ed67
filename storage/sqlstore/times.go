package sqlstore

import (
	"reflect"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// utcTimes sets every time.Time reachable from v (structs, slices,
// pointers) to UTC, as the Store contract returns times.
func utcTimes(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			utcTimes(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == timeType {
			if v.CanSet() {
				tm := v.Interface().(time.Time)
				if !tm.IsZero() {
					v.Set(reflect.ValueOf(tm.UTC()))
				}
			}
			return
		}
		for i := range v.NumField() {
			utcTimes(v.Field(i))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct {
			for i := range v.Len() {
				utcTimes(v.Index(i))
			}
		}
	}
}

// setCreated overwrites the CreatedAt field of the record v points to
// with the stored column value (Unix nanoseconds, 0 = zero time).
func setCreated(v any, created int64) {
	f := reflect.ValueOf(v).Elem().FieldByName("CreatedAt")
	if !f.IsValid() || f.Type() != timeType || !f.CanSet() {
		return
	}
	f.Set(reflect.ValueOf(fromNanos(created)))
}

// fromNanos is the inverse of nanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
