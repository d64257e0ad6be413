/* SPDX-License-Identifier: MIT */
/* The serving process: listeners, process-wide limits, reload, graceful stop. */
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

/*
 * One configuration's serving state, a generation: a reload builds a new
 * one and retires the old, whose connections finish with the config,
 * upstreams, pools and HTTP listeners they borrow from it.
 */
struct gen {
	struct server *srv;          /* borrowed: owns the generation */
	struct config *cfg;          /* owned */
	struct listener_group group; /* every listener and its connections */
	struct upstream *upstreams;  /* owned: one per enabled route */
	struct buf_pool *pools;      /* owned: one per distinct buffer size */
	size_t npools;
	struct buf_pipe_pool pipes;  /* splice(2) pipes, for every route */
	struct http_listener **http; /* owned: one per shared http listener */
	size_t nhttp;
	struct sni_listener **sni; /* owned: one per shared tcp sni listener */
	size_t nsni;
	struct tls_server **tls; /* owned: one per TLS-terminating listener */
	size_t ntls;
	struct tls_clients *tlsc; /* owned: tcp routes' target_tls contexts */
	struct addr *self; /* owned: every listening address (HTTP's 508) */
	struct resolver *resolver; /* owned: HTTP's dynamic names, or NULL */
	size_t nself;
	struct gen *next; /* the server's retired list */
};

struct server {
	struct ev_loop *loop; /* borrowed */
	struct gen *cur;      /* owned: accepts new connections */
	struct gen *retired;  /* owned: older generations still draining */
	bool reuseport;       /* listeners bind with SO_REUSEPORT (workers) */
	ev_timer stop_timer;  /* shutdown_timeout_seconds */
	ev_timer reap; /* frees drained generations, outside conn_close */
	bool stopping;
};

/* The pool of SIZE-byte blocks, made on first use (room for every route). */
static struct buf_pool *
server_pool(struct gen *gen, size_t size)
{
	size_t i;

	for (i = 0; i < gen->npools; i++)
		if (gen->pools[i].size == size)
			return &gen->pools[i];
	buf_pool_init(&gen->pools[gen->npools], size,
		      SERVER_POOL_SPARE / size > 16 ? SERVER_POOL_SPARE / size
						    : 16);
	return &gen->pools[gen->npools++];
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
server_fd_budget(struct gen *gen)
{
	unsigned long long limit, base, cap, left;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		rl.rlim_cur = RLIM_INFINITY;
	limit = rl.rlim_cur == RLIM_INFINITY ? ~0ull >> 2 : rl.rlim_cur;
	base = gen->group.nlisteners + SERVER_FD_RESERVE;
	cap = limit > base + 2 ? (limit - base) / 2 : 1;
	if (cap < gen->group.max_conns) {
		log_msg(
		    LOG_SEV_WARN, NULL,
		    "max_connections_total = %u needs %llu file descriptors "
		    "but the limit is %llu: porty holds at most %llu "
		    "connections at once, the others wait to be accepted "
		    "(raise LimitNOFILE / ulimit -n, or lower "
		    "max_connections_total)",
		    gen->group.max_conns,
		    2ull * gen->group.max_conns + gen->group.nlisteners, limit,
		    cap);
		gen->group.max_conns = (unsigned)cap;
	}
	left = limit > base + 2ull * gen->group.max_conns
		   ? (limit - base - 2ull * gen->group.max_conns) / 2
		   : 0;
	if (left > SERVER_MAX_PIPES)
		left = SERVER_MAX_PIPES;
	buf_pipe_pool_init(&gen->pipes, (size_t)left,
			   left < SERVER_SPARE_PIPES ? (size_t)left
						     : SERVER_SPARE_PIPES);
}

/*
 * Make O terminate TLS for its N ROUTES (the first one's certificate is
 * the default, SNI picks the others).
 */
static int
server_tls(struct gen *gen, struct conn_owner *o,
	   const struct route *const *routes, size_t n, char *err,
	   size_t errlen)
{
	struct tls_server *ts;

	ts = tls_server_new(routes, n, gen->cfg->header_timeout_s, err, errlen);
	if (ts == NULL)
		return -1;
	gen->tls[gen->ntls++] = ts;
	tls_owner(o, ts);
	return 0;
}

/* Resolve, bind and register route R (enabled, tcp) as listener number I. */
static int
server_add_route(struct gen *gen, const struct route *r, size_t i, int backlog,
		 char *err, size_t errlen)
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
	if (upstream_init(&gen->upstreams[i], r->target_addr, r->target_port,
			  why, sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: target_addr %s", r->name, why);
		return -1;
	}
	if (r->target_tls) {
		gen->upstreams[i].tls =
		    tls_clients_get(gen->tlsc, r->target_tls_verify, r->tls_ca,
				    why, sizeof(why));
		if (gen->upstreams[i].tls == NULL) {
			snprintf(err, errlen, "route %s: %s", r->name, why);
			return -1;
		}
		gen->upstreams[i].sni =
		    r->target_sni != NULL ? r->target_sni : r->target_addr;
	}
	memcpy(&gen->self[gen->nself], addrs, n * sizeof(addrs[0]));
	gen->nself += n;
	memset(&owner, 0, sizeof(owner));
	owner.loop = gen->srv->loop;
	owner.route = r;
	owner.pool = server_pool(gen, (size_t)r->buffer_size_kb * 1024);
	owner.pipes = &gen->pipes;
	owner.upstream = &gen->upstreams[i];
	owner.target = gen->upstreams[i].name;
	owner.log = gen->cfg->log_requests && r->log_level != LOG_LEVEL_NONE;
	owner.start = upstream_connect;
	owner.connected = relay_start;
	if (r->tls_cert != NULL &&
	    server_tls(gen, &owner, &r, 1, err, errlen) == -1)
		return -1;
	if (listener_add(&gen->group, &owner, addrs, n, backlog, why,
			 sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: %s", r->name, why);
		return -1;
	}
	return 0;
}

/* Whether routes A and B listen on the same address and port. */
static bool
server_same_listener(const struct route *a, const struct route *b)
{
	return a->listen_port == b->listen_port &&
	       strcasecmp(a->listen_addr, b->listen_addr) == 0;
}

/*
 * Whether route Q shares route R's listener: enabled http routes, or
 * enabled tcp routes with `sni`, on the same address and port.
 */
static bool
server_shares(const struct route *q, const struct route *r)
{
	if (!q->enabled || q->mode != r->mode || !server_same_listener(q, r))
		return false;
	return q->mode == ROUTE_MODE_HTTP || (q->sni.n > 0 && r->sni.n > 0);
}

/*
 * The routes sharing the listener of route number I, I first, in *GROUP
 * (the caller frees it) and their count in *N; *GROUP stays NULL when an
 * earlier route has the listener already. Returns -1 when memory ran out.
 */
static int
server_group(const struct config *cfg, size_t i, const struct route ***group,
	     size_t *n, char *err, size_t errlen)
{
	const struct route *r = &cfg->routes[i];
	size_t j;

	*group = NULL;
	*n = 0;
	for (j = 0; j < i; j++)
		if (server_shares(&cfg->routes[j], r))
			return 0; /* bound with route j */
	*group = calloc(cfg->nroutes, sizeof(**group));
	if (*group == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (j = i; j < cfg->nroutes; j++)
		if (server_shares(&cfg->routes[j], r))
			(*group)[(*n)++] = &cfg->routes[j];
	return 0;
}

/*
 * Bind the listener of the enabled http route number I and of every later
 * enabled http route on the same address and port (unless an earlier route
 * did it already): one listener, one router.
 */
static int
server_add_http(struct gen *gen, size_t i, int backlog, char *err,
		size_t errlen)
{
	const struct config *cfg = gen->cfg;
	const struct route *r = &cfg->routes[i], **group;
	struct addr addrs[SERVER_MAX_LISTEN_ADDRS];
	struct http_listener *hl;
	struct conn_owner owner;
	char why[256];
	size_t n, na;

	if (server_group(cfg, i, &group, &n, err, errlen) == -1)
		return -1;
	if (group == NULL)
		return 0;
	if (addr_resolve(r->listen_addr, r->listen_port, true, addrs,
			 SERVER_MAX_LISTEN_ADDRS, &na, why,
			 sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: listen_addr %s", r->name, why);
		free(group);
		return -1;
	}
	hl = http_listener_new(cfg, group, n, err, errlen);
	if (hl == NULL) {
		free(group);
		return -1;
	}
	gen->http[gen->nhttp++] = hl;
	memcpy(&gen->self[gen->nself], addrs, na * sizeof(addrs[0]));
	gen->nself += na;
	memset(&owner, 0, sizeof(owner));
	owner.loop = gen->srv->loop;
	owner.pool = server_pool(gen, (size_t)r->buffer_size_kb * 1024);
	owner.pipes = &gen->pipes;
	http_listener_owner(hl, &owner);
	if (r->tls_cert != NULL &&
	    server_tls(gen, &owner, group, n, err, errlen) == -1) {
		free(group);
		return -1;
	}
	free(group);
	if (listener_add(&gen->group, &owner, addrs, na, backlog, why,
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
server_add_sni(struct gen *gen, size_t i, int backlog, char *err,
	       size_t errlen)
{
	const struct config *cfg = gen->cfg;
	const struct route *r = &cfg->routes[i], **group;
	struct addr addrs[SERVER_MAX_LISTEN_ADDRS];
	struct sni_listener *sl;
	struct conn_owner owner;
	char why[256];
	size_t n, na;

	if (server_group(cfg, i, &group, &n, err, errlen) == -1)
		return -1;
	if (group == NULL)
		return 0;
	sl = sni_listener_new(cfg, group, n, err, errlen);
	free(group);
	if (sl == NULL)
		return -1;
	gen->sni[gen->nsni++] = sl;
	if (addr_resolve(r->listen_addr, r->listen_port, true, addrs,
			 SERVER_MAX_LISTEN_ADDRS, &na, why,
			 sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: listen_addr %s", r->name, why);
		return -1;
	}
	memcpy(&gen->self[gen->nself], addrs, na * sizeof(addrs[0]));
	gen->nself += na;
	memset(&owner, 0, sizeof(owner));
	owner.loop = gen->srv->loop;
	owner.pool = server_pool(gen, (size_t)r->buffer_size_kb * 1024);
	owner.pipes = &gen->pipes;
	sni_listener_owner(sl, &owner);
	if (listener_add(&gen->group, &owner, addrs, na, backlog, why,
			 sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: %s", r->name, why);
		return -1;
	}
	return 0;
}

/* The number of open connections in every generation. */
static unsigned
server_nconns(const struct server *srv)
{
	const struct gen *g;
	unsigned n = srv->cur != NULL ? srv->cur->group.nconns : 0;

	for (g = srv->retired; g != NULL; g = g->next)
		n += g->group.nconns;
	return n;
}

/* Free GEN: its listeners, connections, pools and config. */
static void
gen_free(struct gen *gen)
{
	size_t i;

	if (gen == NULL)
		return;
	listener_group_fini(&gen->group);
	for (i = 0; i < gen->npools; i++)
		buf_pool_fini(&gen->pools[i]);
	buf_pipe_pool_fini(&gen->pipes);
	for (i = 0; i < gen->nhttp; i++)
		http_listener_free(gen->http[i]);
	for (i = 0; i < gen->nsni; i++)
		sni_listener_free(gen->sni[i]);
	for (i = 0; i < gen->ntls; i++)
		tls_server_free(gen->tls[i]);
	tls_clients_free(gen->tlsc);
	resolve_free(gen->resolver);
	free(gen->sni);
	free(gen->tls);
	free(gen->http);
	free(gen->self);
	free(gen->pools);
	free(gen->upstreams);
	config_free(gen->cfg);
	free(gen);
}

/*
 * The last connection of a stopped generation ended (called from inside
 * conn_close(), so nothing is freed here): after server_shutdown() leave
 * the loop once every generation is empty; after a reload free the old
 * generation on the next loop iteration.
 */
static void
gen_drained(void *arg)
{
	struct gen *gen = arg;
	struct server *srv = gen->srv;

	if (srv->stopping) {
		if (server_nconns(srv) == 0) {
			ev_timer_stop(srv->loop, &srv->stop_timer);
			ev_break(srv->loop, EVBREAK_ALL);
		}
		return;
	}
	if (!ev_is_active(&srv->reap)) {
		ev_timer_set(&srv->reap, 0., 0.);
		ev_timer_start(srv->loop, &srv->reap);
	}
}

/* Free the retired generations whose connections have all ended. */
static void
server_reap_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *srv = w->data;
	struct gen **pp = &srv->retired, *g;

	(void)loop;
	(void)revents;
	while ((g = *pp) != NULL) {
		if (g->group.nconns > 0) {
			pp = &g->next;
			continue;
		}
		*pp = g->next;
		log_msg(LOG_SEV_DEBUG, NULL,
			"the connections of a replaced configuration ended");
		gen_free(g);
	}
}

/* shutdown_timeout_seconds are up: close what is left and leave the loop. */
static void
server_stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *srv = w->data;
	unsigned n = server_nconns(srv);
	struct gen *g;

	(void)revents;
	if (n > 0)
		log_msg(LOG_SEV_WARN, NULL,
			"shutdown timeout: closing %u open connections", n);
	if (srv->cur != NULL)
		listener_group_close_conns(&srv->cur->group, CONN_END_TIMEOUT,
					   "server stopping");
	for (g = srv->retired; g != NULL; g = g->next)
		listener_group_close_conns(&g->group, CONN_END_TIMEOUT,
					   "server stopping");
	ev_break(loop, EVBREAK_ALL);
}

/*
 * A generation serving CFG (owned by it on success), its sockets bound,
 * or taken over from FROM (may be NULL) where the address is the same, but
 * not yet accepting. Returns NULL with ERR filled; CFG is then still the
 * caller's and FROM untouched.
 */
static struct gen *
gen_new(struct server *srv, struct config *cfg, struct listener_group *from,
	bool reuseport, char *err, size_t errlen)
{
	struct gen *gen;
	unsigned max_total;
	size_t i, nenabled = 0;
	int backlog;

	for (i = 0; i < cfg->nroutes; i++)
		if (cfg->routes[i].enabled)
			nenabled++;
	if (nenabled == 0) {
		snprintf(err, errlen, "no enabled route to start");
		return NULL;
	}

	gen = calloc(1, sizeof(*gen));
	if (gen == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	gen->srv = srv;
	gen->cfg = cfg;
	max_total =
	    cfg->max_connections_total > 0 ? cfg->max_connections_total : ~0u;
	listener_group_init(&gen->group, srv->loop, max_total, gen_drained,
			    gen);
	gen->group.from = from;
	gen->group.reuseport = reuseport;
	gen->upstreams = calloc(cfg->nroutes, sizeof(*gen->upstreams));
	gen->pools = calloc(cfg->nroutes, sizeof(*gen->pools));
	gen->http = calloc(cfg->nroutes, sizeof(*gen->http));
	gen->self =
	    calloc(cfg->nroutes * SERVER_MAX_LISTEN_ADDRS, sizeof(*gen->self));
	gen->sni = calloc(cfg->nroutes, sizeof(*gen->sni));
	gen->tls = calloc(cfg->nroutes, sizeof(*gen->tls));
	gen->tlsc = tls_clients_new();
	if (gen->upstreams == NULL || gen->pools == NULL || gen->http == NULL ||
	    gen->self == NULL || gen->sni == NULL || gen->tls == NULL ||
	    gen->tlsc == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	backlog = sock_backlog(SOCK_BACKLOG);
	for (i = 0; i < cfg->nroutes; i++) {
		if (!cfg->routes[i].enabled)
			continue;
		if (cfg->routes[i].mode == ROUTE_MODE_HTTP) {
			if (server_add_http(gen, i, backlog, err, errlen) == -1)
				goto fail;
			continue;
		}
		if (cfg->routes[i].sni.n > 0) {
			if (server_add_sni(gen, i, backlog, err, errlen) == -1)
				goto fail;
			continue;
		}
		if (server_add_route(gen, &cfg->routes[i], i, backlog, err,
				     errlen) == -1)
			goto fail;
	}
	if (gen->nhttp > 0) {
		char why[256];

		gen->resolver = resolve_new(srv->loop, why, sizeof(why));
		if (gen->resolver == NULL)
			log_msg(LOG_SEV_WARN, NULL,
				"no resolver for dynamic host names: %s", why);
	}
	for (i = 0; i < gen->nhttp; i++) {
		http_listener_set_self(gen->http[i], gen->self, gen->nself);
		http_listener_set_resolver(gen->http[i], gen->resolver);
	}
	server_fd_budget(gen);
	return gen;
fail:
	gen->cfg = NULL; /* still the caller's */
	gen_free(gen);   /* borrowed sockets stay open in FROM */
	return NULL;
}

/* Log the routes of GEN and start accepting. */
static void
gen_start(struct gen *gen)
{
	const struct config *cfg = gen->cfg;
	size_t i;

	listener_group_start(&gen->group);
	for (i = 0; i < cfg->nroutes; i++)
		if (cfg->routes[i].enabled)
			log_route(&cfg->routes[i]);
}

struct server *
server_start(struct ev_loop *loop, struct config *cfg, bool reuseport,
	     char *err, size_t errlen)
{
	struct server *srv;

	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->loop = loop;
	srv->reuseport = reuseport;
	ev_init(&srv->stop_timer, server_stop_timer_cb);
	srv->stop_timer.data = srv;
	ev_init(&srv->reap, server_reap_cb);
	srv->reap.data = srv;
	server_raise_nofile();
	srv->cur = gen_new(srv, cfg, NULL, reuseport, err, errlen);
	if (srv->cur == NULL) {
		free(srv);
		return NULL;
	}
	gen_start(srv->cur);
	log_ready(srv->cur->group.nlisteners);
	return srv;
}

const struct config *
server_config(const struct server *srv)
{
	return srv->cur->cfg;
}

int
server_reload(struct server *srv, struct config *cfg, char *err, size_t errlen)
{
	struct gen *old = srv->cur, *gen;
	unsigned kept;

	if (srv->stopping) {
		snprintf(err, errlen, "porty is stopping");
		return -1;
	}
	gen = gen_new(srv, cfg, &old->group, srv->reuseport, err, errlen);
	if (gen == NULL)
		return -1;
	/*
	 * Hand the unchanged sockets over, then close the others: clients
	 * waiting in a kept socket's backlog are accepted by the new
	 * generation, so none is refused.
	 */
	kept = listener_group_adopt(&gen->group);
	listener_group_stop(&old->group);
	srv->cur = gen;
	old->next = srv->retired;
	srv->retired = old;
	if (old->group.nconns == 0)
		gen_drained(old);
	gen_start(gen);
	log_msg(LOG_SEV_INFO, NULL,
		"configuration reloaded: %u listening sockets (%u kept open, "
		"%u new), %u connections finish with the old configuration",
		gen->group.nlisteners, kept, gen->group.nlisteners - kept,
		old->group.nconns);
	return 0;
}

void
server_shutdown(struct server *srv)
{
	unsigned n;

	if (srv->stopping) {
		/* A second signal: do not wait any longer. */
		ev_timer_stop(srv->loop, &srv->stop_timer);
		server_stop_timer_cb(srv->loop, &srv->stop_timer, 0);
		return;
	}
	srv->stopping = true;
	ev_timer_stop(srv->loop, &srv->reap);
	listener_group_stop(&srv->cur->group);
	n = server_nconns(srv);
	if (n == 0) {
		ev_break(srv->loop, EVBREAK_ALL);
		return;
	}
	log_msg(LOG_SEV_INFO, NULL,
		"stopping: waiting up to %us for %u open connections",
		srv->cur->cfg->shutdown_timeout_s, n);
	ev_timer_set(&srv->stop_timer,
		     (ev_tstamp)srv->cur->cfg->shutdown_timeout_s, 0.);
	ev_timer_start(srv->loop, &srv->stop_timer);
}

void
server_free(struct server *srv)
{
	struct gen *g;

	if (srv == NULL)
		return;
	ev_timer_stop(srv->loop, &srv->stop_timer);
	ev_timer_stop(srv->loop, &srv->reap);
	while ((g = srv->retired) != NULL) {
		srv->retired = g->next;
		gen_free(g);
	}
	gen_free(srv->cur);
	free(srv);
}
