/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_SOCK_H
#define PORTY_SOCK_H
#endif
