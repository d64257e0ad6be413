/* SPDX-License-Identifier: MIT */
/* Unit tests of addr.c: "host:port" splitting, resolution, text forms. */
#include "auto-config.h"

#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "addr.h"
#include "suites.h"

/* addr_split() inputs and results: host and port, or an error with err. */
static const struct split_case {
	const char *text;
	const char *host; /* NULL: an error is expected */
	unsigned port;
	const char *err; /* part of the error message */
} split_cases[] = {
    {"127.0.0.1:8080", "127.0.0.1", 8080, NULL},
    {"example.com:443", "example.com", 443, NULL},
    {"localhost:1", "localhost", 1, NULL},
    {"[::1]:3000", "::1", 3000, NULL},
    {"[fe80::1%eth0]:65535", "fe80::1%eth0", 65535, NULL},
    {"[2001:db8::7]:80", "2001:db8::7", 80, NULL},
    {"::1:3000", NULL, 0, "needs brackets"},
    {"127.0.0.1", NULL, 0, "missing port"},
    {"[::1]", NULL, 0, "missing port"},
    {"[::1:80", NULL, 0, "missing ']'"},
    {"[]:80", NULL, 0, "missing host"},
    {":80", NULL, 0, "missing host"},
    {"host:0", NULL, 0, "1..65535"},
    {"host:65536", NULL, 0, "1..65535"},
    {"host:", NULL, 0, "1..65535"},
    {"host:80x", NULL, 0, "1..65535"},
    {"host:-1", NULL, 0, "1..65535"},
    {"host: 80", NULL, 0, "1..65535"},
};

/* Each split case gives its host and port, or an error naming the problem. */
START_TEST(test_addr_split_cases)
{
	const struct split_case *tc = &split_cases[_i];
	char host[64], err[128];
	unsigned port = 0;
	int rc;

	err[0] = '\0';
	rc = addr_split(tc->text, host, sizeof(host), &port, err, sizeof(err));
	if (tc->host != NULL) {
		ck_assert_msg(rc == 0, "%s: %s", tc->text, err);
		ck_assert_str_eq(host, tc->host);
		ck_assert_uint_eq(port, tc->port);
	} else {
		ck_assert_msg(rc == -1, "%s: accepted", tc->text);
		ck_assert_msg(strstr(err, tc->err) != NULL, "%s: \"%s\"",
			      tc->text, err);
	}
}
END_TEST

/* A host longer than the caller's buffer is refused, not cut. */
START_TEST(test_addr_split_host_too_long)
{
	char host[8], err[128];
	unsigned port;

	ck_assert_int_eq(addr_split("abcdefgh:80", host, sizeof(host), &port,
				    err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
}
END_TEST

/* Literals resolve without DNS, brackets too; the text form round-trips. */
static const struct resolve_case {
	const char *host;
	unsigned port;
	const char *text;
} resolve_cases[] = {
    {"127.0.0.1", 80, "127.0.0.1:80"},
    {"0.0.0.0", 8080, "0.0.0.0:8080"},
    {"::1", 3000, "[::1]:3000"},
    {"[::1]", 3000, "[::1]:3000"},
    {"::", 65535, "[::]:65535"},
    {"2001:db8::7", 443, "[2001:db8::7]:443"},
    {"::ffff:10.1.2.3", 22, "10.1.2.3:22"},
};

START_TEST(test_addr_resolve_literals)
{
	const struct resolve_case *tc = &resolve_cases[_i];
	char text[ADDR_TEXT_MAX], err[128];
	struct addr a[4];
	size_t n;

	ck_assert_msg(addr_resolve(tc->host, tc->port, false, a, 4, &n, err,
				   sizeof(err)) == 0,
		      "%s: %s", tc->host, err);
	ck_assert_uint_eq(n, 1);
	addr_format(&a[0], text, sizeof(text));
	ck_assert_str_eq(text, tc->text);
}
END_TEST

/* A name from /etc/hosts resolves; a malformed one is a resolver error. */
START_TEST(test_addr_resolve_names)
{
	char err[128];
	struct addr a[8];
	size_t n;

	ck_assert_int_eq(
	    addr_resolve("localhost", 1, false, a, 8, &n, err, sizeof(err)), 0);
	ck_assert_uint_ge(n, 1);
	/* At most MAX results. */
	ck_assert_int_eq(
	    addr_resolve("localhost", 1, true, a, 1, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(
	    addr_resolve("[]", 1, false, a, 8, &n, err, sizeof(err)), -1);
	ck_assert_int_eq(addr_resolve("bad host name!", 1, false, a, 8, &n, err,
				      sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "bad host name!"));
}
END_TEST

/* Text forms: IPv6 in brackets, mapped IPv4 plain, short buffers cut. */
START_TEST(test_addr_format)
{
	char text[ADDR_TEXT_MAX];
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.u.in6.sin6_family = AF_INET6;
	a.u.in6.sin6_port = htons(65535);
	memset(&a.u.in6.sin6_addr, 0xff, sizeof(a.u.in6.sin6_addr));
	a.len = sizeof(a.u.in6);
	ck_assert_uint_eq(
	    addr_format(&a, text, sizeof(text)),
	    strlen("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"));
	ck_assert_str_eq(text,
			 "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");

	memset(&a, 0, sizeof(a));
	a.u.in.sin_family = AF_INET;
	a.u.in.sin_port = htons(8080);
	a.u.in.sin_addr.s_addr = htonl(0x7f000001);
	a.len = sizeof(a.u.in);
	ck_assert_uint_eq(addr_format(&a, text, sizeof(text)), 14);
	ck_assert_str_eq(text, "127.0.0.1:8080");
	ck_assert_uint_eq(addr_format(&a, text, 5), 4);
	ck_assert_str_eq(text, "127.");
}
END_TEST

/* host:port text of configured targets: brackets for IPv6 literals only. */
START_TEST(test_addr_format_hostport)
{
	char text[64];

	addr_format_hostport("::1", 3000, text, sizeof(text));
	ck_assert_str_eq(text, "[::1]:3000");
	addr_format_hostport("[::1]", 3000, text, sizeof(text));
	ck_assert_str_eq(text, "[::1]:3000");
	addr_format_hostport("10.0.0.1", 80, text, sizeof(text));
	ck_assert_str_eq(text, "10.0.0.1:80");
	addr_format_hostport("db.internal", 5432, text, sizeof(text));
	ck_assert_str_eq(text, "db.internal:5432");
	ck_assert_uint_eq(addr_format_hostport("db.internal", 5432, text, 4),
			  16);
}
END_TEST

/* addr_equal compares family, address and port. */
START_TEST(test_addr_equal)
{
	struct addr a[1], b[1], c[1];
	char err[128];
	size_t n;

	ck_assert_int_eq(
	    addr_resolve("::1", 80, false, a, 1, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(
	    addr_resolve("[::1]", 80, false, b, 1, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(
	    addr_resolve("::1", 81, false, c, 1, &n, err, sizeof(err)), 0);
	ck_assert(addr_equal(a, b));
	ck_assert(!addr_equal(a, c));
}
END_TEST

Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc;

	tc = tcase_create("addr_split");
	tcase_add_loop_test(
	    tc, test_addr_split_cases, 0,
	    (int)(sizeof(split_cases) / sizeof(split_cases[0])));
	tcase_add_test(tc, test_addr_split_host_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("addr_resolve");
	tcase_add_loop_test(
	    tc, test_addr_resolve_literals, 0,
	    (int)(sizeof(resolve_cases) / sizeof(resolve_cases[0])));
	tcase_add_test(tc, test_addr_resolve_names);
	tcase_add_test(tc, test_addr_equal);
	suite_add_tcase(s, tc);

	tc = tcase_create("addr_format");
	tcase_add_test(tc, test_addr_format);
	tcase_add_test(tc, test_addr_format_hostport);
	suite_add_tcase(s, tc);
	return s;
}
