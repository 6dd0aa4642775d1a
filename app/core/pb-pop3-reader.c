/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-pop3-reader.h"

/* Not written yet. */
