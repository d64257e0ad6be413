/* SPDX-License-Identifier: MIT */
/* The server name of a TLS ClientHello, read without terminating TLS. */
#include "auto-config.h"

#include "sni.h"

#include <string.h>
#include <strings.h>

#include "config.h"

/* TLS record header: type, version, length (RFC 8446 §5.1). */
#define SNI_RECORD_HEADER    5
#define SNI_RECORD_HANDSHAKE 22
#define SNI_RECORD_MAX       16384 /* plaintext fragment limit */
#define SNI_HS_CLIENT_HELLO  1
#define SNI_EXT_SERVER_NAME  0
#define SNI_NAME_TYPE_HOST   0

/* A bounds-checked reader over a byte range. */
struct sni_rd {
	const unsigned char *p;
	size_t len;
};

static bool
sni_take(struct sni_rd *r, size_t n, const unsigned char **out)
{
	if (r->len < n)
		return false;
	if (out != NULL)
		*out = r->p;
	r->p += n;
	r->len -= n;
	return true;
}

/* A big-endian integer of N (1..3) bytes. */
static bool
sni_uint(struct sni_rd *r, size_t n, size_t *v)
{
	const unsigned char *b;
	size_t i;

	if (!sni_take(r, n, &b))
		return false;
	*v = 0;
	for (i = 0; i < n; i++)
		*v = *v << 8 | b[i];
	return true;
}

/* A vector with an N-byte length prefix, as a sub-reader. */
static bool
sni_vec(struct sni_rd *r, size_t n, struct sni_rd *sub)
{
	size_t len;

	if (!sni_uint(r, n, &len) || !sni_take(r, len, &sub->p))
		return false;
	sub->len = len;
	return true;
}

/* A host name as DNS allows it: letters, digits, '-', '_', dots. */
static bool
sni_name_ok(const unsigned char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SNI_NAME_MAX + 1)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		      ch == '.'))
			return false;
	}
	return true;
}

/* The server_name extension's body (RFC 6066 §3). */
static enum sni_rc
sni_server_name(struct sni_rd ext, char *name)
{
	struct sni_rd list, host;
	size_t type;

	if (!sni_vec(&ext, 2, &list) || ext.len != 0)
		return SNI_BAD;
	while (list.len > 0) {
		if (!sni_uint(&list, 1, &type) || !sni_vec(&list, 2, &host))
			return SNI_BAD;
		if (type != SNI_NAME_TYPE_HOST)
			continue;
		if (!sni_name_ok(host.p, host.len))
			return SNI_BAD;
		/* One trailing dot is the same name. */
		if (host.p[host.len - 1] == '.')
			host.len--;
		if (host.len == 0 || host.len > SNI_NAME_MAX)
			return SNI_BAD;
		memcpy(name, host.p, host.len);
		name[host.len] = '\0';
		return SNI_FOUND;
	}
	return SNI_NONE;
}

/* The body of a whole ClientHello message (RFC 8446 §4.1.2). */
static enum sni_rc
sni_hello(struct sni_rd r, char *name)
{
	struct sni_rd skip, exts, ext;
	size_t type;

	if (!sni_take(&r, 2 + 32, NULL) || /* legacy_version, random */
	    !sni_vec(&r, 1, &skip) || skip.len > 32 || /* session id */
	    !sni_vec(&r, 2, &skip) || skip.len < 2 || skip.len % 2 != 0 ||
	    !sni_vec(&r, 1, &skip) || skip.len < 1) /* compression */
		return SNI_BAD;
	if (r.len == 0)
		return SNI_NONE; /* no extensions at all (old clients) */
	if (!sni_vec(&r, 2, &exts) || r.len != 0)
		return SNI_BAD;
	while (exts.len > 0) {
		if (!sni_uint(&exts, 2, &type) || !sni_vec(&exts, 2, &ext))
			return SNI_BAD;
		if (type == SNI_EXT_SERVER_NAME)
			return sni_server_name(ext, name);
	}
	return SNI_NONE;
}

enum sni_rc
sni_parse(const unsigned char *p, size_t len, char *name)
{
	/* The handshake bytes of the records seen, joined. */
	unsigned char hs[SNI_HELLO_MAX + 4];
	size_t hslen = 0, rlen, want = 0;
	struct sni_rd r = {p, len}, body;

	for (;;) {
		if (r.len < SNI_RECORD_HEADER) {
			/* A partial header must still look like one. */
			if (r.len >= 1 && r.p[0] != SNI_RECORD_HANDSHAKE)
				return SNI_BAD;
			if (r.len >= 2 && r.p[1] != 3)
				return SNI_BAD;
			return SNI_MORE;
		}
		if (r.p[0] != SNI_RECORD_HANDSHAKE || r.p[1] != 3)
			return SNI_BAD;
		rlen = (size_t)r.p[3] << 8 | r.p[4];
		if (rlen == 0 || rlen > SNI_RECORD_MAX)
			return SNI_BAD;
		if (r.len < SNI_RECORD_HEADER + rlen) {
			/* Use what is there to refuse garbage early. */
			rlen = r.len - SNI_RECORD_HEADER;
		}
		if (hslen + rlen > sizeof(hs))
			return SNI_BAD;
		memcpy(hs + hslen, r.p + SNI_RECORD_HEADER, rlen);
		hslen += rlen;
		(void)sni_take(&r, SNI_RECORD_HEADER + rlen, NULL);
		if (hslen >= 1 && hs[0] != SNI_HS_CLIENT_HELLO)
			return SNI_BAD;
		if (hslen >= 4) {
			want = (size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3];
			if (want > SNI_HELLO_MAX)
				return SNI_BAD;
			if (hslen >= 4 + want)
				break;
		}
		if (r.len == 0)
			return SNI_MORE;
	}
	body.p = hs + 4;
	body.len = want;
	return sni_hello(body, name);
}

bool
sni_pick(const struct strlist *const *lists, size_t n, const char *name,
	 size_t *index)
{
	size_t i, j, nlen = strlen(name), plen, best_len = 0;
	bool found = false;

	for (i = 0; i < n; i++)
		for (j = 0; j < lists[i]->n; j++)
			if (strcasecmp(lists[i]->v[j], name) == 0) {
				*index = i;
				return true;
			}
	for (i = 0; i < n; i++) {
		for (j = 0; j < lists[i]->n; j++) {
			const char *pat = lists[i]->v[j];

			plen = strlen(pat);
			/* "*.example.com": compare ".example.com". */
			if (plen < 3 || pat[0] != '*' || pat[1] != '.')
				continue;
			if (nlen <= plen - 1 || plen - 1 <= best_len ||
			    strcasecmp(name + nlen - (plen - 1), pat + 1) != 0)
				continue;
			best_len = plen - 1;
			*index = i;
			found = true;
		}
	}
	return found;
}
