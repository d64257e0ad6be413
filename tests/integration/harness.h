/* SPDX-License-Identifier: MIT */
/* Integration harness: temp dirs, free ports, porty processes, peers. */
#ifndef PORTY_TESTS_HARNESS_H
#define PORTY_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "compiler.h"

/*
 * One test's world: a mkdtemp() directory (the default cwd of every process
 * started), the porty processes and backends started, and memory handed out
 * to the test. A test that passes frees its harness. One that fails leaves
 * it: the checked teardown (CK_FORK=no) or, in fork mode where check
 * _exit()s the test and kills its process group, the runner's unchecked
 * teardown dumps the processes' captured output to stderr and removes it.
 */
struct harness;
struct harness_proc;    /* a started process (porty, or a one-shot command) */
struct harness_backend; /* a loopback peer in a forked child */

/* harness_run() status when the command did not exit within its deadline. */
#define HARNESS_TIMED_OUT (-1)

/* Options for the processes the harness starts; a NULL pointer means none. */
struct harness_opts {
	const char *cwd; /* NULL: the harness's temp dir */
	/* NULL-ended "NAME=VALUE" to set, "NAME" to unset; PORTY_CONFIG is
	 * always unset first, so the caller's environment never leaks in. */
	const char *const *env;
};

/* What a one-shot command did; the strings belong to the harness. */
struct harness_result {
	int status;      /* exit code, 128 + signal, or HARNESS_TIMED_OUT */
	const char *out; /* everything it wrote to stdout */
	const char *err; /* everything it wrote to stderr */
};

/* Length and FNV-1a 64 of a byte stream, to compare transfers. */
struct harness_digest {
	uint64_t len;
	uint64_t hash;
};

enum harness_backend_kind {
	/* Echo every byte; on EOF, flush then shut down the write side. */
	HARNESS_ECHO = 0,
	/* Read to EOF, then send reply_len pattern bytes (seed) and close. */
	HARNESS_SINK,
	/* Send reply_len pattern bytes (seed) at once and shut down the write
	 * side, while reading whatever comes until EOF. */
	HARNESS_SOURCE,
	/* An HTTP/1.1 server that records every request; see "HTTP" below. */
	HARNESS_HTTP,
};

struct harness_backend_opts {
	enum harness_backend_kind kind;
	int family;         /* AF_INET (127.0.0.1) or AF_INET6 (::1) */
	uint64_t reply_len; /* SINK, SOURCE: bytes to send */
	uint64_t seed;      /* pattern of those bytes */
	int port;           /* 0: kernel-assigned now; else bind this one */
	unsigned delay_ms;  /* bind only after this long (with port != 0) */
};

/* One client connection driven by harness_xfer(). */
struct harness_xfer {
	int fd;              /* connected socket, made non-blocking */
	uint64_t send_len;   /* pattern bytes to send, then SHUT_WR */
	uint64_t send_seed;  /* which pattern */
	bool send_after_eof; /* send only once the peer's EOF came */
	uint64_t sent;       /* pattern bytes sent: 0, or what the caller
				already sent itself; then the running count */
	/* results */
	struct harness_digest rx; /* what was received */
	bool eof;                 /* the peer's FIN was read */
	bool shut;                /* the write side was shut down */
	int error;                /* errno that ended the connection, or 0 */
	bool done;                /* all sent, write side shut, EOF or error */
};

/* --- life cycle ------------------------------------------------------ */

/* Once, in the runner before any test: names this run's temp dirs. */
void harness_init(void);

/*
 * A new harness with a fresh temp dir, for the test TEST (pass __func__;
 * it names the dump); aborts the test on failure.
 */
struct harness *harness_new(const char *test);

/* Kill what the test left running, remove the temp dir, free everything. */
void harness_free(struct harness *h);

/*
 * Kill and remove every harness still alive in this process, dumping its
 * processes' output first (the test failed): the checked teardown of every
 * integration TCase.
 */
void harness_teardown(void);

/*
 * Dump and remove the temp dirs that failed tests of this run left behind
 * (fork mode): the unchecked teardown of every integration TCase.
 */
void harness_reap(void);

/* A TCase NAME with both teardowns above and a timeout of TIMEOUT seconds
 * (scaled like harness_timeout()). */
TCase *harness_tcase(const char *name, double timeout);

/* MS scaled for the run: ten times longer under PORTY_VALGRIND=1. */
int harness_ms(int ms);

/* A TCase timeout in seconds, scaled like harness_ms(). */
double harness_timeout(double seconds);

/* Milliseconds on the monotonic clock. */
int64_t harness_now_ms(void);

/* Sleep MS milliseconds; for pacing only, never to wait for readiness. */
void harness_sleep_ms(int ms);

/* --- files ----------------------------------------------------------- */

const char *harness_dir(const struct harness *h);

/* DIR/NAME in memory owned by H. */
const char *harness_path(struct harness *h, const char *name);

/* Write printf-formatted text to DIR/NAME; returns the path (owned by H). */
const char *harness_write(struct harness *h, const char *name, const char *fmt,
			  ...) PORTY_PRINTF(3, 4);

/* The whole file PATH as a string owned by H, or NULL if it can't be read. */
const char *harness_read(struct harness *h, const char *path);

/* $PORTY_SRCDIR/tests/data/NAME (owned by H); aborts if it does not exist. */
const char *harness_data(struct harness *h, const char *name);

/* printf into memory owned by H. */
const char *harness_fmt(struct harness *h, const char *fmt, ...)
    PORTY_PRINTF(2, 3);

/* --- ports and sockets ----------------------------------------------- */

/* Whether ::1 can be bound here (IPv6 tests skip when it cannot). */
bool harness_have_ipv6(void);

/* A port the kernel just handed out on 127.0.0.1 or ::1, closed again. */
int harness_port(int family);

/*
 * A listening socket on the loopback address of FAMILY with BACKLOG,
 * owned by H (closed by harness_free); its port goes to *PORT.
 */
int harness_listen(struct harness *h, int family, int backlog, int *port);

/*
 * A listener that never accepts and whose accept queue is full, so SYNs
 * to it are dropped and a connect() to it times out. Returns its port.
 */
int harness_blackhole(struct harness *h, int family);

/* Whether a socket listens on PORT (any loopback/wildcard), from /proc. */
bool harness_port_listening(int port);

/*
 * Connect to the loopback address of FAMILY on PORT within MS. Returns a
 * blocking socket, or -1 with errno (ECONNREFUSED, ETIMEDOUT...).
 */
int harness_connect(int family, int port, int ms);

/* Send all of BUF within MS; false on error or timeout. */
bool harness_send(int fd, const void *buf, size_t len, int ms);

/*
 * Read until LEN bytes came, EOF, an error, or MS passed. Returns the
 * number of bytes read.
 */
size_t harness_recv(int fd, void *buf, size_t len, int ms);

/* Bytes harness_seed_source() sends to each client. */
#define HARNESS_SEED_REPLY 64

/*
 * A backend on 127.0.0.1 that sends each client HARNESS_SEED_REPLY bytes
 * of pattern SEED and closes: which backend a client reached, by its bytes.
 */
struct harness_backend *harness_seed_source(struct harness *h, uint64_t seed);

/*
 * Connect to 127.0.0.1:PORT and read to EOF. Returns the seed (1 or 2)
 * whose pattern came, 0 for other bytes, or -errno when the connect or the
 * read failed.
 */
int harness_seed_fetch(int port);

/*
 * A datagram socket at DIR/notify playing systemd's side of
 * $NOTIFY_SOCKET; its path goes to *PATH. Returns the fd (closed by the
 * caller).
 */
int harness_notify_socket(struct harness *h, const char **path);

/* The next notification on FD within MS, owned by H ("" on timeout). */
const char *harness_notify_next(struct harness *h, int fd, int ms);

/* Whether a byte (or EOF) can be read from FD within MS. */
bool harness_readable(int fd, int ms);

/*
 * Wait up to MS for the peer to close FD (EOF or reset), discarding any
 * data. Returns the milliseconds waited, or -1 if it stayed open.
 */
int harness_wait_closed(int fd, int ms);

/*
 * Run the transfers X[0..N-1] together (poll), each until it is done: send
 * the pattern from offset sent up to send_len, then SHUT_WR, and read to
 * EOF. Returns true when all are done within MS.
 */
bool harness_xfer(struct harness_xfer *x, size_t n, int ms);

/* --- patterns and digests -------------------------------------------- */

void harness_digest_init(struct harness_digest *d);
void harness_digest_update(struct harness_digest *d, const void *buf,
			   size_t len);

/* LEN bytes of the pseudo-random pattern SEED, from stream offset OFF. */
void harness_pattern(uint64_t seed, uint64_t off, void *buf, size_t len);

/* The digest of the first LEN bytes of pattern SEED. */
struct harness_digest harness_pattern_digest(uint64_t seed, uint64_t len);

/* --- porty ----------------------------------------------------------- */

/*
 * Run $PORTY_BIN ARGV... (NULL-ended, without argv[0]) to completion within
 * harness_ms(10000); output is captured. The result is owned by H.
 */
const struct harness_result *harness_run(struct harness *h,
					 const struct harness_opts *o,
					 const char *const *argv);

/* Start $PORTY_BIN ARGV... in the background, output captured to files. */
struct harness_proc *harness_start(struct harness *h,
				   const struct harness_opts *o,
				   const char *const *argv);

/*
 * Write TOML to DIR/porty.toml, run `porty start --config` on it and wait
 * until PORT listens; aborts the test (with porty's log) if it does not.
 */
struct harness_proc *harness_serve(struct harness *h, int port,
				   const char *toml);

/* Wait up to MS for PORT to listen; false if P exited or time ran out. */
bool harness_wait_port(struct harness_proc *p, int port, int ms);

/* Send SIG to P. */
void harness_signal(struct harness_proc *p, int sig);

/* Wait up to MS for P to exit: its status as in harness_result, or
 * HARNESS_TIMED_OUT. */
int harness_wait(struct harness_proc *p, int ms);

/* SIGTERM P and assert that it exits with status 0 in time. */
void harness_stop(struct harness_proc *p);

/* P's stderr so far (its log), owned by H. */
const char *harness_log(struct harness_proc *p);

/* Wait up to MS until P's stderr contains NEEDLE (any case). */
bool harness_wait_log(struct harness_proc *p, const char *needle, int ms);

/* --- backends -------------------------------------------------------- */

/* Start a backend in a forked child; aborts the test on failure. */
struct harness_backend *harness_backend(struct harness *h,
					const struct harness_backend_opts *o);

/* An echo backend on the loopback address of FAMILY. */
struct harness_backend *harness_echo(struct harness *h, int family);

int harness_backend_port(const struct harness_backend *b);

/*
 * The digest of what the backend received on its next connection to end,
 * within MS; false on timeout.
 */
bool harness_backend_report(struct harness_backend *b, struct harness_digest *d,
			    int ms);

/* --- text ------------------------------------------------------------ */

/* Whether TEXT contains NEEDLE, ignoring case. */
bool harness_contains(const char *text, const char *needle);

/* The number of lines of TEXT (a last line without a newline counts). */
size_t harness_count_lines(const char *text);

/* Whether LINE (up to a newline) is exactly one JSON object. */
bool harness_json_object(const char *line);

/*
 * The top-level member KEY of the JSON object LINE, when it is an integer
 * literal (no fraction or exponent): true with *V set.
 */
bool harness_json_int(const char *line, const char *key, long long *v);

/* The top-level string member KEY of LINE (escapes kept), owned by H. */
const char *harness_json_str(struct harness *h, const char *line,
			     const char *key);

/* --- HTTP ------------------------------------------------------------ */

/*
 * The HARNESS_HTTP backend (harness_http_backend()) serves HTTP/1.1 with
 * keep-alive and pipelining, reads Content-Length and chunked request
 * bodies, and answers by path (the target up to '?'; an absolute-form
 * target's authority is skipped):
 *
 *   /status/NNN    status NNN, body "status NNN\n" (none for 1xx/204/304)
 *   /head          Content-Length 10, body "head body\n" (none for HEAD)
 *   /chunked       a chunked response whose body is "hello, world"
 *   /close         no Content-Length: body "close-delimited body\n", then
 *                  the backend closes
 *   /slow?ms=N     the echo answer, its first byte sent after N ms
 *   /large?bytes=N N pattern bytes (seed HARNESS_HTTP_SEED), streamed
 *   /large?bytes=N&cut=M  announces N bytes, sends M, then closes
 *   /early         a 103 Early Hints, then 200 with body "final\n"
 *   /bye           200 "bye\n" with keep-alive headers, then closes anyway
 *   /ws            101 with Upgrade: websocket (and the Sec-WebSocket-Accept
 *                  of RFC 6455's sample key), then echoes raw bytes
 *   /bad/cl-te     a response with Content-Length and Transfer-Encoding
 *   /drop          closes the connection without answering
 *   anything else  200 "echo": the body is the raw request head followed
 *                  by the (decoded) request body
 *
 * Every answer but 101 and /bad carries X-Backend-Conn (the connection
 * number, from 1), X-Backend-Seq (the request's number on it, from 1) and
 * X-Backend-Port, and the fields "X-Dup: a", "X-Dup: b", "x-MiXeD-Case: V"
 * to check that responses pass unchanged. `Expect: 100-continue` is
 * answered with "100 Continue" as soon as the head is in. A request with
 * `Connection: close` (or HTTP/1.0 without keep-alive) gets
 * `Connection: close` and the connection is closed after the answer.
 * Every complete request, and any bytes it could not parse, are recorded
 * in a file that the harness_http_req*() calls read.
 */
#define HARNESS_HTTP_SEED 7

/* One request as the HTTP backend received it; owned by the harness. */
struct harness_http_req {
	unsigned conn;    /* connection number at the backend, from 1 */
	unsigned seq;     /* request number on that connection, from 1 */
	bool garbage;     /* unparsable bytes (head holds them), no request */
	const char *head; /* raw head bytes, start line to the empty line */
	size_t head_len;
	const char *method; /* from the request line */
	const char *target; /* the request target as received */
	const char *body;   /* the decoded body; the first 64 KiB of it */
	size_t body_len;    /* bytes in body */
	struct harness_digest body_digest; /* the whole decoded body */
};

/* A parsed response read by harness_http_response(); owned by H. */
struct harness_http_resp {
	int status;        /* 0 when no complete response came: see error */
	const char *error; /* what went wrong, or NULL */
	const char *head;  /* the raw status line and fields, CRLFCRLF incl. */
	size_t head_len;
	const char *body; /* the decoded body; the first 1 MiB of it */
	size_t body_len;  /* bytes in body */
	struct harness_digest digest; /* the whole decoded body */
	bool chunked;                 /* framed with chunked coding */
	bool until_close;             /* framed by the connection's close */
};

/* harness_http_response() flags. */
#define HARNESS_HTTP_HEAD    0x1 /* the request was HEAD: no body */
#define HARNESS_HTTP_INTERIM 0x2 /* return a 1xx instead of skipping it */

/* A client connection with its read buffer; owned by H. */
struct harness_http_conn;

/* Start an HTTP backend on the loopback address of FAMILY. */
struct harness_backend *harness_http_backend(struct harness *h, int family);

/* The number of records (requests and garbage) so far. */
size_t harness_http_nreqs(struct harness *h, struct harness_backend *b);

/* Record I (from 0) of the HTTP backend B; aborts if there is none. */
const struct harness_http_req *
harness_http_req(struct harness *h, struct harness_backend *b, size_t i);

/* Wait up to MS until B recorded at least N records; false if not. */
bool harness_http_wait_reqs(struct harness *h, struct harness_backend *b,
			    size_t n, int ms);

/* Whether any record of B (heads, bodies, garbage) contains NEEDLE
 * (case-sensitive). */
bool harness_http_saw(struct harness *h, struct harness_backend *b,
		      const char *needle);

/* Connect to the loopback address of FAMILY on PORT, or fail the test. */
struct harness_http_conn *harness_http_connect(struct harness *h, int family,
					       int port);

/* The connection's socket (blocking). */
int harness_http_fd(const struct harness_http_conn *c);

/* Send LEN bytes on C; false on error (the peer may have closed). */
bool harness_http_send(struct harness_http_conn *c, const void *buf,
		       size_t len);

/* Send the string S on C, or fail the test. */
void harness_http_puts(struct harness_http_conn *c, const char *s);

/*
 * Read one complete response from C within MS, framed as RFC 9112 says
 * (1xx skipped unless HARNESS_HTTP_INTERIM; HEAD, 204, 304, 101 bodiless;
 * chunked; Content-Length; else until close). Bytes after it stay buffered
 * for the next call. Never NULL; status 0 with error set on EOF, timeout
 * or a malformed response.
 */
const struct harness_http_resp *
harness_http_response(struct harness_http_conn *c, unsigned flags, int ms);

/* Read up to LEN raw bytes from C (buffered ones first) until LEN came,
 * EOF or MS passed; returns how many. */
size_t harness_http_read_raw(struct harness_http_conn *c, void *buf, size_t len,
			     int ms);

/* Wait up to MS for the peer to close C with no byte left unread: true if
 * it did (EOF or reset), false on a timeout or unexpected bytes. */
bool harness_http_closed(struct harness_http_conn *c, int ms);

/* Close C now (harness_free closes the rest). */
void harness_http_close(struct harness_http_conn *c);

/* One-shot: connect to 127.0.0.1:PORT, send RAW, read one response. */
const struct harness_http_resp *harness_http_request(struct harness *h,
						     int port, const char *raw);

/* The value of the first field NAME (any case) of R, or NULL; the number
 * of NAME fields. */
const char *harness_http_header(struct harness *h,
				const struct harness_http_resp *r,
				const char *name);
size_t harness_http_header_count(const struct harness_http_resp *r,
				 const char *name);

/* The value of the first field NAME of the raw head HEAD, or NULL. */
const char *harness_http_head_value(struct harness *h, const char *head,
				    const char *name);

/*
 * Run `curl -sS --max-time 10 -o - -D - ARGS...` (NULL-ended), output
 * captured; out holds the response heads then the body.
 */
const struct harness_result *harness_curl(struct harness *h,
					  const char *const *args);

/*
 * Run ARGV (NULL-ended, ARGV[0] found on $PATH; stdin /dev/null) to
 * completion within harness_ms(15000), output captured (openssl s_client).
 */
const struct harness_result *harness_cmd(struct harness *h,
					 const char *const *argv);

#endif /* PORTY_TESTS_HARNESS_H */
