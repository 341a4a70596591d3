"""No drift between the code and what documents or completes it, in both directions.

The code's side is read from the code itself, never from a list kept here:
- commands and config keys: `kaltura-credential-mint --help`, which prints them from the
  command table (helper/core/commands.c) and the key table (helper/minter/config_keys.c);
- command-line options: the option strings the argument parsers compare argv with
  (strcmp/strncmp/g_str_has_prefix/opt_value calls, and each key's .option in config_keys.c);
- --format values and hash functions: the tables that parse them;
- request keys: what helper/core/protocol.c's parser matches (KC_REQ_* resolved from
  contract.h);
- environment variables: the names the code passes to getenv and friends (the PAM module:
  pam_getenv, add_env and its proxy list), and every KALTURA_* name it spells;
- PAM options: the option table of pam_module/options.c;
- exit codes: enum kc_exit of helper/core/contract.h.

Each must be in the right man page (kaltura-credential(1), kaltura-credential.conf(5),
pam_kaltura(8)) and, where completion applies (commands, options, --format values, hash
functions), offered by the bash completion (asked through bash-completion, the way a shell
asks) and named by the zsh completion. The other way round, every command, option, key,
exit code, environment variable, PAM option and value the man pages or completions name
must exist in the code.

argv: the man page sources (*.scd), the built bash and zsh completion files.
"""
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest

import taptest

SRC = os.environ["KC_SOURCE_ROOT"]
MINT = os.path.join(os.environ["KC_BUILD_ROOT"], "helper", "kaltura-credential-mint")
ARGS = sys.argv[1:]

# Variables libcurl reads on its own (libcurl-env(3)): the man pages may name them although
# no line of ours does. Not a list of our code's names, so it cannot drift from them.
LIBCURL_ENV = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
               "no_proxy", "NO_PROXY"}

OPTION = r"-{1,2}[A-Za-z][A-Za-z0-9-]*"


# ---------------------------------------------------------------- the code's side

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def strip_comments(c):
    """C source without its comments (string literals kept: none of ours holds a comment)."""
    c = re.sub(r"/\*.*?\*/", " ", c, flags=re.S)
    return re.sub(r"//[^\n]*", " ", c)


def c_files(*dirs):
    out = {}
    for d in dirs:
        for p in sorted(glob.glob(os.path.join(SRC, d, "**", "*.[ch]"), recursive=True)):
            out[os.path.relpath(p, SRC)] = strip_comments(read(p))
    return out


HELPER_C = c_files("helper")
PAM_C = c_files("pam_module")


def defines(files):
    """#define NAME "literal" across files: {NAME: literal}."""
    out = {}
    for text in files.values():
        for m in re.finditer(r'^\s*#\s*define\s+(\w+)\s+"([^"]*)"\s*$', text, re.M):
            out[m.group(1)] = m.group(2)
    return out


DEFINES = defines(HELPER_C) | defines(PAM_C)


def resolve(token):
    """A C argument: a "literal" or a macro naming one; None for anything else."""
    token = token.strip()
    m = re.fullmatch(r'"([^"]*)"', token)
    if m:
        return m.group(1)
    return DEFINES.get(token)


def help_sections():
    """`kaltura-credential-mint --help`, cut into its sections: {title: [lines]}."""
    r = subprocess.run([MINT, "--help"], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, LC_ALL="C"))
    assert r.returncode == 0, r.stderr
    sections, title = {}, None
    for line in r.stdout.splitlines():
        if line and not line.startswith(" "):
            title = line.rstrip(":").split(" (")[0]
            sections[title] = []
        elif title is not None:
            sections[title].append(line)
    return sections


HELP = help_sections()


def code_commands():
    """The command table, as --help prints it: `  NAME  help...`."""
    return {m.group(1) for line in HELP["Commands"]
            if (m := re.match(r"  ([a-z][a-z0-9-]*)  +\S", line))}


def code_config_keys():
    return {m.group(1) for line in HELP["Config keys"]
            if (m := re.match(r"  ([a-z][a-z0-9_]*)  +\S", line))}


def code_options():
    """Every option string an argument parser of the helper compares argv with."""
    calls = r"(?:strn?cmp|g_str_has_prefix|g_strcmp0|opt_value)\s*\("
    out = set()
    for text in HELPER_C.values():
        for stmt in re.split(r";|\{|\}", text):
            if re.search(calls, stmt) or re.search(r"\.option\s*=", stmt):
                for m in re.finditer(r'"(' + OPTION + r')=?"', stmt):
                    out.add(m.group(1))
    return out


def code_hashes():
    text = HELPER_C["helper/minter/token_hash.c"]
    return set(re.findall(r'\{\s*KC_HASH_\w+\s*,\s*"([a-z0-9]+)"', text))


def code_formats():
    """ks --format's table ({"name", KC_ANSWER_...}), if the code has one."""
    out = set()
    for text in HELPER_C.values():
        out |= set(re.findall(r'\{\s*"([a-z]+)"\s*,\s*KC_ANSWER_\w+\s*\}', text))
    return out


def code_request_keys():
    text = HELPER_C["helper/core/protocol.c"]
    keys = {resolve(a) for a in re.findall(r"key_is\s*\(\s*\w+\s*,\s*\w+\s*,\s*([^)]+)\)", text)}
    assert None not in keys, "protocol.c: a key_is() argument that is neither literal nor macro"
    return keys


def env_names_read(files, funcs):
    """Names passed (literally or by macro) as the env-name argument of funcs."""
    out = set()
    for text in files.values():
        for fn, pos in funcs:
            for m in re.finditer(r"\b" + fn + r"\s*\(([^;]*?)\)", text):
                args = [a for a in re.split(r",", m.group(1))]
                if len(args) > pos and (name := resolve(args[pos])) is not None:
                    out.add(name)
    return out


def kaltura_names(files):
    """Every KALTURA_* name the code spells as (or #defines to) a string."""
    out = set()
    for text in files.values():
        out |= set(re.findall(r'"(KALTURA_[A-Z0-9_]+)[="]', text))
    return out


def code_helper_env():
    read_ = env_names_read(HELPER_C, [("getenv", 0), ("g_getenv", 0), ("secure_getenv", 0),
                                      ("abs_env", 0)])
    return read_, kaltura_names(HELPER_C)


def code_pam_env():
    read_ = env_names_read(PAM_C, [("pam_getenv", 1), ("add_env", 2)])
    m = re.search(r"pk_child_proxy_vars\[\]\s*=\s*\{([^}]*)\}", PAM_C["pam_module/child.c"])
    read_ |= set(re.findall(r'"([A-Za-z_]+)"', m.group(1)))
    return read_, kaltura_names(PAM_C)


def code_pam_options():
    text = PAM_C["pam_module/options.c"]
    m = re.search(r"struct option_def options\[\]\s*=\s*\{(.*?)\n\};", text, re.S)
    return {name: takes == "true"
            for name, takes in re.findall(r'\{\s*"(\w+)"\s*,\s*(true|false)\s*,', m.group(1))}


def code_exit_codes():
    """enum kc_exit of contract.h, and any KC_EXIT_* #defined elsewhere (exec's own)."""
    text = HELPER_C["helper/core/contract.h"]
    m = re.search(r"enum kc_exit\s*\{(.*?)\};", text, re.S)
    out = {int(n) for n in re.findall(r"KC_EXIT_\w+\s*=\s*(\d+)", m.group(1))}
    for text in HELPER_C.values():
        out |= {int(n) for n in re.findall(r"^\s*#\s*define\s+KC_EXIT_\w+\s+(\d+)\s*$", text,
                                           re.M)}
    return out


def all_code_strings():
    out = set()
    for text in list(HELPER_C.values()) + list(PAM_C.values()):
        out |= set(re.findall(r'"([^"\\\n]*)"', text))
    return out


def named_by_code(name, strings):
    """name is a string of the code, or two of them joined (the PAM module builds
    NAME + "_EXPIRY")."""
    return name in strings or any(name.startswith(a) and name[len(a):] in strings
                                  for a in strings if a)


# ---------------------------------------------------------------- the man pages' side

class Page:
    """An scdoc source: its sections, and the bold words of its text (code blocks left out:
    examples run other programs)."""

    def __init__(self, path):
        self.name = os.path.basename(path)
        text = re.sub(r"^```.*?^```", "", read(path), flags=re.S | re.M)
        self.sections, title = {}, ""
        for line in text.splitlines():
            if line.startswith("# "):
                title = line[2:].strip()
                self.sections.setdefault(title, [])
            else:
                self.sections.setdefault(title, []).append(line)
        self.text = text

    def terms(self, section, first=False):
        """The bold words that open a term line (an unindented line followed by an indented
        description), e.g. `*--profile* _NAME_` or `*https_proxy*, *no_proxy*`; with first,
        only the first of each (a command, then its options)."""
        lines = self.sections.get(section)
        assert lines is not None, f"{self.name}: no section {section}"
        out = []
        for i, line in enumerate(lines):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if line.startswith("*") and nxt.startswith("\t"):
                words = re.findall(r"\*([^*\s]+?)\*", line.split(" (")[0])
                out += words[:1] if first else words
        return out

    def bold(self, section=None):
        text = self.text if section is None else "\n".join(self.sections[section])
        return set(re.findall(r"\*([^*\s][^*]*?)\*", text))

    def bold_options(self):
        """Bold option words anywhere: *--name*, *--name=*..., *-v*."""
        return {m.group(1) for w in self.bold()
                if (m := re.fullmatch("(" + OPTION + r")=?", w))}


def page(name):
    for p in ARGS:
        if os.path.basename(p).startswith(name + "."):
            return Page(p)
    raise AssertionError(f"no man page {name} among {ARGS}")


# ---------------------------------------------------------------- the completions' side

def completion(kind):
    want = "_kaltura-credential" if kind == "zsh" else "kaltura-credential"
    for p in ARGS:
        if os.path.basename(p) == want:
            return p
    raise AssertionError(f"no {kind} completion among {ARGS}")


class BashAsker:
    """Asks the bash completion what it offers for a line, as bash would (through
    bash-completion's loader, COMP_WORDS split at blanks and '=')."""

    def __init__(self, tmp):
        os.makedirs(f"{tmp}/user/completions")
        os.symlink(os.path.abspath(completion("bash")), f"{tmp}/user/completions/"
                   "kaltura-credential")
        os.makedirs(f"{tmp}/home")
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": f"{tmp}/home",
                    "XDG_CONFIG_HOME": f"{tmp}/home", "LC_ALL": "C",
                    "BASH_COMPLETION_USER_DIR": f"{tmp}/user"}

    def ask(self, lines):
        """{line: sorted offers}, for lines ending with the word being completed."""
        script = [f"source {shlex.quote(os.environ['KC_BASH_COMPLETION'])} || exit 90",
                  "_completion_loader kaltura-credential",
                  "fn=$(complete -p kaltura-credential | sed -n 's/.*-F \\([^ ]*\\) .*/\\1/p')"]
        for line in lines:
            words = []
            for token in line.split(" "):
                words.extend(p for p in re.split(r"(=)", token) if p)
            if line.endswith(" ") or line.endswith("="):
                words.append("")
            script += [f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})",
                       f"COMP_CWORD={len(words) - 1}",
                       f"COMP_LINE={shlex.quote(line)}; COMP_POINT=${{#COMP_LINE}}",
                       "COMPREPLY=()",
                       f"\"$fn\" kaltura-credential {shlex.quote(words[-1])} "
                       f"{shlex.quote(words[-2])}",
                       "printf '%s\\n' \"${COMPREPLY[@]}\" '@@end'"]
        r = subprocess.run([os.environ["KC_BASH"], "--norc", "--noprofile", "-c",
                            "\n".join(script)], capture_output=True, text=True, env=self.env,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        chunks = r.stdout.split("@@end\n")
        return {line: sorted(x for x in chunks[i].split("\n") if x)
                for i, line in enumerate(lines)}


class Zsh:
    """The zsh completion's words, read from its _arguments specs and _describe lists."""

    def __init__(self, path):
        text = "\n".join(line for line in read(path).splitlines()
                         if not line.lstrip().startswith("#"))
        self.text = text
        m = re.search(r"local -a commands=\((.*?)\n\s*\)", text, re.S)
        self.commands = set(re.findall(r"'([a-z][a-z0-9-]*):", m.group(1)))
        # option specs: '--name=[...' '--name[...' '(...)--name[' {-h,--help}'['
        self.options = set(re.findall(r"(?<![\w-])(" + OPTION + r")(?==?\[|[,}])", text))

    def values(self, option):
        """The fixed values a spec offers for option: '--opt=[...]:label:(a b c)'."""
        out = set()
        for m in re.finditer(re.escape(option) + r"=?\[[^\]]*\]:[^:]*:\(([^)]*)\)", self.text):
            out |= set(m.group(1).split())
        return out


# ---------------------------------------------------------------- the tests

class NoDriftTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.man1 = page("kaltura-credential")
        cls.man5 = page("kaltura-credential.conf")
        cls.man8 = page("pam_kaltura")
        cls.commands = code_commands()
        cls.options = code_options()
        cls.keys = code_config_keys()
        cls.hashes = code_hashes()
        cls.formats = code_formats()
        cls.zsh = Zsh(completion("zsh"))
        cls.tmp = tempfile.TemporaryDirectory(prefix="kc-drift-")
        cls.bash = BashAsker(cls.tmp.name)
        # What bash offers: commands, options before a command, options after each command.
        lines = ["kaltura-credential ", "kaltura-credential -"]
        lines += [f"kaltura-credential {c} -" for c in sorted(cls.commands)]
        lines += ["kaltura-credential login --hash ", "kaltura-credential ks --format="]
        cls.offers = cls.bash.ask(lines)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_code_side_is_read(self):
        # A parser that stopped finding things would make every comparison below vacuous.
        self.assertIn("get", self.commands)
        self.assertIn("--profile", self.options)
        self.assertIn("--no-verify", self.options)
        self.assertIn("partner_id", self.keys)
        self.assertIn("sha256", self.hashes)
        self.assertIn("shared", code_request_keys())
        self.assertIn("KALTURA_CREDENTIAL_CONFIG", code_helper_env()[0])
        self.assertIn("env", code_pam_options())
        self.assertIn(10, code_exit_codes())

    # -- kaltura-credential(1)

    def test_man1_commands(self):
        self.assertEqual(set(self.man1.terms("COMMANDS", first=True)), self.commands)

    def test_man1_options(self):
        self.assertEqual(self.man1.bold_options(), self.options)

    def test_man1_request_keys(self):
        documented = set(self.man1.terms("PROTOCOL"))
        read_ = code_request_keys()
        self.assertEqual(read_ - documented, set(), "request keys read but not documented")
        # The printed keys are documented there too: protocol, host, username, password,
        # password_expiry_utc (contract.h's answer lines).
        printed = set(re.findall(r'KC_ANSWER_LINE_MAX\("(\w+)"',
                                 HELPER_C["helper/core/contract.h"]))
        self.assertEqual(documented, read_ | printed)

    def test_man1_exit_codes(self):
        documented = {int(t) for t in self.man1.terms("EXIT STATUS") if t.isdigit()}
        self.assertEqual(documented, code_exit_codes())

    def test_man1_environment(self):
        read_, kaltura = code_helper_env()
        documented = set(self.man1.terms("ENVIRONMENT"))
        self.assertEqual(read_ - documented, set(), "read by the helper, not in ENVIRONMENT")
        self.assertEqual(kaltura - self.man1.bold(), set(), "named by the helper, not in (1)")
        strings = all_code_strings()
        unknown = {v for v in documented if not named_by_code(v, strings)} - LIBCURL_ENV
        self.assertEqual(unknown, set(), "documented, but no code names it")

    def test_man1_hash_and_format_values(self):
        text = self.man1.text
        for h in self.hashes:
            self.assertRegex(text, r"_" + h + r"_|\*" + h + r"\*")
        for f in self.formats:
            self.assertRegex(text, r"\b" + f + r"\b")

    # -- kaltura-credential.conf(5)

    def test_man5_keys(self):
        self.assertEqual(set(self.man5.terms("KEYS")), self.keys)

    def test_man5_hash_values(self):
        documented = set()
        for line in self.man5.sections["KEYS"]:
            if line.startswith("*hash_function*"):
                documented = set(re.findall(r"\*([a-z0-9]+)\*", line)) - {"hash_function"}
        self.assertEqual(documented, self.hashes)

    # -- pam_kaltura(8)

    def test_man8_options(self):
        opts = code_pam_options()
        self.assertEqual({t.rstrip("=") for t in self.man8.terms("OPTIONS")}, set(opts))
        for t in self.man8.terms("OPTIONS"):
            self.assertEqual(t.endswith("="), opts.get(t.rstrip("="), not t.endswith("=")),
                             f"{t}: takes a value in the man page, not in the code, or back")
        synopsis = {w.rstrip("=") for w in self.man8.bold("SYNOPSIS")} - {
            "session optional pam_kaltura.so"}
        self.assertEqual(synopsis, set(opts))

    def test_man8_environment(self):
        read_, kaltura = code_pam_env()
        self.assertEqual((read_ | kaltura) - self.man8.bold(), set(),
                         "read or set by the module, not in pam_kaltura(8)")
        strings = all_code_strings()
        documented = {t for t in self.man8.terms("ENVIRONMENT")}
        unknown = {v for v in documented if not named_by_code(v, strings)} - LIBCURL_ENV
        self.assertEqual(unknown, set(), "documented, but no code names it")

    # -- bash completion

    def bash_options(self):
        out = set(self.offers["kaltura-credential -"])
        for c in self.commands:
            out |= set(self.offers[f"kaltura-credential {c} -"])
        return out - {"--"}  # the end of the options (exec -- CMD), not an option

    def test_bash_commands(self):
        self.assertEqual(set(self.offers["kaltura-credential "]), self.commands)

    def test_bash_options(self):
        self.assertEqual(self.bash_options(), self.options)

    def test_bash_values(self):
        self.assertEqual(set(self.offers["kaltura-credential login --hash "]), self.hashes)
        self.assertEqual(set(self.offers["kaltura-credential ks --format="]), self.formats)

    # -- zsh completion

    def test_zsh_commands(self):
        self.assertEqual(self.zsh.commands, self.commands)

    def test_zsh_options(self):
        self.assertEqual(self.zsh.options, self.options)

    def test_zsh_values(self):
        self.assertEqual(self.zsh.values("--hash"), self.hashes)
        self.assertEqual(self.zsh.values("--format"), self.formats)


if __name__ == "__main__":
    sys.argv[1:] = []  # the files are ours, not unittest's
    taptest.main()
