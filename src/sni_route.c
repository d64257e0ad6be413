/* SPDX-License-Identifier: MIT */
/* TCP routes sharing a port, chosen by the TLS ClientHello's server name. */
#include "auto-config.h"

#include "sni_route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "relay.h"
#include "sni.h"
#include "tls.h"
#include "upstream.h"

struct sni_listener {
	const struct route **routes;  /* owned array of borrowed routes */
	const struct strlist **names; /* owned array: routes[i]->sni */
	struct upstream *ups;         /* owned: ups[i] for routes[i] */
	bool *log;                    /* owned: routes[i] is access-logged */
	struct tls_clients *tlsc;     /* owned: target_tls contexts */
	size_t n;
	unsigned max_conns; /* the sum of the routes' caps */
	ev_tstamp timeout;  /* for the whole ClientHello */
};

/* A connection of an SNI listener: the name it asked for, for the log. */
struct sni_conn {
	struct conn c;
	char name[SNI_NAME_MAX + 1];
};

static struct sni_listener *
sni_listener_of(const struct conn *c)
{
	return c->owner->ctx;
}

/*
 * Before a route is chosen, C is the first route's for the log: a refused
 * client is logged where that route would log it.
 */
static void
sni_refuse(struct conn *c, const char *why)
{
	c->log = sni_listener_of(c)->log[0];
	conn_close(c, CONN_END_ABORT, why);
}

/* The ClientHello is in: pick the route by NAME and connect. */
static void
sni_chosen(struct conn *c, const char *name)
{
	struct sni_conn *sc = container_of(c, struct sni_conn, c);
	struct sni_listener *sl = sni_listener_of(c);
	char why[SNI_NAME_MAX + 64];
	size_t i;

	if (!sni_pick(sl->names, sl->n, name, &i)) {
		snprintf(why, sizeof(why), "no route for server name %s", name);
		sni_refuse(c, why);
		return;
	}
	memcpy(sc->name, name, strlen(name) + 1);
	c->sni = sc->name;
	c->route = sl->routes[i];
	c->up = &sl->ups[i];
	c->log = sl->log[i];
	if (c->log)
		conn_log_open(c);
	ev_io_stop(c->owner->loop, &c->side[CONN_CLIENT].rd);
	upstream_connect(c);
}

/* The client sent bytes: read them, and decide once they are a ClientHello. */
static void
sni_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	struct half *cl = &c->side[CONN_CLIENT];
	struct buf_pool *pool = c->owner->pool;
	char name[SNI_NAME_MAX + 1];
	enum io_rc rc;
	size_t n;

	(void)loop;
	(void)revents;
	rc = buf_read(&cl->in, pool, &cl->tp, &n);
	if (rc == IO_AGAIN)
		return;
	if (rc == IO_EOF || rc == IO_ERROR) {
		sni_refuse(c, "no ClientHello: the client closed");
		return;
	}
	c->bytes_in += n;
	switch (sni_parse((const unsigned char *)cl->in.data + cl->in.start,
			  buf_len(&cl->in), name)) {
	case SNI_MORE:
		if (buf_full(&cl->in, pool))
			sni_refuse(c, "ClientHello larger than buffer_size_kb");
		return;
	case SNI_FOUND:
		sni_chosen(c, name);
		return;
	case SNI_NONE:
		sni_refuse(c, "ClientHello without a server name");
		return;
	case SNI_BAD:
	default:
		sni_refuse(c, "not a TLS ClientHello");
		return;
	}
}

static void
sni_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	c->log = sni_listener_of(c)->log[0];
	conn_close(c, CONN_END_TIMEOUT, "no ClientHello within the timeout");
}

/* The owner's start hook: wait for the ClientHello. */
static void
sni_start(struct conn *c)
{
	struct half *cl = &c->side[CONN_CLIENT];

	conn_set_state(c, CONN_TLS_PEEK);
	c->up = NULL; /* none until a route is chosen */
	ev_set_cb(&cl->rd, sni_read_cb);
	ev_io_start(c->owner->loop, &cl->rd);
	conn_timer(c, sni_listener_of(c)->timeout, sni_timer_cb);
}

struct sni_listener *
sni_listener_new(const struct config *cfg, const struct route *const *routes,
		 size_t n, char *err, size_t errlen)
{
	struct sni_listener *sl = calloc(1, sizeof(*sl));
	const struct route *r;
	char why[256];
	size_t i;

	if (sl == NULL)
		goto nomem;
	sl->routes = calloc(n, sizeof(*sl->routes));
	sl->names = calloc(n, sizeof(*sl->names));
	sl->ups = calloc(n, sizeof(*sl->ups));
	sl->log = calloc(n, sizeof(*sl->log));
	sl->tlsc = tls_clients_new();
	if (sl->routes == NULL || sl->names == NULL || sl->ups == NULL ||
	    sl->log == NULL || sl->tlsc == NULL)
		goto nomem;
	sl->n = n;
	sl->timeout = (ev_tstamp)cfg->header_timeout_s;
	for (i = 0; i < n; i++) {
		r = routes[i];
		sl->routes[i] = r;
		sl->names[i] = &r->sni;
		sl->log[i] =
		    cfg->log_requests && r->log_level != LOG_LEVEL_NONE;
		sl->max_conns += r->max_connections;
		if (upstream_init(&sl->ups[i], r->target_addr, r->target_port,
				  why, sizeof(why)) == -1) {
			snprintf(err, errlen, "route %s: target_addr %s",
				 r->name, why);
			goto fail;
		}
		if (!r->target_tls)
			continue;
		sl->ups[i].tls = tls_clients_get(sl->tlsc, r->target_tls_verify,
						 r->tls_ca, why, sizeof(why));
		if (sl->ups[i].tls == NULL) {
			snprintf(err, errlen, "route %s: %s", r->name, why);
			goto fail;
		}
		sl->ups[i].sni =
		    r->target_sni != NULL ? r->target_sni : r->target_addr;
	}
	return sl;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	sni_listener_free(sl);
	return NULL;
}

void
sni_listener_owner(struct sni_listener *sl, struct conn_owner *o)
{
	o->route = sl->routes[0];
	o->upstream = NULL;
	o->target = NULL;
	o->log = false; /* the route is known after the ClientHello */
	o->start = sni_start;
	o->connected = relay_start;
	o->conn_size = sizeof(struct sni_conn);
	o->max_conns = sl->max_conns;
	o->ctx = sl;
}

void
sni_listener_free(struct sni_listener *sl)
{
	if (sl == NULL)
		return;
	tls_clients_free(sl->tlsc);
	free(sl->routes);
	free(sl->names);
	free(sl->ups);
	free(sl->log);
	free(sl);
}
