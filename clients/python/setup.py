"""Builds quorum_client with its generated code.

setuptools runs this for `pip install` (and `python3 -m build`): the
build_py step below compiles the API in proto/ with protoc and
grpc_python_plugin into the build folder's quorum_client/_proto/, so the
installed package holds the generated modules and nothing is generated, or
written next to the sources, at run time.

Where the protos are: $QUORUM_PROTO_DIR, else ../../proto (this folder in
the quorum repository), else ./proto (a source distribution).
"""

import os
import re
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))

# The generated modules import each other as top-level `quorum.v1` and
# `google.rpc`; inside the package they live under quorum_client._proto, so
# that installing the client adds no top-level `quorum` or `google.rpc`.
_IMPORT = re.compile(r"^(from|import) (quorum\.v1|google\.rpc)\b", re.M)


def proto_dir():
    candidates = [os.environ.get("QUORUM_PROTO_DIR", ""),
                  os.path.join(HERE, "..", "..", "proto"),
                  os.path.join(HERE, "proto")]
    for candidate in candidates:
        if candidate and os.path.isfile(
                os.path.join(candidate, "quorum", "v1", "resources.proto")):
            return os.path.abspath(candidate)
    raise SystemExit("quorum-client: no proto/ folder found (set "
                     "QUORUM_PROTO_DIR to the quorum repository's proto/)")


def proto_files(root):
    """quorum/v1 and google/rpc; grpc/health is served by grpcio itself."""
    files = []
    for top in ("quorum", "google"):
        for folder, _, names in os.walk(os.path.join(root, top)):
            files += [os.path.relpath(os.path.join(folder, n), root)
                      for n in names if n.endswith(".proto")]
    return sorted(files)


def generate(out_dir):
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if protoc is None or plugin is None:
        raise SystemExit("quorum-client: building needs protoc and "
                         "grpc_python_plugin (Debian: protobuf-compiler, "
                         "protobuf-compiler-grpc)")
    root = proto_dir()
    target = os.path.abspath(os.path.join(out_dir, "quorum_client", "_proto"))
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    subprocess.run(
        [protoc, f"-I{root}", f"--plugin=protoc-gen-grpc_python={plugin}",
         f"--python_out={target}", f"--grpc_python_out={target}",
         *proto_files(root)],
        check=True, cwd=root)
    for folder, _, names in os.walk(target):
        open(os.path.join(folder, "__init__.py"), "a").close()
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            fixed = _IMPORT.sub(r"\1 quorum_client._proto.\2", text)
            if fixed != text:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(fixed)


class BuildWithProtos(build_py):
    """build_py, then the generated modules into the same build folder."""

    def run(self):
        super().run()
        generate(self.build_lib)


setup(cmdclass={"build_py": BuildWithProtos})
