"""A real IMAP server on loopback for the polling tests: Debian's dovecot, run from a temp dir.

Its whole configuration lives in the temp dir (`dovecot -c`), so nothing system-wide
is read or touched: it listens on 127.0.0.1 at a free port, takes plaintext logins
there, knows one passwd-file user and keeps that user's maildir under the temp dir,
all as the current user. `scripts/ensure-dovecot` installs the binary.
"""

from __future__ import annotations

import getpass
import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import HOST, free_port, stop, wait_for_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "alerts"
PASSWORD = "imap-test-password-7Q"
MAILBOX = "INBOX"

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {host}
ssl = yes
ssl_cert = <{root}/tls/server.pem
ssl_key = <{root}/tls/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {tls_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@dataclass(frozen=True)
class ImapServer:
    root: Path
    port: int  # plain IMAP
    tls_port: int  # IMAP over TLS, with a certificate from a CA of the test's own

    def url(self, password: str = PASSWORD, mailbox: str = MAILBOX, *, tls: bool = False) -> str:
        if tls:
            return f"imaps://{USER}:{password}@{HOST}:{self.tls_port}/{mailbox}"
        return f"imap://{USER}:{password}@{HOST}:{self.port}/{mailbox}"

    @property
    def ca_file(self) -> str:
        """The PEM of the private CA that signed the server's certificate."""
        return str(self.root / "tls" / "ca.pem")

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def deliver(self, raw: bytes, mailbox: str = MAILBOX) -> None:
        """A new message, written into the maildir the way a delivery agent does (tmp, then new).

        A mailbox other than INBOX is a Maildir++ folder (`.name`), so each test can
        read a mailbox of its own from the one server.
        """
        uid, gid = _mail_owner()
        home = self.root / "mail" / USER
        maildir = home if mailbox == MAILBOX else home / f".{mailbox}"
        for path in (home, maildir, maildir / "tmp", maildir / "new", maildir / "cur"):
            path.mkdir(exist_ok=True)
            os.chown(path, uid, gid)
        name = f"{time.time_ns()}.{uuid.uuid4().hex}.{HOST}"
        staged = maildir / "tmp" / name
        staged.write_bytes(raw)
        os.chown(staged, uid, gid)
        staged.rename(maildir / "new" / name)

    def flags(self, mailbox: str = MAILBOX) -> dict[str, bool]:
        """Message-ID -> seen, as the server reports it (read-only, without setting \\Seen)."""
        client = imaplib.IMAP4(HOST, self.port, timeout=10)
        try:
            client.login(USER, PASSWORD)
            client.select(mailbox, readonly=True)
            _, found = client.search(None, "ALL")
            seen: dict[str, bool] = {}
            for number in found[0].split():
                _, data = client.fetch(number, "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                meta, header = data[0]  # type: ignore[misc]
                message_id = header.decode().partition(":")[2].strip()
                seen[message_id] = b"\\Seen" in meta
            return seen
        finally:
            client.logout()


def _mail_owner() -> tuple[int, int]:
    """Who owns the maildir: the current user, or dovenull when that is root."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    entry = pwd.getpwnam("dovenull")
    return entry.pw_uid, entry.pw_gid


def _certificates(directory: Path) -> None:
    """A private CA, and a certificate it signed for 127.0.0.1 and localhost (openssl CLI)."""
    directory.mkdir()
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")

    def openssl(command: str) -> None:
        subprocess.run(
            ["openssl", *command.split()], cwd=directory, check=True, capture_output=True
        )

    key = "-newkey rsa:2048 -nodes"
    openssl(f"req -x509 {key} -days 2 -subj /CN=upi-checkout-test-CA -keyout ca.key -out ca.pem")
    openssl(f"req {key} -subj /CN=localhost -keyout server.key -out server.csr")
    openssl(
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2"
        " -extfile san.ext -out server.pem"
    )


def _start(root: Path) -> tuple[subprocess.Popen[bytes], ImapServer]:
    port, tls_port = free_port(), free_port()
    _certificates(root / "tls")
    user = getpass.getuser()
    group = grp.getgrgid(os.getgid()).gr_name
    mail_uid, mail_gid = _mail_owner()
    # Login processes and mail access refuse uid 0: as root (CI) they run as the
    # unprivileged user Debian's package made, which must reach the maildir.
    login = pwd.getpwuid(mail_uid).pw_name if os.getuid() == 0 else user
    root.chmod(0o755)
    for part in ("run", "state", "mail", "home"):
        (root / part).mkdir(parents=True, exist_ok=True)
    for part in ("mail", "home"):
        os.chown(root / part, mail_uid, mail_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    config = root / "dovecot.conf"
    config.write_text(
        _CONFIG.format(
            root=root,
            host=HOST,
            port=port,
            tls_port=tls_port,
            user=user,
            login=login,
            group=group,
            uid=mail_uid,
            gid=mail_gid,
        )
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    server = ImapServer(root, port, tls_port)
    try:
        wait_for_port(port, process)
        wait_for_port(tls_port, process)
    except AssertionError as exc:
        stop(process)
        raise AssertionError(f"{exc}\n{server.log}") from None
    return process, server


@contextmanager
def imap_server() -> Iterator[ImapServer]:
    """A running dovecot for the `with` block; stopped and its directory removed after.

    The directory is made in /tmp rather than pytest's (0700) tree, so that an
    unprivileged mail user can reach the maildir when the tests run as root.
    """
    if not Path(DOVECOT).exists():
        raise AssertionError(
            f"{DOVECOT} not found: run `bash scripts/ensure-dovecot` (make test does)"
        )
    root = Path(tempfile.mkdtemp(prefix="upi-dovecot-"))
    try:
        process, server = _start(root)
        try:
            yield server
        finally:
            stop(process)
    finally:
        shutil.rmtree(root, ignore_errors=True)
