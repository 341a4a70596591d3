"""The PAM stack lines of doc/pam.md, as the login tests use them.

doc/pam.md gives, per login path, the exact lines to add to a Debian 12 /etc/pam.d file, each
block announced by an HTML comment:

    <!-- pam-stack NAME -->
    ```
    # /etc/pam.d/FILE: where they go
    auth     optional  pam_gnome_keyring.so
    session  optional  pam_kaltura.so
    ```

The tests read these blocks (never a copy of them), so the documented lines are the tested
ones. render() turns a block into the lines the tests append to a real PAM file: the same
lines, pam_kaltura.so replaced by the build tree's module with test options, behind guards
that apply them to the test's throwaway users only (so that an `su` run by anyone else on the
machine meanwhile is unaffected), after a stand-in for pam_systemd (no logind here).
"""
import os
import re

SRC = os.environ.get("KC_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(SRC, "doc", "pam.md")
EXAMPLE = os.path.join(SRC, "conf", "pam.d-kaltura.example")

BLOCK_RE = re.compile(r"<!-- pam-stack (?P<name>[\w.-]+) -->\n```[^\n]*\n(?P<body>.*?)^```",
                      re.S | re.M)
WHERE_RE = re.compile(r"^# (?P<file>/etc/pam\.d/[\w.-]+)(?: \([^)]*\))?: (?P<where>.+)$")
MODULE = "pam_kaltura.so"


class Stack:
    def __init__(self, name, body):
        self.name = name
        lines = body.splitlines()
        m = WHERE_RE.match(lines[0]) if lines else None
        if not m:
            raise ValueError(f"pam-stack {name}: the first line must be "
                             f"'# /etc/pam.d/FILE: where', not {lines[:1]}")
        self.file, self.where = m["file"], m["where"]
        self.lines = [" ".join(l.split()) for l in lines[1:]
                      if l.strip() and not l.lstrip().startswith("#")]
        for line in self.lines:
            if line.split()[0] not in ("auth", "session"):
                raise ValueError(f"pam-stack {name}: unexpected line {line!r}")

    def of_type(self, kind):
        return [l for l in self.lines if l.split()[0] == kind]

    def __repr__(self):
        return f"Stack({self.name}, {self.file}, {self.lines})"


def doc_stacks(path=DOC):
    """{name: Stack} from doc/pam.md."""
    with open(path) as f:
        text = f.read()
    stacks = {}
    for m in BLOCK_RE.finditer(text):
        if m["name"] in stacks:
            raise ValueError(f"pam-stack {m['name']} twice in {path}")
        stacks[m["name"]] = Stack(m["name"], m["body"])
    return stacks


def guard(kind, count, users):
    """A line that skips the next `count` lines of its type unless PAM_USER is one of users.
    `success=N` on a match of `notin` (not `default=N` on a mismatch of `in`): for
    close_session and setcred a jump also counts as the module's result, and PAM_SUCCESS
    there keeps other users' sessions closing cleanly."""
    return (f"{kind} [success={count} default=ignore] pam_succeed_if.so quiet "
            f"user notin {':'.join(users)}")


def render(stack, module_path, module_args, users, prelude=None):
    """The lines a test appends to stack.file.

    module_args: the test's options for pam_kaltura.so (after the block's own).
    prelude: {user: [session lines]} run before the block's session lines, for that user
    only: the pam_systemd stand-in (pam_env setting XDG_RUNTIME_DIR and
    DBUS_SESSION_BUS_ADDRESS, as pam_systemd does on a host with logind) and test extras."""
    out = []
    auth = stack.of_type("auth")
    if auth:
        out += [guard("auth", len(auth), users)] + auth
    for user, lines in (prelude or {}).items():
        if lines:
            out += [guard("session", len(lines), [user])] + list(lines)
    session = []
    for line in stack.of_type("session"):
        words = line.split()
        if words[2] == MODULE:
            words = words[:2] + [module_path] + words[3:] + list(module_args)
        session.append(" ".join(words))
    out += [guard("session", len(session), users)] + session
    return out
