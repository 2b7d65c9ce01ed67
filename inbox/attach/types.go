package attach

import (
	"mime"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

const octetStream = "application/octet-stream"

// typeAliases maps declared types that mail clients use to the canonical
// type the sniffer reports.
var typeAliases = map[string]string{
	"image/jpg":                   "image/jpeg",
	"image/pjpeg":                 "image/jpeg",
	"image/x-png":                 "image/png",
	"image/x-citrix-jpeg":         "image/jpeg",
	"image/x-citrix-png":          "image/png",
	"text/x-csv":                  "text/csv",
	"text/comma-separated-values": "text/csv",
	"application/csv":             "text/csv",
	"application/x-csv":           "text/csv",
	"application/rtf":             "text/rtf",
	"audio/mp3":                   "audio/mpeg",
	"audio/x-mp3":                 "audio/mpeg",
	"audio/x-wav":                 "audio/wav",
	"audio/m4a":                   "audio/x-m4a",
	"text/ical":                   "text/calendar",
	"application/ics":             "text/calendar",
}

// genericTypes say nothing about the content: the sniffer decides.
var genericTypes = map[string]bool{
	"": true, octetStream: true, "application/binary": true, "binary/octet-stream": true,
	"application/unknown": true, "application/x-unknown": true, "application/force-download": true,
	"application/download": true, "unknown/unknown": true,
}

// splitType splits "type/subtype" in lowercase, without parameters.
func splitType(t string) (major, minor string, ok bool) {
	t = strings.ToLower(strings.TrimSpace(t))
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = strings.TrimSpace(t[:i])
	}
	major, minor, ok = strings.Cut(t, "/")
	return major, minor, ok && major != "" && minor != "" && !strings.ContainsAny(t, " \t\"")
}

// normalizeType returns the canonical, lowercase, parameter-free form of
// a declared type; malformed types become "".
func normalizeType(t string) string {
	major, minor, ok := splitType(t)
	if !ok {
		return ""
	}
	t = major + "/" + minor
	if alias, ok := typeAliases[t]; ok {
		return alias
	}
	if m := mimetype.Lookup(t); m != nil {
		return baseType(m)
	}
	return t
}

// baseType is a sniffed MIME's type without parameters.
func baseType(m *mimetype.MIME) string {
	t, _, err := mime.ParseMediaType(m.String())
	if err != nil {
		return octetStream
	}
	return t
}

// textLike types cannot be told apart from plain text by sniffing.
func textLike(t string) bool {
	if strings.HasPrefix(t, "text/") {
		return true
	}
	switch t {
	case "message/rfc822", "application/json", "application/xml", "application/x-ndjson":
		return true
	}
	return false
}

// zipContainers are formats stored as a ZIP file, which the sniffer may
// report as plain application/zip when the archive's entries are ordered
// differently.
var zipContainers = map[string]bool{
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         true,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": true,
	"application/vnd.oasis.opendocument.text":                                   true,
	"application/vnd.oasis.opendocument.spreadsheet":                            true,
	"application/vnd.oasis.opendocument.presentation":                           true,
	"application/epub+zip": true,
}

// oleContainers are legacy Office formats stored as OLE compound files.
var oleContainers = map[string]bool{
	"application/msword":            true,
	"application/vnd.ms-excel":      true,
	"application/vnd.ms-powerpoint": true,
	"application/vnd.ms-outlook":    true,
}

// declaredMatches reports whether content sniffed as sniffed may carry the
// declared type: the same type or one of its ancestors (text/csv is a
// text/plain), any text type for content that only sniffs as plain text,
// and Office formats for content that only sniffs as their container.
func declaredMatches(declared string, sniffed *mimetype.MIME) bool {
	if genericTypes[declared] {
		return true
	}
	for m := sniffed; m != nil; m = m.Parent() {
		if t := baseType(m); t == octetStream {
			break
		}
		if m.Is(declared) {
			return true
		}
	}
	switch s := baseType(sniffed); {
	case s == "text/plain" && textLike(declared):
		return true
	case s == "application/zip" && zipContainers[declared]:
		return true
	case s == "application/x-ole-storage" && oleContainers[declared]:
		return true
	}
	return false
}

// extensionTypes maps common extensions to the types their content may
// sniff as (the first is the type the extension names).
var extensionTypes = map[string][]string{
	".pdf":  {"application/pdf"},
	".png":  {"image/png"},
	".jpg":  {"image/jpeg"},
	".jpeg": {"image/jpeg"},
	".jpe":  {"image/jpeg"},
	".jfif": {"image/jpeg"},
	".gif":  {"image/gif"},
	".webp": {"image/webp"},
	".heic": {"image/heic", "image/heif", "image/heic-sequence"},
	".heif": {"image/heif", "image/heic", "image/heif-sequence"},
	".bmp":  {"image/bmp"},
	".tif":  {"image/tiff"},
	".tiff": {"image/tiff"},
	".svg":  {"image/svg+xml", "text/xml", "text/plain"},
	".txt":  {"text/plain"},
	".text": {"text/plain"},
	".log":  {"text/plain"},
	".md":   {"text/plain"},
	".csv":  {"text/csv", "text/plain"},
	".tsv":  {"text/tab-separated-values", "text/plain"},
	".ics":  {"text/calendar", "text/plain"},
	".vcf":  {"text/vcard", "text/plain"},
	".eml":  {"message/rfc822", "text/plain"},
	".html": {"text/html", "text/plain"},
	".htm":  {"text/html", "text/plain"},
	".xml":  {"text/xml", "text/plain"},
	".json": {"application/json", "text/plain"},
	".rtf":  {"text/rtf", "text/plain"},
	".doc":  {"application/msword", "application/x-ole-storage"},
	".dot":  {"application/msword", "application/x-ole-storage"},
	".xls":  {"application/vnd.ms-excel", "application/x-ole-storage"},
	".ppt":  {"application/vnd.ms-powerpoint", "application/x-ole-storage"},
	".msg":  {"application/vnd.ms-outlook", "application/x-ole-storage"},
	".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/zip"},
	".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/zip"},
	".pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "application/zip"},
	".odt":  {"application/vnd.oasis.opendocument.text", "application/zip"},
	".ods":  {"application/vnd.oasis.opendocument.spreadsheet", "application/zip"},
	".odp":  {"application/vnd.oasis.opendocument.presentation", "application/zip"},
	".zip":  {"application/zip"},
	".mp3":  {"audio/mpeg"},
	".ogg":  {"audio/ogg", "video/ogg", "application/ogg", "audio/opus"},
	".oga":  {"audio/ogg", "application/ogg", "audio/opus"},
	".opus": {"audio/opus", "audio/ogg", "application/ogg"},
	".m4a":  {"audio/x-m4a", "audio/mp4", "video/mp4"},
	".aac":  {"audio/aac"},
	".amr":  {"audio/amr"},
	".wav":  {"audio/wav"},
	".mp4":  {"video/mp4", "audio/mp4", "audio/x-m4a"},
	".m4v":  {"video/x-m4v", "video/mp4"},
	".mov":  {"video/quicktime"},
	".3gp":  {"video/3gpp", "audio/3gpp", "video/mp4"},
	".webm": {"video/webm", "audio/webm"},
}

// extensionMatches reports whether a file named with ext may hold content
// sniffed as sniffed. Extensions outside extensionTypes make no claim.
func extensionMatches(ext string, sniffed *mimetype.MIME) bool {
	want, known := extensionTypes[ext]
	if !known {
		return true
	}
	for m := sniffed; m != nil; m = m.Parent() {
		if baseType(m) == octetStream {
			break
		}
		for _, w := range want {
			if m.Is(w) {
				return true
			}
		}
	}
	return false
}

// typeForExtension returns the type ext names, or "".
func typeForExtension(ext string) string {
	if want, ok := extensionTypes[ext]; ok {
		return want[0]
	}
	return ""
}
