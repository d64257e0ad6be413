/* SPDX-License-Identifier: MIT */
/* The server name of a TLS ClientHello, read without terminating TLS. */
#ifndef PORTY_SNI_H
#define PORTY_SNI_H

#include <stdbool.h>
#include <stddef.h>

struct strlist;

/* Longest host name a ClientHello may carry (RFC 6066: 2^8 - 1... DNS). */
#define SNI_NAME_MAX 253

/* Largest ClientHello handshake message read, in bytes. */
#define SNI_HELLO_MAX 16384

/* What the bytes seen so far of a connection are. */
enum sni_rc {
	SNI_MORE = 0, /* a valid start of a ClientHello: read more */
	SNI_FOUND,    /* a whole ClientHello with a host name */
	SNI_NONE,     /* a whole ClientHello without a host name */
	SNI_BAD,      /* not a TLS ClientHello, malformed, or too large */
};

/*
 * Read the first LEN bytes a client sent (P): TLS handshake records, which
 * may split the ClientHello anywhere, and the handshake message itself
 * (RFC 8446 §4.1.2, RFC 6066 §3). With SNI_FOUND the host name, without a
 * trailing dot and NUL-terminated, is in NAME (SNI_NAME_MAX + 1 bytes).
 * Pure: call it again with more bytes after SNI_MORE.
 */
enum sni_rc sni_parse(const unsigned char *p, size_t len, char *name);

/*
 * Which of the N pattern lists LISTS (host names and "*.suffix" wildcards,
 * as router.c reads `host`) NAME matches: an exact name (ASCII case
 * ignored) in the first list that has it, else the list with the longest
 * matching wildcard (the first on a tie). Returns true with *INDEX set, or
 * false when none matches.
 */
bool sni_pick(const struct strlist *const *lists, size_t n, const char *name,
	      size_t *index);

#endif /* PORTY_SNI_H */
