/* SPDX-License-Identifier: MIT */
/* The counters as text: Prometheus exposition, status JSON, status lines. */
#include "auto-config.h"

#include "metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stats.h"

void
metrics_text_free(struct metrics_text *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}

/* Room for N more bytes and the NUL; false (and failed) if none. */
static bool
metrics_text_room(struct metrics_text *t, size_t n)
{
	size_t cap;
	char *p;

	if (t->failed)
		return false;
	if (t->len + n + 1 <= t->cap)
		return true;
	cap = t->cap == 0 ? 4096 : t->cap;
	while (cap < t->len + n + 1)
		cap *= 2;
	p = realloc(t->p, cap);
	if (p == NULL) {
		t->failed = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

void
metrics_text_add(struct metrics_text *t, const char *s, size_t n)
{
	if (!metrics_text_room(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

void
metrics_text_printf(struct metrics_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!metrics_text_room(t, 0))
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		t->failed = true;
		return;
	}
	if ((size_t)n >= t->cap - t->len) {
		if (!metrics_text_room(t, (size_t)n))
			return;
		va_start(ap, fmt);
		(void)vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

/*
 * A Prometheus label value: backslash, double quote and newline escaped
 * (exposition format 0.0.4). Route names are porty's own text, but a TOML
 * string may hold any of them.
 */
static void
metrics_label(struct metrics_text *t, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			metrics_text_add(t, "\\\\", 2);
		else if (*s == '"')
			metrics_text_add(t, "\\\"", 2);
		else if (*s == '\n')
			metrics_text_add(t, "\\n", 2);
		else
			metrics_text_add(t, s, 1);
	}
}

/* A JSON string with its quotes; control bytes as \u00XX. */
static void
metrics_json_str(struct metrics_text *t, const char *s)
{
	metrics_text_add(t, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\' || c == '"') {
			metrics_text_add(t, "\\", 1);
			metrics_text_add(t, s, 1);
		} else if (c < 0x20 || c == 0x7f) {
			metrics_text_printf(t, "\\u%04x", c);
		} else {
			metrics_text_add(t, s, 1);
		}
	}
	metrics_text_add(t, "\"", 1);
}

/* What a simple per-route metric reads from the counters. */
struct metrics_def {
	const char *name;
	const char *type; /* "counter" or "gauge" */
	const char *help;
	bool http;  /* only for http routes */
	size_t off; /* offsetof(struct route_stats, FIELD), a uint64_t */
};

#define RS(f) offsetof(struct route_stats, f)

static const struct metrics_def metrics_defs[] = {
    {"porty_connections_active", "gauge", "Client connections open now.", false,
     RS(conns_active)},
    {"porty_connections_total", "counter", "Client connections accepted.",
     false, RS(conns_total)},
    {"porty_bytes_in_total", "counter",
     "Bytes read from clients (http: per request, on the route that served "
     "it).",
     false, RS(bytes_in)},
    {"porty_bytes_out_total", "counter",
     "Bytes written to clients (http: per request, on the route that served "
     "it).",
     false, RS(bytes_out)},
    {"porty_upstream_connect_failures_total", "counter",
     "Backend connects given up after every retry.", false,
     RS(connect_failures)},
    {"porty_upstream_retries_total", "counter",
     "Backend connect attempts beyond the first, and requests sent again "
     "on a fresh connection.",
     false, RS(retries)},
    {"porty_http_requests_total", "counter",
     "HTTP requests ended, answered or not.", true, RS(requests)},
};

static uint64_t
metrics_field(const struct route_stats *s, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

static void
metrics_head(struct metrics_text *t, const char *name, const char *type,
	     const char *help)
{
	metrics_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			    type);
}

/* Whether any current route of ST is an http route. */
static bool
metrics_any_http(const struct stats *st, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (st->v[i]->http)
			return true;
	return false;
}

static void
metrics_sample(struct metrics_text *t, const char *name, const char *suffix,
	       const struct route_stats *s)
{
	metrics_text_printf(t, "%s%s{route=\"", name, suffix);
	metrics_label(t, s->name);
	metrics_text_add(t, "\"", 1);
}

static void
metrics_histogram(struct metrics_text *t, const struct stats *st, size_t n)
{
	static const char name[] = "porty_http_request_duration_seconds";
	uint64_t cum;
	size_t i, b;

	metrics_head(t, name, "histogram",
		     "HTTP request durations, from the first byte of the "
		     "request head to the end of the response.");
	for (i = 0; i < n; i++) {
		const struct route_stats *s = st->v[i];

		if (!s->http)
			continue;
		cum = 0;
		for (b = 0; b <= STATS_NBUCKETS; b++) {
			cum += s->duration[b];
			metrics_sample(t, name, "_bucket", s);
			if (b < STATS_NBUCKETS)
				metrics_text_printf(
				    t, ",le=\"%g\"} %" PRIu64 "\n",
				    stats_duration_bounds[b], cum);
			else
				metrics_text_printf(
				    t, ",le=\"+Inf\"} %" PRIu64 "\n", cum);
		}
		metrics_sample(t, name, "_sum", s);
		metrics_text_printf(t, "} %.6f\n", s->duration_sum);
		metrics_sample(t, name, "_count", s);
		metrics_text_printf(t, "} %" PRIu64 "\n", cum);
	}
}

int
metrics_prometheus(const struct stats *st, struct metrics_text *out)
{
	size_t n = stats_current(st), i, d;
	bool http = metrics_any_http(st, n);
	int c;

	for (d = 0; d < ARRAY_SIZE(metrics_defs); d++) {
		const struct metrics_def *m = &metrics_defs[d];

		if (m->http && !http)
			continue;
		metrics_head(out, m->name, m->type, m->help);
		for (i = 0; i < n; i++) {
			if (m->http && !st->v[i]->http)
				continue;
			metrics_sample(out, m->name, "", st->v[i]);
			metrics_text_printf(out, "} %" PRIu64 "\n",
					    metrics_field(st->v[i], m->off));
		}
	}
	if (http) {
		metrics_head(out, "porty_http_responses_total", "counter",
			     "HTTP responses sent, by status class.");
		for (i = 0; i < n; i++) {
			if (!st->v[i]->http)
				continue;
			for (c = 0; c < 5; c++) {
				metrics_sample(out,
					       "porty_http_responses_total", "",
					       st->v[i]);
				metrics_text_printf(
				    out, ",class=\"%dxx\"} %" PRIu64 "\n",
				    c + 1, st->v[i]->responses[c]);
			}
		}
		metrics_histogram(out, st, n);
	}
	return out->failed ? -1 : 0;
}

/* The counters of S as JSON members (no braces), for a route or totals. */
static void
metrics_json_counters(struct metrics_text *t, const struct route_stats *s)
{
	metrics_text_printf(
	    t,
	    "\"active\":%" PRIu64 ",\"connections_total\":%" PRIu64
	    ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
	    ",\"requests_total\":%" PRIu64 ",\"responses\":{\"1xx\":%" PRIu64
	    ",\"2xx\":%" PRIu64 ",\"3xx\":%" PRIu64 ",\"4xx\":%" PRIu64
	    ",\"5xx\":%" PRIu64 "},\"connect_failures\":%" PRIu64
	    ",\"retries\":%" PRIu64,
	    s->conns_active, s->conns_total, s->bytes_in, s->bytes_out,
	    s->requests, s->responses[0], s->responses[1], s->responses[2],
	    s->responses[3], s->responses[4], s->connect_failures, s->retries);
}

int
metrics_status_json(const struct stats *st, double now,
		    struct metrics_text *out)
{
	size_t n = stats_current(st), i;
	struct route_stats total;
	int c;

	memset(&total, 0, sizeof(total));
	metrics_text_printf(out,
			    "{\"version\":\"%s\",\"uptime_seconds\":%.0f,"
			    "\"routes\":[",
			    PACKAGE_VERSION,
			    now > st->start ? now - st->start : 0.0);
	for (i = 0; i < n; i++) {
		const struct route_stats *s = st->v[i];

		metrics_text_add(
		    out, i == 0 ? "{\"name\":" : ",{\"name\":", i == 0 ? 8 : 9);
		metrics_json_str(out, s->name);
		metrics_text_printf(out, ",\"mode\":\"%s\",\"listen\":",
				    s->http ? "http" : "tcp");
		metrics_json_str(out, s->listen != NULL ? s->listen : "");
		metrics_text_add(out, ",", 1);
		metrics_json_counters(out, s);
		metrics_text_add(out, "}", 1);
		total.conns_active += s->conns_active;
		total.conns_total += s->conns_total;
		total.bytes_in += s->bytes_in;
		total.bytes_out += s->bytes_out;
		total.requests += s->requests;
		for (c = 0; c < 5; c++)
			total.responses[c] += s->responses[c];
		total.connect_failures += s->connect_failures;
		total.retries += s->retries;
	}
	metrics_text_add(out, "],\"totals\":{", 12);
	metrics_json_counters(out, &total);
	metrics_text_add(out, "}}\n", 3);
	return out->failed ? -1 : 0;
}

void
metrics_log_status(const struct stats *st)
{
	size_t n = stats_current(st), i;

	for (i = 0; i < n; i++) {
		const struct route_stats *s = st->v[i];

		if (!s->http) {
			log_msg(
			    LOG_SEV_INFO, s->name,
			    "status: active=%" PRIu64 " connections=%" PRIu64
			    " bytes_in=%" PRIu64 " bytes_out=%" PRIu64
			    " connect_failures=%" PRIu64 " retries=%" PRIu64,
			    s->conns_active, s->conns_total, s->bytes_in,
			    s->bytes_out, s->connect_failures, s->retries);
			continue;
		}
		log_msg(LOG_SEV_INFO, s->name,
			"status: active=%" PRIu64 " connections=%" PRIu64
			" bytes_in=%" PRIu64 " bytes_out=%" PRIu64
			" requests=%" PRIu64 " 1xx=%" PRIu64 " 2xx=%" PRIu64
			" 3xx=%" PRIu64 " 4xx=%" PRIu64 " 5xx=%" PRIu64
			" connect_failures=%" PRIu64 " retries=%" PRIu64,
			s->conns_active, s->conns_total, s->bytes_in,
			s->bytes_out, s->requests, s->responses[0],
			s->responses[1], s->responses[2], s->responses[3],
			s->responses[4], s->connect_failures, s->retries);
	}
}
