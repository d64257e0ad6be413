/* SPDX-License-Identifier: MIT */
/* The admin suite: [admin] /metrics and /status, and SIGUSR1 status lines. */
#include "auto-config.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "suites.h"

/* Start porty on TOML (which binds PORT and the admin port APORT). */
static struct harness_proc *
adm_serve(struct harness *h, int port, int aport, const char *toml)
{
	struct harness_proc *p = harness_serve(h, port, toml);

	ck_assert_msg(harness_wait_port(p, aport, harness_ms(5000)),
		      "admin port %d does not listen:\n%s", aport,
		      harness_log(p));
	return p;
}

/* GET PATH from the admin endpoint on APORT with a raw socket. */
static const struct harness_http_resp *
adm_get(struct harness *h, int aport, const char *path)
{
	return harness_http_request(
	    h, aport,
	    harness_fmt(h, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path));
}

/*
 * The value of the sample SERIES ("name{labels}") in the Prometheus TEXT,
 * or -1 when there is no such line.
 */
static long long
adm_value(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

/* The /metrics body of APORT now; the response must be a 200. */
static const char *
adm_metrics(struct harness *h, int aport)
{
	const struct harness_http_resp *r = adm_get(h, aport, "/metrics");

	ck_assert_msg(r->status == 200, "GET /metrics: %d %s", r->status,
		      r->error != NULL ? r->error : "");
	return r->body;
}

/*
 * Poll /metrics until SERIES reads WANT (counters settle once porty has
 * seen the close); assert it does within five seconds.
 */
static const char *
adm_wait(struct harness *h, int aport, const char *series, long long want)
{
	int64_t end = harness_now_ms() + harness_ms(5000);
	const char *text;
	long long v;

	for (;;) {
		text = adm_metrics(h, aport);
		v = adm_value(text, series);
		if (v == want || harness_now_ms() > end)
			break;
		harness_sleep_ms(10);
	}
	ck_assert_msg(v == want, "%s is %lld, expected %lld:\n%s", series, v,
		      want, text);
	return text;
}

/* TCP: active rises and falls, totals and bytes are exact, failures count. */
START_TEST(test_admin_tcp_counters)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET), dead = harness_port(AF_INET);
	int dport = harness_port(AF_INET), aport = harness_port(AF_INET);
	struct harness_xfer x[2] = {
	    {.send_len = 1000, .send_seed = 1},
	    {.send_len = 23456, .send_seed = 2},
	};
	struct harness_proc *p;
	const char *text;
	char buf[8];
	int fd, i;

	p = adm_serve(h, port, aport,
		      harness_fmt(h,
				  "[[routes]]\nname = \"fwd\"\n"
				  "listen_addr = \"127.0.0.1\"\n"
				  "listen_port = %d\n"
				  "target_addr = \"127.0.0.1\"\n"
				  "target_port = %d\n"
				  "[[routes]]\nname = \"dead\"\n"
				  "listen_addr = \"127.0.0.1\"\n"
				  "listen_port = %d\n"
				  "target_addr = \"127.0.0.1\"\n"
				  "target_port = %d\n"
				  "max_retries = 2\n"
				  "[admin]\nlisten = \"127.0.0.1:%d\"\n",
				  port, harness_backend_port(echo), dport, dead,
				  aport));
	text = adm_metrics(h, aport);
	ck_assert_int_eq(
	    adm_value(text, "porty_connections_total{route=\"fwd\"}"), 0);
	ck_assert_ptr_nonnull(
	    strstr(text, "# TYPE porty_connections_active gauge\n"));

	/* One connection held open shows as active. */
	fd = harness_connect(AF_INET, port, harness_ms(5000));
	ck_assert_int_ne(fd, -1);
	ck_assert(harness_send(fd, "x", 1, harness_ms(5000)));
	ck_assert_uint_eq(harness_recv(fd, buf, 1, harness_ms(5000)), 1);
	adm_wait(h, aport, "porty_connections_active{route=\"fwd\"}", 1);
	close(fd);
	adm_wait(h, aport, "porty_connections_active{route=\"fwd\"}", 0);

	for (i = 0; i < 2; i++) {
		x[i].fd = harness_connect(AF_INET, port, harness_ms(5000));
		ck_assert_int_ne(x[i].fd, -1);
	}
	ck_assert(harness_xfer(x, 2, harness_ms(10000)));
	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(x[i].rx.len, x[i].send_len);
		close(x[i].fd);
	}
	text = adm_wait(h, aport, "porty_connections_active{route=\"fwd\"}", 0);
	text = adm_wait(h, aport, "porty_bytes_in_total{route=\"fwd\"}",
			1 + 1000 + 23456);
	ck_assert_int_eq(
	    adm_value(text, "porty_connections_total{route=\"fwd\"}"), 3);
	ck_assert_int_eq(
	    adm_value(text, "porty_bytes_out_total{route=\"fwd\"}"),
	    1 + 1000 + 23456);
	ck_assert_int_eq(
	    adm_value(text,
		      "porty_upstream_connect_failures_total{route=\"fwd\"}"),
	    0);
	/* TCP routes have no HTTP series. */
	ck_assert_ptr_null(
	    strstr(text, "porty_http_requests_total{route=\"fwd\"}"));

	/* A route whose backend refuses: two retries, then one failure. */
	fd = harness_connect(AF_INET, dport, harness_ms(5000));
	ck_assert_int_ne(fd, -1);
	ck_assert_int_ge(harness_wait_closed(fd, harness_ms(5000)), 0);
	close(fd);
	text = adm_wait(h, aport,
			"porty_upstream_connect_failures_total{route=\"dead\"}",
			1);
	ck_assert_int_eq(
	    adm_value(text, "porty_upstream_retries_total{route=\"dead\"}"), 2);
	adm_wait(h, aport, "porty_connections_active{route=\"dead\"}", 0);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* HTTP: requests, response classes and the histogram, read with curl. */
START_TEST(test_admin_http_counters)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *be = harness_http_backend(h, AF_INET);
	int port = harness_port(AF_INET), dport = harness_port(AF_INET);
	int dead = harness_port(AF_INET), aport = harness_port(AF_INET);
	static const char *const paths[] = {"/a", "/b", "/status/204",
					    "/status/404", "/status/503"};
	const struct harness_http_resp *r;
	struct harness_http_conn *c;
	const struct harness_result *res;
	const char *text, *murl;
	unsigned long long in = 0, out = 0;
	struct harness_proc *p;
	size_t i;

	p = adm_serve(
	    h, port, aport,
	    harness_fmt(h,
			"[[routes]]\nname = \"web\"\nmode = \"http\"\n"
			"listen_addr = \"127.0.0.1\"\n"
			"listen_port = %d\n"
			"target_addr = \"127.0.0.1\"\n"
			"target_port = %d\n"
			"[[routes]]\nname = \"gone\"\nmode = \"http\"\n"
			"listen_addr = \"127.0.0.1\"\n"
			"listen_port = %d\n"
			"target_addr = \"127.0.0.1\"\n"
			"target_port = %d\n"
			"max_retries = 1\n"
			"[admin]\nlisten = \"127.0.0.1:%d\"\n",
			port, harness_backend_port(be), dport, dead, aport));
	/* Five requests on one keep-alive connection. */
	c = harness_http_connect(h, AF_INET, port);
	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		const char *req = harness_fmt(
		    h, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", paths[i]);

		harness_http_puts(c, req);
		r = harness_http_response(c, 0, harness_ms(5000));
		ck_assert_int_ne(r->status, 0);
		in += strlen(req);
		out += r->head_len + r->body_len;
	}
	harness_http_close(c);
	r = harness_http_request(h, dport, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(r->status, 502);

	murl = harness_fmt(h, "http://127.0.0.1:%d/metrics", aport);
	res = harness_curl(h, (const char *const[]){murl, NULL});
	ck_assert_int_eq(res->status, 0);
	ck_assert(harness_contains(res->out, "HTTP/1.1 200 OK"));
	ck_assert(harness_contains(res->out,
				   "Content-Type: text/plain; version=0.0.4"));
	text = adm_wait(h, aport, "porty_connections_active{route=\"web\"}", 0);
	ck_assert_int_eq(
	    adm_value(text, "porty_http_requests_total{route=\"web\"}"), 5);
	ck_assert_int_eq(
	    adm_value(
		text,
		"porty_http_responses_total{route=\"web\",class=\"2xx\"}"),
	    3);
	ck_assert_int_eq(
	    adm_value(
		text,
		"porty_http_responses_total{route=\"web\",class=\"4xx\"}"),
	    1);
	ck_assert_int_eq(
	    adm_value(
		text,
		"porty_http_responses_total{route=\"web\",class=\"5xx\"}"),
	    1);
	ck_assert_int_eq(
	    adm_value(text, "porty_connections_total{route=\"web\"}"), 1);
	ck_assert_int_eq(adm_value(text, "porty_bytes_in_total{route=\"web\"}"),
			 (long long)in);
	ck_assert_int_eq(
	    adm_value(text, "porty_bytes_out_total{route=\"web\"}"),
	    (long long)out);
	ck_assert_int_eq(
	    adm_value(
		text,
		"porty_http_request_duration_seconds_count{route=\"web\"}"),
	    5);
	ck_assert_int_eq(adm_value(text,
				   "porty_http_request_duration_seconds_bucket{"
				   "route=\"web\",le=\"+Inf\"}"),
			 5);
	ck_assert_ptr_nonnull(strstr(
	    text, "porty_http_request_duration_seconds_sum{route=\"web\"} "));
	/* The refused backend: a 502, one failure after one retry. */
	text = adm_wait(h, aport,
			"porty_upstream_connect_failures_total{route=\"gone\"}",
			1);
	ck_assert_int_eq(
	    adm_value(text, "porty_upstream_retries_total{route=\"gone\"}"), 1);
	ck_assert_int_eq(
	    adm_value(
		text,
		"porty_http_responses_total{route=\"gone\",class=\"5xx\"}"),
	    1);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* /status is one JSON object with every route and the totals. */
START_TEST(test_admin_status_json)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET), aport = harness_port(AF_INET);
	const struct harness_http_resp *r;
	long long up;
	char buf[4];
	int fd;

	adm_serve(h, port, aport,
		  harness_fmt(h,
			      "[[routes]]\nname = \"one\"\n"
			      "listen_addr = \"127.0.0.1\"\n"
			      "listen_port = %d\n"
			      "target_addr = \"127.0.0.1\"\n"
			      "target_port = %d\n"
			      "[[routes]]\nname = \"off\"\nenabled = false\n"
			      "listen_port = 1\n"
			      "target_addr = \"127.0.0.1\"\ntarget_port = 2\n"
			      "[admin]\nlisten = \"127.0.0.1:%d\"\n",
			      port, harness_backend_port(echo), aport));
	fd = harness_connect(AF_INET, port, harness_ms(5000));
	ck_assert(harness_send(fd, "ab", 2, harness_ms(5000)));
	ck_assert_uint_eq(harness_recv(fd, buf, 2, harness_ms(5000)), 2);
	r = adm_get(h, aport, "/status");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(harness_http_header(h, r, "Content-Type"),
			 "application/json");
	ck_assert_msg(harness_json_object(r->body), "not one JSON object: %s",
		      r->body);
	ck_assert(harness_json_int(r->body, "uptime_seconds", &up));
	ck_assert_int_ge(up, 0);
	ck_assert_ptr_nonnull(
	    strstr(r->body, "\"routes\":[{\"name\":\"one\",\"mode\":\"tcp\","));
	ck_assert_ptr_nonnull(strstr(r->body, "\"active\":1,"));
	ck_assert_ptr_nonnull(strstr(r->body, "\"totals\":{\"active\":1,"));
	ck_assert_ptr_null(strstr(r->body, "\"off\""));
	close(fd);
	harness_free(h);
}
END_TEST

/* Other paths are 404, other methods 405, garbage 400; HEAD has no body. */
START_TEST(test_admin_errors)
{
	struct harness *h = harness_new(__func__);
	int port = harness_port(AF_INET), aport = harness_port(AF_INET);
	const struct harness_http_resp *r;
	struct harness_http_conn *c;
	int fd;

	adm_serve(h, port, aport,
		  harness_fmt(h,
			      "header_timeout_seconds = 1\n"
			      "listen_addr = \"127.0.0.1\"\n"
			      "listen_port = %d\ntarget_port = 9\n"
			      "[admin]\nlisten = \"127.0.0.1:%d\"\n",
			      port, aport));
	r = adm_get(h, aport, "/");
	ck_assert_int_eq(r->status, 404);
	r = adm_get(h, aport, "/metrics/x");
	ck_assert_int_eq(r->status, 404);
	r = harness_http_request(
	    h, aport, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	ck_assert_int_eq(r->status, 405);
	ck_assert_str_eq(harness_http_header(h, r, "Allow"), "GET, HEAD");
	r = harness_http_request(h, aport, "GET /metrics\r\n\r\n");
	ck_assert_int_eq(r->status, 400);
	c = harness_http_connect(h, AF_INET, aport);
	harness_http_puts(c, "HEAD /status HTTP/1.1\r\n\r\n");
	r = harness_http_response(c, HARNESS_HTTP_HEAD, harness_ms(5000));
	ck_assert_int_eq(r->status, 200);
	ck_assert_uint_eq(r->body_len, 0);
	ck_assert(harness_http_closed(c, harness_ms(5000)));
	/* A head that never ends: 408 after header_timeout_seconds. */
	c = harness_http_connect(h, AF_INET, aport);
	harness_http_puts(c, "GET /metrics HTTP/1.1\r\n");
	r = harness_http_response(c, 0, harness_ms(5000));
	ck_assert_int_eq(r->status, 408);
	/* A head too large: 431. */
	fd = harness_connect(AF_INET, aport, harness_ms(5000));
	{
		static char big[9000];

		memset(big, 'a', sizeof(big));
		memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
		(void)harness_send(fd, big, sizeof(big), harness_ms(5000));
		ck_assert_uint_ge(harness_recv(fd, big, 12, harness_ms(5000)),
				  12);
		ck_assert(memcmp(big, "HTTP/1.1 431", 12) == 0);
	}
	close(fd);
	/* Still serving. */
	ck_assert_int_eq(adm_get(h, aport, "/metrics")->status, 200);
	harness_free(h);
}
END_TEST

/* SIGUSR1: one status line per route in the configured format. */
static void
adm_usr1(const char *format)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int p1 = harness_port(AF_INET), p2 = harness_port(AF_INET);
	struct harness_proc *p;
	const char *log, *line, *end;
	size_t nlines = 0;
	char buf[4];
	int fd;

	p = harness_serve(
	    h, p1,
	    harness_fmt(h,
			"log_format = \"%s\"\n"
			"[[routes]]\nname = \"alpha\"\n"
			"listen_addr = \"127.0.0.1\"\n"
			"listen_port = %d\n"
			"target_addr = \"127.0.0.1\"\n"
			"target_port = %d\n"
			"[[routes]]\nname = \"beta\"\nmode = \"http\"\n"
			"listen_addr = \"127.0.0.1\"\n"
			"listen_port = %d\n",
			format, p1, harness_backend_port(echo), p2));
	fd = harness_connect(AF_INET, p1, harness_ms(5000));
	ck_assert(harness_send(fd, "ab", 2, harness_ms(5000)));
	ck_assert_uint_eq(harness_recv(fd, buf, 2, harness_ms(5000)), 2);
	harness_signal(p, SIGUSR1);
	ck_assert_msg(harness_wait_log(p, "status: active=0", harness_ms(5000)),
		      "no status lines:\n%s", harness_log(p));
	log = harness_log(p);
	for (line = log; *line != '\0'; line = *end ? end + 1 : end) {
		const char *text;

		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		text = harness_fmt(h, "%.*s", (int)(end - line), line);
		if (strstr(text, "status: active=") == NULL)
			continue;
		nlines++;
		if (strcmp(format, "json") == 0) {
			const char *route;

			ck_assert_msg(harness_json_object(text),
				      "not a JSON object: %s", text);
			route = harness_json_str(h, text, "route");
			ck_assert_ptr_nonnull(route);
			ck_assert(strcmp(route, "alpha") == 0 ||
				  strcmp(route, "beta") == 0);
		}
		/* Each line names only its route. */
		if (strstr(text, "alpha") != NULL) {
			ck_assert_ptr_null(strstr(text, "beta"));
			ck_assert_ptr_nonnull(
			    strstr(text, "status: active=1 "));
			ck_assert_ptr_nonnull(strstr(text, " connections=1 "));
		} else {
			ck_assert_ptr_nonnull(strstr(text, "beta"));
			ck_assert_ptr_nonnull(strstr(text, " requests=0 "));
		}
	}
	ck_assert_uint_eq(nlines, 2);
	close(fd);
	harness_stop(p);
	harness_free(h);
}

START_TEST(test_admin_sigusr1_text)
{
	adm_usr1("text");
}
END_TEST

START_TEST(test_admin_sigusr1_json)
{
	adm_usr1("json");
}
END_TEST

/* An admin address that cannot be bound stops the start, exit status 1. */
START_TEST(test_admin_bind_failure)
{
	struct harness *h = harness_new(__func__);
	int port = harness_port(AF_INET), busy;
	const struct harness_result *r;
	const char *cfg;

	(void)harness_listen(h, AF_INET, 1, &busy);
	cfg = harness_write(h, "porty.toml",
			    "listen_addr = \"127.0.0.1\"\n"
			    "listen_port = %d\ntarget_port = 9\n"
			    "[admin]\nlisten = \"127.0.0.1:%d\"\n",
			    port, busy);
	r = harness_run(h, NULL,
			(const char *const[]){"start", "--config", cfg, NULL});
	ck_assert_int_eq(r->status, 1);
	ck_assert_msg(harness_contains(r->err, "admin: listen 127.0.0.1:") &&
			  harness_contains(r->err, "Address already in use"),
		      "stderr: %s", r->err);
	r = harness_run(h, NULL,
			(const char *const[]){"check", "--config", cfg, NULL});
	ck_assert_int_eq(r->status, 0);
	ck_assert(harness_contains(
	    r->out, harness_fmt(h, "admin: 127.0.0.1:%d serves", busy)));
	harness_free(h);
}
END_TEST

Suite *
admin_suite(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = harness_tcase("metrics", 30);

	tcase_add_test(tc, test_admin_tcp_counters);
	tcase_add_test(tc, test_admin_http_counters);
	tcase_add_test(tc, test_admin_status_json);
	tcase_add_test(tc, test_admin_errors);
	tcase_add_test(tc, test_admin_bind_failure);
	suite_add_tcase(s, tc);
	tc = harness_tcase("sigusr1", 30);
	tcase_add_test(tc, test_admin_sigusr1_text);
	tcase_add_test(tc, test_admin_sigusr1_json);
	suite_add_tcase(s, tc);
	return s;
}
