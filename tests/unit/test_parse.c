/* SPDX-License-Identifier: MIT */
/* Unit tests of parse.c: bounded integers, ports, enums, edit distance. */
#include "auto-config.h"

#include <check.h>
#include <string.h>

#include "parse.h"
#include "suites.h"

static const struct uint_case {
	const char *in;
	unsigned long long min, max;
	int rc;
	unsigned long long out;
	const char *err;
} uint_cases[] = {
	{"0", 0, 10, 0, 0, NULL},
	{"10", 0, 10, 0, 10, NULL},
	{"11", 0, 10, -1, 0, "too large"},
	{"0", 1, 10, -1, 0, "too small"},
	{"", 0, 10, -1, 0, "invalid"},
	{"-1", 0, 10, -1, 0, "invalid"},
	{"+1", 0, 10, -1, 0, "invalid"},
	{" 1", 0, 10, -1, 0, "invalid"},
	{"1x", 0, 10, -1, 0, "invalid"},
	{"99999999999999999999999", 0, 10, -1, 0, "too large"},
};

/* parse_uint() accepts plain decimals within bounds and names the problem otherwise. */
START_TEST(test_parse_uint_table)
{
	const struct uint_case *c = &uint_cases[_i];
	unsigned long long out = 12345;
	const char *err = NULL;

	ck_assert_int_eq(parse_uint(c->in, c->min, c->max, &out, &err), c->rc);
	if (c->rc == 0) {
		ck_assert_uint_eq(out, c->out);
		ck_assert_ptr_null(err);
	} else {
		ck_assert_str_eq(err, c->err);
		ck_assert_uint_eq(out, 12345);
	}
}
END_TEST

/* parse_port() takes 1..65535 only. */
START_TEST(test_parse_port_bounds)
{
	unsigned port = 0;
	const char *err;

	ck_assert_int_eq(parse_port("1", &port, &err), 0);
	ck_assert_uint_eq(port, 1);
	ck_assert_int_eq(parse_port("65535", &port, &err), 0);
	ck_assert_uint_eq(port, 65535);
	ck_assert_int_eq(parse_port("0", &port, &err), -1);
	ck_assert_int_eq(parse_port("65536", &port, &err), -1);
	ck_assert_int_eq(parse_port("http", &port, &err), -1);
}
END_TEST

/* parse_enum() finds exact words only. */
START_TEST(test_parse_enum_exact)
{
	static const char *const words[] = {"tcp", "http", NULL};

	ck_assert_int_eq(parse_enum("tcp", words), 0);
	ck_assert_int_eq(parse_enum("http", words), 1);
	ck_assert_int_eq(parse_enum("HTTP", words), -1);
	ck_assert_int_eq(parse_enum("htp", words), -1);
}
END_TEST

/* parse_distance() counts edits, transpositions as one, capped past the limit. */
START_TEST(test_parse_distance_edits)
{
	ck_assert_uint_eq(parse_distance("listen_port", "listen_port", 2), 0);
	ck_assert_uint_eq(parse_distance("listen_prot", "listen_port", 2), 1);
	ck_assert_uint_eq(parse_distance("lsten_port", "listen_port", 2), 1);
	ck_assert_uint_eq(parse_distance("max_conection", "max_connections", 2),
	    2);
	ck_assert_uint_eq(parse_distance("abc", "xyzuvw", 2), 3);
	ck_assert_uint_eq(parse_distance("name", "mode", 2), 3);
	ck_assert_uint_eq(parse_distance("nmae", "name", 2), 1);
}
END_TEST

Suite *
parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse_uint");

	tcase_add_loop_test(tc, test_parse_uint_table, 0,
	    (int)(sizeof(uint_cases) / sizeof(uint_cases[0])));
	tcase_add_test(tc, test_parse_port_bounds);
	suite_add_tcase(s, tc);
	tc = tcase_create("words");
	tcase_add_test(tc, test_parse_enum_exact);
	tcase_add_test(tc, test_parse_distance_edits);
	suite_add_tcase(s, tc);
	return s;
}
