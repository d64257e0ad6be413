/* SPDX-License-Identifier: MIT */
/* HTTP-mode control flow: read the head, route, connect, send, relay. */
#include "auto-config.h"

#include "http_proxy.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "accesslog.h"
#include "config.h"
#include "http_head.h"
#include "log.h"
#include "relay.h"
#include "resolve.h"
#include "router.h"
#include "stats.h"
#include "tls.h"
#include "upstream.h"

/* Most steps one hc_drive() call makes before it yields to the loop. */
#define HC_MAX_STEPS 64

/* Idle upstream connections kept per listener, all backends together. */
#define HPOOL_MAX 256

/* The longest an idle upstream connection is kept, in seconds. */
#define HPOOL_IDLE_MAX 60

/* One idle upstream connection, parked for reuse by a later request. */
struct hpool_ent {
	struct addr key;          /* the backend address it is connected to */
	void *ssl;                /* owned: its TLS state, or NULL (plain) */
	const void *tls;          /* key too: the SSL_CTX it was made with */
	char sni[256];            /* key too: the TLS server name */
	ev_io io;                 /* EV_READ: the backend closed, or spoke */
	ev_timer tm;              /* idle expiry */
	struct http_listener *hl; /* borrowed */
	struct hpool_ent *prev, *next;
};

struct http_listener {
	struct router rt;
	struct ev_loop *loop; /* borrowed */
	/* idle upstream connections, most recently parked first */
	struct hpool_ent *idle_head, *idle_tail, *spare;
	unsigned nidle;
	const struct route **routes; /* owned array of borrowed routes */
	struct upstream *ups;        /* owned: ups[i] for routes[i] (naddrs 0:
					none configured) */
	size_t n;
	unsigned max_conns;       /* the sum of the routes' caps */
	unsigned header_timeout_s;
	bool log_requests;
	bool stopping; /* the server stops: no keep-alive any more */
	struct resolver *resolver; /* borrowed: dynamic host names */
	struct tls_clients *tlsc;  /* owned: TLS to backends */
	struct ssl_ctx_st **cli;   /* cli[i]: routes[i]'s TLS client context,
				      NULL when it never speaks TLS */
	const struct addr *self; /* borrowed: porty's listening addresses */
	size_t nself;
};

/*
 * After a last answer porty shuts its side and reads (and drops) what the
 * client still sends, for this long at most, before it closes: closing
 * with unread bytes would send a reset, which can destroy the answer in
 * the client's receive queue before it is read (nginx's lingering close).
 */
#define HC_LINGER_S 5.0

/* Where a connection is, finer than enum conn_state. */
enum hc_phase {
	HC_HEAD = 0, /* reading a request head (CONN_HTTP_HEAD) */
	HC_CONNECT,  /* upstream_connect() runs (CONN_CONNECTING) */
	HC_EXCHANGE, /* head sent; bodies and the response flow (RELAYING) */
	HC_CLOSING,  /* an error answer is written, then the close */
	HC_LINGER,   /* answered and shut: discard what the client still sends */
};

/* What one step did. */
enum hc_step {
	HC_IDLE = 0, /* nothing more until an event */
	HC_AGAIN,    /* progress: step again */
	HC_GONE,     /* the conn was closed or handed over: do not touch */
};

/* A connection in HTTP mode: struct conn first, then the HTTP state. */
struct hconn {
	struct conn c;
	struct http_head req, resp; /* the two parsers, for the whole life */
	struct http_listener *hl;   /* borrowed */
	struct upstream dyn;        /* a dynamic target */
	struct resolve_query *query; /* owned: resolving dyn's name, or NULL */
	const struct router_allow *allow; /* borrowed: dyn's dynamic_allow */
	char dhost[ROUTER_HOST_MAX + 1];  /* dyn's host name */
	size_t dhostlen;
	unsigned dport;
	enum hc_phase phase;
	/* the rewritten request head, going to the upstream */
	char *uhead; /* ubuf while a head waits to go, else NULL */
	uint32_t uhead_len, uhead_off;
	char *ubuf, *cbuf; /* owned: head storage, kept for the next request */
	uint32_t ucap, ccap;
	/* bytes at the front of client.in fed as this request's body */
	uint32_t req_fwd;
	/* the rewritten response head (or error answer), going to the client */
	char *chead;
	uint32_t chead_len, chead_off;
	uint32_t err_off; /* HC_CLOSING: where the answer's body starts */
	/* bytes at the front of upstream.in fed as the response's body */
	uint32_t resp_fwd;
	unsigned ready[2];   /* side may have bytes to read */
	unsigned blocked[2]; /* side's socket is full */
	bool req_done;       /* the request's MESSAGE_END was fed */
	bool reused;         /* the upstream came from the pool */
	bool body_sent;      /* request body bytes went to the upstream */
	bool up_keep;        /* the upstream may go back to the pool */
	bool resp_got;       /* a response byte came from the upstream */
	bool resp_started;   /* response bytes were queued for the client */
	bool resp_done;      /* the final response's MESSAGE_END was fed */
	bool keep;           /* the client connection goes on afterwards */
	bool tunnel;         /* a 101 / CONNECT 2xx: relay once flushed */
	bool logging;        /* this request is access-logged */
	bool logged;         /* its end is logged */
	/* for the access log */
	ev_tstamp req_start;
	ev_tstamp head_start; /* waiting for this head began */
	uint64_t in0, out0;
	unsigned status;
	const char *method;
	char *path; /* owned: the target without porty parameters */
	size_t path_cap;
	char client_ip[INET6_ADDRSTRLEN]; /* X-Forwarded-For's, or "" */
	char **hdrs; /* owned (verbose): name, value... then the text */
	unsigned nhdrs;
	size_t path_len;
};

static inline struct hconn *
hc_of(struct conn *c)
{
	return container_of(c, struct hconn, c);
}

/* *BUF with room for N bytes (grown from *CAP if need be), or NULL. */
static char *
hc_room(char **buf, uint32_t *cap, size_t n)
{
	char *p;

	if (n <= *cap)
		return *buf;
	p = realloc(*buf, n);
	if (p == NULL)
		return NULL;
	*buf = p;
	*cap = (uint32_t)n;
	return p;
}

static const char *
hc_reason_phrase(unsigned status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 508: return "Loop Detected";
	default: return "Error";
	}
}

/* ------------------------------------------------------------------ */
/* Logging                                                            */

static void
hc_log_open(struct hconn *h)
{
	char client[ADDR_TEXT_MAX], path[512];
	struct access_rec rec;
	size_t n;

	if (!h->logging)
		return;
	memset(&rec, 0, sizeof(rec));
	addr_format(&h->c.peer, client, sizeof(client));
	n = h->path_len < sizeof(path) - 1 ? h->path_len : sizeof(path) - 1;
	memcpy(path, h->path != NULL ? h->path : "", n);
	path[n] = '\0';
	rec.route = h->c.route->name;
	rec.client = client;
	rec.target = h->c.up != NULL ? h->c.up->name : NULL;
	rec.method = h->method;
	rec.path = path;
	rec.headers = (const char *const *)h->hdrs;
	rec.nheaders = h->nhdrs;
	accesslog_open(&rec);
}

/* The request ended (WHY: the error, or NULL): one line, once. */
static void
hc_log_end(struct hconn *h, const char *why)
{
	struct conn_owner *o = h->c.owner;
	char client[ADDR_TEXT_MAX], path[512];
	struct access_rec rec;
	ev_tstamp now;
	size_t n;

	if (h->logged || h->method == NULL)
		return;
	h->logged = true;
	now = ev_now(o->loop);
	stats_request(h->c.route->stats, h->status, h->c.bytes_in - h->in0,
		      h->c.bytes_out - h->out0, now - h->req_start);
	if (!h->logging) {
		if (why != NULL && log_ratelimit(&o->rl, now, h->c.route->name)) {
			addr_format(&h->c.peer, client, sizeof(client));
			log_msg(LOG_SEV_WARN, h->c.route->name, "%s -> %s: %s",
				client,
				h->c.up != NULL ? h->c.up->name : "-", why);
		}
		return;
	}
	memset(&rec, 0, sizeof(rec));
	addr_format(&h->c.peer, client, sizeof(client));
	n = h->path_len < sizeof(path) - 1 ? h->path_len : sizeof(path) - 1;
	memcpy(path, h->path != NULL ? h->path : "", n);
	path[n] = '\0';
	rec.route = h->c.route->name;
	rec.client = client;
	rec.target = h->c.up != NULL ? h->c.up->name : NULL;
	rec.method = h->method;
	rec.path = path;
	rec.status = (int)h->status;
	rec.bytes_in = h->c.bytes_in - h->in0;
	rec.bytes_out = h->c.bytes_out - h->out0;
	rec.duration_ms = (now - h->req_start) * 1000.0;
	rec.error = why;
	rec.headers = (const char *const *)h->hdrs;
	rec.nheaders = h->nhdrs;
	rec.tls = tls_version(&h->c.side[CONN_CLIENT].tp);
	rec.sni = tls_servername(&h->c.side[CONN_CLIENT].tp);
	accesslog_close(&rec);
}

/* ------------------------------------------------------------------ */
/* Ends                                                               */

/* Close the connection after logging the request's end. */
static enum hc_step
hc_close(struct hconn *h, enum conn_end end, const char *why)
{
	hc_log_end(h, why);
	conn_close(&h->c, end, why);
	return HC_GONE;
}

static void hc_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

/*
 * Answer STATUS with the one-line BODY, then close (after a linger): the
 * upstream is let go, the client is read again only once the answer is out.
 */
static enum hc_step
hc_error(struct hconn *h, unsigned status, const char *body)
{
	struct conn *c = &h->c;
	size_t blen = strlen(body), cap;
	int n;

	conn_detach(c, CONN_UPSTREAM);
	buf_release(&c->side[CONN_UPSTREAM].in, c->owner->pool);
	ev_io_stop(c->owner->loop, &c->side[CONN_CLIENT].rd);
	h->uhead = NULL;
	cap = blen + 160;
	h->chead = hc_room(&h->cbuf, &h->ccap, cap);
	if (h->chead == NULL)
		return hc_close(h, CONN_END_ERROR, "out of memory");
	n = snprintf(h->chead, cap,
		     "HTTP/1.1 %u %s\r\nContent-Type: text/plain\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
		     status, hc_reason_phrase(status), blen + 1, body);
	h->chead_len = (uint32_t)n;
	h->chead_off = 0;
	h->err_off = (uint32_t)((size_t)n - blen - 1);
	h->status = status;
	h->resp_started = true;
	h->phase = HC_CLOSING;
	if (c->state != CONN_RELAYING)
		conn_set_state(c, CONN_RELAYING);
	/* The client gets a moment to read the answer, not longer. */
	conn_timer(c, 5.0, hc_timer_cb);
	return HC_AGAIN;
}

/* ------------------------------------------------------------------ */
/* I/O helpers                                                        */

/*
 * Write what waits in *P (LEN, from *OFF) to side S. Returns 1 when all is
 * out, 0 when the socket is full, -1 on an error.
 */
static int
hc_write_mem(struct hconn *h, enum conn_side s, const char *p, uint32_t len,
	     uint32_t *off)
{
	struct half *d = &h->c.side[s];
	struct half *src = &h->c.side[conn_other(s)];
	uint32_t *fwd = s == CONN_CLIENT ? &h->resp_fwd : &h->req_fwd;
	struct iovec iov[2];
	enum io_rc rc;
	size_t n, head;

	if (*fwd > 0 && d->tp.ops->writev != NULL) {
		/* The head and the body bytes after it: one syscall. */
		iov[0].iov_base = (char *)(uintptr_t)(p + *off);
		iov[0].iov_len = len - *off;
		iov[1].iov_base = src->in.data + src->in.start;
		iov[1].iov_len = *fwd;
		rc = d->tp.ops->writev(&d->tp, iov, 2, &n);
		head = n < iov[0].iov_len ? n : iov[0].iov_len;
		if (n > head) {
			buf_drop(&src->in, h->c.owner->pool, n - head);
			*fwd -= (uint32_t)(n - head);
			if (s == CONN_UPSTREAM)
				h->body_sent = true;
		}
	} else {
		rc = d->tp.ops->write(&d->tp, p + *off, len - *off, &n);
		head = n;
	}
	*off += (uint32_t)head;
	if (s == CONN_CLIENT)
		h->c.bytes_out += n;
	if (n > 0)
		h->c.active = ev_now(h->c.owner->loop);
	if (rc == IO_AGAIN) {
		h->blocked[s] = 1;
		return 0;
	}
	if (rc != IO_OK)
		return -1;
	return *off == len ? 1 : 0;
}

/* Forward *FWD bytes from the front of side FROM's buffer; as above. */
static int
hc_write_buf(struct hconn *h, enum conn_side from, uint32_t *fwd)
{
	enum conn_side to = conn_other(from);
	struct half *d = &h->c.side[to];
	enum io_rc rc;
	size_t n;

	rc = buf_write_max(&h->c.side[from].in, h->c.owner->pool, &d->tp, *fwd,
			   &n);
	*fwd -= (uint32_t)n;
	if (to == CONN_CLIENT)
		h->c.bytes_out += n;
	if (n > 0)
		h->c.active = ev_now(h->c.owner->loop);
	if (rc == IO_AGAIN) {
		h->blocked[to] = 1;
		return 0;
	}
	if (rc != IO_OK)
		return -1;
	return *fwd == 0 ? 1 : 0;
}

/*
 * One read from side S into its buffer. Returns 1 with bytes, 0 for
 * nothing now, 2 at the end of stream, -1 on an error.
 */
static int
hc_read(struct hconn *h, enum conn_side s)
{
	struct half *src = &h->c.side[s];
	struct buf_pool *pool = h->c.owner->pool;
	enum io_rc rc;
	size_t n;

	rc = buf_read(&src->in, pool, &src->tp, &n);
	if (rc == IO_OK) {
		if (s == CONN_CLIENT)
			h->c.bytes_in += n;
		h->c.active = ev_now(h->c.owner->loop);
		/* A read that left room got all the socket had. */
		if (buf_tail_room(&src->in, pool) > 0)
			h->ready[s] = 0;
		return 1;
	}
	if (rc == IO_AGAIN) {
		h->ready[s] = 0;
		return 0;
	}
	if (rc == IO_EOF) {
		src->eof = 1;
		return 2;
	}
	return -1;
}

static bool
hc_can_read(const struct hconn *h, enum conn_side s)
{
	const struct half *src = &h->c.side[s];

	return h->ready[s] && !src->eof && !buf_full(&src->in, h->c.owner->pool);
}

/*
 * Body bytes spliced from side FROM wait in its pipe: move them on.
 * Returns 1 when the pipe is empty (and given back), 0 when the peer is
 * full, -1 on an error.
 */
static int
hc_splice_out(struct hconn *h, enum conn_side from)
{
	struct half *src = &h->c.side[from];
	enum conn_side to = conn_other(from);
	enum io_rc rc;
	size_t n;

	rc = buf_splice_out(src->pipe, &h->c.side[to].tp, &n);
	if (to == CONN_CLIENT)
		h->c.bytes_out += n;
	if (n > 0)
		h->c.active = ev_now(h->c.owner->loop);
	if (rc == IO_AGAIN) {
		h->blocked[to] = 1;
		return 0;
	}
	if (rc != IO_OK)
		return -1;
	buf_pipe_put(h->c.owner->pipes, src->pipe);
	src->pipe = NULL;
	return 1;
}

/*
 * Whether the body bytes coming from side FROM (parsed by P) should be
 * spliced: more of them are left than a buffer holds (a bulk body, where
 * splice(2) saves the copies and moves a pipe's 64 KiB a call instead of a
 * buffer's 8; small bodies are cheaper through the buffer), none wait in
 * the buffer (bytes keep their order), both sockets carry the raw stream,
 * and a pipe can be had (it is taken here).
 */
static bool
hc_want_splice(struct hconn *h, enum conn_side from, const struct http_head *p)
{
	struct conn *c = &h->c;
	struct half *src = &c->side[from];

	if (c->owner->pipes == NULL || !buf_empty(&src->in) ||
	    http_head_raw_left(p) <= c->owner->pool->size ||
	    !src->tp.ops->splice || !c->side[conn_other(from)].tp.ops->splice)
		return false;
	src->pipe = buf_pipe_get(c->owner->pipes);
	return src->pipe != NULL;
}

/*
 * One splice of body bytes from side FROM into its pipe, counted by P.
 * Returns as hc_read(); *END is set when they end the message.
 */
static int
hc_splice_in(struct hconn *h, enum conn_side from, struct http_head *p,
	     bool *end)
{
	struct half *src = &h->c.side[from];
	uint64_t left = http_head_raw_left(p);
	size_t want = h->c.owner->pipes->size, n, used;
	enum io_rc rc;

	if (want > left)
		want = (size_t)left;
	rc = buf_splice_in(src->pipe, &src->tp, want, &n);
	if (rc == IO_OK) {
		if (from == CONN_CLIENT)
			h->c.bytes_in += n;
		h->c.active = ev_now(h->c.owner->loop);
		*end = http_head_skip(p, n, &used) == HTTP_HEAD_MESSAGE_END;
		/* A short splice got all the socket had. */
		if (n < want)
			h->ready[from] = 0;
		return 1;
	}
	buf_pipe_put(h->c.owner->pipes, src->pipe);
	src->pipe = NULL;
	if (rc == IO_AGAIN) {
		h->ready[from] = 0;
		return 0;
	}
	if (rc == IO_EOF) {
		src->eof = 1;
		return 2;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Upstream pool                                                      */

/*
 * W was just set to a descriptor that stays registered with the loop's
 * backend under another watcher: a pooled upstream passing between the
 * pool and a connection. ev_io_set() marks the descriptor as possibly new,
 * and libev then re-adds it to epoll, which fails with EEXIST (a wasted
 * syscall twice per request); the registration is the same open socket, so
 * the mark is dropped. Never for a descriptor closed in between.
 */
static void
hpool_same_fd(ev_io *w)
{
	w->events &= ~EV__IOFDSET;
}

static void
hpool_unlink(struct http_listener *hl, struct hpool_ent *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		hl->idle_head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		hl->idle_tail = e->prev;
	hl->nidle--;
	ev_io_stop(hl->loop, &e->io);
	ev_timer_stop(hl->loop, &e->tm);
	e->next = hl->spare;
	hl->spare = e;
}

/* Close and forget the idle connection E. */
static void
hpool_drop(struct http_listener *hl, struct hpool_ent *e)
{
	struct transport t = {&plain_transport_ops, NULL, e->io.fd, 0, 0};

	if (e->ssl != NULL) {
		t.ops = &tls_transport_ops;
		t.ctx = e->ssl;
	}
	hpool_unlink(hl, e);
	t.ops->close(&t);
}

/* An idle connection became readable (closed, or unasked bytes): drop it. */
static void
hpool_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct hpool_ent *e = w->data;

	(void)loop;
	(void)revents;
	hpool_drop(e->hl, e);
}

static void
hpool_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hpool_ent *e = w->data;

	(void)loop;
	(void)revents;
	hpool_drop(e->hl, e);
}

/*
 * Park T (its socket and TLS state), connected to KEY of U, for IDLE
 * seconds at most. T's fd and ctx are HL's now.
 */
static void
hpool_put(struct http_listener *hl, const struct addr *key, struct transport *t,
	  const struct upstream *u, ev_tstamp idle)
{
	const char *sni = u->tls != NULL && u->sni != NULL ? u->sni : "";
	struct hpool_ent *e;
	int fd = t->fd;

	if (hl->nidle >= HPOOL_MAX)
		hpool_drop(hl, hl->idle_tail);
	e = hl->spare;
	if (e != NULL)
		hl->spare = e->next;
	else
		e = malloc(sizeof(*e));
	if (e == NULL || strlen(sni) >= sizeof(e->sni)) {
		/* Not kept: close it (a spare entry goes back). */
		if (e != NULL) {
			e->next = hl->spare;
			hl->spare = e;
		}
		t->ops->close(t);
		return;
	}
	e->ssl = t->ops == &tls_transport_ops ? t->ctx : NULL;
	e->tls = u->tls;
	strcpy(e->sni, sni);
	t->ctx = NULL;
	t->fd = -1;
	e->key = *key;
	e->hl = hl;
	ev_io_init(&e->io, hpool_io_cb, fd, EV_READ);
	hpool_same_fd(&e->io);
	e->io.data = e;
	ev_timer_init(&e->tm, hpool_timer_cb, idle, 0.);
	e->tm.data = e;
	ev_io_start(hl->loop, &e->io);
	ev_timer_start(hl->loop, &e->tm);
	e->prev = NULL;
	e->next = hl->idle_head;
	if (hl->idle_head != NULL)
		hl->idle_head->prev = e;
	else
		hl->idle_tail = e;
	hl->idle_head = e;
	hl->nidle++;
}

/*
 * An idle connection to one of U's addresses with U's TLS settings (the
 * first address that has one, the most recently parked), or -1; *IDX gets
 * the address index and *SSL its TLS state (NULL: plain).
 */
static int
hpool_get(struct http_listener *hl, const struct upstream *u, uint8_t *idx,
	  void **ssl)
{
	const char *sni = u->tls != NULL && u->sni != NULL ? u->sni : "";
	struct hpool_ent *e;
	size_t i;
	int fd;

	if (hl->nidle == 0)
		return -1;
	for (i = 0; i < u->naddrs; i++) {
		for (e = hl->idle_head; e != NULL; e = e->next) {
			if (!addr_equal(&e->key, &u->addrs[i]) ||
			    e->tls != u->tls || strcmp(e->sni, sni) != 0)
				continue;
			fd = e->io.fd;
			*ssl = e->ssl;
			hpool_unlink(hl, e);
			*idx = (uint8_t)i;
			return fd;
		}
	}
	return -1;
}

static void
hpool_fini(struct http_listener *hl)
{
	struct hpool_ent *e;

	while (hl->idle_head != NULL)
		hpool_drop(hl, hl->idle_head);
	while ((e = hl->spare) != NULL) {
		hl->spare = e->next;
		free(e);
	}
}

/* ------------------------------------------------------------------ */
/* Routing a request                                                  */

static void hc_start_head(struct hconn *h);

/* Index of route R in HL. */
static size_t
hc_route_index(const struct http_listener *hl, const struct route *r)
{
	size_t i;

	for (i = 0; i < hl->n; i++)
		if (hl->routes[i] == r)
			return i;
	return 0;
}

/* Keep the request target for the log, without porty parameters. */
static void
hc_keep_path(struct hconn *h, const char *target, size_t len)
{
	struct router_target t;
	const char *reason;
	size_t outn = 0;

	h->path_len = 0;
	if (len + 1 > h->path_cap) {
		char *p = realloc(h->path, len + 1);

		if (p == NULL)
			return;
		h->path = p;
		h->path_cap = len + 1;
	}
	memset(&t, 0, sizeof(t));
	(void)router_query_parse(target, len, false, &t, h->path, len, &outn,
				 &reason);
	h->path_len = outn;
}

/* Copy the request's fields for a verbose log (accesslog masks secrets). */
static void
hc_keep_headers(struct hconn *h)
{
	size_t i, n = http_head_nfields(&h->req), text = 0;
	struct http_head_field f;
	char *p;

	free(h->hdrs);
	h->hdrs = NULL;
	h->nhdrs = 0;
	for (i = 0; i < n; i++) {
		http_head_field(&h->req, i, &f);
		text += f.name_len + f.value_len + 2;
	}
	h->hdrs = malloc(2 * n * sizeof(char *) + text + 1);
	if (h->hdrs == NULL)
		return;
	p = (char *)(h->hdrs + 2 * n);
	for (i = 0; i < n; i++) {
		http_head_field(&h->req, i, &f);
		h->hdrs[2 * i] = p;
		memcpy(p, f.name, f.name_len);
		p += f.name_len;
		*p++ = '\0';
		h->hdrs[2 * i + 1] = p;
		memcpy(p, f.value, f.value_len);
		p += f.value_len;
		*p++ = '\0';
	}
	h->nhdrs = (unsigned)n;
}

/* Write the rewritten request head for the decision D into h->uhead. */
static int
hc_rewrite(struct hconn *h, const struct router_decision *d, const char *out)
{
	const struct route *r = d->route;
	struct http_head_rewrite rw;
	const struct addr *peer = &h->c.peer;
	size_t n;

	memset(&rw, 0, sizeof(rw));
	if (d->target_changed) {
		rw.target = out;
		rw.target_len = d->target_len;
	}
	if (!r->preserve_host) {
		if (d->result == ROUTER_DYNAMIC) {
			rw.host = d->target.host;
			rw.port = d->target.port;
		} else {
			rw.host = r->target_addr;
			rw.port = r->target_port;
		}
	}
	rw.https = h->c.up != NULL && h->c.up->tls != NULL;
	rw.forwarded = r->forwarded_headers;
	if (rw.forwarded && h->client_ip[0] == '\0') {
		/* Once per connection: inet_ntop() formats with sprintf. */
		if (peer->u.sa.sa_family == AF_INET6) {
			const struct in6_addr *a6 = &peer->u.in6.sin6_addr;

			if (IN6_IS_ADDR_V4MAPPED(a6))
				(void)inet_ntop(AF_INET, &a6->s6_addr[12],
						h->client_ip,
						sizeof(h->client_ip));
			else
				(void)inet_ntop(AF_INET6, a6, h->client_ip,
						sizeof(h->client_ip));
		} else {
			(void)inet_ntop(AF_INET, &peer->u.in.sin_addr,
					h->client_ip, sizeof(h->client_ip));
		}
	}
	rw.client_addr = h->client_ip;
	rw.proto = h->c.side[CONN_CLIENT].tp.ops == &tls_transport_ops ? "https"
								       : "http";
	/* Keep the upstream open for the pool (HTTP/1.1 does by default). */
	rw.conn = h->req.major == 1 && h->req.minor == 0
		      ? HTTP_HEAD_CONN_KEEP_ALIVE
		      : HTTP_HEAD_CONN_NONE;
	n = http_head_write_request(&h->req, &rw, h->ubuf, h->ucap);
	if (n > h->ucap) {
		if (hc_room(&h->ubuf, &h->ucap, n) == NULL)
			return -1;
		(void)http_head_write_request(&h->req, &rw, h->ubuf, n);
	}
	h->uhead = h->ubuf;
	h->uhead_len = (uint32_t)n;
	h->uhead_off = 0;
	return 0;
}

static void hc_connected(struct conn *c);

/* Give the request an upstream: an idle pooled one, or a new connect. */
static enum hc_step
hc_upstream(struct hconn *h)
{
	struct conn *c = &h->c;
	void *ssl = NULL;
	int fd;

	fd = hpool_get(h->hl, c->up, &c->up_addr, &ssl);
	if (fd != -1) {
		h->reused = true;
		conn_attach(c, CONN_UPSTREAM, fd,
			    ssl != NULL ? &tls_transport_ops
					: &plain_transport_ops);
		c->side[CONN_UPSTREAM].tp.ctx = ssl;
		hpool_same_fd(&c->side[CONN_UPSTREAM].rd);
		hpool_same_fd(&c->side[CONN_UPSTREAM].wr);
		hc_connected(c);
		return HC_GONE;
	}
	h->reused = false;
	upstream_connect(c);
	return HC_GONE;
}

/*
 * The reused upstream failed before any response byte: had the backend
 * closed it while idle, the request was never seen, so it goes again on
 * a new connection, once, unless body bytes are gone already. Returns
 * HC_IDLE when that cannot be.
 */
static enum hc_step
hc_retry_fresh(struct hconn *h)
{
	struct conn *c = &h->c;

	if (!h->reused || h->resp_got || h->body_sent || h->uhead == NULL)
		return HC_IDLE;
	conn_detach(c, CONN_UPSTREAM);
	buf_release(&c->side[CONN_UPSTREAM].in, c->owner->pool);
	c->side[CONN_UPSTREAM].eof = 0;
	h->uhead_off = 0;
	h->reused = false;
	h->phase = HC_CONNECT;
	stats_retry(c->route->stats);
	ev_io_stop(c->owner->loop, &c->side[CONN_CLIENT].rd);
	ev_io_stop(c->owner->loop, &c->side[CONN_CLIENT].wr);
	upstream_connect(c);
	return HC_GONE;
}

static void hc_drive(struct hconn *h);

/* The dynamic host name resolved: check each address, then connect. */
static void
hc_resolved(void *arg, int status, const char *reason,
	    const struct sockaddr_storage *addrs, size_t naddrs)
{
	struct hconn *h = arg;
	struct conn *c = &h->c;
	enum router_verdict v, worst = ROUTER_DENY;
	struct router_decision d;
	char body[ROUTER_BODY_MAX + 64];
	size_t i, n = 0;
	bool self = false;

	h->query = NULL;
	if (status != RESOLVE_OK) {
		snprintf(body, sizeof(body), "502 Cannot resolve %.*s: %s",
			 ROUTER_SHOW_MAX, h->dhost,
			 reason != NULL ? reason : "failed");
		if (hc_error(h, 502, body) != HC_GONE)
			hc_drive(h);
		return;
	}
	for (i = 0; i < naddrs && n < UPSTREAM_MAX_ADDRS; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&addrs[i];
		struct addr a;

		v = router_allow_check(h->allow, h->dhost, sa, h->dport);
		if (v != ROUTER_ALLOW) {
			if (v == ROUTER_DENY_LINK_LOCAL)
				worst = v;
			continue;
		}
		memset(&a, 0, sizeof(a));
		if (sa->sa_family == AF_INET) {
			a.len = sizeof(a.u.in);
			memcpy(&a.u.in, sa, sizeof(a.u.in));
			a.u.in.sin_port = htons((uint16_t)h->dport);
		} else if (sa->sa_family == AF_INET6) {
			a.len = sizeof(a.u.in6);
			memcpy(&a.u.in6, sa, sizeof(a.u.in6));
			a.u.in6.sin6_port = htons((uint16_t)h->dport);
		} else {
			continue;
		}
		if (http_proxy_is_self(&a, h->hl->self, h->hl->nself))
			self = true;
		h->dyn.addrs[n++] = a;
	}
	h->dyn.naddrs = n;
	if (n == 0) {
		memset(&d, 0, sizeof(d));
		d.result = ROUTER_DYNAMIC;
		d.route = c->route;
		memcpy(d.target.host, h->dhost, h->dhostlen + 1);
		d.target.hostlen = h->dhostlen;
		d.target.port = h->dport;
		router_deny(&d, worst);
		if (hc_error(h, d.status, d.body) != HC_GONE)
			hc_drive(h);
		return;
	}
	if (self) {
		if (hc_error(h, 508, "508 Loop Detected") != HC_GONE)
			hc_drive(h);
		return;
	}
	(void)hc_upstream(h);
}

/* Resolve the dynamic target's name without blocking the loop. */
static enum hc_step
hc_resolve(struct hconn *h)
{
	struct conn *c = &h->c;
	unsigned ms = c->route->timeout_s > 0 ? c->route->timeout_s * 1000u
					      : 30000u;

	if (h->hl->resolver == NULL)
		return hc_error(h, 502, "502 No resolver for dynamic names");
	conn_timer(c, 0, hc_timer_cb);
	h->query = resolve_start(h->hl->resolver, h->dhost, h->dport, ms,
				 hc_resolved, h);
	if (h->query == NULL)
		return hc_close(h, CONN_END_ERROR, "out of memory");
	return HC_IDLE;
}

/* The request head is complete: route it, then connect. */
/*
 * The TLS client context of route R, loaded on first use when it is only
 * for porty_scheme=https (the system's CA store costs megabytes that a
 * plain dynamic route never needs). NULL, logged, when it cannot be had.
 */
static struct ssl_ctx_st *
hc_tls_client(struct hconn *h, const struct route *r)
{
	struct http_listener *hl = h->hl;
	size_t i = hc_route_index(hl, r);
	char why[256];

	if (hl->cli[i] == NULL) {
		hl->cli[i] = tls_clients_get(hl->tlsc, r->target_tls_verify,
					     r->tls_ca, why, sizeof(why));
		if (hl->cli[i] == NULL)
			log_msg(LOG_SEV_ERROR, r->name, "TLS to backends: %s",
				why);
	}
	return hl->cli[i];
}

static enum hc_step
hc_request(struct hconn *h)
{
	struct conn *c = &h->c;
	struct http_listener *hl = h->hl;
	struct router_decision d;
	struct http_head_field f;
	const char *target, *host = NULL;
	size_t tlen, hostlen = 0;

	h->req_start = ev_now(c->owner->loop);
	h->status = 0;
	h->logged = false;
	h->method = http_method_str(h->req.method);
	c->up = NULL;
	target = http_head_target(&h->req, &tlen);
	hc_keep_path(h, target, tlen);
	if (http_head_find(&h->req, "Host", &f)) {
		host = f.value;
		hostlen = f.value_len;
	}
	if (h->path == NULL || h->path_cap < tlen + 1)
		return hc_close(h, CONN_END_ERROR, "out of memory");
	/* The same bytes as hc_keep_path() wrote, unless an error. */
	router_route(&hl->rt, host, hostlen, target, tlen, h->path, tlen + 1,
		     &d);
	c->route = d.route;
	h->logging = hl->log_requests && d.route->log_level != LOG_LEVEL_NONE;
	if (h->nhdrs > 0 || h->hdrs != NULL) {
		free(h->hdrs);
		h->hdrs = NULL;
		h->nhdrs = 0;
	}
	if (h->logging && d.route->log_level == LOG_LEVEL_VERBOSE)
		hc_keep_headers(h);
	if (d.result == ROUTER_ERROR) {
		hc_log_open(h);
		return hc_error(h, d.status, d.body);
	}
	if (d.result == ROUTER_CONFIGURED) {
		c->up = &hl->ups[hc_route_index(hl, d.route)];
	} else {
		memset(&h->dyn, 0, sizeof(h->dyn));
		(void)addr_format_hostport(d.target.host, d.target.port,
					   h->dyn.name, sizeof(h->dyn.name));
		c->up = &h->dyn;
		if (d.target.scheme == ROUTER_SCHEME_HTTPS) {
			/* porty_scheme=https: TLS with the route's settings,
			   the name (or IP) as SNI and for verification. */
			h->dyn.tls = hc_tls_client(h, d.route);
			if (h->dyn.tls == NULL) {
				hc_log_open(h);
				return hc_error(h, 502,
						"502 TLS to the backend is not "
						"available");
			}
			h->dyn.sni = h->dhost;
		}
		memcpy(h->dhost, d.target.host, d.target.hostlen);
		h->dhost[d.target.hostlen] = '\0';
		if (!d.target.literal) {
			h->dhostlen = d.target.hostlen;
			h->dport = d.target.port;
			h->allow = d.allow;
		}
		h->dyn.addrs[0] = d.target.addr;
		h->dyn.naddrs = 1;
		if (http_proxy_is_self(&h->dyn.addrs[0], hl->self, hl->nself)) {
				hc_log_open(h);
			return hc_error(h, 508, "508 Loop Detected");
		}
	}
	hc_log_open(h);
	if (hc_rewrite(h, &d, h->path) == -1) {
		return hc_close(h, CONN_END_ERROR, "out of memory");
	}
	h->keep = h->req.keep_alive;
	http_head_set_request(&h->resp, &h->req);
	http_head_release(&h->req);
	h->req_fwd = 0;
	h->req_done = false;
	h->resp_got = h->resp_started = h->resp_done = false;
	h->tunnel = false;
	h->body_sent = h->up_keep = false;
	h->phase = HC_CONNECT;
	ev_io_stop(c->owner->loop, &c->side[CONN_CLIENT].rd);
	ev_io_stop(c->owner->loop, &c->side[CONN_CLIENT].wr);
	if (d.result == ROUTER_DYNAMIC && !d.target.literal)
		return hc_resolve(h);
	return hc_upstream(h);
}

/* ------------------------------------------------------------------ */
/* The steps                                                          */

static enum hc_step
hc_step_head(struct hconn *h)
{
	struct conn *c = &h->c;
	struct half *cl = &c->side[CONN_CLIENT];
	enum http_head_rc rc;
	size_t used;
	int r;

	if (!buf_empty(&cl->in)) {
		rc = http_head_feed(&h->req, cl->in.data + cl->in.start,
				    buf_len(&cl->in), &used);
		switch (rc) {
		case HTTP_HEAD_NEED_MORE:
			buf_drop(&cl->in, c->owner->pool, used);
			break;
		case HTTP_HEAD_COMPLETE:
			buf_drop(&cl->in, c->owner->pool, used);
			return hc_request(h);
		case HTTP_HEAD_ERROR: {
			char body[160];

			h->method = "-";
			h->req_start = ev_now(c->owner->loop);
			h->logging = h->hl->log_requests &&
				     c->route->log_level != LOG_LEVEL_NONE;
			snprintf(body, sizeof(body), "%u %s", h->req.err_status,
				 h->req.err_reason != NULL ? h->req.err_reason
							   : "Bad Request");
			return hc_error(h, h->req.err_status, body);
		}
		default:
			/* Nothing else can come before a head is complete. */
			return hc_close(h, CONN_END_ERROR, "request framing");
		}
	}
	if (cl->eof)
		return hc_close(h, CONN_END_DONE, NULL);
	if (!hc_can_read(h, CONN_CLIENT))
		return HC_IDLE;
	r = hc_read(h, CONN_CLIENT);
	if (r < 0)
		return hc_close(h, CONN_END_ABORT, NULL);
	return r == 0 ? HC_IDLE : HC_AGAIN;
}

/* Client -> upstream: the request head, then its body. */
static enum hc_step
hc_step_request(struct hconn *h)
{
	struct conn *c = &h->c;
	struct half *cl = &c->side[CONN_CLIENT];
	enum http_head_rc rc;
	size_t used;
	int r;

	if (h->uhead != NULL && h->uhead_off == 0 && h->req_fwd == 0 &&
	    !h->req_done && !buf_empty(&cl->in)) {
		/* Body bytes that came with the head go out with it. */
		rc = http_head_feed(&h->req, cl->in.data + cl->in.start,
				    buf_len(&cl->in), &used);
		if (rc == HTTP_HEAD_BODY_BYTES || rc == HTTP_HEAD_MESSAGE_END) {
			h->req_fwd = (uint32_t)used;
			h->req_done = rc == HTTP_HEAD_MESSAGE_END;
		} else if (rc == HTTP_HEAD_ERROR) {
			char body[160];

			snprintf(body, sizeof(body), "%u %s",
				 h->req.err_status,
				 h->req.err_reason != NULL ? h->req.err_reason
							   : "Bad Request");
			return hc_error(h, h->req.err_status, body);
		}
	}
	if (h->uhead != NULL && h->uhead_off < h->uhead_len) {
		if (h->blocked[CONN_UPSTREAM])
			return HC_IDLE;
		r = hc_write_mem(h, CONN_UPSTREAM, h->uhead, h->uhead_len,
				 &h->uhead_off);
		if (r < 0 && hc_retry_fresh(h) == HC_GONE)
			return HC_GONE;
		if (r < 0) {
			if (!h->resp_started)
				return hc_error(
				    h, 502,
				    "502 Backend connection failed after "
				    "retries");
			return hc_close(h, CONN_END_ERROR, "upstream write");
		}
		if (r == 0)
			return HC_IDLE;
		/* Kept for a retry while a reused upstream has not answered. */
		if (!h->reused || h->resp_got) {
			h->uhead = NULL;
		}
		return HC_AGAIN;
	}
	if (h->req_fwd > 0) {
		if (h->blocked[CONN_UPSTREAM])
			return HC_IDLE;
		h->body_sent = true;
		r = hc_write_buf(h, CONN_CLIENT, &h->req_fwd);
		if (r < 0) {
			if (!h->resp_started)
				return hc_error(h, 502,
						"502 Backend closed the "
						"connection");
			return hc_close(h, CONN_END_ERROR, "upstream write");
		}
		return r == 0 ? HC_IDLE : HC_AGAIN;
	}
	if (h->req_done)
		return HC_IDLE;
	rc = http_head_feed(&h->req, cl->in.data + cl->in.start,
			    buf_len(&cl->in), &used);
	switch (rc) {
	case HTTP_HEAD_BODY_BYTES:
	case HTTP_HEAD_MESSAGE_END:
		h->req_fwd = (uint32_t)used;
		if (rc == HTTP_HEAD_MESSAGE_END)
			h->req_done = true;
		if (used > 0 || h->req_done)
			return HC_AGAIN;
		break;
	case HTTP_HEAD_ERROR:
		if (!h->resp_started) {
			char body[160];

			/* The backend saw a cut request: it is not reused. */
			snprintf(body, sizeof(body), "%u %s",
				 h->req.err_status,
				 h->req.err_reason != NULL ? h->req.err_reason
							   : "Bad Request");
			return hc_error(h, h->req.err_status, body);
		}
		/* The response has begun: nothing can be answered. */
		return hc_close(h, CONN_END_ERROR, h->req.err_reason);
	default:
		break;
	}
	if (cl->eof)
		return hc_close(h, CONN_END_ABORT,
				"client closed in the request body");
	/* More body bytes: hc_step_exchange() reads the client. */
	return HC_IDLE;
}

/* A response head is complete: write it for the client. */
static enum hc_step
hc_response_head(struct hconn *h)
{
	enum http_head_conn conn = HTTP_HEAD_CONN_NONE;
	bool interim = h->resp.status >= 100 && h->resp.status < 200 &&
		       h->resp.framing != HTTP_HEAD_FRAMING_TUNNEL;
	size_t n;

	if (h->resp.framing == HTTP_HEAD_FRAMING_TUNNEL) {
		h->tunnel = true;
	} else if (!interim) {
		/*
		 * The backend's keep-alive is about the upstream connection;
		 * the client's goes on unless the response is read until
		 * the backend closes.
		 */
		h->keep = h->keep && !h->hl->stopping &&
			  h->resp.framing != HTTP_HEAD_FRAMING_CLOSE &&
			  !h->c.side[CONN_CLIENT].eof;
		if (!h->keep)
			conn = HTTP_HEAD_CONN_CLOSE;
		else if (h->req.major == 1 && h->req.minor == 0)
			conn = HTTP_HEAD_CONN_KEEP_ALIVE;
	}
	if (!interim || h->status == 0)
		h->status = h->resp.status;
	n = http_head_write_response(&h->resp, conn, h->cbuf, h->ccap);
	if (n > h->ccap) {
		if (hc_room(&h->cbuf, &h->ccap, n) == NULL)
			return hc_close(h, CONN_END_ERROR, "out of memory");
		(void)http_head_write_response(&h->resp, conn, h->cbuf, n);
	}
	h->chead = h->cbuf;
	h->chead_len = (uint32_t)n;
	h->chead_off = 0;
	h->resp_started = true;
	http_head_release(&h->resp);
	return HC_AGAIN;
}

/* Upstream -> client: the response head, then its body. */
static enum hc_step
hc_step_response(struct hconn *h)
{
	struct conn *c = &h->c;
	struct half *up = &c->side[CONN_UPSTREAM];
	enum http_head_rc rc;
	size_t used;
	int r;

	if (h->chead != NULL && h->chead_off == 0 && h->resp_fwd == 0 &&
	    !h->resp_done && !h->tunnel && h->resp.status >= 200 &&
	    !buf_empty(&up->in)) {
		/* Body bytes that came with the head go out with it. */
		rc = http_head_feed(&h->resp, up->in.data + up->in.start,
				    buf_len(&up->in), &used);
		if (rc == HTTP_HEAD_BODY_BYTES || rc == HTTP_HEAD_MESSAGE_END) {
			h->resp_fwd = (uint32_t)used;
			if (rc == HTTP_HEAD_MESSAGE_END) {
				h->resp_done = true;
				h->up_keep = h->resp.keep_alive;
			}
		} else if (rc == HTTP_HEAD_ERROR) {
			return hc_error(h, 502, "502 Bad Gateway");
		}
	}
	if (h->chead != NULL) {
		if (h->blocked[CONN_CLIENT])
			return HC_IDLE;
		r = hc_write_mem(h, CONN_CLIENT, h->chead, h->chead_len,
				 &h->chead_off);
		if (r < 0)
			return hc_close(h, CONN_END_ABORT, "client write");
		if (r == 0)
			return HC_IDLE;
		h->chead = NULL;
		return HC_AGAIN;
	}
	if (h->resp_fwd > 0) {
		if (h->blocked[CONN_CLIENT])
			return HC_IDLE;
		r = hc_write_buf(h, CONN_UPSTREAM, &h->resp_fwd);
		if (r < 0)
			return hc_close(h, CONN_END_ABORT, "client write");
		return r == 0 ? HC_IDLE : HC_AGAIN;
	}
	if (up->pipe != NULL) {
		if (h->blocked[CONN_CLIENT])
			return HC_IDLE;
		r = hc_splice_out(h, CONN_UPSTREAM);
		if (r < 0)
			return hc_close(h, CONN_END_ABORT, "client write");
		return r == 0 ? HC_IDLE : HC_AGAIN;
	}
	if (h->resp_done || h->tunnel)
		return HC_IDLE;
	if (!buf_empty(&up->in)) {
		rc = http_head_feed(&h->resp, up->in.data + up->in.start,
				    buf_len(&up->in), &used);
		switch (rc) {
		case HTTP_HEAD_NEED_MORE:
			buf_drop(&up->in, c->owner->pool, used);
			break;
		case HTTP_HEAD_COMPLETE:
			buf_drop(&up->in, c->owner->pool, used);
			return hc_response_head(h);
		case HTTP_HEAD_BODY_BYTES:
			h->resp_fwd = (uint32_t)used;
			return HC_AGAIN;
		case HTTP_HEAD_MESSAGE_END:
			h->resp_fwd = (uint32_t)used;
			if (h->resp.status >= 200 || h->resp.status == 0) {
				h->resp_done = true;
				h->up_keep = h->resp.keep_alive;
			}
			return HC_AGAIN;
		default:
			if (!h->resp_started)
				return hc_error(h, 502, "502 Bad Gateway");
			return hc_close(h, CONN_END_ERROR,
					h->resp.err_reason);
		}
	} else if (h->resp_started && !h->resp_done) {
		/* A bodiless message ends without further bytes. */
		rc = http_head_feed(&h->resp, "", 0, &used);
		if (rc == HTTP_HEAD_MESSAGE_END) {
			if (h->resp.status >= 200) {
				h->resp_done = true;
				h->up_keep = h->resp.keep_alive;
			}
			return HC_AGAIN;
		}
	}
	if (up->eof && !h->resp_got && hc_retry_fresh(h) == HC_GONE)
		return HC_GONE;
	if (up->eof) {
		rc = http_head_eof(&h->resp);
		if (rc == HTTP_HEAD_MESSAGE_END) {
			h->resp_done = true;
			h->keep = false;
			h->up_keep = false;
			return HC_AGAIN;
		}
		if (!h->resp_started)
			return hc_error(h, 502,
					"502 Backend closed the connection");
		return hc_close(h, CONN_END_ERROR,
				"backend closed mid-response");
	}
	if (!hc_can_read(h, CONN_UPSTREAM))
		return HC_IDLE;
	if (h->resp_started && hc_want_splice(h, CONN_UPSTREAM, &h->resp)) {
		bool end = false;

		r = hc_splice_in(h, CONN_UPSTREAM, &h->resp, &end);
		if (r < 0)
			return hc_close(h, CONN_END_ERROR, "upstream read");
		if (end) {
			h->resp_done = true;
			h->up_keep = h->resp.keep_alive;
		}
		return r == 0 ? HC_IDLE : HC_AGAIN;
	}
	r = hc_read(h, CONN_UPSTREAM);
	if (r < 0 && !h->resp_got && hc_retry_fresh(h) == HC_GONE)
		return HC_GONE;
	if (r < 0) {
		if (!h->resp_started)
			return hc_error(h, 502,
					"502 Backend closed the connection");
		return hc_close(h, CONN_END_ERROR, "upstream read");
	}
	if (r == 1 && !h->resp_got) {
		h->resp_got = true;
		/* no retry any more */
		h->uhead = NULL;
		/* From the first response byte on, the idle timeout. */
		if (c->route->idle_timeout_s > 0)
			conn_timer(c, (ev_tstamp)c->route->idle_timeout_s,
				   hc_timer_cb);
		else
			conn_timer(c, 0, hc_timer_cb);
	}
	return r == 0 ? HC_IDLE : HC_AGAIN;
}

/* The exchange is over: keep the upstream in the pool if it may go on. */
static void
hc_park_upstream(struct hconn *h)
{
	struct conn *c = &h->c;
	struct half *up = &c->side[CONN_UPSTREAM];
	ev_tstamp idle = HPOOL_IDLE_MAX;

	if (!h->up_keep || up->eof || up->tp.fd == -1 || !buf_empty(&up->in) ||
	    h->hl->stopping || c->up == NULL || c->up_addr >= c->up->naddrs)
		return;
	if (c->route->idle_timeout_s > 0 && c->route->idle_timeout_s < idle)
		idle = (ev_tstamp)c->route->idle_timeout_s;
	ev_io_stop(c->owner->loop, &up->rd);
	ev_io_stop(c->owner->loop, &up->wr);
	hpool_put(h->hl, &c->up->addrs[c->up_addr], &up->tp, c->up, idle);
}

static enum hc_step hc_linger(struct hconn *h);

/* The exchange: both directions, then the end of the request. */
static enum hc_step
hc_step_exchange(struct hconn *h)
{
	struct conn *c = &h->c;
	enum hc_step a, b;

	a = hc_step_request(h);
	if (a == HC_GONE || h->phase != HC_EXCHANGE)
		return a;
	b = hc_step_response(h);
	if (b == HC_GONE || h->phase != HC_EXCHANGE)
		return b;
	if (a == HC_AGAIN || b == HC_AGAIN)
		return HC_AGAIN;
	if (hc_can_read(h, CONN_CLIENT)) {
		/*
		 * Client bytes, while there is room: the rest of the request
		 * body, or what comes after it (pipelined requests, an abort)
		 * since hc_arm() keeps the client watched.
		 */
		switch (hc_read(h, CONN_CLIENT)) {
		case -1:
			return hc_close(h, CONN_END_ABORT, "client read");
		case 0:
			break;
		default:
			return HC_AGAIN;
		}
	}
	if (h->chead != NULL || h->resp_fwd > 0 ||
	    c->side[CONN_UPSTREAM].pipe != NULL)
		return HC_IDLE;
	if (h->tunnel) {
		if ((h->uhead != NULL && h->uhead_off < h->uhead_len) ||
		    h->req_fwd > 0)
			return HC_IDLE;
		h->uhead = NULL;
		hc_log_end(h, NULL);
		relay_start(c);
		return HC_GONE;
	}
	if (!h->resp_done)
		return HC_IDLE;
	if (!h->req_done || (h->uhead != NULL && h->uhead_off < h->uhead_len) ||
	    h->req_fwd > 0) {
		/* An early answer: the rest of the request is not forwarded. */
		hc_log_end(h, NULL);
		return hc_linger(h);
	}
	hc_log_end(h, NULL);
	if (!h->keep || h->hl->stopping)
		return hc_close(h, CONN_END_DONE, NULL);
	hc_park_upstream(h);
	conn_detach(c, CONN_UPSTREAM);
	buf_release(&c->side[CONN_UPSTREAM].in, c->owner->pool);
	c->side[CONN_UPSTREAM].eof = 0;
	c->side[CONN_UPSTREAM].shut_wr = 0;
	hc_start_head(h);
	return HC_AGAIN;
}

/* Close after an error answer (all written or not), logging its body. */
static enum hc_step
hc_close_answered(struct hconn *h, enum conn_end end)
{
	/* The body's newline is out (or never will be): make it the end. */
	h->chead[h->chead_len - 1] = '\0';
	hc_log_end(h, h->chead + h->err_off);
	conn_close(&h->c, end, NULL);
	return HC_GONE;
}

/*
 * The last answer is out (logged already): shut the client's direction and
 * linger (HC_LINGER_S) unless the client has closed too.
 */
static enum hc_step
hc_linger(struct hconn *h)
{
	struct conn *c = &h->c;
	struct half *cl = &c->side[CONN_CLIENT];

	(void)cl->tp.ops->shutdown(&cl->tp);
	conn_detach(c, CONN_UPSTREAM);
	buf_release(&c->side[CONN_UPSTREAM].in, c->owner->pool);
	buf_release(&cl->in, c->owner->pool);
	if (cl->eof) {
		conn_close(c, CONN_END_DONE, NULL);
		return HC_GONE;
	}
	h->phase = HC_LINGER;
	h->ready[CONN_CLIENT] = 1;
	conn_timer(c, HC_LINGER_S, hc_timer_cb);
	return HC_AGAIN;
}

static enum hc_step
hc_step_linger(struct hconn *h)
{
	struct conn *c = &h->c;
	int r;

	if (!hc_can_read(h, CONN_CLIENT))
		return HC_IDLE;
	r = hc_read(h, CONN_CLIENT);
	buf_release(&c->side[CONN_CLIENT].in, c->owner->pool);
	if (r == 1)
		return HC_AGAIN;
	if (r == 0)
		return HC_IDLE;
	/* The client's end (or a reset): nothing can be lost now. */
	conn_close(c, CONN_END_DONE, NULL);
	return HC_GONE;
}

static enum hc_step
hc_step_closing(struct hconn *h)
{
	int r;

	if (h->blocked[CONN_CLIENT])
		return HC_IDLE;
	r = hc_write_mem(h, CONN_CLIENT, h->chead, h->chead_len,
			 &h->chead_off);
	if (r < 0)
		return hc_close_answered(h, CONN_END_ABORT);
	if (r == 0)
		return HC_IDLE;
	/* The body's newline is out: make it the end, for the log. */
	h->chead[h->chead_len - 1] = '\0';
	hc_log_end(h, h->chead + h->err_off);
	h->chead = NULL;
	return hc_linger(h);
}

/* Start exactly the watchers the phase needs. */
static void
hc_arm(struct hconn *h)
{
	struct conn *c = &h->c;
	struct ev_loop *loop = c->owner->loop;
	struct buf_pool *pool = c->owner->pool;
	struct half *cl = &c->side[CONN_CLIENT], *up = &c->side[CONN_UPSTREAM];
	bool crd = false, cwr = false, urd = false, uwr = false;

	/*
	 * A side is read only when what was read before has gone out (no
	 * spinning on a readable socket that cannot be read). Bytes still to
	 * be parsed (a step limit was hit) arm the write watcher of the side
	 * they go to: it fires at once and the drive goes on.
	 */
	switch (h->phase) {
	case HC_HEAD:
		crd = !cl->eof && !buf_full(&cl->in, pool);
		cwr = !buf_empty(&cl->in);
		break;
	case HC_EXCHANGE: {
		bool upending = (h->uhead != NULL &&
				 h->uhead_off < h->uhead_len) ||
				h->req_fwd > 0;
		bool cpending = h->chead != NULL || h->resp_fwd > 0 ||
				up->pipe != NULL;

		/*
		 * The client stays watched the whole exchange (pipelined
		 * requests wait in its buffer, an abort is seen at once, and
		 * the descriptor's epoll mask does not flap per request).
		 */
		crd = !cl->eof && !buf_full(&cl->in, pool);
		uwr = upending || (!h->req_done && !buf_empty(&cl->in));
		urd = !h->resp_done && !h->tunnel && !cpending && !up->eof &&
		      !buf_full(&up->in, pool);
		cwr = cpending ||
		      (!h->resp_done && !h->tunnel && !buf_empty(&up->in));
		break;
	}
	case HC_CLOSING:
		cwr = h->chead != NULL;
		break;
	case HC_LINGER:
		crd = !cl->eof;
		break;
	case HC_CONNECT:
		return;
	}
	if (crd)
		ev_io_start(loop, &cl->rd);
	else
		ev_io_stop(loop, &cl->rd);
	if (cwr)
		ev_io_start(loop, &cl->wr);
	else
		ev_io_stop(loop, &cl->wr);
	if (up->tp.fd == -1)
		return;
	if (urd)
		ev_io_start(loop, &up->rd);
	else
		ev_io_stop(loop, &up->rd);
	if (uwr)
		ev_io_start(loop, &up->wr);
	else
		ev_io_stop(loop, &up->wr);
}

/* Make all the progress there is now, then wait for events. */
static void
hc_drive(struct hconn *h)
{
	enum hc_step s = HC_IDLE;
	int i;

	for (i = 0; i < HC_MAX_STEPS; i++) {
		switch (h->phase) {
		case HC_HEAD:
			s = hc_step_head(h);
			break;
		case HC_EXCHANGE:
			s = hc_step_exchange(h);
			break;
		case HC_CLOSING:
			s = hc_step_closing(h);
			break;
		case HC_LINGER:
			s = hc_step_linger(h);
			break;
		case HC_CONNECT:
			s = HC_IDLE;
			break;
		}
		if (s == HC_GONE)
			return;
		if (s == HC_IDLE)
			break;
	}
	hc_arm(h);
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                          */

static void
hc_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	struct hconn *h = hc_of(c);
	struct half *hf = container_of(w, struct half, rd);

	(void)loop;
	(void)revents;
	h->ready[hf == &c->side[CONN_CLIENT] ? CONN_CLIENT : CONN_UPSTREAM] = 1;
	hc_drive(h);
}

static void
hc_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	struct hconn *h = hc_of(c);
	struct half *hf = container_of(w, struct half, wr);

	(void)loop;
	(void)revents;
	h->blocked[hf == &c->side[CONN_CLIENT] ? CONN_CLIENT : CONN_UPSTREAM] =
	    0;
	hc_drive(h);
}

static void
hc_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	struct hconn *h = hc_of(c);
	ev_tstamp left, limit;

	(void)revents;
	switch (h->phase) {
	case HC_HEAD:
		if (http_head_in_message(&h->req)) {
			h->method = "-";
			h->req_start = h->head_start;
			h->logging = h->hl->log_requests &&
				     c->route->log_level != LOG_LEVEL_NONE;
			if (hc_error(h, 408, "408 Request Timeout") != HC_GONE)
				hc_drive(h);
			return;
		}
		conn_close(c, CONN_END_TIMEOUT, NULL);
		return;
	case HC_EXCHANGE:
		limit = h->resp_got ? (ev_tstamp)c->route->idle_timeout_s
				    : (ev_tstamp)c->route->timeout_s;
		left = c->active + limit - ev_now(loop);
		if (left > 0.001) {
			w->repeat = left;
			ev_timer_again(loop, w);
			return;
		}
		if (!h->resp_started) {
			if (hc_error(h, 504, "504 Gateway Timeout") != HC_GONE)
				hc_drive(h);
			return;
		}
		(void)hc_close(h, CONN_END_TIMEOUT, "idle timeout");
		return;
	case HC_CLOSING:
		(void)hc_close_answered(h, CONN_END_TIMEOUT);
		return;
	case HC_LINGER:
		conn_close(c, CONN_END_DONE, NULL);
		return;
	case HC_CONNECT:
		(void)hc_close(h, CONN_END_TIMEOUT, NULL);
		return;
	}
}

/* Wait for the next request head (the first, or one after a response). */
static void
hc_start_head(struct hconn *h)
{
	struct conn *c = &h->c;

	h->phase = HC_HEAD;
	h->method = NULL;
	h->head_start = ev_now(c->owner->loop);
	free(h->hdrs);
	h->hdrs = NULL;
	h->nhdrs = 0;
	/* Pipelined bytes waiting already belong to the next request. */
	h->in0 = c->bytes_in - buf_len(&c->side[CONN_CLIENT].in);
	h->out0 = c->bytes_out;
	if (c->state != CONN_HTTP_HEAD)
		conn_set_state(c, CONN_HTTP_HEAD);
	/*
	 * Pipelined bytes may wait in the buffer; the socket's are known:
	 * its read watcher ran through the exchange (ready[] is current).
	 */
	conn_timer(c, (ev_tstamp)h->hl->header_timeout_s, hc_timer_cb);
}

/* The owner's start hook: a new client. */
static void
hc_start(struct conn *c)
{
	struct hconn *h = hc_of(c);
	int i;

	h->hl = c->owner->ctx;
	http_head_init(&h->req, HTTP_HEAD_REQUEST);
	http_head_init(&h->resp, HTTP_HEAD_RESPONSE);
	for (i = 0; i < 2; i++) {
		ev_set_cb(&c->side[i].rd, hc_read_cb);
		ev_set_cb(&c->side[i].wr, hc_write_cb);
	}
	hc_start_head(h);
	/* A new client has usually sent its request already: read it now. */
	h->ready[CONN_CLIENT] = 1;
	hc_drive(h);
}

/* The owner's connected hook: the upstream is up; send the request. */
static void
hc_connected(struct conn *c)
{
	struct hconn *h = hc_of(c);
	struct half *up = &c->side[CONN_UPSTREAM];

	conn_set_state(c, CONN_RELAYING);
	ev_set_cb(&up->rd, hc_read_cb);
	ev_set_cb(&up->wr, hc_write_cb);
	up->eof = 0;
	up->shut_wr = 0;
	h->phase = HC_EXCHANGE;
	/*
	 * Nothing can be read before the request is out (a pooled connection
	 * that turned readable left the pool); its read watcher says when the
	 * answer comes. So does the client's, re-armed now if a connect ran.
	 */
	h->ready[CONN_UPSTREAM] = 0;
	h->blocked[CONN_UPSTREAM] = 0;
	c->active = ev_now(c->owner->loop);
	conn_timer(c, (ev_tstamp)c->route->timeout_s, hc_timer_cb);
	hc_drive(h);
}

static void
hc_connect_failed(struct conn *c, const char *why)
{
	struct hconn *h = hc_of(c);

	log_msg(LOG_SEV_DEBUG, c->route->name, "%s", why);
	if (hc_error(h, 502, "502 Backend connection failed after retries") !=
	    HC_GONE)
		hc_drive(h);
}

/*
 * The server stops: a connection waiting for a request that has not begun,
 * or lingering after its last answer, closes now; one in a request
 * finishes it (no keep-alive afterwards).
 */
static void
hc_stopping(struct conn *c)
{
	struct hconn *h = hc_of(c);

	h->hl->stopping = true;
	if ((h->phase == HC_HEAD && !http_head_in_message(&h->req) &&
	     buf_empty(&c->side[CONN_CLIENT].in)) ||
	    h->phase == HC_LINGER)
		conn_close(c, CONN_END_DONE, NULL);
}

/* conn_close() is about to free C. */
static void
hc_finish(struct conn *c)
{
	struct hconn *h = hc_of(c);

	if (h->query != NULL) {
		resolve_cancel(h->query);
		h->query = NULL;
	}
	http_head_fini(&h->req);
	http_head_fini(&h->resp);
	free(h->ubuf);
	free(h->cbuf);
	free(h->path);
	free(h->hdrs);
	h->uhead = h->chead = h->path = h->ubuf = h->cbuf = NULL;
	h->hdrs = NULL;
}

/* ------------------------------------------------------------------ */
/* Listener                                                           */

bool
http_proxy_is_self(const struct addr *a, const struct addr *self, size_t n)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	unsigned port;
	bool loop4, loop6, any;
	size_t i;

	if (a->u.sa.sa_family == AF_INET) {
		port = ntohs(a->u.in.sin_port);
		loop4 = (ntohl(a->u.in.sin_addr.s_addr) >> 24) == 127 ||
			a->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
		loop6 = false;
	} else if (a->u.sa.sa_family == AF_INET6) {
		port = ntohs(a->u.in6.sin6_port);
		loop6 = IN6_IS_ADDR_LOOPBACK(&a->u.in6.sin6_addr) ||
			IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
		loop4 = false;
	} else {
		return false;
	}
	for (i = 0; i < n; i++) {
		const struct addr *s = &self[i];

		if (s->u.sa.sa_family == AF_INET) {
			if (ntohs(s->u.in.sin_port) != port)
				continue;
			any = s->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
			if (a->u.sa.sa_family == AF_INET &&
			    (a->u.in.sin_addr.s_addr == s->u.in.sin_addr.s_addr ||
			     (any && loop4)))
				return true;
		} else if (s->u.sa.sa_family == AF_INET6) {
			if (ntohs(s->u.in6.sin6_port) != port)
				continue;
			any = memcmp(&s->u.in6.sin6_addr, &any6,
				     sizeof(any6)) == 0;
			if (a->u.sa.sa_family == AF_INET6 &&
			    memcmp(&a->u.in6.sin6_addr, &s->u.in6.sin6_addr,
				   sizeof(any6)) == 0)
				return true;
			/* A wildcard IPv6 socket usually takes IPv4 too. */
			if (any && (loop4 || loop6))
				return true;
		}
	}
	return false;
}

struct http_listener *
http_listener_new(const struct config *cfg, const struct route *const *routes,
		  size_t n, char *err, size_t errlen)
{
	struct http_listener *hl;
	char why[256];
	size_t i;

	hl = calloc(1, sizeof(*hl));
	if (hl == NULL)
		goto nomem;
	hl->routes = calloc(n, sizeof(*hl->routes));
	hl->ups = calloc(n, sizeof(*hl->ups));
	hl->cli = calloc(n, sizeof(*hl->cli));
	hl->tlsc = tls_clients_new();
	if (hl->routes == NULL || hl->ups == NULL || hl->cli == NULL ||
	    hl->tlsc == NULL)
		goto nomem;
	hl->n = n;
	hl->header_timeout_s = cfg->header_timeout_s;
	hl->log_requests = cfg->log_requests;
	for (i = 0; i < n; i++) {
		const struct route *r = routes[i];

		hl->routes[i] = r;
		hl->max_conns += r->max_connections;
		/*
		 * TLS to the target; for dynamic targets (porty_scheme=https)
		 * only a tls_ca is loaded now, to report its errors at start:
		 * the system store waits for the first such request.
		 */
		if (r->target_tls || (r->dynamic && r->tls_ca != NULL)) {
			hl->cli[i] =
			    tls_clients_get(hl->tlsc, r->target_tls_verify,
					    r->tls_ca, why, sizeof(why));
			if (hl->cli[i] == NULL) {
				snprintf(err, errlen, "route %s: %s", r->name,
					 why);
				goto fail;
			}
		}
		if (r->target_addr == NULL || r->target_port == 0)
			continue;
		if (upstream_init(&hl->ups[i], r->target_addr, r->target_port,
				  why, sizeof(why)) == -1) {
			snprintf(err, errlen, "route %s: target_addr %s",
				 r->name, why);
			goto fail;
		}
		if (r->target_tls) {
			hl->ups[i].tls = hl->cli[i];
			hl->ups[i].sni = r->target_sni != NULL ? r->target_sni
							       : r->target_addr;
		}
	}
	if (router_init(&hl->rt, routes, n, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "route %s: %s", routes[0]->name, why);
		goto fail;
	}
	return hl;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	http_listener_free(hl);
	return NULL;
}

void
http_listener_set_self(struct http_listener *hl, const struct addr *self,
		       size_t n)
{
	hl->self = self;
	hl->nself = n;
}

void
http_listener_set_resolver(struct http_listener *hl, struct resolver *r)
{
	hl->resolver = r;
}

void
http_listener_owner(struct http_listener *hl, struct conn_owner *o)
{
	o->route = hl->routes[0];
	o->upstream = NULL;
	o->target = NULL;
	o->log = false; /* per request, here */
	o->start = hc_start;
	o->connected = hc_connected;
	o->connect_failed = hc_connect_failed;
	o->finish = hc_finish;
	o->stopping = hc_stopping;
	o->conn_size = sizeof(struct hconn);
	o->max_conns = hl->max_conns;
	o->ctx = hl;
	hl->loop = o->loop;
}

void
http_listener_free(struct http_listener *hl)
{
	if (hl == NULL)
		return;
	hpool_fini(hl);
	router_free(&hl->rt);
	tls_clients_free(hl->tlsc);
	free(hl->cli);
	free(hl->routes);
	free(hl->ups);
	free(hl);
}
