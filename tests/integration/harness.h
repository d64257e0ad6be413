/* SPDX-License-Identifier: MIT */
/* harness placeholder */
#ifndef PORTY_TESTS_HARNESS_H
#define PORTY_TESTS_HARNESS_H
#endif
