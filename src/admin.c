/* SPDX-License-Identifier: MIT */
/* The [admin] endpoint: a tiny HTTP/1.1 server for /metrics and /status. */
#include "auto-config.h"

#include "admin.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "compiler.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "sock.h"
#include "stats.h"

/* Addresses one admin listen host may bind ("localhost": ::1, 127.0.0.1). */
#define ADMIN_MAX_ADDRS 8

/* Clients accepted per readiness event. */
#define ADMIN_ACCEPT_BATCH 16

/* How long writing the answer may take, in seconds. */
#define ADMIN_WRITE_TIMEOUT 10.0

/*
 * After the answer, how long to wait for the client's FIN before closing:
 * closing with unread request bytes would send a reset that can destroy
 * the answer in flight (nginx's lingering close).
 */
#define ADMIN_LINGER 2.0

/* How long accepting pauses when descriptors run out. */
#define ADMIN_PAUSE 0.5

struct admin_conn {
	struct admin *a; /* borrowed: owns the conn */
	struct admin_conn *prev, *next;
	ev_io io;                 /* reading the head, writing, lingering */
	ev_timer timer;           /* head, write or linger deadline */
	struct metrics_text resp; /* owned: the whole answer */
	size_t off;               /* bytes of resp written */
	size_t len;               /* bytes of head read */
	char head[ADMIN_HEAD_MAX];
};

struct admin {
	struct ev_loop *loop;     /* borrowed */
	const struct stats *st;   /* borrowed: outlives the endpoint */
	double head_timeout;      /* header_timeout_seconds */
	struct admin_conn *conns; /* owned: the clients */
	unsigned nconns;
	ev_timer pause; /* out of descriptors: accept again later */
	bool paused;
	size_t nio;
	ev_io io[ADMIN_MAX_ADDRS]; /* one per listening socket */
};

/* ------------------------------------------------------------------ */
/* Requests and answers (no I/O)                                      */

static const char *
admin_reason(unsigned status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

/* RFC 9110 tchar: the bytes of a method or a field name. */
static bool
admin_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Whether the LEN bytes at P hold no control byte but HTAB. */
static bool
admin_no_ctl(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f)
			return false;
	return true;
}

/*
 * Split the request line and check every field line of HEAD (LEN bytes,
 * ending in CRLFCRLF). Stores the method and the target (borrowed, with
 * lengths). Returns 0, 400 for a malformed head, 505 for HTTP/2 and up.
 */
static unsigned
admin_parse(const char *head, size_t len, const char **method, size_t *mlen,
	    const char **target, size_t *tlen)
{
	const char *p = head, *end = head + len, *eol, *sp, *colon;

	eol = memchr(p, '\r', (size_t)(end - p));
	if (eol == NULL || eol + 1 >= end || eol[1] != '\n')
		return 400;
	/* METHOD SP TARGET SP HTTP/1.x */
	sp = memchr(p, ' ', (size_t)(eol - p));
	if (sp == NULL || sp == p)
		return 400;
	*method = p;
	*mlen = (size_t)(sp - p);
	for (; p < sp; p++)
		if (!admin_tchar(*p))
			return 400;
	p = sp + 1;
	sp = memchr(p, ' ', (size_t)(eol - p));
	if (sp == NULL || sp == p || *p != '/' ||
	    !admin_no_ctl(p, (size_t)(sp - p)) ||
	    memchr(p, '\t', (size_t)(sp - p)) != NULL)
		return 400;
	*target = p;
	*tlen = (size_t)(sp - p);
	p = sp + 1;
	if (eol - p != 8 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' ||
	    p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9')
		return 400;
	if (p[5] != '1')
		return 505;
	/* Field lines: NAME ":" VALUE CRLF, no obs-fold, no bare CR or LF. */
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memchr(p, '\r', (size_t)(end - p));
		if (eol == NULL || eol + 1 >= end || eol[1] != '\n')
			return 400;
		if (eol == p)
			return p + 2 == end ? 0 : 400;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p)
			return 400;
		for (sp = p; sp < colon; sp++)
			if (!admin_tchar(*sp))
				return 400;
		if (!admin_no_ctl(colon, (size_t)(eol - colon)))
			return 400;
	}
	return 400;
}

/* Append a complete response with STATUS, TYPE and BODY (BLEN bytes). */
static void
admin_respond(struct metrics_text *out, unsigned status, const char *type,
	      const char *extra, const char *body, size_t blen, bool head_only)
{
	metrics_text_printf(out,
			    "HTTP/1.1 %u %s\r\nContent-Type: %s\r\n"
			    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
			    "%sConnection: close\r\n\r\n",
			    status, admin_reason(status), type, blen, extra);
	if (!head_only)
		metrics_text_add(out, body, blen);
}

/* An error answer: a one-line text body naming the status. */
static unsigned
admin_error(struct metrics_text *out, unsigned status, const char *extra)
{
	char body[96];
	int n;

	n = snprintf(body, sizeof(body), "%u %s\n", status,
		     admin_reason(status));
	admin_respond(out, status, "text/plain; charset=utf-8", extra, body,
		      (size_t)n, false);
	return status;
}

unsigned
admin_answer(const struct stats *st, const char *head, size_t len, double now,
	     struct metrics_text *out)
{
	struct metrics_text body = {NULL, 0, 0, false};
	const char *method, *target, *type;
	size_t mlen, tlen, plen;
	unsigned status;
	bool is_head;
	int rc;

	status = admin_parse(head, len, &method, &mlen, &target, &tlen);
	if (status != 0)
		return admin_error(out, status, "");
	is_head = mlen == 4 && memcmp(method, "HEAD", 4) == 0;
	if (!is_head && !(mlen == 3 && memcmp(method, "GET", 3) == 0))
		return admin_error(out, 405, "Allow: GET, HEAD\r\n");
	plen = tlen;
	if (memchr(target, '?', tlen) != NULL)
		plen =
		    (size_t)((const char *)memchr(target, '?', tlen) - target);
	if (plen == 8 && memcmp(target, "/metrics", 8) == 0) {
		rc = metrics_prometheus(st, &body);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (plen == 7 && memcmp(target, "/status", 7) == 0) {
		rc = metrics_status_json(st, now, &body);
		type = "application/json";
	} else {
		return admin_error(out, 404, "");
	}
	if (rc == -1) {
		metrics_text_free(&body);
		return admin_error(out, 500, "");
	}
	admin_respond(out, 200, type, "", body.p, body.len, is_head);
	metrics_text_free(&body);
	return 200;
}

/* ------------------------------------------------------------------ */
/* Connections                                                        */

static void admin_update(struct admin *a);

static void
admin_conn_close(struct admin_conn *ac)
{
	struct admin *a = ac->a;

	ev_io_stop(a->loop, &ac->io);
	ev_timer_stop(a->loop, &ac->timer);
	(void)close(ac->io.fd);
	metrics_text_free(&ac->resp);
	if (ac->prev != NULL)
		ac->prev->next = ac->next;
	else
		a->conns = ac->next;
	if (ac->next != NULL)
		ac->next->prev = ac->prev;
	a->nconns--;
	free(ac);
	if (a->nconns + 1 == ADMIN_MAX_CONNS)
		admin_update(a);
}

static void
admin_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	admin_conn_close(w->data);
}

/* Reading after the answer: discard until the client's FIN, then close. */
static void
admin_linger_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct admin_conn *ac = w->data;
	char sink[1024];
	ssize_t n;

	(void)loop;
	(void)revents;
	do {
		n = read(w->fd, sink, sizeof(sink));
	} while (n > 0 || (n == -1 && errno == EINTR));
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	admin_conn_close(ac);
}

/* The answer is out: half-close and linger for the client's FIN. */
static void
admin_conn_linger(struct admin_conn *ac)
{
	struct ev_loop *loop = ac->a->loop;

	(void)shutdown(ac->io.fd, SHUT_WR);
	ev_io_stop(loop, &ac->io);
	ev_io_set(&ac->io, ac->io.fd, EV_READ);
	ev_set_cb(&ac->io, admin_linger_cb);
	ev_io_start(loop, &ac->io);
	ev_timer_stop(loop, &ac->timer);
	ev_timer_set(&ac->timer, ADMIN_LINGER, 0.);
	ev_timer_start(loop, &ac->timer);
}

/* Write what is left of the answer; linger once all is out. */
static void
admin_conn_write(struct admin_conn *ac)
{
	ssize_t n;

	while (ac->off < ac->resp.len) {
		n = send(ac->io.fd, ac->resp.p + ac->off,
			 ac->resp.len - ac->off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* the write watcher runs */
		if (n <= 0) {
			admin_conn_close(ac);
			return;
		}
		ac->off += (size_t)n;
	}
	admin_conn_linger(ac);
}

static void
admin_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	admin_conn_write(w->data);
}

/* The answer is in ac->resp: stop reading, start writing. */
static void
admin_conn_send(struct admin_conn *ac)
{
	struct ev_loop *loop = ac->a->loop;

	if (ac->resp.failed) {
		admin_conn_close(ac);
		return;
	}
	ev_io_stop(loop, &ac->io);
	ev_io_set(&ac->io, ac->io.fd, EV_WRITE);
	ev_set_cb(&ac->io, admin_write_cb);
	ev_io_start(loop, &ac->io);
	ev_timer_stop(loop, &ac->timer);
	ev_set_cb(&ac->timer, admin_timer_cb);
	ev_timer_set(&ac->timer, ADMIN_WRITE_TIMEOUT, 0.);
	ev_timer_start(loop, &ac->timer);
	admin_conn_write(ac);
}

/* The head did not come in time: 408, as an HTTP server would. */
static void
admin_head_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct admin_conn *ac = w->data;

	(void)loop;
	(void)revents;
	if (ac->len == 0) {
		admin_conn_close(ac); /* never spoke: close quietly */
		return;
	}
	(void)admin_error(&ac->resp, 408, "");
	admin_conn_send(ac);
}

static void
admin_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct admin_conn *ac = w->data;
	size_t from;
	ssize_t n;
	char *end;

	(void)revents;
	for (;;) {
		n = read(w->fd, ac->head + ac->len, sizeof(ac->head) - ac->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			admin_conn_close(ac); /* gone before a whole head */
			return;
		}
		from = ac->len > 3 ? ac->len - 3 : 0;
		ac->len += (size_t)n;
		end = memmem(ac->head + from, ac->len - from, "\r\n\r\n", 4);
		if (end != NULL) {
			(void)admin_answer(ac->a->st, ac->head,
					   (size_t)(end + 4 - ac->head),
					   ev_time(), &ac->resp);
			break;
		}
		if (ac->len == sizeof(ac->head)) {
			(void)admin_error(&ac->resp, 431, "");
			break;
		}
	}
	(void)loop;
	admin_conn_send(ac);
}

/* ------------------------------------------------------------------ */
/* Listening                                                          */

/* Accept while there is room: at the cap clients wait in the backlog. */
static void
admin_update(struct admin *a)
{
	bool on = !a->paused && a->nconns < ADMIN_MAX_CONNS;
	size_t i;

	for (i = 0; i < a->nio; i++) {
		if (on)
			ev_io_start(a->loop, &a->io[i]);
		else
			ev_io_stop(a->loop, &a->io[i]);
	}
}

static void
admin_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct admin *a = w->data;

	(void)loop;
	(void)revents;
	a->paused = false;
	admin_update(a);
}

static void
admin_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct admin *a = w->data;
	struct admin_conn *ac;
	struct addr peer;
	int fd, i;

	(void)revents;
	for (i = 0; i < ADMIN_ACCEPT_BATCH && a->nconns < ADMIN_MAX_CONNS;
	     i++) {
		fd = sock_accept(w->fd, &peer);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == ECONNABORTED || errno == EPROTO)
				continue;
			goto pause; /* EMFILE, ENFILE, ENOBUFS, ENOMEM */
		}
		ac = calloc(1, sizeof(*ac));
		if (ac == NULL) {
			(void)close(fd);
			goto pause;
		}
		ac->a = a;
		ev_io_init(&ac->io, admin_read_cb, fd, EV_READ);
		ac->io.data = ac;
		ev_timer_init(&ac->timer, admin_head_timer_cb, a->head_timeout,
			      0.);
		ac->timer.data = ac;
		ac->next = a->conns;
		if (a->conns != NULL)
			a->conns->prev = ac;
		a->conns = ac;
		a->nconns++;
		ev_io_start(loop, &ac->io);
		ev_timer_start(loop, &ac->timer);
	}
	admin_update(a);
	return;
pause:
	a->paused = true;
	admin_update(a);
	ev_timer_set(&a->pause, ADMIN_PAUSE, 0.);
	ev_timer_start(loop, &a->pause);
}

struct admin *
admin_start(struct ev_loop *loop, const struct config *cfg,
	    const struct stats *st, char *err, size_t errlen)
{
	struct addr addrs[ADMIN_MAX_ADDRS];
	char why[256];
	struct admin *a;
	size_t n, i;
	int fd;

	if (addr_resolve(cfg->admin_addr, cfg->admin_port, true, addrs,
			 ADMIN_MAX_ADDRS, &n, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "admin: listen %s", why);
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "admin: out of memory");
		return NULL;
	}
	a->loop = loop;
	a->st = st;
	a->head_timeout = (double)cfg->header_timeout_s;
	ev_init(&a->pause, admin_pause_cb);
	a->pause.data = a;
	for (i = 0; i < n; i++) {
		fd = sock_listen(&addrs[i], 128, false, why, sizeof(why));
		if (fd == -1) {
			snprintf(err, errlen, "admin: %s", why);
			admin_free(a);
			return NULL;
		}
		ev_io_init(&a->io[a->nio], admin_accept_cb, fd, EV_READ);
		a->io[a->nio].data = a;
		a->nio++;
	}
	admin_update(a);
	log_msg(LOG_SEV_INFO, NULL, "admin: serving /metrics and /status on %s",
		cfg->admin_listen);
	return a;
}

void
admin_free(struct admin *a)
{
	size_t i;

	if (a == NULL)
		return;
	while (a->conns != NULL)
		admin_conn_close(a->conns);
	ev_timer_stop(a->loop, &a->pause);
	for (i = 0; i < a->nio; i++) {
		ev_io_stop(a->loop, &a->io[i]);
		(void)close(a->io[i].fd);
	}
	free(a);
}
