#!/bin/sh
# Every example config must pass `porty check`.
srcdir=${PORTY_SRCDIR:-$(dirname "$0")/..}
porty=${PORTY_BIN:-./src/porty}
passed=0
failed=0
for f in "$srcdir"/examples/*.toml; do
	if "$porty" check --config "$f" >/dev/null 2>check.err; then
		passed=$((passed + 1))
	else
		echo "FAIL $f:"
		cat check.err
		failed=$((failed + 1))
	fi
done
rm -f check.err
echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
