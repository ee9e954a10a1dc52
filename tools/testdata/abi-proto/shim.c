// SPDX-License-Identifier: GPL-2.0
#include "shim.h"

static unsigned int hmkit_private(void)
{
	return 0;
}
