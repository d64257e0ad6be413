#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian 12 packages that building, testing and linting porty need.
#
# Idempotent: when every package is already installed it does nothing (and
# does not touch the network). Runs as root, or through sudo otherwise.
set -eu

# Building: compiler, autotools, pkg-config and the libraries porty links.
# libc-ares-dev is for the non-blocking resolver of dynamic HTTP targets.
# Testing: check (unit and integration suites), python3 (TOML conformance
# runner), curl and socat (manual and scripted checks), valgrind
# (make check-valgrind), openssl (test certificates), groff-base and mandoc
# (man page lint).
PACKAGES="
build-essential
autoconf
automake
libtool
pkg-config
libev-dev
libhttp-parser-dev
libssl-dev
check
libc-ares-dev
python3
curl
socat
groff-base
mandoc
valgrind
openssl
systemd
"

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps.sh: apt-get not found; install these packages by hand:" >&2
	# shellcheck disable=SC2086 # one line, words split on purpose
	echo $PACKAGES >&2
	exit 1
fi

missing=
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	if [ "$status" != installed ]; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps.sh: all build and test packages are installed"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	as_root=
elif command -v sudo >/dev/null 2>&1; then
	as_root=sudo
else
	echo "install-deps.sh: not root and sudo not found; as root run:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

echo "install-deps.sh: installing$missing"
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
$as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends $missing
