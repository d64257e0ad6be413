/* SPDX-License-Identifier: MIT */
/* The serving process: route listeners, process-wide limits, graceful stop. */
#include "auto-config.h"

#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "config.h"
#include "conn.h"
#include "http_proxy.h"
#include "listener.h"
#include "log.h"
#include "relay.h"
#include "resolve.h"
#include "sni_route.h"
#include "sock.h"
#include "tls.h"
#include "upstream.h"

/* Addresses one listen_addr may bind ("localhost": ::1 and 127.0.0.1). */
#define SERVER_MAX_LISTEN_ADDRS 8

/*
 * Spare buffer blocks kept per pool, in bytes. Enough for the blocks that
 * churn between requests; a burst of slow clients beyond it is given back
 * to malloc when it drains.
 */
#define SERVER_POOL_SPARE (4u << 20)

/*
 * Descriptors set aside for everything but connections and pipes: stdio,
 * the log file, epoll, libev's signal pipe, and a margin.
 */
#define SERVER_FD_RESERVE 32

/*
 * Pipes for splice(2) use only descriptors that connections can never
 * need (what max_connections_total leaves of the limit), at most
 * SERVER_MAX_PIPES. A pipe is held only while a bulk transfer waits for a
 * slow reader, so a few serve many connections.
 */
#define SERVER_MAX_PIPES   1024
#define SERVER_SPARE_PIPES 32

struct server {
	struct ev_loop *loop;        /* borrowed */
	const struct config *cfg;    /* borrowed: outlives the server */
	struct listener_group group; /* every listener and its connections */
	struct upstream *upstreams;  /* owned: one per enabled route */
	struct buf_pool *pools;      /* owned: one per distinct buffer size */
	size_t npools;
	struct buf_pipe_pool pipes; /* splice(2) pipes, for every route */
	struct http_listener **http; /* owned: one per shared http listener */
	size_t nhttp;
	struct addr *self; /* owned: every listening address (HTTP's 508) */
	struct resolver *resolver; /* owned: HTTP's dynamic names, or NULL */
	struct sni_listener **sni; /* owned: one per shared tcp sni listener */
	size_t nsni;
	struct tls_server **tls; /* owned: one per TLS-terminating listener */
	size_t ntls;
	struct tls_clients *tlsc; /* owned: tcp routes' target_tls contexts */
	size_t nself;
	ev_timer stop_timer;        /* shutdown_timeout_seconds */
	bool stopping;
};

/* The pool of SIZE-byte blocks, made on first use (room for every route). */
static struct buf_pool *
server_pool(struct server *srv, size_t size)
{
	size_t i;

	for (i = 0; i < srv->npools; i++)
		if (srv->pools[i].size == size)
			return &srv->pools[i];
	buf_pool_init(&srv->pools[srv->npools], size,
		      SERVER_POOL_SPARE / size > 16 ? SERVER_POOL_SPARE / size
						    : 16);
	return &srv->pools[srv->npools++];
}

/* The kernel's ceiling for RLIMIT_NOFILE when the hard limit is "unlimited". */
static rlim_t
server_nr_open(void)
{
	char text[32];
	ssize_t n;
	long v;
	int fd;

	fd = open("/proc/sys/fs/nr_open", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 1048576;
	n = read(fd, text, sizeof(text) - 1);
	(void)close(fd);
	if (n <= 0)
		return 1048576;
	text[n] = '\0';
	v = strtol(text, NULL, 10);
	return v > 0 ? (rlim_t)v : 1048576;
}

/* Raise the soft descriptor limit to the hard one: a connection needs two. */
static void
server_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur =
	    rl.rlim_max != RLIM_INFINITY ? rl.rlim_max : server_nr_open();
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_msg(LOG_SEV_WARN, NULL,
			"cannot raise the open files limit to %llu: %s",
			(unsigned long long)rl.rlim_cur, strerror(errno));
}

/*
 * Fit the connection cap to the descriptor limit: each connection needs
 * two, and a client accepted without a descriptor left for its upstream
 * could only be reset, while one left in the backlog just waits. Warn when
 * that lowers max_connections_total, and give what connections can never
 * use to the splice pipes.
 */
static void
server_fd_budget(struct server *srv)
{
	unsigned long long limit, base, cap, left;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		rl.rlim_cur = RLIM_INFINITY;
	limit = rl.rlim_cur == RLIM_INFINITY ? ~0ull >> 2 : rl.rlim_cur;
	base = srv->group.nlisteners + SERVER_FD_RESERVE;
	cap = limit > base + 2 ? (limit - base) / 2 : 1;
	if (cap < srv->group.max_conns) {
		log_msg(
		    LOG_SEV_WARN, NULL,
		    "max_connections_total = %u needs %llu file descriptors "
		    "but the limit is %llu: porty holds at most %llu "
		    "connections at once, the others wait to be accepted "
		    "(raise LimitNOFILE / ulimit -n, or lower "
		    "max_connections_total)",
		    srv->group.max_conns,
		    2ull * srv->group.max_conns + srv->group.nlisteners, limit,
		    cap);
		srv->group.max_conns = (unsigned)cap;
	}
	left = limit > base + 2ull * srv->group.max_conns
		   ? (limit - base - 2ull * srv->group.max_conns) / 2
		   : 0;
	if (left > SERVER_MAX_PIPES)
		left = SERVER_MAX_PIPES;
	buf_pipe_pool_init(&srv->pipes, (size_t)left,
			   left < SERVER_SPARE_PIPES ? (size_t)left
						     : SERVER_SPARE_PIPES);
}

/*
 * Make O terminate TLS for its N ROUTES (the first one's certificate is
 * the default, SNI picks the others).
 */
static int
server_tls(struct server *srv, struct conn_owner *o,
	   const struct route *const *routes, size_t n, char *err,
	   size_t errlen)
{
	struct tls_server *ts;

	ts = tls_server_new(routes, n, srv->cfg->header_timeout_s, err, errlen);
	if (ts == NULL)
		return -1;
	srv->tls[srv->ntls++] = ts;
	tls_owner(o, ts);
	return 0;
}

/* Resolve, bind and register route R (enabled, tcp) as listener number I. */
static int
server_add_route(struct server *srv, const struct route *r, size_t i,
		 int backlog, char *err, size_t errlen)
{
	struct addr addrs[SERVER_MAX_LISTEN_ADDRS];
	struct conn_owner owner;
	char why[256];
	size_t n;

	if (addr_resolve(r->listen_addr, r->listen_port, true, addrs,
			 SERVER_MAX_LISTEN_ADDRS, &n, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: listen_addr %s", r->name, why);
		return -1;
	}
	if (r->target_addr == NULL || r->target_port == 0) {
		snprintf(err, errlen,
			 "route %s: a tcp route needs target_addr "
			 "and target_port",
			 r->name);
		return -1;
	}
	if (upstream_init(&srv->upstreams[i], r->target_addr, r->target_port,
			  why, sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: target_addr %s", r->name, why);
		return -1;
	}
	if (r->target_tls) {
		srv->upstreams[i].tls =
		    tls_clients_get(srv->tlsc, r->target_tls_verify, r->tls_ca,
				    why, sizeof(why));
		if (srv->upstreams[i].tls == NULL) {
			snprintf(err, errlen, "route %s: %s", r->name, why);
			return -1;
		}
		srv->upstreams[i].sni =
		    r->target_sni != NULL ? r->target_sni : r->target_addr;
	}
	memcpy(&srv->self[srv->nself], addrs, n * sizeof(addrs[0]));
	srv->nself += n;
	memset(&owner, 0, sizeof(owner));
	owner.loop = srv->loop;
	owner.route = r;
	owner.pool = server_pool(srv, (size_t)r->buffer_size_kb * 1024);
	owner.pipes = &srv->pipes;
	owner.upstream = &srv->upstreams[i];
	owner.target = srv->upstreams[i].name;
	owner.log = srv->cfg->log_requests && r->log_level != LOG_LEVEL_NONE;
	owner.start = upstream_connect;
	owner.connected = relay_start;
	if (r->tls_cert != NULL &&
	    server_tls(srv, &owner, &r, 1, err, errlen) == -1)
		return -1;
	if (listener_add(&srv->group, &owner, addrs, n, backlog, why,
			 sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: %s", r->name, why);
		return -1;
	}
	return 0;
}

/* Whether the enabled http routes A and B share a listening address. */
static bool
server_same_listener(const struct route *a, const struct route *b)
{
	return a->listen_port == b->listen_port &&
	       strcasecmp(a->listen_addr, b->listen_addr) == 0;
}

/*
 * Bind the listener of the enabled http route number I and of every later
 * enabled http route on the same address and port (unless an earlier route
 * did it already): one listener, one router.
 */
static int
server_add_http(struct server *srv, size_t i, int backlog, char *err,
		size_t errlen)
{
	const struct config *cfg = srv->cfg;
	const struct route *r = &cfg->routes[i], **group;
	struct addr addrs[SERVER_MAX_LISTEN_ADDRS];
	struct http_listener *hl;
	struct conn_owner owner;
	char why[256];
	size_t j, n = 0, na;

	for (j = 0; j < i; j++) {
		const struct route *q = &cfg->routes[j];

		if (q->enabled && q->mode == ROUTE_MODE_HTTP &&
		    server_same_listener(q, r))
			return 0; /* bound with route j */
	}
	group = calloc(cfg->nroutes, sizeof(*group));
	if (group == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (j = i; j < cfg->nroutes; j++) {
		const struct route *q = &cfg->routes[j];

		if (q->enabled && q->mode == ROUTE_MODE_HTTP &&
		    server_same_listener(q, r))
			group[n++] = q;
	}
	if (addr_resolve(r->listen_addr, r->listen_port, true, addrs,
			 SERVER_MAX_LISTEN_ADDRS, &na, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: listen_addr %s", r->name, why);
		free(group);
		return -1;
	}
	hl = http_listener_new(cfg, group, n, err, errlen);
	if (hl == NULL) {
		free(group);
		return -1;
	}
	srv->http[srv->nhttp++] = hl;
	memcpy(&srv->self[srv->nself], addrs, na * sizeof(addrs[0]));
	srv->nself += na;
	memset(&owner, 0, sizeof(owner));
	owner.loop = srv->loop;
	owner.pool = server_pool(srv, (size_t)r->buffer_size_kb * 1024);
	owner.pipes = &srv->pipes;
	http_listener_owner(hl, &owner);
	if (r->tls_cert != NULL &&
	    server_tls(srv, &owner, group, n, err, errlen) == -1) {
		free(group);
		return -1;
	}
	free(group);
	if (listener_add(&srv->group, &owner, addrs, na, backlog, why,
			 sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: %s", r->name, why);
		return -1;
	}
	return 0;
}

/*
 * Bind the listener of the enabled tcp route number I that has `sni`, with
 * every later one on the same address and port (unless an earlier route
 * did it already): one listener, routes chosen by the ClientHello.
 */
static int
server_add_sni(struct server *srv, size_t i, int backlog, char *err,
	       size_t errlen)
{
	const struct config *cfg = srv->cfg;
	const struct route *r = &cfg->routes[i], **group;
	struct addr addrs[SERVER_MAX_LISTEN_ADDRS];
	struct sni_listener *sl;
	struct conn_owner owner;
	char why[256];
	size_t j, n = 0, na;

	for (j = 0; j < cfg->nroutes; j++) {
		const struct route *q = &cfg->routes[j];

		if (q->enabled && q->mode == ROUTE_MODE_TCP && q->sni.n > 0 &&
		    server_same_listener(q, r)) {
			if (j < i)
				return 0; /* bound with route j */
			break;
		}
	}
	group = calloc(cfg->nroutes, sizeof(*group));
	if (group == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (j = i; j < cfg->nroutes; j++) {
		const struct route *q = &cfg->routes[j];

		if (q->enabled && q->mode == ROUTE_MODE_TCP && q->sni.n > 0 &&
		    server_same_listener(q, r))
			group[n++] = q;
	}
	sl = sni_listener_new(cfg, group, n, err, errlen);
	free(group);
	if (sl == NULL)
		return -1;
	srv->sni[srv->nsni++] = sl;
	if (addr_resolve(r->listen_addr, r->listen_port, true, addrs,
			 SERVER_MAX_LISTEN_ADDRS, &na, why,
			 sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: listen_addr %s", r->name, why);
		return -1;
	}
	memcpy(&srv->self[srv->nself], addrs, na * sizeof(addrs[0]));
	srv->nself += na;
	memset(&owner, 0, sizeof(owner));
	owner.loop = srv->loop;
	owner.pool = server_pool(srv, (size_t)r->buffer_size_kb * 1024);
	owner.pipes = &srv->pipes;
	sni_listener_owner(sl, &owner);
	if (listener_add(&srv->group, &owner, addrs, na, backlog, why,
			 sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: %s", r->name, why);
		return -1;
	}
	return 0;
}

/* The last connection ended after server_shutdown(): leave the loop now. */
static void
server_drained(void *arg)
{
	struct server *srv = arg;

	ev_timer_stop(srv->loop, &srv->stop_timer);
	ev_break(srv->loop, EVBREAK_ALL);
}

/* shutdown_timeout_seconds are up: close what is left and leave the loop. */
static void
server_stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *srv = w->data;

	(void)revents;
	if (srv->group.nconns > 0)
		log_msg(LOG_SEV_WARN, NULL,
			"shutdown timeout: closing %u open connections",
			srv->group.nconns);
	listener_group_close_conns(&srv->group, CONN_END_TIMEOUT,
				   "server stopping");
	ev_break(loop, EVBREAK_ALL);
}

struct server *
server_start(struct ev_loop *loop, const struct config *cfg, char *err,
	     size_t errlen)
{
	struct server *srv;
	unsigned max_total;
	size_t i, nenabled = 0;
	int backlog;

	for (i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];

		if (!r->enabled)
			continue;
		nenabled++;
	}
	if (nenabled == 0) {
		snprintf(err, errlen, "no enabled route to start");
		return NULL;
	}

	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		goto nomem;
	srv->loop = loop;
	srv->cfg = cfg;
	max_total =
	    cfg->max_connections_total > 0 ? cfg->max_connections_total : ~0u;
	listener_group_init(&srv->group, loop, max_total, server_drained, srv);
	ev_init(&srv->stop_timer, server_stop_timer_cb);
	srv->stop_timer.data = srv;
	srv->upstreams = calloc(cfg->nroutes, sizeof(*srv->upstreams));
	srv->pools = calloc(cfg->nroutes, sizeof(*srv->pools));
	srv->http = calloc(cfg->nroutes, sizeof(*srv->http));
	srv->self = calloc(cfg->nroutes * SERVER_MAX_LISTEN_ADDRS,
			   sizeof(*srv->self));
	srv->sni = calloc(cfg->nroutes, sizeof(*srv->sni));
	srv->tls = calloc(cfg->nroutes, sizeof(*srv->tls));
	srv->tlsc = tls_clients_new();
	if (srv->upstreams == NULL || srv->pools == NULL || srv->http == NULL ||
	    srv->self == NULL || srv->sni == NULL || srv->tls == NULL ||
	    srv->tlsc == NULL)
		goto nomem;

	server_raise_nofile();
	backlog = sock_backlog(SOCK_BACKLOG);
	for (i = 0; i < cfg->nroutes; i++) {
		if (!cfg->routes[i].enabled)
			continue;
		if (cfg->routes[i].mode == ROUTE_MODE_HTTP) {
			if (server_add_http(srv, i, backlog, err, errlen) == -1)
				goto fail;
			continue;
		}
		if (cfg->routes[i].sni.n > 0) {
			if (server_add_sni(srv, i, backlog, err, errlen) == -1)
				goto fail;
			continue;
		}
		if (server_add_route(srv, &cfg->routes[i], i, backlog, err,
				     errlen) == -1)
			goto fail;
	}
	if (srv->nhttp > 0) {
		char why[256];

		srv->resolver = resolve_new(loop, why, sizeof(why));
		if (srv->resolver == NULL)
			log_msg(LOG_SEV_WARN, NULL,
				"no resolver for dynamic host names: %s", why);
	}
	for (i = 0; i < srv->nhttp; i++) {
		http_listener_set_self(srv->http[i], srv->self, srv->nself);
		http_listener_set_resolver(srv->http[i], srv->resolver);
	}
	server_fd_budget(srv);
	listener_group_start(&srv->group);
	for (i = 0; i < cfg->nroutes; i++)
		if (cfg->routes[i].enabled)
			log_route(&cfg->routes[i]);
	log_ready(srv->group.nlisteners);
	return srv;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	server_free(srv);
	return NULL;
}

void
server_shutdown(struct server *srv)
{
	if (srv->stopping) {
		/* A second signal: do not wait any longer. */
		ev_timer_stop(srv->loop, &srv->stop_timer);
		server_stop_timer_cb(srv->loop, &srv->stop_timer, 0);
		return;
	}
	srv->stopping = true;
	listener_group_stop(&srv->group);
	if (srv->group.nconns == 0) {
		ev_break(srv->loop, EVBREAK_ALL);
		return;
	}
	log_msg(LOG_SEV_INFO, NULL,
		"stopping: waiting up to %us for %u open connections",
		srv->cfg->shutdown_timeout_s, srv->group.nconns);
	ev_timer_set(&srv->stop_timer, (ev_tstamp)srv->cfg->shutdown_timeout_s,
		     0.);
	ev_timer_start(srv->loop, &srv->stop_timer);
}

void
server_free(struct server *srv)
{
	size_t i;

	if (srv == NULL)
		return;
	ev_timer_stop(srv->loop, &srv->stop_timer);
	listener_group_fini(&srv->group);
	for (i = 0; i < srv->npools; i++)
		buf_pool_fini(&srv->pools[i]);
	buf_pipe_pool_fini(&srv->pipes);
	for (i = 0; i < srv->nhttp; i++)
		http_listener_free(srv->http[i]);
	resolve_free(srv->resolver);
	for (i = 0; i < srv->nsni; i++)
		sni_listener_free(srv->sni[i]);
	for (i = 0; i < srv->ntls; i++)
		tls_server_free(srv->tls[i]);
	tls_clients_free(srv->tlsc);
	free(srv->sni);
	free(srv->tls);
	free(srv->http);
	free(srv->self);
	free(srv->pools);
	free(srv->upstreams);
	free(srv);
}
