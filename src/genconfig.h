/* SPDX-License-Identifier: MIT */
/* placeholder */
#ifndef PORTY_GENCONFIG_H
#define PORTY_GENCONFIG_H
#endif
