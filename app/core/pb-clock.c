/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-clock.h"

/* Not written yet. */
