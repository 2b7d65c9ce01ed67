package attach

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/inboxkit/inboxkit/inbox"
)

// SniffBytes is how many leading bytes Validate reads to sniff the type;
// the rest is streamed.
const SniffBytes = 4096

// ErrRejected is wrapped by every refusal (type, content, danger, size),
// together with inbox.ErrInvalid. Other errors (reading, storing, a
// cancelled context) are not refusals.
var ErrRejected = errors.New("attachment rejected")

// Result describes one validated attachment.
type Result struct {
	// Attachment is ready to be recorded on a message: sanitized Filename,
	// ContentType, Size, SHA256, and BlobKey when stored; Rejected says
	// why the bytes were refused (then BlobKey is empty). For an oversize
	// attachment Size is the count read when the limit stopped it and
	// SHA256 is empty.
	Attachment inbox.Attachment
	// Declared is the declared type, canonical and without parameters.
	Declared string
	// Sniffed is the type found in the content.
	Sniffed string
	// Danger names active content (DangerELF, DangerShell...), if any.
	Danger string
	// TypeMismatch is set when the content contradicts the declared type
	// or the extension.
	TypeMismatch bool
}

// Validate checks one attachment named name (as decoded by the parser),
// declared as declaredType, whose bytes r yields, against opts. It reads
// r once: the first SniffBytes to sniff the type, the rest streamed into
// opts.Store (when set and the attachment is accepted) while it is counted
// and hashed.
//
// A refused attachment returns a Result whose Attachment.Rejected names
// the reason, and an error wrapping ErrRejected and inbox.ErrInvalid; an
// oversize one names the limit. Nothing of a refused attachment is
// stored. Other failures return a zero Result and the error.
func Validate(ctx context.Context, name, declaredType string, r io.Reader, opts Options) (Result, error) {
	if err := opts.check(); err != nil {
		return Result{}, err
	}
	filename := opts.sanitizeFilename(name)
	res := Result{Declared: normalizeType(declaredType)}
	if res.Declared == "" {
		res.Declared = octetStream
	}
	limit := opts.maxSize()

	head := make([]byte, min(SniffBytes, limit+1))
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Result{}, fmt.Errorf("attachment %q: read: %w", filename, err)
	}
	head = head[:n]
	sniffed := mimetype.Detect(head)
	res.Sniffed = baseType(sniffed)
	ext := strings.ToLower(path.Ext(filename))

	reason := res.judge(opts, ext, sniffed, head)

	m := &meter{ctx: ctx, r: io.MultiReader(bytes.NewReader(head), r), limit: limit, hash: sha256.New()}
	if reason == "" && mayHoldMacros(sniffed) {
		m.markers = macroMarkers
	}
	key := ""
	if reason == "" && opts.Store != nil {
		key = inbox.NewBlobKey(opts.Tenant, opts.kind())
		_, err = opts.Store.Put(ctx, key, m)
	} else {
		_, err = io.Copy(io.Discard, m)
	}
	stored := key != "" && err == nil
	switch {
	case errors.Is(err, errTooLarge):
		if key != "" {
			_ = opts.Store.Delete(context.WithoutCancel(ctx), key) // stores must not keep a part, but make sure
		}
		res.Attachment = res.attachment(filename, m, "")
		// Only a prefix was read: its size and hash would mislead.
		res.Attachment.Size, res.Attachment.SHA256 = m.n, ""
		res.Attachment.Rejected = fmt.Sprintf("larger than the %d-byte limit", limit)
		return res, fmt.Errorf("attachment %q: %w: %w", filename, ErrRejected,
			inbox.Invalid("size", fmt.Sprintf("larger than the %d-byte limit", limit)))
	case err != nil:
		if key != "" {
			_ = opts.Store.Delete(context.WithoutCancel(ctx), key)
		}
		return Result{}, fmt.Errorf("attachment %q: %w", filename, err)
	}
	if reason == "" && m.found {
		res.Danger = DangerOfficeMacro
		reason = "Office document with macros"
	}
	if reason != "" {
		if stored {
			if err := opts.Store.Delete(ctx, key); err != nil {
				return Result{}, fmt.Errorf("attachment %q: remove refused blob: %w", filename, err)
			}
		}
		res.Attachment = res.attachment(filename, m, "")
		res.Attachment.Rejected = reason
		return res, fmt.Errorf("attachment %q: %w: %w", filename, ErrRejected, inbox.Invalid("attachment", reason))
	}
	res.Attachment = res.attachment(filename, m, key)
	return res, nil
}

// judge decides from the name, declared type and first bytes; it returns
// the refusal reason or "".
func (res *Result) judge(opts Options, ext string, sniffed *mimetype.MIME, head []byte) string {
	if kind := nameDanger(ext, res.Declared); kind != "" {
		res.Danger = kind
		if kind == DangerExtension {
			return fmt.Sprintf("executable file extension %s", ext)
		}
		return fmt.Sprintf("executable type %s declared", res.Declared)
	}
	if len(head) == 0 {
		// Empty content cannot contradict anything; the declared type, or
		// the one the extension names, decides the allow-list check.
		t := res.Declared
		if genericTypes[t] {
			t = typeForExtension(ext)
		}
		if t == "" || !opts.allowed(t) {
			return fmt.Sprintf("type %s is not allowed", orUnknown(t))
		}
		return ""
	}
	if kind := headDanger(sniffed, head); kind != "" {
		res.Danger = kind
		res.TypeMismatch = !genericTypes[res.Declared] && !declaredMatches(res.Declared, sniffed)
		return fmt.Sprintf("active content (%s) declared as %s", kind, res.Declared)
	}
	if !declaredMatches(res.Declared, sniffed) {
		res.TypeMismatch = true
		return fmt.Sprintf("content is %s, not the declared %s", res.Sniffed, res.Declared)
	}
	if !extensionMatches(ext, sniffed) {
		res.TypeMismatch = true
		return fmt.Sprintf("content is %s, which does not match the extension %s", res.Sniffed, ext)
	}
	if t := res.effectiveType(); !opts.allowed(t) {
		return fmt.Sprintf("type %s is not allowed", t)
	}
	return ""
}

// effectiveType is the type the attachment is recorded and served as: the
// declared one when specific (it agrees with the content), else the
// sniffed one.
func (res *Result) effectiveType() string {
	if genericTypes[res.Declared] {
		return res.Sniffed
	}
	return res.Declared
}

func (res *Result) attachment(filename string, m *meter, key string) inbox.Attachment {
	t := res.effectiveType()
	if m.n == 0 && genericTypes[res.Declared] {
		t = res.Declared
	}
	return inbox.Attachment{
		Filename:    filename,
		ContentType: t,
		Size:        m.n,
		SHA256:      hex.EncodeToString(m.hash.Sum(nil)),
		BlobKey:     key,
	}
}

func orUnknown(t string) string {
	if t == "" {
		return "(unknown)"
	}
	return t
}
