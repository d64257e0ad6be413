/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_RESOLVE_H
#define PORTY_RESOLVE_H
#endif
