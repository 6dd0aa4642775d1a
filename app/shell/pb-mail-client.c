/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-mail-client.h"

/* Not written yet. */
