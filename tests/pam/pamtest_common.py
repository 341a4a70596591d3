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
        self.host = {}  # the driver's host-process lines (host_probe.c): {"SIGNALS": "same"}
        for line in proc.stdout.splitlines():
            word, _, rest = line.partition(" ")
            if word == "ENV":
                name, _, value = rest.partition("=")
                self.envs[-1][name] = value
            elif word == "ELAPSED_MS":
                self.elapsed_ms = int(rest)
            elif word.isupper():
                self.host[word] = rest
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


def driver_command(service, user, ops, putenv=(), extra_env=None, services=None,
                   driver_args=()):
    """pam_driver's argv and environment: pam_wrapper preloaded into the driver only."""
    env = dict(os.environ)
    # Debug level 2 shows the module's pam_syslog lines of every priority (level 3 would
    # also trace pam_putenv values).
    env.update(LD_PRELOAD=PRELOAD, PAM_WRAPPER="1", PAM_WRAPPER_DEBUGLEVEL="2",
               PAM_WRAPPER_SERVICE_DIR=services or SERVICES)
    env.update(extra_env or {})
    args = [DRIVER] + list(driver_args)
    for entry in putenv:
        args += ["--putenv", entry]
    # A module's PAM_IGNORE never reaches the application: a stack where every module
    # ignored yields PAM_PERM_DENIED. The module's own result is in its exit log line.
    ops = [o[:-len("=IGNORE")] + "=PERM_DENIED" if o.endswith("=IGNORE") else o for o in ops]
    return args + [service, user] + list(ops), env


def run(service, user, ops, putenv=(), extra_env=None, services=None, timeout=60,
        driver_args=()):
    """Runs pam_driver SERVICE USER OPS and waits for it."""
    args, env = driver_command(service, user, ops, putenv, extra_env, services, driver_args)
    start = time.monotonic()
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    r = Run(proc, time.monotonic() - start)
    r.service = service
    return r


def popen(service, user, ops, putenv=(), extra_env=None, services=None, driver_args=()):
    """Starts pam_driver, for a test that talks to it while it runs (--login-wait)."""
    args, env = driver_command(service, user, ops, putenv, extra_env, services, driver_args)
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def cleanup_pam_wrapper_dirs():
    """pam_wrapper leaves /tmp/pam.X behind when a process dies abnormally: remove those whose
    owner is dead. Never a live one: pam_driver runs of this suite (meson runs tests in
    parallel) and of other runs on the machine use them, and pam_wrapper 1.1.4 picks its
    directory by name, so removing a live one fails that run ("no default config other")."""
    for d in glob.glob("/tmp/pam.?"):
        try:
            if os.lstat(d).st_uid != os.geteuid():
                continue
            with open(os.path.join(d, "pid")) as f:
                pid = int(f.read().strip() or "0")
        except (OSError, ValueError):
            continue  # no pid yet: being created (or not pam_wrapper's)
        if pid <= 0 or pid_alive(pid):
            continue
        shutil.rmtree(d, ignore_errors=True)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_environment(testcase):
    for var in ("KC_PAM_DRIVER", "KC_PAM_MODULE", "KC_PAM_PRELOAD", "KC_PAM_SERVICES"):
        if not os.environ.get(var):
            testcase.fail(f"{var} unset: run through `meson test --suite pam`")
