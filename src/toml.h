/* SPDX-License-Identifier: MIT */
/* TOML 1.0 parser: text to a tree of values, each with its line and column. */
#ifndef PORTY_TOML_H
#define PORTY_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum toml_type {
	TOML_TABLE = 0,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,       /* offset date-time */
	TOML_DATETIME_LOCAL, /* local date-time */
	TOML_DATE_LOCAL,
	TOML_TIME_LOCAL,
};

struct toml_datetime {
	int year, month, day;       /* unused for TOML_TIME_LOCAL */
	int hour, minute, second;   /* unused for TOML_DATE_LOCAL */
	long nanosecond;            /* 0..999999999 */
	int frac_digits;            /* digits written after the '.', 0 if none
	                               (at most 9: later digits are dropped) */
	bool offset_z;              /* TOML_DATETIME: written as Z */
	int offset_minutes;         /* TOML_DATETIME: offset east of UTC */
};

struct toml_value;

/* One key = value pair of a table, in the order it appears in the document. */
struct toml_kv {
	char *key;                  /* owned, NUL-terminated (may hold NUL: see keylen) */
	size_t keylen;
	int line, col;              /* where the key was (last part of a dotted key) */
	struct toml_value *value;   /* owned */
};

struct toml_value {
	enum toml_type type;
	int line, col;              /* where the value starts; for tables, the header */
	unsigned flags;             /* private to toml.c (how a table was defined) */
	union {
		struct {
			char *ptr;  /* owned, NUL-terminated; may hold NUL bytes */
			size_t len;
		} s;
		int64_t i;
		double f;
		bool b;
		struct toml_datetime dt;
		struct {
			struct toml_kv *items; /* owned */
			size_t len, cap;
		} table;
		struct {
			struct toml_value **items; /* owned */
			size_t len, cap;
		} array;
	} u;
};

/*
 * Parse a whole TOML document of LEN bytes (need not be NUL-terminated).
 * Returns the root table, owned by the caller (free with toml_free()), or
 * NULL on error: then ERRBUF holds "LINE:COL: message" (1-based line and
 * column of the offending byte) and *LINE / *COL (if not NULL) are set.
 * Columns count characters, not bytes. Tables and arrays nest at most 128
 * levels deep.
 */
struct toml_value *toml_parse(const char *text, size_t len, char *errbuf,
    size_t errlen, int *line, int *col);

/* Free a tree returned by toml_parse(). NULL is fine. */
void toml_free(struct toml_value *v);

/* The value of KEY in table T, or NULL. T must be a TOML_TABLE. */
const struct toml_value *toml_table_get(const struct toml_value *t,
    const char *key);

/* "string", "integer", ... as toml-test names the types ("table", "array"). */
const char *toml_type_name(enum toml_type type);

#endif /* PORTY_TOML_H */
