/* SPDX-License-Identifier: MIT */
/* Process diagnostics: leveled messages to stderr or the log file, in the configured format. */
#ifndef PORTY_LOG_H
#define PORTY_LOG_H

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

/* Where and how log lines go; FD is stderr until this is called. */
void log_setup(enum log_format fmt, int fd);

/* The configured format, for accesslog.c. */
enum log_format log_get_format(void);

/* Write one finished line (the caller formats it; a newline is added). */
void log_write(const char *line, size_t len);

/* The start-up line of a route: name, mode, listen address -> target or "dynamic". */
void log_route(const struct route *r);

/* The line saying every listener is bound and porty serves. */
void log_ready(unsigned nlisteners);

/*
 * One diagnostic line. ROUTE names the route it is about, or NULL for the
 * process. The text is escaped: no control byte reaches the output.
 */
void log_msg(enum log_sev sev, const char *route, const char *fmt, ...)
    PORTY_PRINTF(3, 4);

#endif /* PORTY_LOG_H */
