#!/usr/bin/python3
"""Every link in the repository's Markdown (README.md, docs/, the clients'
READMEs) stays inside the repository and points at a file that exists;
nothing names a path outside it (../shared, /work/...).

    check_links.py REPO_ROOT

Exits 1 listing each offending link as FILE:LINE: problem.
"""

import os
import re
import sys

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
OUTSIDE = re.compile(r"(?<![\w.])(\.\./)+shared/|/work/")


def markdown_files(root):
    for top in ("README.md", "docs", "clients"):
        path = os.path.join(root, top)
        if os.path.isfile(path):
            yield path
            continue
        for folder, dirs, names in os.walk(path):
            dirs[:] = [d for d in dirs if d not in ("node_modules", "build")]
            for name in sorted(names):
                if name.endswith(".md"):
                    yield os.path.join(folder, name)


def problems(root, path):
    root = os.path.realpath(root)
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    fenced = False
    for number, line in enumerate(lines, 1):
        if OUTSIDE.search(line):
            yield number, "names a path outside the repository: " + line.strip()
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced:
            continue
        # Links are Markdown outside code: drop `inline code` spans first.
        for target in LINK.findall(re.sub(r"`[^`]*`", "``", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            file_part = target.split("#", 1)[0]
            if not file_part:
                continue  # An anchor in the same file.
            if file_part.startswith("/"):
                yield number, f"absolute link {target}"
                continue
            resolved = os.path.realpath(
                os.path.join(os.path.dirname(path), file_part))
            if os.path.commonpath([root, resolved]) != root:
                yield number, f"link {target} leaves the repository"
            elif not os.path.exists(resolved):
                yield number, f"link {target} points at nothing"


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    found = 0
    checked = 0
    for path in markdown_files(root):
        checked += 1
        for number, problem in problems(root, path):
            print(f"{os.path.relpath(path, root)}:{number}: {problem}")
            found += 1
    if checked == 0:
        print("no Markdown files found under", root)
        return 1
    print(f"{checked} Markdown file(s) checked, {found} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
