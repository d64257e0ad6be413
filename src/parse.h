/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_PARSE_H
#define PORTY_PARSE_H
#endif
