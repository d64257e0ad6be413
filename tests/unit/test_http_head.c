/* SPDX-License-Identifier: MIT */
/* Unit tests of http_head.c: framing at every split, strictness, rewriting. */
#include "auto-config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "http_head.h"
#include "suites.h"

/* A string literal as (pointer, length), NUL bytes included. */
#define S(lit) lit, sizeof(lit) - 1

#define TRACE_MAX 16384

/*
 * An assertion for the split loops: check's ck_assert() records its
 * location with a write(2) even when it passes, which would dominate the
 * run time of millions of feeds.
 */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);  \
	} while (0)

/*
 * What a parser reported for a stream, in a form that must not depend on how
 * the stream was split: "[head summary]" at HTTP_HEAD_COMPLETE, the message's
 * body bytes and "$" at HTTP_HEAD_MESSAGE_END, "!status reason" at an error
 * (body bytes of a failing message are dropped: how many were reported
 * before the bad byte depends on the split). Bytes after a tunnel message,
 * or of a close-delimited body not yet ended, are flushed at the end.
 */
struct trace {
	char s[TRACE_MAX];
	size_t len;
	char body[TRACE_MAX]; /* body bytes of the message in progress */
	size_t blen;
};

static void
trace_put(struct trace *t, const char *s, size_t n)
{
	CHECK(n <= TRACE_MAX - t->len);
	memcpy(t->s + t->len, s, n);
	t->len += n;
}

static void trace_fmt(struct trace *t, const char *fmt, ...) PORTY_PRINTF(2, 3);

static void
trace_fmt(struct trace *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	CHECK(n >= 0);
	CHECK(n < (int)sizeof(buf));
	trace_put(t, buf, (size_t)n);
}

static void
trace_body(struct trace *t, const char *s, size_t n)
{
	CHECK(n <= TRACE_MAX - t->blen);
	memcpy(t->body + t->blen, s, n);
	t->blen += n;
}

static void
trace_flush(struct trace *t)
{
	trace_put(t, t->body, t->blen);
	t->blen = 0;
}

static void
trace_head(struct trace *t, const struct http_head *h)
{
	static const char *const framing[] = {"none", "len", "chunked", "close",
					      "tunnel"};
	const char *s;
	size_t n;

	CHECK(http_head_held(h));
	if (h->type == HTTP_HEAD_REQUEST) {
		s = http_head_target(h, &n);
		trace_fmt(t, "[%s %.*s %u.%u ", http_method_str(h->method),
			  (int)n, s, h->major, h->minor);
	} else {
		trace_fmt(t, "[%u %u.%u ", h->status, h->major, h->minor);
	}
	if (h->framing == HTTP_HEAD_FRAMING_LENGTH)
		trace_fmt(t, "len=%llu", (unsigned long long)h->content_length);
	else
		trace_fmt(t, "%s", framing[h->framing]);
	trace_fmt(t, " %s%s]", h->keep_alive ? "ka" : "close",
		  h->upgrade ? " upgrade" : "");
}

/*
 * Feed N bytes as http_proxy will: act on every result and feed the rest
 * again. Returns false once the parser has failed.
 */
static bool
drive(struct http_head *h, struct trace *t, const char *p, size_t n)
{
	enum http_head_rc rc;
	size_t used;

	for (;;) {
		rc = http_head_feed(h, p, n, &used);
		CHECK(used <= n);
		switch (rc) {
		case HTTP_HEAD_NEED_MORE:
			CHECK(used == n);
			return true;
		case HTTP_HEAD_COMPLETE:
			trace_head(t, h);
			break;
		case HTTP_HEAD_BODY_BYTES:
			CHECK(used == n);
			trace_body(t, p, used);
			return true;
		case HTTP_HEAD_MESSAGE_END:
			trace_body(t, p, used);
			trace_flush(t);
			trace_put(t, "$", 1);
			break;
		case HTTP_HEAD_ERROR:
			CHECK(used == 0);
			t->blen = 0;
			trace_fmt(t, "!%u %s", h->err_status, h->err_reason);
			return false;
		case HTTP_HEAD_IDLE:
			ck_abort_msg("http_head_feed() returned IDLE");
		}
		p += used;
		n -= used;
		if (n == 0 && rc == HTTP_HEAD_MESSAGE_END)
			return true;
	}
}

/* A request parser holding the complete head S. */
static void
parse_request(struct http_head *req, const char *s)
{
	size_t used;

	http_head_init(req, HTTP_HEAD_REQUEST);
	CHECK(http_head_feed(req, s, strlen(s), &used) == HTTP_HEAD_COMPLETE);
	CHECK(used == strlen(s));
}

struct msg_case {
	const char *name;
	enum http_head_type type;
	const char *req; /* responses: the request head they answer */
	const char *in;
	size_t len;
	bool eof;        /* the peer closes after the input */
	const char *exp; /* the trace */
};

/* The trace of C's input fed in pieces ending at CUTS (ascending). */
static void
run_pieces(const struct msg_case *c, const size_t *cuts, size_t ncuts,
	   struct trace *t)
{
	struct http_head h, req;
	size_t k, prev = 0, end;
	bool ok = true;

	t->len = t->blen = 0;
	http_head_init(&h, c->type);
	if (c->type == HTTP_HEAD_RESPONSE && c->req != NULL) {
		parse_request(&req, c->req);
		http_head_set_request(&h, &req);
		http_head_fini(&req);
	}
	for (k = 0; k <= ncuts && ok; k++) {
		end = k < ncuts ? cuts[k] : c->len;
		ok = drive(&h, t, c->in + prev, end - prev);
		prev = end;
	}
	if (ok && c->eof) {
		switch (http_head_eof(&h)) {
		case HTTP_HEAD_MESSAGE_END:
			trace_flush(t);
			trace_put(t, "$", 1);
			break;
		case HTTP_HEAD_ERROR:
			t->blen = 0;
			trace_fmt(t, "!%u %s", h.err_status, h.err_reason);
			break;
		default:
			trace_flush(t);
			break;
		}
	} else if (ok) {
		trace_flush(t);
	}
	http_head_fini(&h);
}

/* Printable form of S for failure messages (static buffer). */
static const char *
esc(const char *s, size_t n)
{
	static char buf[4 * TRACE_MAX + 1];
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			o += (size_t)sprintf(buf + o, "\\r");
		else if (c == '\n')
			o += (size_t)sprintf(buf + o, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)sprintf(buf + o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

static void
expect_trace(const struct msg_case *c, const struct trace *t, const char *how)
{
	size_t n = strlen(c->exp);

	if (t->len != n || memcmp(t->s, c->exp, n) != 0) {
		fprintf(stderr, "%s (%s): got      %s\n", c->name, how,
			esc(t->s, t->len));
		fprintf(stderr, "%s (%s): expected %s\n", c->name, how,
			esc(c->exp, n));
		ck_abort_msg("%s: wrong trace when fed %s", c->name, how);
	}
}

/*
 * http-parser test.c's test_message shape: the same trace whole, at every
 * split point, at every pair of split points (short inputs), and byte by
 * byte.
 */
static void
check_case(const struct msg_case *c)
{
	struct trace *t = malloc(sizeof(*t));
	size_t *cuts = malloc((c->len + 1) * sizeof(*cuts));
	size_t i, j;
	char how[64];

	CHECK(t != NULL);
	CHECK(cuts != NULL);
	run_pieces(c, NULL, 0, t);
	expect_trace(c, t, "whole");
	for (i = 1; i < c->len; i++) {
		cuts[0] = i;
		run_pieces(c, cuts, 1, t);
		snprintf(how, sizeof(how), "split at %zu", i);
		expect_trace(c, t, how);
	}
	if (c->len <= 200) {
		for (i = 1; i < c->len; i++) {
			for (j = i + 1; j < c->len; j++) {
				cuts[0] = i;
				cuts[1] = j;
				run_pieces(c, cuts, 2, t);
				snprintf(how, sizeof(how), "split at %zu, %zu",
					 i, j);
				expect_trace(c, t, how);
			}
		}
	}
	for (i = 1; i < c->len; i++)
		cuts[i - 1] = i;
	run_pieces(c, cuts, c->len > 0 ? c->len - 1 : 0, t);
	expect_trace(c, t, "byte by byte");
	free(cuts);
	free(t);
}

/* ------------------------------------------------------------------ */
/* Framing of well-formed requests. */

#define REQ(name, in, eof, exp)                                                \
	{                                                                      \
		name, HTTP_HEAD_REQUEST, NULL, S(in), eof, exp                 \
	}
#define TE_CASE(name, te)                                                      \
	REQ(name,                                                              \
	    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " te             \
	    "\r\n\r\n1\r\nx\r\n0\r\n\r\n",                                     \
	    false, "[POST / 1.1 chunked ka]1\r\nx\r\n0\r\n\r\n$")

static const struct msg_case request_cases[] = {
    /* A bodiless GET ends at its head. */
    REQ("get",
	"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n"
	"User-Agent: t\r\n\r\n",
	false, "[GET /index.html?q=1 1.1 none ka]$"),
    /* Content-Length frames exactly that many bytes. */
    REQ("post_length",
	"POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
	"hello world",
	false, "[POST /form 1.1 len=11 ka]hello world$"),
    /* Pipelined requests end exactly at their boundaries. */
    REQ("pipelined",
	"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
	"POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
	"GET /3 HTTP/1.0\r\n\r\n",
	false,
	"[GET /1 1.1 none ka]$[POST /2 1.1 len=3 ka]abc$"
	"[GET /3 1.0 none close]$"),
    /* Chunk extensions and trailers are framed and relayed raw. */
    REQ("chunked_extensions_trailers",
	"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	"\r\n5;name=value\r\nhello\r\n6 ; q=\"x y\"\r\n world\r\n"
	"0;end\r\nChecksum: abc\r\nX-Empty:\r\n\r\n"
	"GET /next HTTP/1.1\r\nHost: a\r\n\r\n",
	false,
	"[POST /up 1.1 chunked ka]5;name=value\r\nhello\r\n"
	"6 ; q=\"x y\"\r\n world\r\n0;end\r\nChecksum: abc\r\n"
	"X-Empty:\r\n\r\n$[GET /next 1.1 none ka]$"),
    /* Chunk sizes are hex of either case, leading zeros allowed. */
    REQ("chunked_hex",
	"PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
	"00A\r\n0123456789\r\na\r\nabcdefghij\r\n000\r\n\r\n",
	false,
	"[PUT /x 1.1 chunked ka]00A\r\n0123456789\r\na\r\nabcdefghij"
	"\r\n000\r\n\r\n$"),
    /* Transfer-Encoding is a case-insensitive list: all mean chunked. */
    TE_CASE("te_capitalised", "Chunked"),
    TE_CASE("te_trailing_comma", "chunked,"),
    TE_CASE("te_trailing_tab", "chunked\t"),
    TE_CASE("te_leading_comma", ", chunked"),
    TE_CASE("te_gzip_then_chunked", "gzip, chunked"),
    TE_CASE("te_two_lines", "gzip\r\nTransfer-Encoding: chunked"),
    TE_CASE("te_params_before_chunked", "gzip;q=1 , chunked"),
    /* Empty lines before the request line are skipped (RFC 9112 §2.2). */
    REQ("leading_empty_lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	false, "[GET / 1.1 none ka]$"),
    /* HTTP/1.0 keeps the connection only when asked to. */
    REQ("http10_keep_alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
	false, "[GET / 1.0 none ka]$"),
    /* HTTP/1.0 without Host is allowed (RFC 9112 §3.2). */
    REQ("http10_no_host", "GET / HTTP/1.0\r\n\r\n", false,
	"[GET / 1.0 none close]$"),
    /* Connection: close ends keep-alive in HTTP/1.1. */
    REQ("http11_close",
	"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n"
	"\r\n",
	false, "[GET / 1.1 none close]$"),
    /* An upgrade needs Upgrade and the Connection option. */
    REQ("upgrade",
	"GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, "
	"Upgrade\r\nUpgrade: websocket\r\n\r\n",
	false, "[GET /chat 1.1 none ka upgrade]$"),
    /* Upgrade without the Connection option is no upgrade. */
    REQ("upgrade_without_option",
	"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", false,
	"[GET /chat 1.1 none ka]$"),
    /* Upgrade in HTTP/1.0 is ignored (RFC 9110 §7.8). */
    REQ("upgrade_http10",
	"GET /chat HTTP/1.0\r\nConnection: upgrade\r\n"
	"Upgrade: websocket\r\n\r\n",
	false, "[GET /chat 1.0 none close]$"),
    /* CONNECT has no body; its authority-form target is kept. */
    REQ("connect",
	"CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n"
	"\r\n",
	false, "[CONNECT db.internal:5432 1.1 none ka]$"),
    /* The absolute form is accepted and kept as received. */
    REQ("absolute_form",
	"GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n",
	false, "[GET http://example.com/a?b 1.1 none ka]$"),
    /* The asterisk form of OPTIONS. */
    REQ("asterisk_form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", false,
	"[OPTIONS * 1.1 none ka]$"),
    /* Expect: 100-continue changes nothing in the framing. */
    REQ("expect_continue",
	"POST /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
	"Content-Length: 2\r\n\r\nok",
	false, "[POST /u 1.1 len=2 ka]ok$"),
    /* Content-Length: 0 ends at the head. */
    REQ("length_zero",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", false,
	"[POST / 1.1 len=0 ka]$"),
    /* Leading zeros are digits like others. */
    REQ("length_leading_zeros",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n1234567",
	false, "[POST / 1.1 len=7 ka]1234567$"),
    /* HTAB and obs-text in values, and empty values, are fine. */
    REQ("value_characters",
	"GET / HTTP/1.1\r\nHost: a\r\nX-Tab: a\tb\r\nX-Utf8: caf\xc3\xa9"
	"\r\nX-Empty:\r\nX-Blank: \t \r\n\r\n",
	false, "[GET / 1.1 none ka]$"),
    /* An IPv6 literal Host with a port is valid. */
    REQ("host_ipv6", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", false,
	"[GET / 1.1 none ka]$"),
    /* A close after a complete request is clean. */
    REQ("eof_between_requests", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true,
	"[GET / 1.1 none ka]$"),
    /* A close after stray empty lines is clean too. */
    REQ("eof_after_empty_lines", "GET / HTTP/1.1\r\nHost: a\r\n\r\n\r\n", true,
	"[GET / 1.1 none ka]$"),
    /* Raw obs-text in the target is passed on as received. */
    REQ("target_obs_text", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
	false, "[GET /caf\xc3\xa9 1.1 none ka]$"),
    /* A close inside a head is an error. */
    REQ("eof_in_head", "GET / HTTP/1.1\r\nHost: a\r\n", true,
	"!400 connection closed mid-message"),
    /* A close inside a body is an error. */
    REQ("eof_in_body",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab", true,
	"[POST / 1.1 len=5 ka]!400 connection closed mid-message"),
};

/* ------------------------------------------------------------------ */
/* Framing of well-formed responses. */

#define RESP(name, req, in, eof, exp)                                          \
	{                                                                      \
		name, HTTP_HEAD_RESPONSE, req, S(in), eof, exp                 \
	}
#define GET "GET / HTTP/1.1\r\nHost: a\r\n\r\n"

static const struct msg_case response_cases[] = {
    /* Content-Length frames the body. */
    RESP("length", GET, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
	 false, "[200 1.1 len=5 ka]hello$"),
    /* Chunked with trailers is relayed raw. */
    RESP("chunked", GET,
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	 "3\r\nabc\r\n0\r\nExpires: never\r\n\r\n",
	 false, "[200 1.1 chunked ka]3\r\nabc\r\n0\r\nExpires: never\r\n\r\n$"),
    /* Without a length the body runs until the backend closes. */
    RESP("until_close", GET,
	 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", true,
	 "[200 1.1 close close]all of it$"),
    /* A response to HEAD has no body, whatever Content-Length says. */
    RESP("head_request", "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
	 "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	 false, "[200 1.1 none ka]$[200 1.1 none ka]$"),
    /* 304 and 204 have no body. */
    RESP("not_modified_no_content", GET,
	 "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 10"
	 "\r\n\r\nHTTP/1.1 204 No Content\r\n"
	 "Transfer-Encoding: chunked\r\n\r\n",
	 false, "[304 1.1 none ka]$[204 1.1 none ka]$"),
    /* 100 Continue is a message of its own; the real response follows. */
    RESP("continue", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n",
	 "HTTP/1.1 100 Continue\r\n\r\n"
	 "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
	 false, "[100 1.1 none ka]$[201 1.1 len=2 ka]ok$"),
    /* Other 1xx too. */
    RESP("early_hints", GET,
	 "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
	 "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	 false, "[103 1.1 none ka]$[200 1.1 len=0 ka]$"),
    /* 101 to an upgrade request ends the framing: a tunnel follows. */
    RESP("switching_protocols",
	 "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n"
	 "Upgrade: websocket\r\n\r\n",
	 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	 "Connection: Upgrade\r\n\r\n\x81\x05hello",
	 false, "[101 1.1 tunnel close]$\x81\x05hello"),
    /* 2xx to CONNECT is a tunnel too. */
    RESP("connect_established", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
	 "HTTP/1.1 200 Connection Established\r\n\r\nTLS bytes", false,
	 "[200 1.1 tunnel close]$TLS bytes"),
    /* A refused CONNECT is an ordinary response. */
    RESP("connect_refused", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
	 "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno", false,
	 "[403 1.1 len=2 ka]no$"),
    /* HTTP/1.0 responses keep the connection only when they say so. */
    RESP("http10_keep_alive", GET,
	 "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1"
	 "\r\n\r\nx",
	 false, "[200 1.0 len=1 ka]x$"),
    RESP("http10_close", GET, "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
	 false, "[200 1.0 len=1 close]x$"),
    /* A status line without reason phrase is accepted. */
    RESP("no_reason", GET, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false,
	 "[200 1.1 len=0 ka]$"),
    /* Connection: close from the backend. */
    RESP("close_option", GET,
	 "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
	 false, "[200 1.1 len=1 close]x$"),
    /* A backend closing inside a chunked body is an error. */
    RESP("eof_in_chunked", GET,
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", true,
	 "[200 1.1 chunked ka]!502 connection closed mid-message"),
};

/* ------------------------------------------------------------------ */
/* Request smuggling and strictness (SPEC §4, RFC 9112): one row per rule. */

#define BAD(name, in, exp) REQ(name, in, false, exp)
#define CHUNKED_POST                                                           \
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
#define CH "[POST / 1.1 chunked ka]"
#define CL_CASE(name, cl)                                                      \
	BAD(name,                                                              \
	    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " cl "\r\n\r\nx",   \
	    "!400 invalid Content-Length")

static const struct msg_case request_errors[] = {
    /* Content-Length together with Transfer-Encoding, either order. */
    BAD("cl_then_te",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"!400 Content-Length with Transfer-Encoding"),
    BAD("te_then_cl",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	"Content-Length: 3\r\n\r\n0\r\n\r\n",
	"!400 Content-Length with Transfer-Encoding"),
    /* Two Content-Length lines, differing or not (refusing is safer). */
    BAD("cl_differing",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	"Content-Length: 2\r\n\r\nxy",
	"!400 several Content-Length headers"),
    BAD("cl_repeated",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
	"Content-Length: 1\r\n\r\nx",
	"!400 several Content-Length headers"),
    /* A Content-Length list, even of equal values, is refused. */
    CL_CASE("cl_list", "1, 1"),
    /* Empty, signed, spaced, non-decimal and overflowing lengths. */
    CL_CASE("cl_empty", ""),
    CL_CASE("cl_plus", "+1"),
    CL_CASE("cl_minus", "-1"),
    CL_CASE("cl_inner_space", "1 1"),
    CL_CASE("cl_hex", "0x1"),
    CL_CASE("cl_letter", "1a"),
    CL_CASE("cl_overflow", "18446744073709551616"),
    /* The last transfer coding must be chunked. */
    BAD("te_chunked_gzip",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n"
	"\r\n",
	"!400 chunked is not the last transfer coding"),
    /* gzip alone on a request cannot be framed (RFC 9112 §6.3). */
    BAD("te_gzip_only",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
	"!400 chunked is not the last transfer coding"),
    /* chunked applied twice. */
    BAD("te_chunked_twice",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	"Transfer-Encoding: chunked\r\n\r\n",
	"!400 chunked is not the last transfer coding"),
    /* An empty Transfer-Encoding (only commas and spaces). */
    BAD("te_empty",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , ,\r\n\r\n",
	"!400 empty Transfer-Encoding"),
    /* chunked takes no parameters. */
    BAD("te_chunked_parameter",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n"
	"\r\n",
	"!400 invalid Transfer-Encoding"),
    /* Codings are tokens. */
    BAD("te_not_a_token",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chun ked\r\n\r\n",
	"!400 invalid Transfer-Encoding"),
    /* Transfer-Encoding on HTTP/1.0 is faulty framing (RFC 9112 §6.1). */
    BAD("te_http10",
	"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"!400 Transfer-Encoding in HTTP/1.0"),
    /* Invalid chunk sizes: prefix, sign, leading space, overflow, none. */
    BAD("chunk_0x", CHUNKED_POST "0x10\r\n", CH "!400 invalid chunk size"),
    BAD("chunk_minus", CHUNKED_POST "-1\r\n", CH "!400 invalid chunk size"),
    BAD("chunk_leading_space", CHUNKED_POST " 1\r\nx\r\n",
	CH "!400 invalid chunk size"),
    BAD("chunk_overflow", CHUNKED_POST "10000000000000000\r\n",
	CH "!400 invalid chunk size"),
    BAD("chunk_missing_size", CHUNKED_POST "\r\n0\r\n\r\n",
	CH "!400 invalid chunk size"),
    BAD("chunk_bare_lf", CHUNKED_POST "1\nx\r\n0\r\n\r\n",
	CH "!400 invalid chunk size"),
    /* Whitespace after a size must lead to an extension. */
    BAD("chunk_trailing_space", CHUNKED_POST "1 \r\nx\r\n0\r\n\r\n",
	CH "!400 invalid chunk extension"),
    /* LF and control bytes inside chunk extensions. */
    BAD("chunk_ext_lf", CHUNKED_POST "1;a\nb\r\nx\r\n0\r\n\r\n",
	CH "!400 invalid chunk extension"),
    BAD("chunk_ext_nul", CHUNKED_POST "1;a\0\r\nx\r\n0\r\n\r\n",
	CH "!400 invalid chunk extension"),
    /* Chunk data must be followed by CRLF, not more bytes or bare LF. */
    BAD("chunk_data_overrun", CHUNKED_POST "1\r\nxy\r\n0\r\n\r\n",
	CH "!400 chunk data not followed by CRLF"),
    BAD("chunk_data_junk_lf", CHUNKED_POST "1\r\nxX\n0\r\n\r\n",
	CH "!400 chunk data not followed by CRLF"),
    BAD("chunk_data_bare_lf", CHUNKED_POST "1\r\nx\n0\r\n\r\n",
	CH "!400 chunk data not followed by CRLF"),
    /* A CR in a chunk line must be followed by LF. */
    BAD("chunk_bare_cr", CHUNKED_POST "1\rx\r\n",
	CH "!400 bare CR in chunked framing"),
    BAD("end_bare_cr", CHUNKED_POST "0\r\n\rX",
	CH "!400 bare CR in chunked framing"),
    BAD("trailer_bare_cr", CHUNKED_POST "0\r\nA: b\rX",
	CH "!400 bare CR in chunked framing"),
    /* Trailers follow the header-line rules. */
    BAD("trailer_obs_fold", CHUNKED_POST "0\r\nA: b\r\n c\r\n\r\n",
	CH "!400 obs-fold in trailer"),
    BAD("trailer_space_before_colon", CHUNKED_POST "0\r\nA : b\r\n\r\n",
	CH "!400 whitespace before colon"),
    BAD("trailer_control", CHUNKED_POST "0\r\nA: b\x01\r\n\r\n",
	CH "!400 invalid trailer line"),
    BAD("trailer_bare_lf", CHUNKED_POST "0\r\nA: b\n\r\n",
	CH "!400 invalid trailer line"),
    /* Whitespace between a field name and its colon (RFC 9112 §5.1). */
    BAD("space_before_colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
	"!400 whitespace before colon"),
    BAD("tab_before_colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
	"!400 whitespace before colon"),
    BAD("space_in_name", "GET / HTTP/1.1\r\nHost: a\r\nX Y: b\r\n\r\n",
	"!400 whitespace before colon"),
    /* obs-fold: a line starting with SP or HTAB (RFC 9112 §5.2). */
    BAD("obs_fold", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n",
	"!400 obs-fold in header"),
    BAD("obs_fold_tab", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n",
	"!400 obs-fold in header"),
    BAD("obs_fold_first_field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
	"!400 obs-fold in header"),
    /* A bare CR anywhere in the head. */
    BAD("bare_cr_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
	"!400 bare CR in head"),
    BAD("bare_cr_in_request_line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n",
	"!400 bare CR in head"),
    BAD("bare_cr_before_crlf", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n",
	"!400 bare CR in head"),
    /* Bare LF line endings are refused, not tolerated. */
    BAD("bare_lf_lines", "GET / HTTP/1.1\nHost: a\n\n", "!400 bare LF in head"),
    BAD("bare_lf_end", "GET / HTTP/1.1\r\nHost: a\r\n\n",
	"!400 bare LF in head"),
    BAD("bare_lf_leading", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"!400 bare LF in head"),
    /* NUL and other control bytes in names and values. */
    BAD("nul_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n",
	"!400 control character in header"),
    BAD("ctl_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[m\r\n\r\n",
	"!400 control character in header"),
    BAD("del_in_value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n",
	"!400 control character in header"),
    BAD("nul_in_name", "GET / HTTP/1.1\r\nHost: a\r\nX\0: b\r\n\r\n",
	"!400 invalid header name"),
    BAD("ctl_in_name", "GET / HTTP/1.1\r\nHost: a\r\nX\x01Y: b\r\n\r\n",
	"!400 invalid header name"),
    BAD("empty_name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n",
	"!400 invalid header name"),
    BAD("no_colon", "GET / HTTP/1.1\r\nHost: a\r\nJunk\r\n\r\n",
	"!400 invalid header name"),
    /* Several Host lines, whatever their case or values. */
    BAD("several_host", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
	"!400 several Host headers"),
    /* HTTP/1.1 without Host (RFC 9112 §3.2). */
    BAD("missing_host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
	"!400 missing Host header"),
    /* Host must be uri-host [":" port]. */
    BAD("host_slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
	"!400 invalid Host header"),
    BAD("host_space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
	"!400 invalid Host header"),
    BAD("host_userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n",
	"!400 invalid Host header"),
    /* Request-line oddities: one SP between exactly three parts. */
    BAD("double_space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
	"!400 malformed request line"),
    BAD("tab_separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n",
	"!400 malformed request line"),
    BAD("leading_space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"!400 malformed request line"),
    BAD("no_version", "GET /\r\nHost: a\r\n\r\n",
	"!400 malformed request line"),
    BAD("trailing_space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
	"!400 malformed HTTP version"),
    BAD("version_lowercase", "GET / http/1.1\r\nHost: a\r\n\r\n",
	"!400 malformed HTTP version"),
    BAD("version_two_digits", "GET / HTTP/1.10\r\nHost: a\r\n\r\n",
	"!400 malformed HTTP version"),
    /* Major versions other than 1 are 505. */
    BAD("version_2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
	"!505 HTTP version not supported"),
    BAD("version_0_9", "GET / HTTP/0.9\r\nHost: a\r\n\r\n",
	"!505 HTTP version not supported"),
    /* Methods http-parser does not know are 501 (RFC 9110 §9.1). */
    BAD("unknown_method", "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n",
	"!501 unknown method"),
    BAD("lowercase_method", "get / HTTP/1.1\r\nHost: a\r\n\r\n",
	"!501 unknown method"),
    /* More Connection options than porty honours. */
    BAD("too_many_connection_options",
	"GET / HTTP/1.1\r\nHost: a\r\nConnection: a,b,c,d,e,f,g,h,i,j,k,"
	"l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,a1,b1,c1,d1,e1,f1,g1\r\n\r\n",
	"!400 too many Connection options"),
    /* CONNECT carries no body. */
    BAD("connect_with_body",
	"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nContent-Length: 1\r\n\r\nx",
	"!400 CONNECT with a body"),
};

/* The same framing rules for responses: 502. */
#define RBAD(name, in, exp) RESP(name, GET, in, false, exp)

static const struct msg_case response_errors[] = {
    /* Content-Length together with Transfer-Encoding. */
    RBAD("cl_with_te",
	 "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	 "!502 Content-Length with Transfer-Encoding"),
    /* Differing Content-Length lines. */
    RBAD("cl_differing",
	 "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	 "!502 several Content-Length headers"),
    /* A Content-Length that is no number. */
    RBAD("cl_invalid", "HTTP/1.1 200 OK\r\nContent-Length: 1 1\r\n\r\n",
	 "!502 invalid Content-Length"),
    /* gzip alone: RFC 9112 would read until close; porty refuses. */
    RBAD("te_gzip_only",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz",
	 "!502 chunked is not the last transfer coding"),
    /* chunked not last. */
    RBAD("te_chunked_gzip",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
	 "!502 chunked is not the last transfer coding"),
    /* Transfer-Encoding in an HTTP/1.0 response. */
    RBAD("te_http10",
	 "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	 "!502 Transfer-Encoding in HTTP/1.0"),
    /* Invalid chunk size. */
    RBAD("chunk_size",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x1\r\n",
	 "[200 1.1 chunked ka]!502 invalid chunk size"),
    /* Whitespace before a colon, obs-fold, bare LF and CR, NUL. */
    RBAD("space_before_colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n",
	 "!502 whitespace before colon"),
    RBAD("obs_fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
	 "!502 obs-fold in header"),
    RBAD("bare_lf", "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
	 "!502 bare LF in head"),
    RBAD("bare_cr", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
	 "!502 bare CR in head"),
    RBAD("nul", "HTTP/1.1 200 OK\r\nX: \0\r\n\r\n",
	 "!502 control character in header"),
    /* Status lines: three digits from 100, one SP, version 1.x. */
    RBAD("status_two_digits", "HTTP/1.1 20 OK\r\n\r\n",
	 "!502 malformed status line"),
    RBAD("status_four_digits", "HTTP/1.1 2000 OK\r\n\r\n",
	 "!502 malformed status line"),
    RBAD("status_below_100", "HTTP/1.1 099 X\r\n\r\n",
	 "!502 malformed status line"),
    RBAD("status_no_space", "HTTP/1.1 200OK\r\n\r\n",
	 "!502 malformed status line"),
    RBAD("status_version_2", "HTTP/2.0 200 OK\r\n\r\n",
	 "!502 HTTP version not supported"),
    RBAD("status_control", "HTTP/1.1 200 O\x01K\r\n\r\n",
	 "!502 malformed status line"),
    /* 101 to a request that asked for no upgrade. */
    RBAD("unrequested_101",
	 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n"
	 "Connection: upgrade\r\n\r\n",
	 "!502 101 without an Upgrade request"),
};

/* Well-formed requests frame the same at every split. */
START_TEST(test_http_head_request_framing)
{
	check_case(&request_cases[_i]);
}
END_TEST

/* Well-formed responses frame the same at every split. */
START_TEST(test_http_head_response_framing)
{
	check_case(&response_cases[_i]);
}
END_TEST

/* Each request smuggling rule is a 400 at every split. */
START_TEST(test_http_head_request_strict)
{
	check_case(&request_errors[_i]);
}
END_TEST

/* Each framing rule applied to responses is a 502 at every split. */
START_TEST(test_http_head_response_strict)
{
	check_case(&response_errors[_i]);
}
END_TEST

/* xorshift32: a fixed-seed generator, so failures repeat. */
static uint32_t
next_random(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/*
 * Damaged messages are judged the same whatever the splits, error reason
 * included: one byte of a valid case replaced, inserted or deleted, fed
 * whole, byte by byte and at three random points.
 */
START_TEST(test_http_head_mutants_split_alike)
{
	static const char bytes[] = "\r\n \t:,;0aZ\x80\x7f\x01";
	static const struct msg_case *const tables[] = {request_cases,
							response_cases};
	static const size_t sizes[] = {ARRAY_SIZE(request_cases),
				       ARRAY_SIZE(response_cases)};
	struct trace *whole = malloc(sizeof(*whole));
	struct trace *t = malloc(sizeof(*t));
	uint32_t seed = 2463534242u + (uint32_t)_i;
	char *buf = malloc(1024);
	size_t *cuts = malloc(1024 * sizeof(*cuts));
	struct msg_case m;
	size_t k, pos, n;
	int round;

	CHECK(whole != NULL && t != NULL && buf != NULL && cuts != NULL);
	for (round = 0; round < 1000; round++) {
		const struct msg_case *c =
		    &tables[_i][next_random(&seed) % sizes[_i]];

		CHECK(c->len < 1000);
		memcpy(buf, c->in, c->len);
		n = c->len;
		pos = next_random(&seed) % n;
		switch (next_random(&seed) % 3) {
		case 0:
			buf[pos] =
			    bytes[next_random(&seed) % (sizeof(bytes) - 1)];
			break;
		case 1:
			memmove(buf + pos + 1, buf + pos, n - pos);
			buf[pos] =
			    bytes[next_random(&seed) % (sizeof(bytes) - 1)];
			n++;
			break;
		default:
			memmove(buf + pos, buf + pos + 1, n - pos - 1);
			n--;
			break;
		}
		m = *c;
		m.in = buf;
		m.len = n;
		run_pieces(&m, NULL, 0, whole);
		for (k = 1; k < n; k++)
			cuts[k - 1] = k;
		run_pieces(&m, cuts, n - 1, t);
		if (t->len != whole->len || memcmp(t->s, whole->s, t->len)) {
			fprintf(stderr, "input %s\n", esc(buf, n));
			ck_abort_msg("%s mutant %d: byte by byte differs",
				     c->name, round);
		}
		for (k = 0; k < 3; k++) {
			size_t j, cut = 1 + next_random(&seed) % (n - 1);

			for (j = k; j > 0 && cuts[j - 1] > cut; j--)
				cuts[j] = cuts[j - 1];
			cuts[j] = cut;
		}
		run_pieces(&m, cuts, 3, t);
		if (t->len != whole->len || memcmp(t->s, whole->s, t->len)) {
			fprintf(stderr, "input %s\n", esc(buf, n));
			ck_abort_msg("%s mutant %d: random splits differ",
				     c->name, round);
		}
	}
	free(cuts);
	free(buf);
	free(t);
	free(whole);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Boundaries and limits. */

#define P1_HEAD "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n"
#define P1_BODY "body"
#define P2_HEAD "GET /b HTTP/1.1\r\nHost: a\r\n\r\n"
#define P3_HEAD                                                                \
	"PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
#define P3_BODY "2\r\nhi\r\n0\r\n\r\n"

/* Pipelined requests in one buffer stop exactly at each boundary. */
START_TEST(test_http_head_pipelined_offsets)
{
	static const char in[] = P1_HEAD P1_BODY P2_HEAD P3_HEAD P3_BODY "GET";
	struct http_head h;
	const char *p = in;
	size_t n = sizeof(in) - 1, used;

	http_head_init(&h, HTTP_HEAD_REQUEST);
	ck_assert_int_eq(http_head_feed(&h, p, n, &used), HTTP_HEAD_COMPLETE);
	ck_assert_uint_eq(used, sizeof(P1_HEAD) - 1);
	p += used, n -= used;
	ck_assert_int_eq(http_head_feed(&h, p, n, &used),
			 HTTP_HEAD_MESSAGE_END);
	ck_assert_uint_eq(used, sizeof(P1_BODY) - 1);
	p += used, n -= used;
	ck_assert_int_eq(http_head_feed(&h, p, n, &used), HTTP_HEAD_COMPLETE);
	ck_assert_uint_eq(used, sizeof(P2_HEAD) - 1);
	p += used, n -= used;
	ck_assert_int_eq(http_head_feed(&h, p, n, &used),
			 HTTP_HEAD_MESSAGE_END);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(http_head_feed(&h, p, n, &used), HTTP_HEAD_COMPLETE);
	ck_assert_uint_eq(used, sizeof(P3_HEAD) - 1);
	p += used, n -= used;
	ck_assert_int_eq(http_head_feed(&h, p, n, &used),
			 HTTP_HEAD_MESSAGE_END);
	ck_assert_uint_eq(used, sizeof(P3_BODY) - 1);
	p += used, n -= used;
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(http_head_feed(&h, p, n, &used), HTTP_HEAD_NEED_MORE);
	ck_assert_uint_eq(used, 3);
	http_head_fini(&h);
}
END_TEST

/* A head of SIZE bytes: the request line, Host, one padded field. */
static char *
make_head(enum http_head_type type, size_t size)
{
	const char *pre = type == HTTP_HEAD_REQUEST
			      ? "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: "
			      : "HTTP/1.1 204 No Content\r\nX-Pad: ";
	size_t plen = strlen(pre);
	char *s = malloc(size + 1);

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_gt(size, plen + 4);
	memcpy(s, pre, plen);
	memset(s + plen, 'p', size - plen - 4);
	memcpy(s + size - 4, "\r\n\r\n", 5);
	return s;
}

/* Feed S in pieces of STEP bytes; returns the last result. */
static enum http_head_rc
feed_steps(struct http_head *h, const char *s, size_t n, size_t step)
{
	enum http_head_rc rc = HTTP_HEAD_NEED_MORE;
	size_t used, k;

	for (k = 0; k < n && rc == HTTP_HEAD_NEED_MORE; k += used) {
		rc = http_head_feed(h, s + k, n - k < step ? n - k : step,
				    &used);
	}
	return rc;
}

/* 64 KiB of head, request line and empty line included, is the limit. */
START_TEST(test_http_head_size_limit)
{
	static const size_t steps[] = {PORTY_HTTP_HEAD_MAX + 1, 1000, 7};
	static const enum http_head_type types[] = {HTTP_HEAD_REQUEST,
						    HTTP_HEAD_RESPONSE};
	struct http_head h;
	size_t i, k;
	char *s;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < 3; i++) {
			s = make_head(types[k], PORTY_HTTP_HEAD_MAX);
			http_head_init(&h, types[k]);
			ck_assert_int_eq(
			    feed_steps(&h, s, PORTY_HTTP_HEAD_MAX, steps[i]),
			    HTTP_HEAD_COMPLETE);
			ck_assert_uint_eq(h.head_size, PORTY_HTTP_HEAD_MAX);
			http_head_fini(&h);
			free(s);

			s = make_head(types[k], PORTY_HTTP_HEAD_MAX + 1);
			http_head_init(&h, types[k]);
			ck_assert_int_eq(feed_steps(&h, s,
						    PORTY_HTTP_HEAD_MAX + 1,
						    steps[i]),
					 HTTP_HEAD_ERROR);
			ck_assert_uint_eq(h.err_status, k == 0 ? 431 : 502);
			ck_assert_str_eq(h.err_reason, "head too large");
			http_head_fini(&h);
			free(s);
		}
	}
}
END_TEST

/* More than PORTY_HTTP_HEAD_FIELDS fields is 431, bounding the table. */
START_TEST(test_http_head_field_limit)
{
	char *s = malloc(16 * 1024);
	struct http_head h;
	size_t n, i, used;

	ck_assert_ptr_nonnull(s);
	for (int extra = 0; extra < 2; extra++) {
		n = (size_t)sprintf(s, "GET / HTTP/1.1\r\n");
		for (i = 0; i < PORTY_HTTP_HEAD_FIELDS + (size_t)extra; i++)
			n += (size_t)sprintf(s + n, "%s: %zu\r\n",
					     i == 0 ? "Host" : "X", i);
		n += (size_t)sprintf(s + n, "\r\n");
		http_head_init(&h, HTTP_HEAD_REQUEST);
		if (extra == 0) {
			ck_assert_int_eq(http_head_feed(&h, s, n, &used),
					 HTTP_HEAD_COMPLETE);
			ck_assert_uint_eq(http_head_nfields(&h),
					  PORTY_HTTP_HEAD_FIELDS);
		} else {
			ck_assert_int_eq(http_head_feed(&h, s, n, &used),
					 HTTP_HEAD_ERROR);
			ck_assert_uint_eq(h.err_status, 431);
			ck_assert_str_eq(h.err_reason,
					 "too many header fields");
		}
		http_head_fini(&h);
	}
	free(s);
}
END_TEST

/* Feed N bytes of S past every head and message end; the last result. */
static enum http_head_rc
feed_all(struct http_head *h, const char *s, size_t n)
{
	enum http_head_rc rc;
	size_t used;

	do {
		rc = http_head_feed(h, s, n, &used);
		s += used;
		n -= used;
	} while (n > 0 && rc != HTTP_HEAD_ERROR);
	return rc;
}

/* Chunk-size lines (CRLF included) are bounded at 4 KiB, trailers at 64 KiB. */
START_TEST(test_http_head_chunk_limits)
{
	static const struct {
		const char *pre, *post;
		size_t pad;
		enum http_head_rc rc;
	} cases[] = {
	    {"1;", "\r\nx\r\n0\r\n\r\n", 4092, HTTP_HEAD_MESSAGE_END},
	    {"1;", "\r\nx\r\n0\r\n\r\n", 4093, HTTP_HEAD_ERROR},
	    {"0\r\nX: ", "\r\n\r\n", 65529, HTTP_HEAD_MESSAGE_END},
	    {"0\r\nX: ", "\r\n\r\n", 65530, HTTP_HEAD_ERROR},
	};
	const char *head = CHUNKED_POST;
	struct http_head h;
	size_t i, n;
	char *s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = malloc(strlen(head) + cases[i].pad + 64);
		ck_assert_ptr_nonnull(s);
		n = (size_t)sprintf(s, "%s%s", head, cases[i].pre);
		memset(s + n, 'a', cases[i].pad);
		n += cases[i].pad;
		n += (size_t)sprintf(s + n, "%s", cases[i].post);
		http_head_init(&h, HTTP_HEAD_REQUEST);
		ck_assert_int_eq(feed_all(&h, s, n), cases[i].rc);
		if (cases[i].rc == HTTP_HEAD_ERROR)
			ck_assert_str_eq(h.err_reason,
					 "chunk line or trailers too long");
		http_head_fini(&h);
		free(s);
	}
}
END_TEST

/* A message is in progress from its first start-line byte to its end. */
START_TEST(test_http_head_in_message)
{
	struct http_head h;
	size_t used;

	http_head_init(&h, HTTP_HEAD_REQUEST);
	ck_assert(!http_head_in_message(&h));
	ck_assert_int_eq(http_head_feed(&h, S("\r\n"), &used),
			 HTTP_HEAD_NEED_MORE);
	ck_assert(!http_head_in_message(&h));
	ck_assert_int_eq(http_head_feed(&h, S("P"), &used),
			 HTTP_HEAD_NEED_MORE);
	ck_assert(http_head_in_message(&h));
	ck_assert_int_eq(http_head_feed(&h,
					S("OST / HTTP/1.1\r\nHost: a\r\n"
					  "Content-Length: 1\r\n\r\n"),
					&used),
			 HTTP_HEAD_COMPLETE);
	ck_assert(http_head_in_message(&h));
	ck_assert_int_eq(http_head_feed(&h, S("x"), &used),
			 HTTP_HEAD_MESSAGE_END);
	ck_assert(!http_head_in_message(&h));
	http_head_fini(&h);
}
END_TEST

/* An error is sticky, and eof afterwards reports it again. */
START_TEST(test_http_head_error_sticky)
{
	struct http_head h;
	size_t used;

	http_head_init(&h, HTTP_HEAD_REQUEST);
	ck_assert_int_eq(http_head_feed(&h, S("GET / HTTP/1.1\n"), &used),
			 HTTP_HEAD_ERROR);
	ck_assert_int_eq(
	    http_head_feed(&h, S("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), &used),
	    HTTP_HEAD_ERROR);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(http_head_eof(&h), HTTP_HEAD_ERROR);
	ck_assert_uint_eq(h.err_status, 400);
	ck_assert_str_eq(h.err_reason, "bare LF in head");
	http_head_fini(&h);
}
END_TEST

/* After a tunnel message every byte is tunnel payload. */
START_TEST(test_http_head_tunnel_passthrough)
{
	struct http_head req, h;
	size_t used;

	parse_request(&req, "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n"
			    "Connection: Upgrade\r\n\r\n");
	ck_assert(req.upgrade);
	http_head_init(&h, HTTP_HEAD_RESPONSE);
	http_head_set_request(&h, &req);
	http_head_fini(&req);
	ck_assert_int_eq(
	    http_head_feed(&h, S("HTTP/1.1 101 Switching\r\n\r\nGET /"), &used),
	    HTTP_HEAD_COMPLETE);
	ck_assert_uint_eq(used, 26);
	ck_assert_int_eq(http_head_feed(&h, S("GET /"), &used),
			 HTTP_HEAD_MESSAGE_END);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(http_head_feed(&h, S("GET / HTTP/1.1\r\n\r\n"), &used),
			 HTTP_HEAD_BODY_BYTES);
	ck_assert_uint_eq(used, 18);
	ck_assert_int_eq(http_head_eof(&h), HTTP_HEAD_IDLE);
	http_head_fini(&h);
}
END_TEST

/*
 * Raw body bytes: what a Content-Length or close-delimited body has left,
 * counted unseen by http_head_skip(); nothing raw in heads or chunked
 * framing. The next message parses normally after a skipped body.
 */
START_TEST(test_http_head_raw_skip)
{
	struct http_head req, h;
	size_t used;

	parse_request(&req, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	http_head_init(&h, HTTP_HEAD_RESPONSE);
	http_head_set_request(&h, &req);
	ck_assert_uint_eq(http_head_raw_left(&h), 0);
	ck_assert_int_eq(http_head_feed(&h,
					S("HTTP/1.1 200 OK\r\n"
					  "Content-Length: 10\r\n\r\nab"),
					&used),
			 HTTP_HEAD_COMPLETE);
	ck_assert_uint_eq(http_head_raw_left(&h), 10);
	ck_assert_int_eq(http_head_feed(&h, S("ab"), &used),
			 HTTP_HEAD_BODY_BYTES);
	ck_assert_uint_eq(http_head_raw_left(&h), 8);
	ck_assert_int_eq(http_head_skip(&h, 7, &used), HTTP_HEAD_BODY_BYTES);
	ck_assert_uint_eq(used, 7);
	ck_assert_uint_eq(http_head_raw_left(&h), 1);
	ck_assert_int_eq(http_head_skip(&h, 1, &used), HTTP_HEAD_MESSAGE_END);
	ck_assert_uint_eq(used, 1);
	ck_assert_uint_eq(http_head_raw_left(&h), 0);

	/* Chunked framing must be parsed. */
	http_head_set_request(&h, &req);
	ck_assert_int_eq(http_head_feed(&h,
					S("HTTP/1.1 200 OK\r\nTransfer-Encoding:"
					  " chunked\r\n\r\n"),
					&used),
			 HTTP_HEAD_COMPLETE);
	ck_assert_uint_eq(http_head_raw_left(&h), 0);
	ck_assert_int_eq(http_head_feed(&h, S("0\r\n\r\n"), &used),
			 HTTP_HEAD_MESSAGE_END);

	/* Until close: no end but the close. */
	http_head_set_request(&h, &req);
	ck_assert_int_eq(
	    http_head_feed(&h, S("HTTP/1.1 200 OK\r\n\r\n"), &used),
	    HTTP_HEAD_COMPLETE);
	ck_assert(http_head_raw_left(&h) == UINT64_MAX);
	ck_assert_int_eq(http_head_skip(&h, 65536, &used),
			 HTTP_HEAD_BODY_BYTES);
	ck_assert_int_eq(http_head_eof(&h), HTTP_HEAD_MESSAGE_END);
	http_head_fini(&req);
	http_head_fini(&h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reading the head. */

/* Fields keep order, case and duplicates; lookups ignore case. */
START_TEST(test_http_head_fields)
{
	static const char in[] =
	    "GET /p?q HTTP/1.1\r\nhost: Example.COM:8080\r\n"
	    "Accept: a\r\nACCEPT:   b  \r\nX-Empty:\r\n"
	    "Connection: Keep-Alive ,, Foo\r\n\r\n";
	struct http_head h;
	struct http_head_field f;
	const char *s;
	size_t n, used;

	http_head_init(&h, HTTP_HEAD_REQUEST);
	ck_assert_int_eq(http_head_feed(&h, S(in), &used), HTTP_HEAD_COMPLETE);
	s = http_head_target(&h, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert(memcmp(s, "/p?q", 4) == 0);
	ck_assert_uint_eq(http_head_nfields(&h), 5);
	http_head_field(&h, 2, &f);
	ck_assert_uint_eq(f.name_len, 6);
	ck_assert(memcmp(f.name, "ACCEPT", 6) == 0);
	ck_assert_uint_eq(f.value_len, 1);
	ck_assert(memcmp(f.value, "b", 1) == 0);
	http_head_field(&h, 3, &f);
	ck_assert_uint_eq(f.value_len, 0);
	ck_assert(http_head_find(&h, "HOST", &f));
	ck_assert_uint_eq(f.value_len, 16);
	ck_assert(memcmp(f.value, "Example.COM:8080", 16) == 0);
	ck_assert(http_head_find(&h, "accept", &f));
	ck_assert(memcmp(f.value, "a", 1) == 0);
	ck_assert(!http_head_find(&h, "Accept-Encoding", &f));
	ck_assert_uint_eq(http_head_count(&h, "accept"), 2);
	ck_assert_uint_eq(http_head_count(&h, "Cookie"), 0);
	ck_assert(http_head_has_token(&h, "connection", "keep-alive"));
	ck_assert(http_head_has_token(&h, "Connection", "FOO"));
	ck_assert(!http_head_has_token(&h, "Connection", "close"));
	ck_assert(!http_head_has_token(&h, "Connection", "Fo"));
	ck_assert_uint_eq(h.head_size, sizeof(in) - 1);
	http_head_fini(&h);
}
END_TEST

/* The reason phrase of a response, empty when absent. */
START_TEST(test_http_head_reason)
{
	struct http_head h;
	const char *s;
	size_t n, used;

	http_head_init(&h, HTTP_HEAD_RESPONSE);
	ck_assert_int_eq(http_head_feed(&h,
					S("HTTP/1.1 404 Not  Found\r\n"
					  "Content-Length: 0\r\n\r\n"),
					&used),
			 HTTP_HEAD_COMPLETE);
	ck_assert_uint_eq(h.status, 404);
	s = http_head_reason(&h, &n);
	ck_assert_uint_eq(n, 10);
	ck_assert(memcmp(s, "Not  Found", 10) == 0);
	ck_assert_int_eq(http_head_feed(&h, "", 0, &used),
			 HTTP_HEAD_MESSAGE_END);
	ck_assert_int_eq(http_head_feed(&h, S("HTTP/1.1 204\r\n\r\n"), &used),
			 HTTP_HEAD_COMPLETE);
	(void)http_head_reason(&h, &n);
	ck_assert_uint_eq(n, 0);
	http_head_fini(&h);
}
END_TEST

/* Releasing the head frees its storage; facts and framing go on. */
START_TEST(test_http_head_release)
{
	struct http_head h;
	size_t used;

	http_head_init(&h, HTTP_HEAD_REQUEST);
	ck_assert(!http_head_held(&h));
	ck_assert_int_eq(http_head_feed(&h,
					S("POST /x HTTP/1.1\r\nHost: a\r\n"
					  "Content-Length: 3\r\n\r\n"),
					&used),
			 HTTP_HEAD_COMPLETE);
	ck_assert(http_head_held(&h));
	http_head_release(&h);
	ck_assert(!http_head_held(&h));
	ck_assert_ptr_null(h.store);
	ck_assert_int_eq(h.method, HTTP_POST);
	ck_assert_int_eq(h.framing, HTTP_HEAD_FRAMING_LENGTH);
	ck_assert_int_eq(http_head_feed(&h, S("ab"), &used),
			 HTTP_HEAD_BODY_BYTES);
	ck_assert_int_eq(http_head_feed(&h, S("cGET"), &used),
			 HTTP_HEAD_MESSAGE_END);
	ck_assert_uint_eq(used, 1);
	ck_assert_ptr_null(h.store);
	/* A head in progress is not released: the parser needs it. */
	ck_assert_int_eq(http_head_feed(&h, S("GET / HTTP/1.1\r\n"), &used),
			 HTTP_HEAD_NEED_MORE);
	http_head_release(&h);
	ck_assert_int_eq(http_head_feed(&h, S("Host: a\r\n\r\n"), &used),
			 HTTP_HEAD_COMPLETE);
	http_head_fini(&h);
	ck_assert_ptr_null(h.store);
}
END_TEST

struct ka_case {
	enum http_head_type type;
	const char *in;
	bool keep_alive;
};

static const struct ka_case ka_cases[] = {
    {HTTP_HEAD_REQUEST, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
    {HTTP_HEAD_REQUEST,
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n", false},
    {HTTP_HEAD_REQUEST,
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\n"
     "Connection: close\r\n\r\n",
     false},
    {HTTP_HEAD_REQUEST, "GET / HTTP/1.0\r\n\r\n", false},
    {HTTP_HEAD_REQUEST, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
     true},
    {HTTP_HEAD_REQUEST,
     "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
    {HTTP_HEAD_REQUEST,
     "GET / HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n", false},
    {HTTP_HEAD_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
    {HTTP_HEAD_RESPONSE, "HTTP/1.1 200 OK\r\n\r\n", false},
    {HTTP_HEAD_RESPONSE, "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n",
     false},
    {HTTP_HEAD_RESPONSE,
     "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
     false},
    {HTTP_HEAD_RESPONSE, "HTTP/1.0 204 No Content\r\n\r\n", false},
    {HTTP_HEAD_RESPONSE,
     "HTTP/1.0 204 No Content\r\nConnection: Keep-Alive\r\n\r\n", true},
    {HTTP_HEAD_RESPONSE,
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true},
};

/* Keep-alive follows the version, the Connection options and framing. */
START_TEST(test_http_head_keep_alive)
{
	const struct ka_case *c = &ka_cases[_i];
	struct http_head h;
	size_t used;

	http_head_init(&h, c->type);
	ck_assert_int_eq(http_head_feed(&h, c->in, strlen(c->in), &used),
			 HTTP_HEAD_COMPLETE);
	ck_assert_msg(h.keep_alive == c->keep_alive, "case %d: %s", _i,
		      esc(c->in, strlen(c->in)));
	http_head_fini(&h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Rewriting. */

struct rw_case {
	const char *name;
	const char *in;
	struct http_head_rewrite rw;
	const char *exp;
};

#define FWD(c_)                                                                \
	.forwarded = true, .client_addr = "192.0.2.7", .proto = "http",        \
	.conn = c_

static const struct rw_case rw_cases[] = {
    /* Host is replaced in place, the forwarded headers are added. */
    {"basic",
     "GET /a?b=1 HTTP/1.1\r\nHost: Front.example\r\nAccept: */*\r\n"
     "X-Custom:  keep  \r\n\r\n",
     {.host = "10.0.0.1", .port = 8080, FWD(HTTP_HEAD_CONN_KEEP_ALIVE)},
     "GET /a?b=1 HTTP/1.1\r\nHost: 10.0.0.1:8080\r\nAccept: */*\r\n"
     "X-Custom:  keep  \r\nX-Forwarded-For: 192.0.2.7\r\n"
     "X-Forwarded-Proto: http\r\nX-Forwarded-Host: Front.example\r\n"
     "Connection: keep-alive\r\n\r\n"},
    /* A new target replaces only the target; the name keeps its case. */
    {"new_target",
     "POST /a?porty_host=b&x=1 HTTP/1.0\r\nhOsT: f\r\n"
     "Content-Length: 0\r\n\r\n",
     {.target = "/a?x=1",
      .target_len = 6,
      .host = "b",
      .port = 80,
      FWD(HTTP_HEAD_CONN_CLOSE)},
     "POST /a?x=1 HTTP/1.0\r\nhOsT: b\r\nContent-Length: 0\r\n"
     "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\n"
     "X-Forwarded-Host: f\r\nConnection: close\r\n\r\n"},
    /* preserve_host keeps the client's Host line byte for byte. */
    {"preserve_host",
     "GET / HTTP/1.1\r\nHost:front:81 \r\n\r\n",
     {.host = NULL, FWD(HTTP_HEAD_CONN_NONE)},
     "GET / HTTP/1.1\r\nHost:front:81 \r\nX-Forwarded-For: 192.0.2.7\r\n"
     "X-Forwarded-Proto: http\r\nX-Forwarded-Host: front:81\r\n\r\n"},
    /* To an HTTPS backend 443 is the port left out, and 80 is not. */
    {"https_443",
     "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
     {.host = "b.example", .port = 443, .https = true,
      FWD(HTTP_HEAD_CONN_NONE)},
     "GET / HTTP/1.1\r\nHost: b.example\r\nX-Forwarded-For: 192.0.2.7\r\n"
     "X-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n\r\n"},
    {"https_80",
     "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
     {.host = "b.example", .port = 80, .https = true,
      FWD(HTTP_HEAD_CONN_NONE)},
     "GET / HTTP/1.1\r\nHost: b.example:80\r\nX-Forwarded-For: 192.0.2.7\r\n"
     "X-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n\r\n"},
    /* IPv6 targets are bracketed; port 80 is left out. */
    {"ipv6_port",
     "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
     {.host = "2001:db8::1", .port = 8443},
     "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n"},
    {"ipv6_port_80",
     "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
     {.host = "::1", .port = 80},
     "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n"},
    /* Hop-by-hop fields and those Connection names are removed. */
    {"hop_by_hop",
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: close, X-Secret\r\n"
     "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\n"
     "TE: trailers\r\nTrailer: Expires\r\nUpgrade: websocket\r\n"
     "X-Secret: 1\r\nx-secret: 2\r\nX-Kept: 3\r\n\r\n",
     {.host = "b", .port = 80, .conn = HTTP_HEAD_CONN_CLOSE},
     "GET / HTTP/1.1\r\nHost: b\r\nX-Kept: 3\r\nConnection: close\r\n"
     "\r\n"},
    /* Connection never removes framing, Host, or porty's own headers. */
    {"connection_names_protected",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
     "Connection: Host, Content-Length, X-Forwarded-For, "
     "X-Forwarded-Proto, X-Forwarded-Host\r\n"
     "X-Forwarded-For: 6.6.6.6\r\n\r\n",
     {.host = "b", .port = 80, FWD(HTTP_HEAD_CONN_KEEP_ALIVE)},
     "POST / HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n"
     "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\n"
     "X-Forwarded-Host: a\r\nConnection: keep-alive\r\n\r\n"},
    /* Transfer-Encoding named by Connection stays too. */
    {"connection_names_te",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
     "Connection: transfer-encoding\r\n\r\n",
     {.host = "b", .port = 80},
     "POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n"},
    /* An existing X-Forwarded-For gets ", ADDR" on its last line. */
    {"xff_append",
     "GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.1\r\nHost: a\r\n"
     "x-forwarded-for: 198.51.100.2 \r\n\r\n",
     {.host = "b", .port = 80, FWD(HTTP_HEAD_CONN_NONE)},
     "GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.1\r\nHost: b\r\n"
     "x-forwarded-for: 198.51.100.2, 192.0.2.7\r\n"
     "X-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n\r\n"},
    /* An empty X-Forwarded-For gets the address alone. */
    {"xff_empty",
     "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For:  \r\n\r\n",
     {.host = "b", .port = 80, FWD(HTTP_HEAD_CONN_NONE)},
     "GET / HTTP/1.1\r\nHost: b\r\nX-Forwarded-For: 192.0.2.7\r\n"
     "X-Forwarded-Proto: http\r\nX-Forwarded-Host: a\r\n\r\n"},
    /* The client's X-Forwarded-Proto/-Host are replaced, not trusted. */
    {"xfp_xfh_replaced",
     "GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\nHost: a\r\n"
     "X-Forwarded-Host: evil\r\n\r\n",
     {.host = "b",
      .port = 80,
      .forwarded = true,
      .client_addr = "2001:db8::7",
      .proto = "https"},
     "GET / HTTP/1.1\r\nHost: b\r\nX-Forwarded-For: 2001:db8::7\r\n"
     "X-Forwarded-Proto: https\r\nX-Forwarded-Host: a\r\n\r\n"},
    /* forwarded_headers = false leaves the client's ones untouched. */
    {"not_forwarded",
     "GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\nHost: a\r\n"
     "X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Host: x\r\n\r\n",
     {.host = "b", .port = 80},
     "GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\nHost: b\r\n"
     "X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Host: x\r\n\r\n"},
    /* An upgrade keeps Upgrade and says "Connection: upgrade". */
    {"upgrade",
     "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
     "Upgrade: websocket\r\nSec-WebSocket-Key: k==\r\n\r\n",
     {.host = "b", .port = 80, .conn = HTTP_HEAD_CONN_KEEP_ALIVE},
     "GET /ws HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\n"
     "Sec-WebSocket-Key: k==\r\nConnection: upgrade\r\n\r\n"},
    /* An HTTP/1.0 request without Host gets the target's. */
    {"host_added",
     "GET / HTTP/1.0\r\nAccept: */*\r\n\r\n",
     {.host = "b", .port = 8080, FWD(HTTP_HEAD_CONN_KEEP_ALIVE)},
     "GET / HTTP/1.0\r\nAccept: */*\r\nHost: b:8080\r\n"
     "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\n"
     "Connection: keep-alive\r\n\r\n"},
    /* Duplicates and case survive; leading empty lines do not. */
    {"duplicates_case",
     "\r\nGET / HTTP/1.1\r\nHost: a\r\nset-COOKIE: 1\r\nSet-Cookie: 2\r\n"
     "\r\n",
     {.host = NULL},
     "GET / HTTP/1.1\r\nHost: a\r\nset-COOKIE: 1\r\nSet-Cookie: 2\r\n"
     "\r\n"},
};

/* Measure, then write; compare byte for byte; never write past CAP. */
static void
check_written(const char *name, size_t need, const char *buf, const char *exp)
{
	if (need != strlen(exp) || memcmp(buf, exp, need) != 0) {
		fprintf(stderr, "%s: got      %s\n", name, esc(buf, need));
		fprintf(stderr, "%s: expected %s\n", name,
			esc(exp, strlen(exp)));
		ck_abort_msg("%s: wrong head written", name);
	}
}

/* Requests are rewritten byte for byte as SPEC §4 says. */
START_TEST(test_http_head_write_request)
{
	const struct rw_case *c = &rw_cases[_i];
	struct http_head h;
	char buf[1024];
	size_t used, need, n;

	http_head_init(&h, HTTP_HEAD_REQUEST);
	ck_assert_int_eq(http_head_feed(&h, c->in, strlen(c->in), &used),
			 HTTP_HEAD_COMPLETE);
	need = http_head_write_request(&h, &c->rw, NULL, 0);
	ck_assert_uint_lt(need, sizeof(buf));
	memset(buf, '#', sizeof(buf));
	ck_assert_uint_eq(http_head_write_request(&h, &c->rw, buf, need - 1),
			  need);
	ck_assert_int_eq(buf[need - 1], '#');
	ck_assert_int_eq(buf[need], '#');
	n = http_head_write_request(&h, &c->rw, buf, sizeof(buf));
	ck_assert_uint_eq(n, need);
	check_written(c->name, n, buf, c->exp);
	http_head_fini(&h);
}
END_TEST

struct rw_response_case {
	const char *name;
	const char *req;
	const char *in;
	enum http_head_conn conn;
	const char *exp;
};

static const struct rw_response_case rw_response_cases[] = {
    /* Status line and fields as sent, hop-by-hop removed. */
    {"hop_by_hop", GET,
     "HTTP/1.1 404  Not  Found\r\nServer: x\r\n"
     "Connection: keep-alive, X-Foo, Content-Length\r\n"
     "Keep-Alive: timeout=5\r\nX-Foo: 1\r\nContent-Length: 2\r\n"
     "Upgrade: h2\r\nTrailer: x\r\nProxy-Connection: close\r\n"
     "Set-Cookie: a\r\nset-cookie: b\r\n\r\n",
     HTTP_HEAD_CONN_CLOSE,
     "HTTP/1.1 404  Not  Found\r\nServer: x\r\nContent-Length: 2\r\n"
     "Set-Cookie: a\r\nset-cookie: b\r\nConnection: close\r\n\r\n"},
    /* Keep-alive towards the client, chunked framing kept. */
    {"keep_alive", GET, "HTTP/1.1 200 OK\r\nTransfer-encoding:chunked\r\n\r\n",
     HTTP_HEAD_CONN_KEEP_ALIVE,
     "HTTP/1.1 200 OK\r\nTransfer-encoding:chunked\r\n"
     "Connection: keep-alive\r\n\r\n"},
    /* A 101 goes out unchanged. */
    {"switching",
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n"
     "Upgrade: websocket\r\n\r\n",
     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
     "Connection: Upgrade\r\nSec-WebSocket-Accept: x=\r\n\r\n",
     HTTP_HEAD_CONN_CLOSE,
     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
     "Connection: Upgrade\r\nSec-WebSocket-Accept: x=\r\n\r\n"},
    /* No Connection header when the caller wants none. */
    {"interim", GET, "HTTP/1.1 100 Continue\r\n\r\n", HTTP_HEAD_CONN_NONE,
     "HTTP/1.1 100 Continue\r\n\r\n"},
};

/* Responses reach the client as sent, hop-by-hop fields aside. */
START_TEST(test_http_head_write_response)
{
	const struct rw_response_case *c = &rw_response_cases[_i];
	struct http_head req, h;
	char buf[1024];
	size_t used, need, n;

	parse_request(&req, c->req);
	http_head_init(&h, HTTP_HEAD_RESPONSE);
	http_head_set_request(&h, &req);
	http_head_fini(&req);
	ck_assert_int_eq(http_head_feed(&h, c->in, strlen(c->in), &used),
			 HTTP_HEAD_COMPLETE);
	need = http_head_write_response(&h, c->conn, NULL, 0);
	ck_assert_uint_lt(need, sizeof(buf));
	memset(buf, '#', sizeof(buf));
	ck_assert_uint_eq(http_head_write_response(&h, c->conn, buf, need - 1),
			  need);
	ck_assert_int_eq(buf[need - 1], '#');
	n = http_head_write_response(&h, c->conn, buf, sizeof(buf));
	ck_assert_uint_eq(n, need);
	check_written(c->name, n, buf, c->exp);
	http_head_fini(&h);
}
END_TEST

#define LOOP(tc, fn, table)                                                    \
	tcase_add_loop_test(tc, fn, 0, (int)(sizeof(table) / sizeof(table[0])))

Suite *
http_head_suite(void)
{
	Suite *s = suite_create("http_head");
	TCase *tc;

	tc = tcase_create("framing");
	tcase_set_timeout(tc, 60);
	LOOP(tc, test_http_head_request_framing, request_cases);
	LOOP(tc, test_http_head_response_framing, response_cases);
	tcase_add_test(tc, test_http_head_pipelined_offsets);
	tcase_add_test(tc, test_http_head_tunnel_passthrough);
	tcase_add_test(tc, test_http_head_raw_skip);
	tcase_add_loop_test(tc, test_http_head_mutants_split_alike, 0, 2);
	tcase_add_test(tc, test_http_head_error_sticky);
	tcase_add_test(tc, test_http_head_in_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("strict");
	tcase_set_timeout(tc, 60);
	LOOP(tc, test_http_head_request_strict, request_errors);
	LOOP(tc, test_http_head_response_strict, response_errors);
	tcase_add_test(tc, test_http_head_size_limit);
	tcase_add_test(tc, test_http_head_field_limit);
	tcase_add_test(tc, test_http_head_chunk_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("fields");
	tcase_add_test(tc, test_http_head_fields);
	tcase_add_test(tc, test_http_head_reason);
	tcase_add_test(tc, test_http_head_release);
	LOOP(tc, test_http_head_keep_alive, ka_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("rewrite");
	LOOP(tc, test_http_head_write_request, rw_cases);
	LOOP(tc, test_http_head_write_response, rw_response_cases);
	suite_add_tcase(s, tc);
	return s;
}
