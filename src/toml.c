/* SPDX-License-Identifier: MIT */
/* TOML 1.0 parser: text to a tree of values, each with its line and column. */
#include "auto-config.h"

#include "toml.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"

/*
 * Deepest nesting of tables and arrays below the root. It bounds the
 * recursion of the parser, of toml_free() and of every consumer's walk.
 */
#define TOML_MAX_DEPTH 128

/* How a table or array came to be; kept in toml_value.flags. */
#define TOML_F_IMPLICIT  0x01u /* table named only as a parent in [a.b] */
#define TOML_F_HEADER    0x02u /* table defined by [header] or [[header]] */
#define TOML_F_DOTTED    0x04u /* table defined by dotted keys a.b = v */
#define TOML_F_INLINE    0x08u /* inline table { }: sealed once closed */
#define TOML_F_AOT       0x10u /* array created by [[header]] */
#define TOML_F_KINDS     0xffu
#define TOML_DEPTH_SHIFT 8 /* flags >> this: nesting depth, root = 0 */

/* A growable byte string (NUL-terminated when handed out). */
struct strbuf {
	char *ptr; /* owned */
	size_t len, cap;
};

/* One part of a (dotted) key: bytes in parser.keybuf. */
struct keypart {
	size_t off, len;
	int line, col;
};

/* One entry of the parser's (table, key) -> item index. */
struct slot {
	const struct toml_value *table; /* borrowed; NULL: empty slot */
	size_t idx;                     /* into table->u.table.items */
	uint64_t hash;
};

struct parser {
	const char *text, *p, *end; /* text: after a BOM */
	const char *pos_at;         /* position cache for parser_locate() */
	int pos_line, pos_col;
	char *errbuf;
	size_t errlen;
	int err_line, err_col;
	bool failed;
	struct toml_value *root; /* owned until returned */
	struct toml_value *cur;  /* table that receives key = value lines */
	struct strbuf keybuf;    /* decoded bytes of the current key's parts */
	struct keypart *keys;    /* owned: parts of the current key */
	size_t nkeys, keycap;
	struct slot *slots; /* owned: open-addressing index, power of 2 */
	size_t nslots, nused;
	struct strbuf sbuf; /* scratch for string values and floats */
};

/* ------------------------------------------------------------------ */
/* positions and errors                                                */

/*
 * Line and column (1-based, column counted in characters) of AT. Walks
 * forward from the last answer, so a parse that asks in document order
 * pays for every byte once.
 */
static void
parser_locate(struct parser *p, const char *at, int *line, int *col)
{
	const char *q;

	if (at < p->pos_at) {
		p->pos_at = p->text;
		p->pos_line = 1;
		p->pos_col = 1;
	}
	for (q = p->pos_at; q < at; q++) {
		if (*q == '\n') {
			p->pos_line++;
			p->pos_col = 1;
		} else if (((unsigned char)*q & 0xc0) != 0x80) {
			p->pos_col++;
		}
	}
	p->pos_at = at;
	*line = p->pos_line;
	*col = p->pos_col;
}

static void parser_vfail(struct parser *p, int line, int col, const char *fmt,
			 va_list ap) PORTY_PRINTF(4, 0);

/* Record the first error only: later ones are consequences of it. */
static void
parser_vfail(struct parser *p, int line, int col, const char *fmt, va_list ap)
{
	int n;

	if (p->failed)
		return;
	p->failed = true;
	p->err_line = line;
	p->err_col = col;
	if (p->errbuf == NULL || p->errlen == 0)
		return;
	n = snprintf(p->errbuf, p->errlen, "%d:%d: ", line, col);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->errbuf + n, p->errlen - (size_t)n, fmt, ap);
}

static int parser_fail_at(struct parser *p, int line, int col, const char *fmt,
			  ...) PORTY_PRINTF(4, 5);

/* Report an error at LINE:COL; returns -1 for the caller to pass on. */
static int
parser_fail_at(struct parser *p, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	parser_vfail(p, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

static int parser_fail(struct parser *p, const char *at, const char *fmt, ...)
    PORTY_PRINTF(3, 4);

/* Report an error at the byte AT; returns -1. */
static int
parser_fail(struct parser *p, const char *at, const char *fmt, ...)
{
	va_list ap;
	int line, col;

	parser_locate(p, at, &line, &col);
	va_start(ap, fmt);
	parser_vfail(p, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

static int
parser_nomem(struct parser *p)
{
	return parser_fail(p, p->p, "out of memory");
}

/* Describe the text at AT for "found ..." in a message. */
static const char *
parser_found(const struct parser *p, const char *at, char *buf, size_t size)
{
	unsigned char c;
	size_t n;

	if (at >= p->end)
		return "end of file";
	c = (unsigned char)*at;
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c == '\t')
		return "a tab";
	if (c < 0x20 || c == 0x7f) {
		snprintf(buf, size, "control character U+%04X", c);
		return buf;
	}
	if (c < 0x80) {
		snprintf(buf, size, "'%c'", c);
		return buf;
	}
	/* the document is valid UTF-8 by now: show the whole character */
	for (n = 1;
	     at + n < p->end && n < 4 && ((unsigned char)at[n] & 0xc0) == 0x80;
	     n++)
		;
	snprintf(buf, size, "'%.*s'", (int)n, at);
	return buf;
}

static bool
is_bare_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Write parts [0, N) of the current key into BUF as they could be written
 * in TOML: bare parts as they are, others in single quotes with control
 * characters escaped. Long keys are cut with "...".
 */
static const char *
parser_keyname(const struct parser *p, size_t n, char *buf, size_t size)
{
	size_t i, j, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *s = p->keybuf.ptr + p->keys[i].off;
		size_t len = p->keys[i].len;
		bool bare = len > 0;

		for (j = 0; j < len; j++)
			bare = bare && is_bare_char(s[j]);
		if (i > 0 && o + 1 < size)
			buf[o++] = '.';
		if (!bare && o + 1 < size)
			buf[o++] = '\'';
		for (j = 0; j < len && o + 8 < size; j++) {
			unsigned char c = (unsigned char)s[j];

			if (c < 0x20 || c == 0x7f) {
				snprintf(buf + o, size - o, "\\u%04X", c);
				o += 6;
			} else {
				buf[o++] = (char)c;
			}
		}
		if (j < len) {
			/* no room left: mark the cut and stop */
			if (o + 4 > size)
				o = size - 4;
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (!bare && o + 1 < size)
			buf[o++] = '\'';
	}
	buf[o < size ? o : size - 1] = '\0';
	return buf;
}

/* ------------------------------------------------------------------ */
/* byte strings                                                        */

static int
strbuf_grow(struct strbuf *b, size_t extra)
{
	size_t cap;
	char *np;

	if (b->cap - b->len > extra)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap - b->len <= extra) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	np = realloc(b->ptr, cap);
	if (np == NULL)
		return -1;
	b->ptr = np;
	b->cap = cap;
	return 0;
}

/* Append N bytes; keeps room for a NUL. Returns -1 when out of memory. */
static int
strbuf_add(struct strbuf *b, const char *s, size_t n)
{
	if (strbuf_grow(b, n) < 0)
		return -1;
	memcpy(b->ptr + b->len, s, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

/* Append code point CP (a Unicode scalar value) as UTF-8. */
static int
strbuf_add_utf8(struct strbuf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return strbuf_add(b, u, n);
}

/* A NUL-terminated copy of S[0, LEN), or NULL when out of memory. */
static char *
memdup0(const char *s, size_t len)
{
	char *d = malloc(len + 1);

	if (d == NULL)
		return NULL;
	if (len > 0)
		memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* ------------------------------------------------------------------ */
/* the whole-document check: UTF-8 and control characters             */

/* Length (1..4) of the valid UTF-8 sequence at S, or 0 if it is invalid. */
static size_t
utf8_len(const char *s, const char *end)
{
	unsigned c = (unsigned char)s[0];
	uint32_t cp;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0; /* continuation byte, overlong C0/C1, or > U+13FFFF */
	}
	if ((size_t)(end - s) < n)
		return 0;
	for (i = 1; i < n; i++) {
		unsigned d = (unsigned char)s[i];

		if ((d & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (d & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * TOML forbids control characters other than tab everywhere (in strings
 * and comments too; elsewhere they are syntax errors anyway), CR outside
 * CRLF, and invalid UTF-8. Checking once up front lets the parser treat
 * every byte as part of a valid character.
 */
static int
parser_check_text(struct parser *p)
{
	const char *q = p->text;
	size_t n;

	while (q < p->end) {
		unsigned char c = (unsigned char)*q;

		if (c >= 0x20 && c < 0x7f) {
			q++;
			continue;
		}
		if (c == '\t' || c == '\n') {
			q++;
			continue;
		}
		if (c == '\r') {
			if (q + 1 < p->end && q[1] == '\n') {
				q += 2;
				continue;
			}
			return parser_fail(
			    p, q,
			    "carriage return not followed by a line feed");
		}
		if (c < 0x80)
			return parser_fail(
			    p, q, "control character U+%04X is not allowed", c);
		n = utf8_len(q, p->end);
		if (n == 0)
			return parser_fail(p, q, "invalid UTF-8 (byte 0x%02X)",
					   c);
		q += n;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* values                                                              */

static unsigned
value_depth(const struct toml_value *v)
{
	return v->flags >> TOML_DEPTH_SHIFT;
}

/* A new value of TYPE at LINE:COL, or NULL (error recorded). */
static struct toml_value *
value_new_at(struct parser *p, enum toml_type type, int line, int col)
{
	struct toml_value *v = calloc(1, sizeof(*v));

	if (v == NULL) {
		parser_nomem(p);
		return NULL;
	}
	v->type = type;
	v->line = line;
	v->col = col;
	return v;
}

/* A new value of TYPE starting at the byte AT, or NULL. */
static struct toml_value *
value_new(struct parser *p, enum toml_type type, const char *at)
{
	int line, col;

	parser_locate(p, at, &line, &col);
	return value_new_at(p, type, line, col);
}

/* Set kind FLAGS and DEPTH on the new container V; -1 if too deep. */
static int
container_check(struct parser *p, struct toml_value *v, unsigned flags,
		unsigned depth)
{
	if (depth > TOML_MAX_DEPTH) {
		parser_fail_at(p, v->line, v->col,
			       "tables and arrays nested deeper than %d levels",
			       TOML_MAX_DEPTH);
		toml_free(v);
		return -1;
	}
	v->flags = flags | (depth << TOML_DEPTH_SHIFT);
	return 0;
}

/* A new table or array at LINE:COL with FLAGS and DEPTH, or NULL. */
static struct toml_value *
container_new(struct parser *p, enum toml_type type, unsigned flags,
	      unsigned depth, int line, int col)
{
	struct toml_value *v = value_new_at(p, type, line, col);

	if (v == NULL || container_check(p, v, flags, depth) < 0)
		return NULL;
	return v;
}

/*
 * Free V and everything it owns (keys, strings, children). Recursion is
 * bounded: toml_parse() never builds a tree deeper than TOML_MAX_DEPTH.
 */
void
toml_free(struct toml_value *v)
{
	size_t i;

	if (v == NULL)
		return;
	switch (v->type) {
	case TOML_STRING:
		free(v->u.s.ptr);
		break;
	case TOML_TABLE:
		for (i = 0; i < v->u.table.len; i++) {
			free(v->u.table.items[i].key);
			toml_free(v->u.table.items[i].value);
		}
		free(v->u.table.items);
		break;
	case TOML_ARRAY:
		for (i = 0; i < v->u.array.len; i++)
			toml_free(v->u.array.items[i]);
		free(v->u.array.items);
		break;
	default:
		break;
	}
	free(v);
}

/* Append V to array A (which then owns it); -1 when out of memory. */
static int
array_push(struct parser *p, struct toml_value *a, struct toml_value *v)
{
	if (a->u.array.len == a->u.array.cap) {
		size_t cap = a->u.array.cap ? a->u.array.cap * 2 : 4;
		struct toml_value **items;

		items = realloc(a->u.array.items, cap * sizeof(*items));
		if (items == NULL)
			return parser_nomem(p);
		a->u.array.items = items;
		a->u.array.cap = cap;
	}
	a->u.array.items[a->u.array.len++] = v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the (table, key) index                                              */

static uint64_t
index_hash(const struct toml_value *t, const char *key, size_t len)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */
	uintptr_t a = (uintptr_t)(const void *)t;
	size_t i;

	for (i = 0; i < sizeof(a); i++) {
		h ^= (a >> (i * 8)) & 0xff;
		h *= 1099511628211u;
	}
	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211u;
	}
	return h;
}

/* The item of table T named KEY, or NULL. */
static struct toml_kv *
table_find(const struct parser *p, const struct toml_value *t, const char *key,
	   size_t len)
{
	uint64_t h;
	size_t i, mask;

	if (p->nslots == 0)
		return NULL;
	h = index_hash(t, key, len);
	mask = p->nslots - 1;
	for (i = (size_t)h & mask; p->slots[i].table != NULL;
	     i = (i + 1) & mask) {
		const struct slot *s = &p->slots[i];
		struct toml_kv *kv;

		if (s->hash != h || s->table != t)
			continue;
		kv = &t->u.table.items[s->idx];
		if (kv->keylen == len && memcmp(kv->key, key, len) == 0)
			return kv;
	}
	return NULL;
}

static void
index_put(struct slot *slots, size_t nslots, const struct slot *s)
{
	size_t mask = nslots - 1, i;

	for (i = (size_t)s->hash & mask; slots[i].table != NULL;
	     i = (i + 1) & mask)
		;
	slots[i] = *s;
}

/* Record item IDX of table T in the index; -1 when out of memory. */
static int
index_add(struct parser *p, const struct toml_value *t, size_t idx)
{
	const struct toml_kv *kv = &t->u.table.items[idx];
	struct slot s;

	if ((p->nused + 1) * 2 > p->nslots) {
		size_t n = p->nslots ? p->nslots * 2 : 64, i;
		struct slot *slots = calloc(n, sizeof(*slots));

		if (slots == NULL)
			return parser_nomem(p);
		for (i = 0; i < p->nslots; i++)
			if (p->slots[i].table != NULL)
				index_put(slots, n, &p->slots[i]);
		free(p->slots);
		p->slots = slots;
		p->nslots = n;
	}
	s.table = t;
	s.idx = idx;
	s.hash = index_hash(t, kv->key, kv->keylen);
	index_put(p->slots, p->nslots, &s);
	p->nused++;
	return 0;
}

/*
 * Add key part K of the current key to table T with value V (may be NULL
 * for the caller to fill in). The table owns V even when this fails.
 * Returns the item or NULL (error recorded).
 */
static struct toml_kv *
table_add(struct parser *p, struct toml_value *t, const struct keypart *k,
	  struct toml_value *v)
{
	struct toml_kv *kv;

	if (t->u.table.len == t->u.table.cap) {
		size_t cap = t->u.table.cap ? t->u.table.cap * 2 : 4;
		struct toml_kv *items;

		items = realloc(t->u.table.items, cap * sizeof(*items));
		if (items == NULL) {
			toml_free(v);
			parser_nomem(p);
			return NULL;
		}
		t->u.table.items = items;
		t->u.table.cap = cap;
	}
	kv = &t->u.table.items[t->u.table.len];
	kv->key = memdup0(p->keybuf.ptr + k->off, k->len);
	if (kv->key == NULL) {
		toml_free(v);
		parser_nomem(p);
		return NULL;
	}
	kv->keylen = k->len;
	kv->line = k->line;
	kv->col = k->col;
	kv->value = v;
	t->u.table.len++;
	if (index_add(p, t, t->u.table.len - 1) < 0)
		return NULL;
	return kv;
}

/* ------------------------------------------------------------------ */
/* whitespace, comments, newlines                                      */

static void
skip_ws(struct parser *p)
{
	while (p->p < p->end && (*p->p == ' ' || *p->p == '\t'))
		p->p++;
}

/* Skip a comment up to (not including) the end of its line. */
static void
skip_comment(struct parser *p)
{
	if (p->p < p->end && *p->p == '#')
		while (p->p < p->end && *p->p != '\n' && *p->p != '\r')
			p->p++;
}

/* Consume LF or CRLF; false if not at one. */
static bool
skip_newline(struct parser *p)
{
	if (p->p < p->end && *p->p == '\n') {
		p->p++;
		return true;
	}
	if (p->end - p->p >= 2 && p->p[0] == '\r' && p->p[1] == '\n') {
		p->p += 2;
		return true;
	}
	return false;
}

/* Skip whitespace, comments and newlines (between array elements). */
static void
skip_ws_nl(struct parser *p)
{
	do {
		skip_ws(p);
		skip_comment(p);
	} while (skip_newline(p));
}

/* True if the next bytes are S (of length N). */
static bool
looking_at(const struct parser *p, const char *s, size_t n)
{
	return (size_t)(p->end - p->p) >= n && memcmp(p->p, s, n) == 0;
}

/* ------------------------------------------------------------------ */
/* strings                                                             */

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode the escape at p->p (a backslash) into OUT. MULTILINE allows the
 * line-ending backslash, which swallows all whitespace and newlines up to
 * the next other character.
 */
static int
parse_escape(struct parser *p, struct strbuf *out, bool multiline)
{
	const char *bs = p->p;
	const char *q;
	char found[32];
	uint32_t cp = 0;
	int i, n;
	char c;

	p->p++;
	if (p->p >= p->end)
		return parser_fail(p, bs, "unterminated escape sequence");
	c = *p->p;
	if (multiline && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
		skip_ws(p);
		if (!skip_newline(p))
			return parser_fail(
			    p, bs,
			    "a '\\' followed by whitespace must end the line");
		for (;;) {
			skip_ws(p);
			if (!skip_newline(p))
				break;
		}
		return 0;
	}
	switch (c) {
	case 'b':
		c = '\b';
		break;
	case 't':
		c = '\t';
		break;
	case 'n':
		c = '\n';
		break;
	case 'f':
		c = '\f';
		break;
	case 'r':
		c = '\r';
		break;
	case '"':
	case '\\':
		break;
	case 'u':
	case 'U':
		n = c == 'u' ? 4 : 8;
		q = p->p + 1;
		for (i = 0; i < n; i++, q++) {
			int d = q < p->end ? hex_value(*q) : -1;

			if (d < 0)
				return parser_fail(
				    p, q,
				    "expected %d hex digits after '\\%c', "
				    "found %s",
				    n, c,
				    parser_found(p, q, found, sizeof(found)));
			cp = (cp << 4) | (uint32_t)d;
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			return parser_fail(
			    p, bs,
			    "'\\%c%.*s' is a surrogate code point, not a "
			    "character",
			    c, n, p->p + 1);
		if (cp > 0x10ffff)
			return parser_fail(
			    p, bs,
			    "'\\%c%.*s' is beyond U+10FFFF, the last code "
			    "point",
			    c, n, p->p + 1);
		p->p = q;
		if (strbuf_add_utf8(out, cp) < 0)
			return parser_nomem(p);
		return 0;
	default:
		if (c > ' ' && c < 0x7f)
			return parser_fail(
			    p, bs,
			    "invalid escape sequence '\\%c' (valid: \\b \\t "
			    "\\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)",
			    c);
		return parser_fail(p, bs, "invalid escape: '\\' followed by %s",
				   parser_found(p, p->p, found, sizeof(found)));
	}
	p->p++;
	if (strbuf_add(out, &c, 1) < 0)
		return parser_nomem(p);
	return 0;
}

/* Length of the run of plain bytes at p->p up to one of STOP (or EOL). */
static size_t
span_plain(const struct parser *p, const char *stop)
{
	const char *q = p->p;

	while (q < p->end && *q != '\n' && *q != '\r' && !strchr(stop, *q))
		q++;
	return (size_t)(q - p->p);
}

/*
 * A one-line string at p->p ('"' basic or '\'' literal) decoded into OUT
 * (appended). Multi-line openers are the caller's business.
 */
static int
parse_line_string(struct parser *p, struct strbuf *out)
{
	const char *open = p->p;
	char quote = *open;
	char found[32];
	size_t n;

	p->p++;
	for (;;) {
		n = span_plain(p, quote == '"' ? "\"\\" : "'");
		if (n > 0 && strbuf_add(out, p->p, n) < 0)
			return parser_nomem(p);
		p->p += n;
		if (p->p < p->end && *p->p == quote) {
			p->p++;
			return 0;
		}
		if (p->p < p->end && *p->p == '\\' && quote == '"') {
			if (parse_escape(p, out, false) < 0)
				return -1;
			continue;
		}
		return parser_fail(p, p->p,
				   "expected %s to close the string, found %s",
				   quote == '"' ? "'\"'" : "\"'\"",
				   parser_found(p, p->p, found, sizeof(found)));
	}
}

/*
 * A multi-line string at p->p ('"""' or '\'\'\'') decoded into OUT. A
 * newline right after the opener is dropped, CRLF becomes LF, and up to
 * two quotes may stand right before the closing delimiter.
 */
static int
parse_ml_string(struct parser *p, struct strbuf *out)
{
	const char *open = p->p;
	char quote = *open;
	size_t n;

	p->p += 3;
	skip_newline(p);
	for (;;) {
		n = span_plain(p, quote == '"' ? "\"\\" : "'");
		if (n > 0 && strbuf_add(out, p->p, n) < 0)
			return parser_nomem(p);
		p->p += n;
		if (p->p >= p->end) {
			int line, col;

			parser_locate(p, open, &line, &col);
			return parser_fail(
			    p, p->p,
			    "expected %s to close the multi-line string "
			    "opened at %d:%d, found end of file",
			    quote == '"' ? "'\"\"\"'" : "\"'''\"", line, col);
		}
		if (skip_newline(p)) {
			if (strbuf_add(out, "\n", 1) < 0)
				return parser_nomem(p);
		} else if (*p->p == '\\' && quote == '"') {
			if (parse_escape(p, out, true) < 0)
				return -1;
		} else {
			/* a run of quotes: three close it, up to two more
			 * before them belong to the string */
			for (n = 0; p->p + n < p->end && p->p[n] == quote; n++)
				;
			if (n >= 3) {
				if (n > 5)
					return parser_fail(
					    p, p->p + 5,
					    "too many quotes: at most two may "
					    "precede the closing delimiter");
				n -= 3;
				if (n > 0 && strbuf_add(out, p->p, n) < 0)
					return parser_nomem(p);
				p->p += n + 3;
				return 0;
			}
			if (strbuf_add(out, p->p, n) < 0)
				return parser_nomem(p);
			p->p += n;
		}
	}
}

/* ------------------------------------------------------------------ */
/* keys                                                                */

/* Append one part (bare, "basic" or 'literal') to the current key. */
static int
parse_simple_key(struct parser *p)
{
	struct keypart *k;
	char found[32];
	const char *at = p->p;

	if (p->nkeys == p->keycap) {
		size_t cap = p->keycap ? p->keycap * 2 : 8;
		struct keypart *keys = realloc(p->keys, cap * sizeof(*keys));

		if (keys == NULL)
			return parser_nomem(p);
		p->keys = keys;
		p->keycap = cap;
	}
	k = &p->keys[p->nkeys];
	k->off = p->keybuf.len;
	parser_locate(p, at, &k->line, &k->col);
	if (at < p->end && (*at == '"' || *at == '\'')) {
		if (looking_at(p, "\"\"\"", 3) || looking_at(p, "'''", 3))
			return parser_fail(
			    p, at, "a key cannot be a multi-line string");
		if (parse_line_string(p, &p->keybuf) < 0)
			return -1;
	} else {
		while (p->p < p->end && is_bare_char(*p->p))
			p->p++;
		if (p->p == at)
			return parser_fail(
			    p, at,
			    "expected a key (letters, digits, '_', '-' or a "
			    "quoted string), found %s",
			    parser_found(p, at, found, sizeof(found)));
		if (strbuf_add(&p->keybuf, at, (size_t)(p->p - at)) < 0)
			return parser_nomem(p);
	}
	k->len = p->keybuf.len - k->off;
	p->nkeys++;
	return 0;
}

/* Parse a possibly dotted key at p->p into p->keys (replacing it). */
static int
parse_key(struct parser *p)
{
	p->nkeys = 0;
	p->keybuf.len = 0;
	/* allocated even for an empty key "": parts point into it */
	if (strbuf_grow(&p->keybuf, 0) < 0)
		return parser_nomem(p);
	for (;;) {
		if (p->nkeys == TOML_MAX_DEPTH)
			return parser_fail(p, p->p,
					   "dotted key with more than %d parts",
					   TOML_MAX_DEPTH);
		if (parse_simple_key(p) < 0)
			return -1;
		skip_ws(p);
		if (p->p >= p->end || *p->p != '.')
			return 0;
		p->p++;
		skip_ws(p);
	}
}

/* ------------------------------------------------------------------ */
/* scalar values                                                       */

/*
 * Scan digits of BASE with single underscores between them, starting at
 * *QP, which must be a digit. Leaves *QP after the last digit.
 */
static int
scan_digits(struct parser *p, const char **qp, int base, const char *what)
{
	const char *q = *qp;
	char found[32];

	for (;;) {
		int d = q < p->end ? hex_value(*q) : -1;

		if (d < 0 || d >= base)
			return parser_fail(
			    p, q, "expected a digit%s, found %s", what,
			    parser_found(p, q, found, sizeof(found)));
		q++;
		while (q < p->end) {
			d = hex_value(*q);
			if (d < 0 || d >= base)
				break;
			q++;
		}
		if (q >= p->end || *q != '_')
			break;
		q++;
		what = " after '_' (underscores go between digits)";
	}
	*qp = q;
	return 0;
}

/* Characters that may not follow a number or date directly. */
static bool
is_number_tail(char c)
{
	return is_bare_char(c) || c == '.' || c == ':' || c == '+';
}

/* Fail if the value just scanned (ending at Q) runs on into more text. */
static int
check_value_end(struct parser *p, const char *q, const char *what)
{
	char found[32];

	if (q < p->end && is_number_tail(*q))
		return parser_fail(p, q, "invalid %s: unexpected %s", what,
				   parser_found(p, q, found, sizeof(found)));
	return 0;
}

/* Integer from digits at Q..END of BASE (underscores skipped) into *OUT. */
static int
integer_value(struct parser *p, const char *at, const char *q, const char *end,
	      int base, bool neg, int64_t *out)
{
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t v = 0;
	uint64_t b = (uint64_t)base;

	for (; q < end; q++) {
		uint64_t d;

		if (*q == '_')
			continue;
		d = (uint64_t)hex_value(*q);
		if (v > (limit - d) / b)
			return parser_fail(
			    p, at, "integer out of range (64-bit signed)");
		v = v * b + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

static int fail_no_value(struct parser *p, const char *at);

/* An integer or float at p->p (sign, digits, inf, nan) into V. */
static int
parse_number(struct parser *p, struct toml_value *v)
{
	const char *at = p->p, *q = p->p, *digits;
	bool neg = false, is_float = false;

	if (*q == '+' || *q == '-') {
		neg = *q == '-';
		q++;
	}
	if (q < p->end && (*q == 'i' || *q == 'n')) {
		if ((size_t)(p->end - q) >= 3 && memcmp(q, "inf", 3) == 0) {
			v->u.f = neg ? -HUGE_VAL : HUGE_VAL;
		} else if ((size_t)(p->end - q) >= 3 &&
			   memcmp(q, "nan", 3) == 0) {
			v->u.f = neg ? -NAN : NAN;
		} else {
			return fail_no_value(p, at);
		}
		v->type = TOML_FLOAT;
		q += 3;
		p->p = q;
		return check_value_end(p, q, "float");
	}
	if (p->end - q >= 2 && q[0] == '0' &&
	    (q[1] == 'x' || q[1] == 'o' || q[1] == 'b')) {
		int base = q[1] == 'x' ? 16 : q[1] == 'o' ? 8 : 2;

		if (q != at)
			return parser_fail(
			    p, at,
			    "a sign is not allowed on hexadecimal, octal or "
			    "binary integers");
		q += 2;
		digits = q;
		if (scan_digits(p, &q, base,
				base == 16  ? " after 0x"
				: base == 8 ? " after 0o"
					    : " after 0b") < 0)
			return -1;
		if (check_value_end(p, q, "integer") < 0)
			return -1;
		v->type = TOML_INTEGER;
		p->p = q;
		return integer_value(p, at, digits, q, base, false, &v->u.i);
	}
	digits = q;
	if (q < p->end && *q == '0' && q + 1 < p->end &&
	    (is_digit(q[1]) || q[1] == '_'))
		return parser_fail(p, q, "leading zeros are not allowed");
	if (scan_digits(p, &q, 10, "") < 0)
		return -1;
	if (q < p->end && *q == '.') {
		is_float = true;
		q++;
		if (scan_digits(p, &q, 10, " after '.'") < 0)
			return -1;
	}
	if (q < p->end && (*q == 'e' || *q == 'E')) {
		is_float = true;
		q++;
		if (q < p->end && (*q == '+' || *q == '-'))
			q++;
		if (scan_digits(p, &q, 10, " in the exponent") < 0)
			return -1;
	}
	if (check_value_end(p, q, is_float ? "float" : "integer") < 0)
		return -1;
	p->p = q;
	if (!is_float) {
		v->type = TOML_INTEGER;
		return integer_value(p, at, digits, q, 10, neg, &v->u.i);
	}
	v->type = TOML_FLOAT;
	p->sbuf.len = 0;
	for (digits = at; digits < q; digits++)
		if (*digits != '_' && strbuf_add(&p->sbuf, digits, 1) < 0)
			return parser_nomem(p);
	/* strtod() reads the C locale's '.': porty never calls setlocale */
	errno = 0;
	v->u.f = strtod(p->sbuf.ptr, NULL);
	if (errno == ERANGE && isinf(v->u.f))
		return parser_fail(p, at, "float out of range (64-bit)");
	return 0;
}

/* Exactly N digits at *QP into *OUT, advancing *QP. */
static int
scan_fixed(struct parser *p, const char **qp, int n, int *out, const char *what)
{
	const char *q = *qp;
	char found[32];
	int i, v = 0;

	for (i = 0; i < n; i++, q++) {
		if (q >= p->end || !is_digit(*q))
			return parser_fail(
			    p, q, "expected %d digits for the %s, found %s", n,
			    what, parser_found(p, q, found, sizeof(found)));
		v = v * 10 + (*q - '0');
	}
	*qp = q;
	*out = v;
	return 0;
}

/* Expect the separator SEP at *QP. */
static int
scan_sep(struct parser *p, const char **qp, char sep, const char *what)
{
	char found[32];

	if (*qp >= p->end || **qp != sep)
		return parser_fail(p, *qp, "expected '%c' %s, found %s", sep,
				   what,
				   parser_found(p, *qp, found, sizeof(found)));
	(*qp)++;
	return 0;
}

static int
days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};

	if (month == 2 &&
	    (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return 29;
	return days[month - 1];
}

/* HH:MM:SS[.fraction] at *QP into DT. */
static int
scan_time(struct parser *p, const char **qp, struct toml_datetime *dt)
{
	const char *q = *qp, *at = q;
	int digits = 0;

	if (scan_fixed(p, &q, 2, &dt->hour, "hour") < 0 ||
	    scan_sep(p, &q, ':', "after the hour") < 0 ||
	    scan_fixed(p, &q, 2, &dt->minute, "minute") < 0 ||
	    scan_sep(p, &q, ':', "after the minute (seconds are required)") <
		0 ||
	    scan_fixed(p, &q, 2, &dt->second, "second") < 0)
		return -1;
	if (dt->hour > 23)
		return parser_fail(p, at, "hour %02d out of range (00-23)",
				   dt->hour);
	if (dt->minute > 59)
		return parser_fail(
		    p, at + 3, "minute %02d out of range (00-59)", dt->minute);
	if (dt->second > 60)
		return parser_fail(
		    p, at + 6, "second %02d out of range (00-60)", dt->second);
	if (q < p->end && *q == '.') {
		q++;
		if (q >= p->end || !is_digit(*q))
			return parser_fail(
			    p, q, "expected a digit after '.' in the time");
		for (; q < p->end && is_digit(*q); q++) {
			/* digits past nanoseconds are dropped */
			if (digits < 9) {
				dt->nanosecond =
				    dt->nanosecond * 10 + (*q - '0');
				digits++;
			}
		}
		dt->frac_digits = digits;
		for (; digits < 9; digits++)
			dt->nanosecond *= 10;
	}
	*qp = q;
	return 0;
}

/* A date, date-time or time at p->p into V. */
static int
parse_datetime(struct parser *p, struct toml_value *v)
{
	struct toml_datetime *dt = &v->u.dt;
	const char *q = p->p, *at = p->p;
	int oh = 0, om = 0;

	if (q + 2 < p->end && q[2] == ':') {
		if (scan_time(p, &q, dt) < 0)
			return -1;
		v->type = TOML_TIME_LOCAL;
		p->p = q;
		return check_value_end(p, q, "time");
	}
	if (scan_fixed(p, &q, 4, &dt->year, "year") < 0 ||
	    scan_sep(p, &q, '-', "after the year") < 0 ||
	    scan_fixed(p, &q, 2, &dt->month, "month") < 0 ||
	    scan_sep(p, &q, '-', "after the month") < 0 ||
	    scan_fixed(p, &q, 2, &dt->day, "day") < 0)
		return -1;
	if (dt->month < 1 || dt->month > 12)
		return parser_fail(p, at + 5, "month %02d out of range (01-12)",
				   dt->month);
	if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
		return parser_fail(p, at + 8,
				   "day %02d out of range for %04d-%02d",
				   dt->day, dt->year, dt->month);
	v->type = TOML_DATE_LOCAL;
	if (q < p->end && (*q == 'T' || *q == 't' ||
			   (*q == ' ' && q + 1 < p->end && is_digit(q[1])))) {
		q++;
		if (scan_time(p, &q, dt) < 0)
			return -1;
		v->type = TOML_DATETIME_LOCAL;
		if (q < p->end && (*q == 'Z' || *q == 'z')) {
			q++;
			v->type = TOML_DATETIME;
			dt->offset_z = true;
		} else if (q < p->end && (*q == '+' || *q == '-')) {
			const char *off = q++;

			if (scan_fixed(p, &q, 2, &oh, "offset hour") < 0 ||
			    scan_sep(p, &q, ':', "in the offset") < 0 ||
			    scan_fixed(p, &q, 2, &om, "offset minute") < 0)
				return -1;
			if (oh > 23 || om > 59)
				return parser_fail(
				    p, off, "offset %.6s out of range", off);
			dt->offset_minutes =
			    (oh * 60 + om) * (*off == '-' ? -1 : 1);
			v->type = TOML_DATETIME;
		}
	}
	p->p = q;
	return check_value_end(p, q, "date-time");
}

/* ------------------------------------------------------------------ */
/* compound values                                                     */

static struct toml_value *parse_value(struct parser *p, unsigned depth);
static int parse_keyval(struct parser *p, struct toml_value *t);

/* An array at p->p ('[') at nesting DEPTH, or NULL. */
static struct toml_value *
parse_array(struct parser *p, unsigned depth)
{
	struct toml_value *a, *e;
	char found[32];

	a = value_new(p, TOML_ARRAY, p->p);
	if (a == NULL || container_check(p, a, 0, depth) < 0)
		return NULL;
	p->p++;
	for (;;) {
		skip_ws_nl(p);
		if (p->p < p->end && *p->p == ']')
			break;
		e = parse_value(p, depth + 1);
		if (e == NULL)
			goto fail;
		if (array_push(p, a, e) < 0) {
			toml_free(e);
			goto fail;
		}
		skip_ws_nl(p);
		if (p->p < p->end && *p->p == ',') {
			p->p++;
			continue;
		}
		if (p->p < p->end && *p->p == ']')
			break;
		parser_fail(
		    p, p->p,
		    "expected ',' or ']' after an array element, found %s",
		    parser_found(p, p->p, found, sizeof(found)));
		goto fail;
	}
	p->p++;
	return a;
fail:
	toml_free(a);
	return NULL;
}

/* An inline table at p->p ('{') at nesting DEPTH, or NULL. */
static struct toml_value *
parse_inline_table(struct parser *p, unsigned depth)
{
	struct toml_value *t;
	char found[32];

	t = value_new(p, TOML_TABLE, p->p);
	if (t == NULL || container_check(p, t, 0, depth) < 0)
		return NULL;
	p->p++;
	skip_ws(p);
	if (p->p < p->end && *p->p == '}')
		goto done;
	for (;;) {
		skip_ws(p);
		if (p->p < p->end && *p->p == '}') {
			parser_fail(p, p->p,
				    "trailing comma not allowed in "
				    "an inline table");
			goto fail;
		}
		if (p->p < p->end && (*p->p == '\n' || *p->p == '\r')) {
			parser_fail(p, p->p,
				    "expected a key, found end of "
				    "line (an inline table must be "
				    "on one line)");
			goto fail;
		}
		if (parse_keyval(p, t) < 0)
			goto fail;
		skip_ws(p);
		if (p->p < p->end && *p->p == ',') {
			p->p++;
			continue;
		}
		if (p->p < p->end && *p->p == '}')
			break;
		parser_fail(
		    p, p->p,
		    "expected ',' or '}' after a key/value pair in an inline "
		    "table, found %s",
		    parser_found(p, p->p, found, sizeof(found)));
		goto fail;
	}
done:
	p->p++;
	/* sealed: its sub-tables are reachable only through it */
	t->flags |= TOML_F_INLINE;
	return t;
fail:
	toml_free(t);
	return NULL;
}

/* The word at AT for "found ..." when no value could start there. */
static int
fail_no_value(struct parser *p, const char *at)
{
	char found[32];
	const char *q = at;

	while (q < p->end && q - at < 24 && is_number_tail(*q))
		q++;
	if (q - at > 1)
		return parser_fail(p, at, "expected a value, found '%.*s'%s",
				   (int)(q - at), at,
				   (*at >= 'a' && *at <= 'z') ||
					   (*at >= 'A' && *at <= 'Z')
				       ? " (strings must be quoted)"
				       : "");
	return parser_fail(p, at, "expected a value, found %s",
			   parser_found(p, at, found, sizeof(found)));
}

/* The value at p->p, at nesting DEPTH if it is an array or table. */
static struct toml_value *
parse_value(struct parser *p, unsigned depth)
{
	struct toml_value *v;
	const char *at = p->p;
	char c;
	int rc;

	if (at >= p->end) {
		fail_no_value(p, at);
		return NULL;
	}
	c = *at;
	if (c == '[')
		return parse_array(p, depth);
	if (c == '{')
		return parse_inline_table(p, depth);
	v = value_new(p, TOML_BOOL, at);
	if (v == NULL)
		return NULL;
	if (c == '"' || c == '\'') {
		v->type = TOML_STRING;
		p->sbuf.len = 0;
		if (looking_at(p, "\"\"\"", 3) || looking_at(p, "'''", 3))
			rc = parse_ml_string(p, &p->sbuf);
		else
			rc = parse_line_string(p, &p->sbuf);
		if (rc == 0) {
			v->u.s.len = p->sbuf.len;
			v->u.s.ptr = memdup0(p->sbuf.ptr, p->sbuf.len);
			if (v->u.s.ptr == NULL)
				rc = parser_nomem(p);
		}
	} else if (looking_at(p, "true", 4)) {
		v->u.b = true;
		p->p += 4;
		rc = check_value_end(p, p->p, "boolean");
	} else if (looking_at(p, "false", 5)) {
		v->u.b = false;
		p->p += 5;
		rc = check_value_end(p, p->p, "boolean");
	} else if (p->end - at >= 3 && is_digit(at[0]) && is_digit(at[1]) &&
		   (at[2] == ':' || (p->end - at >= 5 && is_digit(at[2]) &&
				     is_digit(at[3]) && at[4] == '-'))) {
		rc = parse_datetime(p, v);
	} else if (is_digit(c) || c == '+' || c == '-' || c == 'i' ||
		   c == 'n') {
		rc = parse_number(p, v);
	} else {
		rc = fail_no_value(p, at);
	}
	if (rc < 0) {
		toml_free(v);
		return NULL;
	}
	return v;
}

/* ------------------------------------------------------------------ */
/* key = value and [headers]: where tables may be defined or extended */

/* "an integer", "a table", ... for messages about V. */
static const char *
kind_phrase(const struct toml_value *v)
{
	if (v == NULL)
		return "a value";
	switch (v->type) {
	case TOML_TABLE:
		return v->flags & TOML_F_INLINE ? "an inline table" : "a table";
	case TOML_ARRAY:
		return v->flags & TOML_F_AOT ? "an array of tables"
					     : "an array";
	case TOML_STRING:
		return "a string";
	case TOML_INTEGER:
		return "an integer";
	case TOML_FLOAT:
		return "a float";
	case TOML_BOOL:
		return "a boolean";
	case TOML_DATETIME:
		return "an offset date-time";
	case TOML_DATETIME_LOCAL:
		return "a local date-time";
	case TOML_DATE_LOCAL:
		return "a local date";
	case TOML_TIME_LOCAL:
		return "a local time";
	}
	return "a value";
}

/*
 * Walk parts [0, nkeys - 1) of a dotted key from table T, creating tables
 * that are missing. Dotted keys may not add to inline tables or to tables
 * defined by a header, nor descend into arrays. Returns the table for the
 * last part, or NULL.
 */
static struct toml_value *
walk_dotted(struct parser *p, struct toml_value *t)
{
	char name[160];
	size_t i;

	for (i = 0; i + 1 < p->nkeys; i++) {
		const struct keypart *k = &p->keys[i];
		struct toml_kv *kv;
		struct toml_value *v;

		kv = table_find(p, t, p->keybuf.ptr + k->off, k->len);
		if (kv == NULL) {
			v = container_new(p, TOML_TABLE, TOML_F_DOTTED,
					  value_depth(t) + 1, k->line, k->col);
			if (v == NULL || table_add(p, t, k, v) == NULL)
				return NULL;
			t = v;
			continue;
		}
		v = kv->value;
		parser_keyname(p, i + 1, name, sizeof(name));
		if (v->type != TOML_TABLE) {
			parser_fail_at(
			    p, k->line, k->col,
			    "key \"%s\" is already %s (defined at %d:%d), "
			    "not a table",
			    name, kind_phrase(v), kv->line, kv->col);
			return NULL;
		}
		if (v->flags & TOML_F_INLINE) {
			parser_fail_at(
			    p, k->line, k->col,
			    "cannot add keys to inline table \"%s\" (defined "
			    "at %d:%d): inline tables are complete",
			    name, v->line, v->col);
			return NULL;
		}
		if (v->flags & TOML_F_HEADER) {
			parser_fail_at(
			    p, k->line, k->col,
			    "cannot add keys to table \"%s\" with dotted keys: "
			    "it is defined by a header at %d:%d",
			    name, v->line, v->col);
			return NULL;
		}
		if (v->flags & TOML_F_IMPLICIT) {
			/* a parent named by [a.b.c]: now defined here */
			v->flags = (v->flags & ~TOML_F_KINDS) | TOML_F_DOTTED;
			v->line = kv->line = k->line;
			v->col = kv->col = k->col;
		}
		t = v;
	}
	return t;
}

/* key = value at p->p into table T (the current table or an inline one). */
static int
parse_keyval(struct parser *p, struct toml_value *t)
{
	struct toml_value *target, *v;
	const struct keypart *k;
	struct toml_kv *kv;
	char name[160], found[32];
	size_t idx;

	if (parse_key(p) < 0)
		return -1;
	if (p->p >= p->end || *p->p != '=')
		return parser_fail(
		    p, p->p,
		    "expected '=' after key \"%s\", "
		    "found %s",
		    parser_keyname(p, p->nkeys, name, sizeof(name)),
		    parser_found(p, p->p, found, sizeof(found)));
	p->p++;
	skip_ws(p);
	target = walk_dotted(p, t);
	if (target == NULL)
		return -1;
	k = &p->keys[p->nkeys - 1];
	kv = table_find(p, target, p->keybuf.ptr + k->off, k->len);
	if (kv != NULL)
		return parser_fail_at(
		    p, k->line, k->col,
		    "duplicate key \"%s\" (first defined at %d:%d)",
		    parser_keyname(p, p->nkeys, name, sizeof(name)), kv->line,
		    kv->col);
	/* the value may be an inline table, which reuses p->keys: add the
	 * key first and fill in the value after */
	kv = table_add(p, target, k, NULL);
	if (kv == NULL)
		return -1;
	idx = (size_t)(kv - target->u.table.items);
	v = parse_value(p, value_depth(target) + 1);
	if (v == NULL)
		return -1;
	target->u.table.items[idx].value = v;
	return 0;
}

/*
 * Walk parts [0, nkeys - 1) of a header's key from the root, creating
 * implicit tables. Headers may pass through tables defined any way except
 * inline, and through an array of tables to its last element.
 */
static struct toml_value *
walk_header(struct parser *p, int line, int col)
{
	struct toml_value *t = p->root;
	char name[160];
	size_t i;

	for (i = 0; i + 1 < p->nkeys; i++) {
		const struct keypart *k = &p->keys[i];
		struct toml_kv *kv;
		struct toml_value *v;

		kv = table_find(p, t, p->keybuf.ptr + k->off, k->len);
		if (kv == NULL) {
			v = container_new(p, TOML_TABLE, TOML_F_IMPLICIT,
					  value_depth(t) + 1, line, col);
			if (v == NULL || table_add(p, t, k, v) == NULL)
				return NULL;
			t = v;
			continue;
		}
		v = kv->value;
		if (v->type == TOML_ARRAY && (v->flags & TOML_F_AOT)) {
			t = v->u.array.items[v->u.array.len - 1];
			continue;
		}
		parser_keyname(p, i + 1, name, sizeof(name));
		if (v->type != TOML_TABLE) {
			parser_fail_at(
			    p, k->line, k->col,
			    "key \"%s\" is already %s (defined at %d:%d), "
			    "not a table",
			    name, kind_phrase(v), kv->line, kv->col);
			return NULL;
		}
		if (v->flags & TOML_F_INLINE) {
			parser_fail_at(
			    p, k->line, k->col,
			    "cannot add to inline table \"%s\" (defined at "
			    "%d:%d): inline tables are complete",
			    name, v->line, v->col);
			return NULL;
		}
		t = v;
	}
	return t;
}

/* [table] or [[array of tables]] at p->p: makes it the current table. */
static int
parse_header(struct parser *p)
{
	const char *at = p->p;
	bool aot = p->end - at >= 2 && at[1] == '[';
	struct toml_value *t, *v, *a;
	const struct keypart *k;
	struct toml_kv *kv;
	char name[160], found[32];
	int line, col;

	/* before the key parts: parser_locate() is cheap only going forward */
	parser_locate(p, at, &line, &col);
	p->p += aot ? 2 : 1;
	skip_ws(p);
	if (parse_key(p) < 0)
		return -1;
	if (aot ? !looking_at(p, "]]", 2) : !looking_at(p, "]", 1))
		return parser_fail(
		    p, p->p, "expected '%s' after table name \"%s\", found %s",
		    aot ? "]]" : "]",
		    parser_keyname(p, p->nkeys, name, sizeof(name)),
		    parser_found(p, p->p, found, sizeof(found)));
	p->p += aot ? 2 : 1;
	t = walk_header(p, line, col);
	if (t == NULL)
		return -1;
	k = &p->keys[p->nkeys - 1];
	parser_keyname(p, p->nkeys, name, sizeof(name));
	kv = table_find(p, t, p->keybuf.ptr + k->off, k->len);
	if (kv == NULL) {
		v = container_new(p, aot ? TOML_ARRAY : TOML_TABLE,
				  aot ? TOML_F_AOT : TOML_F_HEADER,
				  value_depth(t) + 1, line, col);
		if (v == NULL || table_add(p, t, k, v) == NULL)
			return -1;
		if (!aot) {
			p->cur = v;
			return 0;
		}
		a = v;
	} else {
		v = kv->value;
		if (aot) {
			if (v->type != TOML_ARRAY || !(v->flags & TOML_F_AOT))
				return parser_fail_at(
				    p, k->line, k->col,
				    "cannot define array of tables [[%s]]: "
				    "key \"%s\" is already %s (defined at "
				    "%d:%d)",
				    name, name, kind_phrase(v), kv->line,
				    kv->col);
			a = v;
		} else if (v->type == TOML_TABLE &&
			   (v->flags & TOML_F_IMPLICIT)) {
			/* named before as a parent: defined here */
			v->flags = (v->flags & ~TOML_F_KINDS) | TOML_F_HEADER;
			v->line = line;
			v->col = col;
			kv->line = k->line;
			kv->col = k->col;
			p->cur = v;
			return 0;
		} else if (v->type == TOML_TABLE &&
			   (v->flags & TOML_F_HEADER)) {
			return parser_fail_at(
			    p, k->line, k->col,
			    "table [%s] is defined twice (first at %d:%d)",
			    name, v->line, v->col);
		} else if (v->type == TOML_TABLE &&
			   (v->flags & TOML_F_DOTTED)) {
			return parser_fail_at(
			    p, k->line, k->col,
			    "cannot define table [%s]: it is already defined "
			    "by dotted keys at %d:%d",
			    name, kv->line, kv->col);
		} else {
			return parser_fail_at(
			    p, k->line, k->col,
			    "cannot define table [%s]: key \"%s\" is already "
			    "%s (defined at %d:%d)",
			    name, name, kind_phrase(v), kv->line, kv->col);
		}
	}
	/* [[a]]: a new table at the end of array a */
	v = container_new(p, TOML_TABLE, TOML_F_HEADER, value_depth(a) + 1,
			  line, col);
	if (v == NULL)
		return -1;
	if (array_push(p, a, v) < 0) {
		toml_free(v);
		return -1;
	}
	p->cur = v;
	return 0;
}

/* The whole document: lines of key = value, [header], comments. */
static int
parse_document(struct parser *p)
{
	char found[32];
	const char *what;

	while (p->p < p->end) {
		skip_ws(p);
		if (p->p >= p->end)
			break;
		what = NULL;
		if (*p->p == '[') {
			if (parse_header(p) < 0)
				return -1;
			what = "the table header";
		} else if (*p->p != '#' && *p->p != '\n' && *p->p != '\r') {
			if (parse_keyval(p, p->cur) < 0)
				return -1;
			what = "the value";
		}
		skip_ws(p);
		skip_comment(p);
		if (p->p < p->end && !skip_newline(p))
			return parser_fail(
			    p, p->p, "expected end of line after %s, found %s",
			    what ? what : "the comment",
			    parser_found(p, p->p, found, sizeof(found)));
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* public functions                                                    */

/*
 * Parse LEN bytes of TEXT (a leading UTF-8 BOM is skipped). The caller owns
 * the returned root table; TEXT is not referenced afterwards. On failure
 * nothing is left allocated, ERRBUF (if ERRLEN > 0) holds the first error
 * as "LINE:COL: message", and *LINE / *COL are set when not NULL.
 */
struct toml_value *
toml_parse(const char *text, size_t len, char *errbuf, size_t errlen, int *line,
	   int *col)
{
	struct parser p;
	struct toml_value *root = NULL;

	memset(&p, 0, sizeof(p));
	if (text == NULL)
		text = "";
	p.text = text;
	p.end = text + len;
	p.errbuf = errbuf;
	p.errlen = errlen;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	/* a UTF-8 byte order mark is not part of the document */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		p.text += 3;
	p.p = p.text;
	p.pos_at = p.text;
	p.pos_line = 1;
	p.pos_col = 1;
	if (len > INT_MAX) {
		parser_fail_at(&p, 1, 1, "document too large (%zu bytes)", len);
		goto out;
	}
	if (parser_check_text(&p) < 0)
		goto out;
	p.root = container_new(&p, TOML_TABLE, TOML_F_HEADER, 0, 1, 1);
	if (p.root == NULL)
		goto out;
	p.cur = p.root;
	if (parse_document(&p) < 0)
		goto out;
	root = p.root;
	p.root = NULL;
out:
	if (p.failed) {
		if (line != NULL)
			*line = p.err_line;
		if (col != NULL)
			*col = p.err_col;
	}
	toml_free(p.root);
	free(p.keybuf.ptr);
	free(p.keys);
	free(p.slots);
	free(p.sbuf.ptr);
	return root;
}

/*
 * Linear search of T's items for KEY (compared as NUL-terminated, so keys
 * holding NUL bytes are not found). The result is borrowed from T.
 */
const struct toml_value *
toml_table_get(const struct toml_value *t, const char *key)
{
	size_t i, len = strlen(key);

	for (i = 0; i < t->u.table.len; i++) {
		const struct toml_kv *kv = &t->u.table.items[i];

		if (kv->keylen == len && memcmp(kv->key, key, len) == 0)
			return kv->value;
	}
	return NULL;
}

/* A static string naming TYPE as toml-test's tagged JSON does. */
const char *
toml_type_name(enum toml_type type)
{
	switch (type) {
	case TOML_TABLE:
		return "table";
	case TOML_ARRAY:
		return "array";
	case TOML_STRING:
		return "string";
	case TOML_INTEGER:
		return "integer";
	case TOML_FLOAT:
		return "float";
	case TOML_BOOL:
		return "bool";
	case TOML_DATETIME:
		return "datetime";
	case TOML_DATETIME_LOCAL:
		return "datetime-local";
	case TOML_DATE_LOCAL:
		return "date-local";
	case TOML_TIME_LOCAL:
		return "time-local";
	}
	return "unknown";
}
