/* SPDX-License-Identifier: MIT */
/* Bounded scalar parsers for command-line and config values. */
#ifndef PORTY_PARSE_H
#define PORTY_PARSE_H

#include <stddef.h>

/*
 * Parse S as a decimal integer in MIN..MAX (tmux's strtonum). Returns 0 and
 * sets *OUT, or -1 with *ERRSTR set to "invalid", "too small" or "too large".
 */
int parse_uint(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out, const char **errstr);

/* Parse a TCP port, 1..65535. Same contract as parse_uint(). */
int parse_port(const char *s, unsigned *out, const char **errstr);

/*
 * The index of the word in WORDS (NULL-terminated) that S equals, or -1.
 * Used for enumerated values such as mode and log_format.
 */
int parse_enum(const char *s, const char *const *words);

/*
 * Edit distance between A and B (insertions, deletions, substitutions and
 * transpositions), capped at LIMIT + 1 so that long strings stay cheap.
 */
size_t parse_distance(const char *a, const char *b, size_t limit);

#endif /* PORTY_PARSE_H */
