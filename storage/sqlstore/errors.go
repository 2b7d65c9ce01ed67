package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
)

// StoreError is a database failure as callers see it: the operation, the
// category (an inbox sentinel) and the driver's error code, never the raw
// driver error with its values.
type StoreError struct {
	Dialect  string
	Op       string
	Code     string
	Sentinel error
}

func (e *StoreError) Error() string {
	msg := e.Dialect + ": " + e.Op
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Sentinel != nil {
		msg += ": " + e.Sentinel.Error()
	}
	return msg
}

// Unwrap exposes the sentinel for errors.Is.
func (e *StoreError) Unwrap() error { return e.Sentinel }

// wrap turns a driver error into a StoreError. Context errors pass through
// so callers can tell a cancellation.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %s: %w", s.d.Name(), op, err)
	}
	var se *StoreError
	var fe *inbox.FieldError
	if errors.As(err, &se) || errors.As(err, &fe) || isSentinel(err) {
		return err
	}
	sentinel, code, ok := s.d.Classify(err)
	if !ok {
		s.log.Error("sqlstore: database error", "dialect", s.d.Name(), "op", op, "err", err)
		return &StoreError{Dialect: s.d.Name(), Op: op, Code: "database error"}
	}
	return &StoreError{Dialect: s.d.Name(), Op: op, Code: code, Sentinel: sentinel}
}

func isSentinel(err error) bool {
	for _, s := range []error{inbox.ErrNotFound, inbox.ErrConflict, inbox.ErrInvalid, inbox.ErrUnsupported, inbox.ErrTemporary} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
