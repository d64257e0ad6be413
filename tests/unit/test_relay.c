/* SPDX-License-Identifier: MIT */
/* Unit tests of relay.c, conn.c, upstream.c: socketpairs, a private loop. */
#include "auto-config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "compiler.h"
#include "config.h"
#include "conn.h"
#include "relay.h"
#include "suites.h"
#include "upstream.h"

/* The test's ends of the two connections, and porty's conn between them. */
static struct ev_loop *loop;
static struct buf_pool pool;
static struct buf_pipe_pool pipes;
static struct route route;
static struct conn_owner owner;
static struct upstream target;
static struct conn *c;
static int app_client = -1, app_upstream = -1;
static unsigned nclosed, nconnected;
static char route_name[] = "test";

#define POOL_BLOCK 4096

static void
closed_cb(struct conn_owner *o)
{
	(void)o;
	nclosed++;
	c = NULL;
}

static void
connected_cb(struct conn *cc)
{
	nconnected++;
	relay_start(cc);
}

/* Run the loop without blocking N times, for ready watchers to settle. */
static void
spin(int n)
{
	while (n-- > 0)
		ev_run(loop, EVRUN_NOWAIT);
}

static struct addr
fake_peer(void)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.u.in.sin_family = AF_INET;
	a.u.in.sin_port = htons(40000);
	a.u.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.len = sizeof(a.u.in);
	return a;
}

static void
pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX,
				    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				    0, sv),
			 0);
}

/* The common part of every fixture: a loop, a pool, a route, an owner. */
static void
setup_owner(void)
{
	/* As main.c: a dead peer is EPIPE, not a signal (splice raises it). */
	signal(SIGPIPE, SIG_IGN);
	loop = ev_loop_new(0);
	ck_assert_ptr_nonnull(loop);
	buf_pool_init(&pool, POOL_BLOCK, 8);
	buf_pipe_pool_init(&pipes, 0, 0);
	memset(&route, 0, sizeof(route));
	route.name = route_name;
	route.max_connections = 10;
	route.connect_timeout_ms = 1000;
	route.max_retries = 2;
	route.idle_timeout_s = 0;
	memset(&owner, 0, sizeof(owner));
	owner.loop = loop;
	owner.route = &route;
	owner.pool = &pool;
	owner.target = "test-upstream";
	owner.closed = closed_cb;
	owner.connected = connected_cb;
	nclosed = nconnected = 0;
	c = NULL;
	app_client = app_upstream = -1;
}

/* A relaying conn between two socketpairs, as if just connected. */
static void
start_relay(void)
{
	struct addr peer = fake_peer();
	int cs[2], us[2];

	pair(cs);
	pair(us);
	app_client = cs[0];
	app_upstream = us[0];
	c = conn_new(&owner, cs[1], &peer);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->state, CONN_ACCEPTED);
	conn_attach(c, CONN_UPSTREAM, us[1], &plain_transport_ops);
	conn_set_state(c, CONN_CONNECTING);
	relay_start(c);
	ck_assert_int_eq(c->state, CONN_RELAYING);
}

static void
setup(void)
{
	setup_owner();
	start_relay();
}

/* As setup(), with pipes: bulk transfers splice. */
static void
setup_splice(void)
{
	setup_owner();
	buf_pipe_pool_init(&pipes, 4, 2);
	owner.pipes = &pipes;
	start_relay();
}

static void
teardown(void)
{
	conn_close_all(&owner, CONN_END_DONE, NULL);
	ck_assert_uint_eq(owner.nconns, 0);
	if (app_client != -1)
		close(app_client);
	if (app_upstream != -1)
		close(app_upstream);
	ck_assert_uint_eq(pool.nused, 0);
	buf_pool_fini(&pool);
	/* Every pipe is back (spares only) or closed. */
	ck_assert_uint_eq(pipes.nopen, pipes.nfree);
	buf_pipe_pool_fini(&pipes);
	ev_loop_destroy(loop);
}

/* The byte at offset I of a test stream (varies with the direction). */
static char
pattern(size_t i, int dir)
{
	return (char)((i * 7 + i / 251 + (size_t)dir * 13) & 0xff);
}

/* Send up to LEN pattern bytes from *POS (non-blocking); returns bytes sent. */
static size_t
send_pattern(int fd, size_t *pos, size_t total, int dir)
{
	char chunk[16384];
	size_t k = total - *pos, i;
	ssize_t r;

	if (k == 0)
		return 0;
	if (k > sizeof(chunk))
		k = sizeof(chunk);
	for (i = 0; i < k; i++)
		chunk[i] = pattern(*pos + i, dir);
	r = send(fd, chunk, k, MSG_NOSIGNAL);
	if (r == -1) {
		ck_assert_msg(errno == EAGAIN, "send: %s", strerror(errno));
		return 0;
	}
	*pos += (size_t)r;
	return (size_t)r;
}

/*
 * Receive what is there into the check of a pattern stream at *POS;
 * returns -1 at EOF, else the count.
 */
static ssize_t
recv_pattern(int fd, size_t *pos, int dir)
{
	char chunk[16384];
	ssize_t r, i;

	r = recv(fd, chunk, sizeof(chunk), 0);
	if (r == -1) {
		ck_assert_msg(errno == EAGAIN, "recv: %s", strerror(errno));
		return 0;
	}
	if (r == 0)
		return -1;
	for (i = 0; i < r; i++)
		ck_assert_msg(chunk[i] == pattern(*pos + (size_t)i, dir),
			      "byte %zu differs", *pos + (size_t)i);
	*pos += (size_t)r;
	return r;
}

/* Read what is there into BUF: the count, 0 if nothing, -1 at EOF. */
static ssize_t
drain(int fd, char *buf, size_t len)
{
	ssize_t r = recv(fd, buf, len, 0);

	if (r == -1 && errno == EAGAIN)
		return 0;
	return r == 0 ? -1 : r;
}

/* A MiB each way at once arrives complete and in order, and is counted. */
START_TEST(test_relay_transfer_integrity)
{
	const size_t total = 1u << 20;
	size_t up_sent = 0, up_got = 0, down_sent = 0, down_got = 0;
	int i;

	for (i = 0; i < 200000 && (up_got < total || down_got < total); i++) {
		send_pattern(app_client, &up_sent, total, 0);
		send_pattern(app_upstream, &down_sent, total, 1);
		spin(1);
		ck_assert_int_ge(recv_pattern(app_upstream, &up_got, 0), 0);
		ck_assert_int_ge(recv_pattern(app_client, &down_got, 1), 0);
	}
	ck_assert_uint_eq(up_got, total);
	ck_assert_uint_eq(down_got, total);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->bytes_in, total);
	ck_assert_uint_eq(c->bytes_out, total);
	/* With pipes, bulk went through them, and they are back in the pool. */
	if (owner.pipes != NULL)
		ck_assert_uint_ge(pipes.nopen, 1);
	ck_assert_uint_eq(pipes.nopen, pipes.nfree);

	/* Both ends close: the conn closes by itself, once. */
	shutdown(app_client, SHUT_WR);
	shutdown(app_upstream, SHUT_WR);
	spin(4);
	ck_assert_int_eq(recv_pattern(app_upstream, &up_got, 0), -1);
	ck_assert_int_eq(recv_pattern(app_client, &down_got, 1), -1);
	ck_assert_uint_eq(nclosed, 1);
	ck_assert_uint_eq(owner.nconns, 0);
}
END_TEST

/*
 * When the upstream does not read, the client side is read until its buffer
 * is full and then not at all; the upstream write watcher waits. Draining
 * delivers every byte and reading resumes.
 */
START_TEST(test_relay_backpressure)
{
	size_t sent = 0, got = 0, before;
	const size_t total = 8u << 20;
	int i, still = 0;

	/* Keep the kernel buffers small so the test ends quickly. */
	int small = 4096;

	setsockopt(c->side[CONN_UPSTREAM].tp.fd, SOL_SOCKET, SO_SNDBUF, &small,
		   sizeof(small));
	for (i = 0; i < 10000 && still < 20; i++) {
		before = sent;
		send_pattern(app_client, &sent, total, 0);
		spin(1);
		still = sent == before ? still + 1 : 0;
	}
	ck_assert_uint_lt(sent, total);
	ck_assert_ptr_nonnull(c);
	if (owner.pipes == NULL) {
		ck_assert(buf_full(&c->side[CONN_CLIENT].in, &pool));
		/* Only the one direction holds a block; the idle one none. */
		ck_assert_uint_eq(pool.nused, 1);
	} else {
		/* The bulk went to a pipe, which is held while it has bytes. */
		ck_assert_ptr_nonnull(c->side[CONN_CLIENT].pipe);
		ck_assert_uint_gt(c->side[CONN_CLIENT].pipe->len, 0);
		ck_assert_uint_eq(pool.nused, 0);
	}
	ck_assert(!ev_is_active(&c->side[CONN_CLIENT].rd));
	ck_assert(ev_is_active(&c->side[CONN_UPSTREAM].wr));
	ck_assert_ptr_null(c->side[CONN_UPSTREAM].in.data);
	ck_assert_ptr_null(c->side[CONN_UPSTREAM].pipe);

	for (i = 0; i < 100000 && got < sent; i++) {
		ck_assert_int_ge(recv_pattern(app_upstream, &got, 0), 0);
		spin(1);
	}
	ck_assert_uint_eq(got, sent);
	ck_assert(ev_is_active(&c->side[CONN_CLIENT].rd));
	ck_assert(!ev_is_active(&c->side[CONN_UPSTREAM].wr));
	ck_assert_uint_eq(pool.nused, 0);
	ck_assert_ptr_null(c->side[CONN_CLIENT].pipe);
	ck_assert_uint_eq(pipes.nopen, pipes.nfree);
}
END_TEST

/*
 * The client half-closes: the upstream gets the bytes and then EOF, the
 * response still reaches the client, and the conn closes only when the
 * upstream ends too.
 */
START_TEST(test_relay_half_close_client_first)
{
	char buf[64];

	ck_assert_int_eq(send(app_client, "request", 7, 0), 7);
	shutdown(app_client, SHUT_WR);
	spin(4);
	ck_assert_int_eq(drain(app_upstream, buf, sizeof(buf)), 7);
	ck_assert_mem_eq(buf, "request", 7);
	ck_assert_int_eq(drain(app_upstream, buf, sizeof(buf)), -1);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->state, CONN_DRAINING);

	ck_assert_int_eq(send(app_upstream, "response", 8, 0), 8);
	spin(4);
	ck_assert_int_eq(drain(app_client, buf, sizeof(buf)), 8);
	ck_assert_mem_eq(buf, "response", 8);
	ck_assert_uint_eq(nclosed, 0);

	shutdown(app_upstream, SHUT_WR);
	spin(4);
	ck_assert_int_eq(drain(app_client, buf, sizeof(buf)), -1);
	ck_assert_uint_eq(nclosed, 1);
}
END_TEST

/* The upstream half-closes first: the client still sends, then ends it. */
START_TEST(test_relay_half_close_upstream_first)
{
	char buf[64];

	ck_assert_int_eq(send(app_upstream, "banner", 6, 0), 6);
	shutdown(app_upstream, SHUT_WR);
	spin(4);
	ck_assert_int_eq(drain(app_client, buf, sizeof(buf)), 6);
	ck_assert_mem_eq(buf, "banner", 6);
	ck_assert_int_eq(drain(app_client, buf, sizeof(buf)), -1);
	ck_assert_uint_eq(nclosed, 0);

	ck_assert_int_eq(send(app_client, "late", 4, 0), 4);
	spin(4);
	ck_assert_int_eq(drain(app_upstream, buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "late", 4);

	shutdown(app_client, SHUT_WR);
	spin(4);
	ck_assert_int_eq(drain(app_upstream, buf, sizeof(buf)), -1);
	ck_assert_uint_eq(nclosed, 1);
}
END_TEST

/* An EOF behind a backlog of bytes is passed on only after the last of them. */
START_TEST(test_relay_eof_after_pending_bytes)
{
	size_t sent = 0, got = 0;
	const size_t total = 3u << 20;
	ssize_t r = 0;
	int i;

	for (i = 0; i < 10000 && sent < total; i++) {
		send_pattern(app_client, &sent, total, 0);
		spin(1);
		if (i % 4 == 0)
			ck_assert_int_ge(recv_pattern(app_upstream, &got, 0),
					 0);
	}
	ck_assert_uint_eq(sent, total);
	shutdown(app_client, SHUT_WR);
	for (i = 0; i < 100000; i++) {
		spin(1);
		r = recv_pattern(app_upstream, &got, 0);
		if (r == -1)
			break;
	}
	ck_assert_int_eq(r, -1);
	ck_assert_uint_eq(got, total);
}
END_TEST

/* Buffers are held only while bytes are in flight: drained, both are back. */
START_TEST(test_relay_buffer_returned_when_drained)
{
	char buf[64];

	ck_assert_uint_eq(pool.nused, 0);
	ck_assert_ptr_null(c->side[CONN_CLIENT].in.data);
	ck_assert_int_eq(send(app_client, "ping", 4, 0), 4);
	ck_assert_int_eq(send(app_upstream, "pong", 4, 0), 4);
	spin(4);
	ck_assert_int_eq(drain(app_upstream, buf, sizeof(buf)), 4);
	ck_assert_int_eq(drain(app_client, buf, sizeof(buf)), 4);
	ck_assert_ptr_null(c->side[CONN_CLIENT].in.data);
	ck_assert_ptr_null(c->side[CONN_UPSTREAM].in.data);
	ck_assert_uint_eq(pool.nused, 0);
	ck_assert_uint_ge(pool.nfree, 1);
	/* Both readers stay armed while idle: no watcher churn per message. */
	ck_assert(ev_is_active(&c->side[CONN_CLIENT].rd));
	ck_assert(ev_is_active(&c->side[CONN_UPSTREAM].rd));
	ck_assert(!ev_is_active(&c->side[CONN_CLIENT].wr));
	ck_assert(!ev_is_active(&c->side[CONN_UPSTREAM].wr));
}
END_TEST

/* A side that vanishes (closed both ways) ends the conn; nothing leaks. */
START_TEST(test_relay_peer_gone)
{
	char buf[64];

	ck_assert_int_eq(send(app_upstream, "bye", 3, 0), 3);
	close(app_upstream);
	app_upstream = -1;
	/* The client writes into a dead upstream: EPIPE, not SIGPIPE. */
	ck_assert_int_eq(send(app_client, "data", 4, 0), 4);
	spin(8);
	ck_assert_int_eq(drain(app_client, buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "bye", 3);
	shutdown(app_client, SHUT_WR);
	spin(4);
	ck_assert_uint_eq(nclosed, 1);
	ck_assert_uint_eq(pool.nused, 0);
}
END_TEST

/* Idle timeout: no traffic for idle_timeout_seconds closes, not before. */
static void
setup_idle(void)
{
	setup_owner();
	route.idle_timeout_s = 1;
	start_relay();
}

START_TEST(test_relay_idle_timeout)
{
	ev_tstamp t0, t;
	char buf[8];

	t0 = ev_time();
	/* Traffic at 0.6 s moves the deadline to 1.6 s. */
	ev_sleep(0.6);
	ck_assert_int_eq(send(app_client, "x", 1, 0), 1);
	while (nclosed == 0 && ev_time() - t0 < 5)
		ev_run(loop, EVRUN_ONCE);
	t = ev_time() - t0;
	ck_assert_uint_eq(nclosed, 1);
	ck_assert_msg(t > 1.5 && t < 2.5, "closed after %.3f s", t);
	ck_assert_int_eq(drain(app_upstream, buf, sizeof(buf)), 1);
	ck_assert_int_eq(drain(app_upstream, buf, sizeof(buf)), -1);
}
END_TEST

/* The state table: the TCP path is legal and names are known. */
START_TEST(test_conn_state_path)
{
	ck_assert_str_eq(conn_state_name(CONN_RELAYING), "relaying");
	ck_assert_str_eq(conn_state_name(CONN_CLOSED), "closed");
	ck_assert_int_eq(c->state, CONN_RELAYING);
	shutdown(app_client, SHUT_WR);
	spin(4);
	ck_assert_int_eq(c->state, CONN_DRAINING);
}
END_TEST

/* Retry backoff: 100 ms * 2^k capped at 2 s, with +-20% jitter. */
static const struct backoff_case {
	unsigned k;
	double r, want;
} backoff_cases[] = {
    {0, 0.5, 0.1},  {1, 0.5, 0.2}, {2, 0.5, 0.4},
    {4, 0.5, 1.6},  {5, 0.5, 2.0}, {40, 0.5, 2.0},
    {0, 0.0, 0.08}, {5, 0.0, 1.6}, {5, 0.999999, 2.4},
};

START_TEST(test_upstream_backoff)
{
	const struct backoff_case *tc = &backoff_cases[_i];
	double d = upstream_backoff(tc->k, tc->r);

	ck_assert_msg(d > tc->want - 1e-4 && d < tc->want + 1e-4,
		      "k=%u r=%g: %g, want %g", tc->k, tc->r, d, tc->want);
}
END_TEST

/* A non-blocking TCP listener on an ephemeral loopback port, in *PORT. */
static int
tcp_listener(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
setup_upstream(void)
{
	setup_owner();
	owner.upstream = &target;
	owner.start = upstream_connect;
}

/* A new conn whose start hook (upstream_connect) runs, as a listener would. */
static void
accept_client(void)
{
	struct addr peer = fake_peer();
	int cs[2];

	pair(cs);
	app_client = cs[0];
	c = conn_new(&owner, cs[1], &peer);
	ck_assert_ptr_nonnull(c);
	owner.start(c);
}

/* Connect to a live backend, then relay: the client's early bytes arrive. */
START_TEST(test_upstream_connect_then_relay)
{
	char err[128], buf[64];
	unsigned port;
	int lfd, i;

	lfd = tcp_listener(&port);
	ck_assert_int_eq(
	    upstream_init(&target, "127.0.0.1", port, err, sizeof(err)), 0);
	snprintf(buf, sizeof(buf), "127.0.0.1:%u", port);
	ck_assert_str_eq(target.name, buf);
	accept_client();
	ck_assert_int_eq(send(app_client, "early", 5, 0), 5);
	for (i = 0; i < 1000 && app_upstream == -1; i++) {
		spin(1);
		app_upstream = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	}
	ck_assert_int_ne(app_upstream, -1);
	for (i = 0; i < 1000 && nconnected == 0; i++)
		spin(1);
	ck_assert_uint_eq(nconnected, 1);
	spin(4);
	ck_assert_int_eq(drain(app_upstream, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "early", 5);
	close(lfd);
}
END_TEST

/* Every attempt refused: after max_retries backoffs the client is closed. */
START_TEST(test_upstream_refused_after_retries)
{
	char err[128], buf[8];
	unsigned port;
	ev_tstamp t0, t;
	int lfd;

	/* A port that was just free and has no listener now. */
	lfd = tcp_listener(&port);
	close(lfd);
	ck_assert_int_eq(
	    upstream_init(&target, "127.0.0.1", port, err, sizeof(err)), 0);
	t0 = ev_time();
	accept_client();
	while (nclosed == 0 && ev_time() - t0 < 5)
		ev_run(loop, EVRUN_ONCE);
	t = ev_time() - t0;
	ck_assert_uint_eq(nclosed, 1);
	ck_assert_uint_eq(nconnected, 0);
	/* Backoffs 0.1 and 0.2 s, each +-20%. */
	ck_assert_msg(t > 0.23 && t < 1.0, "gave up after %.3f s", t);
	ck_assert_int_eq(drain(app_client, buf, sizeof(buf)), -1);
}
END_TEST

Suite *
relay_suite(void)
{
	Suite *s = suite_create("relay");
	TCase *tc;

	tc = tcase_create("relay_pump");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_relay_transfer_integrity);
	tcase_add_test(tc, test_relay_backpressure);
	tcase_add_test(tc, test_relay_eof_after_pending_bytes);
	tcase_add_test(tc, test_relay_buffer_returned_when_drained);
	suite_add_tcase(s, tc);

	tc = tcase_create("splice");
	tcase_add_checked_fixture(tc, setup_splice, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_relay_transfer_integrity);
	tcase_add_test(tc, test_relay_backpressure);
	tcase_add_test(tc, test_relay_eof_after_pending_bytes);
	tcase_add_test(tc, test_relay_peer_gone);
	tcase_add_test(tc, test_relay_half_close_client_first);
	suite_add_tcase(s, tc);

	tc = tcase_create("half_close");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_relay_half_close_client_first);
	tcase_add_test(tc, test_relay_half_close_upstream_first);
	tcase_add_test(tc, test_relay_peer_gone);
	tcase_add_test(tc, test_conn_state_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("idle_timeout");
	tcase_add_checked_fixture(tc, setup_idle, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_relay_idle_timeout);
	suite_add_tcase(s, tc);

	tc = tcase_create("upstream_connect");
	tcase_add_checked_fixture(tc, setup_upstream, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_upstream_backoff, 0,
			    (int)ARRAY_SIZE(backoff_cases));
	tcase_add_test(tc, test_upstream_connect_then_relay);
	tcase_add_test(tc, test_upstream_refused_after_retries);
	suite_add_tcase(s, tc);
	return s;
}
