#!/usr/bin/python3
"""A Python client of quorumd, generated from proto/ at test time.

    /usr/bin/python3 tests/python/test_roundtrip.py \
        --quorumd build/server/quorumd \
        --proto-dir proto \
        --out-dir clients/python

1. Generates Python code (messages and gRPC stubs) for every proto under
   --proto-dir into OUT_DIR/quorum_client/gen/ (git-ignored), which is then put
   on sys.path: the generated modules import each other absolutely
   (`from quorum.v1 import resources_pb2`, `from google.rpc import status_pb2`).
   The compiler is Debian's protoc 3.21 with grpc_python_plugin (the ones the
   C++ build uses): Debian 12's python3-grpc-tools bundles protoc 3.5.1, which
   rejects the proto3 `optional` fields of resources.proto.
2. Starts quorumd on 127.0.0.1, port 0, with a temporary data directory and
   port file, and talks to it over a real channel: health, create / get / list
   accounts, a stakeholder with an e-mail, and an invalid request whose
   google.rpc.Status (trailing metadata `grpc-status-details-bin`) carries a
   google.rpc.BadRequest.
3. Stops quorumd with SIGTERM and expects exit status 0.

Prints "N passed, M failed" last; the exit status is 0 only when M is 0.
Uses only Debian's python3-grpcio and python3-protobuf at run time.
"""

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

PORT_FILE_TIMEOUT_SECONDS = 20.0
RPC_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 20.0

ARGS = None  # argparse.Namespace, set in main().

# Generated modules, imported by generate_client().
resources_pb2 = None
service_pb2 = None
service_pb2_grpc = None
status_pb2 = None
error_details_pb2 = None


def log(message):
    print(f"test_roundtrip: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------ code generation


def _proto_files(proto_dir):
    """Every .proto under proto_dir, relative to it, except grpc/.

    grpc/ (grpc.health.v1, declared for the C++ clients) would generate a
    `grpc` package that collides with grpcio's own `grpc` module; the health
    check below does not need it.
    """
    files = []
    for path in sorted(glob.glob(os.path.join(proto_dir, "**", "*.proto"),
                                 recursive=True)):
        rel = os.path.relpath(path, proto_dir)
        if rel.split(os.sep)[0] == "grpc":
            continue
        files.append(rel)
    return files


def _run_compiler(command, cwd):
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    return result.returncode, (result.stdout + result.stderr).strip()


def generate_client(proto_dir, out_dir):
    """Generates OUT_DIR/quorum_client/gen/ and imports the modules from it."""
    global resources_pb2, service_pb2, service_pb2_grpc, status_pb2
    global error_details_pb2

    proto_dir = os.path.abspath(proto_dir)
    gen_dir = os.path.join(os.path.abspath(out_dir), "quorum_client", "gen")
    shutil.rmtree(gen_dir, ignore_errors=True)
    os.makedirs(gen_dir)
    files = _proto_files(proto_dir)
    if not files:
        raise RuntimeError(f"no .proto files under {proto_dir}")

    outputs = [f"--python_out={gen_dir}", f"--grpc_python_out={gen_dir}"]
    # Debian's python3-grpc-tools bundles protoc 3.5, which predates proto3
    # `optional`; Debian's protoc 3.21 with gRPC's Python plugin does not.
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if protoc is None or plugin is None:
        raise RuntimeError("protoc and grpc_python_plugin are needed "
                           "(Debian: protobuf-compiler, protobuf-compiler-grpc)")
    command = [protoc, f"-I{proto_dir}",
               f"--plugin=protoc-gen-grpc_python={plugin}", *outputs, *files]
    code, output = _run_compiler(command, proto_dir)
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output}")

    # Regular packages for our own code; google/ stays a namespace package so
    # that google.rpc (generated) and google.protobuf (installed) both import.
    for root, _, _ in os.walk(gen_dir):
        rel = os.path.relpath(root, gen_dir)
        if rel == "." or rel.split(os.sep)[0] == "google":
            continue
        init = os.path.join(root, "__init__.py")
        if not os.path.exists(init):
            open(init, "w").close()
    log(f"generated {len(files)} proto file(s) into {gen_dir}")

    sys.path.insert(0, gen_dir)
    import google.rpc.error_details_pb2 as error_details
    import google.rpc.status_pb2 as status
    import quorum.v1.account_graph_service_pb2 as service
    import quorum.v1.account_graph_service_pb2_grpc as service_grpc
    import quorum.v1.resources_pb2 as resources
    resources_pb2, service_pb2, service_pb2_grpc = resources, service, service_grpc
    status_pb2, error_details_pb2 = status, error_details


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

    def __init__(self, binary):
        self.binary = os.path.abspath(binary)
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
                   f"--port-file={self.port_file}"]
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


class CountingResult(unittest.TextTestResult):
    """Counts the test methods that passed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quorumd", required=True, help="quorumd binary")
    parser.add_argument("--proto-dir", required=True, help="proto/ directory")
    parser.add_argument("--out-dir", required=True,
                        help="clients/python; code goes to quorum_client/gen/")
    parser.add_argument("-v", "--verbose", action="store_true")
    ARGS = parser.parse_args()

    if not os.access(ARGS.quorumd, os.X_OK):
        print(f"test_roundtrip: {ARGS.quorumd} is not an executable",
              file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    try:
        generate_client(ARGS.proto_dir, ARGS.out_dir)
    except Exception as e:  # Reported as one failure.
        print(f"test_roundtrip: cannot generate the client: {e}",
              file=sys.stderr)
        print("0 passed, 1 failed")
        return 1

    suite = unittest.TestSuite()
    loader = unittest.defaultTestLoader
    for case in (RoundTripTest, ShutdownTest):
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
