/* SPDX-License-Identifier: MIT */
/* placeholder main */
#include "auto-config.h"

int
main(void)
{
	return 0;
}
