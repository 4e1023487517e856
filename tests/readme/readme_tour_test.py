#!/usr/bin/python3
"""The README's CLI tour, run as a reader runs it: every command of the
section "A tour with the quorum CLI" in order, by bash, from the repository
root, against a fresh quorumd with the demo data (what `bash scripts/run.sh`
serves), with the built `quorum` first on PATH; each command's output
(stdout and stderr, as a terminal shows them) is compared with the output
the README shows under it.

    readme_tour_test.py --source-dir . --quorumd build/server/quorumd \
        --cli-dir build/clients [--print]

How the README's output is read:
- a line "..." (alone, any indent) stands for any number of lines;
- a line ending in "..." matches any line that starts with what precedes;
- times (2026-11-28T11:21:22Z), dates, handoff and note IDs (h-6, n-2a),
  etags, durations (24s) and decimals
  (49.81) are compared as their shape only: they depend on when the tour
  runs and on the decay of signals since.
A ```sh block in the tour is run without comparison (the PATH line).
--print prints what each command printed, to update the README after a
deliberate change. Exits 1 listing the first difference of each command.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SECTION = "## A tour with the quorum CLI"


def tour_blocks(readme):
    """[(kind, lines)] of the tour's fenced blocks; kind "sh" or "out"."""
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    text = readme[start:end if end >= 0 else len(readme)]
    blocks = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.M | re.S):
        lines = match.group(2).splitlines()
        if match.group(1) == "sh":
            blocks.append(("sh", lines))
        elif lines and lines[0].startswith("$ "):
            blocks.append(("out", lines))
    return blocks


def steps(blocks):
    """[(command, expected lines or None)] in order."""
    out = []
    for kind, lines in blocks:
        i = 0
        while i < len(lines):
            line = lines[i]
            if kind == "sh":
                command = line
                while command.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    command = command[:-1] + " " + lines[i].strip()
                if command.strip() and not command.lstrip().startswith("#"):
                    out.append((command, None))
                i += 1
                continue
            if not line.startswith("$ "):
                raise ValueError(f"output without a command: {line!r}")
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command[:-1] + " " + lines[i].strip()
            i += 1
            expected = []
            while i < len(lines) and not lines[i].startswith("$ "):
                expected.append(lines[i])
                i += 1
            out.append((command, expected))
    return out


_SHAPES = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "<TIME>"),
    (re.compile(r"\d{4}-\d\d-\d\d"), "<DATE>"),
    (re.compile(r"(handoffs/|notes/|handoff )([hn])-[0-9a-f]+\b"), r"\1\2-<ID>"),
    (re.compile(r'etag "\d+"'), 'etag "<N>"'),
    (re.compile(r"\b\d+(\.\d+)?[smhd]\b"), "<DURATION>"),
    (re.compile(r"\d+\.\d+"), "<NUM>"),
]


def shape(line):
    line = line.rstrip()
    for pattern, replacement in _SHAPES:
        line = pattern.sub(replacement, line)
    return line


def matches(expected, actual):
    """Whether the actual lines fit the expected ones (with "..." rules)."""
    expected = [shape(e) for e in expected]
    actual = [shape(a) for a in actual]
    memo = {}

    def fit(i, j):
        if (i, j) in memo:
            return memo[(i, j)]
        if i == len(expected):
            result = j == len(actual)
        elif expected[i].strip() == "...":
            result = any(fit(i + 1, k) for k in range(j, len(actual) + 1))
        elif j == len(actual):
            result = False
        elif expected[i].endswith("..."):
            result = (actual[j].startswith(expected[i][:-3].rstrip()) and
                      fit(i + 1, j + 1))
        else:
            result = expected[i] == actual[j] and fit(i + 1, j + 1)
        memo[(i, j)] = result
        return result

    return fit(0, 0)


def first_difference(expected, actual):
    for n, (e, a) in enumerate(zip(expected, actual)):
        if shape(e) != shape(a) and not e.strip() == "..." and not (
                e.endswith("...") and shape(a).startswith(shape(e)[:-3].rstrip())):
            return f"line {n + 1}: README {e!r}\n            got    {a!r}"
    return f"README has {len(expected)} line(s), the command printed {len(actual)}"


def start_quorumd(quorumd, demo, tmp):
    port_file = os.path.join(tmp, "port")
    log = open(os.path.join(tmp, "quorumd.log"), "w")
    process = subprocess.Popen(
        [quorumd, "--listen=127.0.0.1:0", f"--data-dir={tmp}/data",
         f"--port-file={port_file}", f"--demo-data={demo}"],
        stdout=log, stderr=log)
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return process, int(open(port_file).read())
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"quorumd did not start: {open(log.name).read()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--quorumd", required=True)
    parser.add_argument("--cli-dir", required=True,
                        help="the folder holding the built quorum binary")
    parser.add_argument("--print", action="store_true")
    args = parser.parse_args()
    source = os.path.abspath(args.source_dir)
    with open(os.path.join(source, "README.md"), encoding="utf-8") as f:
        tour = steps(tour_blocks(f.read()))
    if len(tour) < 10:
        print(f"FAIL: only {len(tour)} command(s) found in the tour")
        return 1

    tmp = tempfile.mkdtemp(prefix="readme-tour-")
    process, port = start_quorumd(
        os.path.abspath(args.quorumd),
        os.path.join(source, "scripts", "demo-data.textproto"), tmp)
    env = {
        "PATH": os.path.abspath(args.cli_dir) + os.pathsep + os.environ["PATH"],
        "HOME": tmp, "USER": "readme", "LANG": "C.UTF-8",
        # The tour's commands name no server: the default, which the test
        # points at its own quorumd.
        "QUORUM_SERVER": f"127.0.0.1:{port}",
    }
    failures = 0
    try:
        for command, expected in tour:
            result = subprocess.run(
                ["bash", "-c", command + " 2>&1"], cwd=source, env=env,
                capture_output=True, text=True, timeout=120)
            actual = result.stdout.splitlines()
            if args.print:
                print(f"$ {command}  (exit {result.returncode})")
                print("\n".join(actual))
                continue
            if expected is None:
                if result.returncode != 0:
                    failures += 1
                    print(f"FAIL: `{command}` exited {result.returncode}:\n"
                          f"{result.stdout}")
                continue
            if not matches(expected, actual):
                failures += 1
                print(f"FAIL: `{command}` printed something else than the "
                      f"README shows:\n  {first_difference(expected, actual)}\n"
                      "--- printed:\n" + result.stdout)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    if not args.print:
        print(f"README tour: {len(tour)} command(s), {failures} differ(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
