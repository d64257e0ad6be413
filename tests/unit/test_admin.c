/* SPDX-License-Identifier: MIT */
/* Unit tests of admin.c: the answer to each kind of request head. */
#include "auto-config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "config.h"
#include "metrics.h"
#include "stats.h"
#include "suites.h"

static const struct answer_case {
	const char *head;
	unsigned status;
	const char *has; /* in the response */
} answer_cases[] = {
    {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200,
     "Content-Type: text/plain; version=0.0.4"},
    {"GET /metrics?x=1 HTTP/1.0\r\n\r\n", 200, "porty_connections_total{"},
    {"GET /status HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n", 200,
     "Content-Type: application/json"},
    {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 404, "\r\n\r\n404 Not Found\n"},
    {"GET /metricsx HTTP/1.1\r\n\r\n", 404, "Connection: close"},
    {"GET /Metrics HTTP/1.1\r\n\r\n", 404, NULL},
    {"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405,
     "Allow: GET, HEAD\r\n"},
    {"DELETE /status HTTP/1.1\r\n\r\n", 405, NULL},
    {"get /metrics HTTP/1.1\r\n\r\n", 405, NULL},
    {"GET /metrics HTTP/2.0\r\n\r\n", 505, NULL},
    {"GET /metrics\r\n\r\n", 400, NULL},
    {"GET metrics HTTP/1.1\r\n\r\n", 400, NULL},
    {"GET  /metrics HTTP/1.1\r\n\r\n", 400, NULL},
    {"GET /metrics HTTP/1.1 \r\n\r\n", 400, NULL},
    {"GET /metrics HTTP/1.1\r\nNo colon\r\n\r\n", 400, NULL},
    {"GET /metrics HTTP/1.1\r\nBad name: v\r\n\r\n", 400, NULL},
    {"GET /metrics HTTP/1.1\r\n folded: v\r\n\r\n", 400, NULL},
    {"GET /metrics HTTP/1.1\r\nA: b\nC: d\r\n\r\n", 400, NULL},
    {"G\x01T /metrics HTTP/1.1\r\n\r\n", 400, NULL},
    {"\x16\x03\x01\x02\x00\r\n\r\n", 400, "400 Bad Request\n"},
};

static struct config *cfg;
static struct stats *st;

static void
setup(void)
{
	static const char toml[] = "listen_port = 5001\ntarget_port = 6001\n";
	struct config_errors errs = {NULL, 0};

	cfg = config_load_string(toml, strlen(toml), "t.toml", NULL, &errs);
	ck_assert_ptr_nonnull(cfg);
	st = stats_new();
	ck_assert_int_eq(stats_attach(st, cfg), 0);
}

static void
teardown(void)
{
	stats_free(st);
	config_free(cfg);
}

/* Each head gets its status, a complete response, and Connection: close. */
START_TEST(test_admin_answer_table)
{
	const struct answer_case *c = &answer_cases[_i];
	struct metrics_text t = {NULL, 0, 0, false};
	char line[64];
	const char *body;
	unsigned long clen;

	ck_assert_uint_eq(
	    admin_answer(st, c->head, strlen(c->head), st->start, &t),
	    c->status);
	snprintf(line, sizeof(line), "HTTP/1.1 %u ", c->status);
	ck_assert(strncmp(t.p, line, strlen(line)) == 0);
	ck_assert_ptr_nonnull(strstr(t.p, "\r\nConnection: close\r\n"));
	body = strstr(t.p, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_int_eq(sscanf(strstr(t.p, "Content-Length: "),
				"Content-Length: %lu", &clen),
			 1);
	ck_assert_uint_eq(clen, t.len - (size_t)(body + 4 - t.p));
	if (c->has != NULL)
		ck_assert_ptr_nonnull(strstr(t.p, c->has));
	metrics_text_free(&t);
}
END_TEST

/* HEAD gets the heads of GET, with GET's Content-Length, and no body. */
START_TEST(test_admin_answer_head)
{
	struct metrics_text g = {NULL, 0, 0, false}, h = {NULL, 0, 0, false};
	static const char get[] = "GET /metrics HTTP/1.1\r\n\r\n";
	static const char head[] = "HEAD /metrics HTTP/1.1\r\n\r\n";

	ck_assert_uint_eq(admin_answer(st, get, strlen(get), 0, &g), 200);
	ck_assert_uint_eq(admin_answer(st, head, strlen(head), 0, &h), 200);
	ck_assert_uint_eq(h.len, (size_t)(strstr(g.p, "\r\n\r\n") + 4 - g.p));
	ck_assert(memcmp(g.p, h.p, h.len) == 0);
	metrics_text_free(&g);
	metrics_text_free(&h);
}
END_TEST

Suite *
admin_suite(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("admin_answer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(
	    tc, test_admin_answer_table, 0,
	    (int)(sizeof(answer_cases) / sizeof(answer_cases[0])));
	tcase_add_test(tc, test_admin_answer_head);
	suite_add_tcase(s, tc);
	return s;
}
