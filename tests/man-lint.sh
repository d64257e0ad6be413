#!/bin/sh
# The man pages must format without a warning (groff, and mandoc if present).
srcdir=${PORTY_SRCDIR:-$(dirname "$0")/..}
status=0
for page in "$srcdir"/man/porty.1 "$srcdir"/man/porty.toml.5; do
	out=$(groff -man -ww -z "$page" 2>&1)
	if [ -n "$out" ]; then
		echo "FAIL groff $page:"
		echo "$out"
		status=1
	fi
	if command -v mandoc >/dev/null 2>&1; then
		# -Wwarning: cross references to pages not installed yet are only style notes
		if ! out=$(mandoc -Tlint -Wwarning "$page" 2>&1) || [ -n "$out" ]; then
			echo "FAIL mandoc $page:"
			echo "$out"
			status=1
		fi
	fi
done
[ "$status" -eq 0 ] && echo "man pages: 2 passed, 0 failed"
exit "$status"
