/* SPDX-License-Identifier: MIT */
/* HTTP/1.1 message framing, head storage and head rewriting. No I/O. */
#ifndef PORTY_HTTP_HEAD_H
#define PORTY_HTTP_HEAD_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One parser per direction of an HTTP connection: a struct http_head for the
 * requests read from the client, another for the responses read from the
 * backend. It is embedded in its owner and fed the raw bytes as they arrive,
 * split anywhere. It never reads or writes a socket.
 *
 * The head (start line and header fields) is copied into storage that the
 * parser allocates when the first byte of a message arrives and frees when
 * the caller calls http_head_release(), when the next message begins, or in
 * http_head_fini(). That storage grows with the head (1 KiB at first) up to
 * PORTY_HTTP_HEAD_MAX bytes of text plus at most PORTY_HTTP_HEAD_FIELDS field
 * entries; an idle parser holds none. Because the head is copied, the caller
 * may discard every byte the parser reports as used, and http-parser's
 * pointers, valid only inside its callbacks, are never kept.
 *
 * The body is framed by this module, not by http-parser: the Debian build of
 * http-parser is compiled with HTTP_PARSER_STRICT=0 and then accepts chunked
 * framing that a strict backend reads differently (bytes after the chunk
 * data, LF inside a chunk extension), and it refuses "chunked," where RFC 9112
 * (and SPEC §4) reads chunked. http-parser parses the head only; the checks it
 * does not make (whitespace before a colon, obs-fold, bare LF and CR, the
 * Transfer-Encoding list, several Host lines...) are made here on the raw
 * bytes.
 *
 * Driving it, for either direction, straight from the read buffer:
 *
 *	for (;;) {
 *		rc = http_head_feed(h, p, n, &used);
 *		switch (rc) {
 *		case HTTP_HEAD_NEED_MORE:   all taken (copied): read more
 *		case HTTP_HEAD_COMPLETE:    the head's USED bytes may be
 *		                            dropped; route, write the head
 *		case HTTP_HEAD_BODY_BYTES:  forward the USED bytes, read more
 *		case HTTP_HEAD_MESSAGE_END: forward the USED bytes; the byte
 *		                            after them starts the next one
 *		case HTTP_HEAD_ERROR:       answer h->err_status, then close
 *		}
 *		p += used; n -= used;
 *	}
 *
 * Body bytes are reported raw, chunked framing and trailers included, so the
 * caller relays them unchanged: the rewritten head and the body bytes that
 * followed it in the buffer can go out in one writev. Feeding is how the
 * caller learns where a message ends, so body bytes are fed before they are
 * forwarded; nothing after MESSAGE_END is forwarded as part of the message.
 *
 * Upgrades: after a request with h->upgrade or method CONNECT, stop feeding
 * the request parser at its MESSAGE_END and wait for the response: a 101
 * (or a 2xx to CONNECT) has framing HTTP_HEAD_FRAMING_TUNNEL, and both
 * directions become a plain relay from the byte after that response's head;
 * any other response lets HTTP parsing go on. Interim 1xx responses (100
 * Continue, 103) are messages of their own, forwarded like others; the final
 * response follows on the same parser.
 *
 * Strictness (RFC 9112; SPEC §4). These are 400 for a request and 502 for a
 * response, and the connection must close: a bare LF or bare CR anywhere in
 * the head or in the chunked framing (LF-only line endings are refused, since
 * porty must never disagree with the backend about where a line ends);
 * obs-fold; whitespace before a colon; CTL bytes (anything but HTAB) in names
 * or values; a request line with other than single spaces between its three
 * parts; an HTTP major version other than 1 (505 for a request); methods
 * unknown to http-parser (501); several Host lines, or none in HTTP/1.1, or
 * a Host outside uri-host[:port]; Content-Length with Transfer-Encoding;
 * more than one Content-Length line, even equal, and any list value ("1, 1"
 * is refused, which RFC 9110 §8.6 permits); a Content-Length that is not
 * 1*DIGIT or overflows; Transfer-Encoding in HTTP/1.0; a Transfer-Encoding
 * list (all lines, case-insensitive, OWS and empty elements ignored) whose
 * last coding is not chunked, with chunked elsewhere, or chunked with
 * parameters, in responses too (RFC 9112 would read such a response until
 * close; nginx refuses it, and so does porty); chunk sizes that are not
 * plain hex or overflow 64 bits; chunk data not followed by CRLF; chunk
 * extensions with CTLs; a chunk-size line over 4 KiB or trailers over
 * 64 KiB; a 101 to a request that asked for no upgrade; a CONNECT request
 * with a body. Accepted: absolute-form targets (kept as they are; routing
 * is by Host), obs-text in targets and values, empty lines before the
 * start line, a status line without reason phrase, chunk extensions.
 */

/* The longest head accepted: start line, fields and the empty line. */
#define PORTY_HTTP_HEAD_MAX    (64 * 1024)
/* The most header fields in one head; more is 431 (502 for a response). */
#define PORTY_HTTP_HEAD_FIELDS 256

enum http_head_type {
	HTTP_HEAD_REQUEST = 0,
	HTTP_HEAD_RESPONSE,
};

/* What http_head_feed() did with the bytes it was given. */
enum http_head_rc {
	/* Every byte was taken into the head; the head is not complete. */
	HTTP_HEAD_NEED_MORE = 0,
	/*
	 * The head ended after *used bytes. The message facts and the head's
	 * fields can be read now. Feed the rest (possibly nothing) again: it is
	 * the body, or for a bodiless message an immediate MESSAGE_END.
	 */
	HTTP_HEAD_COMPLETE,
	/* All *used (== len) bytes belong to the body; more body follows. */
	HTTP_HEAD_BODY_BYTES,
	/*
	 * The message ended after *used bytes (0 for a bodiless message), which
	 * are its last body bytes. The following bytes belong to the next
	 * message. After a tunnel message (h->framing ==
	 * HTTP_HEAD_FRAMING_TUNNEL) every later feed returns
	 * HTTP_HEAD_BODY_BYTES with all its bytes.
	 */
	HTTP_HEAD_MESSAGE_END,
	/*
	 * The input is malformed, too large, or memory ran out. h->err_status
	 * and h->err_reason say what to answer; the connection must be closed
	 * afterwards, since its framing is lost. Every later feed fails too.
	 */
	HTTP_HEAD_ERROR,
	/* Only from http_head_eof(): no message was in progress. */
	HTTP_HEAD_IDLE,
};

/* How the current message's body is delimited. */
enum http_head_framing {
	HTTP_HEAD_FRAMING_NONE = 0, /* no body */
	HTTP_HEAD_FRAMING_LENGTH,   /* h->content_length bytes */
	HTTP_HEAD_FRAMING_CHUNKED,  /* chunked coding, trailers included */
	HTTP_HEAD_FRAMING_CLOSE,    /* response read until the backend closes */
	HTTP_HEAD_FRAMING_TUNNEL, /* 101 or 2xx to CONNECT: raw bytes follow */
};

/* The Connection header the caller wants on a rewritten head. */
enum http_head_conn {
	HTTP_HEAD_CONN_NONE = 0,   /* add none */
	HTTP_HEAD_CONN_KEEP_ALIVE, /* "Connection: keep-alive" */
	HTTP_HEAD_CONN_CLOSE,      /* "Connection: close" */
};

enum http_head_phase {
	HTTP_HEAD_PHASE_IDLE = 0, /* between messages */
	HTTP_HEAD_PHASE_HEAD,     /* reading a head */
	HTTP_HEAD_PHASE_BODY,     /* framing a body */
	HTTP_HEAD_PHASE_TUNNEL,   /* after a tunnel message */
	HTTP_HEAD_PHASE_ERROR,    /* sticky */
};

struct http_head_store;

struct http_head {
	http_parser parser;            /* private: re-initialised per message */
	struct http_head_store *store; /* private, owned: the head, or NULL */
	enum http_head_type type;      /* ro */
	enum http_head_phase phase;    /* private */
	uint64_t left;                 /* private: body or chunk bytes to go */
	uint32_t count;                /* private: chunk-line/trailer bytes */
	uint8_t cstate;                /* private: chunked-framing state */

	/*
	 * ro: facts about the current message, set at HTTP_HEAD_COMPLETE and
	 * kept after http_head_release() until the next message begins.
	 */
	enum http_method method;        /* requests */
	unsigned status;                /* responses */
	unsigned major, minor;          /* HTTP version */
	uint32_t head_size;             /* bytes of the head, empty lines too */
	enum http_head_framing framing; /* how the body is delimited */
	uint64_t content_length;        /* for HTTP_HEAD_FRAMING_LENGTH */
	bool keep_alive;                /* the sender lets the connection on */
	bool upgrade;                   /* request: asks for an Upgrade */

	/* private: the request a response parser is answering */
	enum http_method req_method;
	bool req_upgrade;

	/* ro: after HTTP_HEAD_ERROR */
	unsigned err_status;    /* 400, 431, 501, 505, 502 (responses), 503 */
	const char *err_reason; /* static text, e.g. "obs-fold in header" */
};

/* A header field as received: NAME with its original case, VALUE without the
 * surrounding whitespace. Pointers into the head's storage. */
struct http_head_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/*
 * What http_head_write_request() changes. Strings are borrowed for the call.
 */
struct http_head_rewrite {
	/* The request target to send, or NULL for the original bytes. */
	const char *target;
	size_t target_len;
	/*
	 * The backend, written as Host "host[:port]" (brackets added around an
	 * IPv6 literal, the port left out when it is the scheme's default),
	 * replacing the client's Host in place, or added when the client sent
	 * none. NULL keeps the client's Host (preserve_host).
	 */
	const char *host;
	unsigned port;
	bool https; /* the backend speaks TLS: Host leaves out 443, not 80 */
	/*
	 * forwarded_headers: append CLIENT_ADDR (text, no brackets, no port) to
	 * X-Forwarded-For and set X-Forwarded-Proto to PROTO ("http"/"https")
	 * and X-Forwarded-Host to the client's Host, replacing any the client
	 * sent. When false, the client's X-Forwarded-* go through untouched.
	 */
	bool forwarded;
	const char *client_addr;
	const char *proto;
	/* The Connection header to add (ignored when upgrading). */
	enum http_head_conn conn;
};

/* Initialise H, idle, as a parser of requests or of responses. */
void http_head_init(struct http_head *h, enum http_head_type type);

/* Free whatever H holds. H may be initialised again. */
void http_head_fini(struct http_head *h);

/*
 * Feed LEN bytes of the stream (LEN may be 0). Stores in *USED how many of
 * them were taken, which is fewer than LEN only at HTTP_HEAD_COMPLETE and
 * HTTP_HEAD_MESSAGE_END; returns what happened (see enum http_head_rc).
 * The bytes are never kept: the head is copied.
 */
enum http_head_rc http_head_feed(struct http_head *h, const char *data,
				 size_t len, size_t *used);

/*
 * How many of the next bytes are body bytes that need no parsing: what is
 * left of a Content-Length body, UINT64_MAX for a body read until close, 0
 * in any other place (a head, chunked framing, between messages). Such
 * bytes may be passed on unseen (spliced) and then counted with
 * http_head_skip().
 */
uint64_t http_head_raw_left(const struct http_head *h);

/*
 * Count LEN body bytes passed on unseen; LEN <= http_head_raw_left(h).
 * Returns HTTP_HEAD_BODY_BYTES, or HTTP_HEAD_MESSAGE_END when they end the
 * message (*USED is LEN either way).
 */
enum http_head_rc http_head_skip(struct http_head *h, size_t len,
				 size_t *used);

/*
 * The peer closed its sending side. Returns HTTP_HEAD_MESSAGE_END when that
 * ends a read-until-close response, HTTP_HEAD_IDLE when no message had begun
 * (a clean close; empty lines alone are no message) or after a tunnel, and
 * HTTP_HEAD_ERROR (400/502, "connection closed mid-message") when a message
 * is cut short.
 */
enum http_head_rc http_head_eof(struct http_head *h);

/*
 * True from the first byte of a start line (empty lines before it do not
 * count) until the message ends: a header timeout then means 408, while an
 * idle keep-alive connection can be closed quietly.
 */
bool http_head_in_message(const struct http_head *h);

/*
 * Response parsers only: the responses fed next answer REQ (a request parser
 * after HTTP_HEAD_COMPLETE; only its method and upgrade facts are read, so
 * it may be released or reused afterwards). A HEAD request makes bodiless
 * responses, a CONNECT request turns a 2xx into a tunnel, and a 101 is a
 * tunnel only if REQ asked for an upgrade (else 502). Interim 1xx responses
 * keep answering the same request. Without a call, a response answers GET.
 */
void http_head_set_request(struct http_head *resp, const struct http_head *req);

/*
 * Free the head's storage once the caller is done with the fields (after
 * writing the rewritten head). The facts in struct http_head stay. Optional:
 * the next message frees it anyway.
 */
void http_head_release(struct http_head *h);

/* True while the head of the current message is held (COMPLETE, not yet
 * released). The accessors below need it. */
bool http_head_held(const struct http_head *h);

/* The request target as received (requests), or the reason phrase
 * (responses, possibly empty); *LEN gets its length. */
const char *http_head_target(const struct http_head *h, size_t *len);
const char *http_head_reason(const struct http_head *h, size_t *len);

/* The number of header fields, and field I of them (0-based, in order). */
size_t http_head_nfields(const struct http_head *h);
void http_head_field(const struct http_head *h, size_t i,
		     struct http_head_field *f);

/* The first field named NAME (case-insensitive) into *F; false if none. */
bool http_head_find(const struct http_head *h, const char *name,
		    struct http_head_field *f);

/* How many fields are named NAME (case-insensitive). */
size_t http_head_count(const struct http_head *h, const char *name);

/* Whether any NAME field's comma-separated list holds TOKEN (both
 * case-insensitive), e.g. ("Connection", "close"). */
bool http_head_has_token(const struct http_head *h, const char *name,
			 const char *token);

/*
 * Write the request head rewritten as RW says, into OUT (CAP bytes), and
 * return its length; nothing past CAP is written, so a result above CAP
 * means "call again with at least that much" (CAP 0 just measures). The
 * start line and every kept field are copied byte for byte; a new target
 * replaces only the target. Removed: Connection, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Upgrade (kept, with "Connection: upgrade",
 * when the request upgrades) and the fields Connection names, except Host,
 * Content-Length and Transfer-Encoding, which framing and routing need, and
 * except what porty adds itself. Added at the end, in this order: Host if
 * the client sent none, X-Forwarded-For (unless appended to the client's
 * last one), X-Forwarded-Proto, X-Forwarded-Host, Connection.
 */
size_t http_head_write_request(const struct http_head *h,
			       const struct http_head_rewrite *rw, char *out,
			       size_t cap);

/*
 * Write the response head for the client into OUT, as
 * http_head_write_request() does: status line and fields byte for byte, the
 * hop-by-hop fields removed as above, then CONN's Connection header. A 101
 * goes out unchanged (its Upgrade and Connection are the point) and CONN is
 * ignored.
 */
size_t http_head_write_response(const struct http_head *h,
				enum http_head_conn conn, char *out,
				size_t cap);

#endif /* PORTY_HTTP_HEAD_H */
