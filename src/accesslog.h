/* SPDX-License-Identifier: MIT */
/* One line per finished connection or request, in the configured log_format. */
#ifndef PORTY_ACCESSLOG_H
#define PORTY_ACCESSLOG_H

#include <stdint.h>

/* What is known of a connection (TCP) or request (HTTP) when it is logged. */
struct access_rec {
	const char *route;           /* route name */
	const char *client;          /* peer as "addr:port" ("[::1]:port" for IPv6) */
	const char *target;          /* backend "host:port", or NULL if none yet */
	const char *method;          /* HTTP only; NULL for TCP */
	const char *path;            /* HTTP only: porty parameters removed */
	int status;                  /* HTTP only; 0 for TCP */
	uint64_t bytes_in;           /* client -> porty */
	uint64_t bytes_out;          /* porty -> client */
	double duration_ms;
	const char *error;           /* why it failed, or NULL */
	const char *tls; /* client TLS version ("TLSv1.3"), or NULL */
	const char *sni; /* the client's TLS server name, or NULL */
	const char *const *headers;  /* verbose: name, value, name, value...; or NULL */
	unsigned nheaders;           /* number of name/value pairs */
};

/*
 * A connection (TCP) or request (HTTP) began. Only the porty format prints
 * anything here (its 🔄 block with ├─ From / ├─ To); text and json log one
 * line when it ends.
 */
void accesslog_open(const struct access_rec *r);

/* It ended: one line (text, json) or the ✅/❌ line (porty). */
void accesslog_close(const struct access_rec *r);

#endif /* PORTY_ACCESSLOG_H */
