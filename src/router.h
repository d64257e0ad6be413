/* SPDX-License-Identifier: MIT */
/* HTTP routing: Host header to route, porty_* parameters, dynamic_allow. */
#ifndef PORTY_ROUTER_H
#define PORTY_ROUTER_H

/*
 * Everything here is pure: no I/O, no sockets, no libev, and no allocation
 * after start-up. Two kinds of calls:
 *
 *   start-up   router_init() per listener (compiles every route's host
 *              entries and dynamic_allow), router_free(); the pattern
 *              checkers for config validation.
 *   request    router_route() for the whole decision; after resolving a
 *              dynamic target, router_allow_check() on each address and
 *              router_deny() to turn a refusal into the 403 answer.
 *
 * The smaller per-request steps (router_match_host(), router_query_parse(),
 * router_allow_may_admit()) are public for tests and for callers that need
 * only one of them.
 */

#include <stdbool.h>
#include <stddef.h>

#include <sys/socket.h>

#include "addr.h"

struct route;   /* config.h */
struct strlist; /* config.h */

/* Longest dynamic host name kept: a DNS name (253) and a trailing dot. */
#define ROUTER_HOST_MAX 254

/* Room for an error body line, "404 No route for host NAME", with its NUL. */
#define ROUTER_BODY_MAX 192

/* Longest peer-supplied name quoted in an error body; more ends in "...". */
#define ROUTER_SHOW_MAX 100

/* Bits of struct router_target.found: the porty_* parameters that occurred. */
#define ROUTER_PARAM_HOST   0x1u
#define ROUTER_PARAM_PORT   0x2u
#define ROUTER_PARAM_SCHEME 0x4u

/* ------------------------------------------------------------------ */
/* dynamic_allow                                                      */

/* One compiled pattern; private to router.c. */
struct router_allow_rule;

/*
 * A route's dynamic_allow list, compiled by router_allow_compile(). An empty
 * list (n == 0) admits nothing. Embed it anywhere; free it with
 * router_allow_free().
 */
struct router_allow {
	struct router_allow_rule *rule; /* owned, private to router.c */
	size_t n;
};

/* The outcome of router_allow_check(). */
enum router_verdict {
	/* admitted */
	ROUTER_ALLOW = 0,
	/* no pattern admits the name or the address, with the port */
	ROUTER_DENY,
	/* admitted only by a name pattern, but the address is link-local */
	ROUTER_DENY_LINK_LOCAL,
};

/*
 * Check one dynamic_allow PATTERN (NUL-terminated), exactly the syntax that
 * router_allow_compile() accepts:
 *
 *   "*"                 any name (not a link-local address, see below)
 *   "api.example.com"   a host name: letters, digits, '-', '_', '.', no
 *                       empty label, not ending in a number ("10.0.0.256")
 *   "*.internal"        any name ending in ".internal" (not "internal")
 *   "10.1.2.3" "::1"    an IP literal
 *   "10.0.0.0/8" "fd00::/8"   a CIDR block (host bits are ignored)
 *
 * each optionally followed by ":port" or ":lo-hi" (1..65535, lo <= hi); an
 * IPv6 literal or CIDR takes a port only in brackets: "[::1]:8080",
 * "[fd00::/8]:80-90" (a bare "::1:80" is the address ::1:80). An
 * IPv4-mapped IPv6 pattern with a prefix of 96 or more is the IPv4 pattern
 * it maps. Returns 0, or -1 with ERR (ERRLEN bytes) saying what is wrong,
 * quoting the pattern.
 */
int router_allow_pattern_check(const char *pattern, char *err, size_t errlen);

/*
 * Compile the dynamic_allow PATTERNS (syntax as above) into *OUT, which the
 * caller owns afterwards (router_allow_free()). Start-up only: allocates.
 * Returns 0, or -1 with ERR filled for the first bad pattern (or "out of
 * memory") and *OUT empty.
 */
int router_allow_compile(const struct strlist *patterns,
			 struct router_allow *out, char *err, size_t errlen);

/* Free what router_allow_compile() allocated and empty A; A may be empty. */
void router_allow_free(struct router_allow *a);

/*
 * The request-time check of a dynamic target, after resolving: NAME is the
 * requested host (NUL-terminated, as in struct router_target.host: case and
 * a trailing dot do not matter; an IP literal's text is its name), RESOLVED
 * one address it resolved to (AF_INET or AF_INET6; its port field is not
 * read), PORT the requested port. The rule (SPEC §4):
 *
 *   admitted   iff some name pattern matches NAME and PORT,
 *              or some IP/CIDR pattern matches RESOLVED and PORT;
 *   link-local (169.254.0.0/16, fe80::/10) additionally needs an IP/CIDR
 *              pattern that matches RESOLVED and PORT: "*" never admits it.
 *
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is checked as the IPv4
 * address. Any other family is denied. A name with several addresses must
 * have each address checked; connect only to admitted ones.
 */
enum router_verdict router_allow_check(const struct router_allow *a,
				       const char *name,
				       const struct sockaddr *resolved,
				       unsigned port);

/*
 * The name-level pre-check, before resolving: false when no address NAME
 * could resolve to would be admitted (no name pattern matches NAME and PORT,
 * and no IP/CIDR pattern admits PORT), so the request can be refused with
 * 403 without a DNS query. true means "resolve, then router_allow_check()".
 */
bool router_allow_may_admit(const struct router_allow *a, const char *name,
			    unsigned port);

/* ------------------------------------------------------------------ */
/* Host matching                                                      */

/*
 * Check one entry of a route's `host` list: a host name (letters, digits,
 * '-', '_', '.', no empty label, not ending in a number unless it is an
 * IPv4 address), a "*.suffix" wildcard, or an IPv4 or IPv6 literal without
 * brackets or port. Returns 0, or -1 with ERR filled.
 */
int router_host_pattern_check(const char *pattern, char *err, size_t errlen);

/* One compiled `host` entry; private to router.c. */
struct router_name;

/*
 * The routing table of one listener: its routes in file order, their host
 * entries and dynamic_allow lists compiled. Build it with router_init(),
 * read it with router_route(), free it with router_free(). All fields are
 * private to router.c.
 */
struct router {
	const struct route **route; /* owned array of borrowed routes */
	struct router_allow *allow; /* owned: allow[i] of route[i] */
	struct router_name *name;   /* owned: every host entry, route order */
	size_t n, nname;
	size_t fallback; /* the first route without host; n if none */
};

/*
 * Build RT from the N (>= 1) enabled http ROUTES that share one listener,
 * in file order. The routes must outlive RT. When several routes have no
 * `host`, the first is the fallback and the others are never chosen; when
 * several routes list the same name, the first wins (config validation
 * should refuse both). Start-up only: allocates. Returns 0, or -1 with ERR
 * filled (a bad host entry or dynamic_allow pattern, or out of memory) and
 * RT empty.
 */
int router_init(struct router *rt, const struct route *const *routes, size_t n,
		char *err, size_t errlen);

/* Free what router_init() allocated; RT may be empty or zeroed. */
void router_free(struct router *rt);

/* How a route was chosen. */
enum router_how {
	/* a host entry matched: the route's configured target */
	ROUTER_BY_HOST = 0,
	/* the listener's route without host */
	ROUTER_BY_FALLBACK,
	/* no host matched and every route has one: the first route, for
	   dynamic parameters only */
	ROUTER_BY_FIRST,
};

/* The result of host matching. */
struct router_match {
	const struct route *route; /* borrowed; never NULL */
	size_t index;              /* of route in the router */
	enum router_how how;
	/* borrowed from the Host value: the host without port, brackets or
	   trailing dot; NULL when absent */
	const char *name;
	size_t namelen;
};

/*
 * Pick the route for the Host header value HOST (HOSTLEN bytes, not
 * NUL-terminated; NULL or empty when the request has none):
 *
 *   1. a route with a host entry equal to the name (ASCII case ignored,
 *      port and one trailing dot ignored, "[::1]:80" is ::1; IPv6 compared
 *      as addresses), the first in file order;
 *   2. else the route with the longest "*.suffix" entry the name ends in
 *      ("*.example.com" matches a.example.com and a.b.example.com, not
 *      example.com; never an IP literal), the first on a tie;
 *   3. else the fallback route (no host), or when there is none the first
 *      route, with how = ROUTER_BY_FIRST.
 *
 * Surrounding blanks are ignored. Returns 0 with *M filled, or -1 when
 * HOST is not a valid Host value (RFC 9110 §7.2: reg-name, IPv4 or
 * [IPv6], optional :digits), which the caller answers with 400.
 */
int router_match_host(const struct router *rt, const char *host, size_t hostlen,
		      struct router_match *m);

/* ------------------------------------------------------------------ */
/* Query parameters                                                   */

enum router_scheme {
	ROUTER_SCHEME_HTTP = 0,
	ROUTER_SCHEME_HTTPS, /* TLS to the dynamic target */
};

/* A dynamic target as requested by porty_host, porty_port, porty_scheme. */
struct router_target {
	/* ROUTER_PARAM_* bits: the parameters present */
	unsigned found;
	/* decoded, NUL-terminated, case kept, IPv6 without brackets */
	char host[ROUTER_HOST_MAX + 1];
	size_t hostlen;
	unsigned port;             /* 1..65535; 0 until found */
	enum router_scheme scheme; /* ROUTER_SCHEME_HTTP unless given */
	bool literal;              /* host is an IP literal: see addr */
	/* literal only: the address with the port; an IPv4-mapped IPv6
	   literal as AF_INET */
	struct addr addr;
};

/*
 * Find the porty_host, porty_port and porty_scheme parameters in the
 * request TARGET (LEN bytes, any form; the query is what follows the first
 * '?' up to a '#', unless a '#' comes first) and write TARGET without them to
 * OUT (OUTLEN >= LEN bytes; OUT may be TARGET itself, nothing else
 * overlapping), setting *OUTN and T->found. Not NUL-terminated.
 *
 *   - Parameters are split on '&' only. A parameter is a porty one when its
 *     name (up to the first '=') percent-decodes to exactly one of the
 *     three names (case matters; '+' is not a space): porty%5Fhost is,
 *     porty_hostx, xporty_host and PORTY_HOST are not.
 *   - Every occurrence is removed; the other parameters, empty ones
 *     included, keep their order and bytes. When no non-empty parameter is
 *     left, the '?' goes too. A '#' and what follows it are kept as they
 *     are. Without porty parameters OUT is TARGET byte for byte.
 *   - With VALIDATE, the values are decoded and checked into T (host,
 *     port, scheme, literal, addr); a bad one returns -1 with *REASON set
 *     to a static one-line reason for a 400 answer, and OUT unwritten.
 *     Repeats must agree (host: ignoring case). Whether host and port
 *     come together is the caller's business (router_route() checks it).
 *     Without VALIDATE the values are not looked at and nothing fails.
 *
 * Returns 0 or -1 (VALIDATE only).
 */
int router_query_parse(const char *target, size_t len, bool validate,
		       struct router_target *t, char *out, size_t outlen,
		       size_t *outn, const char **reason);

/* ------------------------------------------------------------------ */
/* The per-request decision                                           */

enum router_result {
	ROUTER_CONFIGURED = 0, /* go to route->target_addr:target_port */
	ROUTER_DYNAMIC,        /* go to target (see router_route()) */
	ROUTER_ERROR,          /* answer status with body */
};

/*
 * One request's routing decision. About 600 bytes: keep it on the stack
 * and copy what must outlive the call.
 */
struct router_decision {
	enum router_result result;
	/* borrowed, never NULL: its limits, timeouts and log level apply */
	const struct route *route;
	const struct router_allow *allow; /* borrowed: route's dynamic_allow */
	enum router_how how;
	/* borrowed from HOST or TARGET: the routing host without port (see
	   router_match_host()); NULL if none */
	const char *name;
	size_t namelen;
	struct router_target target; /* ROUTER_DYNAMIC */
	size_t target_len;           /* bytes of the target written to OUT */
	bool target_changed;         /* porty parameters were removed */
	unsigned status;             /* ROUTER_ERROR: 400, 403 or 404 */
	/* ROUTER_ERROR: the one-line body without newline, "404 No route for
	   host NAME" */
	char body[ROUTER_BODY_MAX];
};

/*
 * Route one request: HOST/HOSTLEN is the Host header value (NULL when
 * absent), TARGET/TARGETLEN the request target. For ROUTER_CONFIGURED and
 * ROUTER_DYNAMIC the target without porty parameters (router_query_parse())
 * is written to OUT (OUTLEN >= TARGETLEN; OUT may be TARGET) and its
 * length to D->target_len; on ROUTER_ERROR nothing is written, so TARGET
 * stays intact for the log line. SPEC §4:
 *
 *   - The routing host is the authority of an absolute-form target
 *     ("http://h:80/p", "https://..."), else the Host header (RFC 9112
 *     §3.2.2). Invalid: 400 "Invalid Host header" (or "Invalid request
 *     target" for the authority).
 *   - Matched by host (ROUTER_BY_HOST) a route with a configured target
 *     gives ROUTER_CONFIGURED and porty parameters are removed unread.
 *   - Otherwise (the fallback, the first route when all have hosts, or a
 *     host-matched route without a target) parameters are honoured when the
 *     route has dynamic = true: host and port give ROUTER_DYNAMIC; bad
 *     values or only one of the two give 400 (porty_scheme=https asks
 *     for TLS to the target, in the decision's target.scheme). With
 *     dynamic = false they are removed unread.
 *   - Without (honoured) parameters: the configured target if the route
 *     has one and was not chosen as ROUTER_BY_FIRST; else 404 "No route
 *     for host NAME" (ROUTER_BY_FIRST; NAME is the routing host, printable
 *     ASCII only, cut at ROUTER_SHOW_MAX bytes plus "...", or "(none)") or
 *     400 "Missing porty_host and porty_port parameters".
 *
 * dynamic_allow, as far as it can be decided before resolving, is applied
 * here and gives 403: an IP-literal porty_host is checked completely
 * (router_allow_check() with its own address: target.literal is set and
 * target.addr is final, no DNS needed); a name is refused when
 * router_allow_may_admit() says no address could pass. For a name that passes,
 * the caller resolves it, calls router_allow_check(d->allow, target.host, addr,
 * target.port) on each address and router_deny() if none is admitted, and
 * refuses a target that is one of porty's own listeners with 508.
 *
 * D->route, D->allow and D->how are always set, also on errors (an
 * invalid Host is charged to the fallback route). No allocation.
 */
void router_route(const struct router *rt, const char *host, size_t hostlen,
		  const char *target, size_t targetlen, char *out,
		  size_t outlen, struct router_decision *d);

/*
 * Turn the ROUTER_DYNAMIC decision D into its 403 answer for verdict V
 * (ROUTER_DENY or ROUTER_DENY_LINK_LOCAL), with the body "403 Dynamic
 * target HOST:PORT not allowed" (and " (link-local address)").
 */
void router_deny(struct router_decision *d, enum router_verdict v);

#endif /* PORTY_ROUTER_H */
