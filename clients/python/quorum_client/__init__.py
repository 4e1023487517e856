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
    "access": "quorum.v1.access_pb2",
    "admin": "quorum.v1.admin_service_pb2",
    "admin_grpc": "quorum.v1.admin_service_pb2_grpc",
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
    notes_grpc, workflow, workflow_grpc, access, admin, admin_grpc, status,
    error_details)."""
    if _stale(proto_dir, gen_dir):
        generate(proto_dir, gen_dir)
    if gen_dir not in sys.path:
        sys.path.insert(0, gen_dir)
    return types.SimpleNamespace(
        **{short: importlib.import_module(full)
           for short, full in _MODULES.items()})


class _BearerToken:
    """grpc.AuthMetadataPlugin-like callable adding `authorization`."""

    def __init__(self, token):
        self._header = (("authorization", "Bearer " + token),)

    def __call__(self, context, callback):
        callback(self._header, None)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def channel(target, token=None, tls_ca=None, tls_cert=None, tls_key=None,
            tls_server_name=None):
    """A channel to quorumd at `target`.

    token: a bearer token (default: $QUORUM_TOKEN) sent on every call.
    tls_ca: PEM file of the CA that signed quorumd's certificate; TLS is on
    when it (or tls_cert) is given. tls_cert/tls_key: a client certificate
    for mutual TLS. Without TLS the channel is plaintext (quorumd on
    loopback) and the token travels in call metadata.
    """
    import grpc
    if token is None:
        token = os.environ.get("QUORUM_TOKEN") or None
    if tls_ca is None and tls_cert is None:
        ch = grpc.insecure_channel(target)
        if token:
            ch = grpc.intercept_channel(ch, _TokenInterceptor(token))
        return ch
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("tls_cert and tls_key go together")
    creds = grpc.ssl_channel_credentials(
        root_certificates=_read(tls_ca) if tls_ca else None,
        private_key=_read(tls_key) if tls_key else None,
        certificate_chain=_read(tls_cert) if tls_cert else None)
    if token:
        creds = grpc.composite_channel_credentials(
            creds, grpc.metadata_call_credentials(_BearerToken(token)))
    options = []
    if tls_server_name:
        options.append(("grpc.ssl_target_name_override", tls_server_name))
    return grpc.secure_channel(target, creds, options)


def _token_interceptor_base():
    import grpc
    return (grpc.UnaryUnaryClientInterceptor,
            grpc.UnaryStreamClientInterceptor,
            grpc.StreamUnaryClientInterceptor,
            grpc.StreamStreamClientInterceptor)


class _TokenInterceptor(*_token_interceptor_base()):
    """Adds the bearer token to every call of a plaintext channel (gRPC
    refuses call credentials without transport security)."""

    def __init__(self, token):
        self._header = ("authorization", "Bearer " + token)

    def _details(self, details):
        import grpc

        class Details(grpc.ClientCallDetails):
            pass
        d = Details()
        d.method = details.method
        d.timeout = details.timeout
        d.metadata = list(details.metadata or []) + [self._header]
        d.credentials = details.credentials
        d.wait_for_ready = getattr(details, "wait_for_ready", None)
        d.compression = getattr(details, "compression", None)
        return d

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._details(details), requests)


def error_details(rpc_error):
    """The google.rpc.Status of a grpc.RpcError, or None."""
    q = load()
    for key, value in rpc_error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = q.status.Status()
            status.ParseFromString(value)
            return status
    return None
