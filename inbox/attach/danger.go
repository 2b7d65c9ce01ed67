package attach

import (
	"bytes"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// Danger kinds name why content is refused as active (Result.Danger).
const (
	DangerELF         = "elf-executable"
	DangerPE          = "pe-executable"
	DangerMachO       = "macho-executable"
	DangerShell       = "shell-script"
	DangerJavaScript  = "javascript"
	DangerScript      = "script"
	DangerHTA         = "hta-application"
	DangerInstaller   = "installer"
	DangerShortcut    = "windows-shortcut"
	DangerJava        = "java-archive"
	DangerOfficeMacro = "office-macro"
	DangerExtension   = "executable-extension"
	DangerDeclared    = "executable-type"
)

// sniffedDanger maps sniffed types to danger kinds.
var sniffedDanger = map[string]string{
	"application/x-elf":                             DangerELF,
	"application/x-executable":                      DangerELF,
	"application/x-sharedlib":                       DangerELF,
	"application/x-object":                          DangerELF,
	"application/x-coredump":                        DangerELF,
	"application/vnd.microsoft.portable-executable": DangerPE,
	"application/x-mach-binary":                     DangerMachO,
	"text/x-shellscript":                            DangerShell,
	"text/javascript":                               DangerJavaScript,
	"text/x-python":                                 DangerScript,
	"text/x-perl":                                   DangerScript,
	"text/x-php":                                    DangerScript,
	"text/x-lua":                                    DangerScript,
	"text/x-tcl":                                    DangerScript,
	"text/x-ruby":                                   DangerScript,
	"application/x-ms-installer":                    DangerInstaller,
	"application/vnd.debian.binary-package":         DangerInstaller,
	"application/x-rpm":                             DangerInstaller,
	"application/x-ms-shortcut":                     DangerShortcut,
	"application/java-archive":                      DangerJava,
	"application/vnd.android.package-archive":       DangerJava,
	"application/x-java-applet":                     DangerJava,
	"application/wasm":                              DangerScript,
}

// dangerousExtensions run code when opened on a desktop, whatever the
// content looks like.
var dangerousExtensions = map[string]bool{
	".exe": true, ".com": true, ".scr": true, ".pif": true, ".cpl": true, ".dll": true, ".sys": true,
	".msi": true, ".msp": true, ".mst": true, ".appx": true, ".msix": true,
	".bat": true, ".cmd": true, ".ps1": true, ".psm1": true, ".psd1": true, ".ps1xml": true,
	".vbs": true, ".vbe": true, ".js": true, ".jse": true, ".mjs": true, ".wsf": true, ".wsh": true, ".wsc": true,
	".hta": true, ".lnk": true, ".inf": true, ".reg": true, ".scf": true, ".url": true, ".application": true,
	".jar": true, ".apk": true, ".sh": true, ".bash": true, ".zsh": true, ".csh": true, ".ksh": true, ".command": true,
	".py": true, ".pyw": true, ".pl": true, ".rb": true, ".php": true, ".elf": true, ".bin": true, ".run": true,
	".app": true, ".dmg": true, ".pkg": true, ".deb": true, ".rpm": true, ".iso": true, ".img": true, ".vhd": true, ".vhdx": true,
	".docm": true, ".dotm": true, ".xlsm": true, ".xltm": true, ".xlam": true, ".xlsb": true, ".pptm": true, ".potm": true,
	".ppsm": true, ".ppam": true, ".sldm": true, ".one": true, ".chm": true,
}

// dangerousDeclared are declared types that announce executable content.
var dangerousDeclared = map[string]bool{
	"application/x-msdownload": true, "application/x-msdos-program": true, "application/x-dosexec": true,
	"application/x-executable": true, "application/x-sh": true, "application/x-shellscript": true,
	"text/x-shellscript": true, "application/javascript": true, "text/javascript": true,
	"application/x-javascript": true, "text/vbscript": true, "application/x-vbscript": true,
	"application/hta": true, "application/x-powershell": true, "application/x-bat": true,
	"application/vnd.microsoft.portable-executable": true, "application/x-ms-installer": true,
	"application/java-archive": true, "application/vnd.ms-word.document.macroenabled.12": true,
	"application/vnd.ms-excel.sheet.macroenabled.12": true, "application/vnd.ms-powerpoint.presentation.macroenabled.12": true,
}

// htaMarker identifies an HTML Application, which Windows runs with full
// rights; the sniffer reports it as text/html.
var htaMarker = []byte("<hta:application")

// headDanger returns the danger kind of content from its sniffed type and
// first bytes, or "".
func headDanger(sniffed *mimetype.MIME, head []byte) string {
	for m := sniffed; m != nil; m = m.Parent() {
		if kind, ok := sniffedDanger[baseType(m)]; ok {
			return kind
		}
	}
	if bytes.HasPrefix(head, []byte("#!")) {
		return DangerScript
	}
	if bytes.Contains(bytes.ToLower(head), htaMarker) {
		return DangerHTA
	}
	return ""
}

// nameDanger returns the danger kind announced by the extension or the
// declared type, or "".
func nameDanger(ext, declared string) string {
	if dangerousExtensions[ext] {
		return DangerExtension
	}
	if dangerousDeclared[declared] || strings.Contains(declared, "macroenabled") {
		return DangerDeclared
	}
	return ""
}

// macroMarkers appear in Office files that carry VBA or Excel 4.0 macros:
// the OOXML part name, and the OLE stream name in UTF-16LE.
var macroMarkers = [][]byte{
	[]byte("vbaProject.bin"),
	[]byte("xl/macrosheets/"),
	utf16le("_VBA_PROJECT"),
}

func utf16le(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return b
}

// mayHoldMacros reports whether content sniffed as sniffed is an Office
// container worth scanning for macro markers.
func mayHoldMacros(sniffed *mimetype.MIME) bool {
	for m := sniffed; m != nil; m = m.Parent() {
		switch baseType(m) {
		case "application/zip", "application/x-ole-storage":
			return true
		}
	}
	return false
}
