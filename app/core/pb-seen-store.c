/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-seen-store.h"

/* Not written yet. */
