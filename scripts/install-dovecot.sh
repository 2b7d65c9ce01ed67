#!/bin/sh
# install-dovecot.sh installs the Dovecot IMAP server used by the email
# integration tests (internal/dovecot starts private instances of it).
# It is idempotent and leaves no system-wide Dovecot listening, so the
# tests' own instances on random loopback ports never meet a stranger.
set -eu

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

if [ ! -x /usr/sbin/dovecot ]; then
	# Refresh the package lists only when they are missing or stale.
	if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
		$SUDO apt-get update
	fi
	# policy-rc.d answering 101 stops the package scripts from starting
	# the system service during installation.
	policy=/usr/sbin/policy-rc.d
	created_policy=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
		$SUDO chmod 755 "$policy"
		created_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends dovecot-imapd
	if [ -n "$created_policy" ]; then
		$SUDO rm -f "$policy"
	fi
fi

# Make sure no system Dovecot keeps port 143/993 busy or answers in place of
# the test instances.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	$SUDO systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
fi
if [ -f /run/dovecot/master.pid ]; then
	$SUDO /usr/sbin/dovecot stop >/dev/null 2>&1 || true
fi

/usr/sbin/dovecot --version
