/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "pb-cli.h"

void
pb_cli_add_options (GApplication *app)
{
}
