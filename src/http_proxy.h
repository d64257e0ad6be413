/* SPDX-License-Identifier: MIT */
/* HTTP-mode control flow: read the head, route, connect, send, relay. */
#ifndef PORTY_HTTP_PROXY_H
#define PORTY_HTTP_PROXY_H

#include <stddef.h>

#include <ev.h>

#include "addr.h"
#include "conn.h"

struct config;
struct route;
struct http_listener;

/*
 * The state of one HTTP listener: the enabled http ROUTES (N >= 1, in file
 * order) that share one listen address and port, their router and their
 * configured backends (resolved now: start-up only, blocking). Returns
 * NULL with ERR filled.
 */
struct http_listener *http_listener_new(const struct config *cfg,
					const struct route *const *routes,
					size_t n, char *err, size_t errlen);

/*
 * Porty's own listening addresses (SELF, N of them, borrowed: they must
 * outlive HL): a dynamic target equal to one is refused with 508.
 */
void http_listener_set_self(struct http_listener *hl, const struct addr *self,
			    size_t n);

/* The resolver for dynamic host names (borrowed; NULL: names get 502). */
struct resolver;
void http_listener_set_resolver(struct http_listener *hl, struct resolver *r);

/*
 * Fill O's hooks, size and cap for HL's connections (O's loop, pool and
 * pipes are the caller's). O->route becomes HL's first route.
 */
void http_listener_owner(struct http_listener *hl, struct conn_owner *o);

/* Free HL; its connections must be gone. */
void http_listener_free(struct http_listener *hl);

/*
 * Whether the (dynamic) target A is one of the listening addresses SELF:
 * the same port and the same address, or a wildcard listener and a
 * loopback or wildcard A. Pure; exposed for the unit tests.
 */
bool http_proxy_is_self(const struct addr *a, const struct addr *self,
			size_t n);

#endif /* PORTY_HTTP_PROXY_H */
