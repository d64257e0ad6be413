/* SPDX-License-Identifier: MIT */
/* Byte buffers that hold storage only while bytes are in flight. */
#include "auto-config.h"

#include "buf.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A spare block: its first bytes link the free list. */
struct buf_block {
	struct buf_block *next;
};

void
buf_pool_init(struct buf_pool *p, size_t size, size_t max_free)
{
	assert(size >= sizeof(struct buf_block) && size <= UINT32_MAX &&
	       "block size must fit the offsets");
	p->free = NULL;
	p->size = size;
	p->nfree = 0;
	p->max_free = max_free;
	p->nused = 0;
}

void
buf_pool_fini(struct buf_pool *p)
{
	struct buf_block *blk, *next;

	assert(p->nused == 0 && "a buffer still holds a block");
	for (blk = p->free; blk != NULL; blk = next) {
		next = blk->next;
		free(blk);
	}
	p->free = NULL;
	p->nfree = 0;
}

/* Give B a block: the last one freed (still warm in cache) or a new one. */
static int
buf_take(struct buf *b, struct buf_pool *p)
{
	struct buf_block *blk = p->free;

	if (blk != NULL) {
		p->free = blk->next;
		p->nfree--;
		b->data = (void *)blk;
	} else if ((b->data = malloc(p->size)) == NULL) {
		return -1;
	}
	p->nused++;
	b->start = b->end = 0;
	return 0;
}

void
buf_release(struct buf *b, struct buf_pool *p)
{
	struct buf_block *blk;

	if (b->data == NULL)
		return;
	assert(p->nused > 0 && "block released twice");
	p->nused--;
	if (p->nfree < p->max_free) {
		blk = (void *)b->data;
		blk->next = p->free;
		p->free = blk;
		p->nfree++;
	} else {
		free(b->data);
	}
	b->data = NULL;
	b->start = b->end = 0;
}

enum io_rc
buf_read(struct buf *b, struct buf_pool *p, struct transport *t, size_t *n)
{
	enum io_rc rc;
	size_t len;

	assert(!buf_full(b, p) && "buf_read() on a full buffer");
	*n = 0;
	if (b->data == NULL && buf_take(b, p) == -1) {
		t->err = ENOMEM;
		return IO_ERROR;
	}
	if (b->end == p->size) {
		/* Only the head is free: move the pending bytes down. */
		len = buf_len(b);
		memmove(b->data, b->data + b->start, len);
		b->start = 0;
		b->end = (uint32_t)len;
	}
	rc = t->ops->read(t, b->data + b->end, p->size - b->end, n);
	b->end += (uint32_t)*n;
	if (buf_empty(b))
		buf_release(b, p);
	return rc;
}

enum io_rc
buf_write(struct buf *b, struct buf_pool *p, struct transport *t, size_t *n)
{
	enum io_rc rc;

	assert(!buf_empty(b) && "buf_write() on an empty buffer");
	rc = t->ops->write(t, b->data + b->start, buf_len(b), n);
	b->start += (uint32_t)*n;
	if (buf_empty(b))
		buf_release(b, p);
	return rc;
}

enum io_rc
buf_write_max(struct buf *b, struct buf_pool *p, struct transport *t,
	      size_t max, size_t *n)
{
	enum io_rc rc;

	assert(max > 0 && max <= buf_len(b) && "buf_write_max() beyond data");
	rc = t->ops->write(t, b->data + b->start, max, n);
	b->start += (uint32_t)*n;
	if (buf_empty(b))
		buf_release(b, p);
	return rc;
}

void
buf_drop(struct buf *b, struct buf_pool *p, size_t n)
{
	assert(n <= buf_len(b) && "buf_drop() beyond data");
	b->start += (uint32_t)n;
	if (buf_empty(b))
		buf_release(b, p);
}

void
buf_pipe_pool_init(struct buf_pipe_pool *p, size_t max_open, size_t max_free)
{
	memset(p, 0, sizeof(*p));
	p->max_open = max_open;
	p->max_free = max_free;
}

static void
buf_pipe_close(struct buf_pipe_pool *p, struct buf_pipe *bp)
{
	(void)close(bp->rd);
	(void)close(bp->wr);
	free(bp);
	p->nopen--;
}

void
buf_pipe_pool_fini(struct buf_pipe_pool *p)
{
	struct buf_pipe *bp, *next;

	for (bp = p->free; bp != NULL; bp = next) {
		next = bp->next;
		buf_pipe_close(p, bp);
	}
	p->free = NULL;
	p->nfree = 0;
	assert(p->nopen == 0 && "a pipe is still in use");
}

struct buf_pipe *
buf_pipe_get(struct buf_pipe_pool *p)
{
	struct buf_pipe *bp = p->free;
	int fds[2], sz;

	if (bp != NULL) {
		p->free = bp->next;
		p->nfree--;
		return bp;
	}
	if (p->nopen >= p->max_open)
		return NULL;
	bp = malloc(sizeof(*bp));
	if (bp == NULL)
		return NULL;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1) {
		free(bp);
		return NULL;
	}
	if (p->size == 0) {
		sz = fcntl(fds[0], F_GETPIPE_SZ);
		p->size = sz > 0 ? (size_t)sz : 65536;
	}
	bp->rd = fds[0];
	bp->wr = fds[1];
	bp->len = 0;
	bp->next = NULL;
	p->nopen++;
	return bp;
}

void
buf_pipe_put(struct buf_pipe_pool *p, struct buf_pipe *bp)
{
	/* A pipe with bytes left (its reader died) cannot be reused cheaply. */
	if (bp->len != 0 || p->nfree >= p->max_free) {
		buf_pipe_close(p, bp);
		return;
	}
	bp->next = p->free;
	p->free = bp;
	p->nfree++;
}

/* Map a splice() result as the plain transport maps recv()/send(). */
static enum io_rc
buf_splice_rc(ssize_t r, struct transport *t, size_t *n, unsigned char want)
{
	if (r > 0) {
		*n = (size_t)r;
		return IO_OK;
	}
	*n = 0;
	if (r == 0)
		return IO_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		t->want = want;
		return IO_AGAIN;
	}
	t->err = errno;
	return IO_ERROR;
}

enum io_rc
buf_splice_in(struct buf_pipe *bp, struct transport *t, size_t len, size_t *n)
{
	enum io_rc rc;
	ssize_t r;

	do
		r = splice(t->fd, NULL, bp->wr, NULL, len,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (r == -1 && errno == EINTR);
	rc = buf_splice_rc(r, t, n, TRANSPORT_WANT_READ);
	bp->len += (uint32_t)*n;
	return rc;
}

enum io_rc
buf_splice_out(struct buf_pipe *bp, struct transport *t, size_t *n)
{
	enum io_rc rc;
	ssize_t r;

	assert(bp->len > 0 && "buf_splice_out() from an empty pipe");
	do
		r = splice(bp->rd, NULL, t->fd, NULL, bp->len,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (r == -1 && errno == EINTR);
	rc = buf_splice_rc(r, t, n, TRANSPORT_WANT_WRITE);
	if (rc == IO_EOF) {
		/* Nothing moved although bytes were waiting: treat as full. */
		t->want = TRANSPORT_WANT_WRITE;
		rc = IO_AGAIN;
	}
	bp->len -= (uint32_t)*n;
	/* As with send(), a short splice means the socket is full. */
	if (rc == IO_OK && bp->len > 0) {
		t->want = TRANSPORT_WANT_WRITE;
		rc = IO_AGAIN;
	}
	return rc;
}
