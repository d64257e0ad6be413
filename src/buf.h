/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_BUF_H
#define PORTY_BUF_H
#endif
