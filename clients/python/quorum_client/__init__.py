"""quorum's Python client: code generated from proto/ on first use.

    import quorum_client
    q = quorum_client.load()            # generates into quorum_client/gen
    stub = q.QualificationServiceStub(quorum_client.channel("127.0.0.1:50051"))
    verdict = stub.QualifyAccount(q.qualification.QualifyAccountRequest(
        name="accounts/cascade-valley-health"))

Generation uses Debian's protoc (protobuf-compiler) and grpc_python_plugin
(protobuf-compiler-grpc); Debian 12's python3-grpc-tools bundles a protoc
too old for proto3 `optional`. Runtime: python3-grpcio, python3-protobuf.
"""

import importlib
import os
import shutil
import subprocess
import sys
import types

_HERE = os.path.dirname(os.path.abspath(__file__))
GEN_DIR = os.path.join(_HERE, "gen")
PROTO_DIR = os.path.normpath(os.path.join(_HERE, "..", "..", "..", "proto"))

# The modules load() returns, by short name.
_MODULES = {
    "resources": "quorum.v1.resources_pb2",
    "graph": "quorum.v1.account_graph_service_pb2",
    "graph_grpc": "quorum.v1.account_graph_service_pb2_grpc",
    "policy": "quorum.v1.policy_pb2",
    "policy_service": "quorum.v1.policy_service_pb2",
    "policy_grpc": "quorum.v1.policy_service_pb2_grpc",
    "signals": "quorum.v1.signal_service_pb2",
    "signals_grpc": "quorum.v1.signal_service_pb2_grpc",
    "qualification": "quorum.v1.qualification_service_pb2",
    "qualification_grpc": "quorum.v1.qualification_service_pb2_grpc",
    "intake": "quorum.v1.intake_service_pb2",
    "intake_grpc": "quorum.v1.intake_service_pb2_grpc",
    "notes": "quorum.v1.note_service_pb2",
    "notes_grpc": "quorum.v1.note_service_pb2_grpc",
    "workflow": "quorum.v1.workflow_service_pb2",
    "workflow_grpc": "quorum.v1.workflow_service_pb2_grpc",
    "status": "google.rpc.status_pb2",
    "error_details": "google.rpc.error_details_pb2",
}


def _proto_files(proto_dir):
    """Every .proto under proto_dir except grpc/ (its generated `grpc`
    package would shadow grpcio)."""
    files = []
    for root, _, names in os.walk(proto_dir):
        for name in sorted(names):
            if not name.endswith(".proto"):
                continue
            rel = os.path.relpath(os.path.join(root, name), proto_dir)
            if rel.split(os.sep)[0] != "grpc":
                files.append(rel)
    return sorted(files)


def generate(proto_dir=PROTO_DIR, gen_dir=GEN_DIR):
    """(Re)generates the Python modules from proto_dir into gen_dir."""
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if protoc is None or plugin is None:
        raise RuntimeError("protoc and grpc_python_plugin are needed "
                           "(Debian: protobuf-compiler, protobuf-compiler-grpc)")
    files = _proto_files(proto_dir)
    if not files:
        raise RuntimeError(f"no .proto files under {proto_dir}")
    shutil.rmtree(gen_dir, ignore_errors=True)
    os.makedirs(gen_dir)
    result = subprocess.run(
        [protoc, f"-I{proto_dir}",
         f"--plugin=protoc-gen-grpc_python={plugin}",
         f"--python_out={gen_dir}", f"--grpc_python_out={gen_dir}", *files],
        cwd=proto_dir, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"protoc failed:\n{result.stdout}{result.stderr}")
    # Regular packages for our code; google/ stays a namespace package so
    # that google.rpc (generated) and google.protobuf (installed) both import.
    for root, _, _ in os.walk(gen_dir):
        rel = os.path.relpath(root, gen_dir)
        if rel != "." and rel.split(os.sep)[0] != "google":
            open(os.path.join(root, "__init__.py"), "a").close()


def _stale(proto_dir, gen_dir):
    marker = os.path.join(gen_dir, "quorum", "v1", "resources_pb2.py")
    if not os.path.exists(marker):
        return True
    built = os.path.getmtime(marker)
    return any(os.path.getmtime(os.path.join(proto_dir, f)) > built
               for f in _proto_files(proto_dir))


def load(proto_dir=PROTO_DIR, gen_dir=GEN_DIR):
    """Generates the code when missing or older than the protos, and returns
    a namespace of the generated modules (resources, graph, graph_grpc,
    policy, policy_service, policy_grpc, signals, signals_grpc,
    qualification, qualification_grpc, intake, intake_grpc, notes,
    notes_grpc, workflow, workflow_grpc, status, error_details)."""
    if _stale(proto_dir, gen_dir):
        generate(proto_dir, gen_dir)
    if gen_dir not in sys.path:
        sys.path.insert(0, gen_dir)
    return types.SimpleNamespace(
        **{short: importlib.import_module(full)
           for short, full in _MODULES.items()})


def channel(target):
    """An insecure channel to a quorumd on loopback."""
    import grpc
    return grpc.insecure_channel(target)


def error_details(rpc_error):
    """The google.rpc.Status of a grpc.RpcError, or None."""
    q = load()
    for key, value in rpc_error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = q.status.Status()
            status.ParseFromString(value)
            return status
    return None
