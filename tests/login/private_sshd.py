"""The private OpenSSH sshd of the login tests."""
import os
import socket
import subprocess
import threading

import sysstate
from labcommon import PATH, SSHD, read_until, scaled


class Sshd:
    """sshd -D on 127.0.0.1 with its own config, host key and PAM service (its program
    name: a symlink kcsshd-TAG to /usr/sbin/sshd, so PAM reads /etc/pam.d/kcsshd-TAG)."""

    def __init__(self, lab, users):
        self.lab = lab
        self.dir = os.path.join(lab.dir, "sshd")
        os.mkdir(self.dir, 0o700)
        self.name = sysstate.SSHD_SERVICE_PREFIX + lab.tag
        self.program = os.path.join(self.dir, self.name)
        os.symlink(SSHD, self.program)
        self.pam_file = os.path.join(sysstate.PAM_DIR, self.name)
        self.host_key = os.path.join(self.dir, "host_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kc-login-test",
                        "-f", self.host_key], check=True)
        self.client_key = os.path.join(self.dir, "client_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kc-login-test",
                        "-f", self.client_key], check=True)
        with open(self.client_key + ".pub") as f:
            pub = f.read()
        for u in users:
            u.write_file(".ssh/authorized_keys", pub, mode=0o600)
            os.chmod(os.path.join(u.home, ".ssh"), 0o700)
        self.users = users
        self.proc = None
        self.log = []
        if not os.path.isdir("/run/sshd"):  # privilege separation dir (sshd refuses without)
            lab.journal.record("empty_dir", path="/run/sshd")
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)

    def config(self, port):
        return "\n".join([
            f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {self.host_key}",
            "PidFile none", "UsePAM yes",
            # Debian's defaults for the password paths, plus keyboard-interactive so that the
            # documented "cannot" case can be shown (clients choose the method).
            "PasswordAuthentication yes", "KbdInteractiveAuthentication yes",
            "PubkeyAuthentication yes", "PermitRootLogin no",
            "AllowUsers " + " ".join(u.name for u in self.users),
            "UseDNS no", "PrintMotd no", "PrintLastLog no", "X11Forwarding no",
            "LogLevel VERBOSE", "MaxStartups 30:30:60", "MaxSessions 30", ""])

    def set_pam(self, lines):
        """The private PAM service: Debian's /etc/pam.d/sshd followed by lines."""
        with open(os.path.join(sysstate.PAM_DIR, "sshd")) as f:
            stock = f.read()
        text = (f"# {self.lab.journal.marker()} FILE: private sshd service of tests/login\n"
                + stock.rstrip("\n") + "\n" + "\n".join(lines) + "\n")
        self.lab.journal.record("pam_file", path=self.pam_file)
        sysstate.write_atomic(self.pam_file, text, like=os.path.join(sysstate.PAM_DIR, "sshd"))

    def start(self):
        for _ in range(20):  # a free port can be taken between the probe and sshd's bind
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            conf = os.path.join(self.dir, "sshd_config")
            with open(conf, "w") as f:
                f.write(self.config(self.port))
            self.proc = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", self.program, "-D", "-e", "-f", conf],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.lab.record_process(self.proc.pid)
            try:
                _, buf = read_until(self.proc.stderr.fileno(),
                                    rb"Server listening on 127\.0\.0\.1 port \d+", 20,
                                    what="sshd to listen")
            except AssertionError as e:
                self.proc.kill()
                self.proc.wait()
                if "Address already in use" in str(e):
                    continue
                raise
            self.log.append(buf.decode("utf-8", "replace"))
            threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()
            return
        raise AssertionError("sshd found no free port")

    def _drain(self, pipe):
        for line in pipe:
            self.log.append(line.decode("utf-8", "replace"))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=scaled(10))

    def client(self, user, command, method="password", password=None):
        """argv and env of an ssh client logging user in with method (password,
        keyboard-interactive or publickey) and running command."""
        argv = ["ssh", "-F", "/dev/null", "-p", str(self.port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", f"PreferredAuthentications={method}", "-o", "IdentitiesOnly=yes",
                "-o", f"ConnectTimeout={int(scaled(20))}"]
        env = {"PATH": PATH, "HOME": self.dir}
        if method == "publickey":
            argv += ["-o", "BatchMode=yes", "-i", self.client_key]
        else:
            argv = ["sshpass", "-e"] + argv + ["-o", "PubkeyAuthentication=no"]
            env["SSHPASS"] = password if password is not None else user.password
        return argv + [f"{user.name}@127.0.0.1", command], env
