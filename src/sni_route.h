/* SPDX-License-Identifier: MIT */
/* TCP routes sharing a port, chosen by the TLS ClientHello's server name. */
#ifndef PORTY_SNI_ROUTE_H
#define PORTY_SNI_ROUTE_H

#include <stddef.h>

#include "conn.h"

struct config;
struct route;
struct sni_listener;

/*
 * The state of one listener shared by the enabled tcp ROUTES (N >= 1, in
 * file order, each with `sni`): their backends (resolved now: start-up
 * only, blocking) and TLS client contexts. Returns NULL with ERR filled.
 */
struct sni_listener *sni_listener_new(const struct config *cfg,
				      const struct route *const *routes,
				      size_t n, char *err, size_t errlen);

/*
 * Fill O's hooks, size, cap and route for SL's connections (O's loop, pool
 * and pipes are the caller's). A connection reads the client's first
 * bytes until they hold a whole ClientHello (within header_timeout_seconds
 * and the route's buffer), picks the route whose `sni` matches its server
 * name, connects to that route's target and relays everything, the
 * ClientHello first, untouched. No ClientHello, no server name or no
 * matching route is a close with no byte sent.
 */
void sni_listener_owner(struct sni_listener *sl, struct conn_owner *o);

/* Free SL; its connections must be gone. */
void sni_listener_free(struct sni_listener *sl);

#endif /* PORTY_SNI_ROUTE_H */
