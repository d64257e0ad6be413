/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_UPSTREAM_H
#define PORTY_UPSTREAM_H
#endif
