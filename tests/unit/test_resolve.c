/* SPDX-License-Identifier: MIT */
/* Unit tests of resolve.c: a private loop, a fake DNS server on loopback. */
#include "auto-config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "compiler.h"
#include "resolve.h"
#include "suites.h"

/* What one callback saw. */
struct answer {
	unsigned calls;
	int status;
	char reason[64];
	size_t naddrs;
	struct sockaddr_storage addrs[8];
	double at; /* ev_time() of the call */
};

static struct ev_loop *loop;
static struct resolver *res;
static int dns_fd = -1;    /* the fake DNS server's UDP socket */
static ev_io dns_io;       /* its watcher, on the test loop */
static unsigned dns_port;  /* its port, kernel-assigned */
static unsigned dns_asked; /* questions it received */
static bool inside_start;  /* a callback ran inside resolve_start() */
static bool in_start;      /* resolve_start() is running */
static bool guard_fired;

/* Record the answer in the struct answer ARG points to. */
static void
record_cb(void *arg, int status, const char *reason,
	  const struct sockaddr_storage *addrs, size_t naddrs)
{
	struct answer *a = arg;
	size_t i;

	if (in_start)
		inside_start = true;
	a->calls++;
	a->status = status;
	snprintf(a->reason, sizeof(a->reason), "%s", reason);
	a->naddrs = naddrs;
	for (i = 0; i < naddrs && i < ARRAY_SIZE(a->addrs); i++)
		a->addrs[i] = addrs[i];
	a->at = ev_time();
}

/* resolve_start() that notes whether the callback ran inside it. */
static struct resolve_query *
start(const char *name, unsigned port, unsigned timeout_ms, struct answer *a)
{
	struct resolve_query *q;

	in_start = true;
	q = resolve_start(res, name, port, timeout_ms, record_cb, a);
	in_start = false;
	ck_assert_ptr_nonnull(q);
	return q;
}

/* run_until()'s bound: firing is enough to end EVRUN_ONCE. */
static void
bound_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
}

/* loop_idle()'s guard: something else kept the loop running. */
static void
guard_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_ref(l);
	guard_fired = true;
	ev_break(l, EVBREAK_ONE);
}

/* Run the loop until every answer in A[0..N) has its callback, or SECS. */
static void
run_until(struct answer *a, size_t n, double secs)
{
	double end = ev_time() + secs;
	ev_timer bound;
	size_t i, done;

	for (;;) {
		for (i = done = 0; i < n; i++)
			done += a[i].calls > 0;
		if (done == n || ev_time() >= end)
			return;
		/* EVRUN_ONCE blocks: a timer bounds it even if nothing else
		 * wakes the loop. */
		ev_timer_init(&bound, bound_cb, end - ev_time(), 0.);
		ev_timer_start(loop, &bound);
		ev_run(loop, EVRUN_ONCE);
		ev_timer_stop(loop, &bound);
	}
}

/* Run the loop a few times without blocking. */
static void
spin(int n)
{
	while (n-- > 0)
		ev_run(loop, EVRUN_NOWAIT);
}

/*
 * Whether the loop has no active watcher left: ev_run() returns at once,
 * as an unreferenced guard timer does not keep it alive.
 */
static bool
loop_idle(void)
{
	ev_timer guard;

	guard_fired = false;
	ev_timer_init(&guard, guard_cb, 2., 0.);
	ev_timer_start(loop, &guard);
	ev_unref(loop);
	ev_run(loop, 0);
	if (!guard_fired) {
		ev_ref(loop);
		ev_timer_stop(loop, &guard);
	}
	return !guard_fired;
}

/* Append a big-endian 16-bit value. */
static size_t
put16(uint8_t *p, size_t off, unsigned v)
{
	p[off] = (uint8_t)(v >> 8);
	p[off + 1] = (uint8_t)v;
	return off + 2;
}

/*
 * The fake DNS server: ok.test has A 192.0.2.1 and AAAA 2001:db8::1,
 * v4.test only A 192.0.2.2, ttl0.test only A 192.0.2.3 with TTL 0,
 * every *.many.test only A 192.0.2.4, fail.test is SERVFAIL, silent.test gets
 * no reply, anything else is NXDOMAIN. TTLs are 60 s.
 */
static void
dns_cb(struct ev_loop *l, ev_io *w, int revents)
{
	uint8_t q[512], out[600];
	char name[256];
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;
	size_t off = 12, nlen = 0, qend, len;
	unsigned qtype, rcode = 0, ancount = 0, ttl = 60;
	uint8_t rdata[16];
	size_t rdlen = 0;

	(void)l;
	(void)revents;
	n = recvfrom(w->fd, q, sizeof(q), 0, (struct sockaddr *)&from,
		     &fromlen);
	if (n < 17)
		return;
	dns_asked++;
	while (off < (size_t)n && q[off] != 0) {
		size_t lab = q[off];

		if (off + 1 + lab >= (size_t)n ||
		    nlen + lab + 1 >= sizeof(name))
			return;
		if (nlen > 0)
			name[nlen++] = '.';
		memcpy(name + nlen, q + off + 1, lab);
		nlen += lab;
		off += 1 + lab;
	}
	name[nlen] = '\0';
	qend = off + 5;
	if (qend > (size_t)n)
		return;
	qtype = (unsigned)q[off + 1] << 8 | q[off + 2];

	if (strcmp(name, "silent.test") == 0)
		return;
	if (strcmp(name, "ok.test") == 0 && qtype == 1) {
		ancount = 1;
		rdlen = 4;
		inet_pton(AF_INET, "192.0.2.1", rdata);
	} else if (strcmp(name, "ok.test") == 0 && qtype == 28) {
		ancount = 1;
		rdlen = 16;
		inet_pton(AF_INET6, "2001:db8::1", rdata);
	} else if (strcmp(name, "v4.test") == 0 && qtype == 1) {
		ancount = 1;
		rdlen = 4;
		inet_pton(AF_INET, "192.0.2.2", rdata);
	} else if (strcmp(name, "ttl0.test") == 0 && qtype == 1) {
		ancount = 1;
		rdlen = 4;
		ttl = 0;
		inet_pton(AF_INET, "192.0.2.3", rdata);
	} else if (nlen > 10 && strcmp(name + nlen - 10, ".many.test") == 0) {
		ancount = qtype == 1;
		rdlen = 4;
		inet_pton(AF_INET, "192.0.2.4", rdata);
	} else if (strcmp(name, "v4.test") == 0 ||
		   strcmp(name, "ttl0.test") == 0) {
		ancount = 0;
	} else if (strcmp(name, "fail.test") == 0) {
		rcode = 2;
	} else {
		rcode = 3;
	}

	memcpy(out, q, 2);                        /* id */
	out[2] = (uint8_t)(0x80 | (q[2] & 0x01)); /* QR, RD copied */
	out[3] = (uint8_t)(0x80 | rcode);         /* RA, RCODE */
	len = put16(out, 4, 1);
	len = put16(out, len, ancount);
	len = put16(out, len, 0);
	len = put16(out, len, 0);
	memcpy(out + len, q + 12, qend - 12);
	len += qend - 12;
	if (ancount == 1) {
		len = put16(out, len, 0xc00c); /* the question's name */
		len = put16(out, len, qtype);
		len = put16(out, len, 1);   /* IN */
		len = put16(out, len, 0);   /* TTL, high half */
		len = put16(out, len, ttl); /* TTL, low half */
		len = put16(out, len, (unsigned)rdlen);
		memcpy(out + len, rdata, rdlen);
		len += rdlen;
	}
	sendto(w->fd, out, len, 0, (struct sockaddr *)&from, fromlen);
}

/* Start the fake DNS server on 127.0.0.1 and point the resolver at it. */
static void
dns_start(void)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	char csv[64];

	dns_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(dns_fd, -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(dns_fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(dns_fd, (struct sockaddr *)&sin, &slen),
			 0);
	dns_port = ntohs(sin.sin_port);
	ev_io_init(&dns_io, dns_cb, dns_fd, EV_READ);
	ev_io_start(loop, &dns_io);
	snprintf(csv, sizeof(csv), "127.0.0.1:%u", dns_port);
	ck_assert_int_eq(resolve_set_servers(res, csv), 0);
}

static void
setup(void)
{
	char err[256] = "";

	loop = ev_loop_new(0);
	ck_assert_ptr_nonnull(loop);
	res = resolve_new(loop, err, sizeof(err));
	ck_assert_msg(res != NULL, "resolve_new: %s", err);
	dns_fd = -1;
	dns_asked = 0;
	inside_start = in_start = false;
}

static void
teardown(void)
{
	resolve_free(res);
	res = NULL;
	if (dns_fd != -1) {
		ev_io_stop(loop, &dns_io);
		close(dns_fd);
		dns_fd = -1;
	}
	ev_loop_destroy(loop);
	loop = NULL;
}

/* Text of address I of A, "1.2.3.4:80" style, for assertions. */
static const char *
addr_text(const struct answer *a, size_t i, char *buf, size_t len)
{
	const struct sockaddr_storage *ss = &a->addrs[i];
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		memcpy(&in, ss, sizeof(in));
		inet_ntop(AF_INET, &in.sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(in.sin_port));
	} else if (ss->ss_family == AF_INET6) {
		memcpy(&in6, ss, sizeof(in6));
		inet_ntop(AF_INET6, &in6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(in6.sin6_port));
	} else {
		snprintf(buf, len, "family %d", ss->ss_family);
	}
	return buf;
}

/* Whether A's addresses include TEXT. */
static bool
has_addr(const struct answer *a, const char *text)
{
	char buf[64];
	size_t i;

	for (i = 0; i < a->naddrs; i++) {
		if (strcmp(addr_text(a, i, buf, sizeof(buf)), text) == 0)
			return true;
	}
	return false;
}

/* An IPv4 literal is answered with its own address and the port, and the
 * callback waits for the loop rather than running inside resolve_start(). */
START_TEST(test_resolve_literal_v4_deferred)
{
	struct answer a = {0};
	char buf[64];

	start("127.0.0.1", 8080, 1000, &a);
	ck_assert_uint_eq(a.calls, 0);
	run_until(&a, 1, 2.);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert(!inside_start);
	ck_assert_int_eq(a.status, RESOLVE_OK);
	ck_assert_uint_eq(a.naddrs, 1);
	ck_assert_str_eq(addr_text(&a, 0, buf, sizeof(buf)), "127.0.0.1:8080");
}
END_TEST

/* An IPv6 literal is answered as one AF_INET6 address with the port. */
START_TEST(test_resolve_literal_v6)
{
	struct answer a = {0};
	char buf[64];

	start("::1", 443, 1000, &a);
	run_until(&a, 1, 2.);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_int_eq(a.status, RESOLVE_OK);
	ck_assert_uint_eq(a.naddrs, 1);
	ck_assert_str_eq(addr_text(&a, 0, buf, sizeof(buf)), "[::1]:443");
}
END_TEST

/* localhost comes from /etc/hosts: loopback addresses only, port set. */
START_TEST(test_resolve_localhost_from_hosts)
{
	struct answer a = {0};
	char buf[64];
	size_t i;

	start("localhost", 80, 2000, &a);
	run_until(&a, 1, 3.);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert(!inside_start);
	ck_assert_msg(a.status == RESOLVE_OK, "localhost: %s", a.reason);
	ck_assert_uint_ge(a.naddrs, 1);
	for (i = 0; i < a.naddrs && i < ARRAY_SIZE(a.addrs); i++) {
		addr_text(&a, i, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, "127.0.0.1:80") == 0 ||
				  strcmp(buf, "[::1]:80") == 0,
			      "localhost gave %s", buf);
	}
}
END_TEST

/* A name under .invalid fails with a status within the timeout, whether
 * the system's DNS server answers, refuses or is unreachable. */
START_TEST(test_resolve_invalid_name_fails_in_time)
{
	struct answer a = {0};
	double t0 = ev_time();

	start("nonexistent.invalid", 80, 500, &a);
	run_until(&a, 1, 3.);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_int_ne(a.status, RESOLVE_OK);
	ck_assert_uint_eq(a.naddrs, 0);
	ck_assert_str_ne(a.reason, "");
	ck_assert_msg(a.at - t0 < 1.5, "took %.3f s", a.at - t0);
}
END_TEST

/* The fake server's A and AAAA records both come back, with the port. */
START_TEST(test_resolve_dns_success)
{
	struct answer a = {0};

	dns_start();
	start("ok.test", 8443, 2000, &a);
	run_until(&a, 1, 3.);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_msg(a.status == RESOLVE_OK, "ok.test: %s", a.reason);
	ck_assert_uint_eq(a.naddrs, 2);
	ck_assert(has_addr(&a, "192.0.2.1:8443"));
	ck_assert(has_addr(&a, "[2001:db8::1]:8443"));
	ck_assert_uint_ge(dns_asked, 2);
}
END_TEST

/* A name with an A record and no AAAA gives its one IPv4 address. */
START_TEST(test_resolve_dns_v4_only)
{
	struct answer a = {0};
	char buf[64];

	dns_start();
	start("v4.test", 80, 2000, &a);
	run_until(&a, 1, 3.);
	ck_assert_int_eq(a.status, RESOLVE_OK);
	ck_assert_uint_eq(a.naddrs, 1);
	ck_assert_str_eq(addr_text(&a, 0, buf, sizeof(buf)), "192.0.2.2:80");
}
END_TEST

/* NXDOMAIN is RESOLVE_NOT_FOUND, "no such host". */
START_TEST(test_resolve_dns_nxdomain)
{
	struct answer a = {0};

	dns_start();
	start("nx.test", 80, 2000, &a);
	run_until(&a, 1, 3.);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_int_eq(a.status, RESOLVE_NOT_FOUND);
	ck_assert_str_eq(a.reason, "no such host");
	ck_assert_uint_eq(a.naddrs, 0);
}
END_TEST

/* SERVFAIL is RESOLVE_FAILED, "DNS server failure". */
START_TEST(test_resolve_dns_servfail)
{
	struct answer a = {0};

	dns_start();
	start("fail.test", 80, 2000, &a);
	run_until(&a, 1, 3.);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_int_eq(a.status, RESOLVE_FAILED);
	ck_assert_str_eq(a.reason, "DNS server failure");
}
END_TEST

/* A server that never answers ends in RESOLVE_TIMEOUT at timeout_ms. */
START_TEST(test_resolve_dns_timeout)
{
	struct answer a = {0};
	double t0 = ev_time(), took;

	dns_start();
	start("silent.test", 80, 300, &a);
	run_until(&a, 1, 3.);
	took = a.at - t0;
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_int_eq(a.status, RESOLVE_TIMEOUT);
	ck_assert_str_eq(a.reason, "timeout");
	ck_assert_msg(took >= 0.25 && took < 1.0, "took %.3f s", took);
	ck_assert_uint_ge(dns_asked, 1);
	/* The orphaned c-ares query must not call back later. */
	spin(5);
	ck_assert_uint_eq(a.calls, 1);
}
END_TEST

/* A positive answer is cached by name, case-insensitively, and the
 * cached copy carries the new query's port and is still deferred. */
START_TEST(test_resolve_cache_hit)
{
	struct answer a = {0}, b = {0};
	unsigned asked;

	dns_start();
	start("ok.test", 80, 2000, &a);
	run_until(&a, 1, 3.);
	ck_assert_int_eq(a.status, RESOLVE_OK);
	asked = dns_asked;
	start("OK.test", 81, 2000, &b);
	ck_assert_uint_eq(b.calls, 0);
	run_until(&b, 1, 3.);
	ck_assert_int_eq(b.status, RESOLVE_OK);
	ck_assert_uint_eq(dns_asked, asked);
	ck_assert_uint_eq(b.naddrs, 2);
	ck_assert(has_addr(&b, "192.0.2.1:81"));
	ck_assert(has_addr(&b, "[2001:db8::1]:81"));
	ck_assert(!inside_start);
}
END_TEST

/* Answers with TTL 0 and negative answers are asked for again. */
START_TEST(test_resolve_cache_skips_ttl0_and_errors)
{
	struct answer a[4];
	static const char *names[] = {"ttl0.test", "nx.test"};
	unsigned asked;
	size_t i;

	memset(a, 0, sizeof(a));
	dns_start();
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		start(names[i], 80, 2000, &a[2 * i]);
		run_until(&a[2 * i], 1, 3.);
		asked = dns_asked;
		start(names[i], 80, 2000, &a[2 * i + 1]);
		run_until(&a[2 * i + 1], 1, 3.);
		ck_assert_msg(dns_asked > asked, "%s was cached", names[i]);
		ck_assert_int_eq(a[2 * i].status, a[2 * i + 1].status);
	}
	ck_assert_int_eq(a[0].status, RESOLVE_OK);
	ck_assert_int_eq(a[2].status, RESOLVE_NOT_FOUND);
}
END_TEST

/* The cache keeps at most 64 names and drops the least recently used. */
START_TEST(test_resolve_cache_capped)
{
	struct answer a[70], b = {0}, c = {0};
	char names[ARRAY_SIZE(a)][32];
	unsigned asked;
	size_t i;

	memset(a, 0, sizeof(a));
	dns_start();
	for (i = 0; i < ARRAY_SIZE(a); i++) {
		snprintf(names[i], sizeof(names[i]), "h%zu.many.test", i);
		start(names[i], 80, 2000, &a[i]);
		run_until(&a[i], 1, 3.);
		ck_assert_int_eq(a[i].status, RESOLVE_OK);
	}
	asked = dns_asked;
	start(names[ARRAY_SIZE(a) - 1], 80, 2000, &b);
	run_until(&b, 1, 3.);
	ck_assert_uint_eq(dns_asked, asked);
	start(names[0], 80, 2000, &c);
	run_until(&c, 1, 3.);
	ck_assert_int_eq(c.status, RESOLVE_OK);
	ck_assert_uint_gt(dns_asked, asked);
}
END_TEST

/* A DNS server port with nobody behind it fails the lookup in time. */
START_TEST(test_resolve_dns_unreachable)
{
	struct answer a = {0};
	double t0 = ev_time();
	char csv[64];

	dns_start();
	ev_io_stop(loop, &dns_io);
	close(dns_fd);
	dns_fd = -1;
	snprintf(csv, sizeof(csv), "127.0.0.1:%u", dns_port);
	ck_assert_int_eq(resolve_set_servers(res, csv), 0);
	start("ok.test", 80, 500, &a);
	run_until(&a, 1, 3.);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_int_ne(a.status, RESOLVE_OK);
	ck_assert_msg(a.at - t0 < 1.0, "took %.3f s", a.at - t0);
}
END_TEST

/* An idle resolver has no active watcher, before and after a lookup. */
START_TEST(test_resolve_idle_costs_nothing)
{
	struct answer a = {0};

	ck_assert(loop_idle());
	dns_start();
	start("ok.test", 80, 2000, &a);
	run_until(&a, 1, 3.);
	ck_assert_int_eq(a.status, RESOLVE_OK);
	ev_io_stop(loop, &dns_io);
	ck_assert(loop_idle());
}
END_TEST

/* A query cancelled with its answer already waiting never calls back. */
START_TEST(test_resolve_cancel_answered)
{
	struct answer a = {0}, b = {0};

	resolve_cancel(start("127.0.0.1", 80, 1000, &a));
	start("127.0.0.2", 80, 1000, &b);
	run_until(&b, 1, 2.);
	spin(5);
	ck_assert_uint_eq(a.calls, 0);
	ck_assert_uint_eq(b.calls, 1);
}
END_TEST

/* A query cancelled while c-ares waits for the server never calls back,
 * even after the answer arrives or c-ares gives up. */
START_TEST(test_resolve_cancel_in_flight)
{
	struct answer a = {0}, b = {0}, c = {0};

	dns_start();
	resolve_cancel(start("ok.test", 80, 2000, &a));
	resolve_cancel(start("silent.test", 80, 200, &b));
	start("v4.test", 80, 2000, &c);
	run_until(&c, 1, 3.);
	ck_assert_uint_eq(c.calls, 1);
	spin(5);
	ck_assert_uint_eq(a.calls, 0);
	ck_assert_uint_eq(b.calls, 0);
}
END_TEST

/* Many concurrent lookups of every kind each call back exactly once. */
START_TEST(test_resolve_many_concurrent)
{
	static const char *names[] = {"ok.test",   "127.0.0.1", "nx.test",
				      "localhost", "::1",       "v4.test"};
	struct answer a[120];
	size_t i;

	memset(a, 0, sizeof(a));
	dns_start();
	for (i = 0; i < ARRAY_SIZE(a); i++)
		start(names[i % ARRAY_SIZE(names)], (unsigned)(1000 + i), 3000,
		      &a[i]);
	run_until(a, ARRAY_SIZE(a), 5.);
	spin(5);
	for (i = 0; i < ARRAY_SIZE(a); i++) {
		const char *name = names[i % ARRAY_SIZE(names)];

		ck_assert_msg(a[i].calls == 1, "%s: %u calls", name,
			      a[i].calls);
		if (strcmp(name, "nx.test") == 0)
			ck_assert_int_eq(a[i].status, RESOLVE_NOT_FOUND);
		else
			ck_assert_msg(a[i].status == RESOLVE_OK, "%s: %s", name,
				      a[i].reason);
	}
	ck_assert(!inside_start);
}
END_TEST

/* resolve_free() with queries waiting on the server, on an answer's
 * delivery and on nothing at all calls no callback and stops all. */
START_TEST(test_resolve_free_in_flight)
{
	struct answer a = {0}, b = {0}, c = {0};

	dns_start();
	start("silent.test", 80, 1000, &a);
	start("ok.test", 80, 1000, &b);
	start("127.0.0.1", 80, 1000, &c);
	resolve_free(res);
	res = NULL;
	spin(5);
	ck_assert_uint_eq(a.calls + b.calls + c.calls, 0);
	ev_io_stop(loop, &dns_io);
	ck_assert(loop_idle());
}
END_TEST

static struct answer reentry_other;
static struct resolve_query *reentry_q;

/* A callback that frees the resolver while other queries are pending. */
static void
free_resolver_cb(void *arg, int status, const char *reason,
		 const struct sockaddr_storage *addrs, size_t naddrs)
{
	record_cb(arg, status, reason, addrs, naddrs);
	resolve_free(res);
	res = NULL;
}

/* A callback that cancels another query and starts a new one. */
static void
restart_cb(void *arg, int status, const char *reason,
	   const struct sockaddr_storage *addrs, size_t naddrs)
{
	record_cb(arg, status, reason, addrs, naddrs);
	resolve_cancel(reentry_q);
	start("::1", 80, 1000, &reentry_other);
}

/* A callback may free the resolver; the rest never call back. */
START_TEST(test_resolve_free_from_callback)
{
	struct answer a = {0}, b = {0}, c = {0};

	dns_start();
	ck_assert_ptr_nonnull(
	    resolve_start(res, "127.0.0.1", 80, 1000, free_resolver_cb, &a));
	start("127.0.0.2", 80, 1000, &b);
	start("silent.test", 80, 1000, &c);
	run_until(&a, 1, 2.);
	spin(5);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_ptr_null(res);
	ck_assert_uint_eq(b.calls + c.calls, 0);
}
END_TEST

/* A callback may cancel a pending query and start another one. */
START_TEST(test_resolve_reenter_from_callback)
{
	struct answer a = {0}, b = {0};

	memset(&reentry_other, 0, sizeof(reentry_other));
	dns_start();
	ck_assert_ptr_nonnull(
	    resolve_start(res, "127.0.0.1", 80, 1000, restart_cb, &a));
	reentry_q = start("silent.test", 80, 1000, &b);
	run_until(&reentry_other, 1, 2.);
	spin(5);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_uint_eq(b.calls, 0);
	ck_assert_uint_eq(reentry_other.calls, 1);
	ck_assert_int_eq(reentry_other.status, RESOLVE_OK);
}
END_TEST

/* A bad name fails through the callback, not through resolve_start(). */
START_TEST(test_resolve_bad_name)
{
	struct answer a = {0};

	start("", 80, 1000, &a);
	ck_assert_uint_eq(a.calls, 0);
	run_until(&a, 1, 2.);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_int_ne(a.status, RESOLVE_OK);
}
END_TEST

Suite *
resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc;

	tc = tcase_create("local");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_resolve_literal_v4_deferred);
	tcase_add_test(tc, test_resolve_literal_v6);
	tcase_add_test(tc, test_resolve_localhost_from_hosts);
	tcase_add_test(tc, test_resolve_invalid_name_fails_in_time);
	tcase_add_test(tc, test_resolve_bad_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("fake_dns");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_resolve_dns_success);
	tcase_add_test(tc, test_resolve_dns_v4_only);
	tcase_add_test(tc, test_resolve_dns_nxdomain);
	tcase_add_test(tc, test_resolve_dns_servfail);
	tcase_add_test(tc, test_resolve_dns_timeout);
	tcase_add_test(tc, test_resolve_dns_unreachable);
	tcase_add_test(tc, test_resolve_cache_hit);
	tcase_add_test(tc, test_resolve_cache_skips_ttl0_and_errors);
	tcase_add_test(tc, test_resolve_cache_capped);
	tcase_add_test(tc, test_resolve_idle_costs_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifetime");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_resolve_cancel_answered);
	tcase_add_test(tc, test_resolve_cancel_in_flight);
	tcase_add_test(tc, test_resolve_many_concurrent);
	tcase_add_test(tc, test_resolve_free_in_flight);
	tcase_add_test(tc, test_resolve_free_from_callback);
	tcase_add_test(tc, test_resolve_reenter_from_callback);
	suite_add_tcase(s, tc);
	return s;
}
