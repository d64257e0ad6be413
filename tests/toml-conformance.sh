#!/bin/sh
# Runs the toml-test conformance suite (../shared/conformance) against
# tests/toml-decoder. Skipped (exit 77) when the suite is not beside the tree.
srcdir=${PORTY_SRCDIR:-$(dirname "$0")/..}
runner=$srcdir/../shared/conformance/run-toml-test.sh
decoder=${TOML_DECODER:-./tests/toml-decoder}
if [ ! -f "$runner" ]; then
	echo "toml-test suite not found at $runner: skipped"
	exit 77
fi
exec bash "$runner" -j 2 --timeout 10 "$decoder"
