/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_ADDR_H
#define PORTY_ADDR_H
#endif
