/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_ROUTER_H
#define PORTY_ROUTER_H
#endif
