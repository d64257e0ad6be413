/* SPDX-License-Identifier: MIT */
/* Bounded scalar parsers for command-line and config values. */
#include "auto-config.h"

#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
parse_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, const char **errstr)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts leading space and a sign; a number here has neither. */
	if (s == NULL || !isdigit((unsigned char)s[0])) {
		*errstr = "invalid";
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		*errstr = "invalid";
		return -1;
	}
	if (errno == ERANGE || v > max) {
		*errstr = "too large";
		return -1;
	}
	if (v < min) {
		*errstr = "too small";
		return -1;
	}
	*out = v;
	*errstr = NULL;
	return 0;
}

int
parse_port(const char *s, unsigned *out, const char **errstr)
{
	unsigned long long v;

	if (parse_uint(s, 1, 65535, &v, errstr) == -1)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int
parse_enum(const char *s, const char *const *words)
{
	int i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(s, words[i]) == 0)
			return i;
	return -1;
}

size_t
parse_distance(const char *a, const char *b, size_t limit)
{
	/* Optimal string alignment distance over three rolling rows. */
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t rows[3][65];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;

	if (la > 64 || lb > 64)
		return limit + 1;
	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = prev[j] + 1;

			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (prev[j - 1] + cost < best)
				best = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb] > limit ? limit + 1 : prev[lb];
}
