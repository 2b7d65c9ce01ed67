#!/usr/bin/env bash
# Installs the Debian packages inboxkit's tests use, if they are missing:
# Dovecot (a real IMAP server for the email channel, see install-dovecot.sh)
# Chromium (the web UI's end-to-end tests) and python3 (it writes the
# corpus's generated 5 MB message, testdata/mail/gen_large.py). Needs root
# or sudo.
set -euo pipefail
here="$(dirname "$0")"

"$here/install-dovecot.sh"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-dejavu-core)
command -v python3 >/dev/null 2>&1 || missing+=(python3-minimal)
if [ "${#missing[@]}" -gt 0 ]; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
		$SUDO apt-get update
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
chromium --version
python3 --version
