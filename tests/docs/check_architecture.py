#!/usr/bin/python3
"""The code keeps to the picture in docs/architecture.dot: every include
from one room of graph/ (model, rules, storage, store) or from server/ and
clients/ into another room is an arrow of the picture, every folder of
graph/ is a node of it, and <lmdb.h> is included only in graph/storage/.

    check_architecture.py REPO_ROOT

Exits 1 listing each include that runs against the arrows as
FILE:LINE: problem.
"""

import os
import re
import sys

NODE = re.compile(r'^\s*([a-z_]+)\s*\[label="([^\\"]+)')
EDGE = re.compile(r"^\s*([a-z_]+)\s*->\s*([a-z_]+)\s*;")
INCLUDE = re.compile(r'^\s*#include\s+[<"]([^>"]+)[>"]')


def read_picture(path):
    folders, arrows = {}, set()
    with open(path) as f:
        for line in f:
            node = NODE.match(line)
            if node:
                for folder in node.group(2).split(", "):
                    folders[folder.strip().rstrip("/")] = node.group(1)
            edge = EDGE.match(line)
            if edge:
                arrows.add((edge.group(1), edge.group(2)))
    return folders, arrows


def room_of(path, folders):
    """The node a path belongs to: the longest folder of the picture it is in."""
    best = None
    for folder, node in folders.items():
        if path == folder or path.startswith(folder + "/"):
            if best is None or len(folder) > len(best[0]):
                best = (folder, node)
    return best[1] if best else None


def main(root):
    folders, arrows = read_picture(os.path.join(root, "docs", "architecture.dot"))
    problems = []
    graph_dir = os.path.join(root, "graph")
    for name in sorted(os.listdir(graph_dir)):
        if os.path.isdir(os.path.join(graph_dir, name)) and f"graph/{name}" not in folders:
            problems.append(f"graph/{name}: a room that docs/architecture.dot does not show")
    for top in ("graph", "server", "clients"):
        for folder, dirs, names in os.walk(os.path.join(root, top)):
            dirs[:] = [d for d in dirs if d not in ("node_modules", "build")]
            for name in sorted(names):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.relpath(os.path.join(folder, name), root)
                source = room_of(path, folders)
                with open(os.path.join(root, path)) as f:
                    for number, line in enumerate(f, 1):
                        include = INCLUDE.match(line)
                        if not include:
                            continue
                        target = include.group(1)
                        if target == "lmdb.h" and not path.startswith("graph/storage/"):
                            problems.append(f"{path}:{number}: includes <lmdb.h> outside graph/storage")
                            continue
                        if target.startswith("quorum/v1/"):
                            target_room = folders.get("proto")
                        else:
                            target_room = room_of(target, folders)
                        if source is None or target_room is None or target_room == source:
                            continue
                        if (source, target_room) not in arrows:
                            problems.append(
                                f"{path}:{number}: {source} includes {target} ({target_room}), "
                                "an arrow docs/architecture.dot does not have")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
