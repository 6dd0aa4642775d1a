/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-secret-store.h"

/* Not written yet. */
