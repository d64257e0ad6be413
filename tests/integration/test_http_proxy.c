/* SPDX-License-Identifier: MIT */
/* The http_proxy suite: HTTP routes of the real porty, driven over loopback. */
#include "auto-config.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "suites.h"

#define MIB (1024 * 1024)

/* Every wait of this suite: generous, for a loaded 2-core machine. */
#define HP_WAIT harness_ms(10000)

/*
 * One [[routes]] table: an http route NAME listening on 127.0.0.1:LPORT,
 * with EXTRA (keys, one a line; may be "") appended.
 */
static const char *
hp_route(struct harness *h, const char *name, int lport, const char *extra)
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

/* EXTRA keys for a configured target of 127.0.0.1:PORT. */
static const char *
hp_target(struct harness *h, int port)
{
	return harness_fmt(h, "target_addr = \"127.0.0.1\"\ntarget_port = %d\n",
			   port);
}

/*
 * Start porty with one http route "web" on a fresh port forwarding to
 * 127.0.0.1:TPORT (0: no target, dynamic only), TOP holding top-level keys
 * and ROUTE extra route keys. Returns the listening port; *P gets porty.
 */
static int
hp_start(struct harness *h, int tport, const char *top, const char *route,
	 struct harness_proc **p)
{
	int port = harness_port(AF_INET);
	const char *keys = harness_fmt(
	    h, "%s%s", tport != 0 ? hp_target(h, tport) : "target_port = 0\n",
	    route);
	struct harness_proc *pr = harness_serve(
	    h, port,
	    harness_fmt(h, "%s\n%s", top, hp_route(h, "web", port, keys)));

	if (p != NULL)
		*p = pr;
	return port;
}

/* Check R is a complete response with STATUS, naming WHAT. */
static void
hp_status(const struct harness_http_resp *r, int status, const char *what)
{
	ck_assert_msg(r->status == status, "%s: status %d, expected %d (%s)",
		      what, r->status, status,
		      r->error != NULL ? r->error : "complete response");
}

/*
 * Check R is porty's error answer: STATUS, Content-Type text/plain, a
 * matching Content-Length, Connection: close and the one-line BODY (with or
 * without its newline; NULL: any one line starting with "STATUS "); and
 * when C is not NULL, that porty closes C.
 */
static void
hp_error(struct harness *h, struct harness_http_conn *c,
	 const struct harness_http_resp *r, int status, const char *body)
{
	const char *v, *nl;
	size_t blen;

	hp_status(r, status, body != NULL ? body : "error answer");
	v = harness_http_header(h, r, "Content-Type");
	ck_assert_msg(v != NULL && strncmp(v, "text/plain", 10) == 0,
		      "Content-Type of the %d: %s", status, v ? v : "(none)");
	v = harness_http_header(h, r, "Content-Length");
	ck_assert_msg(v != NULL && strtoull(v, NULL, 10) == r->body_len,
		      "Content-Length of the %d: %s for %zu bytes", status,
		      v ? v : "(none)", r->body_len);
	v = harness_http_header(h, r, "Connection");
	ck_assert_msg(v != NULL && strcasecmp(v, "close") == 0,
		      "Connection of the %d: %s", status, v ? v : "(none)");
	if (body != NULL) {
		blen = strlen(body);
		ck_assert_msg(
		    (r->body_len == blen ||
		     (r->body_len == blen + 1 && r->body[blen] == '\n')) &&
			memcmp(r->body, body, blen) == 0,
		    "body of the %d: \"%.*s\", expected \"%s\"", status,
		    (int)r->body_len, r->body, body);
	} else {
		nl = memchr(r->body, '\n', r->body_len);
		ck_assert_msg(
		    r->body_len > 4 &&
			strncmp(r->body, harness_fmt(h, "%d ", status), 4) ==
			    0 &&
			(nl == NULL || nl == r->body + r->body_len - 1),
		    "body of the %d: \"%.*s\", expected one line "
		    "\"%d ...\"",
		    status, (int)r->body_len, r->body, status);
	}
	if (c != NULL)
		ck_assert_msg(harness_http_closed(c, HP_WAIT),
			      "porty kept the connection open after the %d",
			      status);
}

/* A GET of TARGET with Host HOST (and EXTRA header lines) on a new
 * connection to PORT; one response. */
static const struct harness_http_resp *
hp_get(struct harness *h, int port, const char *host, const char *target,
       const char *extra)
{
	return harness_http_request(
	    h, port,
	    harness_fmt(h, "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", target,
			host, extra));
}

/* Record I of B, waiting for it. */
static const struct harness_http_req *
hp_req(struct harness *h, struct harness_backend *b, size_t i)
{
	ck_assert_msg(harness_http_wait_reqs(h, b, i + 1, HP_WAIT),
		      "the backend received %zu requests, expected %zu",
		      harness_http_nreqs(h, b), i + 1);
	return harness_http_req(h, b, i);
}

/* Whether the raw head HEAD has a field line exactly LINE ("Name: v"). */
static bool
hp_has_line(const char *head, const char *line)
{
	const char *p = head;
	size_t len = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if (p > head && p[-1] == '\n' && p[len] == '\r')
			return true;
		p++;
	}
	return false;
}

/* Whether the raw head HEAD has a field named NAME (any case). */
static bool
hp_has_field(struct harness *h, const char *head, const char *name)
{
	return harness_http_head_value(h, head, name) != NULL;
}

/* "127.0.0.1:PORT". */
static const char *
hp_hostport(struct harness *h, int port)
{
	return harness_fmt(h, "127.0.0.1:%d", port);
}

/* --- harness ----------------------------------------------------------- */

/* The HTTP backend itself answers curl and keeps pipelined requests in
 * order, so failures elsewhere are porty's. */
START_TEST(test_http_proxy_backend_direct)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int bport = harness_backend_port(b);
	const char *url = harness_fmt(h, "http://127.0.0.1:%d/api?x=1", bport);
	const char *args[] = {url, NULL};
	const struct harness_result *r = harness_curl(h, args);
	const struct harness_http_resp *a, *c2, *c3;
	struct harness_http_conn *c;

	ck_assert_msg(r->status == 0, "curl: %d %s", r->status, r->err);
	ck_assert_msg(strncmp(r->out, "HTTP/1.1 200", 12) == 0, "%s", r->out);
	ck_assert_str_eq(hp_req(h, b, 0)->target, "/api?x=1");
	c = harness_http_connect(h, AF_INET, bport);
	harness_http_puts(c, "GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n"
			     "HEAD /head HTTP/1.1\r\nHost: a\r\n\r\n"
			     "GET /close HTTP/1.1\r\nHost: a\r\n\r\n");
	a = harness_http_response(c, 0, HP_WAIT);
	hp_status(a, 200, "/chunked");
	ck_assert_str_eq(a->body, "hello, world");
	c2 = harness_http_response(c, HARNESS_HTTP_HEAD, HP_WAIT);
	hp_status(c2, 200, "HEAD /head");
	c3 = harness_http_response(c, 0, HP_WAIT);
	hp_status(c3, 200, "/close");
	ck_assert(c3->until_close);
	ck_assert_str_eq(c3->body, "close-delimited body\n");
	ck_assert_str_eq(harness_http_header(h, c3, "X-Backend-Seq"), "3");
	harness_free(h);
}
END_TEST

/* --- forwarding -------------------------------------------------------- */

/* A GET goes through to the configured target and its answer comes back,
 * status line and fields as the backend sent them. */
START_TEST(test_http_proxy_get_round_trip)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int bport = harness_backend_port(b);
	struct harness_proc *p;
	int port = hp_start(h, bport, "", "", &p);
	const struct harness_http_resp *r;
	const struct harness_http_req *q;

	r = hp_get(h, port, "client.test", "/echo", "");
	hp_status(r, 200, "GET /echo");
	ck_assert_msg(strncmp(r->head, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s",
		      r->head);
	ck_assert_uint_eq(harness_http_header_count(r, "X-Dup"), 2);
	ck_assert_msg(hp_has_line(r->head, "X-Dup: a") &&
			  hp_has_line(r->head, "X-Dup: b") &&
			  strstr(r->head, "X-Dup: a\r\nX-Dup: b\r\n") != NULL,
		      "duplicate response fields changed: %s", r->head);
	ck_assert_msg(hp_has_line(r->head, "x-MiXeD-Case: V"),
		      "response field case changed: %s", r->head);
	q = hp_req(h, b, 0);
	ck_assert_str_eq(q->method, "GET");
	ck_assert_str_eq(q->target, "/echo");
	ck_assert_msg(strncmp(q->head, "GET /echo HTTP/1.1\r\n", 20) == 0,
		      "request line: %s", q->head);
	ck_assert_str_eq(harness_http_head_value(h, q->head, "Host"),
			 hp_hostport(h, bport));
	/* The echo body is the head the backend received. */
	ck_assert_uint_eq(r->body_len, q->head_len);
	ck_assert(memcmp(r->body, q->head, q->head_len) == 0);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* Request fields keep their case, order and duplicates. */
START_TEST(test_http_proxy_headers_preserved)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	const struct harness_http_req *q;

	hp_status(hp_get(h, port, "x.test", "/echo",
			 "x-lower: 1\r\nX-UPPER: 2\r\nX-Dup: first\r\n"
			 "x-MiXeD: 3\r\nX-Dup: second\r\n"),
		  200, "GET");
	q = hp_req(h, b, 0);
	ck_assert_msg(
	    strstr(q->head, "x-lower: 1\r\nX-UPPER: 2\r\nX-Dup: "
			    "first\r\nx-MiXeD: 3\r\nX-Dup: second\r\n") != NULL,
	    "fields changed on the way: %s", q->head);
	harness_free(h);
}
END_TEST

/* A request target without porty parameters is forwarded byte for byte. */
START_TEST(test_http_proxy_target_byte_for_byte)
{
	static const char target[] =
	    "/a%2Fb/./../c;p=1?x=%41&y=+&&z&porty_hostx=1&q=a%20b";
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);

	hp_status(hp_get(h, port, "x.test", target, ""), 200, target);
	ck_assert_str_eq(hp_req(h, b, 0)->target, target);
	harness_free(h);
}
END_TEST

/* Host becomes the target's host:port; preserve_host keeps the client's. */
START_TEST(test_http_proxy_preserve_host)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "",
			    "preserve_host = true\n", NULL);

	hp_status(hp_get(h, port, "Client.Example:1234", "/echo", ""), 200,
		  "GET");
	ck_assert_msg(
	    hp_has_line(hp_req(h, b, 0)->head, "Host: Client.Example:1234"),
	    "%s", hp_req(h, b, 0)->head);
	ck_assert_uint_eq(harness_http_nreqs(h, b), 1);
	harness_free(h);
}
END_TEST

/* Hop-by-hop fields, and those Connection names, do not reach the backend;
 * end-to-end ones do. */
START_TEST(test_http_proxy_hop_by_hop_removed)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	const struct harness_http_req *q;

	hp_status(hp_get(h, port, "x.test", "/echo",
			 "Connection: keep-alive, X-Private\r\n"
			 "Keep-Alive: timeout=5\r\n"
			 "Proxy-Connection: keep-alive\r\nTE: trailers\r\n"
			 "Trailer: X-Sum\r\nX-Private: secret\r\n"
			 "X-Public: kept\r\n"),
		  200, "GET");
	q = hp_req(h, b, 0);
	ck_assert_msg(!hp_has_field(h, q->head, "Keep-Alive") &&
			  !hp_has_field(h, q->head, "Proxy-Connection") &&
			  !hp_has_field(h, q->head, "TE") &&
			  !hp_has_field(h, q->head, "Trailer") &&
			  !hp_has_field(h, q->head, "X-Private"),
		      "hop-by-hop fields reached the backend: %s", q->head);
	ck_assert_msg(hp_has_line(q->head, "X-Public: kept"), "%s", q->head);
	harness_free(h);
}
END_TEST

/* Naming Host or X-Forwarded-For in Connection removes neither. */
START_TEST(test_http_proxy_connection_keeps_own_fields)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int bport = harness_backend_port(b);
	int port = hp_start(h, bport, "", "", NULL);
	const struct harness_http_req *q;

	hp_status(
	    hp_get(h, port, "x.test", "/echo",
		   "Connection: Host, X-Forwarded-For, "
		   "X-Forwarded-Proto, X-Forwarded-Host, Content-Length\r\n"),
	    200, "GET");
	q = hp_req(h, b, 0);
	ck_assert_str_eq(harness_http_head_value(h, q->head, "Host"),
			 hp_hostport(h, bport));
	ck_assert_str_eq(harness_http_head_value(h, q->head, "X-Forwarded-For"),
			 "127.0.0.1");
	ck_assert_str_eq(
	    harness_http_head_value(h, q->head, "X-Forwarded-Proto"), "http");
	ck_assert_str_eq(
	    harness_http_head_value(h, q->head, "X-Forwarded-Host"), "x.test");
	harness_free(h);
}
END_TEST

/* X-Forwarded-For is appended to, -Proto and -Host are set. */
START_TEST(test_http_proxy_forwarded_headers)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	const struct harness_http_req *q;
	const char *xff;

	hp_status(hp_get(h, port, "front.test:8080", "/echo",
			 "X-Forwarded-For: 10.9.8.7\r\n"),
		  200, "GET");
	q = hp_req(h, b, 0);
	xff = harness_http_head_value(h, q->head, "X-Forwarded-For");
	ck_assert_msg(xff != NULL && (strcmp(xff, "10.9.8.7, 127.0.0.1") == 0 ||
				      strcmp(xff, "10.9.8.7,127.0.0.1") == 0),
		      "X-Forwarded-For: %s", xff ? xff : "(none)");
	ck_assert_str_eq(
	    harness_http_head_value(h, q->head, "X-Forwarded-Proto"), "http");
	ck_assert_str_eq(
	    harness_http_head_value(h, q->head, "X-Forwarded-Host"),
	    "front.test:8080");
	harness_free(h);
}
END_TEST

/* forwarded_headers = false adds nothing and passes the client's on. */
START_TEST(test_http_proxy_forwarded_headers_off)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "",
			    "forwarded_headers = false\n", NULL);
	const struct harness_http_req *q;

	hp_status(
	    hp_get(h, port, "x.test", "/echo", "X-Forwarded-For: 10.9.8.7\r\n"),
	    200, "GET");
	q = hp_req(h, b, 0);
	ck_assert_str_eq(harness_http_head_value(h, q->head, "X-Forwarded-For"),
			 "10.9.8.7");
	ck_assert(!hp_has_field(h, q->head, "X-Forwarded-Proto"));
	ck_assert(!hp_has_field(h, q->head, "X-Forwarded-Host"));
	harness_free(h);
}
END_TEST

/* --- routing ----------------------------------------------------------- */

/*
 * Start one listener with the routes "a" (host ROUTE_A), "b" (ROUTE_B) and,
 * when FALLBACK is not 0, a route "c" without host to FALLBACK; routes a and
 * b go to the backends A and B. Returns the port.
 */
static int
hp_start_hosts(struct harness *h, const char *host_a, int a, const char *host_b,
	       int b, int fallback, struct harness_proc **p)
{
	int port = harness_port(AF_INET);
	const char *toml = harness_fmt(
	    h, "%s%s%s",
	    hp_route(h, "a", port,
		     harness_fmt(h, "host = %s\n%s", host_a, hp_target(h, a))),
	    hp_route(h, "b", port,
		     harness_fmt(h, "host = %s\n%s", host_b, hp_target(h, b))),
	    fallback != 0 ? hp_route(h, "c", port, hp_target(h, fallback))
			  : "");
	struct harness_proc *pr = harness_serve(h, port, toml);

	if (p != NULL)
		*p = pr;
	return port;
}

/* The backend port that answered R. */
static int
hp_answered_by(struct harness *h, const struct harness_http_resp *r)
{
	const char *v = harness_http_header(h, r, "X-Backend-Port");

	return v != NULL ? atoi(v) : -1;
}

/* Host picks the route by exact name, ignoring case and port. */
START_TEST(test_http_proxy_host_exact)
{
	struct harness *h = harness_new(__func__);
	int a = harness_backend_port(harness_http_backend(h, AF_INET));
	int b = harness_backend_port(harness_http_backend(h, AF_INET));
	int port = hp_start_hosts(h, "\"a.test\"", a,
				  "[\"b.test\", \"bb.test\"]", b, 0, NULL);
	const struct harness_http_resp *r;

	r = hp_get(h, port, "a.test", "/", "");
	hp_status(r, 200, "a.test");
	ck_assert_int_eq(hp_answered_by(h, r), a);
	r = hp_get(h, port, "BB.Test:9999", "/", "");
	hp_status(r, 200, "BB.Test:9999");
	ck_assert_int_eq(hp_answered_by(h, r), b);
	r = hp_get(h, port, "b.test.", "/", "");
	hp_status(r, 200, "b.test.");
	ck_assert_int_eq(hp_answered_by(h, r), b);
	harness_free(h);
}
END_TEST

/* The longest matching wildcard wins; a name no route lists goes to the
 * route without host. */
START_TEST(test_http_proxy_host_longest_wildcard)
{
	struct harness *h = harness_new(__func__);
	int a = harness_backend_port(harness_http_backend(h, AF_INET));
	int b = harness_backend_port(harness_http_backend(h, AF_INET));
	int c = harness_backend_port(harness_http_backend(h, AF_INET));
	int port = hp_start_hosts(h, "\"*.example.test\"", a,
				  "\"*.api.example.test\"", b, c, NULL);
	const struct harness_http_resp *r;

	r = hp_get(h, port, "x.api.example.test", "/", "");
	hp_status(r, 200, "x.api.example.test");
	ck_assert_int_eq(hp_answered_by(h, r), b);
	r = hp_get(h, port, "www.example.test", "/", "");
	hp_status(r, 200, "www.example.test");
	ck_assert_int_eq(hp_answered_by(h, r), a);
	r = hp_get(h, port, "example.test", "/", "");
	hp_status(r, 200, "example.test");
	ck_assert_int_eq(hp_answered_by(h, r), c);
	r = hp_get(h, port, "other.test", "/", "");
	hp_status(r, 200, "other.test");
	ck_assert_int_eq(hp_answered_by(h, r), c);
	harness_free(h);
}
END_TEST

/* When every route has a host, an unknown one is 404 naming it. */
START_TEST(test_http_proxy_no_route_404)
{
	struct harness *h = harness_new(__func__);
	int a = harness_backend_port(harness_http_backend(h, AF_INET));
	int port = hp_start_hosts(h, "\"a.test\"", a, "\"b.test\"", a, 0, NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);

	harness_http_puts(c, "GET / HTTP/1.1\r\nHost: nope.test:81\r\n\r\n");
	hp_error(h, c, harness_http_response(c, 0, HP_WAIT), 404,
		 "404 No route for host nope.test");
	harness_free(h);
}
END_TEST

/* A host-matched route goes to its configured target: porty parameters are
 * stripped and ignored. */
START_TEST(test_http_proxy_host_match_ignores_dynamic)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *ba = harness_http_backend(h, AF_INET);
	int a = harness_backend_port(ba);
	int d = harness_backend_port(harness_http_backend(h, AF_INET));
	int port = hp_start_hosts(h, "\"a.test\"", a, "\"b.test\"", a, a, NULL);
	const struct harness_http_resp *r;

	r = hp_get(
	    h, port, "a.test",
	    harness_fmt(h, "/p?porty_host=127.0.0.1&porty_port=%d&k=v", d), "");
	hp_status(r, 200, "host-matched");
	ck_assert_int_eq(hp_answered_by(h, r), a);
	ck_assert_str_eq(hp_req(h, ba, 0)->target, "/p?k=v");
	harness_free(h);
}
END_TEST

/* porty_host/porty_port pick the backend; they are removed, the other
 * parameters keep their order and encoding. */
START_TEST(test_http_proxy_dynamic)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int bport = harness_backend_port(b);
	int port = hp_start(h, 0, "", "", NULL);
	const struct harness_http_req *q;

	hp_status(hp_get(h, port, "front.test",
			 harness_fmt(h,
				     "/api/v1?a=%%20x&porty_host=127.0.0.1&b=&"
				     "porty_port=%d&c=%%2F&&d",
				     bport),
			 ""),
		  200, "dynamic");
	q = hp_req(h, b, 0);
	ck_assert_str_eq(q->target, "/api/v1?a=%20x&b=&c=%2F&&d");
	ck_assert_str_eq(harness_http_head_value(h, q->head, "Host"),
			 hp_hostport(h, bport));
	harness_free(h);
}
END_TEST

/* Names and values are percent-decoded, and an empty query drops '?'. */
START_TEST(test_http_proxy_dynamic_percent_decoding)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int bport = harness_backend_port(b);
	int port = hp_start(h, 0, "", "", NULL);
	char enc[32];
	size_t i, k = 0;
	const char *digits = harness_fmt(h, "%d", bport);

	for (i = 0; digits[i] != '\0'; i++)
		k += (size_t)snprintf(enc + k, sizeof(enc) - k, "%%%02X",
				      (unsigned)digits[i]);
	hp_status(hp_get(h, port, "x",
			 harness_fmt(h,
				     "/p?porty%%5Fhost=127%%2E0%%2E0%%2E1&"
				     "porty_port=%s",
				     enc),
			 ""),
		  200, "encoded parameters");
	ck_assert_str_eq(hp_req(h, b, 0)->target, "/p");
	harness_free(h);
}
END_TEST

/* A dynamic target beats the fallback route's configured one; without
 * parameters the configured target serves. */
START_TEST(test_http_proxy_dynamic_over_configured)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *bc = harness_http_backend(h, AF_INET);
	struct harness_backend *bd = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(bc), "", "", NULL);
	const struct harness_http_resp *r;

	r = hp_get(h, port, "x",
		   harness_fmt(h, "/d?porty_host=127.0.0.1&porty_port=%d",
			       harness_backend_port(bd)),
		   "");
	hp_status(r, 200, "dynamic");
	ck_assert_int_eq(hp_answered_by(h, r), harness_backend_port(bd));
	r = hp_get(h, port, "x", "/c", "");
	hp_status(r, 200, "configured");
	ck_assert_int_eq(hp_answered_by(h, r), harness_backend_port(bc));
	ck_assert_str_eq(hp_req(h, bd, 0)->target, "/d");
	ck_assert_str_eq(hp_req(h, bc, 0)->target, "/c");
	harness_free(h);
}
END_TEST

/* With dynamic = false the parameters are stripped and ignored. */
START_TEST(test_http_proxy_dynamic_disabled)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *bc = harness_http_backend(h, AF_INET);
	struct harness_backend *bd = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(bc), "",
			    "dynamic = false\n", NULL);
	const struct harness_http_resp *r;

	r = hp_get(h, port, "x",
		   harness_fmt(h, "/d?porty_host=127.0.0.1&porty_port=%d&z=1",
			       harness_backend_port(bd)),
		   "");
	hp_status(r, 200, "dynamic = false");
	ck_assert_int_eq(hp_answered_by(h, r), harness_backend_port(bc));
	ck_assert_str_eq(hp_req(h, bc, 0)->target, "/d?z=1");
	ck_assert_uint_eq(harness_http_nreqs(h, bd), 0);
	harness_free(h);
}
END_TEST

/* A dynamic-only route without parameters answers 400 naming them. */
START_TEST(test_http_proxy_missing_parameters)
{
	struct harness *h = harness_new(__func__);
	int port = hp_start(h, 0, "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);

	harness_http_puts(c, "GET /x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n");
	hp_error(h, c, harness_http_response(c, 0, HP_WAIT), 400,
		 "400 Missing porty_host and porty_port parameters");
	c = harness_http_connect(h, AF_INET, port);
	harness_http_puts(
	    c, "GET /x?porty_host=127.0.0.1 HTTP/1.1\r\nHost: a\r\n\r\n");
	hp_error(h, c, harness_http_response(c, 0, HP_WAIT), 400,
		 "400 Missing porty_port parameter");
	c = harness_http_connect(h, AF_INET, port);
	harness_http_puts(c,
			  "GET /x?porty_port=80 HTTP/1.1\r\nHost: a\r\n\r\n");
	hp_error(h, c, harness_http_response(c, 0, HP_WAIT), 400,
		 "400 Missing porty_host parameter");
	harness_free(h);
}
END_TEST

/* A port outside 1-65535 is 400 and nothing is forwarded. */
START_TEST(test_http_proxy_dynamic_bad_port)
{
	static const char *const bad[] = {
	    "0", "65536", "-1", "80x", "", "99999999999999999999"};
	struct harness *h = harness_new(__func__);
	int port = hp_start(h, 0, "", "", NULL);
	const struct harness_http_resp *r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = hp_get(h, port, "a",
			   harness_fmt(h,
				       "/?porty_host=127.0.0.1&porty_port=%s",
				       bad[i]),
			   "");
		ck_assert_msg(r->status == 400, "porty_port=%s: status %d",
			      bad[i], r->status);
	}
	harness_free(h);
}
END_TEST

/* The product's promise: curl with porty_host/porty_port is like curl to
 * the backend with the other parameters. */
START_TEST(test_http_proxy_curl_dynamic)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int bport = harness_backend_port(b);
	int port = hp_start(h, 0, "", "", NULL);
	const char *via[] = {
	    harness_fmt(h,
			"http://127.0.0.1:%d/api?porty_host=127.0.0.1&"
			"porty_port=%d&x=1",
			port, bport),
	    NULL};
	const char *direct[] = {
	    harness_fmt(h, "http://127.0.0.1:%d/api?x=1", bport), NULL};
	const struct harness_result *r;
	const struct harness_http_req *q0, *q1;

	r = harness_curl(h, via);
	ck_assert_msg(r->status == 0, "curl via porty: %d %s", r->status,
		      r->err);
	ck_assert_msg(strncmp(r->out, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s",
		      r->out);
	q0 = hp_req(h, b, 0);
	ck_assert_str_eq(q0->method, "GET");
	ck_assert_str_eq(q0->target, "/api?x=1");
	r = harness_curl(h, direct);
	ck_assert_msg(r->status == 0, "curl direct: %d %s", r->status, r->err);
	q1 = hp_req(h, b, 1);
	ck_assert_str_eq(q1->target, "/api?x=1");
	/* Same request line, Host, User-Agent and Accept as direct. */
	ck_assert(strncmp(q0->head, q1->head,
			  (size_t)(strchr(q1->head, '\n') - q1->head)) == 0);
	ck_assert_str_eq(harness_http_head_value(h, q0->head, "Host"),
			 harness_http_head_value(h, q1->head, "Host"));
	ck_assert_str_eq(harness_http_head_value(h, q0->head, "User-Agent"),
			 harness_http_head_value(h, q1->head, "User-Agent"));
	ck_assert_str_eq(harness_http_head_value(h, q0->head, "Accept"),
			 harness_http_head_value(h, q1->head, "Accept"));
	harness_free(h);
}
END_TEST

/* Two requests on one client connection go to two different backends. */
START_TEST(test_http_proxy_per_request_routing)
{
	struct harness *h = harness_new(__func__);
	int a = harness_backend_port(harness_http_backend(h, AF_INET));
	int b = harness_backend_port(harness_http_backend(h, AF_INET));
	int port = hp_start(h, 0, "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(
	    c,
	    harness_fmt(h,
			"GET /1?porty_host=127.0.0.1&porty_port=%d HTTP/1.1\r\n"
			"Host: x\r\n\r\n",
			a));
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "first");
	ck_assert_int_eq(hp_answered_by(h, r), a);
	harness_http_puts(
	    c,
	    harness_fmt(h,
			"GET /2?porty_host=127.0.0.1&porty_port=%d HTTP/1.1\r\n"
			"Host: x\r\n\r\n",
			b));
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "second");
	ck_assert_int_eq(hp_answered_by(h, r), b);
	harness_free(h);
}
END_TEST

/* IPv6: a route on ::1 forwards to a dynamic [::1] backend. */
START_TEST(test_http_proxy_ipv6)
{
	struct harness *h;
	struct harness_backend *b;
	struct harness_http_conn *c;
	int port;

	if (!harness_have_ipv6())
		return;
	h = harness_new(__func__);
	b = harness_http_backend(h, AF_INET6);
	port = harness_port(AF_INET6);
	harness_serve(h, port,
		      harness_fmt(h,
				  "[[routes]]\nname = \"v6\"\nmode = \"http\"\n"
				  "listen_addr = \"::1\"\nlisten_port = %d\n"
				  "target_port = 0\n",
				  port));
	c = harness_http_connect(h, AF_INET6, port);
	harness_http_puts(
	    c, harness_fmt(
		   h,
		   "GET /v6?porty_host=%%3A%%3A1&porty_port=%d HTTP/1.1\r\n"
		   "Host: [::1]\r\n\r\n",
		   harness_backend_port(b)));
	hp_status(harness_http_response(c, 0, HP_WAIT), 200, "to [::1]");
	ck_assert_str_eq(hp_req(h, b, 0)->target, "/v6");
	ck_assert_str_eq(
	    harness_http_head_value(h, hp_req(h, b, 0)->head, "Host"),
	    harness_fmt(h, "[::1]:%d", harness_backend_port(b)));
	harness_free(h);
}
END_TEST

/* --- dynamic_allow ----------------------------------------------------- */

/* Start a dynamic-only route with dynamic_allow = ALLOW (TOML array). */
static int
hp_start_allow(struct harness *h, const char *allow)
{
	return hp_start(h, 0, "", harness_fmt(h, "dynamic_allow = %s\n", allow),
			NULL);
}

/* GET / to the dynamic target HOST:PORT through porty on LPORT. */
static const struct harness_http_resp *
hp_dyn(struct harness *h, int lport, const char *host, int port)
{
	return hp_get(
	    h, lport, "x",
	    harness_fmt(h, "/?porty_host=%s&porty_port=%d", host, port), "");
}

/* CIDR and IP patterns with ports and ranges admit exactly what they
 * say; the rest is 403 naming the target. */
START_TEST(test_http_proxy_allow_ip_cidr_ports)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	struct harness_backend *b2 = harness_http_backend(h, AF_INET);
	int bp = harness_backend_port(b), bp2 = harness_backend_port(b2);
	int port = hp_start_allow(
	    h, harness_fmt(h, "[\"127.0.0.0/8:%d\", \"127.0.0.1:%d-%d\"]", bp,
			   bp2, bp2));
	struct harness_http_conn *c;

	hp_status(hp_dyn(h, port, "127.0.0.1", bp), 200, "CIDR with port");
	hp_status(hp_dyn(h, port, "127.0.0.1", bp2), 200, "IP with range");
	c = harness_http_connect(h, AF_INET, port);
	harness_http_puts(c,
			  harness_fmt(h,
				      "GET /?porty_host=127.0.0.1&porty_port="
				      "%d HTTP/1.1\r\nHost: x\r\n\r\n",
				      port));
	hp_error(h, c, harness_http_response(c, 0, HP_WAIT), 403,
		 harness_fmt(h, "403 Dynamic target 127.0.0.1:%d not allowed",
			     port));
	ck_assert_uint_eq(harness_http_nreqs(h, b), 1);
	ck_assert_uint_eq(harness_http_nreqs(h, b2), 1);
	harness_free(h);
}
END_TEST

/* Name patterns match the requested name: "localhost" passes an allow
 * list of "localhost", not one of "*.internal". */
START_TEST(test_http_proxy_allow_names)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int bp = harness_backend_port(b);
	int port = hp_start_allow(h, "[\"*.internal\", \"10.0.0.0/8\"]");
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);

	harness_http_puts(c,
			  harness_fmt(h,
				      "GET /?porty_host=localhost&porty_port="
				      "%d HTTP/1.1\r\nHost: x\r\n\r\n",
				      bp));
	hp_error(
	    h, c, harness_http_response(c, 0, HP_WAIT), 403,
	    harness_fmt(h, "403 Dynamic target localhost:%d not allowed", bp));
	ck_assert_uint_eq(harness_http_nreqs(h, b), 0);
	harness_free(h);
}
END_TEST

/* A name pattern admits the name, which resolves on loopback. */
START_TEST(test_http_proxy_allow_name_admits)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int bp = harness_backend_port(b);
	int port = hp_start_allow(h, harness_fmt(h, "[\"localhost:%d\"]", bp));

	/* localhost may resolve to ::1 first; porty must reach 127.0.0.1. */
	hp_status(hp_dyn(h, port, "localhost", bp), 200, "localhost");
	ck_assert_str_eq(
	    harness_http_head_value(h, hp_req(h, b, 0)->head, "Host"),
	    harness_fmt(h, "localhost:%d", bp));
	hp_status(hp_dyn(h, port, "127.0.0.1", bp), 403, "127.0.0.1 by IP");
	harness_free(h);
}
END_TEST

/* A refused dynamic target is 403 also on a route with a configured
 * target: never silently sent there instead. */
START_TEST(test_http_proxy_allow_deny_on_configured_route)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *bc = harness_http_backend(h, AF_INET);
	struct harness_backend *bd = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(bc), "",
			    "dynamic_allow = [\"10.0.0.0/8\"]\n", NULL);

	hp_status(hp_dyn(h, port, "127.0.0.1", harness_backend_port(bd)), 403,
		  "refused dynamic target");
	hp_status(hp_get(h, port, "x", "/plain", ""), 200, "no parameters");
	ck_assert_uint_eq(harness_http_nreqs(h, bd), 0);
	ck_assert_uint_eq(harness_http_nreqs(h, bc), 1);
	harness_free(h);
}
END_TEST

/* Link-local addresses are refused under "*", with the reason. */
START_TEST(test_http_proxy_allow_link_local)
{
	struct harness *h = harness_new(__func__);
	int port = hp_start_allow(h, "[\"*\"]");
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);

	harness_http_puts(c, "GET /?porty_host=169.254.169.254&porty_port=80 "
			     "HTTP/1.1\r\nHost: x\r\n\r\n");
	hp_error(h, c, harness_http_response(c, 0, HP_WAIT), 403,
		 "403 Dynamic target 169.254.169.254:80 not allowed "
		 "(link-local address)");
	harness_free(h);
}
END_TEST

/* A dynamic target that is porty's own listener is 508. */
START_TEST(test_http_proxy_loop_detected)
{
	struct harness *h = harness_new(__func__);
	int port = hp_start(h, 0, "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);

	harness_http_puts(c,
			  harness_fmt(h,
				      "GET /?porty_host=127.0.0.1&porty_port="
				      "%d HTTP/1.1\r\nHost: x\r\n\r\n",
				      port));
	hp_error(h, c, harness_http_response(c, 0, HP_WAIT), 508,
		 "508 Loop Detected");
	harness_free(h);
}
END_TEST

/* --- bodies ------------------------------------------------------------ */

/* A 4 MiB Content-Length upload reaches the backend intact. */
START_TEST(test_http_proxy_upload_content_length)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	/* A stalled upload ends in a 504 after 5 s, not 30. */
	int port = hp_start(h, harness_backend_port(b), "",
			    "timeout_seconds = 5\n", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	struct harness_digest want = harness_pattern_digest(11, 4 * MIB);
	char *buf = malloc(4 * MIB);
	const struct harness_http_req *q;
	bool sent;

	ck_assert_ptr_nonnull(buf);
	harness_pattern(11, 0, buf, 4 * MIB);
	harness_http_puts(c, harness_fmt(h,
					 "POST /up HTTP/1.1\r\nHost: x\r\n"
					 "Content-Length: %d\r\n\r\n",
					 4 * MIB));
	sent = harness_http_send(c, buf, 4 * MIB);
	free(buf);
	ck_assert_msg(sent, "the 4 MiB body was not taken within 10 s: %s",
		      strerror(errno));
	hp_status(harness_http_response(c, 0, HP_WAIT), 200, "POST");
	q = hp_req(h, b, 0);
	ck_assert_msg(q->body_digest.len == want.len &&
			  q->body_digest.hash == want.hash,
		      "backend got %llu body bytes",
		      (unsigned long long)q->body_digest.len);
	ck_assert_str_eq(harness_http_head_value(h, q->head, "Content-Length"),
			 harness_fmt(h, "%d", 4 * MIB));
	harness_free(h);
}
END_TEST

/* A chunked upload with extensions and trailers arrives chunked. */
START_TEST(test_http_proxy_upload_chunked)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_req *q;

	harness_http_puts(c, "POST /up HTTP/1.1\r\nHost: x\r\n"
			     "Transfer-Encoding: chunked\r\n\r\n"
			     "5\r\nhello\r\n");
	harness_http_puts(c, "1;name=val\r\n \r\n6\r\nworld!\r\n"
			     "0\r\nX-Trailer: t\r\n\r\n");
	hp_status(harness_http_response(c, 0, HP_WAIT), 200, "chunked POST");
	q = hp_req(h, b, 0);
	ck_assert_uint_eq(q->body_len, 12);
	ck_assert(memcmp(q->body, "hello world!", 12) == 0);
	ck_assert_str_eq(
	    harness_http_head_value(h, q->head, "Transfer-Encoding"),
	    "chunked");
	harness_free(h);
}
END_TEST

/* Chunked and close-delimited responses reach the client whole. */
START_TEST(test_http_proxy_response_framings)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(c, "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "/chunked");
	ck_assert_str_eq(r->body, "hello, world");
	harness_http_puts(c, "GET /close HTTP/1.1\r\nHost: x\r\n\r\n");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "/close");
	ck_assert_str_eq(r->body, "close-delimited body\n");
	ck_assert(harness_http_closed(c, HP_WAIT));
	harness_free(h);
}
END_TEST

/* HEAD, 204 and 304 answers have no body: the next response on the same
 * connection is read correctly. */
START_TEST(test_http_proxy_bodiless_responses)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(c, "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n");
	r = harness_http_response(c, HARNESS_HTTP_HEAD, HP_WAIT);
	hp_status(r, 200, "HEAD");
	ck_assert_str_eq(harness_http_header(h, r, "Content-Length"), "10");
	harness_http_puts(c, "GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n");
	hp_status(harness_http_response(c, 0, HP_WAIT), 204, "204");
	harness_http_puts(c, "GET /status/304 HTTP/1.1\r\nHost: x\r\n\r\n");
	hp_status(harness_http_response(c, 0, HP_WAIT), 304, "304");
	harness_http_puts(c, "GET /head HTTP/1.1\r\nHost: x\r\n\r\n");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "GET after them");
	ck_assert_str_eq(r->body, "head body\n");
	harness_free(h);
}
END_TEST

/* An 8 MiB response streams through intact. */
/*
 * Large bodies, with the copy path (_i = 0: the default
 * max_connections_total leaves no descriptors for pipes on most machines)
 * and with splice(2) (_i = 1: a low cap leaves room for pipes): byte-exact,
 * the connection and its pooled upstream go on afterwards, and a body cut
 * by the backend mid-splice closes the client connection.
 */
START_TEST(test_http_proxy_large_download)
{
	static const char *const top[] = {"", "max_connections_total = 64\n"};
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), top[_i], "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	struct harness_digest want =
	    harness_pattern_digest(HARNESS_HTTP_SEED, 8 * MIB);
	const struct harness_http_resp *r;

	harness_http_puts(c, harness_fmt(h,
					 "GET /large?bytes=%d HTTP/1.1\r\n"
					 "Host: x\r\n\r\n",
					 8 * MIB));
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "/large");
	ck_assert(r->digest.len == want.len && r->digest.hash == want.hash);
	/* The same client connection, and the same backend connection. */
	harness_http_puts(c, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
	hp_status(harness_http_response(c, 0, HP_WAIT), 200, "after /large");
	ck_assert_uint_eq(hp_req(h, b, 1)->conn, hp_req(h, b, 0)->conn);
	/* Announced 1 MiB, sent 300 KiB: the client sees the cut. */
	harness_http_puts(c, "GET /large?bytes=1048576&cut=307200 HTTP/1.1\r\n"
			     "Host: x\r\n\r\n");
	r = harness_http_response(c, 0, HP_WAIT);
	ck_assert_int_eq(r->status, 0);
	ck_assert_int_ge(harness_wait_closed(harness_http_fd(c),
					     harness_ms(5000)),
			 0);
	harness_free(h);
}
END_TEST

/* Expect: 100-continue: the client gets 100 before sending the body. */
START_TEST(test_http_proxy_expect_100_continue)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(c,
			  "POST /100 HTTP/1.1\r\nHost: x\r\n"
			  "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n");
	r = harness_http_response(c, HARNESS_HTTP_INTERIM, HP_WAIT);
	hp_status(r, 100, "interim answer to Expect");
	harness_http_puts(c, "body");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "final");
	ck_assert_uint_eq(hp_req(h, b, 0)->body_len, 4);
	ck_assert(memcmp(hp_req(h, b, 0)->body, "body", 4) == 0);
	harness_free(h);
}
END_TEST

/* --- keep-alive, pipelining, pool -------------------------------------- */

/* Three requests on one client connection reuse one backend connection. */
START_TEST(test_http_proxy_keepalive_pool)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	int i;

	for (i = 0; i < 3; i++) {
		harness_http_puts(c, "GET /k HTTP/1.1\r\nHost: x\r\n\r\n");
		hp_status(harness_http_response(c, 0, HP_WAIT), 200, "GET /k");
	}
	ck_assert_uint_eq(hp_req(h, b, 2)->conn, hp_req(h, b, 0)->conn);
	ck_assert_uint_eq(hp_req(h, b, 1)->conn, hp_req(h, b, 0)->conn);
	ck_assert_uint_eq(hp_req(h, b, 2)->seq, 3);
	harness_free(h);
}
END_TEST

/* A pooled backend connection serves the next client too. */
START_TEST(test_http_proxy_pool_across_clients)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);

	harness_http_puts(c, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
	hp_status(harness_http_response(c, 0, HP_WAIT), 200, "first client");
	harness_http_close(c);
	c = harness_http_connect(h, AF_INET, port);
	harness_http_puts(c, "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
	hp_status(harness_http_response(c, 0, HP_WAIT), 200, "second client");
	ck_assert_uint_eq(hp_req(h, b, 1)->conn, hp_req(h, b, 0)->conn);
	harness_free(h);
}
END_TEST

/* Pipelined requests are answered in order, a slow first one included. */
START_TEST(test_http_proxy_pipelining)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(c, "GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"
			     "GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n"
			     "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n"
			     "GET /e3 HTTP/1.1\r\nHost: x\r\n\r\n");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "1st");
	ck_assert(strstr(r->body, "GET /slow?ms=300 ") == r->body);
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "2nd");
	ck_assert_str_eq(r->body, "hello, world");
	hp_status(harness_http_response(c, HARNESS_HTTP_HEAD, HP_WAIT), 200,
		  "3rd");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "4th");
	ck_assert(strstr(r->body, "GET /e3 ") == r->body);
	harness_free(h);
}
END_TEST

/* Pipelined requests to two dynamic backends each go to their own. */
START_TEST(test_http_proxy_pipelining_two_backends)
{
	struct harness *h = harness_new(__func__);
	int a = harness_backend_port(harness_http_backend(h, AF_INET));
	int b = harness_backend_port(harness_http_backend(h, AF_INET));
	int port = hp_start(h, 0, "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(
	    c, harness_fmt(h,
			   "GET /slow?ms=200&porty_host=127.0.0.1&porty_port=%d"
			   " HTTP/1.1\r\nHost: x\r\n\r\n"
			   "GET /b?porty_host=127.0.0.1&porty_port=%d"
			   " HTTP/1.1\r\nHost: x\r\n\r\n",
			   a, b));
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "1st");
	ck_assert_int_eq(hp_answered_by(h, r), a);
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "2nd");
	ck_assert_int_eq(hp_answered_by(h, r), b);
	harness_free(h);
}
END_TEST

/* Connection: close from the client closes the connection after the
 * answer. */
START_TEST(test_http_proxy_connection_close)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);

	harness_http_puts(c,
			  "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			  "\r\n");
	hp_status(harness_http_response(c, 0, HP_WAIT), 200, "GET");
	ck_assert(harness_http_closed(c, HP_WAIT));
	harness_free(h);
}
END_TEST

/* --- upgrade ----------------------------------------------------------- */

/* A WebSocket upgrade becomes a two-way tunnel after the 101. */
START_TEST(test_http_proxy_websocket)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;
	const struct harness_http_req *q;
	static const char frame[] = "\x81\x05hello raw \r\n\r\n bytes";
	char buf[64] = "";
	size_t n;

	harness_http_puts(
	    c, "GET /ws HTTP/1.1\r\nHost: x\r\n"
	       "Connection: Upgrade\r\nUpgrade: websocket\r\n"
	       "Sec-WebSocket-Version: 13\r\n"
	       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 101, "upgrade");
	q = hp_req(h, b, 0);
	ck_assert_str_eq(harness_http_head_value(h, q->head, "Upgrade"),
			 "websocket");
	ck_assert(harness_http_send(c, frame, sizeof(frame) - 1));
	n = harness_http_read_raw(c, buf, sizeof(frame) - 1, HP_WAIT);
	ck_assert_uint_eq(n, sizeof(frame) - 1);
	ck_assert(memcmp(buf, frame, n) == 0);
	/* The tunnel carries what is not HTTP both ways, again and again. */
	ck_assert(harness_http_send(c, "GET / HTTP/1.1\r\n\r\n", 18));
	n = harness_http_read_raw(c, buf, 18, HP_WAIT);
	ck_assert_uint_eq(n, 18);
	ck_assert(memcmp(buf, "GET / HTTP/1.1\r\n\r\n", 18) == 0);
	ck_assert_uint_eq(harness_http_nreqs(h, b), 1);
	harness_free(h);
}
END_TEST

/* --- errors ------------------------------------------------------------ */

/* A backend that refuses connections is 502 after the retries. */
START_TEST(test_http_proxy_backend_refused)
{
	struct harness *h = harness_new(__func__);
	int dead = harness_port(AF_INET);
	int port = hp_start(h, dead, "", "max_retries = 1\n", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);

	harness_http_puts(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	hp_error(h, c, harness_http_response(c, 0, HP_WAIT), 502,
		 "502 Backend connection failed after retries");
	harness_free(h);
}
END_TEST

/* No response byte within timeout_seconds is 504. */
START_TEST(test_http_proxy_backend_timeout)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "",
			    "timeout_seconds = 1\n", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	int64_t t0 = harness_now_ms();
	const struct harness_http_resp *r;

	harness_http_puts(c, "GET /slow?ms=8000 HTTP/1.1\r\nHost: x\r\n\r\n");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 504, "slow backend");
	ck_assert_msg(harness_now_ms() - t0 >= 900,
		      "504 after %lld ms, before timeout_seconds",
		      (long long)(harness_now_ms() - t0));
	hp_error(h, c, r, 504, NULL);
	harness_free(h);
}
END_TEST

/* A head not complete within header_timeout_seconds is 408. */
START_TEST(test_http_proxy_header_timeout)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b),
			    "header_timeout_seconds = 1\n", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(c, "GET /never HTTP/1.1\r\nHost: x\r\nX-Partial:");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 408, "partial head");
	hp_error(h, c, r, 408, NULL);
	ck_assert_uint_eq(harness_http_nreqs(h, b), 0);
	harness_free(h);
}
END_TEST

/* A request head over 64 KiB is 431; one just under goes through. */
START_TEST(test_http_proxy_head_limit)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c;
	const struct harness_http_resp *r;
	char *big = malloc(70000);

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 69999);
	big[69999] = '\0';
	big[60000] = '\0';
	r = hp_get(h, port, "x", "/ok", harness_fmt(h, "X-Big: %s\r\n", big));
	hp_status(r, 200, "60 KB field");
	big[60000] = 'a';
	c = harness_http_connect(h, AF_INET, port);
	harness_http_puts(c, harness_fmt(h,
					 "GET /big HTTP/1.1\r\nHost: x\r\n"
					 "X-Big: %s\r\n\r\n",
					 big));
	free(big);
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 431, "70 KB field");
	hp_error(h, c, r, 431, NULL);
	ck_assert_uint_eq(harness_http_nreqs(h, b), 1);
	harness_free(h);
}
END_TEST

/* A response with both Content-Length and Transfer-Encoding is 502 and
 * none of it reaches the client. */
START_TEST(test_http_proxy_response_smuggling)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(c, "GET /bad/cl-te HTTP/1.1\r\nHost: x\r\n\r\n");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 502, "CL+TE response");
	ck_assert(strstr(r->body, "hello") == NULL);
	harness_free(h);
}
END_TEST

/* A backend that closes without answering is 502. */
START_TEST(test_http_proxy_backend_drops)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);

	hp_status(hp_get(h, port, "x", "/drop", ""), 502, "dropped");
	harness_free(h);
}
END_TEST

/*
 * A client that resets while its request waits for the backend is seen at
 * once: the upstream connection is closed long before timeout_seconds.
 */
START_TEST(test_http_proxy_client_abort_seen)
{
	struct harness *h = harness_new(__func__);
	int bport, lfd = harness_listen(h, AF_INET, 16, &bport);
	int port = hp_start(h, bport, "", "timeout_seconds = 30\n", NULL);
	int cfd = harness_connect(AF_INET, port, harness_ms(5000));
	static const char get[] = "GET /never HTTP/1.1\r\nHost: x\r\n\r\n";
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	char req[512];
	int fd, waited;

	ck_assert_int_ge(cfd, 0);
	ck_assert(harness_send(cfd, get, sizeof(get) - 1, harness_ms(5000)));
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	/* The request arrived whole: porty waits for the answer now. */
	ck_assert_uint_gt(harness_recv(fd, req, 16, harness_ms(5000)), 0);
	/* close() with a zero linger sends a reset. */
	ck_assert_int_eq(
	    setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	(void)close(cfd);
	waited = harness_wait_closed(fd, harness_ms(5000));
	ck_assert_msg(waited >= 0,
		      "upstream still open 5 s after the client reset");
	(void)close(fd);
	harness_free(h);
}
END_TEST

/*
 * A client that half-closes after its request (shutdown(SHUT_WR)) still
 * gets the whole response, then the close.
 */
START_TEST(test_http_proxy_client_half_close)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(c,
			  "GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_eq(shutdown(harness_http_fd(c), SHUT_WR), 0);
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "half-closed client");
	ck_assert_msg(harness_contains(r->head, "Connection: close"),
		      "no Connection: close after the client's FIN: %s",
		      r->head);
	ck_assert_int_ge(harness_wait_closed(harness_http_fd(c),
					     harness_ms(5000)),
			 0);
	harness_free(h);
}
END_TEST

/*
 * An error answered before the request body is read: porty lingers,
 * dropping the body the client goes on sending, so the client's send
 * completes and the answer is read whole instead of lost to a reset.
 */
START_TEST(test_http_proxy_error_lingers)
{
	struct harness *h = harness_new(__func__);
	int port = hp_start(h, 0, "", "", NULL);
	int fd = harness_connect(AF_INET, port, harness_ms(5000));
	const size_t len = 4u << 20;
	char *body = calloc(1, len), resp[512];
	const char *head = "POST /upload HTTP/1.1\r\nHost: x\r\n"
			   "Content-Length: 4194304\r\n\r\n";
	size_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(body);
	ck_assert(harness_send(fd, head, strlen(head), harness_ms(5000)));
	ck_assert_msg(harness_send(fd, body, len, harness_ms(10000)),
		      "the body could not be sent: %s", strerror(errno));
	n = harness_recv(fd, resp, sizeof(resp) - 1, harness_ms(5000));
	resp[n] = '\0';
	ck_assert_msg(strncmp(resp, "HTTP/1.1 400 ", 13) == 0,
		      "no whole 400 answer: \"%s\"", resp);
	ck_assert_msg(harness_contains(resp, "\r\n\r\n400 "),
		      "the 400 has no body: \"%s\"", resp);
	(void)shutdown(fd, SHUT_WR);
	(void)close(fd);
	free(body);
	harness_free(h);
}
END_TEST

/* A 103 Early Hints reaches the client before the final response. */
START_TEST(test_http_proxy_interim_103)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(c, "GET /early HTTP/1.1\r\nHost: x\r\n\r\n");
	r = harness_http_response(c, HARNESS_HTTP_INTERIM, HP_WAIT);
	hp_status(r, 103, "interim");
	ck_assert_str_eq(harness_http_header(h, r, "Link"),
			 "</style.css>; rel=preload");
	r = harness_http_response(c, 0, HP_WAIT);
	hp_status(r, 200, "final");
	ck_assert_str_eq(r->body, "final\n");
	harness_free(h);
}
END_TEST

/* A backend failing mid-body closes the client connection after exactly
 * the bytes it sent: no error response is appended. */
START_TEST(test_http_proxy_failure_after_response_started)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(c, "GET /large?bytes=100000&cut=30000 HTTP/1.1\r\n"
			     "Host: x\r\n\r\n");
	r = harness_http_response(c, 0, HP_WAIT);
	ck_assert_msg(r->status == 0 && r->error != NULL &&
			  strstr(r->error, "closed") != NULL,
		      "a cut response did not end in a close: %d %s", r->status,
		      r->error ? r->error : "");
	ck_assert_uint_eq(r->body_len, 30000);
	ck_assert_msg(strstr(r->head, "200 OK") != NULL, "%s", r->head);
	harness_free(h);
}
END_TEST

/* A pooled connection the backend dropped is not a failure: the next
 * request is sent again on a fresh one. */
START_TEST(test_http_proxy_retry_dropped_pooled)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;
	int i;

	for (i = 0; i < 3; i++) {
		harness_http_puts(c, "GET /bye HTTP/1.1\r\nHost: x\r\n\r\n");
		r = harness_http_response(c, 0, HP_WAIT);
		hp_status(r, 200, "GET /bye");
		ck_assert_str_eq(r->body, "bye\n");
	}
	ck_assert_uint_eq(harness_http_nreqs(h, b), 3);
	harness_free(h);
}
END_TEST

/* An HTTP/1.0 request without Host is served and the connection closed. */
START_TEST(test_http_proxy_http10)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int bport = harness_backend_port(b);
	int port = hp_start(h, bport, "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);

	harness_http_puts(c, "GET /old HTTP/1.0\r\n\r\n");
	hp_status(harness_http_response(c, 0, HP_WAIT), 200, "HTTP/1.0");
	ck_assert(harness_http_closed(c, HP_WAIT));
	ck_assert_str_eq(
	    harness_http_head_value(h, hp_req(h, b, 0)->head, "Host"),
	    hp_hostport(h, bport));
	harness_free(h);
}
END_TEST

/* An absolute-form target is routed by its authority, not by Host. */
START_TEST(test_http_proxy_absolute_form)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *ba = harness_http_backend(h, AF_INET);
	int a = harness_backend_port(ba);
	int b = harness_backend_port(harness_http_backend(h, AF_INET));
	int port = hp_start_hosts(h, "\"a.test\"", a, "\"b.test\"", b, 0, NULL);
	const struct harness_http_resp *r;

	r = hp_get(h, port, "b.test", "http://a.test/abs?q=1", "");
	hp_status(r, 200, "absolute-form");
	ck_assert_int_eq(hp_answered_by(h, r), a);
	ck_assert_str_eq(hp_req(h, ba, 0)->target, "http://a.test/abs?q=1");
	harness_free(h);
}
END_TEST

/* A porty_host that is no host name is 400. */
START_TEST(test_http_proxy_dynamic_bad_host)
{
	static const char *const bad[] = {"a%20b", "",     "a..b",
					  "%00x",  "[::1", "a/b"};
	struct harness *h = harness_new(__func__);
	int port = hp_start(h, 0, "", "", NULL);
	const struct harness_http_resp *r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = hp_get(
		    h, port, "a",
		    harness_fmt(h, "/?porty_host=%s&porty_port=80", bad[i]),
		    "");
		ck_assert_msg(r->status == 400, "porty_host=%s: status %d",
			      bad[i], r->status);
	}
	harness_free(h);
}
END_TEST

/* --- request smuggling ------------------------------------------------- */

/*
 * A request porty must refuse with STATUS. When the fault is in the head,
 * nothing may be forwarded; when it is in a chunked body (IN_BODY), the
 * head may already have gone out, but the backend must never see the
 * request complete, nor anything after it.
 */
struct hp_smuggle {
	const char *name;
	const char *raw; /* sent as is; its bytes up to len */
	size_t len;
	int status;
	bool in_body;
};

#define HP_SM(name, raw, status)                                               \
	{                                                                      \
		name, raw, sizeof(raw) - 1, status, false                      \
	}
#define HP_SMB(name, raw, status)                                              \
	{                                                                      \
		name, raw, sizeof(raw) - 1, status, true                       \
	}
#define HP_NEXT "GET /SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n"

static const struct hp_smuggle hp_smuggles[] = {
    HP_SM("CL and TE",
	  "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("TE and CL",
	  "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	  "Content-Length: 40\r\n\r\n0\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("differing CL",
	  "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	  "Content-Length: 36\r\n\r\n" HP_NEXT,
	  400),
    HP_SM(
	"CL list",
	"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 36\r\n\r\n" HP_NEXT,
	400),
    HP_SM("empty CL",
	  "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n" HP_NEXT,
	  400),
    HP_SM("signed CL",
	  "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("TE identity",
	  "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n"
	  "0\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("TE chunked, identity",
	  "POST /a HTTP/1.1\r\nHost: x\r\n"
	  "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("TE chunked then gzip lines",
	  "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	  "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("TE xchunked",
	  "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"
	  "0\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("TE in HTTP/1.0",
	  "POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "0\r\n\r\n" HP_NEXT,
	  400),
    HP_SMB("chunk size not hex",
	   "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	   "zz\r\n0\r\n\r\n" HP_NEXT,
	   400),
    HP_SMB("chunk size 0x",
	   "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	   "0x5\r\nhello\r\n0\r\n\r\n" HP_NEXT,
	   400),
    HP_SMB("chunk size negative",
	   "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	   "-1\r\n0\r\n\r\n" HP_NEXT,
	   400),
    HP_SMB("chunk size overflow",
	   "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	   "10000000000000005\r\nhello\r\n0\r\n\r\n" HP_NEXT,
	   400),
    HP_SMB("chunk size with space",
	   "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	   " 5\r\nhello\r\n0\r\n\r\n" HP_NEXT,
	   400),
    HP_SMB("chunk data too long",
	   "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	   "2\r\nhello\r\n0\r\n\r\n" HP_NEXT,
	   400),
    HP_SMB("bare LF in chunk line",
	   "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	   "5\nhello\r\n0\r\n\r\n" HP_NEXT,
	   400),
    HP_SM("space before colon",
	  "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n"
	  "Content-Length: 0\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("tab before colon",
	  "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length\t: 36\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("obs-fold",
	  "POST /a HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n"
	  "Content-Length: 36\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("obs-fold of TE",
	  "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n"
	  "Content-Length: 36\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("bare CR in value",
	  "POST /a HTTP/1.1\r\nHost: x\r\nX-A: a\rContent-Length: "
	  "36\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("bare LF line ends",
	  "POST /a HTTP/1.1\nHost: x\nContent-Length: 36\n\n" HP_NEXT, 400),
    HP_SM("NUL in value",
	  "POST /a HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n"
	  "Content-Length: 36\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("control byte in name",
	  "POST /a HTTP/1.1\r\nHost: x\r\nX\x01A: a\r\n"
	  "Content-Length: 36\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("control byte in value",
	  "POST /a HTTP/1.1\r\nHost: x\r\nX-A: a\x0b"
	  "b\r\nContent-Length: 36\r\n\r\n" HP_NEXT,
	  400),
    HP_SM("two Host lines",
	  "GET /a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n" HP_NEXT, 400),
    HP_SM("no Host in HTTP/1.1", "GET /a HTTP/1.1\r\n\r\n" HP_NEXT, 400),
};

/* Each smuggling attempt is refused with its status and the connection
 * closed; the backend never sees the smuggled request. */
START_TEST(test_http_proxy_smuggling)
{
	const struct hp_smuggle *s = &hp_smuggles[_i];
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;
	const struct harness_http_req *q;
	size_t n, i;

	ck_assert_msg(harness_http_send(c, s->raw, s->len), "send");
	r = harness_http_response(c, 0, HP_WAIT);
	/* First what matters most: the smuggled request never arrived, and
	 * a later request still does. */
	hp_status(hp_get(h, port, "x", "/after", ""), 200, "later request");
	ck_assert_msg(!harness_http_saw(h, b, "SMUGGLED"),
		      "%s: the backend saw the smuggled request", s->name);
	n = harness_http_nreqs(h, b);
	for (i = 0; i < n; i++) {
		q = harness_http_req(h, b, i);
		ck_assert_msg(q->garbage || strcmp(q->target, "/after") == 0,
			      "%s: the backend got a whole request %s", s->name,
			      q->head);
		ck_assert_msg(s->in_body || !q->garbage,
			      "%s: bytes reached the backend: %s", s->name,
			      q->head);
	}
	ck_assert_msg(r->status == s->status, "%s: status %d, expected %d (%s)",
		      s->name, r->status, s->status,
		      r->error != NULL ? r->error : r->body);
	hp_error(h, c, r, s->status, NULL);
	harness_free(h);
}
END_TEST

/* Transfer-Encoding spellings that mean chunked. */
static const char *const hp_chunked_te[] = {"Chunked",   "chunked,",
					    "chunked\t", "CHUNKED",
					    ", chunked", "gzip, chunked"};

/* `Chunked`, `chunked,`, `chunked<TAB>`... are framed as chunked (or
 * refused): porty and the backend agree where the request ends. */
START_TEST(test_http_proxy_chunked_spellings)
{
	const char *te = hp_chunked_te[_i];
	struct harness *h = harness_new(__func__);
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	int port = hp_start(h, harness_backend_port(b), "", "", NULL);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;
	const struct harness_http_req *q;

	harness_http_puts(c,
			  harness_fmt(h,
				      "POST /a HTTP/1.1\r\nHost: x\r\n"
				      "Transfer-Encoding: %s\r\n\r\n"
				      "5\r\nhello\r\n0\r\n\r\n"
				      "GET /second HTTP/1.1\r\nHost: x\r\n\r\n",
				      te));
	r = harness_http_response(c, 0, HP_WAIT);
	if (r->status == 400) {
		/* Refusing is allowed; forwarding anything then is not. */
		ck_assert(harness_http_closed(c, HP_WAIT));
		ck_assert_uint_eq(harness_http_nreqs(h, b), 0);
		harness_free(h);
		return;
	}
	hp_status(r, 200, te);
	hp_status(harness_http_response(c, 0, HP_WAIT), 200, "/second");
	q = hp_req(h, b, 0);
	ck_assert_msg(!q->garbage && q->body_len == 5 &&
			  memcmp(q->body, "hello", 5) == 0,
		      "TE \"%s\": backend got body \"%.*s\"", te,
		      (int)q->body_len, q->body);
	q = hp_req(h, b, 1);
	ck_assert_msg(!q->garbage && strcmp(q->target, "/second") == 0,
		      "TE \"%s\": second record %s", te, q->head);
	ck_assert_uint_eq(harness_http_nreqs(h, b), 2);
	harness_free(h);
}
END_TEST

/* --- logging ----------------------------------------------------------- */

/* How many lines of TEXT contain NEEDLE. */
static size_t
hp_count_lines_with(const char *text, const char *needle)
{
	const char *p = text, *nl;
	size_t n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

/* The first line of TEXT that contains NEEDLE, or NULL. */
static const char *
hp_line_with(struct harness *h, const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *s, *e;

	if (p == NULL)
		return NULL;
	for (s = p; s > text && s[-1] != '\n'; s--)
		;
	e = strchr(p, '\n');
	return harness_fmt(h, "%.*s",
			   (int)(e != NULL ? e - s : (long)strlen(s)), s);
}

/*
 * Start a dynamic route with log_format FORMAT (and log_level LEVEL), send
 * a 1000-byte POST to /large?bytes=5000 through it with porty parameters
 * and extra header lines EXTRA, stop porty and return its log.
 */
static const char *
hp_logged(struct harness *h, const char *format, const char *level,
	  const char *extra, int *bport)
{
	struct harness_backend *b = harness_http_backend(h, AF_INET);
	struct harness_proc *p;
	int port =
	    hp_start(h, 0, harness_fmt(h, "log_format = \"%s\"\n", format),
		     harness_fmt(h, "log_level = \"%s\"\n", level), &p);
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	char body[1000];

	*bport = harness_backend_port(b);
	memset(body, 'b', sizeof(body));
	harness_http_puts(
	    c, harness_fmt(h,
			   "POST /large?bytes=5000&porty_host=127.0.0.1&"
			   "porty_port=%d&k=v HTTP/1.1\r\nHost: x\r\n%s"
			   "Content-Length: 1000\r\n\r\n",
			   *bport, extra));
	ck_assert(harness_http_send(c, body, sizeof(body)));
	hp_status(harness_http_response(c, 0, HP_WAIT), 200, "logged POST");
	harness_http_close(c);
	harness_stop(p);
	return harness_log(p);
}

/* json: one object per request with method, path without porty
 * parameters, target, status, exact byte counts and duration. */
START_TEST(test_http_proxy_log_json)
{
	struct harness *h = harness_new(__func__);
	int bport;
	const char *log = hp_logged(h, "json", "basic", "", &bport);
	const char *line = hp_line_with(h, log, "\"POST\"");
	long long in, out, st;
	const char *d;
	double ms;
	const char *p, *nl;
	char *end;

	ck_assert_msg(line != NULL, "no request line in: %s", log);
	/* Every line, start-up and shutdown included, is one object. */
	for (p = log; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "unterminated last line: %s", p);
		ck_assert_msg(nl == p || harness_json_object(p),
			      "not one JSON object: %.*s", (int)(nl - p), p);
	}
	ck_assert_uint_eq(hp_count_lines_with(log, "/large?bytes=5000"), 1);
	ck_assert_str_eq(harness_json_str(h, line, "method"), "POST");
	ck_assert_str_eq(harness_json_str(h, line, "path"),
			 "/large?bytes=5000&k=v");
	ck_assert_msg(strstr(harness_json_str(h, line, "target"),
			     hp_hostport(h, bport)) != NULL,
		      "target: %s", line);
	ck_assert(harness_json_int(line, "status", &st));
	ck_assert_int_eq(st, 200);
	ck_assert(harness_json_int(line, "bytes_in", &in));
	ck_assert(harness_json_int(line, "bytes_out", &out));
	/* duration_ms is a number, not necessarily an integer. */
	d = strstr(line, "\"duration_ms\":");
	ck_assert_msg(d != NULL, "no duration_ms: %s", line);
	ms = strtod(d + 14, &end);
	ck_assert_msg(end != d + 14 && ms >= 0 && ms < 60000, "duration_ms: %s",
		      line);
	ck_assert_msg(in >= 1000 && in < 1000 + 4096, "bytes_in %lld", in);
	ck_assert_msg(out >= 5000 && out < 5000 + 4096, "bytes_out %lld", out);
	ck_assert(strstr(log, "porty_host") == NULL);
	harness_free(h);
}
END_TEST

/* text: one plain line with method, path, target, status and bytes. */
START_TEST(test_http_proxy_log_text)
{
	struct harness *h = harness_new(__func__);
	int bport;
	const char *log = hp_logged(h, "text", "basic", "", &bport);
	const char *line = hp_line_with(h, log, "POST");

	ck_assert_msg(line != NULL, "no request line in: %s", log);
	ck_assert_msg(hp_count_lines_with(log, "/large?bytes=5000") == 1,
		      "not one line per request: %s", log);
	ck_assert_msg(strstr(line, "/large?bytes=5000&k=v") != NULL &&
			  strstr(line, hp_hostport(h, bport)) != NULL &&
			  strstr(line, "200") != NULL &&
			  strstr(line, "web") != NULL,
		      "request line: %s", line);
	ck_assert(strstr(log, "porty_host") == NULL);
	harness_free(h);
}
END_TEST

/* porty: Porty's layout, the request and the status with elapsed ms. */
START_TEST(test_http_proxy_log_porty)
{
	struct harness *h = harness_new(__func__);
	int bport;
	const char *log = hp_logged(h, "porty", "basic", "", &bport);

	ck_assert_msg(strstr(log, "\xf0\x9f\x94\x84") != NULL && /* 🔄 */
			  strstr(log, "\xe2\x9c\x85") != NULL && /* ✅ */
			  strstr(log, "POST") != NULL &&
			  strstr(log, "/large?bytes=5000&k=v") != NULL &&
			  strstr(log, hp_hostport(h, bport)) != NULL,
		      "log: %s", log);
	ck_assert(strstr(log, "porty_host") == NULL);
	harness_free(h);
}
END_TEST

/* verbose adds request headers with credentials masked. */
START_TEST(test_http_proxy_log_verbose_masks)
{
	struct harness *h = harness_new(__func__);
	int bport;
	const char *log =
	    hp_logged(h, "text", "verbose",
		      "Authorization: Bearer SECRET-AUTH\r\n"
		      "Cookie: session=SECRET-COOKIE\r\n"
		      "Proxy-Authorization: Basic SECRET-PROXY\r\n"
		      "X-Visible: shown-value\r\n",
		      &bport);

	ck_assert_msg(strstr(log, "shown-value") != NULL,
		      "verbose log lacks the headers: %s", log);
	ck_assert_msg(harness_contains(log, "Authorization") &&
			  harness_contains(log, "Cookie"),
		      "masked headers not named: %s", log);
	ck_assert_msg(strstr(log, "SECRET") == NULL,
		      "credentials in the log: %s", log);
	harness_free(h);
}
END_TEST

Suite *
http_proxy_suite(void)
{
	Suite *s = suite_create("http_proxy");
	TCase *tc;

	tc = harness_tcase("harness", 30);
	tcase_add_test(tc, test_http_proxy_backend_direct);
	suite_add_tcase(s, tc);

	tc = harness_tcase("forward", 30);
	tcase_add_test(tc, test_http_proxy_get_round_trip);
	tcase_add_test(tc, test_http_proxy_headers_preserved);
	tcase_add_test(tc, test_http_proxy_target_byte_for_byte);
	tcase_add_test(tc, test_http_proxy_preserve_host);
	tcase_add_test(tc, test_http_proxy_hop_by_hop_removed);
	tcase_add_test(tc, test_http_proxy_connection_keeps_own_fields);
	tcase_add_test(tc, test_http_proxy_forwarded_headers);
	tcase_add_test(tc, test_http_proxy_forwarded_headers_off);
	suite_add_tcase(s, tc);

	tc = harness_tcase("routing", 30);
	tcase_add_test(tc, test_http_proxy_host_exact);
	tcase_add_test(tc, test_http_proxy_host_longest_wildcard);
	tcase_add_test(tc, test_http_proxy_no_route_404);
	tcase_add_test(tc, test_http_proxy_host_match_ignores_dynamic);
	tcase_add_test(tc, test_http_proxy_dynamic);
	tcase_add_test(tc, test_http_proxy_dynamic_percent_decoding);
	tcase_add_test(tc, test_http_proxy_dynamic_over_configured);
	tcase_add_test(tc, test_http_proxy_dynamic_disabled);
	tcase_add_test(tc, test_http_proxy_missing_parameters);
	tcase_add_test(tc, test_http_proxy_dynamic_bad_port);
	tcase_add_test(tc, test_http_proxy_curl_dynamic);
	tcase_add_test(tc, test_http_proxy_per_request_routing);
	tcase_add_test(tc, test_http_proxy_ipv6);
	tcase_add_test(tc, test_http_proxy_absolute_form);
	tcase_add_test(tc, test_http_proxy_dynamic_bad_host);
	tcase_add_test(tc, test_http_proxy_http10);
	suite_add_tcase(s, tc);

	tc = harness_tcase("dynamic_allow", 30);
	tcase_add_test(tc, test_http_proxy_allow_ip_cidr_ports);
	tcase_add_test(tc, test_http_proxy_allow_names);
	tcase_add_test(tc, test_http_proxy_allow_name_admits);
	tcase_add_test(tc, test_http_proxy_allow_deny_on_configured_route);
	tcase_add_test(tc, test_http_proxy_allow_link_local);
	tcase_add_test(tc, test_http_proxy_loop_detected);
	suite_add_tcase(s, tc);

	tc = harness_tcase("bodies", 60);
	tcase_add_test(tc, test_http_proxy_upload_content_length);
	tcase_add_test(tc, test_http_proxy_upload_chunked);
	tcase_add_test(tc, test_http_proxy_response_framings);
	tcase_add_test(tc, test_http_proxy_bodiless_responses);
	tcase_add_loop_test(tc, test_http_proxy_large_download, 0, 2);
	tcase_add_test(tc, test_http_proxy_expect_100_continue);
	tcase_add_test(tc, test_http_proxy_interim_103);
	suite_add_tcase(s, tc);

	tc = harness_tcase("keepalive", 30);
	tcase_add_test(tc, test_http_proxy_keepalive_pool);
	tcase_add_test(tc, test_http_proxy_pool_across_clients);
	tcase_add_test(tc, test_http_proxy_pipelining);
	tcase_add_test(tc, test_http_proxy_pipelining_two_backends);
	tcase_add_test(tc, test_http_proxy_connection_close);
	tcase_add_test(tc, test_http_proxy_client_abort_seen);
	tcase_add_test(tc, test_http_proxy_client_half_close);
	tcase_add_test(tc, test_http_proxy_error_lingers);
	tcase_add_test(tc, test_http_proxy_retry_dropped_pooled);
	suite_add_tcase(s, tc);

	tc = harness_tcase("upgrade", 30);
	tcase_add_test(tc, test_http_proxy_websocket);
	suite_add_tcase(s, tc);

	tc = harness_tcase("errors", 30);
	tcase_add_test(tc, test_http_proxy_backend_refused);
	tcase_add_test(tc, test_http_proxy_backend_timeout);
	tcase_add_test(tc, test_http_proxy_header_timeout);
	tcase_add_test(tc, test_http_proxy_head_limit);
	tcase_add_test(tc, test_http_proxy_response_smuggling);
	tcase_add_test(tc, test_http_proxy_backend_drops);
	tcase_add_test(tc, test_http_proxy_failure_after_response_started);
	suite_add_tcase(s, tc);

	tc = harness_tcase("smuggling", 30);
	tcase_add_loop_test(
	    tc, test_http_proxy_smuggling, 0,
	    (int)(sizeof(hp_smuggles) / sizeof(hp_smuggles[0])));
	tcase_add_loop_test(
	    tc, test_http_proxy_chunked_spellings, 0,
	    (int)(sizeof(hp_chunked_te) / sizeof(hp_chunked_te[0])));
	suite_add_tcase(s, tc);

	tc = harness_tcase("log", 30);
	tcase_add_test(tc, test_http_proxy_log_json);
	tcase_add_test(tc, test_http_proxy_log_text);
	tcase_add_test(tc, test_http_proxy_log_porty);
	tcase_add_test(tc, test_http_proxy_log_verbose_masks);
	suite_add_tcase(s, tc);
	return s;
}
