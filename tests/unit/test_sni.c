/* SPDX-License-Identifier: MIT */
/* Unit tests of sni.c: ClientHello parsing over every split, and matching. */
#include "auto-config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "config.h"
#include "sni.h"
#include "suites.h"

/* A ClientHello body: NAME in a server_name extension (NULL: none). */
static size_t
sni_body(unsigned char *p, const char *name, bool extensions)
{
	size_t n = 0, nlen = name != NULL ? strlen(name) : 0, ext;

	p[n++] = 3;
	p[n++] = 3; /* legacy_version */
	memset(p + n, 0x5a, 32);
	n += 32;    /* random */
	p[n++] = 0; /* session id */
	p[n++] = 0;
	p[n++] = 2;
	p[n++] = 0x13;
	p[n++] = 0x01; /* one cipher suite */
	p[n++] = 1;
	p[n++] = 0; /* null compression */
	if (!extensions)
		return n;
	/* a supported_versions extension first, then server_name */
	ext = 4 + 3 + (name != NULL ? 4 + 5 + nlen : 0);
	p[n++] = (unsigned char)(ext >> 8);
	p[n++] = (unsigned char)ext;
	p[n++] = 0;
	p[n++] = 43;
	p[n++] = 0;
	p[n++] = 3;
	p[n++] = 2;
	p[n++] = 3;
	p[n++] = 4;
	if (name != NULL) {
		p[n++] = 0;
		p[n++] = 0; /* server_name */
		p[n++] = (unsigned char)((nlen + 5) >> 8);
		p[n++] = (unsigned char)(nlen + 5);
		p[n++] = (unsigned char)((nlen + 3) >> 8);
		p[n++] = (unsigned char)(nlen + 3);
		p[n++] = 0; /* host_name */
		p[n++] = (unsigned char)(nlen >> 8);
		p[n++] = (unsigned char)nlen;
		memcpy(p + n, name, nlen);
		n += nlen;
	}
	return n;
}

/*
 * BODY (LEN bytes) as a ClientHello handshake message in records of at
 * most FRAG bytes each, into OUT; returns the length.
 */
static size_t
sni_records(unsigned char *out, const unsigned char *body, size_t len,
	    size_t frag)
{
	unsigned char hs[SNI_HELLO_MAX + 4];
	size_t hlen = len + 4, off = 0, n = 0, k;

	hs[0] = 1;
	hs[1] = (unsigned char)(len >> 16);
	hs[2] = (unsigned char)(len >> 8);
	hs[3] = (unsigned char)len;
	memcpy(hs + 4, body, len);
	while (off < hlen) {
		k = hlen - off < frag ? hlen - off : frag;
		out[n++] = 22;
		out[n++] = 3;
		out[n++] = 1;
		out[n++] = (unsigned char)(k >> 8);
		out[n++] = (unsigned char)k;
		memcpy(out + n, hs + off, k);
		n += k;
		off += k;
	}
	return n;
}

/* A hand-made ClientHello for NAME in records of FRAG bytes. */
static size_t
sni_hello(unsigned char *out, const char *name, size_t frag)
{
	unsigned char body[1024];

	return sni_records(out, body, sni_body(body, name, true), frag);
}

/* Every proper prefix is SNI_MORE, the whole is FOUND with the name. */
static void
sni_check_prefixes(const unsigned char *msg, size_t len, const char *want)
{
	char name[SNI_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < len; i++)
		ck_assert_msg(sni_parse(msg, i, name) == SNI_MORE,
			      "prefix of %zu/%zu bytes", i, len);
	ck_assert_int_eq(sni_parse(msg, len, name), SNI_FOUND);
	ck_assert_str_eq(name, want);
}

/* A ClientHello in one record is read at every split point. */
START_TEST(test_sni_parse_every_split)
{
	unsigned char msg[2048];

	sni_check_prefixes(msg, sni_hello(msg, "a.example.com", 16384),
			   "a.example.com");
}
END_TEST

/* A ClientHello fragmented over records of 1..7 bytes is joined. */
START_TEST(test_sni_parse_fragmented_records)
{
	unsigned char msg[4096];
	size_t frag;

	for (frag = 1; frag <= 7; frag++)
		sni_check_prefixes(msg, sni_hello(msg, "frag.test", frag),
				   "frag.test");
}
END_TEST

/* A ClientHello that OpenSSL itself writes, with all its extensions. */
START_TEST(test_sni_parse_openssl_hello)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	unsigned char msg[8192];
	int len;

	ck_assert_ptr_nonnull(ssl);
	SSL_set_bio(ssl, rb, wb);
	ck_assert_int_eq(SSL_set_tlsext_host_name(ssl, "Real.Example.ORG"), 1);
	ck_assert_int_eq(SSL_connect(ssl), -1); /* waits for the server */
	len = BIO_read(wb, msg, sizeof(msg));
	ck_assert_int_gt(len, 100);
	sni_check_prefixes(msg, (size_t)len, "Real.Example.ORG");
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}
END_TEST

/* A trailing dot is dropped; no extension or no server_name is NONE. */
START_TEST(test_sni_parse_none_and_dot)
{
	unsigned char body[1024], msg[2048];
	char name[SNI_NAME_MAX + 1];
	size_t n;

	n = sni_hello(msg, "dot.test.", 16384);
	ck_assert_int_eq(sni_parse(msg, n, name), SNI_FOUND);
	ck_assert_str_eq(name, "dot.test");
	n = sni_records(msg, body, sni_body(body, NULL, true), 16384);
	ck_assert_int_eq(sni_parse(msg, n, name), SNI_NONE);
	n = sni_records(msg, body, sni_body(body, NULL, false), 16384);
	ck_assert_int_eq(sni_parse(msg, n, name), SNI_NONE);
}
END_TEST

/* What is not a ClientHello is refused as soon as a byte shows it. */
START_TEST(test_sni_parse_bad)
{
	unsigned char msg[2048], body[1024];
	char name[SNI_NAME_MAX + 1], big[300];
	size_t n;

	ck_assert_int_eq(sni_parse((const unsigned char *)"G", 1, name),
			 SNI_BAD);
	ck_assert_int_eq(
	    sni_parse((const unsigned char *)"GET / HTTP/1.1\r\n", 16, name),
	    SNI_BAD);
	/* an SSLv2-style or wrong-version record */
	ck_assert_int_eq(sni_parse((const unsigned char *)"\x16\x02", 2, name),
			 SNI_BAD);
	/* an empty record */
	ck_assert_int_eq(
	    sni_parse((const unsigned char *)"\x16\x03\x01\x00\x00", 5, name),
	    SNI_BAD);
	/* a record longer than TLS allows */
	ck_assert_int_eq(
	    sni_parse((const unsigned char *)"\x16\x03\x01\x48\x01", 5, name),
	    SNI_BAD);
	/* a ServerHello, not a ClientHello */
	n = sni_hello(msg, "x.test", 16384);
	msg[5] = 2;
	ck_assert_int_eq(sni_parse(msg, n, name), SNI_BAD);
	/* a handshake message announcing more than SNI_HELLO_MAX */
	n = sni_hello(msg, "x.test", 16384);
	msg[6] = 1;
	ck_assert_int_eq(sni_parse(msg, 9, name), SNI_BAD);
	/* a name with a byte no host name has */
	n = sni_hello(msg, "bad/name.test", 16384);
	ck_assert_int_eq(sni_parse(msg, n, name), SNI_BAD);
	/* a name longer than DNS allows */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = sni_hello(msg, big, 16384);
	ck_assert_int_eq(sni_parse(msg, n, name), SNI_BAD);
	/* extension lengths that overrun the message */
	n = sni_body(body, "x.test", true);
	body[n - 12] = 0x7f; /* the server_name extension's length */
	n = sni_records(msg, body, n, 16384);
	ck_assert_int_eq(sni_parse(msg, n, name), SNI_BAD);
	/* an odd cipher suite length */
	n = sni_body(body, "x.test", true);
	body[36] = 3;
	n = sni_records(msg, body, n, 16384);
	ck_assert_int_eq(sni_parse(msg, n, name), SNI_BAD);
}
END_TEST

/* Exact names win over wildcards, the longest wildcard over shorter ones. */
START_TEST(test_sni_pick)
{
	static char p0[] = "*.example.com", p1[] = "a.example.com",
		    p2[] = "b.test", p3[] = "*.deep.example.com";
	char *l0[] = {p0}, *l1[] = {p1, p2}, *l2[] = {p3};
	struct strlist s0 = {l0, 1}, s1 = {l1, 2}, s2 = {l2, 1};
	const struct strlist *lists[] = {&s0, &s1, &s2};
	size_t i = 99;

	ck_assert(sni_pick(lists, 3, "A.Example.COM", &i));
	ck_assert_uint_eq(i, 1);
	ck_assert(sni_pick(lists, 3, "x.example.com", &i));
	ck_assert_uint_eq(i, 0);
	ck_assert(sni_pick(lists, 3, "x.deep.example.com", &i));
	ck_assert_uint_eq(i, 2);
	ck_assert(sni_pick(lists, 3, "b.test", &i));
	ck_assert_uint_eq(i, 1);
	ck_assert(!sni_pick(lists, 3, "example.com", &i));
	ck_assert(!sni_pick(lists, 3, "c.test", &i));
	ck_assert(!sni_pick(lists, 3, "xexample.com", &i));
}
END_TEST

Suite *
sni_suite(void)
{
	Suite *s = suite_create("sni");
	TCase *tc = tcase_create("sni_parse");

	tcase_add_test(tc, test_sni_parse_every_split);
	tcase_add_test(tc, test_sni_parse_fragmented_records);
	tcase_add_test(tc, test_sni_parse_openssl_hello);
	tcase_add_test(tc, test_sni_parse_none_and_dot);
	tcase_add_test(tc, test_sni_parse_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("sni_pick");
	tcase_add_test(tc, test_sni_pick);
	suite_add_tcase(s, tc);
	return s;
}
