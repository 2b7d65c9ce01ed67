package attach

import (
	"fmt"

	"github.com/inboxkit/inboxkit/inbox"
)

// DefaultMaxSize is the size limit when Options.MaxSize is zero: 25 MiB,
// the common limit of mail providers.
const DefaultMaxSize = 25 << 20

// DefaultAllow is the type allow-list when Options.Allow is empty: images,
// PDF, plain text and its tabular and calendar forms, forwarded mail,
// office documents (macro-free: macros are refused separately), and the
// audio and video formats phones send.
var DefaultAllow = []string{
	"image/png", "image/jpeg", "image/gif", "image/webp", "image/heic", "image/heif", "image/bmp", "image/tiff",
	"application/pdf",
	"text/plain", "text/csv", "text/tab-separated-values", "text/calendar", "message/rfc822",
	"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
	"application/vnd.oasis.opendocument.presentation", "text/rtf",
	"audio/mpeg", "audio/ogg", "audio/opus", "audio/mp4", "audio/x-m4a", "audio/aac", "audio/amr", "audio/wav",
	"video/mp4", "video/3gpp", "video/quicktime", "video/webm",
}

// Options is one tenant's attachment policy and where accepted bytes go.
// The zero value validates with DefaultMaxSize and DefaultAllow and
// stores nothing.
type Options struct {
	// MaxSize is the largest attachment accepted, in bytes. Zero means
	// DefaultMaxSize.
	MaxSize int64
	// Allow lists the accepted content types, "type/subtype" or "type/*".
	// Empty means DefaultAllow. Executables, scripts and macro documents
	// are refused even when listed.
	Allow []string
	// Store receives accepted bytes under a key from inbox.NewBlobKey.
	// Nil means validate only: the bytes are read, counted, hashed and
	// dropped.
	Store inbox.BlobStore
	// Tenant owns the stored blob; required with Store.
	Tenant inbox.TenantID
	// Kind is the blob key's kind segment. Empty means "attachment".
	Kind string
	// NoLeadingDot removes leading dots from file names, for hosts that
	// save attachments under their names (a leading dot hides a file).
	// False keeps them, as the reference sanitizer does.
	NoLeadingDot bool
}

func (o Options) maxSize() int64 {
	if o.MaxSize <= 0 {
		return DefaultMaxSize
	}
	return o.MaxSize
}

func (o Options) kind() string {
	if o.Kind == "" {
		return inbox.BlobKindAttachment
	}
	return o.Kind
}

func (o Options) check() error {
	if o.Store != nil && o.Tenant == "" {
		return inbox.Invalid("attach.Options.Tenant", "required when Store is set")
	}
	for i, t := range o.Allow {
		if _, _, ok := splitType(t); !ok {
			return inbox.Invalid(fmt.Sprintf("attach.Options.Allow[%d]", i), fmt.Sprintf("%q is not a type/subtype", t))
		}
	}
	return nil
}

// allowed reports whether the allow-list accepts media type t.
func (o Options) allowed(t string) bool {
	list := o.Allow
	if len(list) == 0 {
		list = DefaultAllow
	}
	major, _, _ := splitType(t)
	for _, a := range list {
		a = normalizeType(a)
		if a == t || (a == major+"/*") {
			return true
		}
	}
	return false
}
