/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_CONN_H
#define PORTY_CONN_H
#endif
