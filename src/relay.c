/* SPDX-License-Identifier: MIT */
/* The byte pump: backpressure, half-close, splice, idle timeout. */
#include "auto-config.h"

#include "relay.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

static const char *const relay_side_names[] = {
    [CONN_CLIENT] = "client",
    [CONN_UPSTREAM] = "upstream",
};

/* Bytes read from SRC wait for the peer, in its buffer or its pipe. */
static inline bool
relay_pending(const struct half *src)
{
	return !buf_empty(&src->in) ||
	       (src->pipe != NULL && src->pipe->len > 0);
}

/*
 * SRC may not be read now: its buffer is full, or its pipe still holds
 * bytes (a pipe is only refilled once empty, which keeps the accounting
 * exact: a pipe can be full of small pieces before it is full of bytes).
 */
static inline bool
relay_full(const struct half *src, const struct buf_pool *pool)
{
	if (src->pipe != NULL)
		return src->pipe->len > 0;
	return buf_full(&src->in, pool);
}

/*
 * Side S cannot be used any more (reset, broken pipe, no memory) after
 * ERR while writing to it (WRITE) or reading it: record the first failure,
 * stop reading and writing S, and drop what was waiting to be written to
 * it. What was read from it is still delivered (relay_settle()).
 */
static void
relay_break(struct conn *c, enum conn_side s, bool write, int err)
{
	struct half *h = &c->side[s], *peer = &c->side[conn_other(s)];
	struct ev_loop *loop = c->owner->loop;

	if (c->err == 0) {
		c->err = err != 0 ? err : EIO;
		c->err_side = (uint8_t)s;
		c->err_write = write;
	}
	h->eof = 1;
	h->shut_wr = 1;
	ev_io_stop(loop, &h->rd);
	ev_io_stop(loop, &h->wr);
	buf_release(&peer->in, c->owner->pool);
	if (peer->pipe != NULL) {
		buf_pipe_put(c->owner->pipes, peer->pipe);
		peer->pipe = NULL;
	}
}

/* Pass on FROM's end of stream once nothing of it is left to write. */
static void
relay_pass_eof(struct conn *c, enum conn_side from)
{
	struct half *src = &c->side[from], *dst = &c->side[conn_other(from)];

	if (src->eof && !relay_pending(src) && !dst->shut_wr) {
		dst->shut_wr = 1;
		/* Fails if the peer is gone already: nothing to do then. */
		(void)dst->tp.ops->shutdown(&dst->tp);
		if (c->state == CONN_RELAYING)
			conn_set_state(c, CONN_DRAINING);
	}
}

/*
 * Arm side S's two watchers as STYLE 3.5 says, for both directions that
 * use S: S is read while it has not ended, the peer takes more and S's
 * buffer has room; S is written while bytes wait for it. A TLS transport
 * may turn those around (a read that needs S writable, a write that needs
 * it readable: rd_ww, wr_wr), and may hold bytes already taken off the
 * socket, for which no readiness event would come: those are fed.
 */
static void
relay_arm(struct conn *c, enum conn_side s)
{
	struct half *h = &c->side[s], *peer = &c->side[conn_other(s)];
	struct ev_loop *loop = c->owner->loop;
	bool read = !h->eof && !peer->shut_wr && !relay_full(h, c->owner->pool);
	bool write = relay_pending(peer);

	if ((read && !h->rd_ww) || (write && h->wr_wr))
		ev_io_start(loop, &h->rd);
	else
		ev_io_stop(loop, &h->rd);
	if ((write && !h->wr_wr) || (read && h->rd_ww))
		ev_io_start(loop, &h->wr);
	else
		ev_io_stop(loop, &h->wr);
	if (read && !h->rd_ww && h->tp.ops->pending != NULL &&
	    h->tp.ops->pending(&h->tp))
		ev_feed_event(loop, &h->rd, EV_READ);
}

/* Both directions are done: close, naming the I/O failure if there was one. */
static void
relay_end(struct conn *c)
{
	char why[128];

	if (c->err == 0) {
		conn_close(c, CONN_END_DONE, NULL);
		return;
	}
	snprintf(why, sizeof(why), "%s %s: %s", relay_side_names[c->err_side],
		 c->err_write ? "write" : "read", strerror(c->err));
	/* A client that resets is not porty's or the backend's failure. */
	conn_close(c,
		   c->err_side == CONN_CLIENT ? CONN_END_ABORT : CONN_END_ERROR,
		   why);
}

/*
 * Whether the next read from SRC should splice: it already holds a pipe, or
 * the last read filled a whole buffer (a bulk transfer, where splicing
 * saves copies and syscalls; small messages are cheaper through a buffer),
 * its buffer is empty (bytes keep their order) and a pipe can be had.
 */
static bool
relay_want_splice(struct conn *c, struct half *src, const struct half *dst)
{
	struct buf_pipe_pool *pipes = c->owner->pipes;

	if (src->pipe != NULL)
		return true;
	if (!src->bulk || pipes == NULL || !buf_empty(&src->in) ||
	    !src->tp.ops->splice || !dst->tp.ops->splice)
		return false;
	src->pipe = buf_pipe_get(pipes);
	return src->pipe != NULL;
}

/*
 * Move bytes from side FROM to the other side (relay_pump() without the
 * settling): write first, then read, until one of them has to wait.
 */
static void
relay_move(struct conn *c, enum conn_side from)
{
	struct half *src = &c->side[from], *dst = &c->side[conn_other(from)];
	struct buf_pool *pool = c->owner->pool;
	bool src_dry = false, dst_full = false, moved = false;
	unsigned reads = 0;
	enum io_rc rc;
	size_t n, want;

	for (;;) {
		/* Write first: what was read goes out before more comes in. */
		if (relay_pending(src) && !dst_full) {
			if (src->pipe != NULL)
				rc = buf_splice_out(src->pipe, &dst->tp, &n);
			else
				rc = buf_write(&src->in, pool, &dst->tp, &n);
			if (n > 0) {
				moved = true;
				if (from == CONN_UPSTREAM)
					c->bytes_out += n;
			}
			dst->wr_wr = rc == IO_AGAIN &&
				     (dst->tp.want & TRANSPORT_WANT_READ) != 0;
			if (rc == IO_AGAIN) {
				dst_full = true;
			} else if (rc == IO_ERROR) {
				relay_break(c, conn_other(from), true,
					    dst->tp.err);
				break;
			}
		}
		if (src->eof || dst->shut_wr || src_dry ||
		    reads == RELAY_MAX_READS || relay_full(src, pool))
			break;
		reads++;
		if (relay_want_splice(c, src, dst)) {
			want = c->owner->pipes->size;
			rc = buf_splice_in(src->pipe, &src->tp, want, &n);
			src->bulk = n >= pool->size;
			/* A short read got all the socket had (see below). */
			src_dry = n < want;
		} else {
			rc = buf_read(&src->in, pool, &src->tp, &n);
			src->bulk = buf_full(&src->in, pool);
			/*
			 * A read that left room got all the socket had: stop
			 * here rather than spend a recv() to learn EAGAIN.
			 */
			src_dry = buf_tail_room(&src->in, pool) > 0;
		}
		src->rd_ww = rc == IO_AGAIN &&
			     (src->tp.want & TRANSPORT_WANT_WRITE) != 0;
		if (rc == IO_OK) {
			moved = true;
			if (from == CONN_CLIENT)
				c->bytes_in += n;
		} else if (rc == IO_AGAIN) {
			src_dry = true;
		} else if (rc == IO_EOF) {
			src->eof = 1;
		} else {
			relay_break(c, from, false, src->tp.err);
		}
	}

	/* An empty pipe goes back at once, for whoever moves bytes next. */
	if (src->pipe != NULL && src->pipe->len == 0) {
		buf_pipe_put(c->owner->pipes, src->pipe);
		src->pipe = NULL;
	}
	if (moved)
		c->active = ev_now(c->owner->loop);
}

/*
 * After moving bytes: pass on ends of stream, arm both sides (a broken
 * side changes the other direction too), and close when both directions
 * are shut. May close C.
 */
static void
relay_settle(struct conn *c)
{
	relay_pass_eof(c, CONN_CLIENT);
	relay_pass_eof(c, CONN_UPSTREAM);
	if (c->side[CONN_CLIENT].shut_wr && c->side[CONN_UPSTREAM].shut_wr) {
		relay_end(c);
		return;
	}
	relay_arm(c, CONN_CLIENT);
	relay_arm(c, CONN_UPSTREAM);
}

void
relay_pump(struct conn *c, enum conn_side from)
{
	relay_move(c, from);
	relay_settle(c);
}

/* The side whose watcher W (one of its rd, wr) is. */
static enum conn_side
relay_side_of(const struct conn *c, const struct half *h)
{
	return h == &c->side[CONN_CLIENT] ? CONN_CLIENT : CONN_UPSTREAM;
}

/*
 * Side S is readable: read it, and retry a write to it that waited for
 * readability (TLS).
 */
static void
relay_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	struct half *h = container_of(w, struct half, rd);
	enum conn_side s = relay_side_of(c, h);

	(void)loop;
	(void)revents;
	if (h->wr_wr)
		relay_move(c, conn_other(s));
	relay_move(c, s);
	relay_settle(c);
}

/*
 * Side S is writable: the direction that writes to S goes on, and a read
 * of S that waited for writability (TLS) is retried.
 */
static void
relay_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	struct half *h = container_of(w, struct half, wr);
	enum conn_side s = relay_side_of(c, h);

	(void)loop;
	(void)revents;
	relay_move(c, conn_other(s));
	if (h->rd_ww)
		relay_move(c, s);
	relay_settle(c);
}

/*
 * The idle timer is not re-armed per transfer (libev's "be smart about
 * timeouts", method 3): the pump only notes c->active, and when the timer
 * fires it either closes or sleeps for the time that is really left.
 */
static void
relay_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	ev_tstamp left;

	(void)revents;
	left = c->active + (ev_tstamp)c->route->idle_timeout_s - ev_now(loop);
	if (left > 0.001) {
		w->repeat = left;
		ev_timer_again(loop, w);
		return;
	}
	conn_close(c, CONN_END_TIMEOUT, "idle timeout");
}

void
relay_start(struct conn *c)
{
	struct ev_loop *loop = c->owner->loop;
	int i;

	/* HTTP mode's tunnel starts from an exchange already RELAYING. */
	if (c->state != CONN_RELAYING)
		conn_set_state(c, CONN_RELAYING);
	for (i = 0; i < 2; i++) {
		ev_set_cb(&c->side[i].rd, relay_read_cb);
		ev_set_cb(&c->side[i].wr, relay_write_cb);
		c->side[i].rd_ww = 0;
		c->side[i].wr_wr = 0;
	}
	c->active = ev_now(loop);
	conn_timer(c, (ev_tstamp)c->route->idle_timeout_s, relay_idle_cb);
	/*
	 * The client has usually sent already: read it now, not one loop
	 * later. The pump settles both directions, which starts reading the
	 * upstream too.
	 */
	relay_pump(c, CONN_CLIENT);
}
