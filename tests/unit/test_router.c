/* SPDX-License-Identifier: MIT */
/* Unit tests of router.c: Host, porty_* parameters, dynamic_allow, decisions.
 */
#include "auto-config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "config.h"
#include "router.h"
#include "suites.h"

/* ------------------------------------------------------------------ */
/* Fixtures: routes of one listener built from a compact description. */

#define MAX_ROUTES 8

struct rspec {
	const char *name;
	const char *host[6];  /* NULL-terminated */
	unsigned target_port; /* 0: none */
	bool dynamic;
	const char *allow[6]; /* NULL-terminated; none given means ["*"] */
};

struct lsn {
	struct route r[MAX_ROUTES];
	const struct route *p[MAX_ROUTES];
	size_t n;
	struct router rt;
};

static void
strlist_make(struct strlist *l, const char *const *v)
{
	size_t i;

	for (l->n = 0; v[l->n] != NULL; l->n++)
		continue;
	l->v = calloc(l->n > 0 ? l->n : 1, sizeof(*l->v));
	ck_assert_ptr_nonnull(l->v);
	for (i = 0; i < l->n; i++) {
		l->v[i] = strdup(v[i]);
		ck_assert_ptr_nonnull(l->v[i]);
	}
}

static void
strlist_clear(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Build the routes SPEC (ended by a NULL name) and their router. */
static void
lsn_init(struct lsn *l, const struct rspec *spec)
{
	static const char *const star[] = {"*", NULL};
	char err[256];
	size_t i;

	memset(l, 0, sizeof(*l));
	for (i = 0; spec[i].name != NULL; i++) {
		struct route *r = &l->r[i];

		ck_assert_uint_lt(i, MAX_ROUTES);
		r->name = strdup(spec[i].name);
		r->mode = ROUTE_MODE_HTTP;
		r->enabled = true;
		r->target_port = spec[i].target_port;
		r->target_addr =
		    spec[i].target_port != 0 ? strdup("127.0.0.1") : NULL;
		r->dynamic = spec[i].dynamic;
		strlist_make(&r->host, spec[i].host);
		strlist_make(&r->dynamic_allow,
			     spec[i].allow[0] != NULL ? spec[i].allow : star);
		l->p[i] = r;
	}
	l->n = i;
	if (router_init(&l->rt, l->p, l->n, err, sizeof(err)) == -1)
		ck_abort_msg("router_init: %s", err);
}

static void
lsn_free(struct lsn *l)
{
	size_t i;

	router_free(&l->rt);
	for (i = 0; i < l->n; i++) {
		free(l->r[i].name);
		free(l->r[i].target_addr);
		strlist_clear(&l->r[i].host);
		strlist_clear(&l->r[i].dynamic_allow);
	}
}

/* A socket address from an IP literal, for router_allow_check(). */
static void
sockaddr_make(struct addr *a, const char *ip)
{
	memset(a, 0, sizeof(*a));
	if (strchr(ip, ':') != NULL) {
		a->u.in6.sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &a->u.in6.sin6_addr),
				 1);
		a->len = sizeof(a->u.in6);
	} else {
		a->u.in.sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, ip, &a->u.in.sin_addr), 1);
		a->len = sizeof(a->u.in);
	}
}

/* ------------------------------------------------------------------ */
/* Host matching                                                      */

static const struct rspec mixed[] = {
    {.name = "api", .host = {"api.example.com"}, .target_port = 3001},
    {.name = "wild", .host = {"*.example.com"}, .target_port = 3002},
    {.name = "deep", .host = {"*.b.example.com"}, .target_port = 3003},
    {.name = "multi",
     .host = {"www.example.org", "Example.ORG", "::1", "10.0.0.5"},
     .target_port = 3004},
    {.name = "wild2", .host = {"*.example.com"}, .target_port = 3006},
    {.name = "fb", .target_port = 3000, .dynamic = true},
    {.name = "fb2", .target_port = 3007},
    {.name = "late", .host = {"x.b.example.com"}, .target_port = 3005},
    {.name = NULL},
};

static const struct rspec all_hosts[] = {
    {.name = "first", .host = {"a.test"}, .dynamic = true},
    {.name = "second", .host = {"b.test"}, .target_port = 2},
    {.name = NULL},
};

static const struct host_case {
	const struct rspec *lsn;
	const char *host; /* NULL: no Host header */
	int rc;
	const char *route;
	enum router_how how;
	const char *name; /* the routing name found, NULL when none */
} host_cases[] = {
    /* Exact names, ignoring case, port, one trailing dot and blanks. */
    {mixed, "api.example.com", 0, "api", ROUTER_BY_HOST, "api.example.com"},
    {mixed, "API.Example.COM", 0, "api", ROUTER_BY_HOST, "API.Example.COM"},
    {mixed, "api.example.com:8080", 0, "api", ROUTER_BY_HOST,
     "api.example.com"},
    {mixed, "api.example.com.", 0, "api", ROUTER_BY_HOST, "api.example.com"},
    {mixed, "api.example.com.:80", 0, "api", ROUTER_BY_HOST, "api.example.com"},
    {mixed, " api.example.com\t", 0, "api", ROUTER_BY_HOST, "api.example.com"},
    {mixed, "api.example.com:", 0, "api", ROUTER_BY_HOST, "api.example.com"},
    /* Wildcards: one or more labels, never the apex; longest wins. */
    {mixed, "a.example.com", 0, "wild", ROUTER_BY_HOST, "a.example.com"},
    {mixed, "a.c.example.com", 0, "wild", ROUTER_BY_HOST, "a.c.example.com"},
    {mixed, "a.b.example.com", 0, "deep", ROUTER_BY_HOST, "a.b.example.com"},
    {mixed, "A.B.EXAMPLE.COM:1", 0, "deep", ROUTER_BY_HOST, "A.B.EXAMPLE.COM"},
    {mixed, "b.example.com", 0, "wild", ROUTER_BY_HOST, "b.example.com"},
    {mixed, "example.com", 0, "fb", ROUTER_BY_FALLBACK, "example.com"},
    {mixed, "xexample.com", 0, "fb", ROUTER_BY_FALLBACK, "xexample.com"},
    {mixed, "api.example.com.evil", 0, "fb", ROUTER_BY_FALLBACK,
     "api.example.com.evil"},
    /* An exact name beats a longer wildcard, even from a later route. */
    {mixed, "x.b.example.com", 0, "late", ROUTER_BY_HOST, "x.b.example.com"},
    /* A route's host is a list. */
    {mixed, "example.org", 0, "multi", ROUTER_BY_HOST, "example.org"},
    {mixed, "WWW.example.org", 0, "multi", ROUTER_BY_HOST, "WWW.example.org"},
    /* IP literals: IPv6 in brackets, compared as addresses. */
    {mixed, "[::1]", 0, "multi", ROUTER_BY_HOST, "::1"},
    {mixed, "[::1]:80", 0, "multi", ROUTER_BY_HOST, "::1"},
    {mixed, "[0:0::0:1]:8080", 0, "multi", ROUTER_BY_HOST, "0:0::0:1"},
    {mixed, "[::2]", 0, "fb", ROUTER_BY_FALLBACK, "::2"},
    {mixed, "10.0.0.5:80", 0, "multi", ROUTER_BY_HOST, "10.0.0.5"},
    {mixed, "10.0.0.6", 0, "fb", ROUTER_BY_FALLBACK, "10.0.0.6"},
    /* No Host, or an empty one: the fallback (the first without host). */
    {mixed, NULL, 0, "fb", ROUTER_BY_FALLBACK, NULL},
    {mixed, "", 0, "fb", ROUTER_BY_FALLBACK, NULL},
    {mixed, "  ", 0, "fb", ROUTER_BY_FALLBACK, NULL},
    {mixed, "unknown.test", 0, "fb", ROUTER_BY_FALLBACK, "unknown.test"},
    /* Percent-encoding is valid reg-name syntax, compared undecoded. */
    {mixed, "%61pi.example.com", 0, "wild", ROUTER_BY_HOST,
     "%61pi.example.com"},
    /* Every route has a host: the first, marked as such. */
    {all_hosts, "a.test", 0, "first", ROUTER_BY_HOST, "a.test"},
    {all_hosts, "b.test:81", 0, "second", ROUTER_BY_HOST, "b.test"},
    {all_hosts, "c.test", 0, "first", ROUTER_BY_FIRST, "c.test"},
    {all_hosts, NULL, 0, "first", ROUTER_BY_FIRST, NULL},
    /* Invalid Host values (RFC 9110 §7.2) are -1, for a 400. */
    {mixed, "exa mple.com", -1, NULL, 0, NULL},
    {mixed, "a/b", -1, NULL, 0, NULL},
    {mixed, "user@api.example.com", -1, NULL, 0, NULL},
    {mixed, "api.example.com:80x", -1, NULL, 0, NULL},
    {mixed, "api.example.com:80:90", -1, NULL, 0, NULL},
    {mixed, "::1", -1, NULL, 0, NULL},
    {mixed, "[::1", -1, NULL, 0, NULL},
    {mixed, "[zz::1]", -1, NULL, 0, NULL},
    {mixed, "[::1]x", -1, NULL, 0, NULL},
    {mixed, "[10.0.0.5]", -1, NULL, 0, NULL},
    {mixed, ":80", -1, NULL, 0, NULL},
    {mixed, ".", -1, NULL, 0, NULL},
    {mixed, ".a.example.com", -1, NULL, 0, NULL},
    {mixed, "a..example.com", -1, NULL, 0, NULL},
    {mixed, "api.example.com..", -1, NULL, 0, NULL},
    {mixed, "..", -1, NULL, 0, NULL},
    {mixed, "a.example.com%", -1, NULL, 0, NULL},
    {mixed, "a\\b", -1, NULL, 0, NULL},
};

/* router_match_host() follows SPEC §4's precedence, refuses invalid Hosts. */
START_TEST(test_router_match_host_table)
{
	const struct host_case *c = &host_cases[_i];
	struct router_match m;
	struct lsn l;
	int rc;

	lsn_init(&l, c->lsn);
	memset(&m, 0xa5, sizeof(m));
	rc = router_match_host(&l.rt, c->host,
			       c->host != NULL ? strlen(c->host) : 0, &m);
	ck_assert_msg(rc == c->rc, "case %d (%s): rc %d", _i,
		      c->host != NULL ? c->host : "NULL", rc);
	if (rc == 0) {
		ck_assert_msg(strcmp(m.route->name, c->route) == 0,
			      "case %d (%s): route %s, want %s", _i, c->host,
			      m.route->name, c->route);
		ck_assert_ptr_eq(m.route, l.p[m.index]);
		ck_assert_int_eq(m.how, c->how);
		if (c->name == NULL) {
			ck_assert_ptr_null(m.name);
		} else {
			ck_assert_ptr_nonnull(m.name);
			ck_assert_uint_eq(m.namelen, strlen(c->name));
			ck_assert(memcmp(m.name, c->name, m.namelen) == 0);
		}
	}
	lsn_free(&l);
}
END_TEST

/* The Host value has a length: a NUL inside is invalid, not its end. */
START_TEST(test_router_match_host_embedded_nul)
{
	static const char host[] = "api.example.com\0.evil";
	struct router_match m;
	struct lsn l;

	lsn_init(&l, mixed);
	ck_assert_int_eq(router_match_host(&l.rt, host, sizeof(host) - 1, &m),
			 -1);
	ck_assert_int_eq(router_match_host(&l.rt, host, 15, &m), 0);
	ck_assert_str_eq(m.route->name, "api");
	lsn_free(&l);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Query parameters                                                   */

#define H ROUTER_PARAM_HOST
#define P ROUTER_PARAM_PORT
#define S ROUTER_PARAM_SCHEME

static const struct query_case {
	const char *in;
	bool validate;
	int rc;
	const char *out; /* rc 0: the rewritten target */
	unsigned found;
	const char *host; /* validate: expected host, NULL: not checked */
	unsigned port;
	enum router_scheme scheme;
	const char *reason; /* rc -1 */
} query_cases[] = {
    /* No porty parameters: byte for byte, whatever the query holds. */
    {"/p", true, 0, "/p", 0, NULL, 0, 0, NULL},
    {"/p?", true, 0, "/p?", 0, NULL, 0, 0, NULL},
    {"/p?a=1&b=2", true, 0, "/p?a=1&b=2", 0, NULL, 0, 0, NULL},
    {"/p?&&a&=&", true, 0, "/p?&&a&=&", 0, NULL, 0, 0, NULL},
    {"/p?x=%zz&y=%", true, 0, "/p?x=%zz&y=%", 0, NULL, 0, 0, NULL},
    {"*", true, 0, "*", 0, NULL, 0, 0, NULL},
    {"", true, 0, "", 0, NULL, 0, 0, NULL},
    /* Names that only look like porty's are other parameters. */
    {"/p?porty_hostx=1&xporty_host=1&porty_host_=1&porty=1", true, 0,
     "/p?porty_hostx=1&xporty_host=1&porty_host_=1&porty=1", 0, NULL, 0, 0,
     NULL},
    {"/p?PORTY_HOST=h&Porty_Port=1", true, 0, "/p?PORTY_HOST=h&Porty_Port=1", 0,
     NULL, 0, 0, NULL},
    {"/p?porty%5host=h&porty_host%=1&porty+host=h", true, 0,
     "/p?porty%5host=h&porty_host%=1&porty+host=h", 0, NULL, 0, 0, NULL},
    {"/p?porty_host%00=h", true, 0, "/p?porty_host%00=h", 0, NULL, 0, 0, NULL},
    /* The only parameters: the '?' goes too. */
    {"/p?porty_host=h&porty_port=80", true, 0, "/p", H | P, "h", 80, 0, NULL},
    {"/p?porty_port=80&porty_host=h", true, 0, "/p", H | P, "h", 80, 0, NULL},
    {"/?porty_host=h", true, 0, "/", H, "h", 0, 0, NULL},
    /* First, middle and last positions. */
    {"/p?porty_host=h&porty_port=80&a=1", true, 0, "/p?a=1", H | P, "h", 80, 0,
     NULL},
    {"/p?a=1&porty_host=h&b=2&porty_port=80&c=3", true, 0, "/p?a=1&b=2&c=3",
     H | P, "h", 80, 0, NULL},
    {"/p?a=1&porty_host=h&porty_port=80", true, 0, "/p?a=1", H | P, "h", 80, 0,
     NULL},
    {"/p?a=1&b=2&porty_host=h&porty_port=80&porty_scheme=http", true, 0,
     "/p?a=1&b=2", H | P | S, "h", 80, ROUTER_SCHEME_HTTP, NULL},
    /* Repeats: identical (after decoding, host case ignored) are fine. */
    {"/p?porty_host=h&x=1&porty_host=h&porty_port=80&porty_port=80", true, 0,
     "/p?x=1", H | P, "h", 80, 0, NULL},
    {"/p?porty_host=Db.Internal&porty_host=db.INTERNAL&porty_port=1", true, 0,
     "/p", H | P, "Db.Internal", 1, 0, NULL},
    {"/p?porty_port=80&porty_port=080&porty_port=%38%30", true, 0, "/p", P,
     NULL, 80, 0, NULL},
    {"/p?porty_host=a.b&porty_host=a%2Eb&porty_host=%61.b", true, 0, "/p", H,
     "a.b", 0, 0, NULL},
    {"/p?porty_host=[::1]&porty_host=::1", true, 0, "/p", H, "::1", 0, 0, NULL},
    /* Percent-encoded names and values; '+' is not a space. */
    {"/p?porty%5Fhost=a%2Eb&porty%5fport=8%30", true, 0, "/p", H | P, "a.b", 80,
     0, NULL},
    {"/p?%70orty_host=x&porty_%70ort=%31", true, 0, "/p", H | P, "x", 1, 0,
     NULL},
    {"/p?porty_scheme=%68ttp&porty_host=h&porty_port=1", true, 0, "/p",
     H | P | S, "h", 1, ROUTER_SCHEME_HTTP, NULL},
    {"/p?porty_scheme=HTTPS", true, 0, "/p", S, NULL, 0, ROUTER_SCHEME_HTTPS,
     NULL},
    {"/p?porty_host=%5B::1%5D&porty_port=1", true, 0, "/p", H | P, "::1", 1, 0,
     NULL},
    {"/p?porty_host=%5b%3a%3a1%5d", true, 0, "/p", H, "::1", 0, 0, NULL},
    {"/p?porty_host=10.0.0.1", true, 0, "/p", H, "10.0.0.1", 0, 0, NULL},
    {"/p?porty_host=localhost.", true, 0, "/p", H, "localhost.", 0, 0, NULL},
    {"/p?porty_host=my_svc-1.internal", true, 0, "/p", H, "my_svc-1.internal",
     0, 0, NULL},
    {"/p?porty_host=a.0xg", true, 0, "/p", H, "a.0xg", 0, 0, NULL},
    {"/p?porty_host=3com.example", true, 0, "/p", H, "3com.example", 0, 0,
     NULL},
    {"/p?porty_port=65535&porty_port=00065535", true, 0, "/p", P, NULL, 65535,
     0, NULL},
    /* Other parameters keep their bytes: encoding, '+', empty values. */
    {"/p?q=a%20b+c&porty_host=h&porty_port=1&r=%2F%2f", true, 0,
     "/p?q=a%20b+c&r=%2F%2f", H | P, "h", 1, 0, NULL},
    {"/p?a=&porty_host=h&porty_port=1&b", true, 0, "/p?a=&b", H | P, "h", 1, 0,
     NULL},
    {"/p?x=a=b&porty_host=h&porty_port=1&y==", true, 0, "/p?x=a=b&y==", H | P,
     "h", 1, 0, NULL},
    {"/p?x=%zz&porty_host=h&porty_port=1&y=%", true, 0, "/p?x=%zz&y=%", H | P,
     "h", 1, 0, NULL},
    {"/p?a=1;porty_host=h", true, 0, "/p?a=1;porty_host=h", 0, NULL, 0, 0,
     NULL},
    /* Empty parameters ('&&', trailing '&') are kept beside others... */
    {"/p?a=1&&porty_host=h&porty_port=1&&b=2", true, 0, "/p?a=1&&&b=2", H | P,
     "h", 1, 0, NULL},
    {"/p?a=1&porty_host=h&porty_port=1&", true, 0, "/p?a=1&", H | P, "h", 1, 0,
     NULL},
    {"/p?porty_host=h&&a=1", true, 0, "/p?&a=1", H, "h", 0, 0, NULL},
    /* ...but alone they make the query empty, so the '?' goes. */
    {"/p?&porty_host=h&porty_port=1&", true, 0, "/p", H | P, "h", 1, 0, NULL},
    {"/p?&&porty_host=h&&", true, 0, "/p", H, "h", 0, 0, NULL},
    /* A fragment is kept as it is, and a '?' inside it is not a query. */
    {"/p?porty_host=h&porty_port=1#frag", true, 0, "/p#frag", H | P, "h", 1, 0,
     NULL},
    {"/p?a=1&porty_host=h#f?porty_port=x&porty_host=z", true, 0,
     "/p?a=1#f?porty_port=x&porty_host=z", H, "h", 0, 0, NULL},
    {"/p#f?porty_host=h&porty_port=1", true, 0,
     "/p#f?porty_host=h&porty_port=1", 0, NULL, 0, 0, NULL},
    {"/p?porty_host=h#", true, 0, "/p#", H, "h", 0, 0, NULL},
    /* Absolute form: the query is still what follows the first '?'. */
    {"http://h.example/p?porty_host=a&porty_port=1&z=1", true, 0,
     "http://h.example/p?z=1", H | P, "a", 1, 0, NULL},
    {"http://h.example?porty_host=a&porty_port=1", true, 0, "http://h.example",
     H | P, "a", 1, 0, NULL},
    /* Bad ports. */
    {"/p?porty_port=0", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    {"/p?porty_port=65536", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    {"/p?porty_port=abc", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    {"/p?porty_port=", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    {"/p?porty_port", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    {"/p?porty_port=-1", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    {"/p?porty_port=+80", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    {"/p?porty_port=%2080", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    {"/p?porty_port=80.0", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    {"/p?porty_port=99999999999999999999999", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    {"/p?porty_port=%3", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid percent-encoding in porty_port parameter"},
    {"/p?porty_port=80%", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid percent-encoding in porty_port parameter"},
    /* Bad hosts: empty, badly encoded, not a name or IP literal. */
    {"/p?porty_host=", true, -1, NULL, 0, NULL, 0, 0,
     "Empty porty_host parameter"},
    {"/p?porty_host", true, -1, NULL, 0, NULL, 0, 0,
     "Empty porty_host parameter"},
    {"/p?porty_host=a%zz", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid percent-encoding in porty_host parameter"},
    {"/p?porty_host=%", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid percent-encoding in porty_host parameter"},
    {"/p?porty_host=evil.com%00.internal", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=::1%00x", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=a/b", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=a%2Fb", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=user@host", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=host:80", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=a+b", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=a%20b", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=a..b", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=.a", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=.", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=127.1", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=2130706433", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=0x7f000001", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=0x7f.0.0.1", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=10.0.0.256", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=10.0.0.1.", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=[::1", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=[10.0.0.1]", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=[]", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=fe80::1%25eth0", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host=a:b", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    {"/p?porty_host="
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "com",
     true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_host parameter (not a host name or IP address)"},
    /* Conflicting repeats. */
    {"/p?porty_host=a&porty_host=b", true, -1, NULL, 0, NULL, 0, 0,
     "Conflicting porty_host parameters"},
    {"/p?porty_host=a.b&porty_host=a.b.", true, -1, NULL, 0, NULL, 0, 0,
     "Conflicting porty_host parameters"},
    {"/p?porty_port=80&x=1&porty_port=81", true, -1, NULL, 0, NULL, 0, 0,
     "Conflicting porty_port parameters"},
    {"/p?porty_scheme=http&porty_scheme=https", true, -1, NULL, 0, NULL, 0, 0,
     "Conflicting porty_scheme parameters"},
    /* Schemes other than http and https. */
    {"/p?porty_scheme=ftp", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_scheme parameter (not http or https)"},
    {"/p?porty_scheme=", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_scheme parameter (not http or https)"},
    {"/p?porty_scheme=httpss", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_scheme parameter (not http or https)"},
    {"/p?porty_scheme=%zz", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid percent-encoding in porty_scheme parameter"},
    /* The first problem in query order is the one reported. */
    {"/p?porty_port=0&porty_host=", true, -1, NULL, 0, NULL, 0, 0,
     "Invalid porty_port parameter (not 1-65535)"},
    /* Without validation values are not read and nothing fails. */
    {"/p?porty_host=&porty_port=0&a=1&porty_scheme=ftp", false, 0, "/p?a=1",
     H | P | S, NULL, 0, 0, NULL},
    {"/p?porty_port=abc&porty_host=a&porty_host=b", false, 0, "/p", H | P, NULL,
     0, 0, NULL},
    {"/p?a=1", false, 0, "/p?a=1", 0, NULL, 0, 0, NULL},
};

#undef H
#undef P
#undef S

/* Check one query case, with OUT a separate buffer or the target itself. */
static void
query_case_run(const struct query_case *c, bool in_place, int i)
{
	struct router_target t;
	char buf[512], out[512];
	const char *reason = NULL;
	size_t len = strlen(c->in), n = 12345;
	char *dst = in_place ? buf : out;
	int rc;

	memcpy(buf, c->in, len);
	memset(out, '!', sizeof(out));
	rc = router_query_parse(buf, len, c->validate, &t, dst, sizeof(out), &n,
				&reason);
	ck_assert_msg(rc == c->rc, "case %d (%s): rc %d (%s)", i, c->in, rc,
		      reason != NULL ? reason : "");
	if (rc == -1) {
		ck_assert_str_eq(reason, c->reason);
		ck_assert_uint_eq(n, 12345);
		/* Nothing written: an in-place target stays intact. */
		ck_assert(memcmp(buf, c->in, len) == 0);
		return;
	}
	ck_assert_msg(n == strlen(c->out) && memcmp(dst, c->out, n) == 0,
		      "case %d (%s): got \"%.*s\", want \"%s\"", i, c->in,
		      (int)n, dst, c->out);
	ck_assert_uint_eq(t.found, c->found);
	if (!c->validate)
		return;
	if (c->host != NULL) {
		ck_assert_str_eq(t.host, c->host);
		ck_assert_uint_eq(t.hostlen, strlen(c->host));
	}
	ck_assert_uint_eq(t.port, c->port);
	ck_assert_int_eq(t.scheme, c->scheme);
}

/* router_query_parse() checks and removes porty parameters, keeps the rest. */
START_TEST(test_router_query_parse_table)
{
	query_case_run(&query_cases[_i], false, _i);
}
END_TEST

/* The same cases give the same results when OUT is the target itself. */
START_TEST(test_router_query_parse_in_place)
{
	query_case_run(&query_cases[_i], true, _i);
}
END_TEST

/* A porty_host IP literal becomes an address with the port, mapped as IPv4. */
START_TEST(test_router_query_parse_literal)
{
	struct router_target t;
	const char *reason;
	char out[128];
	size_t n;
	static const char v4[] = "/?porty_host=10.1.2.3&porty_port=8080";
	static const char v6[] = "/?porty_port=443&porty_host=%5Bfd00::1%5D";
	static const char map[] = "/?porty_host=::ffff:10.1.2.3&porty_port=80";
	static const char name[] = "/?porty_host=db&porty_port=80";
	unsigned char want6[16];

	ck_assert_int_eq(router_query_parse(v4, strlen(v4), true, &t, out,
					    sizeof(out), &n, &reason),
			 0);
	ck_assert(t.literal);
	ck_assert_int_eq(t.addr.u.sa.sa_family, AF_INET);
	ck_assert_uint_eq(t.addr.len, sizeof(struct sockaddr_in));
	ck_assert_uint_eq(ntohl(t.addr.u.in.sin_addr.s_addr), 0x0a010203);
	ck_assert_uint_eq(ntohs(t.addr.u.in.sin_port), 8080);

	ck_assert_int_eq(router_query_parse(v6, strlen(v6), true, &t, out,
					    sizeof(out), &n, &reason),
			 0);
	ck_assert(t.literal);
	ck_assert_str_eq(t.host, "fd00::1");
	ck_assert_int_eq(t.addr.u.sa.sa_family, AF_INET6);
	ck_assert_uint_eq(t.addr.len, sizeof(struct sockaddr_in6));
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00::1", want6), 1);
	ck_assert(memcmp(&t.addr.u.in6.sin6_addr, want6, 16) == 0);
	ck_assert_uint_eq(ntohs(t.addr.u.in6.sin6_port), 443);

	ck_assert_int_eq(router_query_parse(map, strlen(map), true, &t, out,
					    sizeof(out), &n, &reason),
			 0);
	ck_assert(t.literal);
	ck_assert_str_eq(t.host, "::ffff:10.1.2.3");
	ck_assert_int_eq(t.addr.u.sa.sa_family, AF_INET);
	ck_assert_uint_eq(ntohl(t.addr.u.in.sin_addr.s_addr), 0x0a010203);
	ck_assert_uint_eq(ntohs(t.addr.u.in.sin_port), 80);

	ck_assert_int_eq(router_query_parse(name, strlen(name), true, &t, out,
					    sizeof(out), &n, &reason),
			 0);
	ck_assert(!t.literal);
	ck_assert_int_eq(t.addr.u.sa.sa_family, AF_UNSPEC);
}
END_TEST

/* A 253-byte name (plus a trailing dot) fits; one more byte does not. */
START_TEST(test_router_query_parse_long_host)
{
	char target[700], out[700], name[300];
	struct router_target t;
	const char *reason;
	size_t i, n;

	/* Labels of 63 bytes (and a last one of 61): 253 bytes, the DNS limit.
	 */
	for (i = 0; i < 253; i++)
		name[i] = (i % 64 == 63) ? '.' : 'a';
	name[253] = '\0';
	snprintf(target, sizeof(target), "/?porty_host=%s.", name);
	ck_assert_int_eq(router_query_parse(target, strlen(target), true, &t,
					    out, sizeof(out), &n, &reason),
			 0);
	ck_assert_uint_eq(t.hostlen, 254);
	snprintf(target, sizeof(target), "/?porty_host=%sa", name);
	ck_assert_int_eq(router_query_parse(target, strlen(target), true, &t,
					    out, sizeof(out), &n, &reason),
			 -1);
	ck_assert_str_eq(
	    reason,
	    "Invalid porty_host parameter (not a host name or IP address)");
	snprintf(target, sizeof(target), "/?porty_host=%s%s", name, name);
	ck_assert_int_eq(router_query_parse(target, strlen(target), true, &t,
					    out, sizeof(out), &n, &reason),
			 -1);
	ck_assert_str_eq(reason, "Invalid porty_host parameter (too long)");
}
END_TEST

/* ------------------------------------------------------------------ */
/* dynamic_allow                                                      */

static const struct allow_case {
	const char *allow[6]; /* NULL-terminated */
	const char *name;
	const char *addr; /* the resolved address */
	unsigned port;
	enum router_verdict want;
} allow_cases[] = {
    /* "*" admits every name and its (non-link-local) addresses. */
    {{"*"}, "example.com", "93.184.216.34", 80, ROUTER_ALLOW},
    {{"*"}, "example.com", "2606:2800:220:1::1", 443, ROUTER_ALLOW},
    {{"*"}, "10.0.0.1", "10.0.0.1", 80, ROUTER_ALLOW},
    {{"*"}, "localhost", "127.0.0.1", 1, ROUTER_ALLOW},
    /* ...but never a link-local address, IPv4, IPv6 or IPv4-mapped. */
    {{"*"}, "metadata.test", "169.254.169.254", 80, ROUTER_DENY_LINK_LOCAL},
    {{"*"}, "169.254.169.254", "169.254.169.254", 80, ROUTER_DENY_LINK_LOCAL},
    {{"*"}, "x", "169.254.0.0", 80, ROUTER_DENY_LINK_LOCAL},
    {{"*"}, "x", "169.254.255.255", 80, ROUTER_DENY_LINK_LOCAL},
    {{"*"}, "x", "169.253.255.255", 80, ROUTER_ALLOW},
    {{"*"}, "x", "169.255.0.0", 80, ROUTER_ALLOW},
    {{"*"}, "x", "fe80::1", 80, ROUTER_DENY_LINK_LOCAL},
    {{"*"}, "x", "febf:ffff::1", 80, ROUTER_DENY_LINK_LOCAL},
    {{"*"}, "x", "fec0::1", 80, ROUTER_ALLOW},
    {{"*"}, "x", "fe7f::1", 80, ROUTER_ALLOW},
    {{"*"}, "x", "::ffff:169.254.1.1", 80, ROUTER_DENY_LINK_LOCAL},
    {{"*.internal"}, "a.internal", "169.254.1.1", 80, ROUTER_DENY_LINK_LOCAL},
    {{"metadata"}, "metadata", "169.254.169.254", 80, ROUTER_DENY_LINK_LOCAL},
    /* An IP or CIDR pattern that matches a link-local address names it. */
    {{"*", "169.254.169.254"}, "x", "169.254.169.254", 80, ROUTER_ALLOW},
    {{"*", "169.254.0.0/16"}, "x", "169.254.3.4", 80, ROUTER_ALLOW},
    {{"169.254.0.0/16"}, "x", "::ffff:169.254.3.4", 80, ROUTER_ALLOW},
    {{"*", "fe80::/10"}, "x", "fe80::1", 80, ROUTER_ALLOW},
    {{"0.0.0.0/0"}, "x", "169.254.1.1", 80, ROUTER_ALLOW},
    {{"*", "169.254.169.254"},
     "x",
     "169.254.169.253",
     80,
     ROUTER_DENY_LINK_LOCAL},
    /* ...with its port. */
    {{"*", "169.254.0.0/16:80"}, "x", "169.254.1.1", 80, ROUTER_ALLOW},
    {{"*", "169.254.0.0/16:80"},
     "x",
     "169.254.1.1",
     81,
     ROUTER_DENY_LINK_LOCAL},
    {{"*", "[fe80::/10]:8080"}, "x", "fe80::1", 8080, ROUTER_ALLOW},
    {{"*", "[fe80::/10]:8080"}, "x", "fe80::1", 80, ROUTER_DENY_LINK_LOCAL},
    /* Name patterns: exact names and "*." suffixes, case and dot ignored. */
    {{"api.example.com"}, "api.example.com", "1.2.3.4", 80, ROUTER_ALLOW},
    {{"api.example.com"}, "API.Example.com.", "1.2.3.4", 80, ROUTER_ALLOW},
    {{"API.EXAMPLE.COM"}, "api.example.com", "1.2.3.4", 80, ROUTER_ALLOW},
    {{"api.example.com"}, "x.api.example.com", "1.2.3.4", 80, ROUTER_DENY},
    {{"api.example.com"}, "api.example.co", "1.2.3.4", 80, ROUTER_DENY},
    {{"*.internal"}, "db.internal", "10.0.0.1", 5432, ROUTER_ALLOW},
    {{"*.internal"}, "a.b.internal", "10.0.0.1", 80, ROUTER_ALLOW},
    {{"*.internal"}, "DB.Internal.", "10.0.0.1", 80, ROUTER_ALLOW},
    {{"*.internal"}, "internal", "10.0.0.1", 80, ROUTER_DENY},
    {{"*.internal"}, "xinternal", "10.0.0.1", 80, ROUTER_DENY},
    {{"*.internal"}, "db.internal.evil.com", "10.0.0.1", 80, ROUTER_DENY},
    {{"*.internal"}, "10.0.0.1", "10.0.0.1", 80, ROUTER_DENY},
    /* Ports and ranges on name patterns. */
    {{"*:80"}, "x", "1.2.3.4", 80, ROUTER_ALLOW},
    {{"*:80"}, "x", "1.2.3.4", 8080, ROUTER_DENY},
    {{"localhost:3000-3999"}, "localhost", "127.0.0.1", 3000, ROUTER_ALLOW},
    {{"localhost:3000-3999"}, "localhost", "127.0.0.1", 3999, ROUTER_ALLOW},
    {{"localhost:3000-3999"}, "localhost", "127.0.0.1", 2999, ROUTER_DENY},
    {{"localhost:3000-3999"}, "localhost", "127.0.0.1", 4000, ROUTER_DENY},
    {{"*.internal:8000-8999", "*.internal:443"},
     "a.internal",
     "10.0.0.1",
     443,
     ROUTER_ALLOW},
    /* IPv4 literals and CIDRs match the resolved address, any name. */
    {{"10.1.2.3"}, "whatever.example", "10.1.2.3", 80, ROUTER_ALLOW},
    {{"10.1.2.3"}, "x", "10.1.2.4", 80, ROUTER_DENY},
    {{"10.1.2.3:443"}, "x", "10.1.2.3", 443, ROUTER_ALLOW},
    {{"10.1.2.3:443"}, "x", "10.1.2.3", 80, ROUTER_DENY},
    {{"10.0.0.0/8"}, "evil.com", "10.255.0.1", 80, ROUTER_ALLOW},
    {{"10.0.0.0/8"}, "x", "11.0.0.1", 80, ROUTER_DENY},
    {{"10.1.2.3/8"}, "x", "10.9.9.9", 80, ROUTER_ALLOW},
    {{"192.168.1.0/28"}, "x", "192.168.1.15", 80, ROUTER_ALLOW},
    {{"192.168.1.0/28"}, "x", "192.168.1.16", 80, ROUTER_DENY},
    {{"0.0.0.0/0"}, "x", "8.8.8.8", 80, ROUTER_ALLOW},
    {{"0.0.0.0/0"}, "x", "::1", 80, ROUTER_DENY},
    {{"10.0.0.0/8", "*.internal"}, "evil.com", "10.0.0.1", 80, ROUTER_ALLOW},
    {{"10.0.0.0/8", "*.internal"}, "a.internal", "8.8.8.8", 80, ROUTER_ALLOW},
    {{"10.0.0.0/8:5432"}, "x", "10.0.0.1", 5433, ROUTER_DENY},
    /* IPv4-mapped addresses are IPv4, and so are mapped patterns. */
    {{"10.0.0.0/8"}, "x", "::ffff:10.1.2.3", 80, ROUTER_ALLOW},
    {{"::ffff:10.0.0.0/104"}, "x", "10.1.2.3", 80, ROUTER_ALLOW},
    {{"::ffff:10.1.2.3"}, "x", "::ffff:10.1.2.3", 80, ROUTER_ALLOW},
    {{"[::ffff:10.0.0.0/104]:80"}, "x", "10.1.2.3", 80, ROUTER_ALLOW},
    {{"::/0"}, "x", "::ffff:10.0.0.1", 80, ROUTER_DENY},
    /* IPv6 literals and CIDRs, bare or in brackets with a port. */
    {{"::1"}, "x", "::1", 80, ROUTER_ALLOW},
    {{"::1"}, "x", "::2", 80, ROUTER_DENY},
    {{"[::1]:8080"}, "x", "::1", 8080, ROUTER_ALLOW},
    {{"[::1]:8080"}, "x", "::1", 80, ROUTER_DENY},
    {{"[::1]"}, "x", "0:0::1", 80, ROUTER_ALLOW},
    {{"fd00::/8"}, "x", "fd12:3456::1", 80, ROUTER_ALLOW},
    {{"fd00::/8"}, "x", "fe00::1", 80, ROUTER_DENY},
    {{"[fd00::/8]:80-90"}, "x", "fd00::1", 85, ROUTER_ALLOW},
    {{"[fd00::/8]:80-90"}, "x", "fd00::1", 91, ROUTER_DENY},
    {{"2001:db8::/33"}, "x", "2001:db8:7fff::1", 80, ROUTER_ALLOW},
    {{"2001:db8::/33"}, "x", "2001:db8:8000::", 80, ROUTER_DENY},
    {{"::/0"}, "x", "2001:db8::1", 80, ROUTER_ALLOW},
    {{"::/0"}, "x", "10.0.0.1", 80, ROUTER_DENY},
    /* An empty list admits nothing. */
    {{NULL}, "x", "10.0.0.1", 80, ROUTER_DENY},
};

/* router_allow_check() applies names, addresses, ports and link-local. */
START_TEST(test_router_allow_check_table)
{
	const struct allow_case *c = &allow_cases[_i];
	struct router_allow a;
	struct strlist l;
	struct addr sa;
	char err[256];
	enum router_verdict v;

	strlist_make(&l, c->allow);
	if (router_allow_compile(&l, &a, err, sizeof(err)) == -1)
		ck_abort_msg("case %d: %s", _i, err);
	sockaddr_make(&sa, c->addr);
	v = router_allow_check(&a, c->name, &sa.u.sa, c->port);
	ck_assert_msg(v == c->want, "case %d (%s %s:%u): verdict %d, want %d",
		      _i, c->name, c->addr, c->port, v, c->want);
	/* Whatever the address decides, the pre-check never refuses it. */
	if (v == ROUTER_ALLOW)
		ck_assert(router_allow_may_admit(&a, c->name, c->port));
	router_allow_free(&a);
	ck_assert_ptr_null(a.rule);
	ck_assert_uint_eq(a.n, 0);
	strlist_clear(&l);
}
END_TEST

/* Families other than AF_INET and AF_INET6 are never admitted. */
START_TEST(test_router_allow_check_other_family)
{
	static const char *const star[] = {"*", "0.0.0.0/0", "::/0", NULL};
	struct router_allow a;
	struct sockaddr_storage ss;
	struct strlist l;
	char err[256];

	strlist_make(&l, star);
	ck_assert_int_eq(router_allow_compile(&l, &a, err, sizeof(err)), 0);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	ck_assert_int_eq(
	    router_allow_check(&a, "x", (struct sockaddr *)&ss, 80),
	    ROUTER_DENY);
	router_allow_free(&a);
	strlist_clear(&l);
}
END_TEST

static const struct admit_case {
	const char *allow[6];
	const char *name;
	unsigned port;
	bool want;
} admit_cases[] = {
    /* A name pattern decides by name. */
    {{"*.internal"}, "a.internal", 80, true},
    {{"*.internal"}, "evil.com", 80, false},
    {{"*"}, "anything", 1, true},
    {{"*:80"}, "x", 81, false},
    /* An address pattern for the port might admit any name's address. */
    {{"*.internal", "10.0.0.0/8"}, "evil.com", 80, true},
    {{"*.internal", "10.0.0.0/8:5432"}, "evil.com", 80, false},
    {{"*.internal", "10.0.0.0/8:5432"}, "evil.com", 5432, true},
    {{"[fd00::/8]:80-90"}, "evil.com", 90, true},
    {{"[fd00::/8]:80-90"}, "evil.com", 443, false},
    /* An empty list admits nothing. */
    {{NULL}, "x", 80, false},
};

/* router_allow_may_admit() refuses by name only when no address could pass. */
START_TEST(test_router_allow_may_admit_table)
{
	const struct admit_case *c = &admit_cases[_i];
	struct router_allow a;
	struct strlist l;
	char err[256];

	strlist_make(&l, c->allow);
	ck_assert_int_eq(router_allow_compile(&l, &a, err, sizeof(err)), 0);
	ck_assert_msg(router_allow_may_admit(&a, c->name, c->port) == c->want,
		      "case %d (%s:%u)", _i, c->name, c->port);
	router_allow_free(&a);
	strlist_clear(&l);
}
END_TEST

/* How config.c today compares with router on a pattern. */
enum config_view {
	CONFIG_SAME = 0, /* config.c accepts exactly when router does */
	CONFIG_LAXER,    /* config.c accepts it; router refuses (documented) */
	CONFIG_STRICTER, /* config.c refuses it; router accepts (documented) */
};

static const struct pattern_case {
	const char *pattern;
	const char *err; /* NULL: accepted; else the error text */
	enum config_view config;
} allow_patterns[] = {
    {"*", NULL, CONFIG_SAME},
    {"*.internal", NULL, CONFIG_SAME},
    {"api.example.com", NULL, CONFIG_SAME},
    {"API.Example.COM", NULL, CONFIG_SAME},
    {"a_b-c.d", NULL, CONFIG_SAME},
    {"localhost", NULL, CONFIG_SAME},
    {"localhost:3000-3999", NULL, CONFIG_SAME},
    {"*:80", NULL, CONFIG_SAME},
    {"*.internal:8000-8999", NULL, CONFIG_SAME},
    {"x:1-65535", NULL, CONFIG_SAME},
    {"x:80-80", NULL, CONFIG_SAME},
    {"x:0000080", NULL, CONFIG_SAME},
    {"10.0.0.1", NULL, CONFIG_SAME},
    {"10.0.0.1:80", NULL, CONFIG_SAME},
    {"10.0.0.0/8", NULL, CONFIG_SAME},
    {"10.0.0.0/8:80", NULL, CONFIG_SAME},
    {"10.1.2.3/08", NULL, CONFIG_SAME},
    {"0.0.0.0/0", NULL, CONFIG_SAME},
    {"::1", NULL, CONFIG_SAME},
    {"::", NULL, CONFIG_SAME},
    {"fe80::/10", NULL, CONFIG_SAME},
    {"::ffff:10.0.0.0/104", NULL, CONFIG_SAME},
    {"[::1]", NULL, CONFIG_SAME},
    {"[::1]:8080", NULL, CONFIG_SAME},
    {"[fd00::/8]:80-90", NULL, CONFIG_SAME},
    {"[::ffff:10.0.0.1]:80", NULL, CONFIG_STRICTER},
    {"", "\"\": not a host name, \"*.\" wildcard, IP address or CIDR",
     CONFIG_SAME},
    {"*.", "\"*.\": not a host name, \"*.\" wildcard, IP address or CIDR",
     CONFIG_SAME},
    {"*.*.a", "\"*.*.a\": not a host name after \"*.\"", CONFIG_SAME},
    {"**", "\"**\": not a host name, \"*.\" wildcard, IP address or CIDR",
     CONFIG_SAME},
    {"api*.x",
     "\"api*.x\": not a host name, \"*.\" wildcard, IP address or CIDR",
     CONFIG_SAME},
    {"a..b", "\"a..b\": not a host name, \"*.\" wildcard, IP address or CIDR",
     CONFIG_SAME},
    {".a", "\".a\": not a host name, \"*.\" wildcard, IP address or CIDR",
     CONFIG_SAME},
    {"a.", "\"a.\": not a host name, \"*.\" wildcard, IP address or CIDR",
     CONFIG_SAME},
    {"a b", "\"a b\": not a host name, \"*.\" wildcard, IP address or CIDR",
     CONFIG_SAME},
    {"host/8", "\"host/8\": not an IP address", CONFIG_SAME},
    {"10.0.0.0/33", "\"10.0.0.0/33\": CIDR prefix is not 0-32", CONFIG_SAME},
    {"10.0.0.0/", "\"10.0.0.0/\": CIDR prefix is not 0-32", CONFIG_SAME},
    {"10.0.0.0/-1", "\"10.0.0.0/-1\": CIDR prefix is not 0-32", CONFIG_SAME},
    {"10.0.0.0/8/8", "\"10.0.0.0/8/8\": CIDR prefix is not 0-32", CONFIG_SAME},
    {"::/129", "\"::/129\": CIDR prefix is not 0-128", CONFIG_SAME},
    {"[::/129]:80", "\"[::/129]:80\": CIDR prefix is not 0-128", CONFIG_SAME},
    {"zz::/64",
     "\"zz::/64\": not an IPv6 address (with a port, write "
     "[addr]:port)",
     CONFIG_SAME},
    {"[10.0.0.1]", "\"[10.0.0.1]\": brackets must hold an IPv6 address or CIDR",
     CONFIG_SAME},
    {"[::1", "\"[::1\": '[' without ']'", CONFIG_SAME},
    {"[::1]80", "\"[::1]80\": expected :port or :lo-hi after ']'", CONFIG_SAME},
    {"[::1]:", "\"[::1]:\": port is not 1-65535", CONFIG_SAME},
    {"[zz::1]:80", "\"[zz::1]:80\": brackets must hold an IPv6 address or CIDR",
     CONFIG_SAME},
    {"x:0", "\"x:0\": port is not 1-65535", CONFIG_SAME},
    {"x:65536", "\"x:65536\": port is not 1-65535", CONFIG_SAME},
    {"x:http", "\"x:http\": port is not 1-65535", CONFIG_SAME},
    {"x:", "\"x:\": port is not 1-65535", CONFIG_SAME},
    {"x:90-80",
     "\"x:90-80\": port range is not lo-hi with 1 <= lo <= hi <= 65535",
     CONFIG_SAME},
    {"x:-80", "\"x:-80\": port range is not lo-hi with 1 <= lo <= hi <= 65535",
     CONFIG_SAME},
    {"x:80-", "\"x:80-\": port range is not lo-hi with 1 <= lo <= hi <= 65535",
     CONFIG_SAME},
    {"x:0-80",
     "\"x:0-80\": port range is not lo-hi with 1 <= lo <= hi <= 65535",
     CONFIG_SAME},
    {"x:1-2-3",
     "\"x:1-2-3\": port range is not lo-hi with 1 <= lo <= hi <= 65535",
     CONFIG_SAME},
    {"x:00000001-2",
     "\"x:00000001-2\": port range is not lo-hi with 1 <= lo <= hi <= 65535",
     CONFIG_SAME},
    {":80", "\":80\": not a host name, \"*.\" wildcard, IP address or CIDR",
     CONFIG_SAME},
    {"a:b:c", "\"a:b:c\": not an IPv6 address (with a port, write [addr]:port)",
     CONFIG_SAME},
    {"1.2.3", "\"1.2.3\": ends in a number but is not an IPv4 address",
     CONFIG_LAXER},
    {"10.0.0.256",
     "\"10.0.0.256\": ends in a number but is not an IPv4 address",
     CONFIG_LAXER},
    {"2130706433",
     "\"2130706433\": ends in a number but is not an IPv4 address",
     CONFIG_LAXER},
};

/* Whether config.c accepts PATTERN as a dynamic_allow (or host) entry. */
static bool
config_accepts(const char *key, const char *pattern)
{
	char text[512];
	struct config_errors errs = {NULL, 0};
	struct config *cfg;
	bool ok;

	snprintf(
	    text, sizeof(text),
	    "[[routes]]\nname = \"a\"\nmode = \"http\"\nlisten_port = 1\n"
	    "target_addr = \"127.0.0.1\"\ntarget_port = 2\n%s = [\"%s\"]\n",
	    key, pattern);
	cfg = config_load_string(text, strlen(text), "t.toml", NULL, &errs);
	ok = cfg != NULL;
	config_free(cfg);
	config_errors_clear(&errs);
	return ok;
}

/* router_allow_pattern_check() takes config.c's syntax, names the problem. */
START_TEST(test_router_allow_pattern_check_table)
{
	const struct pattern_case *c = &allow_patterns[_i];
	char err[256] = "";
	int rc = router_allow_pattern_check(c->pattern, err, sizeof(err));

	ck_assert_msg(rc == (c->err == NULL ? 0 : -1), "case %d (%s): %s", _i,
		      c->pattern, err);
	if (c->err != NULL)
		ck_assert_str_eq(err, c->err);
	if (c->config != CONFIG_SAME)
		return;
	ck_assert_msg(config_accepts("dynamic_allow", c->pattern) == (rc == 0),
		      "case %d (%s): config.c disagrees", _i, c->pattern);
}
END_TEST

static const struct pattern_case host_patterns[] = {
    {"example.com", NULL, CONFIG_SAME},
    {"EXAMPLE.com", NULL, CONFIG_SAME},
    {"*.example.com", NULL, CONFIG_SAME},
    {"a_b", NULL, CONFIG_SAME},
    {"localhost", NULL, CONFIG_SAME},
    {"10.0.0.1", NULL, CONFIG_SAME},
    {"::1", NULL, CONFIG_SAME},
    {"::ffff:10.0.0.1", NULL, CONFIG_SAME},
    {"*",
     "\"*\": \"*\" would match every host: a route without host is the "
     "fallback",
     CONFIG_SAME},
    {"", "\"\": not a host name, \"*.\" wildcard or IP address", CONFIG_SAME},
    {"*.", "\"*.\": not a host name, \"*.\" wildcard or IP address",
     CONFIG_SAME},
    {"*.*.a", "\"*.*.a\": not a host name after \"*.\"", CONFIG_SAME},
    {"a..b", "\"a..b\": not a host name, \"*.\" wildcard or IP address",
     CONFIG_SAME},
    {"a.", "\"a.\": not a host name, \"*.\" wildcard or IP address",
     CONFIG_SAME},
    {"exa mple", "\"exa mple\": not a host name, \"*.\" wildcard or IP address",
     CONFIG_SAME},
    {"[::1]",
     "\"[::1]\": not an IPv6 address (write it without brackets or port)",
     CONFIG_SAME},
    {"example.com:80",
     "\"example.com:80\": not an IPv6 address (write it without brackets or "
     "port)",
     CONFIG_SAME},
    {"::1/128",
     "\"::1/128\": not an IPv6 address (write it without brackets or port)",
     CONFIG_SAME},
    {"10.0.0.0/8",
     "\"10.0.0.0/8\": not a host name, \"*.\" wildcard or IP address",
     CONFIG_SAME},
    {"1.2.3", "\"1.2.3\": ends in a number but is not an IPv4 address",
     CONFIG_LAXER},
    {"10.0.0.256",
     "\"10.0.0.256\": ends in a number but is not an IPv4 address",
     CONFIG_LAXER},
};

/* router_host_pattern_check() takes config.c's syntax, names the problem. */
START_TEST(test_router_host_pattern_check_table)
{
	const struct pattern_case *c = &host_patterns[_i];
	char err[256] = "";
	int rc = router_host_pattern_check(c->pattern, err, sizeof(err));

	ck_assert_msg(rc == (c->err == NULL ? 0 : -1), "case %d (%s): %s", _i,
		      c->pattern, err);
	if (c->err != NULL)
		ck_assert_str_eq(err, c->err);
	if (c->config != CONFIG_SAME)
		return;
	ck_assert_msg(config_accepts("host", c->pattern) == (rc == 0),
		      "case %d (%s): config.c disagrees", _i, c->pattern);
}
END_TEST

/* A pattern with control bytes (TOML escapes) is quoted printable only. */
START_TEST(test_router_allow_pattern_check_sanitised)
{
	char err[256];

	ck_assert_int_eq(
	    router_allow_pattern_check("a\x1b[2Jb", err, sizeof(err)), -1);
	ck_assert_str_eq(
	    err,
	    "\"a?[2Jb\": not a host name, \"*.\" wildcard, IP address or CIDR");
}
END_TEST

/* ------------------------------------------------------------------ */
/* router_init                                                        */

/* router_init() names the route and bad entry, and leaves nothing allocated. */
START_TEST(test_router_init_errors)
{
	static const char *const bad_host[] = {"ok.test", "a..b", NULL};
	static const char *const bad_allow[] = {"*", "10.0.0.0/33", NULL};
	static const char *const good[] = {"x.test", NULL};
	static const char *const star[] = {"*", NULL};
	struct route r[2];
	const struct route *p[2] = {&r[0], &r[1]};
	struct router rt;
	char err[256];

	memset(r, 0, sizeof(r));
	r[0].name = (char[]){"one"};
	r[1].name = (char[]){"two"};
	strlist_make(&r[0].host, good);
	strlist_make(&r[0].dynamic_allow, star);
	strlist_make(&r[1].host, bad_host);
	strlist_make(&r[1].dynamic_allow, star);
	ck_assert_int_eq(router_init(&rt, p, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "route \"two\": host \"a..b\": not a host name, "
			      "\"*.\" wildcard or IP address");
	ck_assert_ptr_null(rt.route);
	ck_assert_ptr_null(rt.allow);

	strlist_clear(&r[1].host);
	strlist_clear(&r[1].dynamic_allow);
	strlist_make(&r[1].host, good);
	strlist_make(&r[1].dynamic_allow, bad_allow);
	ck_assert_int_eq(router_init(&rt, p, 2, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "route \"two\": dynamic_allow \"10.0.0.0/33\": "
			      "CIDR prefix is not 0-32");

	ck_assert_int_eq(router_init(&rt, p, 0, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "a listener needs at least one route");

	/* A zeroed router frees cleanly, twice. */
	memset(&rt, 0, sizeof(rt));
	router_free(&rt);
	router_free(&rt);
	strlist_clear(&r[0].host);
	strlist_clear(&r[0].dynamic_allow);
	strlist_clear(&r[1].host);
	strlist_clear(&r[1].dynamic_allow);
}
END_TEST

/* ------------------------------------------------------------------ */
/* router_route                                                       */

/* A fallback with a target and a narrow dynamic_allow, behind a host route. */
static const struct rspec lsn_a[] = {
    {.name = "api",
     .host = {"api.example.com"},
     .target_port = 3001,
     .dynamic = true},
    {.name = "fb",
     .target_port = 3000,
     .dynamic = true,
     .allow = {"*.internal", "localhost:3000-3999", "[fd00::/8]:80-90",
	       "192.168.0.0/16:8080"}},
    {.name = NULL},
};

/* Porty's dynamic-only idiom: no host, no target, allow "*". */
static const struct rspec lsn_b[] = {
    {.name = "dyn", .dynamic = true},
    {.name = NULL},
};

/* Every route has a host; the first serves dynamic requests. */
static const struct rspec lsn_c[] = {
    {.name = "first", .host = {"a.test"}, .target_port = 3001, .dynamic = true},
    {.name = "second", .host = {"b.test"}, .target_port = 3002},
    {.name = NULL},
};

/* A fallback with dynamic = false. */
static const struct rspec lsn_d[] = {
    {.name = "static", .target_port = 3000},
    {.name = NULL},
};

/* dynamic = false and no target: nowhere to go. */
static const struct rspec lsn_e[] = {
    {.name = "nothing"},
    {.name = NULL},
};

/* Every route has a host and the first has dynamic = false. */
static const struct rspec lsn_f[] = {
    {.name = "first", .host = {"a.test"}, .target_port = 1},
    {.name = NULL},
};

/* A host route without a target is dynamic for its host. */
static const struct rspec lsn_g[] = {
    {.name = "gw", .host = {"gw.test"}, .dynamic = true},
    {.name = "fb", .target_port = 3000},
    {.name = NULL},
};

#define LONG_LABEL                                                             \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct route_case {
	const struct rspec *lsn;
	const char *host; /* NULL: no Host header */
	const char *target;
	enum router_result result;
	const char *route;
	enum router_how how;
	const char *out;  /* CONFIGURED, DYNAMIC: the rewritten target */
	const char *body; /* ERROR: status and body; DYNAMIC: "host:port" */
	bool literal;     /* DYNAMIC */
} route_cases[] = {
    /* A host match goes to its target; parameters are removed unread. */
    {lsn_a, "api.example.com", "/x?porty_host=evil&porty_port=1&a=1",
     ROUTER_CONFIGURED, "api", ROUTER_BY_HOST, "/x?a=1", NULL, false},
    {lsn_a, "api.example.com", "/x?porty_port=0&porty_host=a%zz",
     ROUTER_CONFIGURED, "api", ROUTER_BY_HOST, "/x", NULL, false},
    {lsn_a, "api.example.com", "/x?a=1", ROUTER_CONFIGURED, "api",
     ROUTER_BY_HOST, "/x?a=1", NULL, false},
    /* The fallback: its target without parameters, dynamic with them. */
    {lsn_a, "other", "/x", ROUTER_CONFIGURED, "fb", ROUTER_BY_FALLBACK, "/x",
     NULL, false},
    {lsn_a, NULL, "/x?y", ROUTER_CONFIGURED, "fb", ROUTER_BY_FALLBACK, "/x?y",
     NULL, false},
    {lsn_a, "other", "/x?porty_host=db.internal&porty_port=5432&q=1",
     ROUTER_DYNAMIC, "fb", ROUTER_BY_FALLBACK, "/x?q=1", "db.internal:5432",
     false},
    {lsn_a, "other", "/x?porty_host=localhost&porty_port=3000", ROUTER_DYNAMIC,
     "fb", ROUTER_BY_FALLBACK, "/x", "localhost:3000", false},
    /* Name pre-check: refused without DNS when no pattern could admit it. */
    {lsn_a, "other", "/x?porty_host=localhost&porty_port=4000", ROUTER_ERROR,
     "fb", ROUTER_BY_FALLBACK, NULL,
     "403 Dynamic target localhost:4000 not allowed", false},
    {lsn_a, "other", "/x?porty_host=evil.com&porty_port=443", ROUTER_ERROR,
     "fb", ROUTER_BY_FALLBACK, NULL,
     "403 Dynamic target evil.com:443 not allowed", false},
    /* ...but an address pattern for the port leaves it to the resolver. */
    {lsn_a, "other", "/x?porty_host=evil.com&porty_port=85", ROUTER_DYNAMIC,
     "fb", ROUTER_BY_FALLBACK, "/x", "evil.com:85", false},
    /* IP literals are decided completely here. */
    {lsn_a, "other", "/x?porty_host=10.0.0.1&porty_port=80", ROUTER_ERROR, "fb",
     ROUTER_BY_FALLBACK, NULL, "403 Dynamic target 10.0.0.1:80 not allowed",
     false},
    {lsn_a, "other", "/x?porty_host=192.168.1.1&porty_port=8080",
     ROUTER_DYNAMIC, "fb", ROUTER_BY_FALLBACK, "/x", "192.168.1.1:8080", true},
    {lsn_a, "other", "/x?porty_host=[fd00::1]&porty_port=85", ROUTER_DYNAMIC,
     "fb", ROUTER_BY_FALLBACK, "/x", "fd00::1:85", true},
    {lsn_a, "other", "/x?porty_host=fd00::1&porty_port=443", ROUTER_ERROR, "fb",
     ROUTER_BY_FALLBACK, NULL, "403 Dynamic target [fd00::1]:443 not allowed",
     false},
    /* The link-local refusal on literals. */
    {lsn_b, NULL, "/x?porty_host=169.254.169.254&porty_port=80", ROUTER_ERROR,
     "dyn", ROUTER_BY_FALLBACK, NULL,
     "403 Dynamic target 169.254.169.254:80 not allowed (link-local address)",
     false},
    {lsn_b, NULL, "/x?porty_host=%5Bfe80::1%5D&porty_port=80", ROUTER_ERROR,
     "dyn", ROUTER_BY_FALLBACK, NULL,
     "403 Dynamic target [fe80::1]:80 not allowed (link-local address)", false},
    {lsn_b, NULL, "/x?porty_host=::ffff:169.254.1.1&porty_port=80",
     ROUTER_ERROR, "dyn", ROUTER_BY_FALLBACK, NULL,
     "403 Dynamic target [::ffff:169.254.1.1]:80 not allowed (link-local "
     "address)",
     false},
    /* Dynamic-only: parameters needed, both of them. */
    {lsn_b, "h", "/x?porty_host=example.com&porty_port=8080", ROUTER_DYNAMIC,
     "dyn", ROUTER_BY_FALLBACK, "/x", "example.com:8080", false},
    {lsn_b, "h", "/x?porty_host=Example.COM.&porty_port=8080&porty_scheme=http",
     ROUTER_DYNAMIC, "dyn", ROUTER_BY_FALLBACK, "/x", "Example.COM.:8080",
     false},
    {lsn_b, "h", "/x", ROUTER_ERROR, "dyn", ROUTER_BY_FALLBACK, NULL,
     "400 Missing porty_host and porty_port parameters", false},
    {lsn_b, "h", "/x?a=1", ROUTER_ERROR, "dyn", ROUTER_BY_FALLBACK, NULL,
     "400 Missing porty_host and porty_port parameters", false},
    {lsn_b, "h", "/x?porty_host=a", ROUTER_ERROR, "dyn", ROUTER_BY_FALLBACK,
     NULL, "400 Missing porty_port parameter", false},
    {lsn_b, "h", "/x?porty_port=80", ROUTER_ERROR, "dyn", ROUTER_BY_FALLBACK,
     NULL, "400 Missing porty_host parameter", false},
    {lsn_b, "h", "/x?porty_scheme=http", ROUTER_ERROR, "dyn",
     ROUTER_BY_FALLBACK, NULL,
     "400 Missing porty_host and porty_port parameters", false},
    /* porty_scheme=https asks for TLS to the dynamic target. */
    {lsn_b, "h", "/x?porty_host=a&porty_port=1&porty_scheme=https",
     ROUTER_DYNAMIC, "dyn", ROUTER_BY_FALLBACK, "/x", "a:1", false},
    {lsn_b, "h", "/x?porty_host=a&porty_port=0", ROUTER_ERROR, "dyn",
     ROUTER_BY_FALLBACK, NULL, "400 Invalid porty_port parameter (not 1-65535)",
     false},
    {lsn_b, "h", "/x?porty_host=a&porty_host=b&porty_port=1", ROUTER_ERROR,
     "dyn", ROUTER_BY_FALLBACK, NULL, "400 Conflicting porty_host parameters",
     false},
    {lsn_b, "h", "/x?porty_host=evil.com%00.internal&porty_port=1",
     ROUTER_ERROR, "dyn", ROUTER_BY_FALLBACK, NULL,
     "400 Invalid porty_host parameter (not a host name or IP address)", false},
    /* A fallback with a target: partial parameters are a 400 too. */
    {lsn_a, "other", "/x?porty_host=db.internal", ROUTER_ERROR, "fb",
     ROUTER_BY_FALLBACK, NULL, "400 Missing porty_port parameter", false},
    /* Every route has a host: the first for dynamic requests only. */
    {lsn_c, "a.test", "/x?porty_host=h&porty_port=1", ROUTER_CONFIGURED,
     "first", ROUTER_BY_HOST, "/x", NULL, false},
    {lsn_c, "b.test:8080", "/x", ROUTER_CONFIGURED, "second", ROUTER_BY_HOST,
     "/x", NULL, false},
    {lsn_c, "c.test", "/x?porty_host=h.internal&porty_port=80", ROUTER_DYNAMIC,
     "first", ROUTER_BY_FIRST, "/x", "h.internal:80", false},
    {lsn_c, "c.test", "/x", ROUTER_ERROR, "first", ROUTER_BY_FIRST, NULL,
     "404 No route for host c.test", false},
    {lsn_c, "c.test:8080", "/x?a=1", ROUTER_ERROR, "first", ROUTER_BY_FIRST,
     NULL, "404 No route for host c.test", false},
    {lsn_c, "C.Test.", "/x", ROUTER_ERROR, "first", ROUTER_BY_FIRST, NULL,
     "404 No route for host C.Test", false},
    {lsn_c, "[::1]:80", "/x", ROUTER_ERROR, "first", ROUTER_BY_FIRST, NULL,
     "404 No route for host ::1", false},
    {lsn_c, NULL, "/x", ROUTER_ERROR, "first", ROUTER_BY_FIRST, NULL,
     "404 No route for host (none)", false},
    {lsn_c, "a!$&'()*+,;=~.test", "/x", ROUTER_ERROR, "first", ROUTER_BY_FIRST,
     NULL, "404 No route for host a!$&'()*+,;=~.test", false},
    {lsn_c, LONG_LABEL LONG_LABEL ".test", "/x", ROUTER_ERROR, "first",
     ROUTER_BY_FIRST, NULL,
     "404 No route for host " LONG_LABEL
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...",
     false},
    {lsn_c, "c.test", "/x?porty_port=99999", ROUTER_ERROR, "first",
     ROUTER_BY_FIRST, NULL, "400 Invalid porty_port parameter (not 1-65535)",
     false},
    {lsn_c, "c.test", "/x?porty_host=h", ROUTER_ERROR, "first", ROUTER_BY_FIRST,
     NULL, "400 Missing porty_port parameter", false},
    /* dynamic = false: parameters removed unread. */
    {lsn_d, "h", "/x?porty_host=h&porty_port=1&b", ROUTER_CONFIGURED, "static",
     ROUTER_BY_FALLBACK, "/x?b", NULL, false},
    {lsn_d, "h", "/x?porty_port=abc", ROUTER_CONFIGURED, "static",
     ROUTER_BY_FALLBACK, "/x", NULL, false},
    {lsn_e, "h", "/x?porty_host=h&porty_port=1", ROUTER_ERROR, "nothing",
     ROUTER_BY_FALLBACK, NULL,
     "400 Missing porty_host and porty_port parameters", false},
    {lsn_f, "zzz", "/x?porty_host=h&porty_port=1", ROUTER_ERROR, "first",
     ROUTER_BY_FIRST, NULL, "404 No route for host zzz", false},
    /* A host route without a target is dynamic for its own host. */
    {lsn_g, "gw.test", "/x?porty_host=h&porty_port=1", ROUTER_DYNAMIC, "gw",
     ROUTER_BY_HOST, "/x", "h:1", false},
    {lsn_g, "gw.test", "/x", ROUTER_ERROR, "gw", ROUTER_BY_HOST, NULL,
     "400 Missing porty_host and porty_port parameters", false},
    {lsn_g, "other", "/x?porty_host=h&porty_port=1", ROUTER_CONFIGURED, "fb",
     ROUTER_BY_FALLBACK, "/x", NULL, false},
    /* An invalid Host is a 400 on the fallback's account. */
    {lsn_a, "a b", "/x", ROUTER_ERROR, "fb", ROUTER_BY_FALLBACK, NULL,
     "400 Invalid Host header", false},
    {lsn_c, "a/b", "/x", ROUTER_ERROR, "first", ROUTER_BY_FIRST, NULL,
     "400 Invalid Host header", false},
    /* Absolute form: its authority routes, not the Host header. */
    {lsn_a, "other", "http://api.example.com/p?porty_host=h&porty_port=1",
     ROUTER_CONFIGURED, "api", ROUTER_BY_HOST, "http://api.example.com/p", NULL,
     false},
    {lsn_a, "api.example.com", "HTTP://API.EXAMPLE.COM:80", ROUTER_CONFIGURED,
     "api", ROUTER_BY_HOST, "HTTP://API.EXAMPLE.COM:80", NULL, false},
    {lsn_a, "api.example.com", "https://other.test/p", ROUTER_CONFIGURED, "fb",
     ROUTER_BY_FALLBACK, "https://other.test/p", NULL, false},
    {lsn_a, "other", "http://user@api.example.com/p", ROUTER_ERROR, "fb",
     ROUTER_BY_FALLBACK, NULL, "400 Invalid request target", false},
    {lsn_a, "other", "http:///p", ROUTER_ERROR, "fb", ROUTER_BY_FALLBACK, NULL,
     "400 Invalid request target", false},
    {lsn_a, "api.example.com", "ftp://other.test/p", ROUTER_CONFIGURED, "api",
     ROUTER_BY_HOST, "ftp://other.test/p", NULL, false},
};

/* Check one route case, with OUT a separate buffer or the target itself. */
static void
route_case_run(const struct route_case *c, bool in_place, int i)
{
	struct router_decision d;
	char buf[512], out[512], hostport[300];
	size_t len = strlen(c->target);
	char *dst = in_place ? buf : out;
	struct lsn l;

	lsn_init(&l, c->lsn);
	memcpy(buf, c->target, len);
	memset(&d, 0xa5, sizeof(d));
	router_route(&l.rt, c->host, c->host != NULL ? strlen(c->host) : 0, buf,
		     len, dst, sizeof(out), &d);
	ck_assert_msg(d.result == c->result, "case %d (%s %s): result %d %s", i,
		      c->host != NULL ? c->host : "-", c->target, d.result,
		      d.result == ROUTER_ERROR ? d.body : "");
	ck_assert_str_eq(d.route->name, c->route);
	ck_assert_int_eq(d.how, c->how);
	ck_assert_ptr_nonnull(d.allow);
	if (c->result == ROUTER_ERROR) {
		ck_assert_str_eq(d.body, c->body);
		ck_assert_uint_eq(d.status,
				  (unsigned)strtoul(c->body, NULL, 10));
		/* Nothing written: the target is intact for the log line. */
		ck_assert(memcmp(buf, c->target, len) == 0);
		lsn_free(&l);
		return;
	}
	if (c->result == ROUTER_DYNAMIC) {
		snprintf(hostport, sizeof(hostport), "%s:%u", d.target.host,
			 d.target.port);
		ck_assert_str_eq(hostport, c->body);
		ck_assert_int_eq(d.target.literal, c->literal);
		ck_assert_uint_eq(d.target.hostlen, strlen(d.target.host));
	}
	ck_assert_msg(d.target_len == strlen(c->out) &&
			  memcmp(dst, c->out, d.target_len) == 0,
		      "case %d: got \"%.*s\", want \"%s\"", i,
		      (int)d.target_len, dst, c->out);
	ck_assert_int_eq(d.target_changed, strcmp(c->out, c->target) != 0);
	lsn_free(&l);
}

/* router_route() decides as SPEC §4: route, target, rewrite or exact error. */
START_TEST(test_router_route_table)
{
	route_case_run(&route_cases[_i], false, _i);
}
END_TEST

/* The same decisions with the target rewritten in place. */
START_TEST(test_router_route_in_place)
{
	route_case_run(&route_cases[_i], true, _i);
}
END_TEST

/* After resolving the caller checks each address; router_deny() words 403. */
START_TEST(test_router_route_then_resolve)
{
	static const char target[] = "/?porty_host=Meta.Internal&porty_port=80";
	struct router_decision d;
	struct addr ok, ll;
	char out[sizeof(target)];
	struct lsn l;
	enum router_verdict v;

	lsn_init(&l, lsn_a);
	router_route(&l.rt, "x", 1, target, sizeof(target) - 1, out,
		     sizeof(out), &d);
	ck_assert_int_eq(d.result, ROUTER_DYNAMIC);
	ck_assert(!d.target.literal);
	ck_assert_ptr_eq(d.allow, &l.rt.allow[1]);
	sockaddr_make(&ok, "10.0.0.7");
	sockaddr_make(&ll, "169.254.169.254");
	ck_assert_int_eq(
	    router_allow_check(d.allow, d.target.host, &ok.u.sa, d.target.port),
	    ROUTER_ALLOW);
	v = router_allow_check(d.allow, d.target.host, &ll.u.sa, d.target.port);
	ck_assert_int_eq(v, ROUTER_DENY_LINK_LOCAL);
	router_deny(&d, v);
	ck_assert_int_eq(d.result, ROUTER_ERROR);
	ck_assert_uint_eq(d.status, 403);
	ck_assert_str_eq(d.body, "403 Dynamic target Meta.Internal:80 not "
				 "allowed (link-local address)");
	lsn_free(&l);
}
END_TEST

/* Several routes without host: the first is the fallback, in file order. */
START_TEST(test_router_route_first_fallback)
{
	struct router_decision d;
	char out[8];
	struct lsn l;

	lsn_init(&l, mixed);
	ck_assert_uint_eq(l.rt.fallback, 5);
	router_route(&l.rt, NULL, 0, "/", 1, out, sizeof(out), &d);
	ck_assert_int_eq(d.result, ROUTER_CONFIGURED);
	ck_assert_str_eq(d.route->name, "fb");
	lsn_free(&l);
	lsn_init(&l, all_hosts);
	ck_assert_uint_eq(l.rt.fallback, l.rt.n);
	lsn_free(&l);
}
END_TEST

Suite *
router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc;

	tc = tcase_create("router_match_host");
	tcase_add_loop_test(tc, test_router_match_host_table, 0,
			    (int)ARRAY_SIZE(host_cases));
	tcase_add_test(tc, test_router_match_host_embedded_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("router_query_parse");
	tcase_add_loop_test(tc, test_router_query_parse_table, 0,
			    (int)ARRAY_SIZE(query_cases));
	tcase_add_loop_test(tc, test_router_query_parse_in_place, 0,
			    (int)ARRAY_SIZE(query_cases));
	tcase_add_test(tc, test_router_query_parse_literal);
	tcase_add_test(tc, test_router_query_parse_long_host);
	suite_add_tcase(s, tc);

	tc = tcase_create("router_allow_check");
	tcase_add_loop_test(tc, test_router_allow_check_table, 0,
			    (int)ARRAY_SIZE(allow_cases));
	tcase_add_test(tc, test_router_allow_check_other_family);
	tcase_add_loop_test(tc, test_router_allow_may_admit_table, 0,
			    (int)ARRAY_SIZE(admit_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("patterns");
	tcase_add_loop_test(tc, test_router_allow_pattern_check_table, 0,
			    (int)ARRAY_SIZE(allow_patterns));
	tcase_add_loop_test(tc, test_router_host_pattern_check_table, 0,
			    (int)ARRAY_SIZE(host_patterns));
	tcase_add_test(tc, test_router_allow_pattern_check_sanitised);
	tcase_add_test(tc, test_router_init_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("router_route");
	tcase_add_loop_test(tc, test_router_route_table, 0,
			    (int)ARRAY_SIZE(route_cases));
	tcase_add_loop_test(tc, test_router_route_in_place, 0,
			    (int)ARRAY_SIZE(route_cases));
	tcase_add_test(tc, test_router_route_then_resolve);
	tcase_add_test(tc, test_router_route_first_fallback);
	suite_add_tcase(s, tc);

	return s;
}
