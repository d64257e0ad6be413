/* SPDX-License-Identifier: MIT */
#include "auto-config.h"

int
main(void)
{
	return 1;
}
