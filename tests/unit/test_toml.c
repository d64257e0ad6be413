/* SPDX-License-Identifier: MIT */
/* Unit tests of toml.c: values, table order, positions and error messages. */
#include "auto-config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "toml.h"

/* Parse S (NUL-terminated) and fail the test with the message on error. */
static struct toml_value *
parse_ok(const char *s)
{
	char err[256] = "";
	struct toml_value *root;

	root = toml_parse(s, strlen(s), err, sizeof(err), NULL, NULL);
	ck_assert_msg(root != NULL, "parse failed: %s\n--\n%s", err, s);
	return root;
}

/*
 * The value at PATH ("a.b.c", no quoting) below table T, or NULL. A part
 * "[N]" indexes an array.
 */
static const struct toml_value *
lookup(const struct toml_value *t, const char *path)
{
	char buf[128], *part, *save = NULL;

	ck_assert_uint_lt(strlen(path), sizeof(buf));
	strcpy(buf, path);
	for (part = strtok_r(buf, ".", &save); part != NULL && t != NULL;
	     part = strtok_r(NULL, ".", &save)) {
		if (part[0] == '[') {
			size_t i = strtoul(part + 1, NULL, 10);

			if (t->type != TOML_ARRAY || i >= t->u.array.len)
				return NULL;
			t = t->u.array.items[i];
		} else {
			if (t->type != TOML_TABLE)
				return NULL;
			t = toml_table_get(t, part);
		}
	}
	return t;
}

/* ------------------------------------------------------------------ */
/* values of each type                                                 */

static const struct value_case {
	const char *toml; /* defines key v */
	enum toml_type type;
	const char *s; /* TOML_STRING: expected bytes (slen of them) */
	size_t slen;
	int64_t i;
	double f;
	bool nan;
	bool b;
	struct toml_datetime dt;
} value_cases[] = {
    {.toml = "v = \"plain\"", .type = TOML_STRING, .s = "plain", .slen = 5},
    {.toml = "v = \"t\\tq\\\"b\\\\ \\b\\f\\n\\r\"",
     .type = TOML_STRING,
     .s = "t\tq\"b\\ \b\f\n\r",
     .slen = 11},
    {.toml = "v = \"\\u00e9\\U0001F600\\u20AC\"",
     .type = TOML_STRING,
     .s = "\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac",
     .slen = 9},
    {.toml = "v = \"a\\u0000b\"", .type = TOML_STRING, .s = "a\0b", .slen = 3},
    {.toml = "v = 'C:\\path\\n \"q\"'",
     .type = TOML_STRING,
     .s = "C:\\path\\n \"q\"",
     .slen = 13},
    {.toml = "v = \"\"", .type = TOML_STRING, .s = "", .slen = 0},
    {.toml = "v = \"\"\"\nline1\n  line2\"\"\"",
     .type = TOML_STRING,
     .s = "line1\n  line2",
     .slen = 13},
    {.toml = "v = \"\"\"a \\\n\n    b\\   \n c\"\"\"",
     .type = TOML_STRING,
     .s = "a bc",
     .slen = 4},
    {.toml = "v = \"\"\"\"x\"\"\"\"\"",
     .type = TOML_STRING,
     .s = "\"x\"\"",
     .slen = 4},
    {.toml = "v = \"\"\"a\r\nb\"\"\"",
     .type = TOML_STRING,
     .s = "a\nb",
     .slen = 3},
    {.toml = "v = '''\nraw \\n ''x'''",
     .type = TOML_STRING,
     .s = "raw \\n ''x",
     .slen = 10},
    {.toml = "v = 0", .type = TOML_INTEGER, .i = 0},
    {.toml = "v = +99", .type = TOML_INTEGER, .i = 99},
    {.toml = "v = -17", .type = TOML_INTEGER, .i = -17},
    {.toml = "v = 1_000_000", .type = TOML_INTEGER, .i = 1000000},
    {.toml = "v = 0xDEAD_beef", .type = TOML_INTEGER, .i = 0xdeadbeef},
    {.toml = "v = 0o755", .type = TOML_INTEGER, .i = 0755},
    {.toml = "v = 0b1101", .type = TOML_INTEGER, .i = 13},
    {.toml = "v = 9223372036854775807", .type = TOML_INTEGER, .i = INT64_MAX},
    {.toml = "v = -9223372036854775808", .type = TOML_INTEGER, .i = INT64_MIN},
    {.toml = "v = 0x7fffffffffffffff", .type = TOML_INTEGER, .i = INT64_MAX},
    {.toml = "v = 3.14", .type = TOML_FLOAT, .f = 3.14},
    {.toml = "v = -0.01", .type = TOML_FLOAT, .f = -0.01},
    {.toml = "v = 5e+22", .type = TOML_FLOAT, .f = 5e+22},
    {.toml = "v = 1e06", .type = TOML_FLOAT, .f = 1e6},
    {.toml = "v = -2E-2", .type = TOML_FLOAT, .f = -2e-2},
    {.toml = "v = 6.626e-34", .type = TOML_FLOAT, .f = 6.626e-34},
    {.toml = "v = 224_617.445_991", .type = TOML_FLOAT, .f = 224617.445991},
    {.toml = "v = 0e0", .type = TOML_FLOAT, .f = 0.0},
    {.toml = "v = inf", .type = TOML_FLOAT, .f = HUGE_VAL},
    {.toml = "v = +inf", .type = TOML_FLOAT, .f = HUGE_VAL},
    {.toml = "v = -inf", .type = TOML_FLOAT, .f = -HUGE_VAL},
    {.toml = "v = nan", .type = TOML_FLOAT, .nan = true},
    {.toml = "v = -nan", .type = TOML_FLOAT, .nan = true},
    {.toml = "v = true", .type = TOML_BOOL, .b = true},
    {.toml = "v = false # no", .type = TOML_BOOL, .b = false},
    {.toml = "v = 1979-05-27T07:32:00Z",
     .type = TOML_DATETIME,
     .dt = {.year = 1979,
	    .month = 5,
	    .day = 27,
	    .hour = 7,
	    .minute = 32,
	    .offset_z = true}},
    {.toml = "v = 1979-05-27t07:32:00z",
     .type = TOML_DATETIME,
     .dt = {.year = 1979,
	    .month = 5,
	    .day = 27,
	    .hour = 7,
	    .minute = 32,
	    .offset_z = true}},
    {.toml = "v = 1979-05-27T00:32:00.999999-07:00",
     .type = TOML_DATETIME,
     .dt = {.year = 1979,
	    .month = 5,
	    .day = 27,
	    .minute = 32,
	    .nanosecond = 999999000,
	    .frac_digits = 6,
	    .offset_minutes = -420}},
    {.toml = "v = 1979-05-27 07:32:00+05:30",
     .type = TOML_DATETIME,
     .dt = {.year = 1979,
	    .month = 5,
	    .day = 27,
	    .hour = 7,
	    .minute = 32,
	    .offset_minutes = 330}},
    {.toml = "v = 2000-12-31T23:59:60.1234567891234",
     .type = TOML_DATETIME_LOCAL,
     .dt = {.year = 2000,
	    .month = 12,
	    .day = 31,
	    .hour = 23,
	    .minute = 59,
	    .second = 60,
	    .nanosecond = 123456789,
	    .frac_digits = 9}},
    {.toml = "v = 1979-05-27",
     .type = TOML_DATE_LOCAL,
     .dt = {.year = 1979, .month = 5, .day = 27}},
    {.toml = "v = 2000-02-29 # leap year",
     .type = TOML_DATE_LOCAL,
     .dt = {.year = 2000, .month = 2, .day = 29}},
    {.toml = "v = 07:32:00.5",
     .type = TOML_TIME_LOCAL,
     .dt =
	 {.hour = 7, .minute = 32, .nanosecond = 500000000, .frac_digits = 1}},
};

/* Each scalar type parses to the right type and value through the API. */
START_TEST(test_toml_value_table)
{
	const struct value_case *c = &value_cases[_i];
	struct toml_value *root = parse_ok(c->toml);
	const struct toml_value *v = toml_table_get(root, "v");

	ck_assert_ptr_nonnull(v);
	ck_assert_msg(v->type == c->type, "%s: type %s, expected %s", c->toml,
		      toml_type_name(v->type), toml_type_name(c->type));
	switch (c->type) {
	case TOML_STRING:
		ck_assert_uint_eq(v->u.s.len, c->slen);
		ck_assert_mem_eq(v->u.s.ptr, c->s, c->slen);
		ck_assert_int_eq(v->u.s.ptr[v->u.s.len], '\0');
		break;
	case TOML_INTEGER:
		ck_assert_int_eq(v->u.i, c->i);
		break;
	case TOML_FLOAT:
		if (c->nan)
			ck_assert(isnan(v->u.f));
		else
			ck_assert_msg(v->u.f == c->f, "%s: got %.17g", c->toml,
				      v->u.f);
		break;
	case TOML_BOOL:
		ck_assert_int_eq(v->u.b, c->b);
		break;
	default: {
		const struct toml_datetime *a = &v->u.dt, *e = &c->dt;

		ck_assert_int_eq(a->year, e->year);
		ck_assert_int_eq(a->month, e->month);
		ck_assert_int_eq(a->day, e->day);
		ck_assert_int_eq(a->hour, e->hour);
		ck_assert_int_eq(a->minute, e->minute);
		ck_assert_int_eq(a->second, e->second);
		ck_assert_int_eq(a->nanosecond, e->nanosecond);
		ck_assert_int_eq(a->frac_digits, e->frac_digits);
		ck_assert_int_eq(a->offset_z, e->offset_z);
		ck_assert_int_eq(a->offset_minutes, e->offset_minutes);
		break;
	}
	}
	toml_free(root);
}
END_TEST

/* toml_type_name() spells the types as toml-test does. */
START_TEST(test_toml_type_names)
{
	ck_assert_str_eq(toml_type_name(TOML_TABLE), "table");
	ck_assert_str_eq(toml_type_name(TOML_ARRAY), "array");
	ck_assert_str_eq(toml_type_name(TOML_STRING), "string");
	ck_assert_str_eq(toml_type_name(TOML_INTEGER), "integer");
	ck_assert_str_eq(toml_type_name(TOML_FLOAT), "float");
	ck_assert_str_eq(toml_type_name(TOML_BOOL), "bool");
	ck_assert_str_eq(toml_type_name(TOML_DATETIME), "datetime");
	ck_assert_str_eq(toml_type_name(TOML_DATETIME_LOCAL), "datetime-local");
	ck_assert_str_eq(toml_type_name(TOML_DATE_LOCAL), "date-local");
	ck_assert_str_eq(toml_type_name(TOML_TIME_LOCAL), "time-local");
}
END_TEST

/* ------------------------------------------------------------------ */
/* structure: order, lookups, arrays, nesting                          */

static const char structure_doc[] = "zeta = 1\n"
				    "alpha = [1, \"two\", [3.0], {four = 4}]\n"
				    "\"quoted key\" = true\n"
				    "dotted.inner.leaf = 'x'\n"
				    "mid = { b = 2, a.c = 1 }\n"
				    "[server]\n"
				    "port = 8080\n"
				    "[[routes]]\n"
				    "name = \"first\"\n"
				    "[routes.tls]\n"
				    "cert = \"c.pem\"\n"
				    "[[routes]]\n"
				    "name = \"second\"\n"
				    "[parent.child]\n"
				    "x = 1\n"
				    "[parent]\n"
				    "y = 2\n";

/* Keys keep document order, and toml_table_get() finds every kind of key. */
START_TEST(test_toml_table_order)
{
	static const char *const order[] = {"zeta",   "alpha", "quoted key",
					    "dotted", "mid",   "server",
					    "routes", "parent"};
	struct toml_value *root = parse_ok(structure_doc);
	const struct toml_value *v;
	size_t i;

	ck_assert_int_eq(root->type, TOML_TABLE);
	ck_assert_uint_eq(root->u.table.len, sizeof(order) / sizeof(order[0]));
	for (i = 0; i < root->u.table.len; i++) {
		ck_assert_str_eq(root->u.table.items[i].key, order[i]);
		ck_assert_uint_eq(root->u.table.items[i].keylen,
				  strlen(order[i]));
	}
	ck_assert_ptr_null(toml_table_get(root, "missing"));
	ck_assert_ptr_null(toml_table_get(root, "zet"));
	ck_assert_int_eq(lookup(root, "quoted key")->u.b, true);
	ck_assert_str_eq(lookup(root, "dotted.inner.leaf")->u.s.ptr, "x");
	ck_assert_int_eq(lookup(root, "mid.a.c")->u.i, 1);
	ck_assert_str_eq(lookup(root, "mid")->u.table.items[0].key, "b");
	ck_assert_int_eq(lookup(root, "server.port")->u.i, 8080);
	/* the implicit parent, defined later, keeps its place and gains y */
	v = lookup(root, "parent");
	ck_assert_uint_eq(v->u.table.len, 2);
	ck_assert_str_eq(v->u.table.items[0].key, "child");
	ck_assert_str_eq(v->u.table.items[1].key, "y");
	toml_free(root);
}
END_TEST

/* Arrays hold mixed types in order; [[x]] appends tables to one array. */
START_TEST(test_toml_arrays)
{
	struct toml_value *root = parse_ok(structure_doc);
	const struct toml_value *a = lookup(root, "alpha");

	ck_assert_int_eq(a->type, TOML_ARRAY);
	ck_assert_uint_eq(a->u.array.len, 4);
	ck_assert_int_eq(a->u.array.items[0]->type, TOML_INTEGER);
	ck_assert_int_eq(a->u.array.items[1]->type, TOML_STRING);
	ck_assert_int_eq(a->u.array.items[2]->type, TOML_ARRAY);
	ck_assert_int_eq(a->u.array.items[3]->type, TOML_TABLE);
	ck_assert(lookup(root, "alpha.[2].[0]")->u.f == 3.0);
	ck_assert_int_eq(lookup(root, "alpha.[3].four")->u.i, 4);
	a = lookup(root, "routes");
	ck_assert_int_eq(a->type, TOML_ARRAY);
	ck_assert_uint_eq(a->u.array.len, 2);
	ck_assert_str_eq(lookup(root, "routes.[0].name")->u.s.ptr, "first");
	ck_assert_str_eq(lookup(root, "routes.[0].tls.cert")->u.s.ptr, "c.pem");
	ck_assert_str_eq(lookup(root, "routes.[1].name")->u.s.ptr, "second");
	ck_assert_ptr_null(lookup(root, "routes.[1].tls"));
	toml_free(root);
}
END_TEST

/* A key holding NUL (from \u0000) keeps its full length in keylen. */
START_TEST(test_toml_key_with_nul)
{
	struct toml_value *root = parse_ok("\"a\\u0000b\" = 1\n\"\" = 2\n");

	ck_assert_uint_eq(root->u.table.len, 2);
	ck_assert_uint_eq(root->u.table.items[0].keylen, 3);
	ck_assert_mem_eq(root->u.table.items[0].key, "a\0b", 4);
	ck_assert_uint_eq(root->u.table.items[1].keylen, 0);
	ck_assert_int_eq(toml_table_get(root, "")->u.i, 2);
	toml_free(root);
}
END_TEST

/* Empty input, comments only, CRLF and a leading BOM are all fine. */
START_TEST(test_toml_empty_and_bom)
{
	static const char bom[] = "\xef\xbb\xbf"
				  "a = 1\r\n";
	char err[64];
	struct toml_value *root;

	root = toml_parse("", 0, err, sizeof(err), NULL, NULL);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(root->u.table.len, 0);
	toml_free(root);
	root = toml_parse(NULL, 0, err, sizeof(err), NULL, NULL);
	ck_assert_ptr_nonnull(root);
	toml_free(root);
	root = parse_ok("# only a comment\r\n\n   \t\n# another");
	ck_assert_uint_eq(root->u.table.len, 0);
	toml_free(root);
	root = parse_ok(bom);
	ck_assert_int_eq(toml_table_get(root, "a")->u.i, 1);
	ck_assert_int_eq(root->u.table.items[0].col, 1);
	toml_free(root);
	toml_free(NULL);
}
END_TEST

/* The text need not be NUL-terminated: only LEN bytes are read. */
START_TEST(test_toml_length_bound)
{
	static const char text[] = "a = 12345";
	struct toml_value *root;
	char err[64];

	root = toml_parse(text, 6, err, sizeof(err), NULL, NULL);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(toml_table_get(root, "a")->u.i, 12);
	toml_free(root);
}
END_TEST

/* Nesting is capped at 128 levels with an error instead of deep recursion. */
START_TEST(test_toml_depth_cap)
{
	char doc[600], err[128];
	struct toml_value *root;
	int line, col;
	size_t n;

	/* 128 nested arrays are fine */
	strcpy(doc, "a = ");
	for (n = 0; n < 128; n++)
		strcat(doc, "[");
	for (n = 0; n < 128; n++)
		strcat(doc, "]");
	root = toml_parse(doc, strlen(doc), err, sizeof(err), NULL, NULL);
	ck_assert_msg(root != NULL, "%s", err);
	toml_free(root);
	/* the 129th is refused where it opens */
	strcpy(doc, "a = ");
	for (n = 0; n < 200; n++)
		strcat(doc, "[");
	root = toml_parse(doc, strlen(doc), err, sizeof(err), &line, &col);
	ck_assert_ptr_null(root);
	ck_assert_int_eq(line, 1);
	ck_assert_int_eq(col, 4 + 129);
	ck_assert_str_eq(err, "1:133: tables and arrays nested deeper than "
			      "128 levels");
	/* inline tables and dotted keys count too */
	strcpy(doc, "a = ");
	for (n = 0; n < 130; n++)
		strcat(doc, "{b=");
	root = toml_parse(doc, strlen(doc), err, sizeof(err), NULL, NULL);
	ck_assert_ptr_null(root);
	ck_assert_msg(strstr(err, "nested deeper") != NULL, "%s", err);
	doc[0] = '\0';
	for (n = 0; n < 130; n++)
		strcat(doc, "k.");
	strcat(doc, "k = 1");
	root = toml_parse(doc, strlen(doc), err, sizeof(err), NULL, NULL);
	ck_assert_ptr_null(root);
}
END_TEST

/* ------------------------------------------------------------------ */
/* positions                                                           */

static const char position_doc[] =
    "a = 1\n"
    "  b = \"x\"   # comment\n"
    "\n"
    "[t]\n"
    "c . d = [1,  {e = 2}]\n"
    "\"\xc3\xa9t\xc3\xa9\" = true\n" /* "été": 5 columns */
    "s = \"\"\"\n"
    "two\n"
    "\"\"\"\n"
    "g = 1.5\n"
    "[[arr]]\n"
    "\r\n"
    "[[arr]]\r\n"
    "h = 07:00:00\n";

static const struct position_case {
	const char *path;
	int key_line, key_col; /* 0: not a key (array element) */
	int line, col;         /* the value */
} position_cases[] = {
    {"a", 1, 1, 1, 5},
    {"b", 2, 3, 2, 7},
    {"t", 4, 2, 4, 1},
    {"t.c", 5, 1, 5, 1},
    {"t.c.d", 5, 5, 5, 9},
    {"t.c.d.[0]", 0, 0, 5, 10},
    {"t.c.d.[1]", 0, 0, 5, 14},
    {"t.c.d.[1].e", 5, 15, 5, 19},
    {"t.\xc3\xa9t\xc3\xa9", 6, 1, 6, 9},
    {"t.s", 7, 1, 7, 5},
    {"t.g", 10, 1, 10, 5},
    {"arr", 11, 3, 11, 1},
    {"arr.[0]", 0, 0, 11, 1},
    {"arr.[1]", 0, 0, 13, 1},
    {"arr.[1].h", 14, 1, 14, 5},
};

/* The kv of PATH's last part in its parent (found by lookup), or NULL. */
static const struct toml_kv *
lookup_kv(const struct toml_value *root, const char *path)
{
	char parent[128];
	const char *dot = strrchr(path, '.');
	const struct toml_value *t = root;
	const char *key = path;
	size_t i;

	if (dot != NULL) {
		ck_assert_uint_lt((size_t)(dot - path), sizeof(parent));
		memcpy(parent, path, (size_t)(dot - path));
		parent[dot - path] = '\0';
		t = lookup(root, parent);
		key = dot + 1;
	}
	if (t == NULL || t->type != TOML_TABLE)
		return NULL;
	for (i = 0; i < t->u.table.len; i++)
		if (strcmp(t->u.table.items[i].key, key) == 0)
			return &t->u.table.items[i];
	return NULL;
}

/* Values and keys carry 1-based line and character column of their start. */
START_TEST(test_toml_positions)
{
	const struct position_case *c = &position_cases[_i];
	struct toml_value *root = parse_ok(position_doc);
	const struct toml_value *v = lookup(root, c->path);

	ck_assert_msg(v != NULL, "%s not found", c->path);
	ck_assert_msg(v->line == c->line && v->col == c->col,
		      "%s: value at %d:%d, expected %d:%d", c->path, v->line,
		      v->col, c->line, c->col);
	if (c->key_line > 0) {
		const struct toml_kv *kv = lookup_kv(root, c->path);

		ck_assert_ptr_nonnull(kv);
		ck_assert_msg(kv->line == c->key_line && kv->col == c->key_col,
			      "%s: key at %d:%d, expected %d:%d", c->path,
			      kv->line, kv->col, c->key_line, c->key_col);
	}
	toml_free(root);
}
END_TEST

/* ------------------------------------------------------------------ */
/* errors                                                              */

static const struct error_case {
	const char *toml;
	size_t len;         /* 0: strlen(toml) */
	const char *prefix; /* the error must start with this */
	const char *has;    /* and contain this */
} error_cases[] = {
    {"port 8080", 0, "1:6: ", "expected '=' after key \"port\""},
    {"name = \"a\"\nname = \"b\"", 0, "2:1: ", "duplicate key \"name\""},
    {"[a]\nx = 1\n[a]", 0, "3:2: ", "table [a] is defined twice"},
    {"[a]\n[b]\n[ a ]", 0, "3:3: ", "table [a] is defined twice"},
    {"a = 1\na.b = 2", 0, "2:1: ", "key \"a\" is already an integer"},
    {"a.b = 1\na = 2", 0, "2:1: ", "duplicate key \"a\""},
    {"a = 1\n[a]", 0, "2:2: ", "key \"a\" is already an integer"},
    {"a = {b = 1}\n[a.c]", 0, "2:2: ", "inline table \"a\""},
    {"a = {b = 1}\na.c = 2", 0, "2:1: ", "inline table \"a\""},
    {"a = {b = {}, b.c = 1}", 0, "1:14: ", "inline table \"b\""},
    {"[a.b]\nx = 1\n[a]\nb.y = 2", 0, "4:1: ", "table \"b\" with dotted keys"},
    {"a = []\n[[a]]", 0, "2:3: ", "key \"a\" is already an array"},
    {"[[a]]\n[a]", 0, "2:2: ", "already an array of tables"},
    {"[a]\n[[a]]", 0, "2:3: ", "key \"a\" is already a table"},
    {"[x]\ny.z = 1\n[x.y]", 0, "3:4: ", "defined by dotted keys"},
    {"a = [{}]\n[a.b]", 0, "2:2: ", "key \"a\" is already an array"},
    {"\"a b\".c = 1\n\"a b\".c = 2", 0, "2:7: ", "duplicate key \"'a b'.c\""},
    {"s = \"abc", 0, "1:9: ", "expected '\"' to close the string"},
    {"s = 'abc\nd'", 0, "1:9: ", "to close the string"},
    {"s = \"\"\"\nabc", 0, "2:4: ", "multi-line string opened at 1:5"},
    {"s = \"\\q\"", 0, "1:6: ", "invalid escape sequence '\\q'"},
    {"s = \"\\uD800\"", 0, "1:6: ", "surrogate"},
    {"s = \"\\U00110000\"", 0, "1:6: ", "beyond U+10FFFF"},
    {"s = \"\\u12G4\"", 0, "1:10: ", "expected 4 hex digits"},
    {"s = \"\"\"x \\ y\"\"\"", 0, "1:10: ", "must end the line"},
    {"s = \"\"\"x\"\"\"\"\"\"", 0, "1:14: ", "too many quotes"},
    {"\"\"\"k\"\"\" = 1", 0, "1:1: ", "a key cannot be a multi-line"},
    {"n = 0123", 0, "1:5: ", "leading zeros"},
    {"n = 9223372036854775808", 0, "1:5: ", "integer out of range"},
    {"n = -9223372036854775809", 0, "1:5: ", "integer out of range"},
    {"n = 0x8000000000000000", 0, "1:5: ", "integer out of range"},
    {"n = 1__0", 0, "1:7: ", "expected a digit after '_'"},
    {"n = 1_", 0, "1:7: ", "expected a digit after '_'"},
    {"n = 0x", 0, "1:7: ", "expected a digit after 0x"},
    {"n = +0x10", 0, "1:5: ", "a sign is not allowed"},
    {"n = 0X10", 0, "1:6: ", "invalid integer"},
    {"f = 1.", 0, "1:7: ", "expected a digit after '.'"},
    {"f = .5", 0, "1:5: ", "expected a value"},
    {"f = 1e", 0, "1:7: ", "expected a digit in the exponent"},
    {"f = 1.2.3", 0, "1:8: ", "invalid float"},
    {"f = 1e999", 0, "1:5: ", "float out of range"},
    {"f = Inf", 0, "1:5: ", "expected a value, found 'Inf'"},
    {"b = tru", 0, "1:5: ", "expected a value, found 'tru'"},
    {"b = truex", 0, "1:9: ", "invalid boolean"},
    {"d = 2023-02-29", 0, "1:13: ", "day 29 out of range for 2023-02"},
    {"d = 1900-02-29", 0, "1:13: ", "day 29 out of range"},
    {"d = 2023-13-01", 0, "1:10: ", "month 13 out of range"},
    {"t = 24:00:00", 0, "1:5: ", "hour 24 out of range"},
    {"t = 23:60:00", 0, "1:8: ", "minute 60 out of range"},
    {"t = 23:59:61", 0, "1:11: ", "second 61 out of range"},
    {"d = 1979-05-27T07:32", 0, "1:21: ", "seconds are required"},
    {"d = 1979-05-27T07:32:00+24:00", 0, "1:24: ", "offset +24:00"},
    {"d = 1979-05-27T07:32:00.", 0, "1:25: ", "expected a digit after"},
    {"d = 1979-05-27X", 0, "1:15: ", "invalid date-time"},
    {"a = [1, 2", 0, "1:10: ", "expected ',' or ']'"},
    {"a = [1 2]", 0, "1:8: ", "expected ',' or ']'"},
    {"a = [,]", 0, "1:6: ", "expected a value"},
    {"a = {x = 1,}", 0, "1:12: ", "trailing comma"},
    {"a = {x = 1\n}", 0, "1:11: ", "expected ',' or '}'"},
    {"a = {\nx = 1}", 0, "1:6: ", "must be on one line"},
    {"a = 1 b = 2", 0, "1:7: ", "expected end of line after the value"},
    {"[a] b = 1", 0, "1:5: ", "expected end of line after the table"},
    {"[a", 0, "1:3: ", "expected ']' after table name \"a\""},
    {"[[a]", 0, "1:4: ", "expected ']]'"},
    {"[a.]", 0, "1:4: ", "expected a key"},
    {"= 1", 0, "1:1: ", "expected a key"},
    {"a =", 0, "1:4: ", "expected a value, found end of file"},
    {"a = hello", 0, "1:5: ", "strings must be quoted"},
    {"\"\xc3\xa9\" = \"x\" y", 0, "1:11: ", "expected end of line"},
    {"\xc3\xa9 = 1", 0, "1:1: ", "expected a key"},
    {"a = \"x\x01\"", 0, "1:7: ", "control character U+0001"},
    {"# \x7f", 0, "1:3: ", "control character U+007F"},
    {"a = \"x\0\"", 8, "1:7: ", "control character U+0000"},
    {"a = 1\rb = 2", 0, "1:6: ", "carriage return"},
    {"a = \"\xc3\x28\"", 0, "1:6: ", "invalid UTF-8"},
    {"a = \"\xc0\xaf\"", 0, "1:6: ", "invalid UTF-8"},
    {"a = \"\xe0\x80\xaf\"", 0, "1:6: ", "invalid UTF-8"},
    {"a = \"\xed\xa0\x80\"", 0, "1:6: ", "invalid UTF-8"},
    {"a = \"\xf4\x90\x80\x80\"", 0, "1:6: ", "invalid UTF-8"},
    {"a = \"\xe2\x82\"", 0, "1:6: ", "invalid UTF-8"},
    {"\n\n  x = \xe2\x82", 0, "3:7: ", "invalid UTF-8"},
};

/* Invalid documents fail at the right LINE:COL with a message that says why. */
START_TEST(test_toml_error_table)
{
	const struct error_case *c = &error_cases[_i];
	size_t len = c->len ? c->len : strlen(c->toml);
	char err[256];
	int line = -1, col = -1;
	struct toml_value *root;
	char pos[32];

	memset(err, 'X', sizeof(err));
	root = toml_parse(c->toml, len, err, sizeof(err), &line, &col);
	ck_assert_msg(root == NULL, "accepted: %s", c->toml);
	ck_assert_msg(strncmp(err, c->prefix, strlen(c->prefix)) == 0,
		      "%s: error \"%s\", expected prefix \"%s\"", c->toml, err,
		      c->prefix);
	ck_assert_msg(strstr(err, c->has) != NULL,
		      "%s: error \"%s\" lacks \"%s\"", c->toml, err, c->has);
	snprintf(pos, sizeof(pos), "%d:%d: ", line, col);
	ck_assert_str_eq(pos, c->prefix);
}
END_TEST

/* A short error buffer is cut but terminated; a NULL one is allowed. */
START_TEST(test_toml_error_buffer)
{
	static const char doc[] = "a = 1\na = 2";
	char err[8];
	int line = 0, col = 0;

	ck_assert_ptr_null(
	    toml_parse(doc, strlen(doc), err, sizeof(err), &line, &col));
	ck_assert_str_eq(err, "2:1: du");
	ck_assert_ptr_null(toml_parse(doc, strlen(doc), NULL, 0, NULL, NULL));
	ck_assert_ptr_null(toml_parse(doc, strlen(doc), NULL, 0, &line, &col));
	ck_assert_int_eq(line, 2);
	ck_assert_int_eq(col, 1);
	err[0] = 'X';
	ck_assert_ptr_null(toml_parse(doc, strlen(doc), err, 0, NULL, NULL));
	ck_assert_int_eq(err[0], 'X');
}
END_TEST

/* Redefinitions that TOML allows: super-tables after sub-tables, [[ ]] parents.
 */
START_TEST(test_toml_allowed_definitions)
{
	static const char *const docs[] = {
	    "[a.b.c]\n[a]\nx = 1",
	    "[a.b.c]\n[a]\nb.d = 1",
	    "[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = 1",
	    "[[a.b]]\nx = 1\n[a]\ny = 2",
	    "[[a]]\n[a.b]\n[[a]]\n[a.b]",
	    "a = {b.c = 1, b.d = 2}",
	    "[fruit]\napple.color = 'red'\n[[fruit.apple.seeds]]\nsize = 2",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		toml_free(parse_ok(docs[i]));
}
END_TEST

Suite *
toml_suite(void)
{
	Suite *s = suite_create("toml");
	TCase *tc = tcase_create("values");

	tcase_add_loop_test(
	    tc, test_toml_value_table, 0,
	    (int)(sizeof(value_cases) / sizeof(value_cases[0])));
	tcase_add_test(tc, test_toml_type_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("structure");
	tcase_add_test(tc, test_toml_table_order);
	tcase_add_test(tc, test_toml_arrays);
	tcase_add_test(tc, test_toml_key_with_nul);
	tcase_add_test(tc, test_toml_empty_and_bom);
	tcase_add_test(tc, test_toml_length_bound);
	tcase_add_test(tc, test_toml_depth_cap);
	tcase_add_test(tc, test_toml_allowed_definitions);
	suite_add_tcase(s, tc);

	tc = tcase_create("positions");
	tcase_add_loop_test(
	    tc, test_toml_positions, 0,
	    (int)(sizeof(position_cases) / sizeof(position_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(
	    tc, test_toml_error_table, 0,
	    (int)(sizeof(error_cases) / sizeof(error_cases[0])));
	tcase_add_test(tc, test_toml_error_buffer);
	suite_add_tcase(s, tc);
	return s;
}
