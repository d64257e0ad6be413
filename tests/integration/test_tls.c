/* SPDX-License-Identifier: MIT */
/* The tls suite: TLS termination, origination and SNI routing of the real
 * porty, with certificates made by the test (a throwaway CA). */
#include "auto-config.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "harness.h"
#include "suites.h"
#include "tlsgen.h"

#define MIB (1024 * 1024)

/* Every wait of this suite: generous, for a loaded 2-core machine. */
#define TT_WAIT harness_ms(10000)

/* ------------------------------------------------------------------ */
/* Config pieces                                                      */

/* Make the certificates in H's directory. */
static void
tt_certs(struct harness *h)
{
	ck_assert_int_eq(tlsgen_write(harness_dir(h)), 0);
}

/* A tcp route NAME on 127.0.0.1:LPORT to 127.0.0.1:TPORT, plus EXTRA. */
static const char *
tt_route(struct harness *h, const char *name, int lport, int tport,
	 const char *extra)
{
	return harness_fmt(h,
			   "[[routes]]\n"
			   "name = \"%s\"\n"
			   "listen_addr = \"127.0.0.1\"\n"
			   "listen_port = %d\n"
			   "target_addr = \"127.0.0.1\"\n"
			   "target_port = %d\n"
			   "%s\n",
			   name, lport, tport, extra);
}

/* EXTRA keys terminating TLS with certificate NAME (a, b, self). */
static const char *
tt_term(struct harness *h, const char *name)
{
	return harness_fmt(h, "tls_cert = \"%s.pem\"\ntls_key = \"%s.key\"\n",
			   name, name);
}

/* ------------------------------------------------------------------ */
/* A TLS client on memory BIOs, so that the test decides how its bytes */
/* go out (split ClientHellos) and can pump both ways at once.        */

struct tt_client {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rb, *wb; /* owned by ssl */
	int fd;
	size_t piece; /* send at most this many bytes a time; 0: no limit */
	char out[65536];
	size_t olen, ooff;
};

static void
tt_client_free(struct tt_client *t)
{
	if (t->fd != -1)
		close(t->fd);
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	free(t);
}

/*
 * A client for 127.0.0.1:PORT sending SNI (NULL: none) and verifying the
 * certificate for VERIFY (NULL: no check) against the test CA.
 */
static struct tt_client *
tt_client(struct harness *h, int port, const char *sni, const char *verify)
{
	struct tt_client *t = calloc(1, sizeof(*t));
	int one = 1;

	ck_assert_ptr_nonnull(t);
	t->ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_int_eq(SSL_CTX_load_verify_locations(
			     t->ctx, harness_path(h, "ca.pem"), NULL),
			 1);
	SSL_CTX_set_verify(
	    t->ctx, verify != NULL ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	t->ssl = SSL_new(t->ctx);
	t->rb = BIO_new(BIO_s_mem());
	t->wb = BIO_new(BIO_s_mem());
	SSL_set_bio(t->ssl, t->rb, t->wb);
	SSL_set_connect_state(t->ssl);
	if (sni != NULL)
		ck_assert_int_eq(SSL_set_tlsext_host_name(t->ssl, sni), 1);
	if (verify != NULL)
		ck_assert_int_eq(SSL_set1_host(t->ssl, verify), 1);
	t->fd = harness_connect(AF_INET, port, TT_WAIT);
	ck_assert_msg(t->fd != -1, "connect: %s", strerror(errno));
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return t;
}

/* Send what SSL wrote, in pieces; false if the peer is gone. */
static bool
tt_flush(struct tt_client *t)
{
	char buf[16384];
	size_t want;
	int n;

	while (BIO_ctrl_pending(t->wb) > 0) {
		want = t->piece != 0 && t->piece < sizeof(buf) ? t->piece
							       : sizeof(buf);
		n = BIO_read(t->wb, buf, (int)want);
		if (n <= 0)
			break;
		if (!harness_send(t->fd, buf, (size_t)n, TT_WAIT))
			return false;
		if (t->piece != 0)
			harness_sleep_ms(1); /* a segment each */
	}
	return true;
}

/* Feed SSL what the socket has, waiting up to MS: bytes, 0 at EOF, -1. */
static int
tt_fill(struct tt_client *t, int ms)
{
	char buf[16384];
	ssize_t n;

	if (!harness_readable(t->fd, ms))
		return -1;
	n = recv(t->fd, buf, sizeof(buf), 0);
	if (n <= 0)
		return 0;
	BIO_write(t->rb, buf, (int)n);
	return (int)n;
}

/* Complete the handshake; false if the peer closed or refused it. */
static bool
tt_handshake(struct tt_client *t)
{
	int64_t deadline = harness_now_ms() + TT_WAIT;
	int r;

	for (;;) {
		ERR_clear_error();
		r = SSL_do_handshake(t->ssl);
		if (!tt_flush(t))
			return false;
		if (r == 1)
			return true;
		if (SSL_get_error(t->ssl, r) != SSL_ERROR_WANT_READ ||
		    harness_now_ms() > deadline ||
		    tt_fill(t, (int)(deadline - harness_now_ms())) <= 0)
			return false;
	}
}

/*
 * Send LEN pattern bytes (SEED) and read as many back, both at once with
 * bounded memory; returns the digest of what came back.
 */
static struct harness_digest
tt_echo(struct tt_client *t, uint64_t len, uint64_t seed)
{
	int64_t deadline = harness_now_ms() + harness_ms(30000);
	struct harness_digest d;
	uint64_t sent = 0, got = 0;
	char buf[16384];
	struct pollfd pfd;
	ssize_t n;
	size_t w;
	int r;

	harness_digest_init(&d);
	while (got < len && harness_now_ms() < deadline) {
		while (sent < len && BIO_ctrl_pending(t->wb) < 65536) {
			w = len - sent < sizeof(buf) ? (size_t)(len - sent)
						     : sizeof(buf);
			harness_pattern(seed, sent, buf, w);
			ck_assert_int_eq(SSL_write_ex(t->ssl, buf, w, &w), 1);
			sent += w;
		}
		if (t->ooff == t->olen) {
			r = BIO_read(t->wb, t->out, sizeof(t->out));
			t->olen = r > 0 ? (size_t)r : 0;
			t->ooff = 0;
		}
		pfd.fd = t->fd;
		pfd.events = POLLIN | (t->ooff < t->olen ? POLLOUT : 0);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (pfd.revents & POLLOUT) {
			n = send(t->fd, t->out + t->ooff, t->olen - t->ooff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				t->ooff += (size_t)n;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n == -1 && errno != EAGAIN))
				break;
			if (n > 0)
				BIO_write(t->rb, buf, (int)n);
			while (SSL_read_ex(t->ssl, buf, sizeof(buf), &w) == 1) {
				harness_digest_update(&d, buf, w);
				got += w;
			}
		}
	}
	return d;
}

/* The peer closed without sending a byte, within MS. */
static bool
tt_closed_silent(int fd, int ms)
{
	char b;

	if (!harness_readable(fd, ms))
		return false;
	return recv(fd, &b, 1, 0) <= 0;
}

/* Run openssl s_client against PORT with EXTRA arguments (NULL-ended). */
static const struct harness_result *
tt_s_client(struct harness *h, int port, const char *const *extra)
{
	const char *argv[32];
	size_t n = 0, i;

	argv[n++] = "openssl";
	argv[n++] = "s_client";
	argv[n++] = "-connect";
	argv[n++] = harness_fmt(h, "127.0.0.1:%d", port);
	argv[n++] = "-CAfile";
	argv[n++] = harness_path(h, "ca.pem");
	argv[n++] = "-verify_return_error";
	argv[n++] = "-brief";
	for (i = 0; extra[i] != NULL && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return harness_cmd(h, argv);
}

/* ------------------------------------------------------------------ */
/* Termination                                                        */

/*
 * openssl s_client completes TLS 1.3 and 1.2 handshakes against the
 * certificate, is refused TLS 1.1, and the log shows version and SNI.
 */
START_TEST(test_tls_handshake_versions)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	const struct harness_result *r;
	struct harness_proc *p;
	static const char *const v13[] = {"-servername", "a.test", NULL};
	static const char *const v12[] = {"-tls1_2", "-servername", "a.test",
					  NULL};
	static const char *const v11[] = {"-tls1_1", "-servername", "a.test",
					  NULL};

	tt_certs(h);
	p = harness_serve(
	    h, port,
	    harness_fmt(h, "log_format = \"text\"\n%s",
			tt_route(h, "term", port, harness_backend_port(echo),
				 tt_term(h, "a"))));
	r = tt_s_client(h, port, v13);
	ck_assert_msg(r->status == 0, "s_client: %d %s", r->status, r->err);
	ck_assert_msg(harness_contains(r->err, "Protocol version: TLSv1.3"),
		      "%s", r->err);
	ck_assert_msg(harness_contains(r->err, "Verification: OK"), "%s",
		      r->err);
	r = tt_s_client(h, port, v12);
	ck_assert_msg(r->status == 0, "s_client -tls1_2: %d %s", r->status,
		      r->err);
	ck_assert_msg(harness_contains(r->err, "Protocol version: TLSv1.2"),
		      "%s", r->err);
	r = tt_s_client(h, port, v11);
	ck_assert_msg(r->status != 0, "TLS 1.1 was accepted: %s", r->err);
	ck_assert(harness_wait_log(p, "tls=TLSv1.3 sni=a.test", TT_WAIT));
	ck_assert(harness_wait_log(p, "tls=TLSv1.2 sni=a.test", TT_WAIT));
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* 8 MiB each way through a terminating listener arrive intact. */
START_TEST(test_tls_bulk_echo)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	struct harness_proc *p;
	struct tt_client *t;
	struct harness_digest d, want;

	tt_certs(h);
	p = harness_serve(h, port,
			  tt_route(h, "term", port, harness_backend_port(echo),
				   tt_term(h, "a")));
	t = tt_client(h, port, "a.test", "a.test");
	ck_assert(tt_handshake(t));
	d = tt_echo(t, 8 * MIB, 11);
	want = harness_pattern_digest(11, 8 * MIB);
	ck_assert_uint_eq(d.len, want.len);
	ck_assert_uint_eq(d.hash, want.hash);
	tt_client_free(t);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/*
 * A client that stalls in the handshake (nothing, or half a ClientHello)
 * is closed after header_timeout_seconds, and others are served meanwhile.
 */
START_TEST(test_tls_handshake_stall)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET), silent, half;
	struct harness_proc *p;
	struct tt_client *t;
	struct harness_digest d;
	int64_t t0;
	int waited;

	tt_certs(h);
	p = harness_serve(
	    h, port,
	    harness_fmt(h, "header_timeout_seconds = 1\n%s",
			tt_route(h, "term", port, harness_backend_port(echo),
				 tt_term(h, "a"))));
	t0 = harness_now_ms();
	silent = harness_connect(AF_INET, port, TT_WAIT);
	half = harness_connect(AF_INET, port, TT_WAIT);
	ck_assert(silent != -1 && half != -1);
	ck_assert(
	    harness_send(half, "\x16\x03\x01\x01\x00\x01\x00", 7, TT_WAIT));
	/* Meanwhile a real client gets through. */
	t = tt_client(h, port, "a.test", "a.test");
	ck_assert(tt_handshake(t));
	d = tt_echo(t, 1000, 3);
	ck_assert_uint_eq(d.len, 1000);
	tt_client_free(t);
	waited = harness_wait_closed(silent, harness_ms(5000));
	ck_assert_msg(waited >= 0, "the silent client is still open");
	ck_assert(harness_wait_closed(half, harness_ms(5000)) >= 0);
	ck_assert_msg(harness_now_ms() - t0 >= 900,
		      "closed before the timeout: %lld ms",
		      (long long)(harness_now_ms() - t0));
	ck_assert(harness_wait_log(p, "tls handshake timeout", TT_WAIT));
	close(silent);
	close(half);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Origination                                                        */

/*
 * target_tls: plain bytes in, TLS to a backend (porty's own terminating
 * route here), verified against tls_ca with target_sni; 4 MiB both ways.
 */
START_TEST(test_tls_origination)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET), tport = harness_port(AF_INET);
	struct harness_xfer x;
	struct harness_proc *p;
	struct harness_digest want;

	tt_certs(h);
	p = harness_serve(
	    h, port,
	    harness_fmt(h, "log_format = \"text\"\n%s%s",
			tt_route(h, "orig", port, tport,
				 "target_tls = true\ntls_ca = \"ca.pem\"\n"
				 "target_sni = \"x.a.test\"\n"),
			tt_route(h, "term", tport, harness_backend_port(echo),
				 tt_term(h, "a"))));
	ck_assert(harness_wait_port(p, tport, TT_WAIT));
	memset(&x, 0, sizeof(x));
	x.fd = harness_connect(AF_INET, port, TT_WAIT);
	x.send_len = 4 * MIB;
	x.send_seed = 5;
	ck_assert(harness_xfer(&x, 1, harness_ms(30000)));
	want = harness_pattern_digest(5, 4 * MIB);
	ck_assert_uint_eq(x.rx.len, want.len);
	ck_assert_uint_eq(x.rx.hash, want.hash);
	close(x.fd);
	/* The terminating route saw the name porty sent. */
	ck_assert(harness_wait_log(p, "route=term", TT_WAIT));
	ck_assert(harness_wait_log(p, "sni=x.a.test", TT_WAIT));
	harness_stop(p);
	harness_free(h);
}
END_TEST

/*
 * A backend certificate that does not verify (not from tls_ca, or not for
 * the name) is refused: the client is closed with nothing sent and the
 * log says why; target_tls_verify = false accepts it.
 */
START_TEST(test_tls_origination_bad_cert)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int untrusted = harness_port(AF_INET), wrong = harness_port(AF_INET),
	    noverify = harness_port(AF_INET), tself = harness_port(AF_INET),
	    ta = harness_port(AF_INET), fd;
	struct harness_xfer x;
	struct harness_proc *p;
	const char *ca = "target_tls = true\ntls_ca = \"ca.pem\"\n";

	tt_certs(h);
	p = harness_serve(
	    h, untrusted,
	    harness_fmt(
		h, "log_format = \"text\"\n%s%s%s%s%s",
		tt_route(h, "untrusted", untrusted, tself, ca),
		tt_route(h, "wrong-name", wrong, ta,
			 harness_fmt(h, "%starget_sni = \"b.test\"\n", ca)),
		tt_route(h, "noverify", noverify, tself,
			 "target_tls = true\ntarget_tls_verify = false\n"),
		tt_route(h, "self", tself, harness_backend_port(echo),
			 tt_term(h, "self")),
		tt_route(h, "a", ta, harness_backend_port(echo),
			 tt_term(h, "a"))));
	ck_assert(harness_wait_port(p, ta, TT_WAIT));
	fd = harness_connect(AF_INET, untrusted, TT_WAIT);
	ck_assert(harness_send(fd, "hi", 2, TT_WAIT));
	ck_assert(tt_closed_silent(fd, TT_WAIT));
	close(fd);
	ck_assert(harness_wait_log(p, "certificate verify failed", TT_WAIT));
	fd = harness_connect(AF_INET, wrong, TT_WAIT);
	ck_assert(harness_send(fd, "hi", 2, TT_WAIT));
	ck_assert(tt_closed_silent(fd, TT_WAIT));
	close(fd);
	ck_assert(harness_wait_log(p, "hostname mismatch", TT_WAIT));
	memset(&x, 0, sizeof(x));
	x.fd = harness_connect(AF_INET, noverify, TT_WAIT);
	x.send_len = 1000;
	x.send_seed = 2;
	ck_assert(harness_xfer(&x, 1, TT_WAIT));
	ck_assert_uint_eq(x.rx.len, 1000);
	close(x.fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* SNI routing                                                        */

/*
 * Two tcp routes share a port by sni; each ends at a terminating route
 * with its own certificate, so the certificate the client verifies shows
 * where its bytes went. The ClientHello arrives a byte per segment.
 */
START_TEST(test_tls_sni_routing_split_hello)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET), ta = harness_port(AF_INET),
	    tb = harness_port(AF_INET);
	struct harness_proc *p;
	struct tt_client *t;
	struct harness_digest d;

	tt_certs(h);
	p = harness_serve(
	    h, port,
	    harness_fmt(h, "log_format = \"text\"\n%s%s%s%s",
			tt_route(h, "sni-a", port, ta, "sni = \"a.test\"\n"),
			tt_route(h, "sni-b", port, tb,
				 "sni = [\"b.test\", \"*.b.test\"]\n"),
			tt_route(h, "term-a", ta, harness_backend_port(echo),
				 tt_term(h, "a")),
			tt_route(h, "term-b", tb, harness_backend_port(echo),
				 tt_term(h, "b"))));
	ck_assert(harness_wait_port(p, tb, TT_WAIT));
	t = tt_client(h, port, "x.b.test", "x.b.test");
	t->piece = 1;
	ck_assert_msg(tt_handshake(t), "handshake via sni-b");
	t->piece = 0;
	d = tt_echo(t, 100000, 4);
	ck_assert_uint_eq(d.len, 100000);
	ck_assert_uint_eq(d.hash, harness_pattern_digest(4, 100000).hash);
	tt_client_free(t);
	t = tt_client(h, port, "A.TEST", "a.test");
	ck_assert_msg(tt_handshake(t), "handshake via sni-a");
	d = tt_echo(t, 1000, 4);
	ck_assert_uint_eq(d.len, 1000);
	tt_client_free(t);
	ck_assert(harness_wait_log(p, "route=sni-b", TT_WAIT));
	ck_assert(harness_wait_log(p, "sni=x.b.test", TT_WAIT));
	ck_assert(harness_wait_log(p, "route=sni-a", TT_WAIT));
	harness_stop(p);
	harness_free(h);
}
END_TEST

/*
 * No matching name, no server name, no TLS at all, or no ClientHello in
 * time: a close with no byte sent.
 */
START_TEST(test_tls_sni_refused)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET), fd;
	struct harness_proc *p;
	struct tt_client *t;
	int64_t t0;

	tt_certs(h);
	p = harness_serve(
	    h, port,
	    harness_fmt(h, "header_timeout_seconds = 1\n%s%s",
			tt_route(h, "sni-a", port, harness_backend_port(echo),
				 "sni = \"a.test\"\n"),
			tt_route(h, "sni-b", port, harness_backend_port(echo),
				 "sni = \"b.test\"\n")));
	t = tt_client(h, port, "zz.test", NULL);
	ck_assert(!tt_handshake(t));
	ck_assert(tt_closed_silent(t->fd, TT_WAIT));
	tt_client_free(t);
	t = tt_client(h, port, NULL, NULL);
	ck_assert(!tt_handshake(t));
	tt_client_free(t);
	fd = harness_connect(AF_INET, port, TT_WAIT);
	ck_assert(harness_send(fd, "GET / HTTP/1.0\r\n\r\n", 18, TT_WAIT));
	ck_assert(tt_closed_silent(fd, TT_WAIT));
	close(fd);
	t0 = harness_now_ms();
	fd = harness_connect(AF_INET, port, TT_WAIT);
	ck_assert(tt_closed_silent(fd, harness_ms(5000)));
	ck_assert_int_ge(harness_now_ms() - t0, 900);
	close(fd);
	ck_assert(
	    harness_wait_log(p, "no route for server name zz.test", TT_WAIT));
	ck_assert(harness_wait_log(p, "without a server name", TT_WAIT));
	ck_assert(harness_wait_log(p, "not a TLS ClientHello", TT_WAIT));
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* HTTP                                                               */

/* An http route NAME on 127.0.0.1:LPORT with EXTRA keys. */
static const char *
tt_http_route(struct harness *h, const char *name, int lport, const char *extra)
{
	return harness_fmt(h,
			   "[[routes]]\n"
			   "name = \"%s\"\n"
			   "mode = \"http\"\n"
			   "listen_addr = \"127.0.0.1\"\n"
			   "listen_port = %d\n"
			   "%s\n",
			   name, lport, extra);
}

/*
 * curl --cacert through two https routes on one port: each name gets its
 * own certificate (SNI), two requests share one TLS connection
 * (keep-alive), the backend sees X-Forwarded-Proto: https, and the log
 * shows the TLS version and server name.
 */
START_TEST(test_tls_http_terminate)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = harness_port(AF_INET), bport = harness_backend_port(b);
	const struct harness_result *r;
	struct harness_proc *p;
	const char *ra, *rb, *ua, *ub, *target;

	tt_certs(h);
	target = harness_fmt(
	    h, "target_addr = \"127.0.0.1\"\ntarget_port = %d\n", bport);
	p = harness_serve(
	    h, port,
	    harness_fmt(
		h, "log_format = \"text\"\n%s%s",
		tt_http_route(h, "web-a", port,
			      harness_fmt(h, "%s%shost = \"a.test\"\n", target,
					  tt_term(h, "a"))),
		tt_http_route(h, "web-b", port,
			      harness_fmt(h, "%s%shost = \"*.b.test\"\n",
					  target, tt_term(h, "b")))));
	ra = harness_fmt(h, "a.test:%d:127.0.0.1", port);
	rb = harness_fmt(h, "x.b.test:%d:127.0.0.1", port);
	ua = harness_fmt(h, "https://a.test:%d/one", port);
	ub = harness_fmt(h, "https://x.b.test:%d/two", port);
	{
		const char *args[] = {
		    "--cacert",
		    harness_path(h, "ca.pem"),
		    "--resolve",
		    ra,
		    "-w",
		    "connects=%{num_connects}\n",
		    ua,
		    harness_fmt(h, "https://a.test:%d/again", port),
		    NULL};

		r = harness_curl(h, args);
	}
	ck_assert_msg(r->status == 0, "curl a: %d %s", r->status, r->err);
	ck_assert_msg(harness_contains(r->out, "GET /one HTTP/1.1"), "%s",
		      r->out);
	ck_assert_msg(harness_contains(r->out, "X-Forwarded-Proto: https"),
		      "%s", r->out);
	ck_assert_msg(harness_contains(r->out, "GET /again HTTP/1.1"), "%s",
		      r->out);
	/* The second request reused the first one's TLS connection. */
	ck_assert_msg(harness_contains(r->out, "connects=1") &&
			  harness_contains(r->out, "connects=0"),
		      "%s", r->out);
	{
		const char *args[] = {"--cacert",  harness_path(h, "ca.pem"),
				      "--resolve", rb,
				      ub,          NULL};

		r = harness_curl(h, args);
	}
	ck_assert_msg(r->status == 0, "curl b (SNI picks b.pem): %d %s",
		      r->status, r->err);
	ck_assert_msg(harness_contains(r->out, "GET /two HTTP/1.1"), "%s",
		      r->out);
	/* curl refuses a certificate that is not for the name. */
	{
		const char *args[] = {
		    "--cacert",
		    harness_path(h, "ca.pem"),
		    "--resolve",
		    harness_fmt(h, "c.test:%d:127.0.0.1", port),
		    harness_fmt(h, "https://c.test:%d/", port),
		    NULL};

		r = harness_curl(h, args);
	}
	ck_assert_msg(r->status != 0, "curl accepted a.pem for c.test");
	ck_assert(harness_wait_log(p, "tls=TLSv1.3 sni=a.test", TT_WAIT));
	ck_assert(harness_wait_log(p, "sni=x.b.test", TT_WAIT));
	harness_stop(p);
	harness_free(h);
}
END_TEST

/*
 * HTTP to a TLS backend: target_tls on a configured target, whose pooled
 * connection serves the next request too, and porty_scheme=https to a
 * dynamic target, with a tls_ca and (lport) with the client context made
 * on first use. The TLS backend is a second porty terminating TLS in
 * front of the HTTP backend.
 */
START_TEST(test_tls_http_originate)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = harness_port(AF_INET), tport = harness_port(AF_INET),
	    dport = harness_port(AF_INET), lport = harness_port(AF_INET);
	struct harness_proc *front, *back;
	struct harness_http_conn *c;
	const struct harness_http_resp *r;
	const char *conn1;

	tt_certs(h);
	back =
	    harness_serve(h, tport,
			  tt_route(h, "tls-back", tport,
				   harness_backend_port(b), tt_term(h, "a")));
	front = harness_serve(
	    h, port,
	    harness_fmt(
		h, "%s%s%s",
		tt_http_route(h, "web", port,
			      harness_fmt(h,
					  "target_addr = \"127.0.0.1\"\n"
					  "target_port = %d\n"
					  "target_tls = true\n"
					  "tls_ca = \"ca.pem\"\n"
					  "target_sni = \"a.test\"\n",
					  tport)),
		tt_http_route(h, "dyn", dport,
			      "target_port = 0\ntls_ca = \"ca.pem\"\n"),
		tt_http_route(h, "lazy", lport,
			      "target_port = 0\ntarget_tls_verify = false\n")));
	ck_assert(harness_wait_port(front, dport, TT_WAIT));
	ck_assert(harness_wait_port(front, lport, TT_WAIT));
	c = harness_http_connect(h, AF_INET, port);
	harness_http_puts(c, "GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
	r = harness_http_response(c, 0, TT_WAIT);
	ck_assert_msg(r->status == 200, "%d %s", r->status,
		      r->error != NULL ? r->error : "");
	conn1 = harness_http_header(h, r, "X-Backend-Conn");
	ck_assert_ptr_nonnull(conn1);
	harness_http_puts(c, "GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
	r = harness_http_response(c, 0, TT_WAIT);
	ck_assert_int_eq(r->status, 200);
	/* One backend connection through the TLS hop: the pool kept it. */
	ck_assert_str_eq(harness_http_header(h, r, "X-Backend-Conn"), conn1);
	ck_assert_str_eq(harness_http_header(h, r, "X-Backend-Seq"), "2");
	harness_http_close(c);
	c = harness_http_connect(h, AF_INET, dport);
	harness_http_puts(
	    c, harness_fmt(h,
			   "GET /dyn?porty_host=localhost&porty_port=%d"
			   "&porty_scheme=https HTTP/1.1\r\nHost: x\r\n\r\n",
			   tport));
	r = harness_http_response(c, 0, TT_WAIT);
	ck_assert_msg(r->status == 200, "dynamic https: %d %s", r->status,
		      r->error != NULL ? r->error : "");
	ck_assert(harness_contains(r->body, "GET /dyn HTTP/1.1"));
	harness_http_close(c);
	c = harness_http_connect(h, AF_INET, lport);
	harness_http_puts(
	    c, harness_fmt(h,
			   "GET /lazy?porty_host=localhost&porty_port=%d"
			   "&porty_scheme=https HTTP/1.1\r\nHost: x\r\n\r\n",
			   tport));
	r = harness_http_response(c, 0, TT_WAIT);
	ck_assert_msg(r->status == 200, "lazy https: %d %s", r->status,
		      r->error != NULL ? r->error : "");
	ck_assert(harness_contains(r->body, "GET /lazy HTTP/1.1"));
	harness_http_close(c);
	c = harness_http_connect(h, AF_INET, dport);
	/* The same target in plain HTTP reaches a TLS port: no answer. */
	harness_http_puts(
	    c, harness_fmt(h,
			   "GET /plain?porty_host=localhost&porty_port=%d "
			   "HTTP/1.1\r\nHost: x\r\n\r\n",
			   tport));
	r = harness_http_response(c, 0, TT_WAIT);
	ck_assert_int_ne(r->status, 200);
	harness_stop(front);
	harness_stop(back);
	harness_free(h);
}
END_TEST

Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = harness_tcase("termination", 60);

	tcase_add_test(tc, test_tls_handshake_versions);
	tcase_add_test(tc, test_tls_bulk_echo);
	tcase_add_test(tc, test_tls_handshake_stall);
	suite_add_tcase(s, tc);
	tc = harness_tcase("origination", 60);
	tcase_add_test(tc, test_tls_origination);
	tcase_add_test(tc, test_tls_origination_bad_cert);
	suite_add_tcase(s, tc);
	tc = harness_tcase("sni", 60);
	tcase_add_test(tc, test_tls_sni_routing_split_hello);
	tcase_add_test(tc, test_tls_sni_refused);
	suite_add_tcase(s, tc);
	tc = harness_tcase("http", 60);
	tcase_add_test(tc, test_tls_http_terminate);
	tcase_add_test(tc, test_tls_http_originate);
	suite_add_tcase(s, tc);
	return s;
}
