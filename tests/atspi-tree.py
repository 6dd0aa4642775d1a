#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a screen reader sees of an application, read through AT-SPI.

    atspi-tree.py APPLICATION [WINDOW]

Prints, as one JSON document, every window of the application APPLICATION
(its AT-SPI name) whose name is WINDOW (all windows when it is missing):
for each accessible its role, name, description, states, text (for those
with a text interface) and children. Exits 1 when the application or the
window is not on the AT-SPI bus (yet).

Run by tests/test-accessibility.c on its private session bus, where
at-spi-bus-launcher runs.
"""

import json
import sys

import pyatspi


def describe(accessible):
    node = {
        "role": accessible.getRoleName(),
        "name": accessible.name or "",
        "description": accessible.description or "",
        "states": sorted(pyatspi.stateToString(state)
                         for state in accessible.getState().getStates()),
    }
    try:
        text = accessible.queryText()
        # Not (0, -1): GTK 4.8 answers that with nothing.
        node["text"] = text.getText(0, text.characterCount)
    except NotImplementedError:
        pass
    labelled_by = []
    for relation in accessible.getRelationSet():
        if relation.getRelationType() == pyatspi.RELATION_LABELLED_BY:
            for i in range(relation.getNTargets()):
                target = relation.getTarget(i)
                if target is not None:
                    labelled_by.append(target.name or "")
    if labelled_by:
        node["labelled_by"] = labelled_by
    children = []
    for i in range(accessible.childCount):
        child = accessible.getChildAtIndex(i)
        if child is not None:
            children.append(describe(child))
    node["children"] = children
    return node


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    wanted_app = sys.argv[1]
    wanted_window = sys.argv[2] if len(sys.argv) == 3 else None

    desktop = pyatspi.Registry.getDesktop(0)
    for application in desktop:
        if application is None or application.name != wanted_app:
            continue
        windows = [describe(window) for window in application
                   if window is not None
                   and (wanted_window is None or window.name == wanted_window)]
        if not windows:
            print("No window %r in %s" % (wanted_window, wanted_app), file=sys.stderr)
            return 1
        json.dump(windows, sys.stdout, ensure_ascii=False)
        return 0
    print("No application %r on the AT-SPI bus" % wanted_app, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
