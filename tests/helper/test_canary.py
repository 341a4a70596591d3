"""The App Token (a canary: the emulator's random token) and the KS never show up where they do
not belong: stdout/stderr of any command, the config file, and /proc/<pid>/cmdline and environ
of every process started while a slow mint runs (emulator latency).

Every sampled command must really mint: `login` leaves a fresh KS in the cache, and a cache hit
never starts the minter, so each `get`/`ks` below runs after an `erase` and asserts from the
emulator's counters that it called appToken.startSession. Without that, the test could pass
without ever watching the code that holds the token."""
import os
import subprocess
import time

import taptest
from kchelper import (FRONTEND, MINT, HelperTest, create_token, emu, emu_host, parse_output,
                      stats, wrapped)

GET = b"protocol=https\nhost=%s\n\n"


def our_processes(root_pid):
    """pids of root_pid and its descendants."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def proc_blobs(pid):
    blobs = []
    for name in ("cmdline", "environ"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                blobs.append((name, f.read()))
        except OSError:
            pass
    return blobs


class Canary(HelperTest):
    def sample_while_running(self, args, stdin, secrets):
        """Run args with emulator latency; sample /proc of it and its children until it ends.
        It must mint (call appToken.startSession once): a run that does not is a test error."""
        before = stats()["requests"].get("apptoken.startsession", 0)
        emu("latency", 700)
        p = subprocess.Popen(wrapped(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.sb.env)
        p.stdin.write(stdin)
        p.stdin.close()
        samples = seen_mint = 0
        while p.poll() is None:
            for pid in our_processes(p.pid):
                for name, blob in proc_blobs(pid):
                    samples += 1
                    if MINT.encode() in blob:
                        seen_mint += 1
                    for s in secrets:
                        self.assertNotIn(s.encode(), blob, f"secret in /proc/{pid}/{name}")
            time.sleep(0.02)
        out, err = p.stdout.read(), p.stderr.read()
        emu("latency", 0)
        minted = stats()["requests"].get("apptoken.startsession", 0) - before
        self.assertEqual(minted, 1, f"{args[1:]} did not mint (a cache hit?): nothing was watched")
        self.assertGreater(samples, 0)
        self.assertGreater(seen_mint, 0, "the minter was sampled while it ran")
        return p.returncode, out, err

    def test_token_never_leaks(self):
        tid, tok = create_token()
        outputs = []
        # login (token on stdin), sampled while it verifies
        rc, out, err = self.sample_while_running(
            [FRONTEND, "login", "--service-url", os.environ["KC_EMU_URL"], "--partner-id",
             os.environ["KC_EMU_PARTNER"], "--app-token-id", tid, "--ca-file",
             os.environ["KC_EMU_CA"]], (tok + "\n").encode(), [tok])
        self.assertEqual(rc, 0, err)
        outputs += [out, err]
        # get, sampled while it mints: login cached its KS, so forget it first
        self.assertEqual(self.sb.run("erase", input=b"\n").returncode, 0)
        rc, out, err = self.sample_while_running([FRONTEND, "get"],
                                                 GET % emu_host().encode(), [tok])
        self.assertEqual(rc, 0, err)
        ks = dict(parse_output(out))["password"]
        outputs += [err]
        # a cache-served ks and a second mint: the KS is not in any argv/environ either
        self.sb.run("erase", input=b"\n")
        rc, out, err = self.sample_while_running([FRONTEND, "ks"], b"", [tok, ks])
        self.assertEqual(rc, 0, err)
        outputs += [err]
        for args, stdin in ((["status"], b""), (["--help"], b""), (["revoke"], b""),
                            (["logout"], b""), (["get"], GET % emu_host().encode())):
            p = self.sb.run(*args, input=stdin)
            outputs += [p.stdout, p.stderr]
        # error paths with the token in play: wrong hash function
        self.sb.run("login", "--hash", "sha256", "--no-verify", input=(tok + "\n").encode())
        p = self.sb.run("get", input=b"\n")
        self.assertEqual(p.returncode, 8, p.stderr)
        outputs += [p.stdout, p.stderr]
        for o in outputs:
            self.assertNotIn(tok.encode(), o)
        with open(self.sb.config, "rb") as f:
            self.assertNotIn(tok.encode(), f.read())
        for dirpath, _, files in os.walk(self.sb.dir):
            for name in files:
                with open(os.path.join(dirpath, name), "rb") as f:
                    self.assertNotIn(tok.encode(), f.read(), f"token in {dirpath}/{name}")


if __name__ == "__main__":
    taptest.main()
