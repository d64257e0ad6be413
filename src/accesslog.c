/* SPDX-License-Identifier: MIT */
/* One line per finished connection or request, in the configured log_format. */
#include "auto-config.h"

#include "accesslog.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <strings.h>

#include "compiler.h"
#include "log.h"

/* Request headers whose values are credentials: logged as "***". */
static const char *const accesslog_masked[] = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
};

static const struct {
	int status;
	const char *reason;
} accesslog_reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

/* The header value to log: "***" for credentials, else VALUE. */
static const char *
accesslog_header_value(const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(accesslog_masked); i++)
		if (strcasecmp(name, accesslog_masked[i]) == 0)
			return "***";
	return value;
}

static const char *
accesslog_reason(int status)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(accesslog_reasons); i++)
		if (accesslog_reasons[i].status == status)
			return accesslog_reasons[i].reason;
	return NULL;
}

/*
 * The duration to print: a NaN, negative or absurd value (a clock step)
 * would print as "nan" (invalid JSON) or hundreds of digits.
 */
static double
accesslog_ms(double ms)
{
	if (!isfinite(ms) || ms < 0)
		return 0;
	if (ms > 1e12)
		return 1e12;
	return ms;
}

/* Append S escaped as ESC, or "-" when it is NULL. */
static void
accesslog_field(struct log_line *l, const char *s, enum log_esc esc)
{
	if (s == NULL)
		log_line_add(l, "-", 1);
	else
		log_line_escapes(l, s, esc);
}

/* The porty format's 🔄 block: request line, then ├─ From / ├─ To. */
static void
accesslog_open_porty(struct log_line *l, const struct access_rec *r)
{
	unsigned i;

	log_line_adds(l, "\U0001f504 [");
	accesslog_field(l, r->route, LOG_ESC_TEXT);
	log_line_add(l, "] ", 2);
	if (r->method != NULL) {
		log_line_escapes(l, r->method, LOG_ESC_WORD);
		log_line_add(l, " ", 1);
		accesslog_field(l, r->path, LOG_ESC_WORD);
	} else {
		log_line_adds(l, "TCP connection");
	}
	log_line_adds(l, "\n\u251c\u2500 From: ");
	accesslog_field(l, r->client, LOG_ESC_TEXT);
	if (r->target != NULL) {
		log_line_adds(l, "\n\u251c\u2500 To: ");
		log_line_escapes(l, r->target, LOG_ESC_TEXT);
	}
	for (i = 0; r->headers != NULL && i < r->nheaders && !l->trunc; i++) {
		log_line_adds(l, "\n\u251c\u2500 Header: ");
		accesslog_field(l, r->headers[2 * i], LOG_ESC_TEXT);
		log_line_add(l, ": ", 2);
		accesslog_field(l,
				accesslog_header_value(r->headers[2 * i],
						       r->headers[2 * i + 1]),
				LOG_ESC_TEXT);
	}
}

void
accesslog_open(const struct access_rec *r)
{
	char buf[LOG_LINE_MAX];
	struct log_line l;

	if (log_get_format() != LOG_FORMAT_PORTY)
		return;
	log_line_init(&l, buf, sizeof(buf));
	accesslog_open_porty(&l, r);
	log_line_end(&l);
}

/* " tls=TLSv1.3 sni=NAME" for a TLS client (either part may be absent). */
static void
accesslog_tls_words(struct log_line *l, const struct access_rec *r)
{
	if (r->tls != NULL) {
		log_line_adds(l, " tls=");
		log_line_escapes(l, r->tls, LOG_ESC_WORD);
	}
	if (r->sni != NULL) {
		log_line_adds(l, " sni=");
		log_line_escapes(l, r->sni, LOG_ESC_WORD);
	}
}

/* ✅ [route] 200 OK (12.3ms) in=123 out=4567, or ❌ [route] error (12.3ms). */
static void
accesslog_close_porty(struct log_line *l, const struct access_rec *r)
{
	const char *reason;
	double ms = accesslog_ms(r->duration_ms);

	log_line_adds(l, r->error != NULL ? "\u274c [" : "\u2705 [");
	accesslog_field(l, r->route, LOG_ESC_TEXT);
	log_line_add(l, "] ", 2);
	if (r->method != NULL && r->status != 0) {
		log_line_printf(l, "%d", r->status);
		reason = accesslog_reason(r->status);
		if (reason != NULL)
			log_line_printf(l, " %s", reason);
		if (r->error != NULL)
			log_line_add(l, ": ", 2);
	} else if (r->error == NULL) {
		log_line_adds(l, r->method != NULL ? "no response"
						   : "TCP connection closed");
	}
	if (r->error != NULL)
		log_line_escapes(l, r->error, LOG_ESC_TEXT);
	log_line_printf(l, " (%.1fms)", ms);
	/* A failure mid-transfer still says how far it got. */
	if (r->error == NULL || r->bytes_in != 0 || r->bytes_out != 0)
		log_line_printf(l, " in=%" PRIu64 " out=%" PRIu64, r->bytes_in,
				r->bytes_out);
	accesslog_tls_words(l, r);
}

/* TS route=NAME client=ADDR [method= path=] target= [status=] bytes... */
static void
accesslog_close_text(struct log_line *l, const struct access_rec *r)
{
	const char *name;
	unsigned i;

	log_line_ts(l);
	log_line_adds(l, " route=");
	accesslog_field(l, r->route, LOG_ESC_WORD);
	log_line_adds(l, " client=");
	accesslog_field(l, r->client, LOG_ESC_WORD);
	if (r->method != NULL) {
		log_line_adds(l, " method=");
		log_line_escapes(l, r->method, LOG_ESC_WORD);
		log_line_adds(l, " path=");
		accesslog_field(l, r->path, LOG_ESC_WORD);
	}
	log_line_adds(l, " target=");
	accesslog_field(l, r->target, LOG_ESC_WORD);
	if (r->method != NULL)
		log_line_printf(l, " status=%d", r->status);
	log_line_printf(
	    l, " bytes_in=%" PRIu64 " bytes_out=%" PRIu64 " duration_ms=%.3f",
	    r->bytes_in, r->bytes_out, accesslog_ms(r->duration_ms));
	accesslog_tls_words(l, r);
	if (r->error != NULL) {
		log_line_adds(l, " error=\"");
		log_line_escapes(l, r->error, LOG_ESC_QUOTED);
		log_line_add(l, "\"", 1);
	}
	for (i = 0; r->headers != NULL && i < r->nheaders && !l->trunc; i++) {
		name = r->headers[2 * i] != NULL ? r->headers[2 * i] : "";
		log_line_adds(l, " header=\"");
		log_line_escapes(l, name, LOG_ESC_QUOTED);
		log_line_add(l, ": ", 2);
		accesslog_field(
		    l, accesslog_header_value(name, r->headers[2 * i + 1]),
		    LOG_ESC_QUOTED);
		log_line_add(l, "\"", 1);
	}
}

/* One JSON object; the headers array comes last so a cut keeps it valid. */
static void
accesslog_close_json(struct log_line *l, const struct access_rec *r)
{
	const char *name;
	unsigned i;

	log_line_adds(l, "{\"ts\":\"");
	log_line_ts(l);
	log_line_adds(l, "\",\"route\":");
	log_line_json_str(l, r->route);
	log_line_adds(l, ",\"client\":");
	log_line_json_str(l, r->client);
	if (r->method != NULL) {
		log_line_adds(l, ",\"method\":");
		log_line_json_str(l, r->method);
		log_line_adds(l, ",\"path\":");
		log_line_json_str(l, r->path);
	}
	log_line_adds(l, ",\"target\":");
	log_line_json_str(l, r->target);
	if (r->method != NULL)
		log_line_printf(l, ",\"status\":%d", r->status);
	log_line_printf(l,
			",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
			",\"duration_ms\":%.3f",
			r->bytes_in, r->bytes_out,
			accesslog_ms(r->duration_ms));
	if (r->tls != NULL) {
		log_line_adds(l, ",\"tls\":");
		log_line_json_str(l, r->tls);
	}
	if (r->sni != NULL) {
		log_line_adds(l, ",\"sni\":");
		log_line_json_str(l, r->sni);
	}
	if (r->error != NULL) {
		log_line_adds(l, ",\"error\":");
		log_line_json_str(l, r->error);
	}
	if (r->headers != NULL) {
		log_line_adds(l, ",\"headers\":[");
		for (i = 0; i < r->nheaders && !l->trunc; i++) {
			name =
			    r->headers[2 * i] != NULL ? r->headers[2 * i] : "";
			log_line_adds(l, i == 0 ? "[" : ",[");
			log_line_json_str(l, name);
			log_line_add(l, ",", 1);
			log_line_json_str(l, accesslog_header_value(
						 name, r->headers[2 * i + 1]));
			log_line_add(l, "]", 1);
		}
		log_line_add(l, "]", 1);
	}
	log_line_add(l, "}", 1);
}

void
accesslog_close(const struct access_rec *r)
{
	char buf[LOG_LINE_MAX];
	struct log_line l;

	log_line_init(&l, buf, sizeof(buf));
	switch (log_get_format()) {
	case LOG_FORMAT_JSON:
		accesslog_close_json(&l, r);
		break;
	case LOG_FORMAT_TEXT:
		accesslog_close_text(&l, r);
		break;
	case LOG_FORMAT_PORTY:
	default:
		accesslog_close_porty(&l, r);
		break;
	}
	log_line_end(&l);
}
