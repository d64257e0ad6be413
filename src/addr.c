/* SPDX-License-Identifier: MIT */
/* Addresses: "host:port" parsing, start-up resolution, sockaddr to text. */
#include "auto-config.h"

#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse a decimal port 1..65535 from the whole of S. */
static int
addr_parse_port(const char *s, unsigned *port)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

int
addr_split(const char *text, char *host, size_t hostlen, unsigned *port,
	   char *err, size_t errlen)
{
	const char *h, *colon, *close;
	size_t hlen;

	if (text[0] == '[') {
		close = strchr(text, ']');
		if (close == NULL) {
			snprintf(err, errlen, "\"%s\": missing ']'", text);
			return -1;
		}
		h = text + 1;
		hlen = (size_t)(close - h);
		if (close[1] != ':') {
			snprintf(err, errlen, "\"%s\": missing port", text);
			return -1;
		}
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL) {
			snprintf(err, errlen, "\"%s\": missing port", text);
			return -1;
		}
		if (memchr(text, ':', (size_t)(colon - text)) != NULL) {
			snprintf(
			    err, errlen,
			    "\"%s\": an IPv6 address needs brackets, as in "
			    "[::1]:8080",
			    text);
			return -1;
		}
		h = text;
		hlen = (size_t)(colon - text);
	}
	if (hlen == 0) {
		snprintf(err, errlen, "\"%s\": missing host", text);
		return -1;
	}
	if (hlen >= hostlen) {
		snprintf(err, errlen, "\"%s\": host name too long", text);
		return -1;
	}
	if (addr_parse_port(colon + 1, port) == -1) {
		snprintf(err, errlen, "\"%s\": port must be 1..65535", text);
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	return 0;
}

bool
addr_equal(const struct addr *a, const struct addr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in.sin_port == b->u.in.sin_port &&
		       a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	return a->u.in6.sin6_port == b->u.in6.sin6_port &&
	       a->u.in6.sin6_scope_id == b->u.in6.sin6_scope_id &&
	       memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr,
		      sizeof(a->u.in6.sin6_addr)) == 0;
}

int
addr_resolve(const char *host, unsigned port, bool passive, struct addr *out,
	     size_t max, size_t *n, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char name[NI_MAXHOST], serv[8];
	size_t len, i;
	int rc;

	*n = 0;
	len = strlen(host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		/* "[::1]": the brackets belong to the text form only. */
		len -= 2;
		host++;
	}
	if (len == 0 || len >= sizeof(name)) {
		snprintf(err, errlen, "\"%s\": not a valid host", host);
		return -1;
	}
	memcpy(name, host, len);
	name[len] = '\0';
	snprintf(serv, sizeof(serv), "%u", port);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	rc = getaddrinfo(name, serv, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "\"%s\": %s", name,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && *n < max; ai = ai->ai_next) {
		struct addr a;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(a.u))
			continue;
		memset(&a, 0, sizeof(a));
		memcpy(&a.u, ai->ai_addr, ai->ai_addrlen);
		a.len = ai->ai_addrlen;
		for (i = 0; i < *n && !addr_equal(&out[i], &a); i++)
			;
		if (i == *n)
			out[(*n)++] = a;
	}
	freeaddrinfo(res);
	if (*n == 0) {
		snprintf(err, errlen, "\"%s\": no IPv4 or IPv6 address", name);
		return -1;
	}
	return 0;
}

size_t
addr_format(const struct addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	struct in_addr v4;
	unsigned port;
	int r;

	if (a->u.sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&a->u.in6.sin6_addr)) {
		/* A dual-stack listener's IPv4 client: show it as IPv4. */
		memcpy(&v4, &a->u.in6.sin6_addr.s6_addr[12], sizeof(v4));
		inet_ntop(AF_INET, &v4, ip, sizeof(ip));
		port = ntohs(a->u.in6.sin6_port);
		r = snprintf(buf, len, "%s:%u", ip, port);
	} else if (a->u.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->u.in6.sin6_addr, ip, sizeof(ip));
		port = ntohs(a->u.in6.sin6_port);
		r = snprintf(buf, len, "[%s]:%u", ip, port);
	} else if (a->u.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->u.in.sin_addr, ip, sizeof(ip));
		port = ntohs(a->u.in.sin_port);
		r = snprintf(buf, len, "%s:%u", ip, port);
	} else {
		r = snprintf(buf, len, "?");
	}
	if (r < 0)
		r = 0;
	if (len > 0 && (size_t)r >= len)
		r = (int)(len - 1);
	return (size_t)r;
}

size_t
addr_format_hostport(const char *host, unsigned port, char *buf, size_t len)
{
	int r;

	if (strchr(host, ':') != NULL && host[0] != '[')
		r = snprintf(buf, len, "[%s]:%u", host, port);
	else
		r = snprintf(buf, len, "%s:%u", host, port);
	return r < 0 ? 0 : (size_t)r;
}
