/* SPDX-License-Identifier: MIT */
/* Addresses: "host:port" parsing, start-up resolution, sockaddr to text. */
#ifndef PORTY_ADDR_H
#define PORTY_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include <netinet/in.h>
#include <sys/socket.h>

/* Room for the longest addr_format() text: "[" IPv6 "]:" port and NUL. */
#define ADDR_TEXT_MAX (INET6_ADDRSTRLEN + 8)

/* An IPv4 or IPv6 socket address, small enough to keep per connection. */
struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len; /* bytes of u in use; sizeof(u) before accept() */
};

/*
 * Split TEXT, "host:port" or "[v6addr]:port", into HOST (brackets removed,
 * HOSTLEN bytes) and *PORT (1..65535). An IPv6 literal without brackets is
 * refused, as its last colon would be ambiguous. Returns 0, or -1 with ERR
 * filled ("missing port", ...).
 */
int addr_split(const char *text, char *host, size_t hostlen, unsigned *port,
	       char *err, size_t errlen);

/*
 * Resolve HOST (an IPv4 or IPv6 literal, optionally in brackets, or a name;
 * blocking: start-up only) with PORT into at most MAX addresses in OUT, in
 * the resolver's order and without duplicates. PASSIVE asks for addresses
 * to bind. Stores the count in *N (>= 1 on success). Returns 0, or -1 with
 * ERR filled with the resolver's reason.
 */
int addr_resolve(const char *host, unsigned port, bool passive,
		 struct addr *out, size_t max, size_t *n, char *err,
		 size_t errlen);

/*
 * Write A as "1.2.3.4:80" or "[::1]:80" (an IPv4-mapped IPv6 address as
 * plain IPv4) into BUF of LEN bytes (ADDR_TEXT_MAX is always enough).
 * Returns the length written, without the NUL.
 */
size_t addr_format(const struct addr *a, char *buf, size_t len);

/*
 * Write HOST and PORT as "host:port", adding brackets around an IPv6
 * literal that has none. Returns the length the full text needs, as
 * snprintf() does.
 */
size_t addr_format_hostport(const char *host, unsigned port, char *buf,
			    size_t len);

/* Whether A and B are the same family, address and port. */
bool addr_equal(const struct addr *a, const struct addr *b);

#endif /* PORTY_ADDR_H */
