/* SPDX-License-Identifier: MIT */
/* Unit tests of tls.c: certificate checks, TLS config keys, the transport. */
#include "auto-config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "config.h"
#include "suites.h"
#include "tls.h"
#include "tlsgen.h"

static char dir[] = "/tmp/porty-tls-XXXXXX";
static char path_buf[8][512];
static unsigned path_next;

/* DIR/NAME, in one of a few rotating buffers. */
static const char *
path(const char *name)
{
	char *p = path_buf[path_next++ % 8];

	snprintf(p, sizeof(path_buf[0]), "%s/%s", dir, name);
	return p;
}

static void
certs_setup(void)
{
	strcpy(dir, "/tmp/porty-tls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(tlsgen_write(dir), 0);
}

static void
certs_teardown(void)
{
	static const char *const files[] = {
	    "ca.pem",   "a.pem",    "a.key",     "b.pem",  "b.key",
	    "self.pem", "self.key", "other.key", "t.toml",
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		(void)unlink(path(files[i]));
	(void)rmdir(dir);
}

/* A matching pair loads; a foreign key, a missing file, a non-PEM fail. */
START_TEST(test_tls_check_pair)
{
	char err[512];

	ck_assert_int_eq(
	    tls_check_pair(path("a.pem"), path("a.key"), err, sizeof(err)), 0);
	ck_assert_int_eq(
	    tls_check_pair(path("a.pem"), path("other.key"), err, sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, "does not match") != NULL, "%s", err);
	ck_assert_int_eq(
	    tls_check_pair(path("nope.pem"), path("a.key"), err, sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
	ck_assert_int_eq(
	    tls_check_pair(path("a.key"), path("a.key"), err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no certificate") != NULL, "%s", err);
	ck_assert_int_eq(tls_check_ca(path("ca.pem"), err, sizeof(err)), 0);
	ck_assert_int_eq(tls_check_ca(path("a.key"), err, sizeof(err)), -1);
}
END_TEST

/* Write TOML into DIR/t.toml and load it (relative paths from DIR). */
static struct config *
load_file(const char *toml, struct config_errors *errs)
{
	FILE *f = fopen(path("t.toml"), "w");

	ck_assert_ptr_nonnull(f);
	fputs(toml, f);
	fclose(f);
	return config_load_file(path("t.toml"), NULL, errs);
}

/* TLS keys load, relative to the config's directory, with their defaults. */
START_TEST(test_tls_config_keys)
{
	struct config_errors errs = {NULL, 0};
	struct config *cfg = load_file("[[routes]]\n"
				       "name = \"t\"\n"
				       "listen_port = 1000\n"
				       "target_addr = \"127.0.0.1\"\n"
				       "target_port = 2000\n"
				       "tls_cert = \"a.pem\"\n"
				       "tls_key = \"a.key\"\n"
				       "target_tls = true\n"
				       "tls_ca = \"ca.pem\"\n",
				       &errs);

	ck_assert_msg(cfg != NULL, "%s", errs.n > 0 ? errs.msg[0] : "");
	ck_assert_str_eq(cfg->routes[0].tls_cert, path("a.pem"));
	ck_assert_str_eq(cfg->routes[0].tls_ca, path("ca.pem"));
	ck_assert(cfg->routes[0].target_tls);
	ck_assert(cfg->routes[0].target_tls_verify);
	ck_assert_ptr_null(cfg->routes[0].target_sni);
	config_free(cfg);
}
END_TEST

/* A key that does not match is an error at tls_cert's file:line:col. */
START_TEST(test_tls_config_mismatch)
{
	struct config_errors errs = {NULL, 0};
	char want[1024];

	ck_assert_ptr_null(load_file("[[routes]]\n"
				     "name = \"t\"\n"
				     "listen_port = 1000\n"
				     "target_addr = \"127.0.0.1\"\n"
				     "target_port = 2000\n"
				     "tls_cert = \"a.pem\"\n"
				     "tls_key = \"other.key\"\n",
				     &errs));
	ck_assert_uint_eq(errs.n, 1);
	snprintf(want, sizeof(want),
		 "%s:6:12: routes[0].tls_cert (route \"t\"): the key in %s "
		 "does not match the certificate in %s",
		 path("t.toml"), path("other.key"), path("a.pem"));
	ck_assert_str_eq(errs.msg[0], want);
	config_errors_clear(&errs);
}
END_TEST

/* A connected pair of SSLs over a socketpair: S serves a.pem, C verifies. */
struct tls_pair {
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
	struct transport ts, tc;
};

static void
tls_pair_open(struct tls_pair *p)
{
	int sv[2], rs = 0, rc = 0;

	ck_assert_int_eq(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	p->sctx = SSL_CTX_new(TLS_server_method());
	p->cctx = SSL_CTX_new(TLS_client_method());
	ck_assert_int_eq(
	    SSL_CTX_use_certificate_chain_file(p->sctx, path("a.pem")), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(p->sctx, path("a.key"),
						     SSL_FILETYPE_PEM),
			 1);
	SSL_CTX_set_mode(p->sctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_mode(p->cctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	p->s = SSL_new(p->sctx);
	p->c = SSL_new(p->cctx);
	SSL_set_fd(p->s, sv[0]);
	SSL_set_fd(p->c, sv[1]);
	SSL_set_accept_state(p->s);
	SSL_set_connect_state(p->c);
	while (rs != 1 || rc != 1) {
		if (rs != 1)
			rs = SSL_do_handshake(p->s);
		if (rc != 1)
			rc = SSL_do_handshake(p->c);
	}
	p->ts = (struct transport){&tls_transport_ops, p->s, sv[0], 0, 0};
	p->tc = (struct transport){&tls_transport_ops, p->c, sv[1], 0, 0};
}

static void
tls_pair_close(struct tls_pair *p)
{
	p->ts.ops->close(&p->ts);
	p->tc.ops->close(&p->tc);
	ck_assert_int_eq(p->ts.fd, -1);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
}

/* Reads that find nothing want READ; bytes and the end pass through. */
START_TEST(test_tls_transport_read_write)
{
	struct tls_pair p;
	char buf[64];
	size_t n = 1;

	tls_pair_open(&p);
	ck_assert_str_eq(tls_version(&p.ts), "TLSv1.3");
	ck_assert_int_eq(p.ts.ops->read(&p.ts, buf, sizeof(buf), &n), IO_AGAIN);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(p.ts.want, TRANSPORT_WANT_READ);
	ck_assert_int_eq(p.tc.ops->write(&p.tc, "hello", 5, &n), IO_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(p.ts.ops->read(&p.ts, buf, sizeof(buf), &n), IO_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert(memcmp(buf, "hello", 5) == 0);
	ck_assert(!p.ts.ops->pending(&p.ts));
	/* A record read in part leaves bytes inside the transport. */
	ck_assert_int_eq(p.tc.ops->write(&p.tc, "0123456789", 10, &n), IO_OK);
	ck_assert_int_eq(p.ts.ops->read(&p.ts, buf, 4, &n), IO_OK);
	ck_assert(p.ts.ops->pending(&p.ts));
	ck_assert_int_eq(p.ts.ops->read(&p.ts, buf, sizeof(buf), &n), IO_OK);
	ck_assert_uint_eq(n, 6);
	/* shutdown: close_notify and FIN, read as the end of the stream */
	ck_assert_int_eq(p.tc.ops->shutdown(&p.tc), IO_OK);
	ck_assert_int_eq(p.ts.ops->read(&p.ts, buf, sizeof(buf), &n), IO_EOF);
	/* and the other direction still works (half-close) */
	ck_assert_int_eq(p.ts.ops->write(&p.ts, "back", 4, &n), IO_OK);
	ck_assert_int_eq(p.tc.ops->read(&p.tc, buf, sizeof(buf), &n), IO_OK);
	ck_assert_uint_eq(n, 4);
	tls_pair_close(&p);
}
END_TEST

/* A full socket: the write counts what went out and wants WRITE. */
START_TEST(test_tls_transport_short_write)
{
	static char big[1 << 20];
	struct tls_pair p;
	enum io_rc rc;
	size_t n = 0, total = 0;
	char buf[16384];

	tls_pair_open(&p);
	rc = p.ts.ops->write(&p.ts, big, sizeof(big), &n);
	ck_assert_int_eq(rc, IO_AGAIN);
	ck_assert_uint_eq(p.ts.want, TRANSPORT_WANT_WRITE);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_lt(n, sizeof(big));
	/* Drain it all: what was counted is what arrives, after a retry. */
	total = n;
	while (total < sizeof(big)) {
		size_t got;

		while (p.tc.ops->read(&p.tc, buf, sizeof(buf), &got) == IO_OK)
			;
		rc = p.ts.ops->write(&p.ts, big + total, sizeof(big) - total,
				     &n);
		ck_assert(rc == IO_OK || rc == IO_AGAIN);
		total += n;
	}
	tls_pair_close(&p);
}
END_TEST

/* A peer that vanishes without close_notify is an end of stream too. */
START_TEST(test_tls_transport_fin_is_eof)
{
	struct tls_pair p;
	char buf[16];
	size_t n;

	tls_pair_open(&p);
	SSL_CTX_set_options(p.sctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_set_options(p.s, SSL_OP_IGNORE_UNEXPECTED_EOF);
	ck_assert_int_eq(shutdown(p.tc.fd, SHUT_WR), 0);
	ck_assert_int_eq(p.ts.ops->read(&p.ts, buf, sizeof(buf), &n), IO_EOF);
	tls_pair_close(&p);
}
END_TEST

Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("certificates");

	tcase_add_checked_fixture(tc, certs_setup, certs_teardown);
	tcase_add_test(tc, test_tls_check_pair);
	tcase_add_test(tc, test_tls_config_keys);
	tcase_add_test(tc, test_tls_config_mismatch);
	suite_add_tcase(s, tc);
	tc = tcase_create("transport");
	tcase_add_checked_fixture(tc, certs_setup, certs_teardown);
	tcase_add_test(tc, test_tls_transport_read_write);
	tcase_add_test(tc, test_tls_transport_short_write);
	tcase_add_test(tc, test_tls_transport_fin_is_eof);
	suite_add_tcase(s, tc);
	return s;
}
