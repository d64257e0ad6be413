/* SPDX-License-Identifier: MIT */
/* The reload suite: SIGHUP, systemd notifications and log reopening. */
#include "auto-config.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "suites.h"

/* Bytes each SOURCE backend sends per connection. */

/*
 * The reloads of the no-refusal test, its client processes, and the most
 * connections each makes (the SOURCE backends report every connection on
 * a pipe that nobody reads during the loop: keep well below 4096 each).
 */
#define RL_RELOADS   20
#define RL_CLIENTS   2
#define RL_MAX_CONNS 1800

/* A TCP route NAME from 127.0.0.1:PORT to 127.0.0.1:TPORT, as TOML. */
static const char *
rl_route(struct harness *h, const char *name, int port, int tport)
{
	return harness_fmt(h,
			   "[[routes]]\n"
			   "name = \"%s\"\n"
			   "listen_addr = \"127.0.0.1\"\n"
			   "listen_port = %d\n"
			   "target_addr = \"127.0.0.1\"\n"
			   "target_port = %d\n",
			   name, port, tport);
}

/* How many times NEEDLE occurs in TEXT. */
static unsigned
rl_count(const char *text, const char *needle)
{
	unsigned n = 0;

	for (text = strstr(text, needle); text != NULL;
	     text = strstr(text + 1, needle))
		n++;
	return n;
}

/* Wait until P's log holds N "configuration reloaded" lines. */
static void
rl_wait_reloads(struct harness_proc *p, unsigned n)
{
	int64_t deadline = harness_now_ms() + harness_ms(10000);

	while (rl_count(harness_log(p), "configuration reloaded") < n) {
		ck_assert_msg(harness_now_ms() < deadline,
			      "reload %u did not happen; log:\n%s", n,
			      harness_log(p));
		harness_sleep_ms(5);
	}
}

/* SIGHUP P and wait for the reload line number N. */
static void
rl_reload(struct harness_proc *p, unsigned n)
{
	harness_signal(p, SIGHUP);
	rl_wait_reloads(p, n);
}

/* What the client loop saw. */
struct rl_tally {
	unsigned ok[3];   /* by seed; ok[0]: wrong bytes */
	unsigned refused; /* ECONNREFUSED */
	unsigned reset;   /* ECONNRESET, EPIPE, or a short reply */
	unsigned other;   /* any other failure */
	int last_errno;
};

/*
 * In a child: fetch from PORT in a loop until STOP_FD becomes readable
 * (or RL_MAX_CONNS), then write the tally to OUT_FD and _exit().
 */
static void
rl_client_loop(int port, int stop_fd, int out_fd)
{
	struct rl_tally t;
	struct pollfd pfd = {.fd = stop_fd, .events = POLLIN};
	unsigned n;
	int r;

	memset(&t, 0, sizeof(t));
	for (n = 0; n < RL_MAX_CONNS; n++) {
		if (poll(&pfd, 1, 0) == 1)
			break;
		r = harness_seed_fetch(port);
		if (r >= 0)
			t.ok[r]++;
		else if (r == -ECONNREFUSED)
			t.refused++;
		else if (r == -ECONNRESET || r == -EPIPE || r == -EPROTO)
			t.reset++;
		else
			t.other++;
		if (r < 0)
			t.last_errno = -r;
		/* Pacing, so that the cap is not reached before the last
		   reload on a fast machine. */
		harness_sleep_ms(1);
	}
	if (write(out_fd, &t, sizeof(t)) != (ssize_t)sizeof(t))
		_exit(2);
	_exit(0);
}

/*
 * Two client loops through twenty reloads, each changing the route's target and
 * adding or removing a second route, sees no refused or reset connection:
 * the unchanged listener stays open, and the new target serves at once.
 */
START_TEST(test_reload_no_refusal)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *a = harness_seed_source(h, 1), *b = harness_seed_source(h, 2);
	int pa = harness_backend_port(a), pb = harness_backend_port(b);
	int port = harness_port(AF_INET), extra = harness_port(AF_INET);
	const char *cfg_a = rl_route(h, "main", port, pa);
	const char *cfg_b =
	    harness_fmt(h, "%s%s", rl_route(h, "main", port, pb),
			rl_route(h, "extra", extra, pa));
	struct harness_proc *p = harness_serve(h, port, cfg_a);
	int stop[2], res[RL_CLIENTS][2], st, c, k;
	pid_t pid[RL_CLIENTS];
	struct rl_tally t, one;
	unsigned i, total;

	ck_assert_int_eq(harness_seed_fetch(port), 1);
	ck_assert(pipe(stop) == 0);
	for (c = 0; c < RL_CLIENTS; c++) {
		ck_assert(pipe(res[c]) == 0);
		pid[c] = fork();
		ck_assert(pid[c] != -1);
		if (pid[c] == 0) {
			close(stop[1]);
			rl_client_loop(port, stop[0], res[c][1]);
		}
		close(res[c][1]);
	}
	close(stop[0]);
	for (i = 1; i <= RL_RELOADS; i++) {
		harness_write(h, "porty.toml", "%s",
			      i % 2 == 1 ? cfg_b : cfg_a);
		rl_reload(p, i);
		harness_sleep_ms(20); /* pacing: let the loop run in each */
	}
	close(stop[1]);
	memset(&t, 0, sizeof(t));
	for (c = 0; c < RL_CLIENTS; c++) {
		ck_assert(waitpid(pid[c], &st, 0) == pid[c] && WIFEXITED(st) &&
			  WEXITSTATUS(st) == 0);
		ck_assert(read(res[c][0], &one, sizeof(one)) ==
			  (ssize_t)sizeof(one));
		close(res[c][0]);
		for (k = 0; k < 3; k++)
			t.ok[k] += one.ok[k];
		t.refused += one.refused;
		t.reset += one.reset;
		t.other += one.other;
		if (one.last_errno != 0)
			t.last_errno = one.last_errno;
	}
	total = t.ok[0] + t.ok[1] + t.ok[2] + t.refused + t.reset + t.other;
	fprintf(stderr,
		"reload no-refusal: %u connections from %d clients through "
		"%d reloads: %u from the first target, %u from the second, "
		"%u refused, %u reset, %u other failures\n",
		total, RL_CLIENTS, RL_RELOADS, t.ok[1], t.ok[2], t.refused,
		t.reset, t.other);
	ck_assert_msg(t.refused == 0 && t.reset == 0 && t.other == 0 &&
			  t.ok[0] == 0,
		      "%u refused, %u reset, %u other (last: %s), %u wrong "
		      "replies out of %u connections",
		      t.refused, t.reset, t.other, strerror(t.last_errno),
		      t.ok[0], total);
	ck_assert_msg(t.ok[1] > 0 && t.ok[2] > 0,
		      "both targets should have served: %u and %u", t.ok[1],
		      t.ok[2]);
	/* The last config (an even reload: cfg_a) serves, without extra. */
	ck_assert_int_eq(harness_seed_fetch(port), 1);
	ck_assert_int_eq(harness_seed_fetch(extra), -ECONNREFUSED);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* A reload adds a route, and a second reload removes it again. */
START_TEST(test_reload_add_remove_route)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *a = harness_seed_source(h, 1), *b = harness_seed_source(h, 2);
	int port = harness_port(AF_INET), extra = harness_port(AF_INET);
	const char *one = rl_route(h, "main", port, harness_backend_port(a));
	struct harness_proc *p = harness_serve(h, port, one);

	ck_assert_int_eq(harness_seed_fetch(extra), -ECONNREFUSED);
	harness_write(h, "porty.toml", "%s%s", one,
		      rl_route(h, "extra", extra, harness_backend_port(b)));
	rl_reload(p, 1);
	ck_assert_int_eq(harness_seed_fetch(extra), 2);
	ck_assert_int_eq(harness_seed_fetch(port), 1);
	ck_assert(harness_contains(harness_log(p), "1 kept open, 1 new"));
	harness_write(h, "porty.toml", "%s", one);
	rl_reload(p, 2);
	ck_assert_int_eq(harness_seed_fetch(extra), -ECONNREFUSED);
	ck_assert_int_eq(harness_seed_fetch(port), 1);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/*
 * A connection open across a reload that removes its route goes on with
 * the old configuration until it ends (under ASan, nothing it uses is
 * freed early); porty then stops cleanly.
 */
START_TEST(test_reload_old_connection_finishes)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	struct harness_backend *src = harness_seed_source(h, 2);
	int port = harness_port(AF_INET), other = harness_port(AF_INET);
	struct harness_proc *p;
	char buf[16];
	int fd;

	p = harness_serve(h, port,
			  rl_route(h, "old", port, harness_backend_port(echo)));
	fd = harness_connect(AF_INET, port, harness_ms(5000));
	ck_assert(fd != -1);
	ck_assert(harness_send(fd, "before", 6, harness_ms(5000)));
	ck_assert_uint_eq(harness_recv(fd, buf, 6, harness_ms(5000)), 6);
	harness_write(h, "porty.toml", "%s",
		      rl_route(h, "new", other, harness_backend_port(src)));
	rl_reload(p, 1);
	ck_assert_int_eq(harness_seed_fetch(port), -ECONNREFUSED);
	ck_assert_int_eq(harness_seed_fetch(other), 2);
	ck_assert(harness_contains(harness_log(p),
				   "1 connections finish with the old"));
	ck_assert(harness_send(fd, "after!", 6, harness_ms(5000)));
	ck_assert_uint_eq(harness_recv(fd, buf, 6, harness_ms(5000)), 6);
	ck_assert(memcmp(buf, "after!", 6) == 0);
	close(fd);
	/* Another reload after the old generation drained. */
	rl_reload(p, 2);
	ck_assert_int_eq(harness_seed_fetch(other), 2);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* Two http routes on PORT, "web" (no host) and "api", both to TPORT. */
static const char *
rl_http(struct harness *h, int port, int tport)
{
	return harness_fmt(h,
			   "[[routes]]\n"
			   "name = \"web\"\n"
			   "mode = \"http\"\n"
			   "listen_addr = \"127.0.0.1\"\n"
			   "listen_port = %d\n"
			   "target_addr = \"127.0.0.1\"\n"
			   "target_port = %d\n"
			   "[[routes]]\n"
			   "name = \"api\"\n"
			   "mode = \"http\"\n"
			   "host = \"api.test\"\n"
			   "listen_addr = \"127.0.0.1\"\n"
			   "listen_port = %d\n"
			   "target_addr = \"127.0.0.1\"\n"
			   "target_port = %d\n",
			   port, tport, port, tport);
}

/*
 * An HTTP request in flight across a reload that changes the route's
 * backend is answered completely by the old backend, with Connection:
 * close; the next request goes to the new backend on the same port.
 */
START_TEST(test_reload_http_in_flight)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *b1 = harness_http_backend(h, AF_INET);
	struct harness_backend *b2 = harness_http_backend(h, AF_INET);
	int port = harness_port(AF_INET);
	struct harness_proc *p;
	struct harness_http_conn *c;
	const struct harness_http_resp *r;

	p = harness_serve(h, port, rl_http(h, port, harness_backend_port(b1)));
	c = harness_http_connect(h, AF_INET, port);
	harness_http_puts(c, "GET /slow?ms=400 HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert(harness_http_wait_reqs(h, b1, 1, harness_ms(5000)));
	harness_write(h, "porty.toml", "%s",
		      rl_http(h, port, harness_backend_port(b2)));
	rl_reload(p, 1);
	r = harness_http_response(c, 0, harness_ms(5000));
	ck_assert_msg(r->status == 200, "in-flight request: %s",
		      r->error != NULL ? r->error : "not 200");
	ck_assert_str_eq(harness_http_header(h, r, "X-Backend-Port"),
			 harness_fmt(h, "%d", harness_backend_port(b1)));
	ck_assert(harness_http_closed(c, harness_ms(5000)));
	r = harness_http_request(h, port,
				 "GET /a HTTP/1.1\r\nHost: api.test\r\n"
				 "Connection: close\r\n\r\n");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(harness_http_header(h, r, "X-Backend-Port"),
			 harness_fmt(h, "%d", harness_backend_port(b2)));
	harness_stop(p);
	harness_free(h);
}
END_TEST

/*
 * An invalid file, and a valid one that cannot be served (its port is
 * taken), are logged with the reason and the running config stays.
 */
START_TEST(test_reload_invalid_keeps_running)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *a = harness_seed_source(h, 1);
	int port = harness_port(AF_INET), busy;
	const char *good = rl_route(h, "main", port, harness_backend_port(a));
	struct harness_proc *p = harness_serve(h, port, good);

	harness_write(h, "porty.toml", "%smax_connections = \"many\"\n", good);
	harness_signal(p, SIGHUP);
	ck_assert(harness_wait_log(p, "keeping the running configuration",
				   harness_ms(5000)));
	ck_assert_msg(harness_contains(harness_log(p), "porty.toml:7:") &&
			  harness_contains(harness_log(p), "max_connections"),
		      "the error names file, line and key:\n%s",
		      harness_log(p));
	ck_assert_int_eq(harness_seed_fetch(port), 1);

	(void)harness_listen(h, AF_INET, 1, &busy);
	harness_write(h, "porty.toml", "%s%s", good,
		      rl_route(h, "busy", busy, harness_backend_port(a)));
	harness_signal(p, SIGHUP);
	ck_assert(
	    harness_wait_log(p, "Address already in use", harness_ms(5000)));
	ck_assert_uint_eq(
	    rl_count(harness_log(p), "keeping the running configuration"), 2);
	ck_assert_int_eq(harness_seed_fetch(port), 1);
	ck_assert_uint_eq(rl_count(harness_log(p), "configuration reloaded"),
			  0);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/*
 * porty tells $NOTIFY_SOCKET READY=1 once it listens, RELOADING=1 with
 * MONOTONIC_USEC and READY=1 around a reload (a failed one too), and
 * STOPPING=1 on SIGTERM.
 */
START_TEST(test_reload_systemd_notify)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *a = harness_seed_source(h, 1);
	int port = harness_port(AF_INET), fd;
	const char *sock, *msg, *cfg, *env[2], *argv[4];
	struct harness_opts o = {NULL, env};
	struct harness_proc *p;
	unsigned long long usec;
	int i;

	fd = harness_notify_socket(h, &sock);
	env[0] = harness_fmt(h, "NOTIFY_SOCKET=%s", sock);
	env[1] = NULL;
	cfg = harness_write(h, "porty.toml", "%s",
			    rl_route(h, "main", port, harness_backend_port(a)));
	argv[0] = "start";
	argv[1] = "--config";
	argv[2] = cfg;
	argv[3] = NULL;
	p = harness_start(h, &o, argv);
	msg = harness_notify_next(h, fd, harness_ms(10000));
	ck_assert_str_eq(msg, "READY=1");
	ck_assert(harness_port_listening(port));
	for (i = 0; i < 2; i++) {
		if (i == 1) /* a failed reload is announced the same way */
			harness_write(h, "porty.toml", "bogus = 1\n");
		harness_signal(p, SIGHUP);
		msg = harness_notify_next(h, fd, harness_ms(10000));
		ck_assert_msg(sscanf(msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
				     &usec) == 1 &&
				  usec > 0,
			      "expected RELOADING=1 and MONOTONIC_USEC, got "
			      "\"%s\"",
			      msg);
		msg = harness_notify_next(h, fd, harness_ms(10000));
		ck_assert_str_eq(msg, "READY=1");
	}
	harness_signal(p, SIGTERM);
	msg = harness_notify_next(h, fd, harness_ms(10000));
	ck_assert_str_eq(msg, "STOPPING=1");
	ck_assert_int_eq(harness_wait(p, harness_ms(10000)), 0);
	close(fd);
	harness_free(h);
}
END_TEST

/*
 * After logrotate renamed log_file, SIGHUP reopens it: later lines go to
 * a new file at the configured path, none to the renamed one.
 */
START_TEST(test_reload_log_reopen)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *a = harness_seed_source(h, 1);
	int port = harness_port(AF_INET);
	const char *log = harness_path(h, "porty.log");
	const char *old = harness_path(h, "porty.log.1");
	const char *text;
	struct harness_proc *p;

	p = harness_serve(
	    h, port,
	    harness_fmt(h, "log_file = \"porty.log\"\n%s",
			rl_route(h, "main", port, harness_backend_port(a))));
	ck_assert_int_eq(harness_seed_fetch(port), 1);
	ck_assert(rename(log, old) == 0);
	harness_signal(p, SIGHUP);
	for (int64_t end = harness_now_ms() + harness_ms(5000);;) {
		text = harness_read(h, log);
		if (text != NULL && harness_contains(text, "reloaded"))
			break;
		ck_assert_msg(harness_now_ms() < end,
			      "no new %s with the reload line", log);
		harness_sleep_ms(10);
	}
	ck_assert(harness_contains(text, "received SIGHUP"));
	text = harness_read(h, old);
	ck_assert(text != NULL && harness_contains(text, "porty ready"));
	ck_assert(!harness_contains(text, "SIGHUP"));
	ck_assert_int_eq(harness_seed_fetch(port), 1);
	harness_stop(p);
	harness_free(h);
}
END_TEST

Suite *
reload_suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc;

	tc = harness_tcase("reload", 60);
	tcase_add_test(tc, test_reload_no_refusal);
	tcase_add_test(tc, test_reload_add_remove_route);
	tcase_add_test(tc, test_reload_old_connection_finishes);
	tcase_add_test(tc, test_reload_http_in_flight);
	tcase_add_test(tc, test_reload_invalid_keeps_running);
	suite_add_tcase(s, tc);

	tc = harness_tcase("service", 30);
	tcase_add_test(tc, test_reload_systemd_notify);
	tcase_add_test(tc, test_reload_log_reopen);
	suite_add_tcase(s, tc);
	return s;
}
