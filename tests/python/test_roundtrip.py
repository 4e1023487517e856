#!/usr/bin/python3
"""quorum's Python client (clients/python, the quorum-client package)
against quorumd.

    tests/python/run_client_tests.sh BUILD_DIR   # installs it, then runs this

1. Imports quorum_client as pip installed it into a virtual environment
   (--system-site-packages: Debian's grpcio and protobuf), and checks that it
   came from there, with its generated modules, and not from the source
   folder.
2. Starts quorumd on 127.0.0.1, port 0, with a temporary data directory and
   port file, and talks to it over a real channel: health, create / get / list
   accounts, a stakeholder with an e-mail, and an invalid request whose
   google.rpc.Status (trailing metadata `grpc-status-details-bin`) carries a
   google.rpc.BadRequest.
3. Stops quorumd with SIGTERM and expects exit status 0.
4. Runs the README's snippet (clients/python/README.md) and examples,
   clients/python/examples/qualify.py, stream_signals.py and abm_ready.py,
   against servers with the demo data.
5. Several addresses: round robin over two quorumd processes with the demo
   data, reads through one when the other is killed (SIGKILL), and the retry
   policy against a node that answers UNAVAILABLE.

Prints "N passed, M failed" last; the exit status is 0 only when M is 0.
Uses only Debian's python3-grpcio and python3-protobuf at run time.
"""

import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

PORT_FILE_TIMEOUT_SECONDS = 20.0
RPC_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 20.0

ARGS = None  # argparse.Namespace, set in main().
ROOT = pathlib.Path(__file__).resolve().parents[2]  # The source tree.

# Generated modules, imported by generate_client().
resources_pb2 = None
service_pb2 = None
service_pb2_grpc = None
status_pb2 = None
error_details_pb2 = None


def log(message):
    print(f"test_roundtrip: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------ code generation


def import_client(client_dir):
    """Imports the installed quorum_client and the modules the tests use;
    fails when it is the source folder's (not installed) or when it would
    need generated code next to the sources."""
    global resources_pb2, service_pb2, service_pb2_grpc, status_pb2
    global error_details_pb2
    import quorum_client
    installed = os.path.dirname(os.path.abspath(quorum_client.__file__))
    source = os.path.abspath(os.path.join(client_dir, "quorum_client"))
    if installed == source:
        raise RuntimeError(f"quorum_client was imported from {source}, "
                           "not from the installed package")
    if os.path.exists(os.path.join(source, "_proto")):
        raise RuntimeError(f"generated code was written into {source}")
    q = quorum_client.load()
    log(f"quorum_client {quorum_client.__version__} from {installed}")
    resources_pb2, service_pb2, service_pb2_grpc = q.resources, q.graph, q.graph_grpc
    status_pb2, error_details_pb2 = q.status, q.error_details


# ------------------------------------------------------------- health check


def _health_messages():
    """grpc.health.v1 request and response classes, built from a descriptor.

    Debian's python3-grpcio has no grpc_health package, so the two messages
    of the standard health protocol are declared here, in a private pool.
    """
    from google.protobuf import descriptor_pb2, descriptor_pool
    from google.protobuf import message_factory

    f = descriptor_pb2.FileDescriptorProto(
        name="quorum_test/grpc_health_v1.proto", package="grpc.health.v1",
        syntax="proto3")
    request = f.message_type.add(name="HealthCheckRequest")
    request.field.add(name="service", number=1,
                      type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    response = f.message_type.add(name="HealthCheckResponse")
    enum = response.enum_type.add(name="ServingStatus")
    for number, name in enumerate(
            ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]):
        enum.value.add(name=name, number=number)
    response.field.add(
        name="status", number=1,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_ENUM,
        type_name=".grpc.health.v1.HealthCheckResponse.ServingStatus",
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)

    def message_class(full_name):
        descriptor = pool.FindMessageTypeByName(full_name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(descriptor)
        return message_factory.MessageFactory(pool).GetPrototype(descriptor)

    return (message_class("grpc.health.v1.HealthCheckRequest"),
            message_class("grpc.health.v1.HealthCheckResponse"))


# ------------------------------------------------------------------ quorumd


class Quorumd:
    """quorumd on 127.0.0.1, port 0, with a temporary data directory."""

    def __init__(self, binary, extra_args=()):
        self.binary = os.path.abspath(binary)
        self.extra_args = list(extra_args)
        self.tmp = tempfile.mkdtemp(prefix="quorum-pytest-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.port_file = os.path.join(self.tmp, "port")
        self.log_path = os.path.join(self.tmp, "quorumd.log")
        self.process = None
        self.port = None

    def start(self):
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        command = [self.binary, "--listen=127.0.0.1:0",
                   f"--data-dir={self.data_dir}",
                   f"--port-file={self.port_file}", *self.extra_args]
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=subprocess.STDOUT)
        if self._wait_for_port():
            return self.port
        exited = self.process.poll()
        self.kill()
        if exited is not None:
            reason = f"exited with status {exited} before writing {self.port_file}"
        else:
            reason = (f"did not write {self.port_file} within "
                      f"{PORT_FILE_TIMEOUT_SECONDS:.0f}s")
        raise RuntimeError(f"quorumd {reason}; its log:\n{self.log()}")

    def _wait_for_port(self):
        deadline = time.monotonic() + PORT_FILE_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                with open(self.port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    return True
            except FileNotFoundError:
                pass
            if self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def address(self):
        return f"127.0.0.1:{self.port}"

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        """SIGTERM, then the exit status (SIGKILL after a timeout: None)."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


# -------------------------------------------------------------------- tests


def status_details(error):
    """The google.rpc.Status in an RpcError's trailing metadata, or None."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    return None


class RoundTripTest(unittest.TestCase):
    """One quorumd for all the tests of the class, over one channel."""

    @classmethod
    def setUpClass(cls):
        cls.server = Quorumd(ARGS.quorumd)
        try:
            cls.server.start()
            cls.channel = grpc.insecure_channel(cls.server.address())
            grpc.channel_ready_future(cls.channel).result(
                timeout=RPC_TIMEOUT_SECONDS)
        except BaseException:
            cls.server.cleanup()
            raise
        cls.stub = service_pb2_grpc.AccountGraphServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.stop()
        cls.server.cleanup()

    def create_account(self, account_id, **fields):
        fields.setdefault("display_name", f"Account {account_id}")
        fields.setdefault("country_code", "DE")
        return self.stub.CreateAccount(
            service_pb2.CreateAccountRequest(
                account=resources_pb2.Account(**fields), account_id=account_id),
            timeout=RPC_TIMEOUT_SECONDS)

    def test_health_check_serving(self):
        request_class, response_class = _health_messages()
        check = self.channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString)
        response = check(request_class(service=""), timeout=RPC_TIMEOUT_SECONDS)
        self.assertEqual(
            response_class.ServingStatus.Name(response.status), "SERVING")

    def test_create_then_get_account(self):
        created = self.create_account(
            "laborzentrum-isartal",
            display_name="Laborzentrum Isartal",
            country_code="DE",
            subdivision_code="DE-BY",
            facility_type=resources_pb2.FACILITY_TYPE_REFERENCE_LAB,
            domains=["laborzentrum-isartal.de"],
            testing_scopes=["molecular", "microbiology"],
            annual_test_volume=14000000,
            accreditations=["ISO 15189"])
        self.assertEqual(created.name, "accounts/laborzentrum-isartal")
        self.assertEqual(created.display_name, "Laborzentrum Isartal")
        self.assertEqual(created.country_code, "DE")
        self.assertEqual(created.subdivision_code, "DE-BY")
        self.assertEqual(created.facility_type,
                         resources_pb2.FACILITY_TYPE_REFERENCE_LAB)
        self.assertEqual(list(created.domains), ["laborzentrum-isartal.de"])
        self.assertTrue(created.HasField("annual_test_volume"))
        self.assertEqual(created.annual_test_volume, 14000000)
        self.assertEqual(created.lifecycle_status,
                         resources_pb2.LIFECYCLE_STATUS_NEW)
        self.assertTrue(created.etag)
        self.assertTrue(created.HasField("create_time"))

        got = self.stub.GetAccount(
            service_pb2.GetAccountRequest(name=created.name),
            timeout=RPC_TIMEOUT_SECONDS)
        self.assertEqual(got, created)

    def test_list_accounts(self):
        names = {self.create_account(f"list-{i}").name for i in range(3)}
        listed, token, pages = [], "", 0
        while True:
            page = self.stub.ListAccounts(
                service_pb2.ListAccountsRequest(page_size=2, page_token=token),
                timeout=RPC_TIMEOUT_SECONDS)
            pages += 1
            self.assertLessEqual(len(page.accounts), 2)
            listed.extend(a.name for a in page.accounts)
            token = page.next_page_token
            if not token:
                break
            self.assertLess(pages, 100, "pagination does not end")
        self.assertTrue(names.issubset(listed), f"{names} not in {listed}")
        self.assertEqual(listed, sorted(listed), "not in name order")
        self.assertEqual(len(listed), len(set(listed)), "duplicates")

    def test_create_stakeholder_with_email(self):
        account = self.create_account(
            "northfield-health", display_name="Northfield Health System",
            country_code="US", subdivision_code="US-NJ",
            domains=["northfield-health.org"])
        created = self.stub.CreateStakeholder(
            service_pb2.CreateStakeholderRequest(
                parent=account.name,
                stakeholder_id="maria-lopez",
                stakeholder=resources_pb2.Stakeholder(
                    display_name="Maria Lopez",
                    email="Maria.Lopez@Northfield-Health.org",
                    title="Laboratory Operations Manager",
                    roles=[resources_pb2.RoleAssignment(
                        role=resources_pb2.COMMITTEE_ROLE_LAB_OPERATIONS,
                        source=resources_pb2.ROLE_SOURCE_CONFIRMED)],
                    engagement=resources_pb2.ENGAGEMENT_ENGAGED)),
            timeout=RPC_TIMEOUT_SECONDS)
        self.assertEqual(created.name,
                         "accounts/northfield-health/stakeholders/maria-lopez")
        self.assertEqual(created.email, "maria.lopez@northfield-health.org")
        self.assertEqual(len(created.roles), 1)
        self.assertEqual(created.roles[0].role,
                         resources_pb2.COMMITTEE_ROLE_LAB_OPERATIONS)
        got = self.stub.GetStakeholder(
            service_pb2.GetStakeholderRequest(name=created.name),
            timeout=RPC_TIMEOUT_SECONDS)
        self.assertEqual(got, created)

    def test_role_sources_round_trip_and_fuse_in_the_verdict(self):
        import quorum_client
        q = quorum_client.load()
        account = self.create_account("isar-quality", country_code="DE")
        created = self.stub.CreateStakeholder(
            service_pb2.CreateStakeholderRequest(
                parent=account.name,
                stakeholder_id="eva-kraus",
                stakeholder=resources_pb2.Stakeholder(
                    display_name="Eva Kraus",
                    title="Quality Manager",
                    roles=[
                        resources_pb2.RoleAssignment(
                            role=resources_pb2.COMMITTEE_ROLE_QUALITY,
                            source=resources_pb2.ROLE_SOURCE_INFERRED,
                            basis="quality"),
                        resources_pb2.RoleAssignment(
                            role=resources_pb2.COMMITTEE_ROLE_QUALITY,
                            source=resources_pb2.ROLE_SOURCE_CRM,
                            basis="Quality Manager")])),
            timeout=RPC_TIMEOUT_SECONDS)
        self.assertEqual(
            {(r.source, r.basis) for r in created.roles},
            {(resources_pb2.ROLE_SOURCE_INFERRED, "quality"),
             (resources_pb2.ROLE_SOURCE_CRM, "Quality Manager")})
        verdict = q.qualification_grpc.QualificationServiceStub(
            self.channel).QualifyAccount(
                q.qualification.QualifyAccountRequest(name=account.name),
                timeout=RPC_TIMEOUT_SECONDS)
        holdings = [h for h in verdict.committee.roles
                    if h.stakeholder == created.name]
        self.assertEqual(len(holdings), 1, verdict.committee)
        holding = holdings[0]
        self.assertEqual(holding.role, resources_pb2.COMMITTEE_ROLE_QUALITY)
        # The default policy's weights, 0.5 (title) and 0.6 (CRM), fused:
        # 1 - 0.5 * 0.4.
        self.assertAlmostEqual(holding.confidence, 0.8, places=9)
        self.assertEqual(holding.certainty,
                         q.qualification.ROLE_CERTAINTY_LIKELY)
        self.assertEqual(
            [(e.source, e.basis, e.weight) for e in holding.evidence],
            [(resources_pb2.ROLE_SOURCE_CRM, "Quality Manager", 0.6),
             (resources_pb2.ROLE_SOURCE_INFERRED, "quality", 0.5)])

    def test_invalid_country_gives_bad_request(self):
        with self.assertRaises(grpc.RpcError) as raised:
            self.create_account("bad-country", display_name="Nowhere Lab",
                                country_code="XX")
        error = raised.exception
        self.assertEqual(error.code(), grpc.StatusCode.INVALID_ARGUMENT)

        status = status_details(error)
        self.assertIsNotNone(status, "no grpc-status-details-bin trailer")
        self.assertEqual(status.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        bad_requests = []
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                self.assertTrue(detail.Unpack(bad_request))
                bad_requests.append(bad_request)
        self.assertEqual(len(bad_requests), 1, f"details: {status.details}")
        fields = [v.field for v in bad_requests[0].field_violations]
        self.assertIn("account.country_code", fields)

        with self.assertRaises(grpc.RpcError) as missing:
            self.stub.GetAccount(
                service_pb2.GetAccountRequest(name="accounts/bad-country"),
                timeout=RPC_TIMEOUT_SECONDS)
        self.assertEqual(missing.exception.code(), grpc.StatusCode.NOT_FOUND)


class ShutdownTest(unittest.TestCase):
    """A quorumd of its own, stopped with SIGTERM."""

    def setUp(self):
        self.server = Quorumd(ARGS.quorumd)
        self.addCleanup(self.server.cleanup)  # Runs even if start() fails.
        self.server.start()

    def test_sigterm_exits_zero(self):
        with grpc.insecure_channel(self.server.address()) as channel:
            stub = service_pb2_grpc.AccountGraphServiceStub(channel)
            stub.ListAccounts(service_pb2.ListAccountsRequest(),
                              timeout=RPC_TIMEOUT_SECONDS)
        code = self.server.stop()
        self.assertEqual(code, 0, f"quorumd log:\n{self.server.log()}")


# --------------------------------------------------------------------- main


class DemoVerdictExampleTest(unittest.TestCase):
    """The README's verdict example: clients/python/examples/qualify.py
    against a server with the demo data."""

    def setUp(self):
        self.server = Quorumd(ARGS.quorumd, [f"--demo-data={ARGS.demo_data}"])
        self.addCleanup(self.server.cleanup)
        self.server.start()

    def run_example(self, *args):
        script = os.path.join(ARGS.client_dir, "examples", "qualify.py")
        return subprocess.run(
            [sys.executable, script, "--server", self.server.address(), *args],
            capture_output=True, text=True, timeout=60)

    def test_worked_example_account_routes_to_sales_discovery(self):
        result = self.run_example("--as-of", "2026-12-01T00:00:00Z",
                                  "accounts/cascade-valley-health")
        self.assertEqual(result.returncode, 0, result.stderr)
        verdict = json.loads(result.stdout)
        self.assertEqual(verdict["route"], "ROUTE_SALES_DISCOVERY")
        self.assertEqual(verdict["decidedBy"], "fit-and-intent")
        self.assertEqual(verdict["asOf"], "2026-12-01T00:00:00Z")
        questions = [q["id"] for q in verdict["questions"]]
        for wanted in ("pilot-goals", "validation-steps", "integration-needs"):
            self.assertIn(wanted, questions)

    def test_unknown_account_prints_the_error_and_fails(self):
        result = self.run_example("accounts/nobody")
        self.assertEqual(result.returncode, 1)
        self.assertIn("NOT_FOUND", result.stderr)


class ReadmeSnippetTest(unittest.TestCase):
    """The ```python block of clients/python/README.md, as a reader copies
    it, against a server with the demo data (the README's run command's),
    twice: it must not depend on an empty server or on running once."""

    def setUp(self):
        self.server = Quorumd(ARGS.quorumd, [f"--demo-data={ARGS.demo_data}"])
        self.addCleanup(self.server.cleanup)
        self.server.start()

    def snippet(self):
        path = os.path.join(ARGS.client_dir, "README.md")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        start = text.index("```python\n") + len("```python\n")
        return text[start:text.index("```", start)]

    def test_the_snippet_runs_on_the_demo_server(self):
        code = self.snippet().replace("127.0.0.1:50051",
                                      self.server.address())
        self.assertNotEqual(code, self.snippet(),
                            "the snippet names no server address")
        for attempt in (1, 2):
            result = subprocess.run([sys.executable, "-c", code],
                                    capture_output=True, text=True,
                                    timeout=60)
            self.assertEqual(result.returncode, 0,
                             f"run {attempt}: {result.stderr}")
            self.assertRegex(result.stdout, r"^ROUTE_[A-Z_]+ \d+\n")
            self.assertIn("lead.email", result.stdout)


class WatchFeedTest(unittest.TestCase):
    """WatchReadiness from Python: the feed's range in the response headers
    (quorum_client.feed_range), a replay from start_sequence 1, and a
    position beyond the head answered OUT_OF_RANGE with an ErrorInfo
    (quorum_client.error_info)."""

    def setUp(self):
        self.server = Quorumd(ARGS.quorumd, [f"--demo-data={ARGS.demo_data}"])
        self.addCleanup(self.server.cleanup)
        self.server.start()

    def test_headers_replay_and_out_of_range(self):
        import quorum_client
        q = quorum_client.load()
        channel = quorum_client.channel(self.server.address())
        self.addCleanup(channel.close)
        workflow = q.workflow_grpc.WorkflowServiceStub(channel)
        call = workflow.WatchReadiness(
            q.workflow.WatchReadinessRequest(start_sequence=1),
            timeout=RPC_TIMEOUT_SECONDS)
        head, first = quorum_client.feed_range(call)
        self.assertGreater(head, 0)  # The demo data's events.
        self.assertEqual(first, 1)
        replayed = [next(call).sequence for _ in range(head)]
        self.assertEqual(replayed, list(range(1, head + 1)))
        call.cancel()

        # Each solution's feed has its own sequence, from 1 without a gap.
        for solution in ["molecular-analyzer", "lis-middleware"]:
            watch = workflow.WatchReadiness(
                q.workflow.WatchReadinessRequest(start_sequence=1,
                                                 solution=solution),
                timeout=RPC_TIMEOUT_SECONDS)
            solution_head, _ = quorum_client.feed_range(watch)
            self.assertGreater(solution_head, 0, solution)
            events = [next(watch) for _ in range(solution_head)]
            watch.cancel()
            self.assertEqual([e.sequence for e in events],
                             list(range(1, solution_head + 1)))
            self.assertEqual({e.solution for e in events}, {solution})

        beyond = workflow.WatchReadiness(
            q.workflow.WatchReadinessRequest(after_sequence=head + 10),
            timeout=RPC_TIMEOUT_SECONDS)
        with self.assertRaises(grpc.RpcError) as raised:
            next(beyond)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.OUT_OF_RANGE)
        reason, metadata = quorum_client.error_info(raised.exception)
        self.assertEqual(reason, "SEQUENCE_OUT_OF_RANGE")
        self.assertEqual(int(metadata["head_sequence"]), head)


class StreamSignalsExampleTest(unittest.TestCase):
    """clients/python/examples/stream_signals.py: a stream of signals from
    the Python client lands once, and a retry counts each signal once."""

    def setUp(self):
        self.server = Quorumd(ARGS.quorumd, [f"--demo-data={ARGS.demo_data}"])
        self.addCleanup(self.server.cleanup)
        self.server.start()

    def stream(self, path, expected_exit):
        script = os.path.join(ARGS.client_dir, "examples", "stream_signals.py")
        result = subprocess.run(
            [sys.executable, script, "--server", self.server.address(), path],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, expected_exit, result.stderr)
        return json.loads(result.stdout), result.stderr

    def test_stream_lands_once_and_a_retry_counts_once(self):
        path = os.path.join(self.server.tmp, "signals.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for i in range(2000):
                f.write(json.dumps({
                    "parent": "accounts/pennine-valley-pathology",
                    "signalId": f"web-{i}",
                    "signal": {"type": "SIGNAL_TYPE_PAGE_VIEW",
                               "topic": "SIGNAL_TOPIC_VALIDATION",
                               "occurTime": "2026-11-20T10:00:00Z"}}) + "\n")
        first, _ = self.stream(path, 0)
        self.assertEqual(int(first["received"]), 2000)
        self.assertEqual(int(first["accepted"]), 2000)
        again, _ = self.stream(path, 0)
        self.assertEqual(int(again["accepted"]), 0)
        self.assertEqual(int(again["duplicates"]), 2000)

    def test_the_example_file_with_a_bad_record_exits_one(self):
        # docs/examples/page-views.jsonl, the README's example: 200 page
        # views and one signal for an account that does not exist.
        path = os.path.join(ARGS.client_dir, "..", "..", "docs", "examples",
                            "page-views.jsonl")
        first, err = self.stream(path, 1)
        self.assertEqual(int(first["received"]), 201)
        self.assertEqual(int(first["accepted"]), 200)
        self.assertEqual(int(first["rejected"]), 1)
        self.assertEqual(int(first["errors"][0]["position"]), 200)
        self.assertIn("1 signal(s) rejected", err)
        again, _ = self.stream(path, 1)
        self.assertEqual(int(again["accepted"]), 0)
        self.assertEqual(int(again["duplicates"]), 200)
        self.assertEqual(int(again["rejected"]), 1)


class AbmReadyExampleTest(unittest.TestCase):
    """clients/python/examples/abm_ready.py: the accounts of a country that
    are ready for sales (WorkflowService.ListAccountReadiness) and the roles
    each one misses, against the demo data as of a fixed time."""

    AS_OF = "2026-12-01T00:00:00Z"

    @classmethod
    def setUpClass(cls):
        cls.server = Quorumd(ARGS.quorumd, [f"--demo-data={ARGS.demo_data}"])
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def run_example(self, *args):
        script = os.path.join(ARGS.client_dir, "examples", "abm_ready.py")
        return subprocess.run(
            [sys.executable, script, "--server", self.server.address(),
             "--as-of", self.AS_OF, *args],
            capture_output=True, text=True, timeout=60)

    def test_ready_accounts_in_the_us_with_missing_roles(self):
        result = self.run_example("--country", "us", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        listing = json.loads(result.stdout)
        self.assertEqual(listing["country"], "US")
        accounts = {a["account"]: a for a in listing["accounts"]}
        self.assertEqual(list(accounts), ["accounts/northfield-health",
                                          "accounts/cascade-valley-health"])
        self.assertEqual(accounts["accounts/northfield-health"]["missing"], [])
        cascade = accounts["accounts/cascade-valley-health"]
        self.assertEqual(cascade["route"], "SALES_DISCOVERY")
        missing = {m["requirement"]: m["roles"] for m in cascade["missing"]}
        self.assertEqual(missing, {
            "lab-leadership": ["LAB_DIRECTOR", "MEDICAL_DIRECTOR"],
            "quality": ["QUALITY"],
            "informatics": ["INFORMATICS"]})

    def test_text_output_and_other_routes(self):
        result = self.run_example("--country", "DE")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("1 account(s) ready in DE", result.stdout)
        self.assertIn("TECHNICAL_PRESALES", result.stdout)
        self.assertIn("missing quality: QUALITY", result.stdout)
        # Every route: the nurtured accounts of the US too.
        every = json.loads(self.run_example("--country", "US", "--all-routes",
                                            "--json").stdout)
        self.assertIn("accounts/northfield-st-anne",
                      [a["account"] for a in every["accounts"]])
        readiness = [a["readiness"] for a in every["accounts"]]
        self.assertEqual(readiness, sorted(readiness, reverse=True))

    def test_unreachable_server_fails(self):
        script = os.path.join(ARGS.client_dir, "examples", "abm_ready.py")
        result = subprocess.run(
            [sys.executable, script, "--server", "127.0.0.1:1", "--country",
             "US"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1)
        self.assertIn("UNAVAILABLE", result.stderr)


class _UnavailableHandler(grpc.GenericRpcHandler):
    """Answers every unary call UNAVAILABLE (a node going away) before
    sending anything, and keeps each call's request bytes by method."""

    def __init__(self):
        self.requests = {}

    def service(self, handler_call_details):
        method = handler_call_details.method

        def unary(request, context):
            self.requests.setdefault(method, []).append(request)
            context.abort(grpc.StatusCode.UNAVAILABLE, "node going away")
        return grpc.unary_unary_rpc_method_handler(unary)

    def calls(self, method):
        return len(self.requests.get(method, []))


class SeveralAddressesTest(unittest.TestCase):
    """quorum_client.channel() over several addresses: round robin over two
    quorumd processes (own data folders, the same demo data), reads through
    the other when one is killed, and the retry policy against a node that
    answers UNAVAILABLE: reads and writes with a request_id retried (an
    empty request_id filled, the same on every attempt), others sent once."""

    def setUp(self):
        import quorum_client
        self.client = quorum_client
        self.q = quorum_client.load()
        self.a = Quorumd(ARGS.quorumd, [f"--demo-data={ARGS.demo_data}"])
        self.b = Quorumd(ARGS.quorumd, [f"--demo-data={ARGS.demo_data}"])
        for server in (self.a, self.b):
            self.addCleanup(server.cleanup)
            server.start()

    def unavailable_node(self):
        handler = _UnavailableHandler()
        server = grpc.server(concurrent.futures.ThreadPoolExecutor(4),
                             handlers=[handler])
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self.addCleanup(server.stop, None)
        return handler, f"127.0.0.1:{port}"

    def count_signals(self, server, prefix):
        with grpc.insecure_channel(server.address()) as ch:
            stub = self.q.signals_grpc.SignalServiceStub(ch)
            page = stub.ListSignals(self.q.signals.ListSignalsRequest(
                parent="accounts/lakeshore-phl", page_size=1000),
                timeout=RPC_TIMEOUT_SECONDS)
        return sum(f"/signals/{prefix}" in s.name for s in page.signals)

    def test_calls_go_round_robin_over_the_addresses(self):
        ch = self.client.channel(f"{self.a.address()},{self.b.address()}")
        self.addCleanup(ch.close)
        grpc.channel_ready_future(ch).result(timeout=RPC_TIMEOUT_SECONDS)
        stub = self.q.signals_grpc.SignalServiceStub(ch)
        for i in range(10):
            stub.RecordSignals(self.q.signals.RecordSignalsRequest(requests=[
                self.q.signals.CreateSignalRequest(
                    parent="accounts/lakeshore-phl", signal_id=f"rr-{i}",
                    signal=self.q.resources.Signal(
                        type=self.q.resources.SIGNAL_TYPE_PAGE_VIEW,
                        occur_time=timestamp_pb2.Timestamp(seconds=1795341600)))]),
                timeout=RPC_TIMEOUT_SECONDS)
        on_a, on_b = self.count_signals(self.a, "rr-"), self.count_signals(
            self.b, "rr-")
        self.assertEqual(on_a + on_b, 10)
        self.assertGreater(on_a, 0, "node a got none: no round robin")
        self.assertGreater(on_b, 0, "node b got none: no round robin")

    def test_reads_answer_through_the_other_when_one_is_killed(self):
        ch = self.client.channel([self.a.address(), self.b.address()])
        self.addCleanup(ch.close)
        self.a.kill()  # SIGKILL
        verdicts = self.q.qualification_grpc.QualificationServiceStub(ch)
        for _ in range(4):
            verdict = verdicts.QualifyAccount(
                self.q.qualification.QualifyAccountRequest(
                    name="accounts/cascade-valley-health"),
                timeout=RPC_TIMEOUT_SECONDS)
            self.assertEqual(verdict.account, "accounts/cascade-valley-health")

    def test_retried_writes_are_applied_once(self):
        handler, going_away = self.unavailable_node()
        ch = self.client.channel([going_away, self.b.address()])
        self.addCleanup(ch.close)
        intake = self.q.intake_grpc.IntakeServiceStub(ch)
        emails = [f"lab.ops{i}@cascadevalleyhealth.org" for i in range(4)]
        for i, email in enumerate(emails):  # No request_id: one is filled.
            intake.SubmitLead(self.q.intake.SubmitLeadRequest(
                lead=self.q.intake.Lead(
                    email=email, first_name="Ana", last_name=f"Ruiz{i}",
                    title="Lab Operations Manager",
                    company="Cascade Valley Health", country="US")),
                timeout=RPC_TIMEOUT_SECONDS)
        with grpc.insecure_channel(self.b.address()) as direct:
            people = self.q.graph_grpc.AccountGraphServiceStub(
                direct).ListStakeholders(
                    self.q.graph.ListStakeholdersRequest(
                        parent="accounts/cascade-valley-health",
                        page_size=1000), timeout=RPC_TIMEOUT_SECONDS)
        for email in emails:
            self.assertEqual(
                sum(p.email == email for p in people.stakeholders), 1, email)
        self.assertGreater(
            handler.calls("/quorum.v1.IntakeService/SubmitLead"), 0,
            "round robin never picked the node going away")

    def test_idempotent_calls_are_retried_and_other_writes_sent_once(self):
        handler, going_away = self.unavailable_node()
        ch = self.client.channel(going_away)
        self.addCleanup(ch.close)

        def fails(call, request):
            with self.assertRaises(grpc.RpcError) as raised:
                call(request, timeout=RPC_TIMEOUT_SECONDS)
            self.assertEqual(raised.exception.code(),
                             grpc.StatusCode.UNAVAILABLE)

        q, attempts = self.q, self.client.MAX_ATTEMPTS
        fails(q.qualification_grpc.QualificationServiceStub(ch).QualifyAccount,
              q.qualification.QualifyAccountRequest(name="accounts/x"))
        self.assertEqual(handler.calls(
            "/quorum.v1.QualificationService/QualifyAccount"), attempts)
        fails(q.intake_grpc.IntakeServiceStub(ch).SubmitLead,
              q.intake.SubmitLeadRequest(lead=q.intake.Lead(email="a@b.example")))
        leads = handler.requests["/quorum.v1.IntakeService/SubmitLead"]
        self.assertEqual(len(leads), attempts)
        ids = {q.intake.SubmitLeadRequest.FromString(r).request_id
               for r in leads}
        self.assertEqual(len(ids), 1)
        self.assertEqual(len(ids.pop()), 36)  # A UUID, the same each time.
        fails(q.intake_grpc.IntakeServiceStub(ch).SubmitLead,
              q.intake.SubmitLeadRequest(request_id="mine",
                                         lead=q.intake.Lead(email="a@b.example")))
        self.assertEqual(q.intake.SubmitLeadRequest.FromString(
            handler.requests["/quorum.v1.IntakeService/SubmitLead"][-1]
        ).request_id, "mine")
        fails(q.notes_grpc.NoteServiceStub(ch).CreateNote,
              q.notes.CreateNoteRequest(parent="accounts/x"))
        self.assertEqual(handler.calls("/quorum.v1.NoteService/CreateNote"), 1)
        fails(q.policy_grpc.PolicyServiceStub(ch).PublishPolicy,
              q.policy_service.PublishPolicyRequest())
        self.assertEqual(
            handler.calls("/quorum.v1.PolicyService/PublishPolicy"), 1)

    def test_a_bad_address_list_is_refused(self):
        for bad in ("127.0.0.1:1,,127.0.0.1:2", "127.0.0.1:1,quorum-b:50051",
                    "127.0.0.1:1,[::1]:2", ["127.0.0.1:1", "127.0.0.1"], " "):
            with self.assertRaises(ValueError) as raised:
                self.client.channel(bad)
            self.assertIn("addresses", str(raised.exception))


class RetryListsTest(unittest.TestCase):
    """The methods the clients retry on UNAVAILABLE follow one rule over the
    protos, the same in the Python, Node and C++ (quorum CLI) clients: reads
    (Get, List, Qualify, Validate, Simulate, Watch, and health) and writes
    whose request has a request_id; a new RPC that is not listed where the
    rule says it should be (or the other way round) fails here."""

    READ_PREFIXES = ("Get", "List", "Qualify", "Validate", "Simulate", "Watch")

    def expected(self):
        import quorum_client
        q = quorum_client.load()
        out = {"grpc.health.v1.Health/Check"}
        seen = set()
        for name in dir(q):
            services = getattr(getattr(getattr(q, name), "DESCRIPTOR", None),
                               "services_by_name", None)
            for service in (services or {}).values():
                if service.full_name in seen:
                    continue
                seen.add(service.full_name)
                for method in service.methods:
                    if (method.name.startswith(self.READ_PREFIXES) or
                            "request_id" in method.input_type.fields_by_name):
                        out.add(f"{service.full_name}/{method.name}")
        self.assertIn("quorum.v1.WorkflowService", seen)
        return out

    @staticmethod
    def listed_in(path):
        text = (ROOT / path).read_text()
        return set(re.findall(r'"((?:quorum\.v1|grpc\.health\.v1)\.\w+/\w+)"',
                              text))

    def test_every_client_retries_what_the_rule_says(self):
        import quorum_client
        expected = self.expected()
        python = set(quorum_client.RETRIED_READS + quorum_client.RETRIED_WRITES)
        self.assertEqual(python, expected)
        self.assertEqual(self.listed_in("clients/node/index.js"), expected)
        self.assertEqual(self.listed_in("clients/quorum/channel.cc"), expected)


class CountingResult(unittest.TextTestResult):
    """Counts the test methods that passed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


class AccessExampleTest(unittest.TestCase):
    """quorum_client.channel() with a token, over plaintext loopback and
    over mutual TLS with certificates made by openssl."""

    @classmethod
    def setUpClass(cls):
        import quorum_client
        cls.client = quorum_client
        cls.tmp = tempfile.mkdtemp(prefix="quorum-pytest-access-")
        cls.tokens = os.path.join(cls.tmp, "tokens.txt")
        made = subprocess.run(
            [os.path.abspath(ARGS.quorumd), "token", "create",
             f"--token-file={cls.tokens}", "--name=python-sync",
             "--scopes=read,write"],
            capture_output=True, text=True, check=True)
        cls.token = made.stdout.strip()
        cls.certs = os.path.join(cls.tmp, "certs")
        subprocess.run(
            ["bash", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                  "..", "e2e", "make_test_certs.sh"),
             cls.certs], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def serve(self, extra):
        server = Quorumd(ARGS.quorumd, [f"--token-file={self.tokens}", *extra])
        self.addCleanup(server.cleanup)
        server.start()
        return server

    def list_accounts(self, channel):
        stub = service_pb2_grpc.AccountGraphServiceStub(channel)
        return stub.ListAccounts(service_pb2.ListAccountsRequest(),
                                 timeout=RPC_TIMEOUT_SECONDS)

    def test_token_over_plaintext_loopback(self):
        server = self.serve([])
        with self.client.channel(server.address()) as anonymous:
            with self.assertRaises(grpc.RpcError) as caught:
                self.list_accounts(anonymous)
            self.assertEqual(caught.exception.code(),
                             grpc.StatusCode.UNAUTHENTICATED)
        with self.client.channel(server.address(), token=self.token) as ch:
            self.list_accounts(ch)
            stub = service_pb2_grpc.AccountGraphServiceStub(ch)
            with self.assertRaises(grpc.RpcError) as caught:
                stub.DeleteAccount(service_pb2.DeleteAccountRequest(
                    name="accounts/x"), timeout=RPC_TIMEOUT_SECONDS)
            self.assertEqual(caught.exception.code(),
                             grpc.StatusCode.PERMISSION_DENIED)
            self.assertIn("'admin' scope", caught.exception.details())

    def test_token_from_the_environment(self):
        server = self.serve([])
        os.environ["QUORUM_TOKEN"] = self.token
        try:
            with self.client.channel(server.address()) as ch:
                self.list_accounts(ch)
        finally:
            del os.environ["QUORUM_TOKEN"]

    def test_mutual_tls_with_a_token(self):
        c = lambda name: os.path.join(self.certs, name)
        server = self.serve([f"--tls-cert={c('server.pem')}",
                             f"--tls-key={c('server.key')}",
                             f"--tls-client-ca={c('ca.pem')}"])
        with self.client.channel(server.address(), token=self.token,
                                 tls_ca=c("ca.pem"), tls_cert=c("client.pem"),
                                 tls_key=c("client.key")) as ch:
            self.list_accounts(ch)
        # A client that trusts another CA does not get through.
        with self.client.channel(server.address(), token=self.token,
                                 tls_ca=c("other-ca.pem"),
                                 tls_cert=c("client.pem"),
                                 tls_key=c("client.key")) as ch:
            with self.assertRaises(grpc.RpcError) as caught:
                self.list_accounts(ch)
            self.assertEqual(caught.exception.code(),
                             grpc.StatusCode.UNAVAILABLE)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quorumd", required=True, help="quorumd binary")
    parser.add_argument("--client-dir", required=True,
                        help="clients/python (the quorum_client package)")
    parser.add_argument("--demo-data", required=True,
                        help="scripts/demo-data.textproto")
    parser.add_argument("-v", "--verbose", action="store_true")
    ARGS = parser.parse_args()

    if not os.access(ARGS.quorumd, os.X_OK):
        print(f"test_roundtrip: {ARGS.quorumd} is not an executable",
              file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    try:
        import_client(ARGS.client_dir)
    except Exception as e:  # Reported as one failure.
        print(f"test_roundtrip: cannot import the client: {e}",
              file=sys.stderr)
        print("0 passed, 1 failed")
        return 1

    suite = unittest.TestSuite()
    loader = unittest.defaultTestLoader
    for case in (RoundTripTest, ShutdownTest, ReadmeSnippetTest,
                 DemoVerdictExampleTest,
                 StreamSignalsExampleTest, AbmReadyExampleTest,
                 AccessExampleTest, SeveralAddressesTest, WatchFeedTest,
                 RetryListsTest):
        suite.addTests(loader.loadTestsFromTestCase(case))
    total = suite.countTestCases()
    result = unittest.TextTestRunner(
        stream=sys.stderr, verbosity=2 if ARGS.verbose else 1,
        resultclass=CountingResult).run(suite)
    # Tests that never ran (a failed setUpClass) count as failed too.
    passed = result.passed
    print(f"{passed} passed, {total - passed} failed")
    return 0 if passed == total and result.wasSuccessful() else 1

if __name__ == "__main__":
    sys.exit(main())
