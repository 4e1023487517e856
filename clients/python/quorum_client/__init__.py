"""quorum's Python client: the API's protobuf and gRPC modules, generated
from proto/ when the package was built, and a few helpers.

    import quorum_client
    q = quorum_client.load()
    channel = quorum_client.channel("127.0.0.1:50051")
    verdicts = q.qualification_grpc.QualificationServiceStub(channel)
    verdict = verdicts.QualifyAccount(q.qualification.QualifyAccountRequest(
        name="accounts/cascade-valley-health"))
    print(q.policy.Route.Name(verdict.route), verdict.readiness)

Install with pip (see clients/python/README.md); nothing is generated at
run time. Runtime: grpcio and protobuf (Debian python3-grpcio,
python3-protobuf).
"""

import importlib
import types

__version__ = "0.1.0"

# The modules load() returns, by short name, under quorum_client._proto.
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

_loaded = None


def load():
    """A namespace of the generated modules: resources, graph, graph_grpc,
    policy, policy_service, policy_grpc, signals, signals_grpc,
    qualification, qualification_grpc, intake, intake_grpc, notes,
    notes_grpc, workflow, workflow_grpc, status, error_details."""
    global _loaded
    if _loaded is None:
        try:
            modules = {short: importlib.import_module(
                           f"{__name__}._proto.{full}")
                       for short, full in _MODULES.items()}
        except ModuleNotFoundError as error:
            raise ImportError(
                "quorum_client has no generated modules: install it with "
                "pip (pip install --no-deps --no-build-isolation "
                "./clients/python) rather than importing it from the source "
                "folder") from error
        _loaded = types.SimpleNamespace(**modules)
    return _loaded


def channel(target, credentials=None, options=None):
    """A channel to quorumd at `target` ("host:port"): insecure unless
    `credentials` (grpc.ChannelCredentials) are given."""
    import grpc
    if credentials is None:
        return grpc.insecure_channel(target, options=options)
    return grpc.secure_channel(target, credentials, options=options)


def error_details(rpc_error):
    """The google.rpc.Status of a grpc.RpcError, or None."""
    q = load()
    for key, value in rpc_error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = q.status.Status()
            status.ParseFromString(value)
            return status
    return None


def field_violations(rpc_error):
    """[(field, description)] of the google.rpc.BadRequest details of a
    grpc.RpcError (INVALID_ARGUMENT), in order; [] when there are none."""
    q = load()
    status = error_details(rpc_error)
    out = []
    for detail in status.details if status is not None else ():
        bad_request = q.error_details.BadRequest()
        if detail.Unpack(bad_request):
            out += [(v.field, v.description)
                    for v in bad_request.field_violations]
    return out
