/* SPDX-License-Identifier: MIT */
/* Process diagnostics: leveled, escaped lines in the configured format. */
#ifndef PORTY_LOG_H
#define PORTY_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

enum log_format {
	LOG_FORMAT_PORTY = 0, /* Porty's emoji layout */
	LOG_FORMAT_TEXT,      /* one plain line */
	LOG_FORMAT_JSON,      /* one JSON object a line */
};

/* A route's per-request verbosity (config key log_level). */
enum log_level {
	LOG_LEVEL_NONE = 0,
	LOG_LEVEL_BASIC,
	LOG_LEVEL_VERBOSE,
};

enum log_sev {
	LOG_SEV_ERROR = 0,
	LOG_SEV_WARN,
	LOG_SEV_INFO,
	LOG_SEV_DEBUG,
};

struct route;

/* Longest line porty writes, newline included; longer lines end in "...". */
#define LOG_LINE_MAX 16384

/* How log_line_escape() writes text that may come from a peer. */
enum log_esc {
	LOG_ESC_TEXT = 0, /* control, C1, invalid UTF-8 as \xNN; '\' as \\ */
	LOG_ESC_WORD,     /* as TEXT, and ' ', '"' as \xNN: an unquoted value */
	LOG_ESC_QUOTED,   /* as TEXT, and '"' as \": inside "..." */
	LOG_ESC_JSON,     /* inside a JSON string: \", \\, \u00XX, \ufffd */
};

/*
 * A line being formatted into a caller's buffer (usually LOG_LINE_MAX bytes
 * on the stack), then written with one write(2) by log_line_end(). Appends
 * never overflow: text is cut and "..." added. Escaped text stops short of
 * the end so that the fixed tail of a line (closing quotes, numbers, "}")
 * still fits, which keeps cut JSON lines valid.
 */
struct log_line {
	char *buf;  /* borrowed */
	size_t len; /* bytes used */
	size_t cap; /* bytes usable; one more is kept for the newline */
	bool trunc; /* something was cut */
};

/*
 * Errors that must go out even at log_level = none, but not as a flood: at
 * most LOG_RATELIMIT_BURST lines per LOG_RATELIMIT_INTERVAL seconds. The
 * caller embeds one per route (or per route and target) and zeroes it.
 */
struct log_ratelimit {
	double start;             /* private to log.c: window start, seconds */
	unsigned n;               /* private to log.c: lines let through */
	unsigned long suppressed; /* private to log.c: lines refused since */
};

#define LOG_RATELIMIT_BURST    10
#define LOG_RATELIMIT_INTERVAL 1.0

/*
 * Where and how log lines go; FD is stderr until this is called. Also
 * re-reads the time zone, so a reload picks up a changed TZ.
 */
void log_setup(enum log_format fmt, int fd);

/* Whether LOG_SEV_DEBUG lines are written (off by default; costs nothing). */
void log_set_debug(bool on);

/* The configured format, for accesslog.c. */
enum log_format log_get_format(void);

/* Write one finished line (the caller formats it; a newline is added). */
void log_write(const char *line, size_t len);

/* A route's start-up line: name, mode, listen -> target or "dynamic". */
void log_route(const struct route *r);

/* The line saying every listener is bound and porty serves. */
void log_ready(unsigned nlisteners);

/*
 * One diagnostic line. ROUTE names the route it is about, or NULL for the
 * process. The text is escaped: no control byte reaches the output.
 */
void log_msg(enum log_sev sev, const char *route, const char *fmt, ...)
    PORTY_PRINTF(3, 4);

/*
 * Whether one more rate-limited line about ROUTE may be logged at NOW
 * (seconds, e.g. ev_now()). When a new window opens after lines were
 * refused, it first logs "N messages suppressed" for ROUTE. Use as
 * `if (log_ratelimit(&rs->rl, ev_now(loop), name)) log_msg(...);`.
 */
bool log_ratelimit(struct log_ratelimit *rl, double now, const char *route);

/* Log the "N messages suppressed" line now if any were (route stopping). */
void log_ratelimit_flush(struct log_ratelimit *rl, const char *route);

/* Start a line in BUF of SIZE bytes (SIZE >= 2; one is kept for "\n"). */
void log_line_init(struct log_line *l, char *buf, size_t size);

/* Append LEN bytes of trusted text (porty's own) as they are. */
void log_line_add(struct log_line *l, const char *s, size_t len);

/* Append a NUL-terminated trusted string. */
void log_line_adds(struct log_line *l, const char *s);

/* Append trusted text formatted by printf rules. */
void log_line_printf(struct log_line *l, const char *fmt, ...)
    PORTY_PRINTF(2, 3);

/*
 * Append LEN bytes of untrusted text S escaped as ESC says: no control byte
 * (C0, DEL, C1), no invalid UTF-8 and nothing that ends the field gets
 * through. '%' is an ordinary byte here.
 */
void log_line_escape(struct log_line *l, const char *s, size_t len,
		     enum log_esc esc);

/* log_line_escape() of a NUL-terminated string. */
void log_line_escapes(struct log_line *l, const char *s, enum log_esc esc);

/* Append a JSON string value: "escaped S", or null when S is NULL. */
void log_line_json_str(struct log_line *l, const char *s);

/* Append the local time as 2026-11-23T01:02:03.456+01:00 (ISO 8601). */
void log_line_ts(struct log_line *l);

/* Add the newline and write the line with one write(2). */
void log_line_end(struct log_line *l);

#endif /* PORTY_LOG_H */
