/* SPDX-License-Identifier: MIT */
/* HTTP/1.1 message framing, head storage and head rewriting. No I/O. */
#include "auto-config.h"

#include "http_head.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"

/* Text room of a new head: most request heads fit, so one allocation. */
#define HEAD_INITIAL   1024
/* Fields room of a new head, doubled as needed up to PORTY_HTTP_HEAD_FIELDS. */
#define FIELDS_INITIAL 16
/* The most Connection options (hop-by-hop names) honoured in one head. */
#define CONN_TOKENS    32
/* The longest chunk-size line, extensions included. */
#define CHUNK_LINE_MAX 4096

/* The fields whose names this module acts on. */
enum field_kind {
	FK_OTHER = 0,
	FK_HOST,
	FK_CONTENT_LENGTH,
	FK_TRANSFER_ENCODING,
	FK_CONNECTION,
	FK_KEEP_ALIVE,
	FK_PROXY_CONNECTION,
	FK_TE,
	FK_TRAILER,
	FK_UPGRADE,
	FK_XFF,
	FK_XFP,
	FK_XFH,
};

static const struct {
	const char *name;
	enum field_kind kind;
} field_kinds[] = {
    {"Host", FK_HOST},
    {"Content-Length", FK_CONTENT_LENGTH},
    {"Transfer-Encoding", FK_TRANSFER_ENCODING},
    {"Connection", FK_CONNECTION},
    {"Keep-Alive", FK_KEEP_ALIVE},
    {"Proxy-Connection", FK_PROXY_CONNECTION},
    {"TE", FK_TE},
    {"Trailer", FK_TRAILER},
    {"Upgrade", FK_UPGRADE},
    {"X-Forwarded-For", FK_XFF},
    {"X-Forwarded-Proto", FK_XFP},
    {"X-Forwarded-Host", FK_XFH},
};

/* One header field, as offsets into the head's text. */
struct field {
	uint32_t name, name_len;
	/* The value, trimmed of OWS once the head is complete. */
	uint32_t value, value_len;
	uint8_t kind;   /* enum field_kind */
	uint8_t listed; /* named by a Connection option */
};

/*
 * A held head: its raw bytes from the first byte of the message (empty lines
 * before the start line included) to the empty line that ends it, and the
 * field table built from http-parser's callbacks. Offsets, not pointers, so
 * the text may be reallocated as it grows.
 */
struct http_head_store {
	uint32_t len, cap;         /* text bytes held, and room */
	uint32_t line;             /* start of the line being read */
	uint32_t fed;              /* bytes given to http-parser */
	uint32_t end;              /* head length once complete, else 0 */
	uint32_t start, start_len; /* the start line, CRLF excluded */
	uint32_t span, span_len;   /* request target or reason phrase */
	uint32_t host;             /* index of the Host field, or UINT32_MAX */
	struct field *fields;      /* owned */
	uint32_t nfields, fcap;
	bool have_start; /* the start line was scanned */
	bool in_value;   /* http-parser's last field callback was a value */
	bool complete;   /* http-parser reached the end of the head */
	char text[];
};

/* States of the chunked framing (RFC 9112 §7.1). */
enum chunk_state {
	CS_SIZE0 = 0,     /* first hex digit of a chunk size */
	CS_SIZE,          /* more hex digits */
	CS_BWS,           /* whitespace after the size: only ';' may follow */
	CS_EXT,           /* chunk extensions, up to CR */
	CS_SIZE_LF,       /* LF ending the chunk-size line */
	CS_DATA,          /* h->left bytes of chunk data */
	CS_DATA_CR,       /* CR after the data */
	CS_DATA_LF,       /* LF after the data */
	CS_TRAILER,       /* start of a trailer line, or CR of the last line */
	CS_TRAILER_NAME,  /* trailer field name */
	CS_TRAILER_VALUE, /* trailer field value, up to CR */
	CS_TRAILER_LF,    /* LF ending a trailer line */
	CS_END_LF,        /* LF ending the message */
};

/* ---------------------------------------------------------------------
 * Characters (RFC 9110 §5.6.2, §5.5; ASCII only, no locale)
 */

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool
is_tchar(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static bool
is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* field-vchar / SP / HTAB: VCHAR and obs-text, no CTL, no DEL. */
static bool
is_value_char(unsigned char c)
{
	return is_ows(c) || (c > 0x20 && c != 0x7f);
}

/* A request-target byte: VCHAR, and obs-text which some clients send raw. */
static bool
is_target_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f;
}

/* uri-host [":" port] bytes: unreserved, pct-encoded, sub-delims, IP-literal.
 */
static bool
is_host_char(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("-._~%!$&'()*+,;=:[]", c));
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool
name_eq(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i;

	if (an != bn)
		return false;
	for (i = 0; i < an; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/*
 * The next element of the comma-separated list in [*P, END): empty elements
 * and the OWS around elements are skipped (RFC 9110 §5.6.1). Stores it in
 * *TOK, *N and returns true, or returns false at the end of the list.
 */
static bool
list_next(const char **p, const char *end, const char **tok, size_t *n)
{
	const char *s = *p, *e;

	while (s < end && (*s == ',' || is_ows((unsigned char)*s)))
		s++;
	if (s == end) {
		*p = s;
		return false;
	}
	e = s;
	while (e < end && *e != ',')
		e++;
	*p = e;
	while (e > s && is_ows((unsigned char)e[-1]))
		e--;
	*tok = s;
	*n = (size_t)(e - s);
	return true;
}

/* ---------------------------------------------------------------------
 * Errors
 */

/* Record the first error; the parser stays failed. Returns -1. */
static int
head_fail(struct http_head *h, unsigned status, const char *reason)
{
	if (h->phase != HTTP_HEAD_PHASE_ERROR) {
		h->phase = HTTP_HEAD_PHASE_ERROR;
		h->err_status = status;
		h->err_reason = reason;
	}
	return -1;
}

/* Malformed input: 400 for a request, 502 for a response. Returns -1. */
static int
head_bad(struct http_head *h, const char *reason)
{
	return head_fail(h, h->type == HTTP_HEAD_REQUEST ? 400 : 502, reason);
}

/* A request-only status (431, 501, 505), 502 for a response. Returns -1. */
static int
head_bad_status(struct http_head *h, unsigned status, const char *reason)
{
	return head_fail(h, h->type == HTTP_HEAD_REQUEST ? status : 502,
			 reason);
}

/* ---------------------------------------------------------------------
 * Storage
 */

static void
store_free(struct http_head *h)
{
	if (h->store != NULL)
		free(h->store->fields);
	free(h->store);
	h->store = NULL;
}

/* Make room for NEED text bytes (at most PORTY_HTTP_HEAD_MAX). Moves the
 * store, so never called while http-parser runs. Returns 0 or -1 (503). */
static int
store_reserve(struct http_head *h, uint32_t need)
{
	struct http_head_store *st = h->store;
	uint32_t cap = st->cap;

	if (need <= cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > PORTY_HTTP_HEAD_MAX)
		cap = PORTY_HTTP_HEAD_MAX;
	st = realloc(st, sizeof(*st) + cap);
	if (st == NULL)
		return head_fail(h, 503, "out of memory");
	st->cap = cap;
	h->store = st;
	return 0;
}

/* ---------------------------------------------------------------------
 * The head: a strict line scanner on the raw bytes, then http-parser
 */

/* "HTTP/" DIGIT "." DIGIT, major version 1 (RFC 9112 §2.3). */
static int
scan_version(struct http_head *h, const char *s, size_t n)
{
	if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || s[5] < '0' || s[5] > '9' ||
	    s[6] != '.' || s[7] < '0' || s[7] > '9')
		return head_bad(h, "malformed HTTP version");
	if (s[5] != '1')
		return head_bad_status(h, 505, "HTTP version not supported");
	return 0;
}

/* method SP request-target SP HTTP-version, single spaces (RFC 9112 §3). */
static int
scan_request_line(struct http_head *h, const char *s, size_t n)
{
	size_t i = 0, t;

	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i == n || s[i] != ' ')
		return head_bad(h, "malformed request line");
	t = ++i;
	while (i < n && is_target_char((unsigned char)s[i]))
		i++;
	if (i == t || i == n || s[i] != ' ')
		return head_bad(h, "malformed request line");
	i++;
	return scan_version(h, s + i, n - i);
}

/*
 * HTTP-version SP 3DIGIT [SP reason-phrase] (RFC 9112 §4). The SP before an
 * empty reason is often missing in the wild, and harmless.
 */
static int
scan_status_line(struct http_head *h, const char *s, size_t n)
{
	size_t i;

	if (n < 8 || scan_version(h, s, 8) == -1)
		return head_bad(h, "malformed status line");
	if (n < 12 || s[8] != ' ' || s[9] < '1' || s[9] > '9' || s[10] < '0' ||
	    s[10] > '9' || s[11] < '0' || s[11] > '9' ||
	    (n > 12 && s[12] != ' '))
		return head_bad(h, "malformed status line");
	for (i = 12; i < n; i++)
		if (!is_value_char((unsigned char)s[i]))
			return head_bad(h, "malformed status line");
	return 0;
}

/* field-name ":" OWS field-value OWS, nothing else (RFC 9112 §5). */
static int
scan_field_line(struct http_head *h, const char *s, size_t n)
{
	size_t i = 0;

	if (is_ows((unsigned char)s[0]))
		return head_bad(h, "obs-fold in header");
	while (i < n && is_tchar((unsigned char)s[i]))
		i++;
	if (i < n && is_ows((unsigned char)s[i]))
		return head_bad(h, "whitespace before colon");
	if (i == n || i == 0 || s[i] != ':')
		return head_bad(h, "invalid header name");
	for (i++; i < n; i++)
		if (!is_value_char((unsigned char)s[i]))
			return head_bad(h, "control character in header");
	return 0;
}

/* http-parser callbacks: spans are offsets into the text it is fed from. */

static int
head_on_span(http_parser *p, const char *at, size_t n)
{
	struct http_head *h = p->data;
	struct http_head_store *st = h->store;

	if (st->span_len == 0)
		st->span = (uint32_t)(at - st->text);
	st->span_len += (uint32_t)n;
	return 0;
}

static int
head_on_field(http_parser *p, const char *at, size_t n)
{
	struct http_head *h = p->data;
	struct http_head_store *st = h->store;
	struct field *f;

	if (st->nfields == 0 || st->in_value) {
		if (st->nfields == PORTY_HTTP_HEAD_FIELDS)
			return head_bad_status(h, 431,
					       "too many header fields");
		if (st->nfields == st->fcap) {
			uint32_t cap = st->fcap ? st->fcap * 2 : FIELDS_INITIAL;

			f = realloc(st->fields, cap * sizeof(*f));
			if (f == NULL)
				return head_fail(h, 503, "out of memory");
			st->fields = f;
			st->fcap = cap;
		}
		f = &st->fields[st->nfields++];
		memset(f, 0, sizeof(*f));
		f->name = (uint32_t)(at - st->text);
		st->in_value = false;
	}
	st->fields[st->nfields - 1].name_len += (uint32_t)n;
	return 0;
}

static int
head_on_value(http_parser *p, const char *at, size_t n)
{
	struct http_head *h = p->data;
	struct http_head_store *st = h->store;
	struct field *f = &st->fields[st->nfields - 1];

	if (!st->in_value) {
		f->value = (uint32_t)(at - st->text);
		f->value_len = 0;
		st->in_value = true;
	}
	f->value_len += (uint32_t)n;
	return 0;
}

/* 1: http-parser frames no body; this module does (see http_head.h). */
static int
head_on_headers_complete(http_parser *p)
{
	(void)p;
	return 1;
}

/* Stop exactly at the end of the head. */
static int
head_on_message_complete(http_parser *p)
{
	struct http_head *h = p->data;

	h->store->complete = true;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings head_settings = {
    .on_url = head_on_span,
    .on_status = head_on_span,
    .on_header_field = head_on_field,
    .on_header_value = head_on_value,
    .on_headers_complete = head_on_headers_complete,
    .on_message_complete = head_on_message_complete,
};

static enum field_kind
field_kind_of(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(field_kinds); i++)
		if (name_eq(name, n, field_kinds[i].name,
			    strlen(field_kinds[i].name)))
			return field_kinds[i].kind;
	return FK_OTHER;
}

/* Map an http-parser error to the answer. Returns -1. */
static int
head_parser_error(struct http_head *h, enum http_errno err)
{
	const struct http_head_store *st = h->store;
	uint32_t i;

	switch (err) {
	case HPE_INVALID_METHOD:
		return head_bad_status(h, 501, "unknown method");
	case HPE_INVALID_CONTENT_LENGTH:
		return head_bad(h, "invalid Content-Length");
	case HPE_UNEXPECTED_CONTENT_LENGTH:
		/* One code for both; the fields read so far tell which. */
		for (i = 0; i < st->nfields; i++)
			if (field_kind_of(st->text + st->fields[i].name,
					  st->fields[i].name_len) ==
			    FK_TRANSFER_ENCODING)
				return head_bad(h, "Content-Length with "
						   "Transfer-Encoding");
		return head_bad(h, "several Content-Length headers");
	case HPE_INVALID_URL:
	case HPE_INVALID_HOST:
	case HPE_INVALID_PORT:
	case HPE_INVALID_PATH:
	case HPE_INVALID_QUERY_STRING:
	case HPE_INVALID_FRAGMENT:
		return head_bad(h, "invalid request target");
	default:
		return head_bad(h, http_errno_description(err));
	}
}

/* Run http-parser over the checked text up to UPTO. Returns 0 or -1. */
static int
head_parse(struct http_head *h, uint32_t upto)
{
	struct http_head_store *st = h->store;
	enum http_errno err;
	size_t n;

	if (upto <= st->fed)
		return 0;
	n = http_parser_execute(&h->parser, &head_settings, st->text + st->fed,
				upto - st->fed);
	st->fed += (uint32_t)n;
	if (h->phase == HTTP_HEAD_PHASE_ERROR) /* from a callback */
		return -1;
	err = HTTP_PARSER_ERRNO(&h->parser);
	if (err == HPE_PAUSED && st->complete)
		err = HPE_OK;
	if (err != HPE_OK)
		return head_parser_error(h, err);
	if (st->fed != upto)
		return head_bad(h, "malformed head");
	return 0;
}

/*
 * Check the line just completed (it ends at the last byte of the text) and
 * pass it to http-parser, so that errors come in byte order whatever the
 * splits and http-parser never sees a line this module refuses. Lines end
 * in CRLF and nowhere else: a bare LF or CR is refused, not tolerated, so
 * that porty never splits a head where the backend does not (RFC 9112 §2.2
 * lets a recipient choose). Empty lines before the start line are skipped
 * (§2.2). Sets st->end at the empty line ending the head. Returns 0 or -1.
 */
static int
head_line(struct http_head *h)
{
	struct http_head_store *st = h->store;
	const char *s = st->text + st->line;
	size_t n = st->len - 1 - st->line;
	int rc = 0;

	st->line = st->len;
	if (n == 0 || s[n - 1] != '\r')
		return head_bad(h, "bare LF in head");
	n--;
	if (memchr(s, '\r', n) != NULL)
		return head_bad(h, "bare CR in head");
	if (!st->have_start) {
		if (n > 0) {
			st->have_start = true;
			st->start = (uint32_t)(s - st->text);
			st->start_len = (uint32_t)n;
			rc = h->type == HTTP_HEAD_REQUEST
				 ? scan_request_line(h, s, n)
				 : scan_status_line(h, s, n);
		}
	} else if (n == 0) {
		st->end = st->len;
	} else {
		rc = scan_field_line(h, s, n);
	}
	if (rc == -1)
		return -1;
	return head_parse(h, st->len);
}

/* Content-Length = 1*DIGIT, one value, no list (RFC 9112 §6.3). */
static int
parse_content_length(struct http_head *h, const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return head_bad(h, "empty Content-Length");
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - (unsigned)'0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return head_bad(h, "invalid Content-Length");
		v = v * 10 + d;
	}
	h->content_length = v;
	return 0;
}

/*
 * Transfer-Encoding, all lines as one list (RFC 9112 §6.1): chunked must be
 * the last coding and appear once, without parameters; other codings are
 * tokens, possibly with parameters, and pass to the backend as they are.
 */
static int
check_transfer_encoding(struct http_head *h)
{
	const struct http_head_store *st = h->store;
	const char *p, *end, *tok;
	size_t n, k, i, count = 0;
	bool chunked = false;

	for (i = 0; i < st->nfields; i++) {
		const struct field *f = &st->fields[i];

		if (f->kind != FK_TRANSFER_ENCODING)
			continue;
		p = st->text + f->value;
		end = p + f->value_len;
		while (list_next(&p, end, &tok, &n)) {
			count++;
			if (chunked)
				return head_bad(h, "chunked is not the last "
						   "transfer coding");
			for (k = 0; k < n && is_tchar((unsigned char)tok[k]);)
				k++;
			if (k == 0)
				return head_bad(h, "invalid Transfer-Encoding");
			chunked = name_eq(tok, k, "chunked", 7);
			while (k < n && is_ows((unsigned char)tok[k]))
				k++;
			if (k < n && (chunked || tok[k] != ';'))
				return head_bad(h, "invalid Transfer-Encoding");
		}
	}
	if (count == 0)
		return head_bad(h, "empty Transfer-Encoding");
	if (!chunked)
		return head_bad(h, "chunked is not the last transfer coding");
	return 0;
}

/*
 * The head is complete: classify the fields, apply the framing and Host
 * rules, and set the message facts. Returns 0 or -1.
 */
static int
head_analyze(struct http_head *h)
{
	struct http_head_store *st = h->store;
	struct {
		const char *s;
		size_t n;
	} opt[CONN_TOKENS];
	size_t nopt = 0, nhost = 0, ncl = 0, nte = 0, i, j, n;
	bool opt_close = false, opt_keep_alive = false, opt_upgrade = false;
	bool has_upgrade = false;
	uint32_t cl = 0;
	const char *p, *end, *tok;

	h->major = h->parser.http_major;
	h->minor = h->parser.http_minor;
	h->head_size = st->end;
	if (h->type == HTTP_HEAD_REQUEST)
		h->method = (enum http_method)h->parser.method;
	else
		h->status = h->parser.status_code;

	for (i = 0; i < st->nfields; i++) {
		struct field *f = &st->fields[i];

		/* http-parser drops leading OWS and keeps trailing OWS. */
		while (
		    f->value_len > 0 &&
		    is_ows(
			(unsigned char)st->text[f->value + f->value_len - 1]))
			f->value_len--;
		if (f->value_len == 0)
			f->value = f->name + f->name_len + 1;
		f->kind =
		    (uint8_t)field_kind_of(st->text + f->name, f->name_len);
		switch (f->kind) {
		case FK_HOST:
			if (nhost++ == 0)
				st->host = (uint32_t)i;
			break;
		case FK_CONTENT_LENGTH:
			ncl++;
			cl = (uint32_t)i;
			break;
		case FK_TRANSFER_ENCODING:
			nte++;
			break;
		case FK_UPGRADE:
			has_upgrade = true;
			break;
		case FK_CONNECTION:
			p = st->text + f->value;
			end = p + f->value_len;
			while (list_next(&p, end, &tok, &n)) {
				if (nopt == CONN_TOKENS)
					return head_bad(h,
							"too many "
							"Connection options");
				opt[nopt].s = tok;
				opt[nopt++].n = n;
				opt_close |= name_eq(tok, n, "close", 5);
				opt_keep_alive |=
				    name_eq(tok, n, "keep-alive", 10);
				opt_upgrade |= name_eq(tok, n, "upgrade", 7);
			}
			break;
		default:
			break;
		}
	}
	for (i = 0; i < st->nfields; i++) {
		struct field *f = &st->fields[i];

		for (j = 0; j < nopt && !f->listed; j++)
			f->listed = name_eq(st->text + f->name, f->name_len,
					    opt[j].s, opt[j].n);
	}

	if (h->type == HTTP_HEAD_REQUEST) {
		/* RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one. */
		if (nhost > 1)
			return head_bad(h, "several Host headers");
		if (nhost == 0 && h->minor >= 1)
			return head_bad(h, "missing Host header");
		if (nhost == 1) {
			const struct field *f = &st->fields[st->host];

			for (i = 0; i < f->value_len; i++)
				if (!is_host_char(
					(unsigned char)st->text[f->value + i]))
					return head_bad(h,
							"invalid Host header");
		}
	}

	/* RFC 9112 §6.1-6.3, one rule set for requests and responses. */
	if (nte > 0) {
		if (h->minor == 0)
			return head_bad(h, "Transfer-Encoding in HTTP/1.0");
		if (ncl > 0)
			return head_bad(h, "Content-Length with "
					   "Transfer-Encoding");
		if (check_transfer_encoding(h) == -1)
			return -1;
		h->framing = HTTP_HEAD_FRAMING_CHUNKED;
	} else if (ncl > 1) {
		return head_bad(h, "several Content-Length headers");
	} else if (ncl == 1) {
		if (parse_content_length(h, st->text + st->fields[cl].value,
					 st->fields[cl].value_len) == -1)
			return -1;
		h->framing = HTTP_HEAD_FRAMING_LENGTH;
	} else {
		h->framing = h->type == HTTP_HEAD_REQUEST
				 ? HTTP_HEAD_FRAMING_NONE
				 : HTTP_HEAD_FRAMING_CLOSE;
	}
	h->keep_alive =
	    h->minor >= 1 ? !opt_close : opt_keep_alive && !opt_close;

	if (h->type == HTTP_HEAD_REQUEST) {
		if (h->method == HTTP_CONNECT &&
		    h->framing != HTTP_HEAD_FRAMING_NONE)
			return head_bad(h, "CONNECT with a body");
		/* RFC 9110 §7.8: Upgrade in HTTP/1.0 is ignored. */
		h->upgrade = h->minor >= 1 && has_upgrade && opt_upgrade &&
			     h->method != HTTP_CONNECT;
	} else if (h->status / 100 == 1) {
		if (h->status == 101 && !h->req_upgrade)
			return head_bad(h, "101 without an Upgrade request");
		h->framing = h->status == 101 ? HTTP_HEAD_FRAMING_TUNNEL
					      : HTTP_HEAD_FRAMING_NONE;
	} else if (h->req_method == HTTP_HEAD || h->status == 204 ||
		   h->status == 304) {
		h->framing = HTTP_HEAD_FRAMING_NONE;
	} else if (h->req_method == HTTP_CONNECT && h->status / 100 == 2) {
		h->framing = HTTP_HEAD_FRAMING_TUNNEL;
	}
	if (h->framing == HTTP_HEAD_FRAMING_CLOSE ||
	    h->framing == HTTP_HEAD_FRAMING_TUNNEL)
		h->keep_alive = false;
	h->left =
	    h->framing == HTTP_HEAD_FRAMING_LENGTH ? h->content_length : 0;
	h->cstate = CS_SIZE0;
	h->count = 0;
	return 0;
}

/* The first byte of a message: fresh storage and a fresh http-parser. */
static int
message_begin(struct http_head *h)
{
	struct http_head_store *st;

	store_free(h);
	h->method = HTTP_GET;
	h->status = 0;
	h->major = h->minor = 0;
	h->head_size = 0;
	h->framing = HTTP_HEAD_FRAMING_NONE;
	h->content_length = 0;
	h->keep_alive = false;
	h->upgrade = false;
	st = malloc(sizeof(*st) + HEAD_INITIAL);
	if (st == NULL)
		return head_fail(h, 503, "out of memory");
	memset(st, 0, sizeof(*st));
	st->cap = HEAD_INITIAL;
	st->host = UINT32_MAX;
	h->store = st;
	http_parser_init(&h->parser, h->type == HTTP_HEAD_REQUEST
					 ? HTTP_REQUEST
					 : HTTP_RESPONSE);
	h->parser.data = h;
	h->phase = HTTP_HEAD_PHASE_HEAD;
	return 0;
}

/*
 * Copy the head into the store line by line, checking each line as it
 * completes, and stop at the empty line: body bytes that came with the head
 * are neither copied nor counted.
 */
static enum http_head_rc
head_feed(struct http_head *h, const char *data, size_t len, size_t *used)
{
	struct http_head_store *st;
	const char *lf;
	size_t done = 0, n;

	while (done < len) {
		st = h->store;
		n = PORTY_HTTP_HEAD_MAX - st->len;
		if (n > len - done)
			n = len - done;
		lf = memchr(data + done, '\n', n);
		if (lf != NULL)
			n = (size_t)(lf - (data + done)) + 1;
		if (store_reserve(h, st->len + (uint32_t)n) == -1)
			return HTTP_HEAD_ERROR;
		st = h->store;
		memcpy(st->text + st->len, data + done, n);
		st->len += (uint32_t)n;
		done += n;
		if (lf == NULL) {
			if (st->len == PORTY_HTTP_HEAD_MAX) {
				head_bad_status(h, 431, "head too large");
				return HTTP_HEAD_ERROR;
			}
			continue;
		}
		if (head_line(h) == -1)
			return HTTP_HEAD_ERROR;
		if (st->end != 0)
			goto complete;
	}
	*used = done;
	return HTTP_HEAD_NEED_MORE;

complete:
	if (!st->complete) {
		head_bad(h, "malformed head");
		return HTTP_HEAD_ERROR;
	}
	if (head_analyze(h) == -1)
		return HTTP_HEAD_ERROR;
	*used = done;
	h->phase = HTTP_HEAD_PHASE_BODY;
	return HTTP_HEAD_COMPLETE;
}

/* ---------------------------------------------------------------------
 * The body
 */

static enum http_head_rc
message_end(struct http_head *h, size_t n, size_t *used)
{
	*used = n;
	h->phase = h->framing == HTTP_HEAD_FRAMING_TUNNEL
		       ? HTTP_HEAD_PHASE_TUNNEL
		       : HTTP_HEAD_PHASE_IDLE;
	return HTTP_HEAD_MESSAGE_END;
}

/*
 * Chunked framing checked byte by byte (RFC 9112 §7.1): hex sizes with no
 * sign, prefix or leading space, extensions without CTLs, CRLF after every
 * line and after the data, trailer lines held to the header-line rules.
 * Stops at the LF ending the message.
 */
static enum http_head_rc
chunked_feed(struct http_head *h, const char *data, size_t len, size_t *used)
{
	size_t i = 0;
	int d;

	while (i < len) {
		unsigned char c = (unsigned char)data[i];

		if (h->cstate == CS_DATA) {
			size_t take = len - i;

			if (take > h->left)
				take = (size_t)h->left;
			i += take;
			h->left -= take;
			if (h->left == 0)
				h->cstate = CS_DATA_CR;
			continue;
		}
		if (h->cstate <= CS_SIZE_LF && ++h->count > CHUNK_LINE_MAX)
			goto too_long;
		if (h->cstate >= CS_TRAILER && ++h->count > PORTY_HTTP_HEAD_MAX)
			goto too_long;
		switch ((enum chunk_state)h->cstate) {
		case CS_SIZE0:
			if ((d = hex_value(c)) == -1)
				goto bad_size;
			h->left = (uint64_t)d;
			h->cstate = CS_SIZE;
			break;
		case CS_SIZE:
			if ((d = hex_value(c)) != -1) {
				if (h->left > UINT64_MAX >> 4)
					goto bad_size;
				h->left = h->left << 4 | (uint64_t)d;
			} else if (c == ';') {
				h->cstate = CS_EXT;
			} else if (is_ows(c)) {
				h->cstate = CS_BWS;
			} else if (c == '\r') {
				h->cstate = CS_SIZE_LF;
			} else {
				goto bad_size;
			}
			break;
		case CS_BWS:
			if (c == ';')
				h->cstate = CS_EXT;
			else if (!is_ows(c))
				goto bad_ext;
			break;
		case CS_EXT:
			if (c == '\r')
				h->cstate = CS_SIZE_LF;
			else if (!is_value_char(c))
				goto bad_ext;
			break;
		case CS_SIZE_LF:
			if (c != '\n')
				goto bad_line;
			h->count = 0;
			h->cstate = h->left == 0 ? CS_TRAILER : CS_DATA;
			break;
		case CS_DATA_CR:
			if (c != '\r')
				goto bad_data;
			h->cstate = CS_DATA_LF;
			break;
		case CS_DATA_LF:
			if (c != '\n')
				goto bad_data;
			h->count = 0;
			h->cstate = CS_SIZE0;
			break;
		case CS_TRAILER:
			if (c == '\r')
				h->cstate = CS_END_LF;
			else if (is_tchar(c))
				h->cstate = CS_TRAILER_NAME;
			else if (is_ows(c))
				goto bad_fold;
			else
				goto bad_trailer;
			break;
		case CS_TRAILER_NAME:
			if (c == ':')
				h->cstate = CS_TRAILER_VALUE;
			else if (is_ows(c))
				goto bad_colon;
			else if (!is_tchar(c))
				goto bad_trailer;
			break;
		case CS_TRAILER_VALUE:
			if (c == '\r')
				h->cstate = CS_TRAILER_LF;
			else if (!is_value_char(c))
				goto bad_trailer;
			break;
		case CS_TRAILER_LF:
			if (c != '\n')
				goto bad_line;
			h->cstate = CS_TRAILER;
			break;
		case CS_END_LF:
			if (c != '\n')
				goto bad_line;
			return message_end(h, i + 1, used);
		case CS_DATA:
			break;
		}
		i++;
	}
	*used = len;
	return HTTP_HEAD_BODY_BYTES;

bad_size:
	head_bad(h, "invalid chunk size");
	return HTTP_HEAD_ERROR;
bad_ext:
	head_bad(h, "invalid chunk extension");
	return HTTP_HEAD_ERROR;
bad_line:
	head_bad(h, "bare CR in chunked framing");
	return HTTP_HEAD_ERROR;
bad_data:
	head_bad(h, "chunk data not followed by CRLF");
	return HTTP_HEAD_ERROR;
bad_fold:
	head_bad(h, "obs-fold in trailer");
	return HTTP_HEAD_ERROR;
bad_colon:
	head_bad(h, "whitespace before colon");
	return HTTP_HEAD_ERROR;
bad_trailer:
	head_bad(h, "invalid trailer line");
	return HTTP_HEAD_ERROR;
too_long:
	head_bad(h, "chunk line or trailers too long");
	return HTTP_HEAD_ERROR;
}

static enum http_head_rc
body_feed(struct http_head *h, const char *data, size_t len, size_t *used)
{
	size_t take;

	switch (h->framing) {
	case HTTP_HEAD_FRAMING_NONE:
	case HTTP_HEAD_FRAMING_TUNNEL:
		return message_end(h, 0, used);
	case HTTP_HEAD_FRAMING_CLOSE:
		*used = len;
		return HTTP_HEAD_BODY_BYTES;
	case HTTP_HEAD_FRAMING_LENGTH:
		take = len < h->left ? len : (size_t)h->left;
		h->left -= take;
		if (h->left == 0)
			return message_end(h, take, used);
		*used = take;
		return HTTP_HEAD_BODY_BYTES;
	case HTTP_HEAD_FRAMING_CHUNKED:
		return chunked_feed(h, data, len, used);
	}
	return HTTP_HEAD_ERROR;
}

/* ---------------------------------------------------------------------
 * Public: driving
 */

void
http_head_init(struct http_head *h, enum http_head_type type)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->phase = HTTP_HEAD_PHASE_IDLE;
	h->method = HTTP_GET;
	h->req_method = HTTP_GET;
}

void
http_head_fini(struct http_head *h)
{
	store_free(h);
}

enum http_head_rc
http_head_feed(struct http_head *h, const char *data, size_t len, size_t *used)
{
	*used = 0;
	switch (h->phase) {
	case HTTP_HEAD_PHASE_IDLE:
		if (len == 0)
			return HTTP_HEAD_NEED_MORE;
		if (message_begin(h) == -1)
			return HTTP_HEAD_ERROR;
		return head_feed(h, data, len, used);
	case HTTP_HEAD_PHASE_HEAD:
		return head_feed(h, data, len, used);
	case HTTP_HEAD_PHASE_BODY:
		return body_feed(h, data, len, used);
	case HTTP_HEAD_PHASE_TUNNEL:
		*used = len;
		return HTTP_HEAD_BODY_BYTES;
	case HTTP_HEAD_PHASE_ERROR:
		break;
	}
	return HTTP_HEAD_ERROR;
}

uint64_t
http_head_raw_left(const struct http_head *h)
{
	if (h->phase != HTTP_HEAD_PHASE_BODY)
		return 0;
	if (h->framing == HTTP_HEAD_FRAMING_LENGTH)
		return h->left;
	if (h->framing == HTTP_HEAD_FRAMING_CLOSE)
		return UINT64_MAX;
	return 0;
}

enum http_head_rc
http_head_skip(struct http_head *h, size_t len, size_t *used)
{
	assert(len <= http_head_raw_left(h) && "http_head_skip() past raw");
	/* Neither framing looks at the bytes themselves. */
	return body_feed(h, NULL, len, used);
}

enum http_head_rc
http_head_eof(struct http_head *h)
{
	switch (h->phase) {
	case HTTP_HEAD_PHASE_IDLE:
	case HTTP_HEAD_PHASE_TUNNEL:
		return HTTP_HEAD_IDLE;
	case HTTP_HEAD_PHASE_BODY:
		/* A close-delimited body, or a message already complete
		 * that the caller has not fed since its head. */
		if (h->framing == HTTP_HEAD_FRAMING_CLOSE ||
		    h->framing == HTTP_HEAD_FRAMING_NONE ||
		    h->framing == HTTP_HEAD_FRAMING_TUNNEL ||
		    (h->framing == HTTP_HEAD_FRAMING_LENGTH && h->left == 0)) {
			h->phase = HTTP_HEAD_PHASE_IDLE;
			return HTTP_HEAD_MESSAGE_END;
		}
		head_bad(h, "connection closed mid-message");
		return HTTP_HEAD_ERROR;
	case HTTP_HEAD_PHASE_HEAD:
		if (!http_head_in_message(h)) {
			h->phase = HTTP_HEAD_PHASE_IDLE;
			return HTTP_HEAD_IDLE;
		}
		head_bad(h, "connection closed mid-message");
		return HTTP_HEAD_ERROR;
	case HTTP_HEAD_PHASE_ERROR:
		break;
	}
	return HTTP_HEAD_ERROR;
}

bool
http_head_in_message(const struct http_head *h)
{
	const struct http_head_store *st = h->store;

	if (h->phase == HTTP_HEAD_PHASE_BODY)
		return true;
	/* Empty lines before a request line are not a request yet. */
	return h->phase == HTTP_HEAD_PHASE_HEAD &&
	       (st->have_start || st->len > st->line);
}

void
http_head_set_request(struct http_head *resp, const struct http_head *req)
{
	assert(resp->type == HTTP_HEAD_RESPONSE && "a response parser");
	assert(req->type == HTTP_HEAD_REQUEST && "answering a request");
	resp->req_method = req->method;
	resp->req_upgrade = req->upgrade;
}

void
http_head_release(struct http_head *h)
{
	/* A head still being read stays: the parser needs it. */
	if (h->phase != HTTP_HEAD_PHASE_HEAD)
		store_free(h);
}

/* ---------------------------------------------------------------------
 * Public: reading the head
 */

bool
http_head_held(const struct http_head *h)
{
	return h->store != NULL && h->store->complete;
}

const char *
http_head_target(const struct http_head *h, size_t *len)
{
	assert(http_head_held(h) && "a complete head is held");
	*len = h->store->span_len;
	return h->store->text + h->store->span;
}

const char *
http_head_reason(const struct http_head *h, size_t *len)
{
	return http_head_target(h, len);
}

size_t
http_head_nfields(const struct http_head *h)
{
	assert(http_head_held(h) && "a complete head is held");
	return h->store->nfields;
}

void
http_head_field(const struct http_head *h, size_t i, struct http_head_field *f)
{
	const struct http_head_store *st = h->store;

	assert(http_head_held(h) && i < st->nfields && "a field of the head");
	f->name = st->text + st->fields[i].name;
	f->name_len = st->fields[i].name_len;
	f->value = st->text + st->fields[i].value;
	f->value_len = st->fields[i].value_len;
}

bool
http_head_find(const struct http_head *h, const char *name,
	       struct http_head_field *f)
{
	size_t i, n = http_head_nfields(h), len = strlen(name);

	for (i = 0; i < n; i++) {
		http_head_field(h, i, f);
		if (name_eq(f->name, f->name_len, name, len))
			return true;
	}
	return false;
}

size_t
http_head_count(const struct http_head *h, const char *name)
{
	struct http_head_field f;
	size_t i, n = http_head_nfields(h), len = strlen(name), count = 0;

	for (i = 0; i < n; i++) {
		http_head_field(h, i, &f);
		count += name_eq(f.name, f.name_len, name, len);
	}
	return count;
}

bool
http_head_has_token(const struct http_head *h, const char *name,
		    const char *token)
{
	struct http_head_field f;
	size_t i, n = http_head_nfields(h), len = strlen(name), tn;
	size_t toklen = strlen(token);
	const char *p, *end, *tok;

	for (i = 0; i < n; i++) {
		http_head_field(h, i, &f);
		if (!name_eq(f.name, f.name_len, name, len))
			continue;
		p = f.value;
		end = p + f.value_len;
		while (list_next(&p, end, &tok, &tn))
			if (name_eq(tok, tn, token, toklen))
				return true;
	}
	return false;
}

/* ---------------------------------------------------------------------
 * Public: writing the head
 */

/* An output buffer that counts what does not fit (snprintf's contract). */
struct out {
	char *p;
	size_t cap, len;
};

static void
out_put(struct out *o, const char *s, size_t n)
{
	if (o->len <= o->cap && n <= o->cap - o->len && n > 0)
		memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

/* Field I's line as received, CRLF included. */
static void
out_raw_field(struct out *o, const struct http_head_store *st, uint32_t i)
{
	uint32_t end =
	    i + 1 < st->nfields ? st->fields[i + 1].name : st->end - 2;

	out_put(o, st->text + st->fields[i].name, end - st->fields[i].name);
}

/* "host[:port]", brackets around an IPv6 literal, no port when it is
 * the scheme's default (80, or 443 for HTTPS). */
static void
out_host(struct out *o, const char *host, unsigned port, bool https)
{
	char num[16];
	bool v6 = strchr(host, ':') != NULL && host[0] != '[';

	if (v6)
		out_put(o, "[", 1);
	out_str(o, host);
	if (v6)
		out_put(o, "]", 1);
	if (port != (https ? 443u : 80u)) {
		/* By hand: this runs for every request. */
		char *p = num + sizeof(num);

		do {
			*--p = (char)('0' + port % 10);
			port /= 10;
		} while (port > 0);
		*--p = ':';
		out_put(o, p, (size_t)(num + sizeof(num) - p));
	}
}

static void
out_conn(struct out *o, enum http_head_conn conn)
{
	if (conn == HTTP_HEAD_CONN_KEEP_ALIVE)
		out_str(o, "Connection: keep-alive\r\n");
	else if (conn == HTTP_HEAD_CONN_CLOSE)
		out_str(o, "Connection: close\r\n");
}

size_t
http_head_write_request(const struct http_head *h,
			const struct http_head_rewrite *rw, char *out,
			size_t cap)
{
	const struct http_head_store *st = h->store;
	struct out o = {out, cap, 0};
	uint32_t i, last_xff = UINT32_MAX;
	bool xff_done = false;

	assert(http_head_held(h) && h->type == HTTP_HEAD_REQUEST &&
	       "a complete request head is held");
	assert((!rw->forwarded ||
		(rw->client_addr != NULL && rw->proto != NULL)) &&
	       "forwarded headers need the client address and protocol");
	if (rw->target != NULL) {
		out_put(&o, st->text + st->start, st->span - st->start);
		out_put(&o, rw->target, rw->target_len);
		out_put(&o, st->text + st->span + st->span_len,
			st->start + st->start_len - st->span - st->span_len);
	} else {
		out_put(&o, st->text + st->start, st->start_len);
	}
	out_put(&o, "\r\n", 2);

	for (i = 0; i < st->nfields; i++)
		if (st->fields[i].kind == FK_XFF && !st->fields[i].listed)
			last_xff = i;
	for (i = 0; i < st->nfields; i++) {
		const struct field *f = &st->fields[i];

		switch ((enum field_kind)f->kind) {
		case FK_HOST:
			if (rw->host == NULL) {
				out_raw_field(&o, st, i);
				break;
			}
			out_put(&o, st->text + f->name, f->name_len);
			out_put(&o, ": ", 2);
			out_host(&o, rw->host, rw->port, rw->https);
			out_put(&o, "\r\n", 2);
			break;
		case FK_CONTENT_LENGTH:
		case FK_TRANSFER_ENCODING:
			/* Never removed: the body is relayed as framed. */
			out_raw_field(&o, st, i);
			break;
		case FK_CONNECTION:
		case FK_KEEP_ALIVE:
		case FK_PROXY_CONNECTION:
		case FK_TE:
		case FK_TRAILER:
			break;
		case FK_UPGRADE:
			if (h->upgrade)
				out_raw_field(&o, st, i);
			break;
		case FK_XFF:
			if (f->listed)
				break;
			if (!rw->forwarded || i != last_xff) {
				out_raw_field(&o, st, i);
				break;
			}
			out_put(&o, st->text + f->name,
				f->value + f->value_len - f->name);
			out_str(&o, f->value_len > 0 ? ", " : " ");
			out_str(&o, rw->client_addr);
			out_put(&o, "\r\n", 2);
			xff_done = true;
			break;
		case FK_XFP:
		case FK_XFH:
			/* porty's own values replace what the client claims. */
			if (!rw->forwarded && !f->listed)
				out_raw_field(&o, st, i);
			break;
		case FK_OTHER:
			if (!f->listed)
				out_raw_field(&o, st, i);
			break;
		}
	}

	if (rw->host != NULL && st->host == UINT32_MAX) {
		out_str(&o, "Host: ");
		out_host(&o, rw->host, rw->port, rw->https);
		out_put(&o, "\r\n", 2);
	}
	if (rw->forwarded) {
		if (!xff_done) {
			out_str(&o, "X-Forwarded-For: ");
			out_str(&o, rw->client_addr);
			out_put(&o, "\r\n", 2);
		}
		out_str(&o, "X-Forwarded-Proto: ");
		out_str(&o, rw->proto);
		out_put(&o, "\r\n", 2);
		if (st->host != UINT32_MAX) {
			const struct field *f = &st->fields[st->host];

			out_str(&o, "X-Forwarded-Host: ");
			out_put(&o, st->text + f->value, f->value_len);
			out_put(&o, "\r\n", 2);
		}
	}
	if (h->upgrade)
		out_str(&o, "Connection: upgrade\r\n");
	else
		out_conn(&o, rw->conn);
	out_put(&o, "\r\n", 2);
	return o.len;
}

size_t
http_head_write_response(const struct http_head *h, enum http_head_conn conn,
			 char *out, size_t cap)
{
	const struct http_head_store *st = h->store;
	struct out o = {out, cap, 0};
	uint32_t i;

	assert(http_head_held(h) && h->type == HTTP_HEAD_RESPONSE &&
	       "a complete response head is held");
	if (h->status == 101) {
		out_put(&o, st->text + st->start, st->end - st->start);
		return o.len;
	}
	out_put(&o, st->text + st->start, st->start_len);
	out_put(&o, "\r\n", 2);
	for (i = 0; i < st->nfields; i++) {
		const struct field *f = &st->fields[i];

		switch ((enum field_kind)f->kind) {
		case FK_CONTENT_LENGTH:
		case FK_TRANSFER_ENCODING:
			out_raw_field(&o, st, i);
			break;
		case FK_CONNECTION:
		case FK_KEEP_ALIVE:
		case FK_PROXY_CONNECTION:
		case FK_TE:
		case FK_TRAILER:
		case FK_UPGRADE:
			break;
		case FK_HOST:
		case FK_XFF:
		case FK_XFP:
		case FK_XFH:
		case FK_OTHER:
			if (!f->listed)
				out_raw_field(&o, st, i);
			break;
		}
	}
	out_conn(&o, conn);
	out_put(&o, "\r\n", 2);
	return o.len;
}
