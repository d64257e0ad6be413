/* SPDX-License-Identifier: MIT */
/* HTTP routing: Host header to route, porty_* parameters, dynamic_allow. */
#include "auto-config.h"

#include "router.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "config.h"

/* Longest IP literal text handled, with a /prefix (46 + "/128" fits). */
#define IPTEXT_MAX 64

/* An address or CIDR block: the prefix's bits of a, host bits zero. */
struct ipnet {
	int family;          /* AF_INET or AF_INET6 */
	unsigned char a[16]; /* network order; 4 bytes used for AF_INET */
	unsigned prefix;     /* 0..32 or 0..128 */
};

enum rule_kind {
	RULE_ANY = 0, /* "*" */
	RULE_NAME,    /* "api.example.com" */
	RULE_SUFFIX,  /* "*.internal": name holds ".internal" */
	RULE_NET,     /* IP literal or CIDR */
};

struct router_allow_rule {
	enum rule_kind kind;
	unsigned port_lo, port_hi; /* 1..65535 when no port is given */
	struct ipnet net;          /* RULE_NET */
	size_t len;                /* RULE_NAME, RULE_SUFFIX: bytes of name */
	char name[ROUTER_HOST_MAX + 1]; /* lower case, NUL-terminated */
};

enum name_kind {
	NAME_EXACT = 0, /* a host name or IPv4 literal, compared as text */
	NAME_SUFFIX,    /* "*.example.com": s is ".example.com" */
	NAME_V6,        /* an IPv6 literal, compared as an address */
};

struct router_name {
	size_t route; /* index in the router */
	enum name_kind kind;
	const char *s; /* borrowed from the route's host list */
	size_t len;
	unsigned char v6[16]; /* NAME_V6 */
};

/* A parsed Host value: the name span borrowed from the input. */
struct hostval {
	const char *name;
	size_t len;
	bool ip; /* an IPv4 or IPv6 literal: wildcards never match */
	bool v6; /* a bracketed IPv6 literal, its address in a */
	unsigned char a[16];
};

enum param {
	PARAM_NONE = 0,
	PARAM_HOST,
	PARAM_PORT,
	PARAM_SCHEME,
};

/* Where the query of a request target is: target[q] is '?', qend the end. */
struct query {
	size_t q;    /* len when there is no query */
	size_t qend; /* the '#' or len */
};

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Whether A and B (N bytes each) are equal, ASCII case ignored. */
static bool
case_equal(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* The characters config.c's name_ok() allows in a host name. */
static bool
is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       is_digit(c) || c == '-' || c == '_' || c == '.';
}

/*
 * Copy S (LEN bytes, from a peer or a config file) into DST for a message:
 * printable ASCII and space only (others become '?'), at most ROUTER_SHOW_MAX
 * bytes and then "...". DST needs ROUTER_SHOW_MAX + 4 bytes.
 */
static void
show(char *dst, const char *s, size_t len)
{
	size_t i, n = len > ROUTER_SHOW_MAX ? ROUTER_SHOW_MAX : len;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

/*
 * A decimal number of LEN (>= 1) digits, no sign, leading zeros allowed
 * (as parse_uint()), at most MAX. Returns 0 and sets *OUT, or -1.
 */
static int
digits_value(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/*
 * Percent-decode S (LEN bytes) into OUT (CAP bytes, NUL-terminated; '+'
 * stays '+'). Returns 0 and sets *N, -1 for a '%' not followed by two hex
 * digits, -2 when the result needs more than CAP - 1 bytes.
 */
static int
pct_decode(const char *s, size_t len, char *out, size_t cap, size_t *n)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (len - i < 3)
				return -1;
			hi = hex_value((unsigned char)s[i + 1]);
			lo = hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (o + 1 >= cap)
			return -2;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*n = o;
	return 0;
}

/*
 * config.c's name_ok() without the wildcard: 1..253 bytes of letters,
 * digits, '-', '_' and '.', no empty label.
 */
static bool
name_syntax_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 253 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		if (!is_name_char((unsigned char)s[i]))
			return false;
		if (s[i] == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

/*
 * Whether the last label of S (LEN bytes, no trailing dot) is a number,
 * decimal or "0x" hex: then the text is an IPv4 address to inet_aton() and
 * getaddrinfo() ("127.1", "2130706433", "0x7f.1") and never a DNS name
 * (the WHATWG URL standard's "ends in a number").
 */
static bool
ends_in_number(const char *s, size_t len)
{
	size_t start = len, i;

	while (start > 0 && s[start - 1] != '.')
		start--;
	if (start == len)
		return false;
	if (len - start >= 2 && s[start] == '0' &&
	    lower((unsigned char)s[start + 1]) == 'x') {
		for (i = start + 2; i < len; i++)
			if (hex_value((unsigned char)s[i]) < 0)
				return false;
		return true;
	}
	for (i = start; i < len; i++)
		if (!is_digit((unsigned char)s[i]))
			return false;
	return true;
}

/* Whether S (LEN bytes) is a dotted-quad IPv4 literal; *A its bytes. */
static bool
ipv4_parse(const char *s, size_t len, unsigned char a[4])
{
	char buf[16];

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, a) == 1;
}

/* Whether S (LEN bytes, no brackets) is an IPv6 literal; *A its bytes. */
static bool
ipv6_parse(const char *s, size_t len, unsigned char a[16])
{
	char buf[IPTEXT_MAX];

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, a) == 1;
}

/* The first 96 bits of an IPv4-mapped IPv6 address, ::ffff:0:0/96. */
static const unsigned char v4mapped_prefix[12] = {[10] = 0xff, [11] = 0xff};

/* ipnet_parse()'s reason when the text is no address at all. */
static const char not_ip[] = "not an IP address";

/* Zero the host bits of N, and make an IPv4-mapped IPv6 block IPv4. */
static void
ipnet_normalize(struct ipnet *n)
{
	size_t bytes = n->family == AF_INET ? 4 : 16, i;

	for (i = 0; i < bytes; i++) {
		unsigned first = 8 * (unsigned)i, keep = 0;

		if (n->prefix >= first + 8)
			keep = 8;
		else if (n->prefix > first)
			keep = n->prefix - first;
		n->a[i] &= (unsigned char)(0xff00u >> keep);
	}
	if (n->family == AF_INET6 && n->prefix >= 96 &&
	    memcmp(n->a, v4mapped_prefix, 12) == 0) {
		memmove(n->a, n->a + 12, 4);
		memset(n->a + 4, 0, 12);
		n->family = AF_INET;
		n->prefix -= 96;
	}
}

/*
 * config.c's ip_or_cidr_ok(): an IPv4 or IPv6 literal (IPv6 when it has a
 * ':'), with "/prefix" when CIDR. Fills *N normalized, or returns -1 with
 * *WHY.
 */
static int
ipnet_parse(const char *s, size_t len, bool cidr, struct ipnet *n,
	    const char **why)
{
	char buf[IPTEXT_MAX], *slash;
	unsigned max;

	*why = not_ip;
	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL) {
		if (!cidr)
			return -1;
		*slash = '\0';
	}
	memset(n, 0, sizeof(*n));
	n->family = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
	max = n->family == AF_INET ? 32 : 128;
	if (inet_pton(n->family, buf, n->a) != 1)
		return -1;
	n->prefix = max;
	if (slash != NULL &&
	    digits_value(slash + 1, strlen(slash + 1), max, &n->prefix) == -1) {
		*why = n->family == AF_INET ? "CIDR prefix is not 0-32"
					    : "CIDR prefix is not 0-128";
		return -1;
	}
	ipnet_normalize(n);
	return 0;
}

/* Whether the address A (prefix ignored) is in the block N. */
static bool
ipnet_contains(const struct ipnet *n, const struct ipnet *a)
{
	unsigned full = n->prefix / 8, rest = n->prefix % 8;
	unsigned char mask;

	if (n->family != a->family || memcmp(n->a, a->a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff00u >> rest);
	return (a->a[full] & mask) == n->a[full];
}

/* 169.254.0.0/16 or fe80::/10. */
static bool
ipnet_link_local(const struct ipnet *a)
{
	if (a->family == AF_INET)
		return a->a[0] == 169 && a->a[1] == 254;
	return a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80;
}

/* A socket address as an ipnet, IPv4-mapped as IPv4. Returns 0 or -1. */
static int
ipnet_from_sockaddr(const struct sockaddr *sa, struct ipnet *a)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		memcpy(&sin, sa, sizeof(sin));
		memcpy(a->a, &sin.sin_addr, 4);
		a->family = AF_INET;
		a->prefix = 32;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(&sin6, sa, sizeof(sin6));
		memcpy(a->a, &sin6.sin6_addr, 16);
		a->family = AF_INET6;
		a->prefix = 128;
		ipnet_normalize(a);
		return 0;
	}
	return -1;
}

/*
 * config.c's port_range_ok(): "80" or "8000-8999" (NUL-terminated), ports
 * 1..65535, lo <= hi, lo at most 7 characters.
 */
static int
port_range_parse(const char *s, unsigned *lo, unsigned *hi, const char **why)
{
	const char *dash = strchr(s, '-');

	*why = "port is not 1-65535";
	if (dash == NULL) {
		if (digits_value(s, strlen(s), 65535, lo) == -1 || *lo == 0)
			return -1;
		*hi = *lo;
		return 0;
	}
	*why = "port range is not lo-hi with 1 <= lo <= hi <= 65535";
	if (dash - s >= 8 ||
	    digits_value(s, (size_t)(dash - s), 65535, lo) == -1 ||
	    digits_value(dash + 1, strlen(dash + 1), 65535, hi) == -1 ||
	    *lo == 0 || *lo > *hi)
		return -1;
	return 0;
}

/* Fill R from the dynamic_allow pattern P, or return -1 with *WHY. */
static int
allow_rule_parse(const char *p, struct router_allow_rule *r, const char **why)
{
	const char *colon, *end, *host = p;
	size_t len = strlen(p);

	memset(r, 0, sizeof(*r));
	r->port_lo = 1;
	r->port_hi = 65535;
	if (p[0] == '[') {
		end = strchr(p, ']');
		if (end == NULL) {
			*why = "'[' without ']'";
			return -1;
		}
		if (memchr(p + 1, ':', (size_t)(end - p - 1)) == NULL ||
		    ipnet_parse(p + 1, (size_t)(end - p - 1), true, &r->net,
				why) == -1) {
			if (*why == not_ip ||
			    memchr(p + 1, ':', (size_t)(end - p - 1)) == NULL)
				*why = "brackets must hold an IPv6 address or "
				       "CIDR";
			return -1;
		}
		r->kind = RULE_NET;
		if (end[1] == '\0')
			return 0;
		if (end[1] != ':') {
			*why = "expected :port or :lo-hi after ']'";
			return -1;
		}
		return port_range_parse(end + 2, &r->port_lo, &r->port_hi, why);
	}
	colon = strchr(p, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		if (ipnet_parse(p, len, true, &r->net, why) == -1) {
			if (*why == not_ip)
				*why = "not an IPv6 address (with a port, "
				       "write [addr]:port)";
			return -1;
		}
		r->kind = RULE_NET;
		return 0;
	}
	if (colon != NULL) {
		if (port_range_parse(colon + 1, &r->port_lo, &r->port_hi,
				     why) == -1)
			return -1;
		len = (size_t)(colon - p);
	}
	if (memchr(host, '/', len) != NULL) {
		if (ipnet_parse(host, len, true, &r->net, why) == -1)
			return -1;
		r->kind = RULE_NET;
		return 0;
	}
	if (ipnet_parse(host, len, false, &r->net, why) == 0) {
		r->kind = RULE_NET;
		return 0;
	}
	if (len == 1 && host[0] == '*') {
		r->kind = RULE_ANY;
		return 0;
	}
	r->kind = RULE_NAME;
	if (len > 2 && host[0] == '*' && host[1] == '.') {
		r->kind = RULE_SUFFIX;
		host++; /* keep the '.' */
		len--;
		if (!name_syntax_ok(host + 1, len - 1)) {
			*why = "not a host name after \"*.\"";
			return -1;
		}
	} else if (!name_syntax_ok(host, len)) {
		*why = "not a host name, \"*.\" wildcard, IP address or CIDR";
		return -1;
	} else if (ends_in_number(host, len)) {
		*why = "ends in a number but is not an IPv4 address";
		return -1;
	}
	for (r->len = 0; r->len < len; r->len++)
		r->name[r->len] = (char)lower((unsigned char)host[r->len]);
	r->name[r->len] = '\0';
	return 0;
}

/* Format "\"PATTERN\": WHY" into ERR. */
static void
pattern_error(char *err, size_t errlen, const char *pattern, const char *why)
{
	char shown[ROUTER_SHOW_MAX + 4];

	show(shown, pattern, strlen(pattern));
	snprintf(err, errlen, "\"%s\": %s", shown, why);
}

int
router_allow_pattern_check(const char *pattern, char *err, size_t errlen)
{
	struct router_allow_rule r;
	const char *why;

	if (allow_rule_parse(pattern, &r, &why) == -1) {
		pattern_error(err, errlen, pattern, why);
		return -1;
	}
	return 0;
}

int
router_allow_compile(const struct strlist *patterns, struct router_allow *out,
		     char *err, size_t errlen)
{
	struct router_allow_rule *rule;
	const char *why;
	size_t i;

	out->rule = NULL;
	out->n = 0;
	if (patterns->n == 0)
		return 0;
	rule = calloc(patterns->n, sizeof(*rule));
	if (rule == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < patterns->n; i++) {
		if (allow_rule_parse(patterns->v[i], &rule[i], &why) == -1) {
			pattern_error(err, errlen, patterns->v[i], why);
			free(rule);
			return -1;
		}
	}
	out->rule = rule;
	out->n = patterns->n;
	return 0;
}

void
router_allow_free(struct router_allow *a)
{
	free(a->rule);
	a->rule = NULL;
	a->n = 0;
}

/* NAME's length without one trailing dot. */
static size_t
name_len(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && name[len - 1] == '.' ? len - 1 : len;
}

/* Whether the name rule R matches NAME (LEN bytes, no trailing dot). */
static bool
rule_name_match(const struct router_allow_rule *r, const char *name, size_t len)
{
	switch (r->kind) {
	case RULE_ANY:
		return true;
	case RULE_NAME:
		return len == r->len && case_equal(name, r->name, len);
	case RULE_SUFFIX:
		return len > r->len &&
		       case_equal(name + len - r->len, r->name, r->len);
	case RULE_NET:
		break;
	}
	return false;
}

enum router_verdict
router_allow_check(const struct router_allow *a, const char *name,
		   const struct sockaddr *resolved, unsigned port)
{
	struct ipnet addr;
	size_t i, len = name_len(name);
	bool by_name = false;

	if (ipnet_from_sockaddr(resolved, &addr) == -1)
		return ROUTER_DENY;
	for (i = 0; i < a->n; i++) {
		const struct router_allow_rule *r = &a->rule[i];

		if (port < r->port_lo || port > r->port_hi)
			continue;
		if (r->kind == RULE_NET) {
			/* It admits even a link-local address. */
			if (ipnet_contains(&r->net, &addr))
				return ROUTER_ALLOW;
		} else if (!by_name) {
			by_name = rule_name_match(r, name, len);
		}
	}
	if (!by_name)
		return ROUTER_DENY;
	return ipnet_link_local(&addr) ? ROUTER_DENY_LINK_LOCAL : ROUTER_ALLOW;
}

bool
router_allow_may_admit(const struct router_allow *a, const char *name,
		       unsigned port)
{
	size_t i, len = name_len(name);

	for (i = 0; i < a->n; i++) {
		const struct router_allow_rule *r = &a->rule[i];

		if (port < r->port_lo || port > r->port_hi)
			continue;
		if (r->kind == RULE_NET || rule_name_match(r, name, len))
			return true;
	}
	return false;
}

/* Fill NM from the host entry P, or return -1 with *WHY. */
static int
host_entry_parse(const char *p, struct router_name *nm, const char **why)
{
	size_t len = strlen(p);
	unsigned char v4[4];

	nm->s = p;
	nm->len = len;
	if (strchr(p, ':') != NULL) {
		nm->kind = NAME_V6;
		if (ipv6_parse(p, len, nm->v6))
			return 0;
		*why =
		    "not an IPv6 address (write it without brackets or port)";
		return -1;
	}
	if (len == 1 && p[0] == '*') {
		*why = "\"*\" would match every host: a route without host is "
		       "the fallback";
		return -1;
	}
	if (len > 2 && p[0] == '*' && p[1] == '.') {
		nm->kind = NAME_SUFFIX;
		nm->s = p + 1; /* keep the '.' */
		nm->len = len - 1;
		if (name_syntax_ok(p + 2, len - 2))
			return 0;
		*why = "not a host name after \"*.\"";
		return -1;
	}
	nm->kind = NAME_EXACT;
	if (!name_syntax_ok(p, len)) {
		*why = "not a host name, \"*.\" wildcard or IP address";
		return -1;
	}
	if (ends_in_number(p, len) && !ipv4_parse(p, len, v4)) {
		*why = "ends in a number but is not an IPv4 address";
		return -1;
	}
	return 0;
}

int
router_host_pattern_check(const char *pattern, char *err, size_t errlen)
{
	struct router_name nm;
	const char *why;

	if (host_entry_parse(pattern, &nm, &why) == -1) {
		pattern_error(err, errlen, pattern, why);
		return -1;
	}
	return 0;
}

/* The route's name for messages. */
static const char *
route_label(const struct route *r)
{
	return r->name != NULL ? r->name : "?";
}

int
router_init(struct router *rt, const struct route *const *routes, size_t n,
	    char *err, size_t errlen)
{
	char why[256];
	const char *reason;
	size_t i, j, k = 0, nname = 0;

	memset(rt, 0, sizeof(*rt));
	if (n == 0) {
		snprintf(err, errlen, "a listener needs at least one route");
		return -1;
	}
	for (i = 0; i < n; i++)
		nname += routes[i]->host.n;
	rt->route = calloc(n, sizeof(*rt->route));
	rt->allow = calloc(n, sizeof(*rt->allow));
	rt->name = calloc(nname > 0 ? nname : 1, sizeof(*rt->name));
	if (rt->route == NULL || rt->allow == NULL || rt->name == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	rt->n = n;
	rt->nname = nname;
	rt->fallback = n;
	for (i = 0; i < n; i++) {
		const struct route *r = routes[i];

		rt->route[i] = r;
		if (r->host.n == 0 && rt->fallback == n)
			rt->fallback = i;
		for (j = 0; j < r->host.n; j++, k++) {
			rt->name[k].route = i;
			if (host_entry_parse(r->host.v[j], &rt->name[k],
					     &reason) == -1) {
				pattern_error(why, sizeof(why), r->host.v[j],
					      reason);
				snprintf(err, errlen, "route \"%s\": host %s",
					 route_label(r), why);
				goto fail;
			}
		}
		if (router_allow_compile(&r->dynamic_allow, &rt->allow[i], why,
					 sizeof(why)) == -1) {
			snprintf(err, errlen, "route \"%s\": dynamic_allow %s",
				 route_label(r), why);
			goto fail;
		}
	}
	return 0;
fail:
	router_free(rt);
	return -1;
}

void
router_free(struct router *rt)
{
	size_t i;

	if (rt->allow != NULL)
		for (i = 0; i < rt->n; i++)
			router_allow_free(&rt->allow[i]);
	free(rt->allow);
	free(rt->route);
	free(rt->name);
	memset(rt, 0, sizeof(*rt));
}

/* RFC 3986 reg-name characters (unreserved, sub-delims; '%' checked apart). */
static bool
is_regname_char(unsigned char c)
{
	static const char sub[] = "-._~!$&'()*+,;=";

	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       is_digit(c) || memchr(sub, c, sizeof(sub) - 1) != NULL;
}

/*
 * Parse a Host value or an authority: "name", "name:port", "[v6]" or
 * "[v6]:port" with blanks around. Returns 1 when it is empty, 0 with *H
 * filled, or -1 when it is invalid.
 */
static int
hostval_parse(const char *s, size_t len, struct hostval *h)
{
	const char *end, *colon;
	unsigned char v4[4];
	size_t i, port_at;

	while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		return 1;
	memset(h, 0, sizeof(*h));
	if (s[0] == '[') {
		end = memchr(s, ']', len);
		if (end == NULL ||
		    !ipv6_parse(s + 1, (size_t)(end - s - 1), h->a))
			return -1;
		h->name = s + 1;
		h->len = (size_t)(end - s - 1);
		h->ip = h->v6 = true;
		port_at = (size_t)(end - s + 1);
		if (port_at < len && s[port_at] != ':')
			return -1;
	} else {
		colon = memchr(s, ':', len);
		h->name = s;
		h->len = colon != NULL ? (size_t)(colon - s) : len;
		port_at = h->len;
		for (i = 0; i < h->len; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '%' && h->len - i >= 3 &&
			    hex_value((unsigned char)s[i + 1]) >= 0 &&
			    hex_value((unsigned char)s[i + 2]) >= 0)
				i += 2;
			else if (!is_regname_char(c))
				return -1;
		}
		for (i = 0; i + 1 < h->len; i++)
			if (s[i] == '.' && s[i + 1] == '.')
				return -1;
		if (h->len > 0 && s[h->len - 1] == '.')
			h->len--; /* one trailing dot: the same name */
		if (h->len == 0 || s[0] == '.')
			return -1;
		h->ip = ipv4_parse(s, h->len, v4);
	}
	/* The port is ignored but must be digits (RFC 3986: *DIGIT). */
	for (i = port_at + 1; i < len; i++)
		if (!is_digit((unsigned char)s[i]))
			return -1;
	return 0;
}

/* The route to use when no host entry matches. */
static void
match_fallback(const struct router *rt, struct router_match *m)
{
	m->index = rt->fallback < rt->n ? rt->fallback : 0;
	m->how = rt->fallback < rt->n ? ROUTER_BY_FALLBACK : ROUTER_BY_FIRST;
	m->route = rt->route[m->index];
}

int
router_match_host(const struct router *rt, const char *host, size_t hostlen,
		  struct router_match *m)
{
	const struct router_name *best = NULL;
	struct hostval h;
	size_t k;
	int rc;

	assert(rt->n > 0 && "router_init() refuses an empty listener");
	rc = host != NULL ? hostval_parse(host, hostlen, &h) : 1;
	if (rc == -1)
		return -1;
	if (rc == 1) {
		m->name = NULL;
		m->namelen = 0;
		match_fallback(rt, m);
		return 0;
	}
	m->name = h.name;
	m->namelen = h.len;
	/* Names are in route order: the first exact match wins at once. */
	for (k = 0; k < rt->nname; k++) {
		const struct router_name *nm = &rt->name[k];

		switch (nm->kind) {
		case NAME_EXACT:
			if (h.v6 || nm->len != h.len ||
			    !case_equal(nm->s, h.name, h.len))
				continue;
			break;
		case NAME_V6:
			if (!h.v6 || memcmp(nm->v6, h.a, 16) != 0)
				continue;
			break;
		case NAME_SUFFIX:
			if (!h.ip && h.len > nm->len &&
			    (best == NULL || nm->len > best->len) &&
			    case_equal(h.name + h.len - nm->len, nm->s,
				       nm->len))
				best = nm;
			continue;
		}
		m->index = nm->route;
		m->how = ROUTER_BY_HOST;
		m->route = rt->route[m->index];
		return 0;
	}
	if (best != NULL) {
		m->index = best->route;
		m->how = ROUTER_BY_HOST;
		m->route = rt->route[m->index];
		return 0;
	}
	match_fallback(rt, m);
	return 0;
}

/* Which porty parameter the raw name S (LEN bytes) is, if any. */
static enum param
param_name(const char *s, size_t len)
{
	char buf[16];
	size_t n;

	/* "porty_host" is 10 bytes, and encoding only makes it longer. */
	if (len < 10 || (s[0] != 'p' && s[0] != '%') ||
	    pct_decode(s, len, buf, sizeof(buf), &n) != 0)
		return PARAM_NONE;
	if (n == 10 && memcmp(buf, "porty_host", 10) == 0)
		return PARAM_HOST;
	if (n == 10 && memcmp(buf, "porty_port", 10) == 0)
		return PARAM_PORT;
	if (n == 12 && memcmp(buf, "porty_scheme", 12) == 0)
		return PARAM_SCHEME;
	return PARAM_NONE;
}

static const unsigned param_bit[] = {
    [PARAM_NONE] = 0,
    [PARAM_HOST] = ROUTER_PARAM_HOST,
    [PARAM_PORT] = ROUTER_PARAM_PORT,
    [PARAM_SCHEME] = ROUTER_PARAM_SCHEME,
};

/*
 * The parameter of TARGET's query that starts at START: *END is the '&'
 * after it or QEND, *NAME_END its '=' or *END. One pass over the bytes.
 */
static void
param_span(const char *target, size_t start, size_t qend, size_t *end,
	   size_t *name_end)
{
	size_t i;

	*name_end = qend;
	for (i = start; i < qend && target[i] != '&'; i++)
		if (target[i] == '=' && *name_end == qend)
			*name_end = i;
	*end = i;
	if (*name_end > i)
		*name_end = i;
}

/* Locate the query of TARGET (LEN bytes). */
static void
query_find(const char *target, size_t len, struct query *q)
{
	const char *p = memchr(target, '?', len), *hash;

	q->q = q->qend = len;
	/* A '?' after a '#' is part of the fragment, not a query. */
	if (p == NULL || memchr(target, '#', (size_t)(p - target)) != NULL)
		return;
	q->q = (size_t)(p - target);
	hash = memchr(p + 1, '#', len - q->q - 1);
	if (hash != NULL)
		q->qend = (size_t)(hash - target);
}

/*
 * Check the decoded porty_host BUF (N bytes, NUL-terminated) and store it
 * in T: a host name, an IPv4 literal, or an IPv6 literal with or without
 * brackets. Returns 0, or -1 with *REASON.
 */
static int
target_host_set(struct router_target *t, char *buf, size_t n,
		const char **reason)
{
	struct addr addr;
	size_t i, label = 0, len;
	unsigned char v4[4], v6[16];
	bool literal = true;

	if (n == 0) {
		*reason = "Empty porty_host parameter";
		return -1;
	}
	*reason =
	    "Invalid porty_host parameter (not a host name or IP address)";
	memset(&addr, 0, sizeof(addr));
	if (buf[0] == '[' || memchr(buf, ':', n) != NULL) {
		if (buf[0] == '[') {
			if (n < 2 || buf[n - 1] != ']')
				return -1;
			buf++;
			n -= 2;
		}
		if (!ipv6_parse(buf, n, v6))
			return -1;
		if (memcmp(v6, v4mapped_prefix, 12) == 0) {
			addr.u.in.sin_family = AF_INET;
			memcpy(&addr.u.in.sin_addr, v6 + 12, 4);
			addr.len = sizeof(addr.u.in);
		} else {
			addr.u.in6.sin6_family = AF_INET6;
			memcpy(&addr.u.in6.sin6_addr, v6, 16);
			addr.len = sizeof(addr.u.in6);
		}
	} else {
		len = buf[n - 1] == '.' ? n - 1 : n;
		if (!name_syntax_ok(buf, len))
			return -1;
		for (i = 0; i < len; i++) {
			label = buf[i] == '.' ? 0 : label + 1;
			if (label > 63)
				return -1;
		}
		if (ipv4_parse(buf, n, v4)) {
			addr.u.in.sin_family = AF_INET;
			memcpy(&addr.u.in.sin_addr, v4, 4);
			addr.len = sizeof(addr.u.in);
		} else if (ends_in_number(buf, len)) {
			/* inet_aton() forms ("127.1", "0x7f000001"). */
			return -1;
		} else {
			literal = false;
		}
	}
	if (t->found & ROUTER_PARAM_HOST) {
		if (t->hostlen != n || !case_equal(t->host, buf, n)) {
			*reason = "Conflicting porty_host parameters";
			return -1;
		}
		return 0;
	}
	memcpy(t->host, buf, n);
	t->host[n] = '\0';
	t->hostlen = n;
	t->literal = literal;
	t->addr = addr;
	return 0;
}

/* Decode and check the value V (VLEN bytes) of parameter P into T. */
static int
param_value(struct router_target *t, enum param p, const char *v, size_t vlen,
	    const char **reason)
{
	char buf[ROUTER_HOST_MAX + 3]; /* a name, or [IPv6], and NUL */
	enum router_scheme scheme;
	unsigned port;
	size_t n;
	int rc;

	rc = pct_decode(v, vlen, buf, p == PARAM_HOST ? sizeof(buf) : 16, &n);
	switch (p) {
	case PARAM_HOST:
		if (rc == -1) {
			*reason =
			    "Invalid percent-encoding in porty_host parameter";
			return -1;
		}
		if (rc == -2) {
			*reason = "Invalid porty_host parameter (too long)";
			return -1;
		}
		return target_host_set(t, buf, n, reason);
	case PARAM_PORT:
		if (rc == -1) {
			*reason =
			    "Invalid percent-encoding in porty_port parameter";
			return -1;
		}
		if (rc == -2 || digits_value(buf, n, 65535, &port) == -1 ||
		    port == 0) {
			*reason = "Invalid porty_port parameter (not 1-65535)";
			return -1;
		}
		if ((t->found & ROUTER_PARAM_PORT) && t->port != port) {
			*reason = "Conflicting porty_port parameters";
			return -1;
		}
		t->port = port;
		return 0;
	case PARAM_SCHEME:
		if (rc == -1) {
			*reason = "Invalid percent-encoding in porty_scheme "
				  "parameter";
			return -1;
		}
		if (rc == 0 && n == 4 && case_equal(buf, "http", 4))
			scheme = ROUTER_SCHEME_HTTP;
		else if (rc == 0 && n == 5 && case_equal(buf, "https", 5))
			scheme = ROUTER_SCHEME_HTTPS;
		else {
			*reason = "Invalid porty_scheme parameter (not http or "
				  "https)";
			return -1;
		}
		if ((t->found & ROUTER_PARAM_SCHEME) && t->scheme != scheme) {
			*reason = "Conflicting porty_scheme parameters";
			return -1;
		}
		t->scheme = scheme;
		return 0;
	case PARAM_NONE:
		break;
	}
	assert(0 && "param_value() is only called for porty parameters");
	return -1;
}

/*
 * The first pass: find the porty parameters of TARGET's query Q, and with
 * VALIDATE decode and check their values into T. Writes nothing else.
 */
static int
query_scan(const char *target, const struct query *q, bool validate,
	   struct router_target *t, const char **reason)
{
	size_t start, end, name_end, value;
	enum param p;

	/* Reset field by field: host[] need not be cleared. */
	t->found = 0;
	t->host[0] = '\0';
	t->hostlen = 0;
	t->port = 0;
	t->scheme = ROUTER_SCHEME_HTTP;
	t->literal = false;
	memset(&t->addr, 0, sizeof(t->addr));
	if (q->q == q->qend)
		return 0;
	for (start = q->q + 1; start <= q->qend; start = end + 1) {
		param_span(target, start, q->qend, &end, &name_end);
		p = param_name(target + start, name_end - start);
		if (p == PARAM_NONE)
			continue;
		value = name_end < end ? name_end + 1 : end; /* after '=' */
		if (validate && param_value(t, p, target + value, end - value,
					    reason) == -1)
			return -1;
		t->found |= param_bit[p];
	}
	if (t->literal && t->port != 0) {
		if (t->addr.u.sa.sa_family == AF_INET)
			t->addr.u.in.sin_port = htons((uint16_t)t->port);
		else
			t->addr.u.in6.sin6_port = htons((uint16_t)t->port);
	}
	return 0;
}

/*
 * The second pass: write TARGET (LEN bytes) to OUT without its porty
 * parameters. OUT may be TARGET: every byte is written at or before the
 * place it is read from, and memmove() copes with the overlap.
 */
static size_t
query_write(const char *target, size_t len, const struct query *q, char *out)
{
	size_t start, end, name_end, w, mark;
	bool first = true, any = false;

	memmove(out, target, q->q);
	w = mark = q->q;
	out[w++] = '?';
	for (start = q->q + 1; start <= q->qend; start = end + 1) {
		param_span(target, start, q->qend, &end, &name_end);
		if (param_name(target + start, name_end - start) != PARAM_NONE)
			continue;
		if (!first)
			out[w++] = '&';
		memmove(out + w, target + start, end - start);
		w += end - start;
		first = false;
		any = any || end > start;
	}
	if (!any)
		w = mark; /* nothing but empty parameters left: drop the '?' */
	memmove(out + w, target + q->qend, len - q->qend);
	return w + len - q->qend;
}

/* Write TARGET to OUT, without porty parameters when T found some. */
static size_t
target_write(const char *target, size_t len, const struct query *q,
	     const struct router_target *t, char *out)
{
	if (t->found == 0) {
		if (out != target)
			memcpy(out, target, len);
		return len;
	}
	return query_write(target, len, q, out);
}

int
router_query_parse(const char *target, size_t len, bool validate,
		   struct router_target *t, char *out, size_t outlen,
		   size_t *outn, const char **reason)
{
	struct query q;

	assert(outlen >= len && "the rewritten target is never longer");
	(void)outlen;
	query_find(target, len, &q);
	if (query_scan(target, &q, validate, t, reason) == -1)
		return -1;
	*outn = target_write(target, len, &q, t, out);
	return 0;
}

/* Make D a ROUTER_ERROR with STATUS and the body "STATUS REASON". */
static void
decide_error(struct router_decision *d, unsigned status, const char *reason)
{
	d->result = ROUTER_ERROR;
	d->status = status;
	snprintf(d->body, sizeof(d->body), "%u %s", status, reason);
}

/* The 404 answer, naming the routing host. */
static void
decide_no_route(struct router_decision *d)
{
	char shown[ROUTER_SHOW_MAX + 4];

	if (d->name != NULL)
		show(shown, d->name, d->namelen);
	else
		memcpy(shown, "(none)", sizeof("(none)"));
	d->result = ROUTER_ERROR;
	d->status = 404;
	snprintf(d->body, sizeof(d->body), "404 No route for host %s", shown);
}

/*
 * The absolute-form authority of TARGET ("http://AUTH/..."), if TARGET is
 * in absolute form with the http or https scheme.
 */
static bool
target_authority(const char *target, size_t len, const char **auth,
		 size_t *alen)
{
	size_t off, end;

	if (len >= 7 && case_equal(target, "http://", 7))
		off = 7;
	else if (len >= 8 && case_equal(target, "https://", 8))
		off = 8;
	else
		return false;
	for (end = off; end < len; end++)
		if (target[end] == '/' || target[end] == '?' ||
		    target[end] == '#')
			break;
	*auth = target + off;
	*alen = end - off;
	return true;
}

void
router_route(const struct router *rt, const char *host, size_t hostlen,
	     const char *target, size_t targetlen, char *out, size_t outlen,
	     struct router_decision *d)
{
	struct router_target *t = &d->target;
	struct router_match m;
	enum router_verdict v;
	const struct route *r;
	const char *auth, *reason = NULL;
	size_t alen;
	struct query q;
	bool honour;

	assert(outlen >= targetlen && "the rewritten target is never longer");
	(void)outlen;
	memset(d, 0, sizeof(*d));
	match_fallback(rt, &m);
	d->route = m.route;
	d->allow = &rt->allow[m.index];
	d->how = m.how;
	if (target_authority(target, targetlen, &auth, &alen)) {
		if (router_match_host(rt, auth, alen, &m) == -1 ||
		    m.name == NULL) {
			decide_error(d, 400, "Invalid request target");
			return;
		}
	} else if (router_match_host(rt, host, hostlen, &m) == -1) {
		decide_error(d, 400, "Invalid Host header");
		return;
	}
	r = d->route = m.route;
	d->allow = &rt->allow[m.index];
	d->how = m.how;
	d->name = m.name;
	d->namelen = m.namelen;

	/* A host match goes to its target; parameters are someone else's. */
	honour = r->dynamic && (m.how != ROUTER_BY_HOST || r->target_port == 0);
	query_find(target, targetlen, &q);
	if (query_scan(target, &q, honour, t, &reason) == -1) {
		decide_error(d, 400, reason);
		return;
	}
	if (!honour || t->found == 0) {
		if (m.how == ROUTER_BY_FIRST) {
			decide_no_route(d);
			return;
		}
		if (r->target_port == 0) {
			decide_error(
			    d, 400,
			    "Missing porty_host and porty_port parameters");
			return;
		}
		d->result = ROUTER_CONFIGURED;
		d->target_len = target_write(target, targetlen, &q, t, out);
		d->target_changed = t->found != 0;
		return;
	}
	if ((t->found & (ROUTER_PARAM_HOST | ROUTER_PARAM_PORT)) == 0) {
		decide_error(d, 400,
			     "Missing porty_host and porty_port parameters");
		return;
	}
	if ((t->found & ROUTER_PARAM_PORT) == 0) {
		decide_error(d, 400, "Missing porty_port parameter");
		return;
	}
	if ((t->found & ROUTER_PARAM_HOST) == 0) {
		decide_error(d, 400, "Missing porty_host parameter");
		return;
	}
	d->result = ROUTER_DYNAMIC;
	/* A literal is its own resolved address: decide it all now. */
	if (t->literal)
		v = router_allow_check(d->allow, t->host, &t->addr.u.sa,
				       t->port);
	else if (router_allow_may_admit(d->allow, t->host, t->port))
		v = ROUTER_ALLOW;
	else
		v = ROUTER_DENY;
	if (v != ROUTER_ALLOW) {
		router_deny(d, v);
		return;
	}
	d->target_len = target_write(target, targetlen, &q, t, out);
	d->target_changed = true;
}

void
router_deny(struct router_decision *d, enum router_verdict v)
{
	char shown[ROUTER_SHOW_MAX + 4];
	bool v6;

	assert(d->result == ROUTER_DYNAMIC && v != ROUTER_ALLOW &&
	       "router_deny() refuses a dynamic target");
	show(shown, d->target.host, d->target.hostlen);
	v6 = strchr(d->target.host, ':') != NULL;
	d->result = ROUTER_ERROR;
	d->status = 403;
	snprintf(d->body, sizeof(d->body),
		 "403 Dynamic target %s%s%s:%u not allowed%s", v6 ? "[" : "",
		 shown, v6 ? "]" : "", d->target.port,
		 v == ROUTER_DENY_LINK_LOCAL ? " (link-local address)" : "");
}
