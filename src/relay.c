/* SPDX-License-Identifier: MIT */
/* The byte pump between a connection's two sides: backpressure, half-close, idle timeout. */
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

/*
 * Side S cannot be used any more (reset, broken pipe, no memory) after
 * ERR while writing to it (WRITE) or reading it: record the first failure,
 * stop reading and writing S, and drop what was waiting to be written to
 * it. What was read from it is still delivered (relay_settle()).
 */
static void
relay_break(struct conn *c, enum conn_side s, bool write, int err)
{
	struct half *h = &c->side[s], *peer = &c->side[!s];
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
}

/*
 * Arm the watchers of direction FROM -> other as STYLE 3.5 says, and pass
 * on FROM's end of stream once nothing of it is left to write.
 */
static void
relay_settle(struct conn *c, enum conn_side from)
{
	struct half *src = &c->side[from], *dst = &c->side[!from];
	struct ev_loop *loop = c->owner->loop;

	if (!buf_empty(&src->in))
		ev_io_start(loop, &dst->wr);
	else
		ev_io_stop(loop, &dst->wr);

	if (!src->eof && !dst->shut_wr && !buf_full(&src->in, c->owner->pool))
		ev_io_start(loop, &src->rd);
	else
		ev_io_stop(loop, &src->rd);

	if (src->eof && buf_empty(&src->in) && !dst->shut_wr) {
		dst->shut_wr = 1;
		/* A peer that is gone already makes this fail: nothing to do. */
		(void)dst->tp.ops->shutdown(&dst->tp);
		if (c->state == CONN_RELAYING)
			conn_set_state(c, CONN_DRAINING);
	}
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
	    c->err_side == CONN_CLIENT ? CONN_END_ABORT : CONN_END_ERROR, why);
}

void
relay_pump(struct conn *c, enum conn_side from)
{
	struct half *src = &c->side[from], *dst = &c->side[!from];
	struct buf_pool *pool = c->owner->pool;
	bool src_dry = false, dst_full = false, moved = false;
	unsigned reads = 0;
	enum io_rc rc;
	size_t n;

	for (;;) {
		/* Write first: what was read last time goes out before more comes in. */
		if (!buf_empty(&src->in) && !dst_full) {
			rc = buf_write(&src->in, pool, &dst->tp, &n);
			if (n > 0) {
				moved = true;
				if (from == CONN_UPSTREAM)
					c->bytes_out += n;
			}
			if (rc == IO_AGAIN) {
				dst_full = true;
			} else if (rc == IO_ERROR) {
				relay_break(c, (enum conn_side)!from, true,
				    dst->tp.err);
				break;
			}
		}
		if (src->eof || dst->shut_wr || src_dry ||
		    reads == RELAY_MAX_READS || buf_full(&src->in, pool))
			break;
		rc = buf_read(&src->in, pool, &src->tp, &n);
		reads++;
		if (rc == IO_OK) {
			moved = true;
			if (from == CONN_CLIENT)
				c->bytes_in += n;
			/*
			 * A read that left room got all the socket had: stop
			 * here rather than spend a recv() to learn EAGAIN.
			 */
			if (buf_tail_room(&src->in, pool) > 0)
				src_dry = true;
		} else if (rc == IO_AGAIN) {
			src_dry = true;
		} else if (rc == IO_EOF) {
			src->eof = 1;
		} else {
			relay_break(c, from, false, src->tp.err);
		}
	}

	if (moved)
		c->active = ev_now(c->owner->loop);
	/* A broken side changes the other direction too: settle both. */
	relay_settle(c, from);
	relay_settle(c, (enum conn_side)!from);
	if (c->side[CONN_CLIENT].shut_wr && c->side[CONN_UPSTREAM].shut_wr)
		relay_end(c);
}

static void
relay_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	struct half *h = container_of(w, struct half, rd);

	(void)loop;
	(void)revents;
	relay_pump(c, h == &c->side[CONN_CLIENT] ? CONN_CLIENT : CONN_UPSTREAM);
}

/* The write watcher of side S serves the direction that writes to S. */
static void
relay_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	struct half *h = container_of(w, struct half, wr);

	(void)loop;
	(void)revents;
	relay_pump(c, h == &c->side[CONN_CLIENT] ? CONN_UPSTREAM : CONN_CLIENT);
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
	left = c->active + (ev_tstamp)c->owner->route->idle_timeout_s -
	    ev_now(loop);
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

	conn_set_state(c, CONN_RELAYING);
	for (i = 0; i < 2; i++) {
		ev_set_cb(&c->side[i].rd, relay_read_cb);
		ev_set_cb(&c->side[i].wr, relay_write_cb);
	}
	c->active = ev_now(loop);
	conn_timer(c, (ev_tstamp)c->owner->route->idle_timeout_s,
	    relay_idle_cb);
	/*
	 * The client has usually sent already: read it now, not one loop
	 * later. The pump settles both directions, which starts reading the
	 * upstream too.
	 */
	relay_pump(c, CONN_CLIENT);
}
