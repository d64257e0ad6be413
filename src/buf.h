/* SPDX-License-Identifier: MIT */
/* Byte buffers that hold storage only while bytes are in flight. */
#ifndef PORTY_BUF_H
#define PORTY_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"

/*
 * Spare buffer blocks of one size. An idle connection holds no block: a
 * buffer takes one when a read is about to happen and gives it back as soon
 * as its last byte is written, so memory follows the bytes in flight, not
 * the number of connections (HAProxy's pools). At most max_free spare
 * blocks are kept; the rest go back to malloc.
 */
struct buf_pool {
	void *free;      /* private to buf.c: LIFO list of spare blocks */
	size_t size;     /* bytes per block */
	size_t nfree;    /* blocks on the free list */
	size_t max_free; /* the free list is trimmed to this */
	size_t nused;    /* blocks held by buffers now */
};

/*
 * A fixed-capacity byte queue, embedded in its owner. Pending bytes are
 * data[start, end). data is NULL whenever the buffer is empty and its block
 * is back in the pool. The capacity is the pool's block size, so the pool
 * is passed to every call that may take or return a block.
 */
struct buf {
	char *data;     /* owned: a pool block while bytes wait, else NULL */
	uint32_t start; /* first pending byte */
	uint32_t end;   /* one past the last pending byte */
};

/* An empty pool of SIZE-byte blocks keeping at most MAX_FREE spares. */
void buf_pool_init(struct buf_pool *p, size_t size, size_t max_free);

/* Free the spare blocks. Every buffer must have released its block. */
void buf_pool_fini(struct buf_pool *p);

static inline size_t
buf_len(const struct buf *b)
{
	return (size_t)(b->end - b->start);
}

static inline bool
buf_empty(const struct buf *b)
{
	return b->end == b->start;
}

static inline bool
buf_full(const struct buf *b, const struct buf_pool *p)
{
	return buf_len(b) == p->size;
}

/*
 * One transport read into B's free space (taking a block from P first if B
 * has none, and moving pending bytes to the front if the tail is used up).
 * B must not be full. Stores the bytes read in *N and returns the
 * transport's code; IO_ERROR with t->err = ENOMEM if no block could be
 * allocated. A buffer left empty gives its block back. After IO_OK, free
 * room left at the tail (buf_tail_room() > 0) means the read was short:
 * the socket had no more for now.
 */
enum io_rc buf_read(struct buf *b, struct buf_pool *p, struct transport *t,
		    size_t *n);

/*
 * One transport write of B's pending bytes (B must not be empty). Stores
 * the bytes written in *N; returns IO_OK when all went out (B is then
 * empty and its block back in P), otherwise the transport's code.
 */
enum io_rc buf_write(struct buf *b, struct buf_pool *p, struct transport *t,
		     size_t *n);

/*
 * As buf_write(), but of at most MAX (>= 1) of B's first pending bytes:
 * IO_OK when all MAX went out.
 */
enum io_rc buf_write_max(struct buf *b, struct buf_pool *p,
			 struct transport *t, size_t max, size_t *n);

/* Drop B's first N (<= buf_len()) pending bytes; an empty B gives its
 * block back. */
void buf_drop(struct buf *b, struct buf_pool *p, size_t n);

/* Room after the pending bytes: what the next read fills without compaction. */
static inline size_t
buf_tail_room(const struct buf *b, const struct buf_pool *p)
{
	return b->data == NULL ? p->size : p->size - b->end;
}

/* Drop any pending bytes and give the block back to P. */
void buf_release(struct buf *b, struct buf_pool *p);

/*
 * A pipe used as a buffer for splice(2): bytes go socket -> pipe -> socket
 * without a copy to user space (HAProxy's splicing). Like blocks, pipes are
 * taken for a bulk transfer and given back as soon as they are empty, so a
 * few pipes serve every connection; unlike blocks they cost descriptors,
 * which is why the pool has a hard cap.
 */
struct buf_pipe {
	int rd, wr;            /* owned: the pipe's ends */
	uint32_t len;          /* bytes in the pipe */
	struct buf_pipe *next; /* private to buf.c: the free list */
};

struct buf_pipe_pool {
	struct buf_pipe *free; /* private to buf.c: spare, empty pipes */
	size_t nfree;          /* spare pipes */
	size_t nopen;          /* pipes open, spare or in use */
	size_t max_open;       /* cap on nopen: two descriptors each */
	size_t max_free;       /* spares kept */
	size_t size;           /* bytes a pipe holds; 0: no pipe yet */
};

/* An empty pool of at most MAX_OPEN pipes, keeping at most MAX_FREE spares. */
void buf_pipe_pool_init(struct buf_pipe_pool *p, size_t max_open,
			size_t max_free);

/* Close the spare pipes; every pipe must have been put back. */
void buf_pipe_pool_fini(struct buf_pipe_pool *p);

/*
 * An empty pipe from P: a spare, or a new one while under the cap. NULL
 * when none can be had (cap, or pipe2() failing: out of descriptors); the
 * caller then copies through a buffer instead.
 */
struct buf_pipe *buf_pipe_get(struct buf_pipe_pool *p);

/* Give BP back to P: kept as a spare if empty and wanted, else closed. */
void buf_pipe_put(struct buf_pipe_pool *p, struct buf_pipe *bp);

/*
 * splice(2) up to LEN bytes from the socket of transport T into BP, or
 * (buf_splice_out) all of BP into T's socket; as buf_read()/buf_write():
 * *N is the count, the result is the io_rc, t->err holds the errno of an
 * IO_ERROR. Only for transports whose descriptor carries the raw stream
 * (transport_ops.splice).
 */
enum io_rc buf_splice_in(struct buf_pipe *bp, struct transport *t, size_t len,
			 size_t *n);
enum io_rc buf_splice_out(struct buf_pipe *bp, struct transport *t, size_t *n);

#endif /* PORTY_BUF_H */
