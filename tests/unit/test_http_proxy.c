/* SPDX-License-Identifier: MIT */
/* Unit tests of http_proxy.c's pure parts: the 508 loop check. */
#include "auto-config.h"

#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include "addr.h"
#include "http_proxy.h"
#include "suites.h"

/* An address from TEXT ("1.2.3.4" or "::1") and PORT. */
static struct addr
mk(const char *text, unsigned port)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(text, ':') != NULL) {
		a.u.in6.sin6_family = AF_INET6;
		a.u.in6.sin6_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET6, text, &a.u.in6.sin6_addr),
				 1);
		a.len = sizeof(a.u.in6);
	} else {
		a.u.in.sin_family = AF_INET;
		a.u.in.sin_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET, text, &a.u.in.sin_addr), 1);
		a.len = sizeof(a.u.in);
	}
	return a;
}

static const struct self_case {
	const char *listen;
	unsigned lport;
	const char *target;
	unsigned tport;
	bool self;
} self_cases[] = {
    {"127.0.0.1", 8080, "127.0.0.1", 8080, true},
    {"127.0.0.1", 8080, "127.0.0.1", 8081, false},
    {"127.0.0.1", 8080, "127.0.0.2", 8080, false},
    {"0.0.0.0", 8080, "127.0.0.1", 8080, true},
    {"0.0.0.0", 8080, "127.9.9.9", 8080, true},
    {"0.0.0.0", 8080, "0.0.0.0", 8080, true},
    {"0.0.0.0", 8080, "10.0.0.1", 8080, false},
    {"0.0.0.0", 8080, "::1", 8080, false},
    {"10.0.0.1", 8080, "10.0.0.1", 8080, true},
    {"::1", 8080, "::1", 8080, true},
    {"::1", 8080, "127.0.0.1", 8080, false},
    {"::", 8080, "::1", 8080, true},
    {"::", 8080, "127.0.0.1", 8080, true},
    {"::", 8080, "::1", 8081, false},
    {"::", 8080, "2001:db8::1", 8080, false},
};

/* A dynamic target is porty's own listener exactly as the cases say. */
START_TEST(test_http_proxy_is_self_cases)
{
	const struct self_case *k = &self_cases[_i];
	struct addr l = mk(k->listen, k->lport), t = mk(k->target, k->tport);

	ck_assert_msg(http_proxy_is_self(&t, &l, 1) == k->self,
		      "%s:%u vs listener %s:%u: expected %s", k->target,
		      k->tport, k->listen, k->lport, k->self ? "self" : "other");
}
END_TEST

/* Several listeners: any one of them matches; none never does. */
START_TEST(test_http_proxy_is_self_list)
{
	struct addr l[2] = {mk("127.0.0.1", 80), mk("::1", 81)};
	struct addr t1 = mk("::1", 81), t2 = mk("::1", 80);

	ck_assert(http_proxy_is_self(&t1, l, 2));
	ck_assert(!http_proxy_is_self(&t2, l, 2));
	ck_assert(!http_proxy_is_self(&t1, l, 0));
}
END_TEST

Suite *
http_proxy_suite(void)
{
	Suite *s = suite_create("http_proxy");
	TCase *tc = tcase_create("is_self");

	tcase_add_loop_test(tc, test_http_proxy_is_self_cases, 0,
			    (int)(sizeof(self_cases) / sizeof(self_cases[0])));
	tcase_add_test(tc, test_http_proxy_is_self_list);
	suite_add_tcase(s, tc);
	return s;
}
