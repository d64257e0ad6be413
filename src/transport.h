/* SPDX-License-Identifier: MIT */
/* Transport operations (placeholder). */
#ifndef PORTY_TRANSPORT_H
#define PORTY_TRANSPORT_H
#endif
