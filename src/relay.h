/* SPDX-License-Identifier: MIT */
/* The byte pump: backpressure, half-close, splice, idle timeout. */
#ifndef PORTY_RELAY_H
#define PORTY_RELAY_H

#include "conn.h"

/*
 * Most reads one relay_pump() call makes before it yields to the loop, so
 * one busy connection cannot starve the others (level-triggered watchers
 * bring it back on the next iteration).
 */
#define RELAY_MAX_READS 16

/*
 * Hand C over to the relay: both sides connected, state CONN_RELAYING, the
 * four watchers pointed at the relay callbacks, the timer at the route's
 * idle timeout, and bytes already waiting in a side's buffer (HTTP mode's
 * head, a body start) flushed. May close C: call it last and return.
 */
void relay_start(struct conn *c);

/*
 * Move bytes from side FROM to the other side until FROM has no more for
 * now, the other side is full, or RELAY_MAX_READS reads were made; then arm
 * exactly the watchers the situation needs:
 *   - FROM's read watcher runs unless FROM ended, the other side cannot take
 *     more, or FROM's buffer is full (backpressure);
 *   - the other side's write watcher runs only while bytes wait for it;
 *   - FROM's end of stream becomes shutdown(SHUT_WR) on the other side once
 *     its pending bytes are written; when both directions are shut, the
 *     connection closes.
 * A read or write error breaks that side: the bytes already read from it are
 * still delivered, the bytes meant for it are dropped. May close C: call it
 * last and return.
 */
void relay_pump(struct conn *c, enum conn_side from);

#endif /* PORTY_RELAY_H */
