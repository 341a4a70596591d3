"""Shared pieces of the PAM module tests: run pam_driver under pam_wrapper, read results."""
import glob
import re
import os
import shutil
import subprocess
import time

DRIVER = os.environ.get("KC_PAM_DRIVER", "")
MODULE = os.environ.get("KC_PAM_MODULE", "")
PRELOAD = os.environ.get("KC_PAM_PRELOAD", "")
SERVICES = os.environ.get("KC_PAM_SERVICES", "")
HELPERS = os.environ.get("KC_PAM_HELPERS", "")


class Run:
    """The outcome of one pam_driver run: results by op, the PAM env per env op, logs."""

    def __init__(self, proc, elapsed):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.log = proc.stderr  # pam_wrapper prints pam_syslog() lines here
        self.elapsed = elapsed
        self.results = []  # [(op, result)]
        self.envs = []  # one dict per env op, split at the FIRST '=' (exact values)
        self.elapsed_ms = None
        for line in proc.stdout.splitlines():
            if line.startswith("ENV "):
                name, _, value = line[4:].partition("=")
                self.envs[-1][name] = value
            elif line.startswith("ELAPSED_MS "):
                self.elapsed_ms = int(line.split()[1])
            else:
                op, result = line.split(" ", 1)
                self.results.append((op, result))
                if op == "env":
                    self.envs.append({})

    def module_exits(self):
        """The module's own results, from its `pam_sm_*: exit (...)` debug lines."""
        return re.findall(r"pam_sm_\w+: exit \((\w+)\)", self.log)

    def result(self, op):
        return [r for o, r in self.results if o == op]


def run(service, user, ops, putenv=(), extra_env=None, services=None, timeout=60):
    """Runs pam_driver SERVICE USER OPS with pam_wrapper preloaded into the driver only."""
    env = dict(os.environ)
    # Debug level 2 shows the module's pam_syslog lines of every priority (level 3 would
    # also trace pam_putenv values).
    env.update(LD_PRELOAD=PRELOAD, PAM_WRAPPER="1", PAM_WRAPPER_DEBUGLEVEL="2",
               PAM_WRAPPER_SERVICE_DIR=services or SERVICES)
    env.update(extra_env or {})
    args = [DRIVER]
    for entry in putenv:
        args += ["--putenv", entry]
    # A module's PAM_IGNORE never reaches the application: a stack where every module
    # ignored yields PAM_PERM_DENIED. The module's own result is in its exit log line.
    ops = [o[:-len("=IGNORE")] + "=PERM_DENIED" if o.endswith("=IGNORE") else o for o in ops]
    args += [service, user] + list(ops)
    start = time.monotonic()
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    r = Run(proc, time.monotonic() - start)
    r.service = service
    return r


def cleanup_pam_wrapper_dirs():
    """pam_wrapper leaves /tmp/pam.X behind when a process dies abnormally; remove ours."""
    for d in glob.glob("/tmp/pam.?"):
        try:
            if os.stat(d).st_uid == os.geteuid():
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            pass


def check_environment(testcase):
    for var in ("KC_PAM_DRIVER", "KC_PAM_MODULE", "KC_PAM_PRELOAD", "KC_PAM_SERVICES"):
        if not os.environ.get(var):
            testcase.fail(f"{var} unset: run through `meson test --suite pam`")
