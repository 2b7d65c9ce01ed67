#!/usr/bin/env bash
# Installs the Debian packages inboxkit's tests use, if they are missing:
# Dovecot (a real IMAP server for the email channel, see install-dovecot.sh)
# and Chromium (the web UI's end-to-end tests). Needs root or sudo.
set -euo pipefail
here="$(dirname "$0")"

"$here/install-dovecot.sh"

if ! command -v chromium >/dev/null 2>&1; then
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
		$SUDO apt-get update
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
fi
chromium --version
