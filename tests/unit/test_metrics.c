/* SPDX-License-Identifier: MIT */
/* Unit tests of stats.c and metrics.c: counters, Prometheus text, status. */
#include "auto-config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "stats.h"
#include "suites.h"

/* Two tcp routes (one disabled) and an http route with a awkward name. */
static const char two_routes[] = "[[routes]]\n"
				 "name = \"db\"\n"
				 "listen_addr = \"127.0.0.1\"\n"
				 "listen_port = 5001\n"
				 "target_addr = \"127.0.0.1\"\n"
				 "target_port = 6001\n"
				 "[[routes]]\n"
				 "name = \"off\"\n"
				 "enabled = false\n"
				 "listen_port = 5002\n"
				 "target_addr = \"127.0.0.1\"\n"
				 "target_port = 6002\n"
				 "[[routes]]\n"
				 "name = \"we\\\"b\\\\\"\n"
				 "mode = \"http\"\n"
				 "listen_addr = \"::1\"\n"
				 "listen_port = 5003\n"
				 "target_addr = \"127.0.0.1\"\n"
				 "target_port = 6003\n";

static struct config *
load(const char *toml)
{
	struct config_errors errs = {NULL, 0};
	struct config *cfg;

	cfg = config_load_string(toml, strlen(toml), "t.toml", NULL, &errs);
	if (cfg == NULL && errs.n > 0)
		fprintf(stderr, "%s\n", errs.msg[0]);
	config_errors_clear(&errs);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

/* Whether TEXT has LINE as one whole line. */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p += n;
	}
	return false;
}

/* Enabled routes get counters, disabled ones none; bumps on NULL are safe. */
START_TEST(test_stats_attach_enabled_only)
{
	struct config *cfg = load(two_routes);
	struct stats *st = stats_new();

	ck_assert_int_eq(stats_attach(st, cfg), 0);
	ck_assert_ptr_nonnull(cfg->routes[0].stats);
	ck_assert_ptr_null(cfg->routes[1].stats);
	ck_assert_ptr_nonnull(cfg->routes[2].stats);
	ck_assert_uint_eq(stats_current(st), 2);
	ck_assert_str_eq(cfg->routes[0].stats->listen, "127.0.0.1:5001");
	ck_assert_str_eq(cfg->routes[2].stats->listen, "[::1]:5003");
	ck_assert(!cfg->routes[0].stats->http);
	ck_assert(cfg->routes[2].stats->http);
	stats_conn_open(NULL);
	stats_conn_close(NULL, 1, 2);
	stats_request(NULL, 200, 1, 2, 0.1);
	stats_retry(NULL);
	stats_connect_failed(NULL);
	stats_free(st);
	config_free(cfg);
}
END_TEST

/* A reload keeps the counters of a route by name and hides a removed one. */
START_TEST(test_stats_attach_keeps_by_name)
{
	struct config *a = load(two_routes), *b;
	struct stats *st = stats_new();
	struct route_stats *db;

	ck_assert_int_eq(stats_attach(st, a), 0);
	db = a->routes[0].stats;
	stats_conn_open(db);
	stats_conn_close(db, 10, 20);
	b = load("[[routes]]\nname = \"new\"\nlisten_port = 5009\n"
		 "target_addr = \"127.0.0.1\"\ntarget_port = 6009\n"
		 "[[routes]]\nname = \"db\"\nlisten_port = 5001\n"
		 "target_addr = \"127.0.0.1\"\ntarget_port = 6001\n");
	ck_assert_int_eq(stats_attach(st, b), 0);
	ck_assert_ptr_eq(b->routes[1].stats, db);
	ck_assert_uint_eq(db->bytes_in, 10);
	ck_assert_uint_eq(db->conns_total, 1);
	ck_assert_uint_eq(stats_current(st), 2);
	ck_assert_ptr_eq(st->v[0], b->routes[0].stats); /* config order */
	ck_assert_ptr_eq(st->v[1], db);
	ck_assert_uint_eq(st->n, 3); /* the http route, hidden */
	ck_assert(!st->v[2]->current);
	stats_free(st);
	config_free(a);
	config_free(b);
}
END_TEST

/* Connection counters: active goes up and down; tcp bytes at close only. */
START_TEST(test_stats_conn_counts)
{
	struct route_stats s;

	memset(&s, 0, sizeof(s));
	stats_conn_open(&s);
	stats_conn_open(&s);
	ck_assert_uint_eq(s.conns_active, 2);
	stats_conn_close(&s, 5, 7);
	stats_conn_close(&s, 1, 1);
	ck_assert_uint_eq(s.conns_active, 0);
	ck_assert_uint_eq(s.conns_total, 2);
	ck_assert_uint_eq(s.bytes_in, 6);
	ck_assert_uint_eq(s.bytes_out, 8);
	s.http = true; /* http counts bytes per request instead */
	stats_conn_close(&s, 100, 100);
	ck_assert_uint_eq(s.bytes_in, 6);
	ck_assert_uint_eq(s.conns_active, 0); /* never below zero */
}
END_TEST

/* Requests: status classes, bytes, and the histogram's bucket edges. */
START_TEST(test_stats_request_classes_and_buckets)
{
	struct route_stats s;

	memset(&s, 0, sizeof(s));
	s.http = true;
	stats_request(&s, 200, 10, 20, 0.005); /* on the bound: le 0.005 */
	stats_request(&s, 204, 1, 1, 0.0051);
	stats_request(&s, 502, 1, 1, 11.0); /* +Inf */
	stats_request(&s, 0, 1, 0, 0.2);    /* no response */
	stats_request(&s, 101, 0, 0, -1.0); /* clock step: counted as 0 */
	ck_assert_uint_eq(s.requests, 5);
	ck_assert_uint_eq(s.responses[0], 1);
	ck_assert_uint_eq(s.responses[1], 2);
	ck_assert_uint_eq(s.responses[4], 1);
	ck_assert_uint_eq(s.bytes_in, 13);
	ck_assert_uint_eq(s.bytes_out, 22);
	ck_assert_uint_eq(s.duration[0], 2);
	ck_assert_uint_eq(s.duration[1], 1);
	ck_assert_uint_eq(s.duration[5], 1); /* 0.2 <= 0.25 */
	ck_assert_uint_eq(s.duration[STATS_NBUCKETS], 1);
}
END_TEST

/* The Prometheus text: HELP/TYPE, escaped labels, cumulative histogram. */
START_TEST(test_metrics_prometheus_text)
{
	struct config *cfg = load(two_routes);
	struct stats *st = stats_new();
	struct metrics_text t = {NULL, 0, 0, false};
	struct route_stats *db, *web;

	ck_assert_int_eq(stats_attach(st, cfg), 0);
	db = cfg->routes[0].stats;
	web = cfg->routes[2].stats;
	stats_conn_open(db);
	stats_conn_open(db);
	stats_conn_close(db, 3, 4);
	stats_retry(db);
	stats_connect_failed(db);
	stats_conn_open(web);
	stats_request(web, 200, 100, 200, 0.003);
	stats_request(web, 503, 10, 20, 0.3);
	ck_assert_int_eq(metrics_prometheus(st, &t), 0);
	ck_assert(!t.failed);
	ck_assert_uint_eq(strlen(t.p), t.len);
	ck_assert(has_line(t.p, "# TYPE porty_connections_active gauge"));
	ck_assert(has_line(t.p, "# TYPE porty_connections_total counter"));
	ck_assert(has_line(t.p, "porty_connections_active{route=\"db\"} 1"));
	ck_assert(has_line(t.p, "porty_connections_total{route=\"db\"} 2"));
	ck_assert(has_line(t.p, "porty_bytes_in_total{route=\"db\"} 3"));
	ck_assert(has_line(t.p, "porty_bytes_out_total{route=\"db\"} 4"));
	ck_assert(has_line(
	    t.p, "porty_upstream_connect_failures_total{route=\"db\"} 1"));
	ck_assert(
	    has_line(t.p, "porty_upstream_retries_total{route=\"db\"} 1"));
	/* the route named we"b\ is escaped */
	ck_assert(
	    has_line(t.p, "porty_connections_active{route=\"we\\\"b\\\\\"} 1"));
	ck_assert(
	    has_line(t.p, "porty_bytes_in_total{route=\"we\\\"b\\\\\"} 110"));
	ck_assert(has_line(
	    t.p, "porty_http_requests_total{route=\"we\\\"b\\\\\"} 2"));
	ck_assert(has_line(t.p,
			   "porty_http_responses_total{route=\"we\\\"b\\\\\","
			   "class=\"2xx\"} 1"));
	ck_assert(has_line(t.p,
			   "porty_http_responses_total{route=\"we\\\"b\\\\\","
			   "class=\"5xx\"} 1"));
	ck_assert(has_line(t.p,
			   "porty_http_responses_total{route=\"we\\\"b\\\\\","
			   "class=\"4xx\"} 0"));
	/* tcp routes have no HTTP series */
	ck_assert_ptr_null(
	    strstr(t.p, "porty_http_requests_total{route=\"db\""));
	ck_assert(has_line(
	    t.p, "# TYPE porty_http_request_duration_seconds histogram"));
	ck_assert(has_line(t.p, "porty_http_request_duration_seconds_bucket{"
				"route=\"we\\\"b\\\\\",le=\"0.005\"} 1"));
	ck_assert(has_line(t.p, "porty_http_request_duration_seconds_bucket{"
				"route=\"we\\\"b\\\\\",le=\"0.25\"} 1"));
	ck_assert(has_line(t.p, "porty_http_request_duration_seconds_bucket{"
				"route=\"we\\\"b\\\\\",le=\"0.5\"} 2"));
	ck_assert(has_line(t.p, "porty_http_request_duration_seconds_bucket{"
				"route=\"we\\\"b\\\\\",le=\"+Inf\"} 2"));
	ck_assert(has_line(t.p, "porty_http_request_duration_seconds_sum{"
				"route=\"we\\\"b\\\\\"} 0.303000"));
	ck_assert(has_line(t.p, "porty_http_request_duration_seconds_count{"
				"route=\"we\\\"b\\\\\"} 2"));
	/* the disabled route is nowhere */
	ck_assert_ptr_null(strstr(t.p, "\"off\""));
	ck_assert(t.p[t.len - 1] == '\n');
	metrics_text_free(&t);
	stats_free(st);
	config_free(cfg);
}
END_TEST

/* Without http routes there are no HTTP metric families at all. */
START_TEST(test_metrics_prometheus_tcp_only)
{
	struct config *cfg = load("listen_port = 5001\ntarget_port = 6001\n");
	struct stats *st = stats_new();
	struct metrics_text t = {NULL, 0, 0, false};

	ck_assert_int_eq(stats_attach(st, cfg), 0);
	ck_assert_int_eq(metrics_prometheus(st, &t), 0);
	ck_assert(has_line(t.p, "porty_connections_total{route=\"main\"} 0"));
	ck_assert_ptr_null(strstr(t.p, "porty_http"));
	metrics_text_free(&t);
	stats_free(st);
	config_free(cfg);
}
END_TEST

/* The status JSON: each route's name and active count, and the totals. */
START_TEST(test_metrics_status_json)
{
	struct config *cfg = load(two_routes);
	struct stats *st = stats_new();
	struct metrics_text t = {NULL, 0, 0, false};

	ck_assert_int_eq(stats_attach(st, cfg), 0);
	stats_conn_open(cfg->routes[0].stats);
	stats_conn_open(cfg->routes[2].stats);
	stats_conn_open(cfg->routes[2].stats);
	stats_request(cfg->routes[2].stats, 404, 5, 6, 0.01);
	ck_assert_int_eq(metrics_status_json(st, st->start + 42.4, &t), 0);
	ck_assert_ptr_nonnull(strstr(t.p, "\"uptime_seconds\":42,"));
	ck_assert_ptr_nonnull(
	    strstr(t.p, "\"routes\":[{\"name\":\"db\",\"mode\":\"tcp\","
			"\"listen\":\"127.0.0.1:5001\",\"active\":1,"
			"\"connections_total\":1,"));
	ck_assert_ptr_nonnull(
	    strstr(t.p, ",{\"name\":\"we\\\"b\\\\\",\"mode\":\"http\","
			"\"listen\":\"[::1]:5003\",\"active\":2,"));
	ck_assert_ptr_nonnull(strstr(t.p, "\"4xx\":1"));
	ck_assert_ptr_nonnull(strstr(
	    t.p, "],\"totals\":{\"active\":3,\"connections_total\":3,"
		 "\"bytes_in\":5,\"bytes_out\":6,\"requests_total\":1,"));
	ck_assert_str_eq(t.p + t.len - 3, "}}\n");
	ck_assert_ptr_null(strstr(t.p, "off"));
	metrics_text_free(&t);
	stats_free(st);
	config_free(cfg);
}
END_TEST

/* The text buffer grows past its first block and stays NUL-terminated. */
START_TEST(test_metrics_text_grows)
{
	struct metrics_text t = {NULL, 0, 0, false};
	size_t i;

	for (i = 0; i < 2000; i++)
		metrics_text_printf(&t, "%05zu\n", i);
	ck_assert(!t.failed);
	ck_assert_uint_eq(t.len, 12000);
	ck_assert_uint_eq(strlen(t.p), 12000);
	ck_assert(strncmp(t.p + 11994, "01999\n", 6) == 0);
	metrics_text_free(&t);
	ck_assert_ptr_null(t.p);
}
END_TEST

/* Read what log lines went to the pipe PFD[0]. */
static char *
drain(int fd)
{
	static char buf[65536];
	ssize_t n;
	size_t len = 0;

	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

/* SIGUSR1's lines: one per running route, each naming only its route. */
START_TEST(test_metrics_log_status_lines)
{
	struct config *cfg = load(two_routes);
	struct stats *st = stats_new();
	int pfd[2];
	char *out, *nl;

	ck_assert_int_eq(stats_attach(st, cfg), 0);
	stats_conn_open(cfg->routes[0].stats);
	stats_request(cfg->routes[2].stats, 200, 1, 2, 0.01);
	ck_assert_int_eq(pipe2(pfd, O_NONBLOCK), 0);
	log_setup(LOG_FORMAT_TEXT, pfd[1]);
	metrics_log_status(st);
	out = drain(pfd[0]);
	nl = strchr(out, '\n');
	ck_assert_ptr_nonnull(nl);
	*nl = '\0';
	ck_assert_ptr_nonnull(strstr(out, "[db] status: active=1 "));
	ck_assert_ptr_null(strstr(out, "we"));
	ck_assert_ptr_nonnull(strstr(nl + 1, "status: active=0 "));
	ck_assert_ptr_nonnull(strstr(nl + 1, " 2xx=1 "));
	ck_assert_ptr_null(strstr(nl + 1, "db"));
	ck_assert_ptr_null(strstr(nl + 1, "off"));
	ck_assert_ptr_null(strchr(strchr(nl + 1, '\n') + 1, '\n'));

	log_setup(LOG_FORMAT_JSON, pfd[1]);
	metrics_log_status(st);
	out = drain(pfd[0]);
	ck_assert(strncmp(out, "{\"ts\":\"", 7) == 0);
	ck_assert_ptr_nonnull(strstr(out, "\"route\":\"db\",\"msg\":\"status: "
					  "active=1 "));
	ck_assert_ptr_nonnull(strstr(out, "\"route\":\"we\\\"b\\\\\""));
	log_setup(LOG_FORMAT_PORTY, STDERR_FILENO);
	close(pfd[0]);
	close(pfd[1]);
	stats_free(st);
	config_free(cfg);
}
END_TEST

Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("stats");

	tcase_add_test(tc, test_stats_attach_enabled_only);
	tcase_add_test(tc, test_stats_attach_keeps_by_name);
	tcase_add_test(tc, test_stats_conn_counts);
	tcase_add_test(tc, test_stats_request_classes_and_buckets);
	suite_add_tcase(s, tc);
	tc = tcase_create("render");
	tcase_add_test(tc, test_metrics_prometheus_text);
	tcase_add_test(tc, test_metrics_prometheus_tcp_only);
	tcase_add_test(tc, test_metrics_status_json);
	tcase_add_test(tc, test_metrics_text_grows);
	tcase_add_test(tc, test_metrics_log_status_lines);
	suite_add_tcase(s, tc);
	return s;
}
