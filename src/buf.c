/* SPDX-License-Identifier: MIT */
/* Per-direction byte buffers whose storage comes from a free list only while bytes are in flight. */
#include "auto-config.h"

#include "buf.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* Give B a block: the most recently freed one (still warm in cache) or a new one. */
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
