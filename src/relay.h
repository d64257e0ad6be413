/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_RELAY_H
#define PORTY_RELAY_H
#endif
