/* SPDX-License-Identifier: MIT */
/* porty's configuration: the schema as a key table, TOML tree to structs, cross-field checks. */
#ifndef PORTY_CONFIG_H
#define PORTY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "log.h"

struct route_stats;
/* The most worker processes `workers` may ask for. */
#define CONFIG_MAX_WORKERS 256

enum route_mode {
	ROUTE_MODE_TCP = 0,
	ROUTE_MODE_HTTP,
};

struct strlist {
	char **v; /* owned, each owned */
	size_t n;
};

struct route {
	char *name;                  /* owned */
	int line, col;               /* where the route was defined */
	bool enabled;
	enum route_mode mode;
	char *listen_addr;           /* owned */
	unsigned listen_port;        /* 1..65535 */
	char *target_addr;           /* owned; NULL if none (http) */
	unsigned target_port;        /* 0: none (http dynamic-only) */
	unsigned max_connections;
	unsigned buffer_size_kb;
	unsigned timeout_s;          /* http: first response byte */
	unsigned connect_timeout_ms;
	unsigned idle_timeout_s;     /* 0: never */
	unsigned max_retries;
	enum log_level log_level;
	struct strlist host;         /* http: Host names served */
	bool dynamic;
	struct strlist dynamic_allow;
	bool preserve_host;
	bool forwarded_headers;
	char *tls_cert;              /* owned; NULL: no TLS termination */
	char *tls_key;               /* owned; set exactly when tls_cert is */
	bool target_tls;             /* speak TLS to the configured target */
	bool target_tls_verify;      /* verify the backend's certificate */
	char *target_sni;            /* owned; NULL: the target host name */
	char *tls_ca;                /* owned; NULL: the system store */
	struct strlist sni;          /* tcp: ClientHello names this route takes */
	struct route_stats *stats;   /* borrowed: its counters (stats.c), set
					by stats_attach(); NULL: not counted */
};

struct config {
	char *path;                  /* owned: the file, or NULL (flags only) */
	char *listen_addr;           /* owned */
	unsigned listen_port;        /* 0: unset */
	char *target_addr;           /* owned */
	unsigned target_port;        /* 0: unset */
	unsigned max_connections;
	unsigned buffer_size_kb;
	bool log_requests;
	enum log_format log_format;
	unsigned timeout_s;
	unsigned max_retries;
	enum log_level log_level;
	unsigned max_connections_total;
	unsigned connect_timeout_ms;
	unsigned idle_timeout_s;
	unsigned header_timeout_s;
	unsigned shutdown_timeout_s;
	char *pidfile;               /* owned, may be NULL */
	char *log_file;              /* owned, may be NULL */
	char *user, *group;          /* owned, may be NULL */
	unsigned workers;            /* 1..CONFIG_MAX_WORKERS; 0: "auto" */
	char *admin_listen;          /* owned: [admin] listen as written, or
					NULL (no admin endpoint) */
	char *admin_addr;            /* owned: its host, brackets removed */
	unsigned admin_port;         /* its port */
	struct route *routes;        /* owned; the main route first if any */
	size_t nroutes;
};

/* Problems found while loading, each "FILE:LINE:COL: KEY: problem". */
struct config_errors {
	char **msg; /* owned */
	size_t n;
};

/* Command-line settings that override the file (SPEC §1). */
struct config_overrides {
	const char *listen_addr;     /* NULL: not given */
	unsigned listen_port;        /* 0: not given */
	const char *target_addr;
	unsigned target_port;
	bool verbose;
	const char *log_format;
	const char *log_file;
	const char *pidfile;
};

/*
 * Load a config from TEXT (LEN bytes), naming it NAME in messages. Every
 * problem found is appended to ERRS. Returns the config, or NULL when there
 * was at least one error. Opens no socket and exits nothing.
 */
struct config *config_load_string(const char *text, size_t len,
    const char *name, const struct config_overrides *ov,
    struct config_errors *errs);

/* As config_load_string() for the file PATH; an unreadable file is an error. */
struct config *config_load_file(const char *path,
    const struct config_overrides *ov, struct config_errors *errs);

/* The config with no file: defaults plus the command-line overrides. */
struct config *config_from_overrides(const struct config_overrides *ov,
    struct config_errors *errs);

void config_free(struct config *cfg);
void config_errors_clear(struct config_errors *errs);

/* One line per route that would start, as `porty check` prints them. */
void config_print_routes(const struct config *cfg, FILE *out);

const char *config_mode_name(enum route_mode mode);

/* The schema's keys, for tests and generate-config: count and i-th name. */
size_t config_key_count(void);
const char *config_key_name(size_t i);

#endif /* PORTY_CONFIG_H */
