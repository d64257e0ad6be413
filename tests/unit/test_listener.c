/* SPDX-License-Identifier: MIT */
/* The listener suite: handing listening sockets to the next generation. */
#include "auto-config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "addr.h"
#include "config.h"
#include "listener.h"
#include "suites.h"

static struct ev_loop *loop;
static struct route route;
static struct conn_owner owner;
static char route_name[] = "t";

static void
noop(struct conn *c)
{
	(void)c;
}

static void
setup(void)
{
	loop = ev_loop_new(0);
	ck_assert_ptr_nonnull(loop);
	memset(&route, 0, sizeof(route));
	route.name = route_name;
	route.max_connections = 4;
	memset(&owner, 0, sizeof(owner));
	owner.loop = loop;
	owner.route = &route;
	owner.start = noop;
	owner.connected = noop;
}

static void
teardown(void)
{
	ev_loop_destroy(loop);
}

/* 127.0.0.1 with PORT. */
static struct addr
lo(unsigned port)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.u.in.sin_family = AF_INET;
	a.u.in.sin_port = htons((uint16_t)port);
	a.u.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.len = sizeof(a.u.in);
	return a;
}

/* The port a listening socket of a group is bound to: the kernel's pick. */
static unsigned
bound_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* The lowest descriptor listening on PORT, found by probing, or -1. */
static int
fd_on_port(unsigned port)
{
	int fd, on;
	socklen_t len = sizeof(on);

	for (fd = 3; fd < 256; fd++) {
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 &&
		    on && bound_port(fd) == port)
			return fd;
	}
	return -1;
}

/* Whether a client can connect to 127.0.0.1:PORT (the socket is open). */
static bool
can_connect(unsigned port)
{
	struct addr a = lo(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	ck_assert_int_ne(fd, -1);
	rc = connect(fd, &a.u.sa, a.len);
	close(fd);
	return rc == 0;
}

/*
 * The new group takes over the socket bound to the same address: one
 * socket changes hands, the old group's stop and free leave it open, and
 * clients still connect.
 */
START_TEST(test_listener_adopt_keeps_socket)
{
	struct listener_group old, gen;
	struct addr a = lo(0);
	char err[256];
	unsigned port;
	int fd;

	listener_group_init(&old, loop, 100, NULL, NULL);
	ck_assert_int_eq(
	    listener_add(&old, &owner, &a, 1, 16, err, sizeof(err)), 0);
	listener_group_start(&old);
	/* Find it: the only listening socket of this process. */
	for (fd = 3; fd < 256; fd++) {
		int on;
		socklen_t len = sizeof(on);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 &&
		    on)
			break;
	}
	ck_assert_int_lt(fd, 256);
	port = bound_port(fd);

	listener_group_init(&gen, loop, 100, NULL, NULL);
	gen.from = &old;
	ck_assert_int_eq(
	    listener_add(&gen, &owner, &a, 1, 16, err, sizeof(err)), 0);
	ck_assert_uint_eq(listener_group_adopt(&gen), 1);
	ck_assert_ptr_null(gen.from);
	listener_group_stop(&old);
	listener_group_fini(&old);
	listener_group_start(&gen);
	ck_assert_int_eq(fd_on_port(port), fd);
	ck_assert(can_connect(port));
	listener_group_fini(&gen);
	ck_assert_int_eq(fd_on_port(port), -1);
	ck_assert(!can_connect(port));
}
END_TEST

/*
 * A new group that is freed without adopting (its reload failed) leaves
 * the borrowed socket open for the old group; a new address is its own.
 */
START_TEST(test_listener_abandoned_borrow)
{
	struct listener_group old, gen;
	struct addr a = lo(0), b[2];
	char err[256];
	unsigned port;
	int fd;

	listener_group_init(&old, loop, 100, NULL, NULL);
	ck_assert_int_eq(
	    listener_add(&old, &owner, &a, 1, 16, err, sizeof(err)), 0);
	for (fd = 3; fd < 256; fd++) {
		int on;
		socklen_t len = sizeof(on);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 &&
		    on)
			break;
	}
	port = bound_port(fd);
	listener_group_init(&gen, loop, 100, NULL, NULL);
	gen.from = &old;
	b[0] = a;
	b[1] = lo(0); /* 127.0.0.2: a new address, bound anew */
	b[1].u.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
	ck_assert_int_eq(listener_add(&gen, &owner, b, 2, 16, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(gen.nlisteners, 2);
	listener_group_fini(&gen);
	ck_assert_int_eq(fd_on_port(port), fd);
	ck_assert(can_connect(port));
	listener_group_fini(&old);
	ck_assert(!can_connect(port));
}
END_TEST

Suite *
listener_suite(void)
{
	Suite *s = suite_create("listener");
	TCase *tc = tcase_create("adopt");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_listener_adopt_keeps_socket);
	tcase_add_test(tc, test_listener_abandoned_borrow);
	suite_add_tcase(s, tc);
	return s;
}
