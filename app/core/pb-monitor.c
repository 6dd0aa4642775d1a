/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-monitor.h"

/* Not written yet. */
