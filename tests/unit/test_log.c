/* SPDX-License-Identifier: MIT */
/* Unit tests of log.c and accesslog.c: exact bytes of every line format. */
#include "auto-config.h"

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "config.h"
#include "log.h"
#include "suites.h"

/*
 * The log fd is one end of a SOCK_SEQPACKET pair: every write(2) arrives as
 * one record, so reading a record checks both the bytes and that the line
 * was written in one call.
 */
static int sp[2] = {-1, -1};
static char rec[2 * LOG_LINE_MAX];

static void
setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	log_setup(LOG_FORMAT_PORTY, sp[0]);
	log_set_debug(false);
}

static void
teardown(void)
{
	log_setup(LOG_FORMAT_PORTY, STDERR_FILENO);
	log_set_debug(false);
	close(sp[0]);
	close(sp[1]);
	sp[0] = sp[1] = -1;
}

/* The next record written, NUL-terminated in rec, or NULL if none. */
static const char *
next_rec(size_t *lenp)
{
	ssize_t n = recv(sp[1], rec, sizeof(rec) - 1, MSG_DONTWAIT);

	if (n == -1) {
		ck_assert_int_eq(errno, EAGAIN);
		return NULL;
	}
	rec[n] = '\0';
	if (lenp != NULL)
		*lenp = (size_t)n;
	return rec;
}

/* Assert nothing more was written. */
static void
assert_no_rec(void)
{
	const char *r = next_rec(NULL);

	ck_assert_msg(r == NULL, "unexpected line: %s", r);
}

/* Whether S starts with a timestamp: 2026-11-23T01:02:03.456+01:00. */
static bool
is_ts(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddd*dd:dd";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' && !isdigit((unsigned char)s[i]))
			return false;
		if (shape[i] == '*' && s[i] != '+' && s[i] != '-')
			return false;
		if (shape[i] != 'd' && shape[i] != '*' && s[i] != shape[i])
			return false;
	}
	return true;
}

/* Copy IN to OUT with each timestamp replaced by "TS"; returns how many. */
static unsigned
strip_ts(const char *in, char *out)
{
	unsigned n = 0;

	while (*in != '\0') {
		if (is_ts(in)) {
			*out++ = 'T';
			*out++ = 'S';
			in += 29;
			n++;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return n;
}

/* Read the next record, assert it has NTS timestamps, and compare to WANT. */
static void
expect_rec(const char *want, unsigned nts)
{
	static char got[2 * LOG_LINE_MAX];
	const char *r = next_rec(NULL);

	ck_assert_msg(r != NULL, "no line written, wanted: %s", want);
	ck_assert_uint_eq(strip_ts(r, got), nts);
	ck_assert_str_eq(got, want);
}

/*
 * A tiny JSON checker: one value, RFC 8259 grammar, strings with no raw
 * control byte and only valid UTF-8. Advances *P past the value.
 */
static bool json_value(const char **p);

static void
json_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')
		(*p)++;
}

static bool
json_string(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	int i, more;

	if (*s++ != '"')
		return false;
	while (*s != '"') {
		if (*s < 0x20 || *s == 0x7f)
			return false;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (i = 1; i <= 4; i++)
					if (!isxdigit(s[i]))
						return false;
				s += 5;
			} else if (strchr("\"\\/bfnrt", *s) != NULL &&
				   *s != '\0') {
				s++;
			} else {
				return false;
			}
			continue;
		}
		if (*s < 0x80) {
			s++;
			continue;
		}
		/* Lead byte then continuation bytes (shape only). */
		if (*s >= 0xc2 && *s <= 0xdf)
			more = 1;
		else if (*s >= 0xe0 && *s <= 0xef)
			more = 2;
		else if (*s >= 0xf0 && *s <= 0xf4)
			more = 3;
		else
			return false;
		for (s++; more > 0; more--, s++)
			if ((*s & 0xc0) != 0x80)
				return false;
	}
	*p = (const char *)s + 1;
	return true;
}

static bool
json_number(const char **p)
{
	const char *s = *p;

	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	if (*s == '0')
		s++;
	else
		while (isdigit((unsigned char)*s))
			s++;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	*p = s;
	return true;
}

/* Members of an object (OBJ) or elements of an array, up to CLOSE. */
static bool
json_list(const char **p, bool obj, char close)
{
	(*p)++;
	json_ws(p);
	if (**p == close) {
		(*p)++;
		return true;
	}
	for (;;) {
		if (obj) {
			if (!json_string(p))
				return false;
			json_ws(p);
			if (*(*p)++ != ':')
				return false;
		}
		if (!json_value(p))
			return false;
		if (**p == close) {
			(*p)++;
			return true;
		}
		if (*(*p)++ != ',')
			return false;
		json_ws(p);
	}
}

static bool
json_value(const char **p)
{
	bool ok;

	json_ws(p);
	switch (**p) {
	case '{':
		ok = json_list(p, true, '}');
		break;
	case '[':
		ok = json_list(p, false, ']');
		break;
	case '"':
		ok = json_string(p);
		break;
	case 't':
		ok = strncmp(*p, "true", 4) == 0;
		*p += ok ? 4 : 0;
		break;
	case 'f':
		ok = strncmp(*p, "false", 5) == 0;
		*p += ok ? 5 : 0;
		break;
	case 'n':
		ok = strncmp(*p, "null", 4) == 0;
		*p += ok ? 4 : 0;
		break;
	default:
		ok = json_number(p);
		break;
	}
	json_ws(p);
	return ok;
}

/* Whether LINE is exactly one JSON object and a newline. */
static bool
json_line_ok(const char *line)
{
	const char *p = line;

	if (*p != '{' || !json_value(&p))
		return false;
	return p[0] == '\0' && p > line && p[-1] == '\n' &&
	       strchr(line, '\n') == p - 1;
}

/* Whether S holds a control byte other than newlines (C0, DEL, C1). */
static bool
has_ctl(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	for (; *u != '\0'; u++) {
		if ((*u < 0x20 && *u != '\n') || *u == 0x7f)
			return true;
		if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
			return true;
	}
	return false;
}

/* Make a route for log_route(). */
static struct route
mkroute(const char *name, enum route_mode mode, const char *laddr,
	unsigned lport, const char *taddr, unsigned tport)
{
	struct route r;

	memset(&r, 0, sizeof(r));
	r.name = (char *)(uintptr_t)name;
	r.mode = mode;
	r.listen_addr = (char *)(uintptr_t)laddr;
	r.listen_port = lport;
	r.target_addr = (char *)(uintptr_t)taddr;
	r.target_port = tport;
	return r;
}

/* log_msg() lines of every format and severity. */
static const struct {
	enum log_format fmt;
	enum log_sev sev;
	const char *route;
	const char *want;
} msg_cases[] = {
    {LOG_FORMAT_PORTY, LOG_SEV_ERROR, "web", "❌ [web] boom 7\n"},
    {LOG_FORMAT_PORTY, LOG_SEV_WARN, "web", "⚠️ [web] boom 7\n"},
    {LOG_FORMAT_PORTY, LOG_SEV_INFO, NULL, "ℹ️ boom 7\n"},
    {LOG_FORMAT_TEXT, LOG_SEV_ERROR, "web", "TS ERROR [web] boom 7\n"},
    {LOG_FORMAT_TEXT, LOG_SEV_WARN, "db", "TS WARN [db] boom 7\n"},
    {LOG_FORMAT_TEXT, LOG_SEV_INFO, NULL, "TS INFO boom 7\n"},
    {LOG_FORMAT_JSON, LOG_SEV_ERROR, "web",
     "{\"ts\":\"TS\",\"level\":\"error\",\"route\":\"web\","
     "\"msg\":\"boom 7\"}\n"},
    {LOG_FORMAT_JSON, LOG_SEV_WARN, "web",
     "{\"ts\":\"TS\",\"level\":\"warn\",\"route\":\"web\","
     "\"msg\":\"boom 7\"}\n"},
    {LOG_FORMAT_JSON, LOG_SEV_INFO, NULL,
     "{\"ts\":\"TS\",\"level\":\"info\",\"route\":null,"
     "\"msg\":\"boom 7\"}\n"},
};

/* Each format writes its own layout of the same message, in one write. */
START_TEST(test_log_msg_formats)
{
	log_setup(msg_cases[_i].fmt, sp[0]);
	log_msg(msg_cases[_i].sev, msg_cases[_i].route, "boom %d", 7);
	expect_rec(msg_cases[_i].want,
		   msg_cases[_i].fmt == LOG_FORMAT_PORTY ? 0 : 1);
	assert_no_rec();
}
END_TEST

/* Debug lines are dropped unless log_set_debug() turned them on. */
START_TEST(test_log_msg_debug)
{
	log_setup(LOG_FORMAT_TEXT, sp[0]);
	log_msg(LOG_SEV_DEBUG, "web", "quiet");
	assert_no_rec();
	log_set_debug(true);
	log_msg(LOG_SEV_DEBUG, "web", "loud");
	expect_rec("TS DEBUG [web] loud\n", 1);
}
END_TEST

/* Peer text passed as an argument, and how each format must show it. */
static const struct {
	const char *in;
	const char *text; /* text and porty formats */
	const char *json;
} esc_cases[] = {
    {"plain é € 😀", "plain é € 😀", "plain é € 😀"},
    {"\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m", "\\u001b[31mred\\u001b[0m"},
    {"a\r\nb\tc\x01", "a\\x0d\\x0ab\\x09c\\x01",
     "a\\u000d\\u000ab\\u0009c\\u0001"},
    {"del\x7f", "del\\x7f", "del\\u007f"},
    {"c1 \xc2\x9b"
     "2J",
     "c1 \\xc2\\x9b2J", "c1 \\u009b2J"},
    {"lone \x9b"
     "2J",
     "lone \\x9b2J", "lone \\ufffd2J"},
    {"bad \xff\xfe", "bad \\xff\\xfe", "bad \\ufffd\\ufffd"},
    {"overlong \xc0\xaf", "overlong \\xc0\\xaf", "overlong \\ufffd\\ufffd"},
    {"surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80",
     "surrogate \\ufffd\\ufffd\\ufffd"},
    {"cut \xe2\x82", "cut \\xe2\\x82", "cut \\ufffd\\ufffd"},
    {"big \xf4\x90\x80\x80", "big \\xf4\\x90\\x80\\x80",
     "big \\ufffd\\ufffd\\ufffd\\ufffd"},
    {"q \"x\" \\n", "q \"x\" \\\\n", "q \\\"x\\\" \\\\n"},
    {"pct %s%n%x%%", "pct %s%n%x%%", "pct %s%n%x%%"},
    {"sep \xe2\x80\xa8", "sep \xe2\x80\xa8", "sep \\u2028"},
};

/* Control bytes, invalid UTF-8, quotes and '%' from peers are made safe. */
START_TEST(test_log_msg_escape)
{
	char want[512];
	const char *r;

	log_setup(LOG_FORMAT_TEXT, sp[0]);
	log_msg(LOG_SEV_ERROR, "r", "%s", esc_cases[_i].in);
	snprintf(want, sizeof(want), "TS ERROR [r] %s\n", esc_cases[_i].text);
	expect_rec(want, 1);

	log_setup(LOG_FORMAT_PORTY, sp[0]);
	log_msg(LOG_SEV_ERROR, "r", "%s", esc_cases[_i].in);
	snprintf(want, sizeof(want), "❌ [r] %s\n", esc_cases[_i].text);
	expect_rec(want, 0);
	ck_assert(!has_ctl(rec));

	log_setup(LOG_FORMAT_JSON, sp[0]);
	log_msg(LOG_SEV_ERROR, "r", "%s", esc_cases[_i].in);
	r = next_rec(NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(json_line_ok(r), "invalid JSON: %s", r);
	ck_assert(!has_ctl(r));
	snprintf(want, sizeof(want),
		 "{\"ts\":\"TS\",\"level\":\"error\",\"route\":\"r\",\"msg\":"
		 "\"%s\"}\n",
		 esc_cases[_i].json);
	{
		static char got[2 * LOG_LINE_MAX];

		ck_assert_uint_eq(strip_ts(r, got), 1);
		ck_assert_str_eq(got, want);
	}
}
END_TEST

/* A route name is escaped too, in every format. */
START_TEST(test_log_msg_route_escaped)
{
	log_setup(LOG_FORMAT_PORTY, sp[0]);
	log_msg(LOG_SEV_WARN, "a\x1b]b", "m");
	expect_rec("⚠️ [a\\x1b]b] m\n", 0);
	log_setup(LOG_FORMAT_JSON, sp[0]);
	log_msg(LOG_SEV_WARN, "a\"\x1b", "m");
	expect_rec(
	    "{\"ts\":\"TS\",\"level\":\"warn\",\"route\":\"a\\\"\\u001b\","
	    "\"msg\":\"m\"}\n",
	    1);
}
END_TEST

/* Every byte value 0..255 in peer text still yields one valid JSON line. */
START_TEST(test_log_msg_json_all_bytes)
{
	char in[256];
	size_t i;
	const char *r;

	for (i = 0; i < 255; i++)
		in[i] = (char)(i + 1);
	in[255] = '\0';
	log_setup(LOG_FORMAT_JSON, sp[0]);
	log_msg(LOG_SEV_ERROR, in, "x%sy", in);
	r = next_rec(NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(json_line_ok(r), "invalid JSON: %s", r);
	ck_assert(!has_ctl(r));

	log_setup(LOG_FORMAT_TEXT, sp[0]);
	log_msg(LOG_SEV_ERROR, in, "x%sy", in);
	r = next_rec(NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert(!has_ctl(r));
	ck_assert_ptr_eq(strchr(r, '\n'), r + strlen(r) - 1);
}
END_TEST

/* An over-long message is cut with "..." and stays one valid line. */
START_TEST(test_log_msg_truncated)
{
	static char big[3 * LOG_LINE_MAX];
	size_t len;
	const char *r;

	memset(big, '\x01', sizeof(big) - 1);
	log_setup(LOG_FORMAT_JSON, sp[0]);
	log_msg(LOG_SEV_ERROR, "r", "%s", big);
	r = next_rec(&len);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_le(len, LOG_LINE_MAX);
	ck_assert_msg(json_line_ok(r), "invalid JSON: %.80s", r);
	ck_assert_str_eq(r + len - 6, "...\"}\n");

	memset(big, 'a', sizeof(big) - 1);
	log_setup(LOG_FORMAT_TEXT, sp[0]);
	log_msg(LOG_SEV_ERROR, "r", "%s", big);
	r = next_rec(&len);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_le(len, LOG_LINE_MAX);
	ck_assert_str_eq(r + len - 5, "a...\n");
}
END_TEST

/* log_write() adds only the newline, in the same write. */
START_TEST(test_log_write_raw)
{
	log_write("raw \x01 line", 10);
	expect_rec("raw \x01 line\n", 0);
	log_write("", 0);
	expect_rec("\n", 0);
}
END_TEST

/* Start-up lines: TCP, dynamic HTTP and IPv6 routes in every format. */
static const struct {
	enum log_format fmt;
	enum route_mode mode;
	const char *laddr;
	const char *taddr;
	unsigned tport;
	const char *want;
} route_cases[] = {
    {LOG_FORMAT_PORTY, ROUTE_MODE_TCP, "0.0.0.0", "127.0.0.1", 5433,
     "ℹ️ [r] tcp 0.0.0.0:8080 → 127.0.0.1:5433\n"},
    {LOG_FORMAT_PORTY, ROUTE_MODE_HTTP, "::1", NULL, 0,
     "ℹ️ [r] http [::1]:8080 → dynamic\n"},
    {LOG_FORMAT_TEXT, ROUTE_MODE_TCP, "0.0.0.0", "db.local", 5433,
     "TS INFO [r] tcp 0.0.0.0:8080 -> db.local:5433\n"},
    {LOG_FORMAT_TEXT, ROUTE_MODE_HTTP, "0.0.0.0", "127.0.0.1", 0,
     "TS INFO [r] http 0.0.0.0:8080 -> dynamic\n"},
    {LOG_FORMAT_JSON, ROUTE_MODE_TCP, "0.0.0.0", "::1", 5433,
     "{\"ts\":\"TS\",\"level\":\"info\",\"route\":\"r\",\"mode\":\"tcp\","
     "\"listen\":\"0.0.0.0:8080\",\"target\":\"[::1]:5433\","
     "\"msg\":\"tcp 0.0.0.0:8080 -> [::1]:5433\"}\n"},
    {LOG_FORMAT_JSON, ROUTE_MODE_HTTP, "::", NULL, 0,
     "{\"ts\":\"TS\",\"level\":\"info\",\"route\":\"r\",\"mode\":\"http\","
     "\"listen\":\"[::]:8080\",\"target\":\"dynamic\","
     "\"msg\":\"http [::]:8080 -> dynamic\"}\n"},
};

/* log_route() names mode, listen address and target (or "dynamic"). */
START_TEST(test_log_route_formats)
{
	struct route r =
	    mkroute("r", route_cases[_i].mode, route_cases[_i].laddr, 8080,
		    route_cases[_i].taddr, route_cases[_i].tport);

	log_setup(route_cases[_i].fmt, sp[0]);
	log_route(&r);
	expect_rec(route_cases[_i].want,
		   route_cases[_i].fmt == LOG_FORMAT_PORTY ? 0 : 1);
	if (route_cases[_i].fmt == LOG_FORMAT_JSON)
		ck_assert(json_line_ok(rec));
}
END_TEST

/* log_ready() counts the listeners, singular or plural, in every format. */
START_TEST(test_log_ready_formats)
{
	log_ready(3);
	expect_rec("🚀 porty ready: 3 listeners\n", 0);
	log_setup(LOG_FORMAT_TEXT, sp[0]);
	log_ready(1);
	expect_rec("TS INFO porty ready: 1 listener\n", 1);
	log_setup(LOG_FORMAT_JSON, sp[0]);
	log_ready(2);
	expect_rec("{\"ts\":\"TS\",\"level\":\"info\",\"route\":null,"
		   "\"listeners\":2,\"msg\":\"porty ready: 2 listeners\"}\n",
		   1);
	ck_assert(json_line_ok(rec));
}
END_TEST

/* Time zones and the offset each must print. */
static const struct {
	const char *tz;
	const char *off;
} tz_cases[] = {
    {"UTC0", "+00:00"},
    {"IST-5:30", "+05:30"},
    {"BRT3", "-03:00"},
    {"NPT-5:45", "+05:45"},
};

/* Timestamps are local time, with milliseconds and a numeric offset. */
START_TEST(test_log_timestamp_shape)
{
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	time_t before, after;
	struct tm tm;
	char day[16];
	const char *r;

	setenv("TZ", tz_cases[_i].tz, 1);
	before = time(NULL);
	log_setup(LOG_FORMAT_TEXT, sp[0]);
	log_msg(LOG_SEV_INFO, NULL, "tick");
	after = time(NULL);
	r = next_rec(NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_msg(is_ts(r), "bad timestamp: %s", r);
	ck_assert_int_eq(strncmp(r + 23, tz_cases[_i].off, 6), 0);
	ck_assert_str_eq(r + 29, " INFO tick\n");
	/* The date is today's in that zone (unless midnight passed). */
	localtime_r(&before, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	if (before / 86400 == after / 86400)
		ck_assert_int_eq(strncmp(r, day, 10), 0);

	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	free(old);
	tzset();
}
END_TEST

/* At most LOG_RATELIMIT_BURST lines a second, then one suppressed count. */
START_TEST(test_log_ratelimit_window)
{
	struct log_ratelimit rl;
	unsigned i, passed = 0;

	memset(&rl, 0, sizeof(rl));
	for (i = 0; i < 15; i++)
		passed += log_ratelimit(&rl, 1000.0, "db") ? 1u : 0u;
	ck_assert_uint_eq(passed, LOG_RATELIMIT_BURST);
	ck_assert(!log_ratelimit(&rl, 1000.9, "db"));
	assert_no_rec();
	/* The next window reports what the last one dropped, then passes. */
	ck_assert(log_ratelimit(&rl, 1001.0, "db"));
	expect_rec("⚠️ [db] 6 messages suppressed\n", 0);
	assert_no_rec();
	for (i = 1; i < LOG_RATELIMIT_BURST; i++)
		ck_assert(log_ratelimit(&rl, 1001.5, "db"));
	ck_assert(!log_ratelimit(&rl, 1001.5, "db"));
	/* A clock stepping back opens a window too. */
	ck_assert(log_ratelimit(&rl, 10.0, "db"));
	expect_rec("⚠️ [db] 1 message suppressed\n", 0);
}
END_TEST

/* log_ratelimit_flush() reports pending suppressions once, then nothing. */
START_TEST(test_log_ratelimit_flush)
{
	struct log_ratelimit rl;
	unsigned i;

	memset(&rl, 0, sizeof(rl));
	log_setup(LOG_FORMAT_JSON, sp[0]);
	log_ratelimit_flush(&rl, "db");
	assert_no_rec();
	for (i = 0; i < LOG_RATELIMIT_BURST + 2; i++)
		(void)log_ratelimit(&rl, 5.0, "db");
	log_ratelimit_flush(&rl, "db");
	expect_rec("{\"ts\":\"TS\",\"level\":\"warn\",\"route\":\"db\","
		   "\"msg\":\"2 messages suppressed\"}\n",
		   1);
	log_ratelimit_flush(&rl, "db");
	assert_no_rec();
}
END_TEST

static const struct access_rec tcp_ok = {
    .route = "db",
    .client = "127.0.0.1:51234",
    .target = "127.0.0.1:5433",
    .bytes_in = 123,
    .bytes_out = UINT64_C(18446744073709551615),
    .duration_ms = 12.3456,
};

static const struct access_rec tcp_fail = {
    .route = "db",
    .client = "[::1]:40000",
    .target = NULL,
    .duration_ms = 3.04,
    .error = "connect \"x\": refused",
};

static const struct access_rec http_ok = {
    .route = "web",
    .client = "127.0.0.1:51234",
    .target = "127.0.0.1:3000",
    .method = "GET",
    .path = "/api/users?q=1",
    .status = 200,
    .bytes_in = 80,
    .bytes_out = 4567,
    .duration_ms = 12.3,
};

static const struct access_rec http_fail = {
    .route = "web",
    .client = "10.0.0.1:1",
    .target = "10.0.0.2:80",
    .method = "POST",
    .path = "/a b\x1b[2J",
    .status = 502,
    .bytes_in = 10,
    .duration_ms = 5,
    .error = "connect: Connection refused",
};

/* accesslog_close() lines for TCP and HTTP, success and failure. */
static const struct {
	enum log_format fmt;
	const struct access_rec *r;
	const char *want;
} close_cases[] = {
    {LOG_FORMAT_PORTY, &tcp_ok,
     "✅ [db] TCP connection closed (12.3ms) in=123 "
     "out=18446744073709551615\n"},
    {LOG_FORMAT_PORTY, &tcp_fail, "❌ [db] connect \"x\": refused (3.0ms)\n"},
    {LOG_FORMAT_PORTY, &http_ok, "✅ [web] 200 OK (12.3ms) in=80 out=4567\n"},
    {LOG_FORMAT_PORTY, &http_fail,
     "❌ [web] 502 Bad Gateway: connect: Connection refused (5.0ms) "
     "in=10 out=0\n"},
    {LOG_FORMAT_TEXT, &tcp_ok,
     "TS route=db client=127.0.0.1:51234 target=127.0.0.1:5433 "
     "bytes_in=123 bytes_out=18446744073709551615 duration_ms=12.346\n"},
    {LOG_FORMAT_TEXT, &tcp_fail,
     "TS route=db client=[::1]:40000 target=- bytes_in=0 bytes_out=0 "
     "duration_ms=3.040 error=\"connect \\\"x\\\": refused\"\n"},
    {LOG_FORMAT_TEXT, &http_ok,
     "TS route=web client=127.0.0.1:51234 method=GET "
     "path=/api/users?q=1 target=127.0.0.1:3000 status=200 "
     "bytes_in=80 bytes_out=4567 duration_ms=12.300\n"},
    {LOG_FORMAT_TEXT, &http_fail,
     "TS route=web client=10.0.0.1:1 method=POST path=/a\\x20b\\x1b[2J "
     "target=10.0.0.2:80 status=502 bytes_in=10 bytes_out=0 "
     "duration_ms=5.000 error=\"connect: Connection refused\"\n"},
    {LOG_FORMAT_JSON, &tcp_ok,
     "{\"ts\":\"TS\",\"route\":\"db\",\"client\":\"127.0.0.1:51234\","
     "\"target\":\"127.0.0.1:5433\",\"bytes_in\":123,"
     "\"bytes_out\":18446744073709551615,\"duration_ms\":12.346}\n"},
    {LOG_FORMAT_JSON, &tcp_fail,
     "{\"ts\":\"TS\",\"route\":\"db\",\"client\":\"[::1]:40000\","
     "\"target\":null,\"bytes_in\":0,\"bytes_out\":0,"
     "\"duration_ms\":3.040,\"error\":\"connect \\\"x\\\": refused\"}\n"},
    {LOG_FORMAT_JSON, &http_ok,
     "{\"ts\":\"TS\",\"route\":\"web\",\"client\":\"127.0.0.1:51234\","
     "\"method\":\"GET\",\"path\":\"/api/users?q=1\","
     "\"target\":\"127.0.0.1:3000\",\"status\":200,\"bytes_in\":80,"
     "\"bytes_out\":4567,\"duration_ms\":12.300}\n"},
    {LOG_FORMAT_JSON, &http_fail,
     "{\"ts\":\"TS\",\"route\":\"web\",\"client\":\"10.0.0.1:1\","
     "\"method\":\"POST\",\"path\":\"/a b\\u001b[2J\","
     "\"target\":\"10.0.0.2:80\",\"status\":502,\"bytes_in\":10,"
     "\"bytes_out\":0,\"duration_ms\":5.000,"
     "\"error\":\"connect: Connection refused\"}\n"},
};

/* Each format's finished-connection line, exact bytes, one write. */
START_TEST(test_accesslog_close_formats)
{
	log_setup(close_cases[_i].fmt, sp[0]);
	accesslog_close(close_cases[_i].r);
	expect_rec(close_cases[_i].want,
		   close_cases[_i].fmt == LOG_FORMAT_PORTY ? 0 : 1);
	ck_assert(!has_ctl(rec));
	if (close_cases[_i].fmt == LOG_FORMAT_JSON)
		ck_assert_msg(json_line_ok(rec), "invalid JSON: %s", rec);
	assert_no_rec();
}
END_TEST

/* The porty format's 🔄 block comes in one write; text and json print none. */
START_TEST(test_accesslog_open_formats)
{
	accesslog_open(&http_ok);
	expect_rec("🔄 [web] GET /api/users?q=1\n"
		   "├─ From: 127.0.0.1:51234\n"
		   "├─ To: 127.0.0.1:3000\n",
		   0);
	accesslog_open(&tcp_ok);
	expect_rec("🔄 [db] TCP connection\n"
		   "├─ From: 127.0.0.1:51234\n"
		   "├─ To: 127.0.0.1:5433\n",
		   0);
	accesslog_open(&tcp_fail);
	expect_rec("🔄 [db] TCP connection\n├─ From: [::1]:40000\n", 0);
	accesslog_open(&http_fail);
	expect_rec("🔄 [web] POST /a\\x20b\\x1b[2J\n"
		   "├─ From: 10.0.0.1:1\n"
		   "├─ To: 10.0.0.2:80\n",
		   0);

	log_setup(LOG_FORMAT_TEXT, sp[0]);
	accesslog_open(&http_ok);
	log_setup(LOG_FORMAT_JSON, sp[0]);
	accesslog_open(&http_ok);
	assert_no_rec();
}
END_TEST

static const char *const verbose_headers[] = {
    "Host",   "example.com",   "AUTHORIZATION",       "Bearer secret",
    "cookie", "sid=secret",    "Proxy-Authorization", "Basic c2VjcmV0",
    "X-Evil", "a\"b\x1b\r\nc",
};

/* Verbose lines carry the headers, credentials masked, peer text escaped. */
START_TEST(test_accesslog_headers_masked)
{
	struct access_rec r = http_ok;

	r.headers = verbose_headers;
	r.nheaders = 5;
	accesslog_open(&r);
	expect_rec("🔄 [web] GET /api/users?q=1\n"
		   "├─ From: 127.0.0.1:51234\n"
		   "├─ To: 127.0.0.1:3000\n"
		   "├─ Header: Host: example.com\n"
		   "├─ Header: AUTHORIZATION: ***\n"
		   "├─ Header: cookie: ***\n"
		   "├─ Header: Proxy-Authorization: ***\n"
		   "├─ Header: X-Evil: a\"b\\x1b\\x0d\\x0ac\n",
		   0);

	log_setup(LOG_FORMAT_TEXT, sp[0]);
	accesslog_close(&r);
	expect_rec("TS route=web client=127.0.0.1:51234 method=GET "
		   "path=/api/users?q=1 target=127.0.0.1:3000 status=200 "
		   "bytes_in=80 bytes_out=4567 duration_ms=12.300 "
		   "header=\"Host: example.com\" header=\"AUTHORIZATION: ***\" "
		   "header=\"cookie: ***\" header=\"Proxy-Authorization: ***\" "
		   "header=\"X-Evil: a\\\"b\\x1b\\x0d\\x0ac\"\n",
		   1);

	log_setup(LOG_FORMAT_JSON, sp[0]);
	accesslog_close(&r);
	expect_rec("{\"ts\":\"TS\",\"route\":\"web\","
		   "\"client\":\"127.0.0.1:51234\",\"method\":\"GET\","
		   "\"path\":\"/api/users?q=1\",\"target\":\"127.0.0.1:3000\","
		   "\"status\":200,\"bytes_in\":80,\"bytes_out\":4567,"
		   "\"duration_ms\":12.300,\"headers\":[[\"Host\","
		   "\"example.com\"],[\"AUTHORIZATION\",\"***\"],[\"cookie\","
		   "\"***\"],[\"Proxy-Authorization\",\"***\"],[\"X-Evil\","
		   "\"a\\\"b\\u001b\\u000d\\u000ac\"]]}\n",
		   1);
	ck_assert(json_line_ok(rec));
	ck_assert_ptr_null(strstr(rec, "secret"));
}
END_TEST

/* A huge path and many headers are cut at LOG_LINE_MAX; JSON stays valid. */
START_TEST(test_accesslog_truncated)
{
	static char path[2 * LOG_LINE_MAX];
	static const char *hdrs[1000];
	struct access_rec r = http_fail;
	size_t len, i;
	const char *p;

	memset(path, '"', sizeof(path) - 1);
	for (i = 0; i < ARRAY_SIZE(hdrs); i++)
		hdrs[i] = i % 2 ? "valuevaluevaluevaluevaluevalue" : "Name";
	r.headers = hdrs;
	r.nheaders = ARRAY_SIZE(hdrs) / 2;

	for (i = 0; i < 2; i++) {
		r.path = i == 0 ? path : "/";
		log_setup(LOG_FORMAT_JSON, sp[0]);
		accesslog_close(&r);
		p = next_rec(&len);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_le(len, LOG_LINE_MAX);
		ck_assert_msg(json_line_ok(p), "invalid JSON: %.100s", p);
		ck_assert_ptr_nonnull(strstr(p, "...\""));

		log_setup(LOG_FORMAT_TEXT, sp[0]);
		accesslog_close(&r);
		p = next_rec(&len);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_le(len, LOG_LINE_MAX);
		ck_assert_ptr_nonnull(strstr(p, "..."));

		log_setup(LOG_FORMAT_PORTY, sp[0]);
		accesslog_open(&r);
		p = next_rec(&len);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_le(len, LOG_LINE_MAX);
	}
}
END_TEST

/* A NaN or negative duration prints as 0, keeping JSON numbers valid. */
START_TEST(test_accesslog_bad_duration)
{
	struct access_rec r = tcp_ok;

	r.duration_ms = -1.0;
	log_setup(LOG_FORMAT_JSON, sp[0]);
	accesslog_close(&r);
	ck_assert_ptr_nonnull(next_rec(NULL));
	ck_assert_ptr_nonnull(strstr(rec, "\"duration_ms\":0.000}"));
	r.duration_ms = (double)NAN;
	accesslog_close(&r);
	ck_assert_ptr_nonnull(next_rec(NULL));
	ck_assert(json_line_ok(rec));
}
END_TEST

Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc;

	tc = tcase_create("log_msg");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_log_msg_formats, 0,
			    (int)ARRAY_SIZE(msg_cases));
	tcase_add_test(tc, test_log_msg_debug);
	tcase_add_loop_test(tc, test_log_msg_escape, 0,
			    (int)ARRAY_SIZE(esc_cases));
	tcase_add_test(tc, test_log_msg_route_escaped);
	tcase_add_test(tc, test_log_msg_json_all_bytes);
	tcase_add_test(tc, test_log_msg_truncated);
	tcase_add_test(tc, test_log_write_raw);
	tcase_add_loop_test(tc, test_log_timestamp_shape, 0,
			    (int)ARRAY_SIZE(tz_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("log_route");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_log_route_formats, 0,
			    (int)ARRAY_SIZE(route_cases));
	tcase_add_test(tc, test_log_ready_formats);
	suite_add_tcase(s, tc);

	tc = tcase_create("log_ratelimit");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_log_ratelimit_window);
	tcase_add_test(tc, test_log_ratelimit_flush);
	suite_add_tcase(s, tc);

	tc = tcase_create("accesslog");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_accesslog_close_formats, 0,
			    (int)ARRAY_SIZE(close_cases));
	tcase_add_test(tc, test_accesslog_open_formats);
	tcase_add_test(tc, test_accesslog_headers_masked);
	tcase_add_test(tc, test_accesslog_truncated);
	tcase_add_test(tc, test_accesslog_bad_duration);
	suite_add_tcase(s, tc);

	return s;
}
