"""Starts a throw-away Kubernetes control plane on loopback: etcd, kube-apiserver, controller-manager.

Why these three and nothing else: the apiserver gives the real API semantics (resourceVersion,
selectors, strategic merge patch, status subresource, watch, 409/422), etcd is its storage, and the
controller-manager makes ReplicaSets create Pods, keeps ReplicaSet status and Endpoints in step with
pod readiness, and garbage-collects owned objects. There is no scheduler or kubelet: pods stay
unscheduled until the kubelet simulator (kubelet.py) patches their status.

Authentication is a static token file (one token per user, generated per session, never logged),
authorization RBAC (``rbac.py`` grants the test users their roles); the serving certificate comes
from a per-session trustme CA so clients verify TLS as they would against a real cluster. Admission
runs the ResourceQuota and LimitRanger plugins (on by default in 1.20, named explicitly here) with
the resourcequota controller keeping quota usage, so a namespace with a quota or a LimitRange
refuses pods as a real cluster does.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .audit import write_policy
from .kubeconfig import write_kubeconfig

ADMIN_USER = "cloudrig-admin"
TEST_USER = "cloudrig-test"
# Authenticated, bound to nothing: tests grant it a Role to see what a limited identity meets.
LIMITED_USER = "cloudrig-limited"
CONTROLLER_USER = "system:kube-controller-manager"
# What ReplicaSets, Services, owner references and quotas need (no node, volume or token
# controllers); resourcequota keeps each ResourceQuota's status (usage) as pods come and go.
CONTROLLERS = (
    "replicaset,deployment,garbagecollector,endpoint,endpointslice,namespace,resourcequota"
)
ADMISSION_PLUGINS = "ResourceQuota,LimitRanger"
SERVICE_CIDR = "10.96.0.0/24"
START_TIMEOUT = 90.0


class ClusterStartError(RuntimeError):
    """A control-plane process did not become ready; the message carries the tail of its log."""


def free_port() -> int:
    """A currently free loopback TCP port (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 25) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class LocalKube:
    """One local control plane. ``start()`` returns when the API is ready; ``stop()`` ends it all."""

    bin_dir: Path
    etcd: str = "etcd"
    workdir: Path = field(init=False)
    api_url: str = field(init=False, default="")
    etcd_url: str = field(init=False, default="")
    ca_pem: Path = field(init=False)
    audit_log: Path = field(init=False)
    kubeconfigs: dict[str, Path] = field(init=False, default_factory=dict)
    tokens: dict[str, str] = field(init=False, default_factory=dict, repr=False)
    _procs: list[_Process] = field(init=False, default_factory=list)

    def start(self) -> LocalKube:
        # etcd fsyncs on every write: a tmpfs data dir keeps a test session from waiting on disk.
        shm = Path("/dev/shm")
        base = shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())
        _remove_orphaned_workdirs(base)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"cloudrig-kube-{os.getpid()}-", dir=base))
        atexit.register(self.stop)
        try:
            self._start_etcd()
            self._start_apiserver()
            self._start_controller_manager()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate controller-manager, apiserver, etcd (in that order); remove the temp folder."""
        for proc in reversed(self._procs):
            if proc.popen.poll() is None:
                proc.popen.terminate()
                try:
                    proc.popen.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.popen.kill()
                    proc.popen.wait()
        self._procs.clear()
        if hasattr(self, "workdir"):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory per running process (for the README's measurements)."""
        sizes: dict[str, int] = {}
        for proc in self._procs:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{proc.popen.pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[proc.name] = int(line.split()[1]) * 1024
        return sizes

    # -- processes ---------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str]) -> _Process:
        # If the test process dies without cleaning up (SIGTERM/SIGKILL from a CI timeout), the
        # kernel sends SIGTERM to these children: setpriv sets PR_SET_PDEATHSIG, then execs.
        # (It fires when the spawning *thread* ends: start the cluster from a long-lived thread.)
        setpriv = shutil.which("setpriv")
        if setpriv is not None:
            argv = [setpriv, "--pdeathsig", "TERM", "--", *argv]
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=self.workdir)
        proc = _Process(name, popen, log)
        self._procs.append(proc)
        return proc

    def _wait(self, proc: _Process, probe: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise ClusterStartError(
                    f"{proc.name} exited with {proc.popen.returncode}:\n{proc.tail()}"
                )
            if probe():
                return
            time.sleep(0.2)
        raise ClusterStartError(
            f"{proc.name} not ready after {START_TIMEOUT:.0f} s:\n{proc.tail()}"
        )

    def _start_etcd(self) -> None:
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        proc = self._spawn(
            "etcd",
            [
                self.etcd,
                "--name=cloudrig",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=cloudrig=http://127.0.0.1:{peer}",
                "--log-level=warn",
            ],
        )
        self._wait(proc, lambda: _http_ok(f"{self.etcd_url}/health"))

    def _write_credentials(self) -> tuple[trustme.LeafCert, Path, Path]:
        ca = trustme.CA()
        leaf = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_pem = self.workdir / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_pem))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        sa_key, sa_pub = self.workdir / "sa.key", self.workdir / "sa.pub"
        sa_key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
        )
        sa_pub.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        # The controller-manager runs every controller under its own name (no per-controller
        # service accounts), so it is a master; the test users get RBAC roles (rbac.py).
        users = {
            ADMIN_USER: "system:masters",
            TEST_USER: "cloudrig",
            LIMITED_USER: "",
            CONTROLLER_USER: "system:masters",
        }
        self.tokens = {user: secrets.token_urlsafe(24) for user in users}
        token_file = self.workdir / "tokens.csv"
        token_file.write_text(
            "".join(f'{self.tokens[u]},{u},{u},"{g}"\n' for u, g in users.items())
        )
        token_file.chmod(0o600)
        return leaf, sa_key, sa_pub

    def _start_apiserver(self) -> None:
        leaf, sa_key, sa_pub = self._write_credentials()
        cert, key = self.workdir / "apiserver.crt", self.workdir / "apiserver.key"
        leaf.cert_chain_pems[0].write_to_path(str(cert))
        leaf.private_key_pem.write_to_path(str(key))
        port = free_port()
        self.api_url = f"https://127.0.0.1:{port}"
        self.audit_log = self.workdir / "audit.log"
        proc = self._spawn(
            "kube-apiserver",
            [
                str(self.bin_dir / "kube-apiserver"),
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--tls-cert-file={cert}",
                f"--tls-private-key-file={key}",
                f"--cert-dir={self.workdir / 'certs'}",
                f"--token-auth-file={self.workdir / 'tokens.csv'}",
                "--authorization-mode=RBAC",
                f"--enable-admission-plugins={ADMISSION_PLUGINS}",
                "--disable-admission-plugins=ServiceAccount",
                f"--service-account-key-file={sa_pub}",
                f"--service-account-signing-key-file={sa_key}",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                f"--audit-policy-file={write_policy(self.workdir / 'audit-policy.yaml')}",
                f"--audit-log-path={self.audit_log}",
                "--audit-log-format=json",
                "--audit-log-mode=blocking",
                "--audit-log-maxsize=0",
                "--v=1",
            ],
        )
        for user in self.tokens:
            self.kubeconfigs[user] = write_kubeconfig(
                self.workdir / f"kubeconfig-{user.replace(':', '-')}",
                server=self.api_url,
                ca_pem=self.ca_pem,
                user=user,
                token=self.tokens[user],
            )
        ctx = ssl.create_default_context(cafile=str(self.ca_pem))
        auth = {"Authorization": f"Bearer {self.tokens[ADMIN_USER]}"}
        self._wait(proc, lambda: _http_ok(f"{self.api_url}/readyz", ctx, auth))

    def _start_controller_manager(self) -> None:
        port = free_port()
        proc = self._spawn(
            "kube-controller-manager",
            [
                str(self.bin_dir / "kube-controller-manager"),
                f"--kubeconfig={self.kubeconfigs[CONTROLLER_USER]}",
                "--leader-elect=false",
                f"--controllers={CONTROLLERS}",
                # The insecure port is still served in 1.20 and needs no authn for /healthz.
                "--address=127.0.0.1",
                f"--port={port}",
                "--secure-port=0",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--v=1",
            ],
        )
        self._wait(proc, lambda: _http_ok(f"http://127.0.0.1:{port}/healthz"))


def _remove_orphaned_workdirs(base: Path) -> None:
    """Delete work folders left by sessions that were killed (their pid no longer runs): on
    /dev/shm they would hold memory until reboot."""
    for folder in base.glob("cloudrig-kube-*-*"):
        pid = folder.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def _http_ok(
    url: str, context: ssl.SSLContext | None = None, headers: dict[str, str] | None = None
) -> bool:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=2, context=context) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
