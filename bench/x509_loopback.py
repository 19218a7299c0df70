"""Run the official X.509 workload-identity examples in x509 mode, against loopback, with mutual TLS.

    python bench/x509_loopback.py /tmp/oa/openai-3.3.1/examples [--official]

A test CA (trustme) issues the server's certificate (localhost) and the
client's; the bundled mock server serves the API and an `/oauth/token` token
endpoint over TLS that refuses any client without a certificate from that CA.
Each example runs in a process of its own with `OPENAI_AUTH_MODE=x509` and
the `OPENAI_MTLS_*` variables pointing at the files written here, and with
`openai` swapped for `openai_actors` (or, with `--official`, the official
SDK itself). The exchange URL is pinned in both packages
(https://mtls.auth.openai.com/oauth/token); the one change made to run them
here is that URL, set to the loopback endpoint before the example starts.
Needs the test extra (trustme).
"""

from __future__ import annotations

import argparse
import os
import ssl
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import trustme

from openai_actors.mock import Fault, MockServer, RecordedRequest

EXAMPLES = ("x509_workload_identity.py", "x509_workload_identity_async.py")

# Run in the example's process: point the pinned exchange URL at loopback, then run the example.
OURS = """
import runpy, sys
import openai_actors, openai_actors.auth, openai_actors.auth._policy as policy
policy.X509_TOKEN_EXCHANGE_URL = sys.argv[1]
sys.modules["openai"] = openai_actors
sys.modules["openai.auth"] = openai_actors.auth
runpy.run_path(sys.argv[2], run_name="__main__")
"""
OFFICIAL = """
import runpy, sys
import openai.auth._x509 as x509
x509._X509_TOKEN_EXCHANGE_URL = sys.argv[1]
runpy.run_path(sys.argv[2], run_name="__main__")
"""


class Tokens:
    """The token endpoint: at-1, at-2, ... for an hour each; every other path is the mock's."""

    def __init__(self) -> None:
        self.issued = 0
        self.lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Fault | None:
        if request.path != "/oauth/token":
            return None
        with self.lock:
            self.issued += 1
            return Fault(
                status=200,
                body={"access_token": f"at-{self.issued}", "token_type": "Bearer", "expires_in": 3600},
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path, help="the examples/ directory of an openai source tree")
    parser.add_argument("--official", action="store_true", help="run the official openai instead")
    args = parser.parse_args()

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    server_context.verify_mode = ssl.CERT_REQUIRED
    ca.configure_trust(server_context)
    client_cert = ca.issue_cert("workload@example.com")

    failed = 0
    with tempfile.TemporaryDirectory() as tmp, MockServer(ssl_context=server_context) as server:
        files = Path(tmp)
        ca.cert_pem.write_to_path(str(files / "ca.pem"))
        client_cert.private_key_pem.write_to_path(str(files / "key.pem"))
        for i, blob in enumerate(client_cert.cert_chain_pems):
            blob.write_to_path(str(files / "chain.pem"), append=i > 0)
        tokens = Tokens()
        server.responder = tokens
        base_url = server.url.replace("127.0.0.1", "localhost")
        env = {
            **os.environ,
            "OPENAI_AUTH_MODE": "x509",
            "OPENAI_BASE_URL": base_url,
            "OPENAI_MTLS_CA_BUNDLE": str(files / "ca.pem"),
            "OPENAI_MTLS_CERTIFICATE_CHAIN": str(files / "chain.pem"),
            "OPENAI_MTLS_PRIVATE_KEY": str(files / "key.pem"),
            "OPENAI_IDENTITY_PROVIDER_ID": "idp_loopback",
            "OPENAI_SERVICE_ACCOUNT_ID": "sa_loopback",
        }
        env.pop("OPENAI_API_KEY", None)
        exchange_url = base_url.removesuffix("/v1") + "/oauth/token"
        for name in EXAMPLES:
            before = len(server.requests)
            run = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    OFFICIAL if args.official else OURS,
                    exchange_url,
                    str(args.directory / name),
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            seen = server.requests[before:]
            exchanges = sum(r.path == "/oauth/token" for r in seen)
            auth = sorted({r.headers.get("authorization", "") for r in seen if r.path != "/oauth/token"})
            ok = (
                run.returncode == 0 and exchanges == 1 and len(auth) == 1 and auth[0].startswith("Bearer at-")
            )
            failed += not ok
            print(f"{name}: exit {run.returncode}, {exchanges} exchange(s), API authorization {auth}")
            print("   ", (run.stdout.strip() or run.stderr.strip()[-2000:]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
