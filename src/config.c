/* SPDX-License-Identifier: MIT */
/* porty's configuration: the schema as a key table, TOML tree to structs, cross-field checks. */
#include "auto-config.h"

#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "compiler.h"
#include "parse.h"
#include "router.h"
#include "tls.h"
#include "toml.h"

enum cfg_type {
	CFG_STR = 0,
	CFG_UINT,
	CFG_BOOL,
	CFG_ENUM,
	CFG_STRLIST, /* a string or an array of strings */
	CFG_WORKERS, /* an integer or "auto" */
	CFG_LATER,   /* a key of a later release: rejected */
	CFG_ADMIN,   /* the [admin] table (admin_keys) */
};

/* Where a key may appear. */
#define CFG_TOP 0x1u
#define CFG_ROUTE 0x2u
#define CFG_INHERIT 0x4u /* a route's default is the top-level value */

#define NO_OFF SIZE_MAX

static const char *const mode_words[] = {"tcp", "http", NULL};
static const char *const log_format_words[] = {"porty", "text", "json", NULL};
static const char *const log_level_words[] = {"none", "basic", "verbose",
    NULL};

/*
 * The schema. The .help strings are the one-line descriptions of
 * porty.toml(5); keep them identical. A route field with CFG_INHERIT starts
 * as the top-level value; other route fields start at .def.
 */
struct cfg_key {
	const char *key;
	enum cfg_type type;
	unsigned scope;
	unsigned long long min, max;
	const char *def; /* default as text, NULL if none */
	size_t top_off, route_off;
	const char *const *words; /* CFG_ENUM */
	const char *help;
};

#define TOP(f) offsetof(struct config, f)
#define RT(f) offsetof(struct route, f)

static const struct cfg_key cfg_keys[] = {
	{.key = "name", .type = CFG_STR, .scope = CFG_ROUTE,
	    .top_off = NO_OFF, .route_off = RT(name),
	    .help = "Route name, unique; used in logs and metrics."},
	{.key = "enabled", .type = CFG_BOOL, .scope = CFG_ROUTE, .def = "true",
	    .top_off = NO_OFF, .route_off = RT(enabled),
	    .help = "A disabled route is validated but not started."},
	{.key = "mode", .type = CFG_ENUM, .scope = CFG_ROUTE, .def = "tcp",
	    .top_off = NO_OFF, .route_off = RT(mode), .words = mode_words,
	    .help = "Forward raw TCP, or speak HTTP/1.1 and route each request."},
	{.key = "listen_addr", .type = CFG_STR,
	    .scope = CFG_TOP | CFG_ROUTE | CFG_INHERIT, .def = "0.0.0.0",
	    .top_off = TOP(listen_addr), .route_off = RT(listen_addr),
	    .help = "Bind address: an IPv4 or IPv6 literal, or a host name."},
	{.key = "listen_port", .type = CFG_UINT, .scope = CFG_TOP | CFG_ROUTE,
	    .min = 1, .max = 65535,
	    .top_off = TOP(listen_port), .route_off = RT(listen_port),
	    .help = "Port to listen on."},
	{.key = "target_addr", .type = CFG_STR, .scope = CFG_TOP | CFG_ROUTE,
	    .def = "127.0.0.1",
	    .top_off = TOP(target_addr), .route_off = RT(target_addr),
	    .help = "The backend's address or host name."},
	{.key = "target_port", .type = CFG_UINT, .scope = CFG_TOP | CFG_ROUTE,
	    .min = 0, .max = 65535,
	    .top_off = TOP(target_port), .route_off = RT(target_port),
	    .help = "The backend's port; 0 on an http route means none."},
	{.key = "targets", .type = CFG_LATER, .scope = CFG_ROUTE,
	    .top_off = NO_OFF, .route_off = NO_OFF,
	    .help = "Several backends, round robin."},
	{.key = "max_connections", .type = CFG_UINT,
	    .scope = CFG_TOP | CFG_ROUTE | CFG_INHERIT, .min = 1, .max = 1000000,
	    .def = "100",
	    .top_off = TOP(max_connections), .route_off = RT(max_connections),
	    .help = "Concurrent connections of a route; at the cap porty stops accepting."},
	{.key = "buffer_size_kb", .type = CFG_UINT,
	    .scope = CFG_TOP | CFG_ROUTE | CFG_INHERIT, .min = 1, .max = 1024,
	    .def = "8",
	    .top_off = TOP(buffer_size_kb), .route_off = RT(buffer_size_kb),
	    .help = "Buffer size per direction, in KiB."},
	{.key = "log_requests", .type = CFG_BOOL, .scope = CFG_TOP,
	    .def = "true", .top_off = TOP(log_requests), .route_off = NO_OFF,
	    .help = "Master switch for per-connection and per-request log lines."},
	{.key = "log_format", .type = CFG_ENUM, .scope = CFG_TOP,
	    .def = "porty", .top_off = TOP(log_format), .route_off = NO_OFF,
	    .words = log_format_words,
	    .help = "Log layout: porty (emoji), text (one plain line) or json."},
	{.key = "timeout_seconds", .type = CFG_UINT,
	    .scope = CFG_TOP | CFG_ROUTE | CFG_INHERIT, .min = 1, .max = 86400,
	    .def = "30", .top_off = TOP(timeout_s), .route_off = RT(timeout_s),
	    .help = "HTTP: time to wait for the first byte of the backend's response."},
	{.key = "connect_timeout_ms", .type = CFG_UINT,
	    .scope = CFG_TOP | CFG_ROUTE | CFG_INHERIT, .min = 1, .max = 600000,
	    .def = "5000", .top_off = TOP(connect_timeout_ms),
	    .route_off = RT(connect_timeout_ms),
	    .help = "Time allowed for one connect attempt to the backend, in ms."},
	{.key = "idle_timeout_seconds", .type = CFG_UINT,
	    .scope = CFG_TOP | CFG_ROUTE | CFG_INHERIT, .min = 0, .max = 604800,
	    .def = "300", .top_off = TOP(idle_timeout_s),
	    .route_off = RT(idle_timeout_s),
	    .help = "Close a connection with no traffic either way for this long; 0 never."},
	{.key = "max_retries", .type = CFG_UINT,
	    .scope = CFG_TOP | CFG_ROUTE | CFG_INHERIT, .min = 0, .max = 100,
	    .def = "2", .top_off = TOP(max_retries), .route_off = RT(max_retries),
	    .help = "Extra connect attempts, with backoff 100 ms * 2^k capped at 2 s."},
	{.key = "log_level", .type = CFG_ENUM,
	    .scope = CFG_TOP | CFG_ROUTE | CFG_INHERIT, .def = "basic",
	    .top_off = TOP(log_level), .route_off = RT(log_level),
	    .words = log_level_words,
	    .help = "Per-request logging: none, basic or verbose."},
	{.key = "max_connections_total", .type = CFG_UINT, .scope = CFG_TOP,
	    .min = 1, .max = 10000000, .def = "10000",
	    .top_off = TOP(max_connections_total), .route_off = NO_OFF,
	    .help = "Process-wide cap on concurrent connections across routes."},
	{.key = "header_timeout_seconds", .type = CFG_UINT, .scope = CFG_TOP,
	    .min = 1, .max = 3600, .def = "10",
	    .top_off = TOP(header_timeout_s), .route_off = NO_OFF,
	    .help = "HTTP: the client must send a whole request head within this."},
	{.key = "shutdown_timeout_seconds", .type = CFG_UINT, .scope = CFG_TOP,
	    .min = 0, .max = 3600, .def = "10",
	    .top_off = TOP(shutdown_timeout_s), .route_off = NO_OFF,
	    .help = "On SIGTERM or SIGINT, how long open connections may finish."},
	{.key = "pidfile", .type = CFG_STR, .scope = CFG_TOP,
	    .top_off = TOP(pidfile), .route_off = NO_OFF,
	    .help = "Write the process id to this file."},
	{.key = "log_file", .type = CFG_STR, .scope = CFG_TOP,
	    .top_off = TOP(log_file), .route_off = NO_OFF,
	    .help = "Append logs to this file instead of standard error."},
	{.key = "user", .type = CFG_STR, .scope = CFG_TOP,
	    .top_off = TOP(user), .route_off = NO_OFF,
	    .help = "Drop privileges to this user after binding."},
	{.key = "group", .type = CFG_STR, .scope = CFG_TOP,
	    .top_off = TOP(group), .route_off = NO_OFF,
	    .help = "Drop privileges to this group after binding."},
	{.key = "workers", .type = CFG_WORKERS, .scope = CFG_TOP, .def = "1",
	    .top_off = TOP(workers), .route_off = NO_OFF,
	    .help = "Processes sharing the listeners, or \"auto\"."},
	{.key = "admin", .type = CFG_ADMIN, .scope = CFG_TOP,
	    .top_off = NO_OFF, .route_off = NO_OFF,
	    .help = "The [admin] table: listen address of /metrics and /status."},
	{.key = "host", .type = CFG_STRLIST, .scope = CFG_ROUTE,
	    .top_off = NO_OFF, .route_off = RT(host),
	    .help = "HTTP: the Host names this route serves; *.example.com wildcards."},
	{.key = "dynamic", .type = CFG_BOOL, .scope = CFG_ROUTE, .def = "true",
	    .top_off = NO_OFF, .route_off = RT(dynamic),
	    .help = "HTTP: honour the porty_host and porty_port query parameters."},
	{.key = "dynamic_allow", .type = CFG_STRLIST, .scope = CFG_ROUTE,
	    .def = "*", .top_off = NO_OFF, .route_off = RT(dynamic_allow),
	    .help = "HTTP: which dynamic targets are allowed (names, IPs, CIDRs, ports)."},
	{.key = "preserve_host", .type = CFG_BOOL, .scope = CFG_ROUTE,
	    .def = "false", .top_off = NO_OFF, .route_off = RT(preserve_host),
	    .help = "HTTP: forward the client's Host header unchanged."},
	{.key = "forwarded_headers", .type = CFG_BOOL, .scope = CFG_ROUTE,
	    .def = "true", .top_off = NO_OFF, .route_off = RT(forwarded_headers),
	    .help = "HTTP: add X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host."},
	{.key = "tls_cert", .type = CFG_STR, .scope = CFG_ROUTE,
	    .top_off = NO_OFF, .route_off = RT(tls_cert),
	    .help = "Certificate chain (PEM) to terminate TLS on this listener."},
	{.key = "tls_key", .type = CFG_STR, .scope = CFG_ROUTE,
	    .top_off = NO_OFF, .route_off = RT(tls_key),
	    .help = "Private key (PEM) of tls_cert."},
	{.key = "target_tls", .type = CFG_BOOL, .scope = CFG_ROUTE,
	    .def = "false", .top_off = NO_OFF, .route_off = RT(target_tls),
	    .help = "Speak TLS to the backend."},
	{.key = "target_tls_verify", .type = CFG_BOOL, .scope = CFG_ROUTE,
	    .def = "true", .top_off = NO_OFF, .route_off = RT(target_tls_verify),
	    .help = "Verify the backend's certificate."},
	{.key = "target_sni", .type = CFG_STR, .scope = CFG_ROUTE,
	    .top_off = NO_OFF, .route_off = RT(target_sni),
	    .help = "Server name sent to a TLS backend."},
	{.key = "tls_ca", .type = CFG_STR, .scope = CFG_ROUTE,
	    .top_off = NO_OFF, .route_off = RT(tls_ca),
	    .help = "CA bundle for verifying TLS backends."},
	{.key = "sni", .type = CFG_STRLIST, .scope = CFG_ROUTE,
	    .top_off = NO_OFF, .route_off = RT(sni),
	    .help = "TCP: pick this route by the TLS ClientHello's server name."},
	{.key = "proxy_protocol", .type = CFG_LATER, .scope = CFG_ROUTE,
	    .top_off = NO_OFF, .route_off = NO_OFF,
	    .help = "Send a PROXY protocol header (v1 or v2) to the backend."},
};

#define NKEYS ARRAY_SIZE(cfg_keys)

struct pos {
	int line, col; /* 0: the key was not given */
	bool bad;      /* given, but its value was refused */
};

/* Loading state, private to one config_load_string() call. */
struct loader {
	const char *name;            /* file name for messages */
	struct config_errors *errs;
	struct config *cfg;
	struct pos top[NKEYS];       /* where each top-level key was */
	struct pos (*rpos)[NKEYS];   /* owned: per route, where each key was */
	int *rindex;                 /* owned: per route, index in [[routes]], -1 main */
	struct pos admin;            /* where [admin] listen's value was */
	bool failed;
};

static void loader_error(struct loader *ld, int line, int col, const char *fmt,
    ...) PORTY_PRINTF(4, 5);

static void
loader_error(struct loader *ld, int line, int col, const char *fmt, ...)
{
	char msg[512], full[1024];
	struct config_errors *e = ld->errs;
	char **grown;
	va_list ap;

	ld->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s:%d:%d: %s", ld->name, line > 0 ? line : 1,
	    col > 0 ? col : 1, msg);
	grown = realloc(e->msg, (e->n + 1) * sizeof(*e->msg));
	if (grown == NULL)
		return;
	e->msg = grown;
	e->msg[e->n] = strdup(full);
	if (e->msg[e->n] != NULL)
		e->n++;
}

static const struct cfg_key *
key_find(const char *key, unsigned scope, size_t *index)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		if ((cfg_keys[i].scope & scope) != 0 &&
		    strcmp(cfg_keys[i].key, key) == 0) {
			*index = i;
			return &cfg_keys[i];
		}
	}
	return NULL;
}

/* The closest key of SCOPE to KEY, for "did you mean", or NULL. */
static const char *
key_suggest(const char *key, unsigned scope)
{
	size_t limit = strlen(key) < 6 ? 1 : 2, best = limit + 1, i, d;
	const char *found = NULL;

	for (i = 0; i < NKEYS; i++) {
		if ((cfg_keys[i].scope & scope) == 0)
			continue;
		d = parse_distance(key, cfg_keys[i].key, limit);
		if (d < best) {
			best = d;
			found = cfg_keys[i].key;
		}
	}
	return found;
}

static void *
field(void *base, size_t off)
{
	return (char *)base + off;
}

static const char *
type_article(enum toml_type t)
{
	switch (t) {
	case TOML_TABLE:
		return "a table";
	case TOML_ARRAY:
		return "an array";
	case TOML_STRING:
		return "a string";
	case TOML_INTEGER:
		return "an integer";
	case TOML_FLOAT:
		return "a float";
	case TOML_BOOL:
		return "a boolean";
	default:
		return "a date or time";
	}
}

static void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
strlist_copy(struct strlist *dst, const struct strlist *src)
{
	size_t i;

	dst->n = 0;
	dst->v = NULL;
	if (src->n == 0)
		return 0;
	dst->v = calloc(src->n, sizeof(*dst->v));
	if (dst->v == NULL)
		return -1;
	for (i = 0; i < src->n; i++) {
		dst->v[i] = strdup(src->v[i]);
		if (dst->v[i] == NULL)
			return -1;
		dst->n++;
	}
	return 0;
}

static int
strlist_push(struct strlist *l, const char *s)
{
	char **grown = realloc(l->v, (l->n + 1) * sizeof(*l->v));

	if (grown == NULL)
		return -1;
	l->v = grown;
	l->v[l->n] = strdup(s);
	if (l->v[l->n] == NULL)
		return -1;
	l->n++;
	return 0;
}

static int
set_str(char **dst, const char *s)
{
	char *copy = s != NULL ? strdup(s) : NULL;

	if (s != NULL && copy == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/* Apply the text default DEF of key K to the field at P. */
static void
key_set_default(const struct cfg_key *k, void *p)
{
	unsigned long long v;
	const char *err;
	struct strlist one = {NULL, 0};

	switch (k->type) {
	case CFG_STR:
		(void)set_str(p, k->def);
		break;
	case CFG_UINT:
	case CFG_WORKERS:
		if (k->def != NULL && parse_uint(k->def, 0, UINT32_MAX, &v, &err) == 0)
			*(unsigned *)p = (unsigned)v;
		break;
	case CFG_BOOL:
		*(bool *)p = k->def != NULL && strcmp(k->def, "true") == 0;
		break;
	case CFG_ENUM:
		*(int *)p = k->def != NULL ? parse_enum(k->def, k->words) : 0;
		break;
	case CFG_STRLIST:
		strlist_free(p);
		if (k->def != NULL)
			(void)strlist_push(&one, k->def);
		*(struct strlist *)p = one;
		break;
	case CFG_LATER:
	case CFG_ADMIN:
		break;
	}
}

/* Copy the top-level value of an inherited key K into route R. */
static void
key_inherit(const struct cfg_key *k, const struct config *cfg, struct route *r)
{
	const void *src = (const char *)cfg + k->top_off;
	void *dst = field(r, k->route_off);

	switch (k->type) {
	case CFG_STR:
		(void)set_str(dst, *(char *const *)src);
		break;
	case CFG_UINT:
	case CFG_WORKERS:
		*(unsigned *)dst = *(const unsigned *)src;
		break;
	case CFG_BOOL:
		*(bool *)dst = *(const bool *)src;
		break;
	case CFG_ENUM:
		*(int *)dst = *(const int *)src;
		break;
	case CFG_STRLIST:
		strlist_free(dst);
		(void)strlist_copy(dst, src);
		break;
	case CFG_LATER:
	case CFG_ADMIN:
		break;
	}
}

static int
string_ok(struct loader *ld, const struct toml_value *v, const char *path)
{
	if (strlen(v->u.s.ptr) != v->u.s.len) {
		loader_error(ld, v->line, v->col, "%s: must not contain a NUL byte",
		    path);
		return -1;
	}
	return 0;
}

static void
words_list(const char *const *words, char *out, size_t outlen)
{
	size_t used = 0, i;

	out[0] = '\0';
	for (i = 0; words[i] != NULL && used < outlen; i++) {
		int n = snprintf(out + used, outlen - used, "%s\"%s\"",
		    i == 0 ? "" : words[i + 1] == NULL ? " or " : ", ", words[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* The keys of the [admin] table, for "did you mean". */
static const char *const admin_keys[] = {"listen", NULL};

/*
 * The [admin] table V: `listen = "addr:port"` or "[v6]:port" (the admin
 * endpoint). Unknown keys are errors. Returns 0, or -1 after reporting.
 */
static int
load_admin(struct loader *ld, const struct toml_value *v)
{
	char host[256], why[160];
	const char *hint;
	unsigned port;
	size_t i, k;
	int rc = 0;

	if (v->type != TOML_TABLE) {
		loader_error(ld, v->line, v->col,
		    "admin: expected a table ([admin] with listen = "
		    "\"127.0.0.1:9901\"), got %s", type_article(v->type));
		return -1;
	}
	for (i = 0; i < v->u.table.len; i++) {
		const struct toml_kv *kv = &v->u.table.items[i];
		const struct toml_value *lv = kv->value;

		if (strcmp(kv->key, "listen") != 0) {
			hint = NULL;
			for (k = 0; admin_keys[k] != NULL; k++)
				if (parse_distance(kv->key, admin_keys[k], 2) <= 2)
					hint = admin_keys[k];
			if (hint != NULL)
				loader_error(ld, kv->line, kv->col,
				    "admin.%s: unknown key (did you mean \"%s\"?)",
				    kv->key, hint);
			else
				loader_error(ld, kv->line, kv->col,
				    "admin.%s: unknown key (the [admin] table "
				    "has only listen)", kv->key);
			rc = -1;
			continue;
		}
		if (lv->type != TOML_STRING) {
			loader_error(ld, lv->line, lv->col,
			    "admin.listen: expected a string, got %s",
			    type_article(lv->type));
			rc = -1;
			continue;
		}
		if (string_ok(ld, lv, "admin.listen") == -1) {
			rc = -1;
			continue;
		}
		if (addr_split(lv->u.s.ptr, host, sizeof(host), &port, why,
			sizeof(why)) == -1) {
			loader_error(ld, lv->line, lv->col,
			    "admin.listen: %s (expected \"address:port\" or "
			    "\"[ipv6]:port\")", why);
			rc = -1;
			continue;
		}
		if (set_str(&ld->cfg->admin_listen, lv->u.s.ptr) == -1 ||
		    set_str(&ld->cfg->admin_addr, host) == -1) {
			loader_error(ld, lv->line, lv->col,
			    "admin.listen: out of memory");
			return -1;
		}
		ld->cfg->admin_port = port;
		ld->admin = (struct pos){lv->line, lv->col, false};
	}
	return rc;
}

/*
 * Check V against key K and store it at P. PATH names the key in messages
 * ("routes[1].mode"). Returns 0, or -1 after reporting an error.
 */
static int
key_set(struct loader *ld, const struct cfg_key *k, const struct toml_value *v,
    void *p, const char *path)
{
	char words[128];
	size_t i;
	int idx;

	switch (k->type) {
	case CFG_STR:
		if (v->type != TOML_STRING)
			goto wrong_type;
		if (string_ok(ld, v, path) == -1)
			return -1;
		if (v->u.s.len == 0) {
			loader_error(ld, v->line, v->col, "%s: must not be empty",
			    path);
			return -1;
		}
		return set_str(p, v->u.s.ptr);
	case CFG_UINT:
		if (v->type != TOML_INTEGER)
			goto wrong_type;
		if (v->u.i < 0 || (unsigned long long)v->u.i < k->min ||
		    (unsigned long long)v->u.i > k->max) {
			loader_error(ld, v->line, v->col,
			    "%s: %lld is out of range (%llu..%llu)", path,
			    (long long)v->u.i, k->min, k->max);
			return -1;
		}
		*(unsigned *)p = (unsigned)v->u.i;
		return 0;
	case CFG_BOOL:
		if (v->type != TOML_BOOL)
			goto wrong_type;
		*(bool *)p = v->u.b;
		return 0;
	case CFG_ENUM:
		words_list(k->words, words, sizeof(words));
		if (v->type != TOML_STRING) {
			loader_error(ld, v->line, v->col,
			    "%s: must be %s, got %s", path, words,
			    type_article(v->type));
			return -1;
		}
		idx = parse_enum(v->u.s.ptr, k->words);
		if (idx < 0) {
			loader_error(ld, v->line, v->col,
			    "%s: must be %s, got \"%s\"", path, words,
			    v->u.s.ptr);
			return -1;
		}
		*(int *)p = idx;
		return 0;
	case CFG_STRLIST:
		strlist_free(p);
		if (v->type == TOML_STRING) {
			if (string_ok(ld, v, path) == -1)
				return -1;
			return strlist_push(p, v->u.s.ptr);
		}
		if (v->type != TOML_ARRAY) {
			loader_error(ld, v->line, v->col,
			    "%s: expected a string or an array of strings, got %s",
			    path, type_article(v->type));
			return -1;
		}
		for (i = 0; i < v->u.array.len; i++) {
			const struct toml_value *e = v->u.array.items[i];

			if (e->type != TOML_STRING) {
				loader_error(ld, e->line, e->col,
				    "%s[%zu]: expected a string, got %s", path,
				    i, type_article(e->type));
				return -1;
			}
			if (string_ok(ld, e, path) == -1)
				return -1;
			if (e->u.s.len == 0) {
				loader_error(ld, e->line, e->col,
				    "%s[%zu]: must not be empty", path, i);
				return -1;
			}
			if (strlist_push(p, e->u.s.ptr) == -1)
				return -1;
		}
		return 0;
	case CFG_WORKERS:
		if (v->type == TOML_STRING && strcmp(v->u.s.ptr, "auto") == 0) {
			*(unsigned *)p = 0; /* one per CPU, counted at start */
			return 0;
		}
		if (v->type != TOML_INTEGER) {
			loader_error(ld, v->line, v->col,
			    "%s: expected an integer or \"auto\", got %s", path,
			    type_article(v->type));
			return -1;
		}
		if (v->u.i < 1 || v->u.i > CONFIG_MAX_WORKERS) {
			loader_error(ld, v->line, v->col,
			    "%s: %lld is out of range (1..%d, or \"auto\")",
			    path, (long long)v->u.i, CONFIG_MAX_WORKERS);
			return -1;
		}
		*(unsigned *)p = (unsigned)v->u.i;
		return 0;
	case CFG_LATER:
		loader_error(ld, v->line, v->col,
		    "%s: not supported yet in this version of porty", path);
		return -1;
	case CFG_ADMIN:
		return load_admin(ld, v);
	}
	return -1;

wrong_type:
	loader_error(ld, v->line, v->col, "%s: expected %s, got %s", path,
	    k->type == CFG_STR ? "a string" :
	    k->type == CFG_UINT ? "an integer" : "a boolean",
	    type_article(v->type));
	return -1;
}

static void
report_unknown(struct loader *ld, const struct toml_kv *kv, unsigned scope,
    const char *prefix)
{
	const char *hint = key_suggest(kv->key, scope);
	size_t idx;

	if (scope == CFG_TOP && key_find(kv->key, CFG_ROUTE, &idx) != NULL) {
		loader_error(ld, kv->line, kv->col,
		    "%s%s: not a top-level key (it belongs in [[routes]])",
		    prefix, kv->key);
	} else if (hint != NULL) {
		loader_error(ld, kv->line, kv->col,
		    "%s%s: unknown key (did you mean \"%s\"?)", prefix, kv->key,
		    hint);
	} else {
		loader_error(ld, kv->line, kv->col, "%s%s: unknown key", prefix,
		    kv->key);
	}
}

static void
route_free_fields(struct route *r)
{
	free(r->name);
	free(r->listen_addr);
	free(r->target_addr);
	strlist_free(&r->host);
	strlist_free(&r->dynamic_allow);
	free(r->tls_cert);
	free(r->tls_key);
	free(r->target_sni);
	free(r->tls_ca);
	strlist_free(&r->sni);
}

/* Initialise R from the top-level values and the route defaults. */
static void
route_init(struct route *r, const struct config *cfg)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->route_off == NO_OFF)
			continue;
		if (k->scope & CFG_INHERIT)
			key_inherit(k, cfg, r);
		else if (!(k->scope & CFG_TOP))
			key_set_default(k, field(r, k->route_off));
	}
}

static struct route *
routes_grow(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	size_t n = cfg->nroutes + 1;
	struct route *rs = realloc(cfg->routes, n * sizeof(*rs));
	struct pos(*ps)[NKEYS];
	int *ix;

	if (rs == NULL)
		return NULL;
	cfg->routes = rs;
	ps = realloc(ld->rpos, n * sizeof(*ps));
	if (ps == NULL)
		return NULL;
	ld->rpos = ps;
	memset(ps[n - 1], 0, sizeof(ps[n - 1]));
	ix = realloc(ld->rindex, n * sizeof(*ix));
	if (ix == NULL)
		return NULL;
	ld->rindex = ix;
	route_init(&rs[n - 1], cfg);
	cfg->nroutes = n;
	return &rs[n - 1];
}

static void
load_route(struct loader *ld, const struct toml_value *t, size_t index)
{
	const struct toml_value *name = toml_table_get(t, "name");
	char prefix[64], path[160], suffix[96] = "";
	struct route *r;
	size_t i, ki;

	snprintf(prefix, sizeof(prefix), "routes[%zu].", index);
	if (name != NULL && name->type == TOML_STRING)
		snprintf(suffix, sizeof(suffix), " (route \"%.64s\")",
		    name->u.s.ptr);
	r = routes_grow(ld);
	if (r == NULL) {
		loader_error(ld, t->line, t->col, "routes[%zu]: out of memory",
		    index);
		return;
	}
	r->line = t->line;
	r->col = t->col;
	ld->rindex[ld->cfg->nroutes - 1] = (int)index;
	for (i = 0; i < t->u.table.len; i++) {
		const struct toml_kv *kv = &t->u.table.items[i];
		const struct cfg_key *k = key_find(kv->key, CFG_ROUTE, &ki);

		if (k == NULL) {
			report_unknown(ld, kv, CFG_ROUTE, prefix);
			continue;
		}
		snprintf(path, sizeof(path), "%s%s", prefix, kv->key);
		if (k->type != CFG_LATER)
			strncat(path, suffix, sizeof(path) - strlen(path) - 1);
		ld->rpos[ld->cfg->nroutes - 1][ki] =
		    (struct pos){kv->value->line, kv->value->col,
			key_set(ld, k, kv->value,
			    k->route_off == NO_OFF ? NULL :
						     field(r, k->route_off),
			    path) == -1};
	}
}

static void
load_top(struct loader *ld, const struct toml_value *root)
{
	size_t i, ki;

	for (i = 0; i < root->u.table.len; i++) {
		const struct toml_kv *kv = &root->u.table.items[i];
		const struct cfg_key *k;

		if (strcmp(kv->key, "routes") == 0)
			continue;
		k = key_find(kv->key, CFG_TOP, &ki);
		if (k == NULL) {
			report_unknown(ld, kv, CFG_TOP, "");
			continue;
		}
		ld->top[ki] = (struct pos){kv->value->line, kv->value->col, true};
		if (k->type == CFG_LATER && kv->value->type == TOML_TABLE) {
			loader_error(ld, kv->value->line, kv->value->col,
			    "[%s]: not supported yet in this version of porty",
			    kv->key);
			continue;
		}
		ld->top[ki].bad = key_set(ld, k, kv->value,
		    k->top_off == NO_OFF ? NULL : field(ld->cfg, k->top_off),
		    kv->key) == -1;
	}
}

static void
load_routes(struct loader *ld, const struct toml_value *root)
{
	const struct toml_value *routes = toml_table_get(root, "routes");
	size_t i;

	if (routes == NULL)
		return;
	if (routes->type != TOML_ARRAY) {
		loader_error(ld, routes->line, routes->col,
		    "routes: expected [[routes]] tables, got %s",
		    type_article(routes->type));
		return;
	}
	for (i = 0; i < routes->u.array.len; i++) {
		const struct toml_value *t = routes->u.array.items[i];

		if (t->type != TOML_TABLE) {
			loader_error(ld, t->line, t->col,
			    "routes[%zu]: expected a table, got %s", i,
			    type_article(t->type));
			continue;
		}
		load_route(ld, t, i);
	}
}

/* The main route of the top-level listen_port/target_port, with overrides. */
static void
load_main_route(struct loader *ld, const struct config_overrides *ov)
{
	struct config *cfg = ld->cfg;
	size_t lp = 0, tp = 0, ta = 0;
	struct route *r, main_r;
	struct pos at;

	(void)key_find("listen_port", CFG_TOP, &lp);
	(void)key_find("target_port", CFG_TOP, &tp);
	(void)key_find("target_addr", CFG_TOP, &ta);
	if (ov != NULL && ov->listen_port != 0)
		cfg->listen_port = ov->listen_port;
	if (ov != NULL && ov->target_port != 0)
		cfg->target_port = ov->target_port;
	if (ld->top[lp].bad || ld->top[tp].bad)
		return;
	if (cfg->listen_port == 0 && cfg->target_port == 0)
		return;
	if (cfg->listen_port == 0 || cfg->target_port == 0) {
		bool have_listen = cfg->listen_port != 0;

		at = have_listen ? ld->top[lp] : ld->top[tp];
		loader_error(ld, at.line, at.col,
		    "%s: set without %s (the main route needs both)",
		    have_listen ? "listen_port" : "target_port",
		    have_listen ? "target_port" : "listen_port");
		return;
	}
	r = routes_grow(ld);
	if (r == NULL)
		return;
	main_r = *r;
	/* The main route comes first, as in Porty. */
	memmove(cfg->routes + 1, cfg->routes,
	    (cfg->nroutes - 1) * sizeof(*cfg->routes));
	memmove(ld->rpos + 1, ld->rpos, (cfg->nroutes - 1) * sizeof(*ld->rpos));
	memmove(ld->rindex + 1, ld->rindex,
	    (cfg->nroutes - 1) * sizeof(*ld->rindex));
	cfg->routes[0] = main_r;
	r = &cfg->routes[0];
	memset(ld->rpos[0], 0, sizeof(ld->rpos[0]));
	ld->rpos[0][lp] = ld->top[lp];
	ld->rpos[0][tp] = ld->top[tp];
	ld->rpos[0][ta] = ld->top[ta];
	ld->rindex[0] = -1;
	r->line = ld->top[lp].line;
	r->col = ld->top[lp].col;
	(void)set_str(&r->name, "main");
	r->listen_port = cfg->listen_port;
	r->target_port = cfg->target_port;
	(void)set_str(&r->listen_addr, ov != NULL && ov->listen_addr != NULL ?
	    ov->listen_addr : cfg->listen_addr);
	(void)set_str(&r->target_addr, ov != NULL && ov->target_addr != NULL ?
	    ov->target_addr : cfg->target_addr);
}

/* "routes[2]" or "listen_port" (the main route) for key messages. */
static void
route_path(const struct loader *ld, size_t i, const char *key, char *out,
    size_t outlen)
{
	const struct route *r = &ld->cfg->routes[i];

	if (ld->rindex[i] < 0)
		snprintf(out, outlen, "%s", key);
	else if (r->name != NULL)
		snprintf(out, outlen, "routes[%d].%s (route \"%.64s\")",
		    ld->rindex[i], key, r->name);
	else
		snprintf(out, outlen, "routes[%d].%s", ld->rindex[i], key);
}

static struct pos
route_pos(const struct loader *ld, size_t i, const char *key)
{
	size_t ki;
	const struct route *r = &ld->cfg->routes[i];

	if (key_find(key, CFG_ROUTE, &ki) != NULL && ld->rpos[i][ki].line > 0)
		return ld->rpos[i][ki];
	return (struct pos){r->line, r->col, false};
}

static bool
addr_is_wildcard(const char *a)
{
	return strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0 ||
	    strcmp(a, "[::]") == 0 || strcmp(a, "*") == 0;
}

static bool
addr_is_v6(const char *a)
{
	return strchr(a, ':') != NULL;
}

/* Could binding both A and B on one port collide? */
static bool
addrs_overlap(const char *a, const char *b)
{
	if (strcasecmp(a, b) == 0)
		return true;
	/* "::" may be dual-stack and then takes every IPv4 address too. */
	if (strcmp(a, "::") == 0 || strcmp(b, "::") == 0)
		return true;
	if (addr_is_wildcard(a) && !addr_is_v6(b))
		return true;
	if (addr_is_wildcard(b) && !addr_is_v6(a))
		return true;
	return false;
}

static bool
addr_is_loopback_name(const char *a)
{
	return strcmp(a, "127.0.0.1") == 0 || strcmp(a, "::1") == 0 ||
	    strcasecmp(a, "localhost") == 0;
}

/* Was KEY given for route I (whatever its value)? */
static const struct pos *
route_key(const struct loader *ld, size_t i, const char *key)
{
	size_t ki;

	if (key_find(key, CFG_ROUTE, &ki) == NULL)
		return NULL;
	return ld->rpos[i][ki].line > 0 ? &ld->rpos[i][ki] : NULL;
}

static void
report_missing(struct loader *ld, size_t i, const char *key, const char *why)
{
	const struct route *r = &ld->cfg->routes[i];
	char path[160];

	if (route_key(ld, i, key) != NULL)
		return; /* given but refused: already reported */
	route_path(ld, i, key, path, sizeof(path));
	loader_error(ld, r->line, r->col, "%s: missing (%s)", path, why);
}

static void
check_route(struct loader *ld, size_t i)
{
	const struct route *r = &ld->cfg->routes[i];
	static const char *const http_only[] = {"host", "dynamic",
	    "dynamic_allow", "preserve_host", "forwarded_headers"};
	const struct pos *at;
	char path[160];
	size_t j;

	if (r->name == NULL)
		report_missing(ld, i, "name", "every route needs a name");
	if (r->listen_port == 0)
		report_missing(ld, i, "listen_port", "required");
	if (r->mode == ROUTE_MODE_TCP) {
		if (r->target_addr == NULL)
			report_missing(ld, i, "target_addr",
			    "required on a tcp route");
		at = route_key(ld, i, "target_port");
		if (r->target_port == 0 && at != NULL && !at->bad) {
			route_path(ld, i, "target_port", path, sizeof(path));
			loader_error(ld, at->line, at->col,
			    "%s: 0 is out of range (1..65535) on a tcp route",
			    path);
		} else if (r->target_port == 0) {
			report_missing(ld, i, "target_port",
			    "required on a tcp route");
		}
		for (j = 0; j < ARRAY_SIZE(http_only); j++) {
			at = route_key(ld, i, http_only[j]);
			if (at == NULL)
				continue;
			route_path(ld, i, http_only[j], path, sizeof(path));
			loader_error(ld, at->line, at->col,
			    "%s: applies to http routes only (this route has mode \"tcp\")",
			    path);
		}
	} else if (r->target_port != 0 && r->target_addr == NULL) {
		report_missing(ld, i, "target_addr", "target_port is set");
	}
	if (r->enabled && r->listen_addr != NULL && r->target_addr != NULL &&
	    r->listen_port != 0 && r->listen_port == r->target_port &&
	    (strcasecmp(r->listen_addr, r->target_addr) == 0 ||
		(addr_is_wildcard(r->listen_addr) &&
		    addr_is_loopback_name(r->target_addr)))) {
		struct pos p = route_pos(ld, i, "target_port");

		route_path(ld, i, "target_port", path, sizeof(path));
		loader_error(ld, p.line, p.col,
		    "%s: the target is this route's own listener %s:%u (a loop)",
		    path, r->listen_addr, r->listen_port);
	}
}

/* Each host and dynamic_allow entry must parse as router.c will read it. */
static void
check_patterns(struct loader *ld, size_t i)
{
	const struct route *r = &ld->cfg->routes[i];
	static const char *const keys[] = {"host", "dynamic_allow"};
	const struct strlist *lists[] = {&r->host, &r->dynamic_allow};
	char path[160], why[160];
	const struct pos *at;
	size_t k, j;
	int rc;

	for (k = 0; k < ARRAY_SIZE(keys); k++) {
		for (j = 0; j < lists[k]->n; j++) {
			const char *p = lists[k]->v[j];

			rc = k == 0 ? router_host_pattern_check(p, why, sizeof(why)) :
				      router_allow_pattern_check(p, why, sizeof(why));
			if (rc == 0)
				continue;
			at = route_key(ld, i, keys[k]);
			route_path(ld, i, keys[k], path, sizeof(path));
			loader_error(ld, at != NULL ? at->line : r->line,
			    at != NULL ? at->col : r->col, "%s: %s", path, why);
		}
	}
}

/*
 * A relative tls path is taken from the config file's directory, so that
 * `porty check` and a --daemon (which changes to /) read the same file.
 */
static void
tls_path(const struct loader *ld, char **path)
{
	const char *slash = strrchr(ld->name, '/');
	char *full;
	size_t dlen;

	if (*path == NULL || (*path)[0] == '/' || slash == NULL)
		return;
	dlen = (size_t)(slash - ld->name) + 1;
	full = malloc(dlen + strlen(*path) + 1);
	if (full == NULL)
		return;
	memcpy(full, ld->name, dlen);
	strcpy(full + dlen, *path);
	free(*path);
	*path = full;
}

/* An error about KEY of route I, at KEY's position (or the route's). */
static void
route_key_error(struct loader *ld, size_t i, const char *key, const char *why)
{
	char path[160];
	struct pos at = route_pos(ld, i, key);

	route_path(ld, i, key, path, sizeof(path));
	loader_error(ld, at.line, at.col, "%s: %s", path, why);
}

/*
 * The TLS keys of route I: tls_cert and tls_key come together and match
 * (loaded now, so `porty check` finds a wrong file), tls_ca loads, the
 * backend keys need target_tls on a tcp route (an http route also uses
 * them for porty_scheme=https), and sni is for tcp routes that pass TLS
 * through untouched.
 */
static void
check_tls(struct loader *ld, size_t i)
{
	struct route *r = &ld->cfg->routes[i];
	static const char *const backend_keys[] = {"target_tls_verify",
	    "target_sni", "tls_ca"};
	char why[300];
	size_t j;

	if (r->tls_cert != NULL && r->tls_key == NULL) {
		report_missing(ld, i, "tls_key", "tls_cert is set");
	} else if (r->tls_cert == NULL && r->tls_key != NULL) {
		report_missing(ld, i, "tls_cert", "tls_key is set");
	} else if (r->tls_cert != NULL) {
		tls_path(ld, &r->tls_cert);
		tls_path(ld, &r->tls_key);
		if (tls_check_pair(r->tls_cert, r->tls_key, why,
		    sizeof(why)) == -1)
			route_key_error(ld, i, "tls_cert", why);
	}
	if (r->tls_ca != NULL) {
		tls_path(ld, &r->tls_ca);
		if (tls_check_ca(r->tls_ca, why, sizeof(why)) == -1)
			route_key_error(ld, i, "tls_ca", why);
	}
	if (r->mode == ROUTE_MODE_TCP && !r->target_tls)
		for (j = 0; j < ARRAY_SIZE(backend_keys); j++)
			if (route_key(ld, i, backend_keys[j]) != NULL)
				route_key_error(ld, i, backend_keys[j],
				    "applies only with target_tls = true on a "
				    "tcp route");
	if (r->sni.n == 0)
		return;
	if (r->mode == ROUTE_MODE_HTTP) {
		route_key_error(ld, i, "sni",
		    "applies to tcp routes only (http routes choose by host)");
		return;
	}
	if (r->tls_cert != NULL)
		route_key_error(ld, i, "sni",
		    "cannot be combined with tls_cert (sni routes pass TLS "
		    "through without terminating it)");
	for (j = 0; j < r->sni.n; j++)
		if (router_host_pattern_check(r->sni.v[j], why,
		    sizeof(why)) == -1)
			route_key_error(ld, i, "sni", why);
}

static void
check_pairs(struct loader *ld, size_t i, size_t j)
{
	const struct route *a = &ld->cfg->routes[i], *b = &ld->cfg->routes[j];
	char path[160];
	struct pos at;

	if (a->name != NULL && b->name != NULL &&
	    strcmp(a->name, b->name) == 0) {
		route_path(ld, j, "name", path, sizeof(path));
		at = route_pos(ld, j, "name");
		loader_error(ld, at.line, at.col,
		    "%s: duplicate route name \"%s\" (also used at line %d)",
		    path, b->name, a->line);
	}
	if (!a->enabled || !b->enabled || a->listen_port == 0 ||
	    a->listen_port != b->listen_port || a->listen_addr == NULL ||
	    b->listen_addr == NULL || !addrs_overlap(a->listen_addr, b->listen_addr))
		return;
	route_path(ld, j, "listen_port", path, sizeof(path));
	at = route_pos(ld, j, "listen_port");
	if (a->mode == b->mode &&
	    (a->mode == ROUTE_MODE_HTTP || (a->sni.n > 0 && b->sni.n > 0))) {
		if (strcasecmp(a->listen_addr, b->listen_addr) != 0)
			loader_error(ld, at.line, at.col,
			    "%s: listener %s:%u overlaps %s:%u of route \"%s\" "
			    "(%s routes sharing a port must use the same listen_addr)",
			    path, b->listen_addr, b->listen_port, a->listen_addr,
			    a->listen_port, a->name != NULL ? a->name : "?",
			    config_mode_name(a->mode));
		else if ((a->tls_cert == NULL) != (b->tls_cert == NULL))
			loader_error(ld, at.line, at.col,
			    "%s: listener %s:%u is shared with route \"%s\" "
			    "but only one of them has tls_cert (a shared "
			    "listener terminates TLS for every route or none)",
			    path, b->listen_addr, b->listen_port,
			    a->name != NULL ? a->name : "?");
		return;
	}
	loader_error(ld, at.line, at.col,
	    "%s: listener %s:%u is already used by route \"%s\" (%s)", path,
	    b->listen_addr, b->listen_port, a->name != NULL ? a->name : "?",
	    a->mode == ROUTE_MODE_TCP && b->mode == ROUTE_MODE_TCP ?
		"two tcp routes share an address:port only if every one has sni" :
		"a tcp and an http route cannot share an address:port");
}

/* The admin endpoint must not take the address:port of an enabled route. */
static void
check_admin(struct loader *ld)
{
	const struct config *cfg = ld->cfg;
	size_t i;

	if (cfg->admin_addr == NULL)
		return;
	/* Each worker counts its own connections: no process has them all. */
	if (cfg->workers != 1)
		loader_error(ld, ld->admin.line, ld->admin.col,
		    "admin.listen: not supported yet with workers = %s "
		    "(the counters are per process; use workers = 1)",
		    cfg->workers == 0 ? "\"auto\"" : "N > 1");
	for (i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];

		if (!r->enabled || r->listen_addr == NULL ||
		    r->listen_port != cfg->admin_port ||
		    !addrs_overlap(r->listen_addr, cfg->admin_addr))
			continue;
		loader_error(ld, ld->admin.line, ld->admin.col,
		    "admin.listen: %s is already used by route \"%s\" "
		    "(%s:%u)", cfg->admin_listen,
		    r->name != NULL ? r->name : "?", r->listen_addr,
		    r->listen_port);
	}
}

static void
check_all(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	size_t i, j, enabled = 0;

	for (i = 0; i < cfg->nroutes; i++) {
		check_route(ld, i);
		check_patterns(ld, i);
		check_tls(ld, i);
		if (cfg->routes[i].enabled)
			enabled++;
		for (j = 0; j < i; j++)
			check_pairs(ld, j, i);
	}
	check_admin(ld);
	if (cfg->nroutes == 0)
		loader_error(ld, 1, 1,
		    "routes: none defined (set listen_port and target_port, or add [[routes]])");
	else if (enabled == 0)
		loader_error(ld, 1, 1, "routes: every route is disabled");
}

static void
apply_overrides(struct loader *ld, const struct config_overrides *ov)
{
	struct config *cfg = ld->cfg;
	size_t i;
	int fmt;

	if (ov == NULL)
		return;
	if (ov->log_format != NULL) {
		fmt = parse_enum(ov->log_format, log_format_words);
		if (fmt < 0)
			loader_error(ld, 1, 1,
			    "--log-format: must be \"porty\", \"text\" or \"json\", got \"%s\"",
			    ov->log_format);
		else
			cfg->log_format = (enum log_format)fmt;
	}
	if (ov->log_file != NULL)
		(void)set_str(&cfg->log_file, ov->log_file);
	if (ov->pidfile != NULL)
		(void)set_str(&cfg->pidfile, ov->pidfile);
	if (ov->verbose)
		for (i = 0; i < cfg->nroutes; i++)
			cfg->routes[i].log_level = LOG_LEVEL_VERBOSE;
}

static struct config *
config_new(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));
	size_t i;

	if (cfg == NULL)
		return NULL;
	for (i = 0; i < NKEYS; i++)
		if (cfg_keys[i].top_off != NO_OFF)
			key_set_default(&cfg_keys[i],
			    field(cfg, cfg_keys[i].top_off));
	return cfg;
}

struct config *
config_load_string(const char *text, size_t len, const char *name,
    const struct config_overrides *ov, struct config_errors *errs)
{
	struct loader ld;
	struct toml_value *root;
	char err[512];
	int line = 0, col = 0;

	static_assert(sizeof(enum log_level) == sizeof(int), "enum as int");
	static_assert(sizeof(enum log_format) == sizeof(int), "enum as int");
	static_assert(sizeof(enum route_mode) == sizeof(int), "enum as int");
	memset(&ld, 0, sizeof(ld));
	ld.name = name;
	ld.errs = errs;
	root = toml_parse(text, len, err, sizeof(err), &line, &col);
	if (root == NULL) {
		/* toml.c says "LINE:COL: message"; add the file name. */
		loader_error(&ld, line, col, "%s",
		    strchr(err, ' ') != NULL && line > 0 ? strchr(err, ' ') + 1 : err);
		return NULL;
	}
	ld.cfg = config_new();
	if (ld.cfg == NULL) {
		toml_free(root);
		loader_error(&ld, 1, 1, "out of memory");
		return NULL;
	}
	load_top(&ld, root);
	load_routes(&ld, root);
	load_main_route(&ld, ov);
	apply_overrides(&ld, ov);
	check_all(&ld);
	toml_free(root);
	free(ld.rpos);
	free(ld.rindex);
	if (ld.failed) {
		config_free(ld.cfg);
		return NULL;
	}
	if (name != NULL)
		(void)set_str(&ld.cfg->path, name);
	return ld.cfg;
}

struct config *
config_load_file(const char *path, const struct config_overrides *ov,
    struct config_errors *errs)
{
	struct loader ld;
	struct config *cfg;
	char *text = NULL, *grown;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "rb");

	memset(&ld, 0, sizeof(ld));
	ld.name = path;
	ld.errs = errs;
	if (f == NULL) {
		loader_error(&ld, 0, 0, "cannot read: %s", strerror(errno));
		/* No position makes sense for an unreadable file. */
		if (errs->n > 0) {
			char *m = errs->msg[errs->n - 1];
			size_t plen = strlen(path);

			memmove(m + plen, m + plen + 4, strlen(m + plen + 4) + 1);
		}
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			grown = realloc(text, cap);
			if (grown == NULL)
				break;
			text = grown;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f) || text == NULL) {
		loader_error(&ld, 0, 0, "read error");
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	cfg = config_load_string(text, len, path, ov, errs);
	free(text);
	return cfg;
}

struct config *
config_from_overrides(const struct config_overrides *ov,
    struct config_errors *errs)
{
	return config_load_string("", 0, "command line", ov, errs);
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nroutes; i++)
		route_free_fields(&cfg->routes[i]);
	free(cfg->routes);
	free(cfg->path);
	free(cfg->listen_addr);
	free(cfg->target_addr);
	free(cfg->pidfile);
	free(cfg->log_file);
	free(cfg->user);
	free(cfg->group);
	free(cfg->admin_listen);
	free(cfg->admin_addr);
	free(cfg);
}

void
config_errors_clear(struct config_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

const char *
config_mode_name(enum route_mode mode)
{
	return mode == ROUTE_MODE_HTTP ? "http" : "tcp";
}

/* "[::1]:80" for IPv6 literals, "host:80" otherwise. */
static void
hostport(const char *host, unsigned port, char *out, size_t outlen)
{
	if (strchr(host, ':') != NULL)
		snprintf(out, outlen, "[%s]:%u", host, port);
	else
		snprintf(out, outlen, "%s:%u", host, port);
}

void
config_print_routes(const struct config *cfg, FILE *out)
{
	char listen[300], target[300];
	size_t i, j, disabled = 0;

	for (i = 0; i < cfg->nroutes; i++) {
		const struct route *r = &cfg->routes[i];

		if (!r->enabled) {
			disabled++;
			continue;
		}
		hostport(r->listen_addr, r->listen_port, listen, sizeof(listen));
		if (r->target_addr != NULL && r->target_port != 0)
			hostport(r->target_addr, r->target_port, target,
			    sizeof(target));
		else
			snprintf(target, sizeof(target), "dynamic");
		fprintf(out, "route \"%s\": %s %s -> %s", r->name,
		    config_mode_name(r->mode), listen, target);
		if (r->mode == ROUTE_MODE_HTTP && r->host.n > 0) {
			fprintf(out, " host=");
			for (j = 0; j < r->host.n; j++)
				fprintf(out, "%s%s", j ? "," : "", r->host.v[j]);
		}
		if (r->mode == ROUTE_MODE_HTTP && r->dynamic &&
		    (r->target_port == 0 || r->host.n == 0))
			fprintf(out, " (dynamic routing on)");
		fprintf(out,
		    " max_connections=%u buffer_size_kb=%u connect_timeout_ms=%u "
		    "max_retries=%u idle_timeout_seconds=%u log_level=%s\n",
		    r->max_connections, r->buffer_size_kb, r->connect_timeout_ms,
		    r->max_retries, r->idle_timeout_s,
		    log_level_words[r->log_level]);
	}
	fprintf(out, "%zu route%s would start", cfg->nroutes - disabled,
	    cfg->nroutes - disabled == 1 ? "" : "s");
	if (disabled > 0)
		fprintf(out, " (%zu disabled)", disabled);
	fprintf(out, "; max_connections_total=%u\n", cfg->max_connections_total);
	if (cfg->admin_listen != NULL)
		fprintf(out, "admin: %s serves /metrics and /status\n",
		    cfg->admin_listen);
}

size_t
config_key_count(void)
{
	return NKEYS;
}

const char *
config_key_name(size_t i)
{
	return i < NKEYS ? cfg_keys[i].key : NULL;
}
