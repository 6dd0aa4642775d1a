#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Generates the test certificates into $1 and touches the stamp $2.
set -eu
out=$1
stamp=$2
mkdir -p "$out"
touch "$stamp"
