/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_HTTP_HEAD_H
#define PORTY_HTTP_HEAD_H
#endif
