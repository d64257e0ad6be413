/* SPDX-License-Identifier: MIT */
/* Process diagnostics: leveled, escaped lines in the configured format. */
#include "auto-config.h"

#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

/*
 * The one exception to "no mutable globals outside main.c": every module
 * logs, and threading a log handle through each call would buy nothing in a
 * single-threaded process. main.c sets them once with log_setup().
 */
static enum log_format log_fmt = LOG_FORMAT_PORTY;
static int log_fd = STDERR_FILENO;
static bool log_debug;

/* The second last formatted, so a busy second calls localtime_r() once. */
static time_t log_ts_sec = -1;
static char log_ts_date[32]; /* 2026-11-23T01:02:03 */
static char log_ts_zone[16]; /* +01:00 */

/* Room escaped text leaves for the fixed end of a line (see log.h). */
#define LOG_LINE_TAIL 512

static const char log_hex[] = "0123456789abcdef";

static const struct {
	const char *porty; /* emoji prefix */
	const char *text;  /* text format level */
	const char *json;  /* json "level" */
} log_sevs[] = {
    [LOG_SEV_ERROR] = {"\u274c", "ERROR", "error"},
    [LOG_SEV_WARN] = {"\u26a0\ufe0f", "WARN", "warn"},
    [LOG_SEV_INFO] = {"\u2139\ufe0f", "INFO", "info"},
    [LOG_SEV_DEBUG] = {"\U0001f50d", "DEBUG", "debug"},
};

void
log_setup(enum log_format fmt, int fd)
{
	log_fmt = fmt;
	log_fd = fd;
	/* Pick up a changed TZ (the setup runs again on reload). */
	tzset();
	log_ts_sec = -1;
}

void
log_set_debug(bool on)
{
	log_debug = on;
}

enum log_format
log_get_format(void)
{
	return log_fmt;
}

/*
 * Write all of IOV to the log fd, resuming after EINTR and short writes. A
 * log line that cannot be written (EAGAIN on a non-blocking fd, EPIPE, full
 * disk) is dropped: there is nowhere to report it, and a log failure must not
 * stop forwarding.
 */
static void
log_writev(struct iovec *iov, int iovcnt)
{
	ssize_t n;

	while (iovcnt > 0) {
		n = writev(log_fd, iov, iovcnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
}

void
log_write(const char *line, size_t len)
{
	char nl[] = "\n";
	struct iovec iov[2];

	/* writev() takes non-const bases but only reads them. */
	memcpy(&iov[0].iov_base, &line, sizeof(line));
	iov[0].iov_len = len;
	iov[1].iov_base = nl;
	iov[1].iov_len = 1;
	log_writev(iov, 2);
}

void
log_line_init(struct log_line *l, char *buf, size_t size)
{
	l->buf = buf;
	l->len = 0;
	l->cap = size - 1;
	l->trunc = false;
}

/* Mark L cut, ending it with "..." in whatever room is left. */
static void
log_line_cut(struct log_line *l)
{
	size_t n = l->cap - l->len;

	if (n > 3)
		n = 3;
	memcpy(l->buf + l->len, "...", n);
	l->len += n;
	l->trunc = true;
}

void
log_line_add(struct log_line *l, const char *s, size_t len)
{
	size_t room = l->cap - l->len;

	if (len > room) {
		memcpy(l->buf + l->len, s, room);
		l->len += room;
		l->trunc = true;
		return;
	}
	memcpy(l->buf + l->len, s, len);
	l->len += len;
}

void
log_line_adds(struct log_line *l, const char *s)
{
	log_line_add(l, s, strlen(s));
}

static void log_line_vprintf(struct log_line *l, const char *fmt, va_list ap)
    PORTY_PRINTF(2, 0);

/* As log_line_printf() with a va_list. */
static void
log_line_vprintf(struct log_line *l, const char *fmt, va_list ap)
{
	size_t room = l->cap - l->len;
	int n;

	/* vsnprintf() wants room for its NUL: the newline's byte provides it.
	 */
	n = vsnprintf(l->buf + l->len, room + 1, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n > room) {
		l->len = l->cap;
		l->trunc = true;
		return;
	}
	l->len += (size_t)n;
}

void
log_line_printf(struct log_line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line_vprintf(l, fmt, ap);
	va_end(ap);
}

/*
 * The length of the valid UTF-8 sequence at S (LEN bytes available), or 0
 * if S does not start one (stray continuation, overlong form, surrogate,
 * beyond U+10FFFF, or cut short). *CP receives the code point.
 */
static size_t
log_utf8_len(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		*cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		*cp = c & 0x0fu;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		*cp = c & 0x07u;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		*cp = (*cp << 6) | (s[i] & 0x3fu);
	}
	return n;
}

/* Write \xNN for each of the N bytes at S into OUT; returns the length. */
static size_t
log_esc_hex(char *out, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[4 * i] = '\\';
		out[4 * i + 1] = 'x';
		out[4 * i + 2] = log_hex[s[i] >> 4];
		out[4 * i + 3] = log_hex[s[i] & 0xf];
	}
	return 4 * n;
}

/* Write \uXXXX for CP (<= U+FFFF) into OUT; returns the length. */
static size_t
log_esc_u(char *out, uint32_t cp)
{
	out[0] = '\\';
	out[1] = 'u';
	out[2] = log_hex[(cp >> 12) & 0xf];
	out[3] = log_hex[(cp >> 8) & 0xf];
	out[4] = log_hex[(cp >> 4) & 0xf];
	out[5] = log_hex[cp & 0xf];
	return 6;
}

/*
 * The escaped form of the unit (one byte or one UTF-8 sequence) at S into
 * OUT (at least 16 bytes). Returns the output length and sets *USED to the
 * input bytes consumed.
 */
static size_t
log_esc_unit(char *out, const unsigned char *s, size_t len, enum log_esc esc,
	     size_t *used)
{
	unsigned char c = s[0];
	uint32_t cp;
	size_t n;

	*used = 1;
	if (c >= 0x80) {
		n = log_utf8_len(s, len, &cp);
		if (n == 0) {
			/* Not UTF-8: keep the byte visible, keep JSON valid. */
			if (esc == LOG_ESC_JSON)
				return log_esc_u(out, 0xfffd);
			return log_esc_hex(out, s, 1);
		}
		*used = n;
		/* C1 controls (U+0080..U+009F) act on terminals too. */
		if (cp <= 0x9f) {
			if (esc == LOG_ESC_JSON)
				return log_esc_u(out, cp);
			return log_esc_hex(out, s, n);
		}
		/* Line and paragraph separators end lines in JavaScript. */
		if (esc == LOG_ESC_JSON && (cp == 0x2028 || cp == 0x2029))
			return log_esc_u(out, cp);
		memcpy(out, s, n);
		return n;
	}
	if (c < 0x20 || c == 0x7f)
		return esc == LOG_ESC_JSON ? log_esc_u(out, c)
					   : log_esc_hex(out, s, 1);
	if (c == '\\' ||
	    (c == '"' && (esc == LOG_ESC_QUOTED || esc == LOG_ESC_JSON))) {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (esc == LOG_ESC_WORD && (c == ' ' || c == '"'))
		return log_esc_hex(out, s, 1);
	out[0] = (char)c;
	return 1;
}

void
log_line_escape(struct log_line *l, const char *s, size_t len, enum log_esc esc)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t limit, n, used;
	char unit[16];

	limit =
	    l->cap > 2 * LOG_LINE_TAIL ? l->cap - LOG_LINE_TAIL : l->cap / 2;
	while (len > 0) {
		n = log_esc_unit(unit, p, len, esc, &used);
		/* Keep room for the "..." that marks a cut. */
		if (l->len + n + 3 > limit) {
			if (l->len + 3 <= l->cap)
				log_line_cut(l);
			else
				l->trunc = true;
			return;
		}
		memcpy(l->buf + l->len, unit, n);
		l->len += n;
		p += used;
		len -= used;
	}
}

void
log_line_escapes(struct log_line *l, const char *s, enum log_esc esc)
{
	log_line_escape(l, s, strlen(s), esc);
}

void
log_line_json_str(struct log_line *l, const char *s)
{
	if (s == NULL) {
		log_line_add(l, "null", 4);
		return;
	}
	log_line_add(l, "\"", 1);
	log_line_escapes(l, s, LOG_ESC_JSON);
	log_line_add(l, "\"", 1);
}

/* Fill the timestamp cache for SEC. */
static void
log_ts_fill(time_t sec)
{
	struct tm tm;
	long off;
	char sign = '+';

	if (localtime_r(&sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	if (strftime(log_ts_date, sizeof(log_ts_date), "%Y-%m-%dT%H:%M:%S",
		     &tm) == 0)
		log_ts_date[0] = '\0';
	off = tm.tm_gmtoff;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	snprintf(log_ts_zone, sizeof(log_ts_zone), "%c%02ld:%02ld", sign,
		 (off / 3600) % 100, (off / 60) % 60);
	log_ts_sec = sec;
}

void
log_line_ts(struct log_line *l)
{
	struct timespec ts;
	char ms[4];
	long m;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
		ts.tv_sec = time(NULL);
		ts.tv_nsec = 0;
	}
	if (ts.tv_sec != log_ts_sec)
		log_ts_fill(ts.tv_sec);
	m = ts.tv_nsec / 1000000;
	ms[0] = '.';
	ms[1] = (char)('0' + m / 100);
	ms[2] = (char)('0' + m / 10 % 10);
	ms[3] = (char)('0' + m % 10);
	log_line_adds(l, log_ts_date);
	log_line_add(l, ms, sizeof(ms));
	log_line_adds(l, log_ts_zone);
}

void
log_line_end(struct log_line *l)
{
	struct iovec iov;

	l->buf[l->len] = '\n';
	iov.iov_base = l->buf;
	iov.iov_len = l->len + 1;
	log_writev(&iov, 1);
}

/*
 * Start a diagnostic line of SEV about ROUTE (or NULL) in the configured
 * format, up to where the message goes. A json line is left inside the
 * "msg" string when MSG is true, else after the "route" member.
 */
static void
log_line_begin(struct log_line *l, enum log_sev sev, const char *route,
	       bool msg)
{
	switch (log_fmt) {
	case LOG_FORMAT_JSON:
		log_line_add(l, "{\"ts\":\"", 7);
		log_line_ts(l);
		log_line_add(l, "\",\"level\":\"", 11);
		log_line_adds(l, log_sevs[sev].json);
		log_line_add(l, "\",\"route\":", 10);
		log_line_json_str(l, route);
		if (msg)
			log_line_add(l, ",\"msg\":\"", 8);
		return;
	case LOG_FORMAT_TEXT:
		log_line_ts(l);
		log_line_add(l, " ", 1);
		log_line_adds(l, log_sevs[sev].text);
		log_line_add(l, " ", 1);
		break;
	case LOG_FORMAT_PORTY:
	default:
		log_line_adds(l, log_sevs[sev].porty);
		log_line_add(l, " ", 1);
		break;
	}
	if (route != NULL) {
		log_line_add(l, "[", 1);
		log_line_escapes(l, route, LOG_ESC_TEXT);
		log_line_add(l, "] ", 2);
	}
}

/* Append message text MSG (LEN bytes) escaped for the format. */
static void
log_line_msg(struct log_line *l, const char *msg, size_t len)
{
	log_line_escape(l, msg, len,
			log_fmt == LOG_FORMAT_JSON ? LOG_ESC_JSON
						   : LOG_ESC_TEXT);
}

/* Finish a diagnostic line begun with MSG true and write it. */
static void
log_line_finish(struct log_line *l)
{
	if (log_fmt == LOG_FORMAT_JSON)
		log_line_add(l, "\"}", 2);
	log_line_end(l);
}

void
log_msg(enum log_sev sev, const char *route, const char *fmt, ...)
{
	char msg[4096], buf[LOG_LINE_MAX];
	struct log_line l;
	va_list ap;
	size_t len;
	int n;

	if (sev == LOG_SEV_DEBUG && !log_debug)
		return;
	if ((unsigned)sev >= ARRAY_SIZE(log_sevs))
		sev = LOG_SEV_ERROR;
	/*
	 * Format first, escape after: peer text arrives as an argument, so a
	 * '%' in it is never a directive, and the whole result is escaped.
	 */
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;

	log_line_init(&l, buf, sizeof(buf));
	log_line_begin(&l, sev, route, true);
	log_line_msg(&l, msg, len);
	if ((size_t)n >= sizeof(msg) && !l.trunc)
		log_line_cut(&l);
	log_line_finish(&l);
}

/* Append "HOST:PORT", bracketing an IPv6 literal, escaped by ESC. */
static void
log_line_hostport(struct log_line *l, const char *host, unsigned port,
		  enum log_esc esc)
{
	bool v6 = strchr(host, ':') != NULL;

	if (v6)
		log_line_add(l, "[", 1);
	log_line_escapes(l, host, esc);
	log_line_printf(l, "%s:%u", v6 ? "]" : "", port);
}

void
log_route(const struct route *r)
{
	char buf[LOG_LINE_MAX];
	struct log_line l;
	const char *mode = r->mode == ROUTE_MODE_HTTP ? "http" : "tcp";
	bool dynamic = r->target_addr == NULL || r->target_port == 0;
	enum log_esc esc;
	const char *arrow;

	log_line_init(&l, buf, sizeof(buf));
	log_line_begin(&l, LOG_SEV_INFO, r->name, false);
	if (log_fmt == LOG_FORMAT_JSON) {
		log_line_printf(&l, ",\"mode\":\"%s\",\"listen\":\"", mode);
		log_line_hostport(&l, r->listen_addr, r->listen_port,
				  LOG_ESC_JSON);
		log_line_add(&l, "\",\"target\":\"", 12);
		if (dynamic)
			log_line_adds(&l, "dynamic");
		else
			log_line_hostport(&l, r->target_addr, r->target_port,
					  LOG_ESC_JSON);
		log_line_add(&l, "\",\"msg\":\"", 9);
	}
	/* The message: the same words in every format. */
	esc = log_fmt == LOG_FORMAT_JSON ? LOG_ESC_JSON : LOG_ESC_TEXT;
	arrow = log_fmt == LOG_FORMAT_PORTY ? " \u2192 " : " -> ";
	log_line_adds(&l, mode);
	log_line_add(&l, " ", 1);
	log_line_hostport(&l, r->listen_addr, r->listen_port, esc);
	log_line_adds(&l, arrow);
	if (dynamic)
		log_line_adds(&l, "dynamic");
	else
		log_line_hostport(&l, r->target_addr, r->target_port, esc);
	log_line_finish(&l);
}

void
log_ready(unsigned nlisteners)
{
	char buf[256];
	struct log_line l;
	const char *s = nlisteners == 1 ? "" : "s";

	log_line_init(&l, buf, sizeof(buf));
	switch (log_fmt) {
	case LOG_FORMAT_JSON:
		log_line_begin(&l, LOG_SEV_INFO, NULL, false);
		log_line_printf(
		    &l,
		    ",\"listeners\":%u,\"msg\":\"porty ready: %u listener%s\"}",
		    nlisteners, nlisteners, s);
		break;
	case LOG_FORMAT_TEXT:
		log_line_begin(&l, LOG_SEV_INFO, NULL, false);
		log_line_printf(&l, "porty ready: %u listener%s", nlisteners,
				s);
		break;
	case LOG_FORMAT_PORTY:
	default:
		log_line_printf(&l, "\U0001f680 porty ready: %u listener%s",
				nlisteners, s);
		break;
	}
	log_line_end(&l);
}

bool
log_ratelimit(struct log_ratelimit *rl, double now, const char *route)
{
	/* A new window also opens if the clock stepped back. */
	if (now - rl->start >= LOG_RATELIMIT_INTERVAL || now < rl->start) {
		log_ratelimit_flush(rl, route);
		rl->start = now;
		rl->n = 0;
	}
	if (rl->n >= LOG_RATELIMIT_BURST) {
		rl->suppressed++;
		return false;
	}
	rl->n++;
	return true;
}

void
log_ratelimit_flush(struct log_ratelimit *rl, const char *route)
{
	if (rl->suppressed == 0)
		return;
	log_msg(LOG_SEV_WARN, route, "%lu message%s suppressed", rl->suppressed,
		rl->suppressed == 1 ? "" : "s");
	rl->suppressed = 0;
}
