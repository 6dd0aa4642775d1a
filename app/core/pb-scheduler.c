/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-scheduler.h"

/* Not written yet. */
