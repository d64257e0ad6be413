#!/bin/sh
# The systemd unit must pass `systemd-analyze verify` (skipped without it).
srcdir=${PORTY_SRCDIR:-$(dirname "$0")/..}
command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze: skipped"; exit 77; }
[ -n "$PORTY_BIN" ] || { echo "PORTY_BIN is not set"; exit 1; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
# The unit as make installs it, pointing at the porty just built.
sed -e "s|@bindir@/porty|$PORTY_BIN|g" -e "s|@sysconfdir@|/etc|g" \
    "$srcdir/contrib/systemd/porty.service.in" > "$dir/porty.service" || exit 1
# --man=no: the man pages of Documentation= are not installed yet.
if ! out=$(systemd-analyze verify --man=no "$dir/porty.service" 2>&1) || [ -n "$out" ]; then
	echo "FAIL systemd-analyze verify porty.service:"
	echo "$out"
	exit 1
fi
echo "systemd unit: verified"
