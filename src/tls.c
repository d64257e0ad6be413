/* SPDX-License-Identifier: MIT */
/* TLS on OpenSSL: contexts from config, the TLS transport, handshakes. */
#include "auto-config.h"

#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "conn.h"
#include "sni.h"
#include "upstream.h"

/*
 * TLS 1.2 suites: forward secrecy and AEAD only (Mozilla's "intermediate"
 * list without DHE). TLS 1.3 suites are OpenSSL's defaults, all modern.
 */
#define TLS_CIPHERS_12                                                         \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

struct tls_server {
	SSL_CTX **ctx;                /* owned: ctx[i] for routes[i] */
	const struct strlist **hosts; /* owned array: routes[i]->host */
	size_t n;
	ev_tstamp timeout; /* the handshake must end within this */
};

static SSL_CTX *tls_client_new(bool verify, const char *ca, char *err,
			       size_t errlen);

/* The reason of the last OpenSSL error, or FALLBACK; clears the queue. */
static const char *
tls_err_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : fallback;
}

/* ------------------------------------------------------------------ */
/* The transport                                                      */

/* Map SSL_get_error() code E of a failed call on T to an io_rc. */
static enum io_rc
tls_io_rc(struct transport *t, int e)
{
	switch (e) {
	case SSL_ERROR_WANT_READ:
		t->want = TRANSPORT_WANT_READ;
		return IO_AGAIN;
	case SSL_ERROR_WANT_WRITE:
		t->want = TRANSPORT_WANT_WRITE;
		return IO_AGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return IO_EOF;
	case SSL_ERROR_SYSCALL:
		t->err = errno != 0 ? errno : ECONNRESET;
		ERR_clear_error();
		return IO_ERROR;
	default:
		t->err = EPROTO;
		ERR_clear_error();
		return IO_ERROR;
	}
}

static enum io_rc
tls_read(struct transport *t, char *dst, size_t len, size_t *n)
{
	SSL *ssl = t->ctx;

	*n = 0;
	errno = 0;
	if (SSL_read_ex(ssl, dst, len, n) == 1)
		return IO_OK;
	*n = 0;
	return tls_io_rc(t, SSL_get_error(ssl, 0));
}

/*
 * SSL_write_ex() until all of SRC is out or the socket is full. Partial
 * writes are on (a record at a time), so what was sent is counted exactly;
 * a write that must be retried is retried with the same bytes at the
 * front, which may have moved (buffer compaction): hence
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER.
 */
static enum io_rc
tls_write(struct transport *t, const char *src, size_t len, size_t *n)
{
	SSL *ssl = t->ctx;
	size_t done = 0, w;
	enum io_rc rc;

	while (done < len) {
		errno = 0;
		if (SSL_write_ex(ssl, src + done, len - done, &w) == 1) {
			done += w;
			continue;
		}
		rc = tls_io_rc(t, SSL_get_error(ssl, 0));
		*n = done;
		return rc;
	}
	*n = done;
	return IO_OK;
}

/*
 * close_notify, then the TCP FIN: the peer reads the end of our stream
 * either way (TLS 1.3 lets it go on sending; so does porty).
 */
static enum io_rc
tls_shutdown(struct transport *t)
{
	SSL *ssl = t->ctx;

	/* Best effort: a full socket here loses only the alert. */
	(void)SSL_shutdown(ssl);
	ERR_clear_error();
	if (shutdown(t->fd, SHUT_WR) == -1) {
		t->err = errno;
		return IO_ERROR;
	}
	return IO_OK;
}

static void
tls_close(struct transport *t)
{
	SSL_free(t->ctx);
	t->ctx = NULL;
	if (t->fd != -1) {
		(void)close(t->fd);
		t->fd = -1;
	}
}

/*
 * Decrypted bytes only: a partial record also sits in OpenSSL's buffer
 * (SSL_has_pending()), but reading it needs the socket, and feeding a
 * read event for it would spin the loop without ever polling.
 */
static bool
tls_pending(const struct transport *t)
{
	return SSL_pending(t->ctx) > 0;
}

const struct transport_ops tls_transport_ops = {
    .name = "tls",
    .splice = false,
    .read = tls_read,
    .write = tls_write,
    .writev = NULL,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .pending = tls_pending,
};

const char *
tls_version(const struct transport *t)
{
	if (t->ops != &tls_transport_ops || t->ctx == NULL)
		return NULL;
	return SSL_get_version(t->ctx);
}

const char *
tls_servername(const struct transport *t)
{
	if (t->ops != &tls_transport_ops || t->ctx == NULL)
		return NULL;
	return SSL_get_servername(t->ctx, TLSEXT_NAMETYPE_host_name);
}

/* ------------------------------------------------------------------ */
/* Contexts                                                           */

/* What every porty context has: TLS 1.2+, partial writes, no renegotiation. */
static int
tls_ctx_common(SSL_CTX *ctx, char *err, size_t errlen)
{
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS_CIPHERS_12) != 1) {
		snprintf(err, errlen, "TLS settings refused: %s",
			 tls_err_reason("unknown error"));
		return -1;
	}
	/* A peer's FIN without close_notify is an end of stream, as in
	   HAProxy and nginx; HTTP framing catches a truncated body. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_NO_COMPRESSION |
				     SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* RELEASE_BUFFERS: an idle TLS connection holds no record buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_RELEASE_BUFFERS);
	return 0;
}

/* Whether PATH can be read; else ERR says why. */
static int
tls_readable(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

/* A server context for CERT and KEY. */
static SSL_CTX *
tls_server_ctx(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (tls_readable(cert, err, errlen) == -1 ||
	    tls_readable(key, err, errlen) == -1)
		return NULL;
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(err, errlen, "%s", tls_err_reason("out of memory"));
		return NULL;
	}
	if (tls_ctx_common(ctx, err, errlen) == -1)
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, errlen, "%s: no certificate: %s", cert,
			 tls_err_reason("cannot load it"));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_last_error()) !=
		X509_R_KEY_VALUES_MISMATCH) {
		snprintf(err, errlen, "%s: no private key: %s", key,
			 tls_err_reason("cannot load it"));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, errlen,
			 "the key in %s does not match the certificate in %s",
			 key, cert);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_check_pair(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx = tls_server_ctx(cert, key, err, errlen);

	if (ctx == NULL)
		return -1;
	SSL_CTX_free(ctx);
	return 0;
}

int
tls_check_ca(const char *ca, char *err, size_t errlen)
{
	SSL_CTX *ctx = tls_client_new(true, ca, err, errlen);

	if (ctx == NULL)
		return -1;
	SSL_CTX_free(ctx);
	return 0;
}

/* SNI: switch to the certificate of the route the server name matches. */
static int
tls_servername_cb(SSL *ssl, int *alert, void *arg)
{
	const struct tls_server *ts = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	size_t i;

	(void)alert;
	if (name == NULL || ts->n < 2)
		return SSL_TLSEXT_ERR_OK;
	if (sni_pick(ts->hosts, ts->n, name, &i) && i != 0)
		(void)SSL_set_SSL_CTX(ssl, ts->ctx[i]);
	return SSL_TLSEXT_ERR_OK;
}

struct tls_server *
tls_server_new(const struct route *const *routes, size_t n, unsigned timeout_s,
	       char *err, size_t errlen)
{
	struct tls_server *ts = calloc(1, sizeof(*ts));
	char why[256];
	size_t i;

	if (ts == NULL)
		goto nomem;
	ts->ctx = calloc(n, sizeof(*ts->ctx));
	ts->hosts = calloc(n, sizeof(*ts->hosts));
	if (ts->ctx == NULL || ts->hosts == NULL)
		goto nomem;
	ts->n = n;
	ts->timeout = (ev_tstamp)timeout_s;
	for (i = 0; i < n; i++) {
		ts->hosts[i] = &routes[i]->host;
		ts->ctx[i] = tls_server_ctx(
		    routes[i]->tls_cert, routes[i]->tls_key, why, sizeof(why));
		if (ts->ctx[i] == NULL) {
			snprintf(err, errlen, "route %s: tls_cert: %s",
				 routes[i]->name, why);
			tls_server_free(ts);
			return NULL;
		}
	}
	SSL_CTX_set_tlsext_servername_callback(ts->ctx[0], tls_servername_cb);
	SSL_CTX_set_tlsext_servername_arg(ts->ctx[0], ts);
	return ts;
nomem:
	snprintf(err, errlen, "out of memory");
	tls_server_free(ts);
	return NULL;
}

void
tls_server_free(struct tls_server *ts)
{
	size_t i;

	if (ts == NULL)
		return;
	for (i = 0; ts->ctx != NULL && i < ts->n; i++)
		SSL_CTX_free(ts->ctx[i]);
	free(ts->ctx);
	free(ts->hosts);
	free(ts);
}

/* A client context; see tls_clients_get(). */
static SSL_CTX *
tls_client_new(bool verify, const char *ca, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "%s", tls_err_reason("out of memory"));
		return NULL;
	}
	if (tls_ctx_common(ctx, err, errlen) == -1)
		goto fail;
	if (ca != NULL) {
		if (tls_readable(ca, err, errlen) == -1)
			goto fail;
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			snprintf(err, errlen, "%s: no CA certificate: %s", ca,
				 tls_err_reason("cannot load it"));
			goto fail;
		}
	} else if (verify && SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "the system CA store: %s",
			 tls_err_reason("cannot be loaded"));
		goto fail;
	}
	SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
			   NULL);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

struct tls_client {
	SSL_CTX *ctx; /* owned */
	bool verify;
	char *ca; /* owned, or NULL: the system store */
};

struct tls_clients {
	struct tls_client *v; /* owned */
	size_t n;
};

struct tls_clients *
tls_clients_new(void)
{
	return calloc(1, sizeof(struct tls_clients));
}

SSL_CTX *
tls_clients_get(struct tls_clients *tc, bool verify, const char *ca, char *err,
		size_t errlen)
{
	struct tls_client *grown, *e;
	size_t i;

	for (i = 0; i < tc->n; i++) {
		e = &tc->v[i];
		if (e->verify == verify &&
		    (e->ca == NULL ? ca == NULL
				   : ca != NULL && strcmp(e->ca, ca) == 0))
			return e->ctx;
	}
	grown = realloc(tc->v, (tc->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	tc->v = grown;
	e = &tc->v[tc->n];
	e->verify = verify;
	e->ca = NULL;
	if (ca != NULL && (e->ca = strdup(ca)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->ctx = tls_client_new(verify, ca, err, errlen);
	if (e->ctx == NULL) {
		free(e->ca);
		return NULL;
	}
	tc->n++;
	return e->ctx;
}

void
tls_clients_free(struct tls_clients *tc)
{
	size_t i;

	if (tc == NULL)
		return;
	for (i = 0; i < tc->n; i++) {
		SSL_CTX_free(tc->v[i].ctx);
		free(tc->v[i].ca);
	}
	free(tc->v);
	free(tc);
}

void
tls_owner(struct conn_owner *o, struct tls_server *ts)
{
	o->tls = ts;
	o->tls_next = o->start;
	o->start = tls_accept;
}

/* ------------------------------------------------------------------ */
/* Handshakes                                                         */

/* The side whose watcher W is. */
static enum conn_side
tls_side_of(const struct conn *c, const ev_io *w)
{
	const struct half *h = &c->side[CONN_CLIENT];

	return w == &h->rd || w == &h->wr ? CONN_CLIENT : CONN_UPSTREAM;
}

/* Why the handshake on S failed after SSL_get_error() code E. */
static void
tls_hs_why(struct conn *c, enum conn_side s, int e, char *why, size_t len)
{
	SSL *ssl = c->side[s].tp.ctx;
	const char *who = s == CONN_CLIENT ? "client" : "upstream";
	unsigned long code = ERR_peek_last_error();
	long v;

	if (e == SSL_ERROR_SSL &&
	    ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
		v = SSL_get_verify_result(ssl);
		ERR_clear_error();
		snprintf(why, len,
			 "%s tls handshake: certificate verify failed: %s", who,
			 X509_verify_cert_error_string(v));
	} else if (e == SSL_ERROR_SYSCALL && errno != 0) {
		snprintf(why, len, "%s tls handshake: %s", who,
			 strerror(errno));
		ERR_clear_error();
	} else if (e == SSL_ERROR_SSL) {
		snprintf(why, len, "%s tls handshake: %s", who,
			 tls_err_reason("protocol error"));
	} else {
		ERR_clear_error();
		snprintf(why, len, "%s tls handshake: connection closed", who);
	}
}

/* The handshake on side S failed (WHY): close, or tell the owner. */
static void
tls_hs_fail(struct conn *c, enum conn_side s, enum conn_end end,
	    const char *why)
{
	if (s == CONN_UPSTREAM && c->owner->connect_failed != NULL) {
		conn_detach(c, CONN_UPSTREAM);
		c->owner->connect_failed(c, why);
		return;
	}
	conn_close(c, end, why);
}

/* The handshake on side S is done: continue where the owner says. */
static void
tls_hs_done(struct conn *c, enum conn_side s)
{
	struct ev_loop *loop = c->owner->loop;
	struct half *h = &c->side[s];

	ev_io_stop(loop, &h->rd);
	ev_io_stop(loop, &h->wr);
	ev_timer_stop(loop, &c->timer);
	if (s == CONN_CLIENT)
		c->owner->tls_next(c);
	else
		c->owner->connected(c);
}

/* One step of the handshake on side S: wait for the event it needs. */
static void
tls_hs_step(struct conn *c, enum conn_side s)
{
	struct ev_loop *loop = c->owner->loop;
	struct half *h = &c->side[s];
	char why[300];
	int r, e;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(h->tp.ctx);
	if (r == 1) {
		tls_hs_done(c, s);
		return;
	}
	e = SSL_get_error(h->tp.ctx, r);
	if (e == SSL_ERROR_WANT_READ) {
		ev_io_stop(loop, &h->wr);
		ev_io_start(loop, &h->rd);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		ev_io_stop(loop, &h->rd);
		ev_io_start(loop, &h->wr);
		return;
	}
	tls_hs_why(c, s, e, why, sizeof(why));
	/* A client that cannot speak TLS is its problem, not porty's. */
	tls_hs_fail(c, s, s == CONN_CLIENT ? CONN_END_ABORT : CONN_END_ERROR,
		    why);
}

static void
tls_hs_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	tls_hs_step(c, tls_side_of(c, w));
}

static void
tls_hs_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->state == CONN_TLS_ACCEPT)
		conn_close(c, CONN_END_TIMEOUT, "client tls handshake timeout");
	else
		tls_hs_fail(c, CONN_UPSTREAM, CONN_END_ERROR,
			    "upstream tls handshake timeout");
}

/* Put an SSL from CTX on side S's socket and start the handshake. */
static SSL *
tls_attach(struct conn *c, enum conn_side s, SSL_CTX *ctx)
{
	struct half *h = &c->side[s];
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL)
		return NULL;
	if (SSL_set_fd(ssl, h->tp.fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	h->tp.ops = &tls_transport_ops;
	h->tp.ctx = ssl;
	ev_set_cb(&h->rd, tls_hs_io_cb);
	ev_set_cb(&h->wr, tls_hs_io_cb);
	return ssl;
}

void
tls_accept(struct conn *c)
{
	const struct tls_server *ts = c->owner->tls;
	SSL *ssl;

	conn_set_state(c, CONN_TLS_ACCEPT);
	ssl = tls_attach(c, CONN_CLIENT, ts->ctx[0]);
	if (ssl == NULL) {
		ERR_clear_error();
		conn_close(c, CONN_END_ERROR, "tls: out of memory");
		return;
	}
	SSL_set_accept_state(ssl);
	conn_timer(c, ts->timeout, tls_hs_timer_cb);
	tls_hs_step(c, CONN_CLIENT);
}

/* Whether NAME is an IP literal (no SNI then; the IP is verified). */
static bool
tls_is_ip(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 ||
	       inet_pton(AF_INET6, name, a) == 1;
}

void
tls_connect(struct conn *c)
{
	const struct upstream *u = c->up;
	SSL *ssl;
	int ok = 1;

	conn_set_state(c, CONN_TLS_CONNECT);
	ssl = tls_attach(c, CONN_UPSTREAM, u->tls);
	if (ssl == NULL) {
		ERR_clear_error();
		tls_hs_fail(c, CONN_UPSTREAM, CONN_END_ERROR,
			    "tls: out of memory");
		return;
	}
	SSL_set_connect_state(ssl);
	if (u->sni != NULL && tls_is_ip(u->sni)) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), u->sni);
	} else if (u->sni != NULL) {
		ok = SSL_set_tlsext_host_name(ssl, u->sni) == 1 &&
		     SSL_set1_host(ssl, u->sni) == 1;
	}
	if (ok != 1) {
		ERR_clear_error();
		tls_hs_fail(c, CONN_UPSTREAM, CONN_END_ERROR,
			    "upstream tls: bad server name");
		return;
	}
	conn_timer(c, (ev_tstamp)c->route->connect_timeout_ms / 1000.0,
		   tls_hs_timer_cb);
	tls_hs_step(c, CONN_UPSTREAM);
}
