/* SPDX-License-Identifier: MIT */
/* The counters as text: Prometheus exposition, status JSON, status lines. */
#ifndef PORTY_METRICS_H
#define PORTY_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

struct stats;

/* A growing text buffer; zero-initialise it, metrics_text_free() it. */
struct metrics_text {
	char *p;     /* owned; NUL-terminated while not failed */
	size_t len;  /* bytes of text */
	size_t cap;  /* bytes allocated */
	bool failed; /* memory ran short: the text is incomplete */
};

void metrics_text_free(struct metrics_text *t);

/* Append N bytes of S to T. */
void metrics_text_add(struct metrics_text *t, const char *s, size_t n);

/* Append printf-formatted text to T. */
void metrics_text_printf(struct metrics_text *t, const char *fmt, ...)
    PORTY_PRINTF(2, 3);

/*
 * Append the current routes' counters of ST to OUT in the Prometheus text
 * format 0.0.4: # HELP and # TYPE lines, samples labelled route="NAME"
 * (escaped), the duration histogram with cumulative _bucket{le=...}, _sum
 * and _count. HTTP metrics only for http routes. Returns 0, or -1 when
 * memory ran short.
 */
int metrics_prometheus(const struct stats *st, struct metrics_text *out);

/*
 * Append the status document of ST at wall-clock time NOW to OUT: one JSON
 * object with the uptime, each current route (name, mode, listen, active
 * and the other counters) and the totals over them. Returns 0 or -1.
 */
int metrics_status_json(const struct stats *st, double now,
			struct metrics_text *out);

/* Log one status line per current route of ST, each naming its route. */
void metrics_log_status(const struct stats *st);

#endif /* PORTY_METRICS_H */
