/* SPDX-License-Identifier: MIT */
/* Compiler helpers: container_of, ARRAY_SIZE and attribute macros. Macros only. */
#ifndef PORTY_COMPILER_H
#define PORTY_COMPILER_H

#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* clang-format off */
/* Recover the struct that embeds MEMBER from a pointer to that member. */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
/* clang-format on */

#if defined(__GNUC__) || defined(__clang__)
#define PORTY_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define PORTY_NORETURN __attribute__((noreturn))
#define PORTY_UNUSED __attribute__((unused))
#define PORTY_LIKELY(x) __builtin_expect(!!(x), 1)
#define PORTY_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PORTY_PRINTF(fmt, args)
#define PORTY_NORETURN
#define PORTY_UNUSED
#define PORTY_LIKELY(x) (x)
#define PORTY_UNLIKELY(x) (x)
#endif

#endif /* PORTY_COMPILER_H */
