/* SPDX-License-Identifier: MIT */
/* toml-test decoder: TOML on stdin to toml-test's tagged JSON on stdout. */
#include "auto-config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

/* Read all of F into a malloc'ed buffer; NULL on error. */
static char *
read_all(FILE *f, size_t *lenp)
{
	size_t len = 0, cap = 4096, n;
	char *buf = malloc(cap), *nb;

	if (buf == NULL)
		return NULL;
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}

/* S[0, LEN) as a JSON string: quotes, backslashes and controls escaped. */
static void
print_string(FILE *out, const char *s, size_t len)
{
	size_t i;

	putc('"', out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				putc(c, out);
		}
	}
	putc('"', out);
}

/* The shortest "%.Ng" spelling of F that reads back as F. */
static void
format_float(char *buf, size_t size, double f)
{
	int prec;

	if (isnan(f)) {
		snprintf(buf, size, "nan");
		return;
	}
	if (isinf(f)) {
		snprintf(buf, size, f > 0 ? "inf" : "-inf");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, f);
		if (strtod(buf, NULL) == f)
			return;
	}
	snprintf(buf, size, "%.17g", f);
}

/* A date and/or time in RFC 3339 form, as toml-test expects. */
static void
format_datetime(char *buf, size_t size, const struct toml_value *v)
{
	const struct toml_datetime *dt = &v->u.dt;
	size_t o = 0;
	int i;
	long div = 1;

	if (v->type != TOML_TIME_LOCAL)
		o += (size_t)snprintf(buf + o, size - o, "%04d-%02d-%02d",
				      dt->year, dt->month, dt->day);
	if (v->type == TOML_DATETIME || v->type == TOML_DATETIME_LOCAL)
		buf[o++] = 'T';
	if (v->type != TOML_DATE_LOCAL) {
		o += (size_t)snprintf(buf + o, size - o, "%02d:%02d:%02d",
				      dt->hour, dt->minute, dt->second);
		if (dt->frac_digits > 0) {
			for (i = dt->frac_digits; i < 9; i++)
				div *= 10;
			o += (size_t)snprintf(buf + o, size - o, ".%0*ld",
					      dt->frac_digits,
					      dt->nanosecond / div);
		}
	}
	if (v->type == TOML_DATETIME) {
		int off = dt->offset_minutes;

		if (dt->offset_z)
			snprintf(buf + o, size - o, "Z");
		else
			snprintf(buf + o, size - o, "%c%02d:%02d",
				 off < 0 ? '-' : '+', abs(off) / 60,
				 abs(off) % 60);
	} else {
		buf[o] = '\0';
	}
}

/* V as tagged JSON; tables and arrays recurse (depth is capped by toml.c). */
static void
print_value(FILE *out, const struct toml_value *v)
{
	char buf[64];
	size_t i;

	switch (v->type) {
	case TOML_TABLE:
		putc('{', out);
		for (i = 0; i < v->u.table.len; i++) {
			const struct toml_kv *kv = &v->u.table.items[i];

			if (i > 0)
				putc(',', out);
			print_string(out, kv->key, kv->keylen);
			putc(':', out);
			print_value(out, kv->value);
		}
		putc('}', out);
		return;
	case TOML_ARRAY:
		putc('[', out);
		for (i = 0; i < v->u.array.len; i++) {
			if (i > 0)
				putc(',', out);
			print_value(out, v->u.array.items[i]);
		}
		putc(']', out);
		return;
	case TOML_STRING:
		fputs("{\"type\":\"string\",\"value\":", out);
		print_string(out, v->u.s.ptr, v->u.s.len);
		putc('}', out);
		return;
	case TOML_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRId64, v->u.i);
		break;
	case TOML_FLOAT:
		format_float(buf, sizeof(buf), v->u.f);
		break;
	case TOML_BOOL:
		snprintf(buf, sizeof(buf), "%s", v->u.b ? "true" : "false");
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		format_datetime(buf, sizeof(buf), v);
		break;
	}
	fprintf(out, "{\"type\":\"%s\",\"value\":\"%s\"}",
		toml_type_name(v->type), buf);
}

int
main(void)
{
	struct toml_value *root;
	char err[256];
	size_t len;
	char *text = read_all(stdin, &len);

	if (text == NULL) {
		fprintf(stderr, "toml-decoder: cannot read stdin\n");
		return 1;
	}
	root = toml_parse(text, len, err, sizeof(err), NULL, NULL);
	free(text);
	if (root == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	print_value(stdout, root);
	putc('\n', stdout);
	toml_free(root);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "toml-decoder: write error\n");
		return 1;
	}
	return 0;
}
