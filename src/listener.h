/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_LISTENER_H
#define PORTY_LISTENER_H
#endif
