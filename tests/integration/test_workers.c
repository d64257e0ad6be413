/* SPDX-License-Identifier: MIT */
/* The workers suite: workers = N under a supervisor, restarts and reloads. */
#include "auto-config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "suites.h"

/* Bytes each SOURCE backend sends per connection. */

/* The most child processes wk_children() reports. */
#define WK_MAX 64

/* The config: workers WORKERS, pid file porty.pid, a route on PORT. */
static const char *
wk_config(struct harness *h, const char *workers, int port, int tport)
{
	return harness_fmt(h,
			   "workers = %s\n"
			   "pidfile = \"porty.pid\"\n"
			   "[[routes]]\n"
			   "name = \"main\"\n"
			   "listen_addr = \"127.0.0.1\"\n"
			   "listen_port = %d\n"
			   "target_addr = \"127.0.0.1\"\n"
			   "target_port = %d\n"
			   "log_level = \"none\"\n",
			   workers, port, tport);
}

/* The pid in DIR/porty.pid, waiting up to 10 s for it. */
static pid_t
wk_pid(struct harness *h)
{
	int64_t end = harness_now_ms() + harness_ms(10000);
	const char *text;

	for (;;) {
		text = harness_read(h, harness_path(h, "porty.pid"));
		if (text != NULL && atol(text) > 0)
			return (pid_t)atol(text);
		ck_assert_msg(harness_now_ms() < end, "no porty.pid");
		harness_sleep_ms(10);
	}
}

/* The children of PID, from /proc; returns how many went to KIDS. */
static size_t
wk_children(pid_t pid, pid_t *kids)
{
	char path[300], buf[512], *p;
	struct dirent *e;
	size_t n = 0;
	long ppid;
	FILE *f;
	DIR *d;

	d = opendir("/proc");
	ck_assert(d != NULL);
	while ((e = readdir(d)) != NULL && n < WK_MAX) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		/* "pid (comm) state ppid ...": comm may hold spaces. */
		if (p == NULL || (p = strrchr(buf, ')')) == NULL)
			continue;
		if (sscanf(p + 1, " %*c %ld", &ppid) == 1 && ppid == pid)
			kids[n++] = (pid_t)atol(e->d_name);
	}
	closedir(d);
	return n;
}

/* Wait up to MS until PID has N children; returns how many it has. */
static size_t
wk_wait_children(pid_t pid, size_t n, pid_t *kids, int ms)
{
	int64_t end = harness_now_ms() + ms;
	size_t got;

	while ((got = wk_children(pid, kids)) != n && harness_now_ms() < end)
		harness_sleep_ms(20);
	return got;
}

/* Fetch N times from PORT; every answer must come from seed SEED. */
static void
wk_expect(int port, int seed, int n)
{
	int i, r;

	for (i = 0; i < n; i++) {
		r = harness_seed_fetch(port);
		ck_assert_msg(r == seed, "fetch %d: got %d, expected seed %d",
			      i, r, seed);
	}
}

/*
 * workers = 2: the supervisor sends READY=1 once both workers serve; a
 * worker killed with SIGKILL is replaced within seconds and the port keeps
 * serving; SIGHUP reloads every worker (RELOADING=1 ... READY=1) and
 * SIGTERM stops them all (STOPPING=1, exit 0, no worker left).
 */
START_TEST(test_workers_supervised)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *a = harness_seed_source(h, 1), *b = harness_seed_source(h, 2);
	int port = harness_port(AF_INET), fd;
	const char *sock, *cfg, *env[2], *argv[4], *msg;
	struct harness_opts o = {NULL, env};
	pid_t sup, kids[WK_MAX], again[WK_MAX];
	struct harness_proc *p;
	int64_t t0;
	size_t n;

	fd = harness_notify_socket(h, &sock);
	env[0] = harness_fmt(h, "NOTIFY_SOCKET=%s", sock);
	env[1] = NULL;
	cfg = harness_write(h, "porty.toml", "%s",
			    wk_config(h, "2", port, harness_backend_port(a)));
	argv[0] = "start";
	argv[1] = "--config";
	argv[2] = cfg;
	argv[3] = NULL;
	p = harness_start(h, &o, argv);
	msg = harness_notify_next(h, fd, harness_ms(10000));
	ck_assert_str_eq(msg, "READY=1");
	sup = wk_pid(h);
	n = wk_children(sup, kids);
	ck_assert_msg(n == 2, "%zu workers at READY=1, expected 2", n);
	ck_assert(harness_contains(harness_log(p), "porty ready: 2 workers"));
	wk_expect(port, 1, 20);

	/* A dead worker is replaced within seconds. */
	t0 = harness_now_ms();
	ck_assert(kill(kids[0], SIGKILL) == 0);
	for (;;) {
		n = wk_children(sup, again);
		if (n == 2 && again[0] != kids[0] && again[1] != kids[0])
			break;
		ck_assert_msg(harness_now_ms() - t0 < harness_ms(5000),
			      "worker %ld not replaced within 5 s",
			      (long)kids[0]);
		harness_sleep_ms(20);
	}
	ck_assert(harness_wait_log(p, "worker 1 started", harness_ms(1000)));
	wk_expect(port, 1, 20);
	/* No second READY=1 for systemd: the service was ready already. */
	ck_assert_str_eq(harness_notify_next(h, fd, 200), "");

	/* SIGHUP reloads every worker; SO_REUSEPORT spreads 40 clients. */
	harness_write(h, "porty.toml", "%s",
		      wk_config(h, "2", port, harness_backend_port(b)));
	harness_signal(p, SIGHUP);
	msg = harness_notify_next(h, fd, harness_ms(10000));
	ck_assert_msg(strncmp(msg, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0,
		      "got \"%s\"", msg);
	ck_assert_str_eq(harness_notify_next(h, fd, harness_ms(10000)), "READY=1");
	ck_assert(
	    harness_contains(harness_log(p), "every worker has reloaded"));
	wk_expect(port, 2, 40);

	/* SIGUSR1 to the supervisor: each worker logs its status line. */
	harness_signal(p, SIGUSR1);
	t0 = harness_now_ms();
	for (;;) {
		for (msg = harness_log(p), n = 0;
		     (msg = strstr(msg, "[main] status: active=")) != NULL;
		     msg++)
			n++;
		if (n == 2)
			break;
		ck_assert_msg(n < 2 && harness_now_ms() - t0 < harness_ms(5000),
			      "%zu status lines after SIGUSR1:\n%s", n,
			      harness_log(p));
		harness_sleep_ms(20);
	}

	harness_signal(p, SIGTERM);
	ck_assert_str_eq(harness_notify_next(h, fd, harness_ms(10000)),
			 "STOPPING=1");
	ck_assert_int_eq(harness_wait(p, harness_ms(15000)), 0);
	ck_assert(kill(again[0], 0) == -1 && kill(again[1], 0) == -1);
	/* Both workers ended cleanly (valgrind's errors exit with 99). */
	for (msg = harness_log(p), n = 0;
	     (msg = strstr(msg, "exited with status 0\n")) != NULL; msg++)
		n++;
	ck_assert_msg(n == 2, "%zu workers exited with status 0:\n%s", n,
		      harness_log(p));
	ck_assert(access(harness_path(h, "porty.pid"), F_OK) == -1);
	close(fd);
	harness_free(h);
}
END_TEST

/* A worker that cannot bind (the port is taken) fails the start: exit 1. */
START_TEST(test_workers_bind_failure)
{
	struct harness *h = harness_new(__func__);
	const struct harness_result *r;
	const char *cfg, *argv[4];
	int busy;

	(void)harness_listen(h, AF_INET, 1, &busy);
	cfg = harness_write(h, "porty.toml", "%s", wk_config(h, "2", busy, 9));
	argv[0] = "start";
	argv[1] = "--config";
	argv[2] = cfg;
	argv[3] = NULL;
	r = harness_run(h, NULL, argv);
	ck_assert_msg(r->status == 1, "exit status %d\n%s", r->status, r->err);
	ck_assert(harness_contains(r->err, "Address already in use"));
	ck_assert(harness_contains(r->err, "a worker failed to start"));
	harness_free(h);
}
END_TEST

/* workers = "auto" runs one worker per CPU porty may use (none on one). */
START_TEST(test_workers_auto)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *a = harness_seed_source(h, 1);
	int port = harness_port(AF_INET);
	struct harness_proc *p;
	pid_t kids[WK_MAX];
	cpu_set_t set;
	size_t ncpu, want;

	ck_assert(sched_getaffinity(0, sizeof(set), &set) == 0);
	ncpu = (size_t)CPU_COUNT(&set);
	want = ncpu > 1 ? ncpu : 0;
	p = harness_serve(
	    h, port, wk_config(h, "\"auto\"", port, harness_backend_port(a)));
	ck_assert_uint_eq(
	    wk_wait_children(wk_pid(h), want, kids, harness_ms(10000)), want);
	wk_expect(port, 1, 4);
	harness_stop(p);
	harness_free(h);
}
END_TEST

Suite *
workers_suite(void)
{
	Suite *s = suite_create("workers");
	TCase *tc;

	tc = harness_tcase("workers", 60);
	tcase_add_test(tc, test_workers_supervised);
	tcase_add_test(tc, test_workers_bind_failure);
	tcase_add_test(tc, test_workers_auto);
	suite_add_tcase(s, tc);
	return s;
}
