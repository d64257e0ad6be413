/* SPDX-License-Identifier: MIT */
/* The tcp_forward suite: TCP routes of the real porty, driven over loopback. */
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

#define MIB (1024 * 1024)

/*
 * Start porty with one TCP route "fwd" from the loopback address of FAMILY,
 * port LPORT, to TPORT on the same address. TOP holds extra top-level keys,
 * ROUTE extra keys of the route; both may be "".
 */
static struct harness_proc *
fwd_start(struct harness *h, int family, int lport, int tport, const char *top,
	  const char *route)
{
	const char *addr = family == AF_INET6 ? "::1" : "127.0.0.1";

	return harness_serve(h, lport,
			     harness_fmt(h,
					 "%s\n"
					 "[[routes]]\n"
					 "name = \"fwd\"\n"
					 "listen_addr = \"%s\"\n"
					 "listen_port = %d\n"
					 "target_addr = \"%s\"\n"
					 "target_port = %d\n"
					 "%s\n",
					 top, addr, lport, addr, tport, route));
}

/* Connect to porty on PORT, or fail the test. */
static int
fwd_connect(int family, int port)
{
	int fd = harness_connect(family, port, harness_ms(5000));

	ck_assert_msg(fd != -1, "connect to porty on port %d: %s", port,
		      strerror(errno));
	return fd;
}

/* Send MSG on FD and expect it back (through an echo backend). */
static void
fwd_echo(int fd, const char *msg)
{
	char buf[256];
	size_t len = strlen(msg), got;

	ck_assert_uint_lt(len, sizeof(buf));
	ck_assert_msg(harness_send(fd, msg, len, harness_ms(5000)), "send: %s",
		      strerror(errno));
	got = harness_recv(fd, buf, len, harness_ms(5000));
	buf[got] = '\0';
	ck_assert_msg(got == len && memcmp(buf, msg, len) == 0,
		      "echo of \"%s\" came back as \"%s\"", msg, buf);
}

/* Assert that digest A equals B, naming WHAT. */
static void
fwd_same(const char *what, struct harness_digest a, struct harness_digest b)
{
	ck_assert_msg(
	    a.len == b.len && a.hash == b.hash,
	    "%s: %llu bytes (hash %016llx), expected %llu (hash %016llx)", what,
	    (unsigned long long)a.len, (unsigned long long)a.hash,
	    (unsigned long long)b.len, (unsigned long long)b.hash);
}

/* A short message goes through porty to an echo backend and comes back. */
START_TEST(test_tcp_forward_round_trip)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	struct harness_proc *p;
	int fd;

	p = fwd_start(h, AF_INET, port, harness_backend_port(echo), "", "");
	fd = fwd_connect(AF_INET, port);
	fwd_echo(fd, "hello, porty\n");
	fwd_echo(fd, "and again\n");
	close(fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* 8 MiB from the client reach the backend intact, then both sides close. */
START_TEST(test_tcp_forward_upload_8mib)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend_opts o = {.kind = HARNESS_SINK,
					 .family = AF_INET};
	struct harness_backend *sink = harness_backend(h, &o);
	int port = harness_port(AF_INET);
	struct harness_xfer x = {.send_len = 8 * MIB, .send_seed = 1};
	struct harness_digest got;
	struct harness_proc *p;

	p = fwd_start(h, AF_INET, port, harness_backend_port(sink), "", "");
	x.fd = fwd_connect(AF_INET, port);
	ck_assert_msg(harness_xfer(&x, 1, harness_ms(30000)),
		      "transfer not done: sent %llu, eof %d, error %s",
		      (unsigned long long)x.sent, x.eof, strerror(x.error));
	ck_assert_int_eq(x.error, 0);
	ck_assert_uint_eq(x.rx.len, 0);
	ck_assert_msg(harness_backend_report(sink, &got, harness_ms(5000)),
		      "the backend never saw the connection end");
	fwd_same("backend received", got, harness_pattern_digest(1, 8 * MIB));
	close(x.fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* 8 MiB from the backend reach the client intact. */
START_TEST(test_tcp_forward_download_8mib)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend_opts o = {.kind = HARNESS_SOURCE,
					 .family = AF_INET,
					 .reply_len = 8 * MIB,
					 .seed = 2};
	struct harness_backend *src = harness_backend(h, &o);
	int port = harness_port(AF_INET);
	struct harness_xfer x = {.send_after_eof = true};
	struct harness_digest got;
	struct harness_proc *p;

	p = fwd_start(h, AF_INET, port, harness_backend_port(src), "", "");
	x.fd = fwd_connect(AF_INET, port);
	ck_assert_msg(harness_xfer(&x, 1, harness_ms(30000)),
		      "transfer not done: received %llu, eof %d, error %s",
		      (unsigned long long)x.rx.len, x.eof, strerror(x.error));
	ck_assert_int_eq(x.error, 0);
	fwd_same("client received", x.rx, harness_pattern_digest(2, 8 * MIB));
	ck_assert(harness_backend_report(src, &got, harness_ms(5000)));
	ck_assert_uint_eq(got.len, 0);
	close(x.fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* After the client shuts down its write side it still gets the whole reply,
 * which the backend sends only once it has seen the client's EOF. */
START_TEST(test_tcp_forward_half_close_client)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend_opts o = {.kind = HARNESS_SINK,
					 .family = AF_INET,
					 .reply_len = MIB,
					 .seed = 4};
	struct harness_backend *sink = harness_backend(h, &o);
	int port = harness_port(AF_INET);
	struct harness_xfer x = {.send_len = MIB, .send_seed = 3};
	struct harness_digest got;
	struct harness_proc *p;

	p = fwd_start(h, AF_INET, port, harness_backend_port(sink), "", "");
	x.fd = fwd_connect(AF_INET, port);
	ck_assert_msg(harness_xfer(&x, 1, harness_ms(30000)),
		      "not done: sent %llu, received %llu, eof %d, error %s",
		      (unsigned long long)x.sent, (unsigned long long)x.rx.len,
		      x.eof, strerror(x.error));
	ck_assert_int_eq(x.error, 0);
	fwd_same("reply after the client's EOF", x.rx,
		 harness_pattern_digest(4, MIB));
	ck_assert(harness_backend_report(sink, &got, harness_ms(5000)));
	fwd_same("backend received", got, harness_pattern_digest(3, MIB));
	close(x.fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* After the backend shuts down its write side, what the client sends next
 * still reaches the backend in full. */
START_TEST(test_tcp_forward_half_close_backend)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend_opts o = {.kind = HARNESS_SOURCE,
					 .family = AF_INET,
					 .reply_len = MIB,
					 .seed = 5};
	struct harness_backend *src = harness_backend(h, &o);
	int port = harness_port(AF_INET);
	struct harness_xfer x = {
	    .send_len = MIB, .send_seed = 6, .send_after_eof = true};
	struct harness_digest got;
	struct harness_proc *p;

	p = fwd_start(h, AF_INET, port, harness_backend_port(src), "", "");
	x.fd = fwd_connect(AF_INET, port);
	ck_assert_msg(harness_xfer(&x, 1, harness_ms(30000)),
		      "not done: received %llu, eof %d, sent %llu, error %s",
		      (unsigned long long)x.rx.len, x.eof,
		      (unsigned long long)x.sent, strerror(x.error));
	ck_assert_int_eq(x.error, 0);
	fwd_same("client received", x.rx, harness_pattern_digest(5, MIB));
	ck_assert_msg(harness_backend_report(src, &got, harness_ms(5000)),
		      "the backend never saw the connection end");
	fwd_same("backend received after its EOF", got,
		 harness_pattern_digest(6, MIB));
	close(x.fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* 200 connections at once each get their own distinct payload echoed back. */
START_TEST(test_tcp_forward_concurrent)
{
	enum { N = 200 };
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	struct harness_xfer *x = calloc(N, sizeof(*x));
	struct harness_proc *p;
	size_t i;

	ck_assert_ptr_nonnull(x);
	p = fwd_start(h, AF_INET, port, harness_backend_port(echo), "",
		      "max_connections = 500");
	for (i = 0; i < N; i++) {
		x[i].fd = fwd_connect(AF_INET, port);
		x[i].send_len = 3000 + i * 7;
		x[i].send_seed = 100 + i;
	}
	ck_assert_msg(harness_xfer(x, N, harness_ms(30000)),
		      "not every connection finished in time");
	for (i = 0; i < N; i++) {
		ck_assert_msg(x[i].error == 0, "connection %zu: %s", i,
			      strerror(x[i].error));
		fwd_same("echoed payload", x[i].rx,
			 harness_pattern_digest(100 + i, 3000 + i * 7));
		close(x[i].fd);
	}
	free(x);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* With max_connections = 2 a third client waits in the backlog, unserved,
 * until one of the first two leaves; then it is served. */
START_TEST(test_tcp_forward_max_connections)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	struct harness_proc *p;
	char buf[16];
	int c1, c2, c3;

	p = fwd_start(h, AF_INET, port, harness_backend_port(echo), "",
		      "max_connections = 2");
	c1 = fwd_connect(AF_INET, port);
	fwd_echo(c1, "one");
	c2 = fwd_connect(AF_INET, port);
	fwd_echo(c2, "two");
	/* The kernel completes the handshake; porty must not accept it. */
	c3 = fwd_connect(AF_INET, port);
	ck_assert(harness_send(c3, "three", 5, harness_ms(5000)));
	ck_assert_msg(
	    !harness_readable(c3, 500),
	    "the third client was served (or closed) while two were open");
	close(c1);
	ck_assert_uint_eq(harness_recv(c3, buf, 5, harness_ms(5000)), 5);
	ck_assert(memcmp(buf, "three", 5) == 0);
	fwd_echo(c2, "still here");
	fwd_echo(c3, "served");
	close(c2);
	close(c3);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* A target that refuses: the client is closed, and the log says "refused". */
START_TEST(test_tcp_forward_refused)
{
	struct harness *h = harness_new(__func__);
	int port = harness_port(AF_INET), dead = harness_port(AF_INET);
	struct harness_proc *p;
	int fd;

	p = fwd_start(h, AF_INET, port, dead, "", "max_retries = 1");
	fd = fwd_connect(AF_INET, port);
	harness_send(fd, "x", 1, harness_ms(1000));
	ck_assert_msg(harness_wait_closed(fd, harness_ms(5000)) >= 0,
		      "the client stayed open although the target refuses");
	ck_assert_msg(harness_wait_log(p, "refused", harness_ms(3000)),
		      "porty's log does not say the connection was refused");
	close(fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* With max_retries = 3, a target that starts listening ~250 ms after the
 * client connected is reached by a retry and the client is served. */
START_TEST(test_tcp_forward_retry_late_backend)
{
	struct harness *h = harness_new(__func__);
	int port = harness_port(AF_INET), tport = harness_port(AF_INET);
	struct harness_backend_opts o = {.kind = HARNESS_ECHO,
					 .family = AF_INET,
					 .port = tport,
					 .delay_ms = 250};
	struct harness_proc *p;
	int fd;

	p = fwd_start(h, AF_INET, port, tport, "",
		      "max_retries = 3\nconnect_timeout_ms = 2000");
	fd = fwd_connect(AF_INET, port);
	harness_backend(h, &o);
	fwd_echo(fd, "late but fine");
	close(fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* A target whose SYNs are dropped: the client is closed after about
 * connect_timeout_ms per attempt, and the log mentions the timeout. */
START_TEST(test_tcp_forward_connect_timeout)
{
	struct harness *h = harness_new(__func__);
	int port = harness_port(AF_INET);
	int hole = harness_blackhole(h, AF_INET);
	struct harness_proc *p;
	const char *log;
	int fd, ms;

	/* Two attempts of 300 ms plus one backoff of 100 ms +-20%. */
	p = fwd_start(h, AF_INET, port, hole, "",
		      "connect_timeout_ms = 300\nmax_retries = 1");
	fd = fwd_connect(AF_INET, port);
	ms = harness_wait_closed(fd, harness_ms(5000));
	ck_assert_msg(ms >= 0, "the client is still open after 5 s");
	ck_assert_msg(ms >= 500,
		      "closed after %d ms, before two attempts "
		      "of 300 ms could time out",
		      ms);
	ck_assert_msg(ms <= 720 + harness_ms(1500), "closed only after %d ms",
		      ms);
	ck_assert(harness_wait_log(p, "time", harness_ms(3000)));
	log = harness_log(p);
	ck_assert_msg(harness_contains(log, "timed out") ||
			  harness_contains(log, "timeout"),
		      "porty's log does not mention the timeout");
	close(fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* With idle_timeout_seconds = 1 a silent connection is closed after ~1 s. */
START_TEST(test_tcp_forward_idle_timeout)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	struct harness_proc *p;
	int fd, ms;

	p = fwd_start(h, AF_INET, port, harness_backend_port(echo), "",
		      "idle_timeout_seconds = 1");
	fd = fwd_connect(AF_INET, port);
	fwd_echo(fd, "then silence");
	ms = harness_wait_closed(fd, harness_ms(5000));
	ck_assert_msg(ms >= 0, "an idle connection is still open after 5 s");
	ck_assert_msg(ms >= 700, "closed after %d ms of silence, not ~1 s", ms);
	ck_assert_msg(ms <= 1000 + harness_ms(1500),
		      "closed after %d ms of silence, not ~1 s", ms);
	close(fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* A route on ::1 forwards to a backend on ::1 (skipped without IPv6). */
START_TEST(test_tcp_forward_ipv6)
{
	struct harness *h;
	struct harness_backend *echo;
	struct harness_proc *p;
	int port, fd;

	if (!harness_have_ipv6()) {
		fprintf(stderr, "tcp_forward ipv6: ::1 unavailable, skipped\n");
		return;
	}
	h = harness_new(__func__);
	echo = harness_echo(h, AF_INET6);
	port = harness_port(AF_INET6);
	p = fwd_start(h, AF_INET6, port, harness_backend_port(echo), "", "");
	fd = fwd_connect(AF_INET6, port);
	fwd_echo(fd, "over IPv6");
	close(fd);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* SIGTERM during a transfer: the listener closes (new connects are
 * refused), the transfer still completes intact both ways, porty exits 0. */
START_TEST(test_tcp_forward_sigterm_drains)
{
	const size_t first = 256 * 1024;
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	struct harness_xfer x = {.send_len = 4 * MIB, .send_seed = 7};
	unsigned char *head = malloc(first);
	struct harness_proc *p;
	int64_t deadline;
	int probe, st;

	ck_assert_ptr_nonnull(head);
	p = fwd_start(h, AF_INET, port, harness_backend_port(echo),
		      "shutdown_timeout_seconds = 10", "");
	x.fd = fwd_connect(AF_INET, port);
	/* Relayed for sure (not just queued in the backlog), and with bytes
	 * in flight when the signal comes. */
	fwd_echo(x.fd, "ping");
	harness_pattern(7, 0, head, first);
	ck_assert(harness_send(x.fd, head, first, harness_ms(10000)));
	x.sent = first;
	harness_signal(p, SIGTERM);
	deadline = harness_now_ms() + harness_ms(5000);
	while (harness_port_listening(port) && harness_now_ms() < deadline)
		harness_sleep_ms(10);
	ck_assert_msg(!harness_port_listening(port),
		      "porty still listens 5 s after SIGTERM");
	probe = harness_connect(AF_INET, port, harness_ms(2000));
	ck_assert_msg(probe == -1 && errno == ECONNREFUSED,
		      "a new connect after SIGTERM was not refused");
	ck_assert_msg(
	    harness_xfer(&x, 1, harness_ms(20000)),
	    "the transfer did not finish after SIGTERM: sent %llu, received "
	    "%llu, eof %d, error %s",
	    (unsigned long long)x.sent, (unsigned long long)x.rx.len, x.eof,
	    strerror(x.error));
	ck_assert_msg(x.error == 0, "the in-flight connection broke: %s",
		      strerror(x.error));
	fwd_same("echoed through the draining porty", x.rx,
		 harness_pattern_digest(7, 4 * MIB));
	st = harness_wait(p, harness_ms(10000));
	ck_assert_msg(st == 0, "porty exited with %d after draining", st);
	close(x.fd);
	free(head);
	harness_free(h);
}
END_TEST

/* With shutdown_timeout_seconds = 1 a connection that never ends is cut
 * after ~1 s and porty exits 0. */
START_TEST(test_tcp_forward_shutdown_timeout)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	struct harness_proc *p;
	int64_t t0;
	int fd, st, ms;

	p = fwd_start(h, AF_INET, port, harness_backend_port(echo),
		      "shutdown_timeout_seconds = 1", "");
	fd = fwd_connect(AF_INET, port);
	fwd_echo(fd, "stuck");
	t0 = harness_now_ms();
	harness_signal(p, SIGTERM);
	st = harness_wait(p, harness_ms(5000));
	ms = (int)(harness_now_ms() - t0);
	ck_assert_msg(
	    st != HARNESS_TIMED_OUT,
	    "porty still runs 5 s after SIGTERM with one stuck connection");
	ck_assert_msg(st == 0, "porty exited with %d", st);
	ck_assert_msg(ms >= 700,
		      "porty exited after %d ms, without waiting "
		      "shutdown_timeout_seconds for the connection",
		      ms);
	ck_assert_msg(ms <= 1000 + harness_ms(2000), "exit took %d ms", ms);
	ck_assert(harness_wait_closed(fd, harness_ms(2000)) >= 0);
	close(fd);
	harness_free(h);
}
END_TEST

/* A second SIGTERM during a graceful stop closes the stuck connection at
 * once instead of waiting out shutdown_timeout_seconds. */
START_TEST(test_tcp_forward_second_sigterm)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	struct harness_proc *p;
	int64_t t0;
	int fd, st, ms;

	p = fwd_start(h, AF_INET, port, harness_backend_port(echo),
		      "shutdown_timeout_seconds = 60", "");
	fd = fwd_connect(AF_INET, port);
	fwd_echo(fd, "stuck");
	harness_signal(p, SIGTERM);
	ck_assert(harness_wait_log(p, "SIGTERM", harness_ms(5000)));
	t0 = harness_now_ms();
	harness_signal(p, SIGTERM);
	st = harness_wait(p, harness_ms(5000));
	ms = (int)(harness_now_ms() - t0);
	ck_assert_msg(st != HARNESS_TIMED_OUT,
		      "porty still runs 5 s after a second SIGTERM");
	ck_assert_msg(st == 0, "porty exited with %d", st);
	ck_assert_msg(ms <= harness_ms(3000), "exit took %d ms", ms);
	ck_assert(harness_wait_closed(fd, harness_ms(2000)) >= 0);
	close(fd);
	harness_free(h);
}
END_TEST

/* log_format = "json": every line is one JSON object, and the connection's
 * line has bytes_in and bytes_out as the exact integers transferred. */
START_TEST(test_tcp_forward_json_log)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend_opts o = {.kind = HARNESS_SINK,
					 .family = AF_INET,
					 .reply_len = 777,
					 .seed = 9};
	struct harness_backend *sink = harness_backend(h, &o);
	int port = harness_port(AF_INET);
	struct harness_xfer x = {.send_len = 12345, .send_seed = 8};
	struct harness_proc *p;
	const char *log, *line, *route;
	long long in = -1, out = -1, v;
	size_t nlines = 0, nclose = 0;

	p = fwd_start(h, AF_INET, port, harness_backend_port(sink),
		      "log_format = \"json\"", "");
	x.fd = fwd_connect(AF_INET, port);
	ck_assert(harness_xfer(&x, 1, harness_ms(10000)));
	ck_assert_uint_eq(x.rx.len, 777);
	close(x.fd);
	ck_assert_msg(harness_wait_log(p, "bytes_in", harness_ms(5000)),
		      "no connection line in the log");
	harness_stop(p);
	log = harness_log(p);
	for (line = log; *line != '\0'; line = strchr(line, '\n') + 1) {
		ck_assert_msg(strchr(line, '\n') != NULL,
			      "unterminated last log line: %s", line);
		if (*line == '\n')
			continue;
		nlines++;
		ck_assert_msg(harness_json_object(line),
			      "log line is not one JSON object: %.*s",
			      (int)(strchr(line, '\n') - line), line);
		if (!harness_json_int(line, "bytes_in", &v))
			continue;
		nclose++;
		in = v;
		ck_assert_msg(harness_json_int(line, "bytes_out", &out),
			      "no integer bytes_out: %.*s",
			      (int)(strchr(line, '\n') - line), line);
		route = harness_json_str(h, line, "route");
		ck_assert_msg(route != NULL && strcmp(route, "fwd") == 0,
			      "route is not \"fwd\": %.*s",
			      (int)(strchr(line, '\n') - line), line);
		ck_assert(harness_json_str(h, line, "ts") != NULL);
		ck_assert(harness_json_str(h, line, "client") != NULL);
		ck_assert(harness_json_str(h, line, "target") != NULL);
		ck_assert(harness_contains(line, "\"duration_ms\":"));
	}
	ck_assert_msg(nlines >= 2, "expected start-up lines too, got %zu",
		      nlines);
	ck_assert_uint_eq(nclose, 1);
	ck_assert_int_eq(in, 12345);
	ck_assert_int_eq(out, 777);
	harness_free(h);
}
END_TEST

Suite *
tcp_forward_suite(void)
{
	Suite *s = suite_create("tcp_forward");
	TCase *tc;

	tc = harness_tcase("relay", 60);
	tcase_add_test(tc, test_tcp_forward_round_trip);
	tcase_add_test(tc, test_tcp_forward_upload_8mib);
	tcase_add_test(tc, test_tcp_forward_download_8mib);
	tcase_add_test(tc, test_tcp_forward_half_close_client);
	tcase_add_test(tc, test_tcp_forward_half_close_backend);
	tcase_add_test(tc, test_tcp_forward_concurrent);
	suite_add_tcase(s, tc);

	tc = harness_tcase("limits", 30);
	tcase_add_test(tc, test_tcp_forward_max_connections);
	suite_add_tcase(s, tc);

	tc = harness_tcase("upstream", 30);
	tcase_add_test(tc, test_tcp_forward_refused);
	tcase_add_test(tc, test_tcp_forward_retry_late_backend);
	tcase_add_test(tc, test_tcp_forward_connect_timeout);
	suite_add_tcase(s, tc);

	tc = harness_tcase("timeouts", 30);
	tcase_add_test(tc, test_tcp_forward_idle_timeout);
	suite_add_tcase(s, tc);

	tc = harness_tcase("ipv6", 30);
	tcase_add_test(tc, test_tcp_forward_ipv6);
	suite_add_tcase(s, tc);

	tc = harness_tcase("shutdown", 30);
	tcase_add_test(tc, test_tcp_forward_sigterm_drains);
	tcase_add_test(tc, test_tcp_forward_shutdown_timeout);
	tcase_add_test(tc, test_tcp_forward_second_sigterm);
	suite_add_tcase(s, tc);

	tc = harness_tcase("log", 30);
	tcase_add_test(tc, test_tcp_forward_json_log);
	suite_add_tcase(s, tc);
	return s;
}
