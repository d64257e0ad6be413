/* SPDX-License-Identifier: MIT */
/* Unit tests of buf.c: transport reads and writes, compaction, the pools. */
#include "auto-config.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "suites.h"
#include "transport.h"

/*
 * A scripted in-memory transport: reads come from `src` (at most `chunk`
 * bytes a call, then IO_AGAIN or IO_EOF), writes go to `dst` until `room`
 * is used up (then a short write and IO_AGAIN).
 */
struct fake {
	const char *src;
	size_t srclen, srcpos, chunk;
	int eof;
	char dst[4096];
	size_t dstlen, room;
	unsigned reads, writes;
};

static enum io_rc
fake_read(struct transport *t, char *dst, size_t len, size_t *n)
{
	struct fake *f = t->ctx;
	size_t k = f->srclen - f->srcpos;

	f->reads++;
	*n = 0;
	if (k == 0) {
		if (f->eof)
			return IO_EOF;
		t->want = TRANSPORT_WANT_READ;
		return IO_AGAIN;
	}
	if (k > len)
		k = len;
	if (f->chunk != 0 && k > f->chunk)
		k = f->chunk;
	memcpy(dst, f->src + f->srcpos, k);
	f->srcpos += k;
	*n = k;
	return IO_OK;
}

static enum io_rc
fake_write(struct transport *t, const char *src, size_t len, size_t *n)
{
	struct fake *f = t->ctx;
	size_t k = len < f->room ? len : f->room;

	f->writes++;
	memcpy(f->dst + f->dstlen, src, k);
	f->dstlen += k;
	f->room -= k;
	*n = k;
	if (k == len)
		return IO_OK;
	t->want = TRANSPORT_WANT_WRITE;
	return IO_AGAIN;
}

static enum io_rc
fake_shutdown(struct transport *t)
{
	(void)t;
	return IO_OK;
}

static void
fake_close(struct transport *t)
{
	t->fd = -1;
}

static const struct transport_ops fake_ops = {
    .name = "fake",
    .read = fake_read,
    .write = fake_write,
    .shutdown = fake_shutdown,
    .close = fake_close,
};

static struct fake f;
static struct transport tp;
static struct buf_pool pool;
static struct buf b;

static void
setup(void)
{
	memset(&f, 0, sizeof(f));
	f.room = sizeof(f.dst);
	memset(&tp, 0, sizeof(tp));
	tp.ops = &fake_ops;
	tp.ctx = &f;
	tp.fd = -1;
	buf_pool_init(&pool, 64, 4);
	memset(&b, 0, sizeof(b));
}

static void
teardown(void)
{
	buf_release(&b, &pool);
	buf_pool_fini(&pool);
}

/* An idle buffer holds no block; the first read takes one from the pool. */
START_TEST(test_buf_read_takes_block_lazily)
{
	size_t n;

	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(buf_tail_room(&b, &pool), 64);
	f.src = "hello";
	f.srclen = 5;
	ck_assert_int_eq(buf_read(&b, &pool, &tp, &n), IO_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_uint_eq(pool.nused, 1);
	ck_assert_uint_eq(buf_len(&b), 5);
	ck_assert_mem_eq(b.data + b.start, "hello", 5);
	/* Room left after the read: it was short, the source is dry. */
	ck_assert_uint_gt(buf_tail_room(&b, &pool), 0);
}
END_TEST

/* A read that finds nothing (or the end) gives the block straight back. */
START_TEST(test_buf_read_empty_releases)
{
	size_t n;

	ck_assert_int_eq(buf_read(&b, &pool, &tp, &n), IO_AGAIN);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(pool.nused, 0);
	ck_assert_uint_eq(pool.nfree, 1);
	f.eof = 1;
	ck_assert_int_eq(buf_read(&b, &pool, &tp, &n), IO_EOF);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(pool.nused, 0);
	/* The spare block was reused, not a second one allocated. */
	ck_assert_uint_eq(pool.nfree, 1);
}
END_TEST

/* Reads stop at the capacity: a full buffer is what stops the reader. */
START_TEST(test_buf_read_stops_when_full)
{
	char src[100];
	size_t n;

	memset(src, 'x', sizeof(src));
	f.src = src;
	f.srclen = sizeof(src);
	ck_assert_int_eq(buf_read(&b, &pool, &tp, &n), IO_OK);
	ck_assert_uint_eq(n, 64);
	ck_assert(buf_full(&b, &pool));
	ck_assert_uint_eq(buf_tail_room(&b, &pool), 0);
	ck_assert_uint_eq(f.srcpos, 64);
}
END_TEST

/* Draining the buffer returns its block to the free list. */
START_TEST(test_buf_write_drained_returns_block)
{
	size_t n;

	f.src = "0123456789";
	f.srclen = 10;
	ck_assert_int_eq(buf_read(&b, &pool, &tp, &n), IO_OK);
	ck_assert_int_eq(buf_write(&b, &pool, &tp, &n), IO_OK);
	ck_assert_uint_eq(n, 10);
	ck_assert_mem_eq(f.dst, "0123456789", 10);
	ck_assert(buf_empty(&b));
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(pool.nused, 0);
	ck_assert_uint_eq(pool.nfree, 1);
}
END_TEST

/* A short write keeps the rest, in order, and reports IO_AGAIN. */
START_TEST(test_buf_write_partial_keeps_rest)
{
	size_t n;

	f.src = "abcdefghij";
	f.srclen = 10;
	f.room = 4;
	ck_assert_int_eq(buf_read(&b, &pool, &tp, &n), IO_OK);
	ck_assert_int_eq(buf_write(&b, &pool, &tp, &n), IO_AGAIN);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(buf_len(&b), 6);
	ck_assert_ptr_nonnull(b.data);
	f.room = 100;
	ck_assert_int_eq(buf_write(&b, &pool, &tp, &n), IO_OK);
	ck_assert_uint_eq(n, 6);
	ck_assert_mem_eq(f.dst, "abcdefghij", 10);
	ck_assert_ptr_null(b.data);
}
END_TEST

/* buf_write_max() sends only the first bytes; buf_drop() skips some. */
START_TEST(test_buf_write_max_and_drop)
{
	size_t n;

	f.src = "HEADbodyNEXT";
	f.srclen = 12;
	ck_assert_int_eq(buf_read(&b, &pool, &tp, &n), IO_OK);
	buf_drop(&b, &pool, 4);
	ck_assert_uint_eq(buf_len(&b), 8);
	ck_assert_int_eq(buf_write_max(&b, &pool, &tp, 4, &n), IO_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(f.dst, "body", 4);
	ck_assert_uint_eq(buf_len(&b), 4);
	ck_assert_ptr_nonnull(b.data);
	f.room = 2;
	ck_assert_int_eq(buf_write_max(&b, &pool, &tp, 3, &n), IO_AGAIN);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(buf_len(&b), 2);
	buf_drop(&b, &pool, 2);
	ck_assert(buf_empty(&b));
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(pool.nused, 0);
}
END_TEST

/* With the tail used up, a read moves the pending bytes to the front first. */
START_TEST(test_buf_read_compacts)
{
	char src[100];
	size_t n, i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (char)('A' + i % 26);
	f.src = src;
	f.srclen = sizeof(src);
	f.room = 10;
	ck_assert_int_eq(buf_read(&b, &pool, &tp, &n), IO_OK);
	ck_assert_int_eq(buf_write(&b, &pool, &tp, &n), IO_AGAIN);
	ck_assert_uint_eq(buf_len(&b), 54);
	ck_assert(!buf_full(&b, &pool));
	ck_assert_uint_eq(buf_tail_room(&b, &pool), 0);
	ck_assert_int_eq(buf_read(&b, &pool, &tp, &n), IO_OK);
	ck_assert_uint_eq(n, 10);
	ck_assert_uint_eq(b.start, 0);
	ck_assert(buf_full(&b, &pool));
	ck_assert_mem_eq(b.data, src + 10, 64);
	f.room = 1000;
	ck_assert_int_eq(buf_write(&b, &pool, &tp, &n), IO_OK);
	ck_assert_uint_eq(f.dstlen, 74);
	ck_assert_mem_eq(f.dst, src, 74);
}
END_TEST

/* Transport errors pass through with their errno; no block is kept. */
static enum io_rc
fail_read(struct transport *t, char *dst, size_t len, size_t *n)
{
	(void)dst;
	(void)len;
	*n = 0;
	t->err = ECONNRESET;
	return IO_ERROR;
}

START_TEST(test_buf_read_error)
{
	struct transport_ops ops = fake_ops;
	size_t n;

	ops.read = fail_read;
	tp.ops = &ops;
	ck_assert_int_eq(buf_read(&b, &pool, &tp, &n), IO_ERROR);
	ck_assert_int_eq(tp.err, ECONNRESET);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(pool.nused, 0);
}
END_TEST

/* The free list keeps at most max_free spares; the rest go back to malloc. */
START_TEST(test_buf_pool_trims_spares)
{
	struct buf many[6];
	size_t i, n;

	memset(many, 0, sizeof(many));
	f.src = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";
	f.srclen = strlen(f.src);
	f.chunk = 1;
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(buf_read(&many[i], &pool, &tp, &n), IO_OK);
	ck_assert_uint_eq(pool.nused, 6);
	ck_assert_uint_eq(pool.nfree, 0);
	for (i = 0; i < 6; i++)
		buf_release(&many[i], &pool);
	ck_assert_uint_eq(pool.nused, 0);
	ck_assert_uint_eq(pool.nfree, 4);
}
END_TEST

/* Pipes come from the pool up to its cap; empty ones reused, dirty closed. */
START_TEST(test_buf_pipe_pool)
{
	struct buf_pipe_pool pp;
	struct buf_pipe *p1, *p2;

	buf_pipe_pool_init(&pp, 2, 1);
	p1 = buf_pipe_get(&pp);
	p2 = buf_pipe_get(&pp);
	ck_assert_ptr_nonnull(p1);
	ck_assert_ptr_nonnull(p2);
	ck_assert_uint_eq(pp.nopen, 2);
	ck_assert_uint_ge(pp.size, 4096);
	/* At the cap: the caller copies through p1 buffer instead. */
	ck_assert_ptr_null(buf_pipe_get(&pp));
	buf_pipe_put(&pp, p1);
	ck_assert_uint_eq(pp.nfree, 1);
	ck_assert_ptr_eq(buf_pipe_get(&pp), p1);
	/* Bytes left in p1 pipe: closed rather than reused. */
	p1->len = 3;
	buf_pipe_put(&pp, p1);
	ck_assert_uint_eq(pp.nopen, 1);
	ck_assert_uint_eq(pp.nfree, 0);
	/* Spares beyond max_free are closed too. */
	p1 = buf_pipe_get(&pp);
	buf_pipe_put(&pp, p1);
	buf_pipe_put(&pp, p2);
	ck_assert_uint_eq(pp.nfree, 1);
	ck_assert_uint_eq(pp.nopen, 1);
	buf_pipe_pool_fini(&pp);
	ck_assert_uint_eq(pp.nopen, 0);
}
END_TEST

/* splice in from one socket, out to another: bytes, counts, EOF, EAGAIN. */
START_TEST(test_buf_splice)
{
	struct transport in = {.ops = &plain_transport_ops};
	struct transport out = {.ops = &plain_transport_ops};
	struct buf_pipe_pool pp;
	struct buf_pipe *bp;
	int a[2], z[2];
	char got[16];
	size_t n;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a),
			 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, z),
			 0);
	in.fd = a[1];
	out.fd = z[0];
	buf_pipe_pool_init(&pp, 1, 1);
	bp = buf_pipe_get(&pp);
	ck_assert_ptr_nonnull(bp);

	ck_assert_int_eq(buf_splice_in(bp, &in, pp.size, &n), IO_AGAIN);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(write(a[0], "hello", 5), 5);
	ck_assert_int_eq(buf_splice_in(bp, &in, pp.size, &n), IO_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(bp->len, 5);
	ck_assert_int_eq(buf_splice_out(bp, &out, &n), IO_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(bp->len, 0);
	ck_assert_int_eq(read(z[1], got, sizeof(got)), 5);
	ck_assert_mem_eq(got, "hello", 5);
	shutdown(a[0], SHUT_WR);
	ck_assert_int_eq(buf_splice_in(bp, &in, pp.size, &n), IO_EOF);

	buf_pipe_put(&pp, bp);
	buf_pipe_pool_fini(&pp);
	close(a[0]);
	close(a[1]);
	close(z[0]);
	close(z[1]);
}
END_TEST

Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc;

	tc = tcase_create("buf_read");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_buf_read_takes_block_lazily);
	tcase_add_test(tc, test_buf_read_empty_releases);
	tcase_add_test(tc, test_buf_read_stops_when_full);
	tcase_add_test(tc, test_buf_read_compacts);
	tcase_add_test(tc, test_buf_read_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("buf_write");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_buf_write_drained_returns_block);
	tcase_add_test(tc, test_buf_write_partial_keeps_rest);
	tcase_add_test(tc, test_buf_write_max_and_drop);
	suite_add_tcase(s, tc);

	tc = tcase_create("pool");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_buf_pool_trims_spares);
	suite_add_tcase(s, tc);

	tc = tcase_create("pipe");
	tcase_add_test(tc, test_buf_pipe_pool);
	tcase_add_test(tc, test_buf_splice);
	suite_add_tcase(s, tc);
	return s;
}
