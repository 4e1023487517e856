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
import ipaddress
import json
import os
import types
import uuid

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
    "access": "quorum.v1.access_pb2",
    "admin": "quorum.v1.admin_service_pb2",
    "admin_grpc": "quorum.v1.admin_service_pb2_grpc",
    "webhooks": "quorum.v1.webhook_service_pb2",
    "webhooks_grpc": "quorum.v1.webhook_service_pb2_grpc",
    "status": "google.rpc.status_pb2",
    "error_details": "google.rpc.error_details_pb2",
}

_loaded = None


def load():
    """A namespace of the generated modules: resources, graph, graph_grpc,
    policy, policy_service, policy_grpc, signals, signals_grpc,
    qualification, qualification_grpc, intake, intake_grpc, notes,
    notes_grpc, workflow, workflow_grpc, access, admin, admin_grpc,
    webhooks, webhooks_grpc, status, error_details."""
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


class _BearerToken:
    """grpc.AuthMetadataPlugin-like callable adding `authorization`."""

    def __init__(self, token):
        self._header = (("authorization", "Bearer " + token),)

    def __call__(self, context, callback):
        callback(self._header, None)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


# The methods a channel retries on UNAVAILABLE: the reads, and the writes
# whose request carries a request_id (AIP-155), which the channel fills with
# a new UUID when the caller leaves it empty, so that a retried write is
# applied once. Other writes are sent once. The same list as the quorum CLI
# and the Node client (docs/cli.md, "Several addresses and retries").
RETRIED_READS = (
    "quorum.v1.AccountGraphService/GetAccount",
    "quorum.v1.AccountGraphService/ListAccounts",
    "quorum.v1.AccountGraphService/GetSite",
    "quorum.v1.AccountGraphService/ListSites",
    "quorum.v1.AccountGraphService/GetStakeholder",
    "quorum.v1.AccountGraphService/ListStakeholders",
    "quorum.v1.AccountGraphService/GetRelationship",
    "quorum.v1.AccountGraphService/ListRelationships",
    "quorum.v1.AccountGraphService/GetCommitteeMap",
    "quorum.v1.IntakeService/ListUnplacedLeads",
    "quorum.v1.NoteService/ListNotes",
    "quorum.v1.PolicyService/GetPolicy",
    "quorum.v1.PolicyService/ValidatePolicy",
    "quorum.v1.PolicyService/ListPolicyRevisions",
    "quorum.v1.PolicyService/SimulatePolicy",
    "quorum.v1.QualificationService/QualifyAccount",
    "quorum.v1.SignalService/ListSignals",
    "quorum.v1.WorkflowService/ListStatusChanges",
    "quorum.v1.WorkflowService/GetHandoff",
    "quorum.v1.WorkflowService/ListHandoffs",
    "quorum.v1.WorkflowService/GetProcessMetrics",
    "quorum.v1.WorkflowService/ListAccountReadiness",
    "quorum.v1.WebhookService/GetWebhook",
    "quorum.v1.WebhookService/ListWebhooks",
    # A stream: retried only until the response headers arrive.
    "quorum.v1.WorkflowService/WatchReadiness",
    "grpc.health.v1.Health/Check",
)
RETRIED_WRITES = (
    "quorum.v1.AccountGraphService/CreateAccount",
    "quorum.v1.AccountGraphService/CreateSite",
    "quorum.v1.AccountGraphService/CreateStakeholder",
    "quorum.v1.AccountGraphService/CreateRelationship",
    "quorum.v1.AccountGraphService/MoveStakeholder",
    "quorum.v1.IntakeService/SubmitLead",
    "quorum.v1.IntakeService/PlaceLead",
    "quorum.v1.WorkflowService/TransitionStatus",
    "quorum.v1.WorkflowService/CreateHandoff",
    "quorum.v1.WebhookService/CreateWebhook",
)
MAX_ATTEMPTS = 4


def service_config():
    """The channels' service config (JSON): round_robin over the addresses,
    and at most MAX_ATTEMPTS attempts (exponential backoff from 0.1 s to 1 s)
    of the retried methods on UNAVAILABLE."""
    names = [{"service": m.split("/")[0], "method": m.split("/")[1]}
             for m in RETRIED_READS + RETRIED_WRITES]
    return json.dumps({
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [{
            "name": names,
            "retryPolicy": {
                "maxAttempts": MAX_ATTEMPTS,
                "initialBackoff": "0.1s",
                "maxBackoff": "1s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }],
    })


def _ip_family(address):
    """4 or 6 for "IPv4:port" or "[IPv6]:port", None for anything else."""
    if address.startswith("["):
        host, sep, port = address[1:].partition("]:")
        version = 6
    else:
        host, sep, port = address.rpartition(":")
        version = 4
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    try:
        return version if ipaddress.ip_address(host).version == version else None
    except ValueError:
        return None


def grpc_target(addresses):
    """(gRPC target, authority or None) for `addresses`: one address (or a
    gRPC target such as "dns:///host:port") as given, or several IP:PORT
    addresses — a list, or a text with commas — as an "ipv4:" or "ipv6:"
    target whose authority is the first address. Raises ValueError naming
    `addresses` for a bad list."""
    if isinstance(addresses, str):
        text = addresses.strip()
        if not text:
            raise ValueError("addresses: no address given")
        if text.split(":")[0] in ("dns", "ipv4", "ipv6", "unix",
                                  "unix-abstract", "vsock"):
            return text, None
        addresses = text.split(",")
    addresses = [a.strip() for a in addresses]
    if len(addresses) == 1 and addresses[0]:
        return addresses[0], None
    families = set()
    for address in addresses:
        if not address:
            raise ValueError("addresses: an empty address in the list")
        family = _ip_family(address)
        if family is None:
            raise ValueError(
                f"addresses: {address!r} in a list of addresses is not "
                "IP:PORT (an IPv4 address, or an IPv6 address in brackets, "
                "and a port); for host names give one name whose DNS "
                "records list every node")
        families.add(family)
    if len(families) > 1:
        raise ValueError("addresses: the list mixes IPv4 and IPv6 addresses")
    scheme = "ipv4:" if families == {4} else "ipv6:"
    return scheme + ",".join(addresses), addresses[0]


def channel(target, token=None, tls_ca=None, tls_cert=None, tls_key=None,
            tls_server_name=None, credentials=None, options=None):
    """A channel to quorumd at `target`: one "host:port", or
    several IP:PORT addresses (a list, or separated by commas), over which
    calls go round robin. Reads and writes with a request_id are retried on
    UNAVAILABLE (an empty request_id is filled with a new UUID); other
    writes are not.

    token: a bearer token (default: $QUORUM_TOKEN) sent on every call.
    tls_ca: PEM file of the CA that signed quorumd's certificate; TLS is on
    when it (or tls_cert) is given. tls_cert/tls_key: a client certificate
    for mutual TLS. Without TLS the channel is plaintext (quorumd on
    loopback) and the token travels in call metadata. credentials: ready
    grpc.ChannelCredentials instead of the tls_* files; options: channel
    options.
    """
    import grpc
    if token is None:
        token = os.environ.get("QUORUM_TOKEN") or None
    target, authority = grpc_target(target)
    options = [("grpc.service_config", service_config()),
               ("grpc.enable_retries", 1)] + list(options or [])
    if authority is not None:
        options.append(("grpc.default_authority", authority))
    if credentials is not None:
        if token:
            credentials = grpc.composite_channel_credentials(
                credentials, grpc.metadata_call_credentials(_BearerToken(token)))
        return _with_request_ids(
            grpc.secure_channel(target, credentials, options))
    if tls_ca is None and tls_cert is None:
        ch = grpc.insecure_channel(target, options=options)
        if token:
            ch = grpc.intercept_channel(ch, _TokenInterceptor(token))
        return _with_request_ids(ch)
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("tls_cert and tls_key go together")
    creds = grpc.ssl_channel_credentials(
        root_certificates=_read(tls_ca) if tls_ca else None,
        private_key=_read(tls_key) if tls_key else None,
        certificate_chain=_read(tls_cert) if tls_cert else None)
    if token:
        creds = grpc.composite_channel_credentials(
            creds, grpc.metadata_call_credentials(_BearerToken(token)))
    if tls_server_name:
        options.append(("grpc.ssl_target_name_override", tls_server_name))
    return _with_request_ids(grpc.secure_channel(target, creds, options))


def _with_request_ids(ch):
    import grpc
    return grpc.intercept_channel(ch, _RequestIdInterceptor())


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


class _RequestIdInterceptor(_token_interceptor_base()[0]):
    """Fills an empty request_id of the retried writes with a new UUID
    before the call, so that every attempt carries the same one."""

    _METHODS = frozenset("/" + m for m in RETRIED_WRITES)

    def intercept_unary_unary(self, continuation, details, request):
        if (details.method in self._METHODS
                and hasattr(request, "request_id") and not request.request_id):
            filled = type(request)()
            filled.CopyFrom(request)
            filled.request_id = str(uuid.uuid4())
            request = filled
        return continuation(details, request)


def error_details(rpc_error):
    """The google.rpc.Status of a grpc.RpcError, or None."""
    q = load()
    for key, value in rpc_error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = q.status.Status()
            status.ParseFromString(value)
            return status
    return None


def feed_range(call):
    """(head, first) of a WatchReadiness call: the last event's sequence
    number when the stream started (0: none yet) and the first retained
    one's, from its response headers (quorum-head-sequence,
    quorum-first-sequence). Waits for the headers; None when the call
    carries none (it failed before they were sent)."""
    headers = dict(call.initial_metadata() or ())
    if "quorum-head-sequence" not in headers:
        return None
    return (int(headers["quorum-head-sequence"]),
            int(headers.get("quorum-first-sequence", "1")))


def error_info(rpc_error):
    """The google.rpc.ErrorInfo details of a grpc.RpcError as (reason,
    {metadata}), e.g. ("SEQUENCE_OUT_OF_RANGE", {"first_sequence": "1",
    "head_sequence": "42", ...}) for a watch position outside the feed;
    None when there is none."""
    q = load()
    status = error_details(rpc_error)
    for detail in status.details if status is not None else ():
        info = q.error_details.ErrorInfo()
        if detail.Unpack(info):
            return info.reason, dict(info.metadata)
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
