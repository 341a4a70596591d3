"""`meson install` with DESTDIR: the tree it leaves, file by file.

Installs the build (KC_BUILD_ROOT) into a fresh temporary root and checks: exactly the
expected files and links (nothing missing, nothing extra), their modes, the
git-credential-kaltura links, the module in the PAM directory exporting the PAM entry points,
the man pages, the completions, the example configuration under the doc directory, and that
the paths compiled into the programs (the frontend's minter path, the module's helper path)
are where the files went. The directories come from meson (environment); names, modes and
links are this test's own expectations.
"""
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

import taptest

ENV = os.environ
BINDIR = ENV["KC_BINDIR"]
LIBEXECDIR = ENV["KC_LIBEXECDIR"]
PAMDIR = ENV["KC_PAMDIR"]
MANDIR = ENV["KC_MANDIR"]  # empty: man pages not built
DOCDIR = ENV["KC_DOCDIR"]
BASHDIR = ENV["KC_BASHCOMPDIR"]  # empty: not installed
ZSHDIR = ENV["KC_ZSHCOMPDIR"]

EXEC = 0o755
DATA = 0o644


def expected():
    """{absolute path: ('file', mode) | ('link', target)} of everything meson installs."""
    tree = {
        f"{BINDIR}/kaltura-credential": ("file", EXEC),
        f"{BINDIR}/git-credential-kaltura": ("link", "kaltura-credential"),
        f"{LIBEXECDIR}/kaltura-credential-mint": ("file", EXEC),
        f"{PAMDIR}/pam_kaltura.so": ("file", DATA),
        f"{DOCDIR}/credential.conf.example": ("file", DATA),
        f"{DOCDIR}/pam.d-kaltura.example": ("file", DATA),
        f"{DOCDIR}/README.md": ("file", DATA),
    }
    if MANDIR:
        tree.update({
            f"{MANDIR}/man1/kaltura-credential.1": ("file", DATA),
            f"{MANDIR}/man1/git-credential-kaltura.1": ("link", "kaltura-credential.1"),
            f"{MANDIR}/man5/kaltura-credential.conf.5": ("file", DATA),
            f"{MANDIR}/man8/pam_kaltura.8": ("file", DATA),
        })
    if BASHDIR:
        tree[f"{BASHDIR}/kaltura-credential"] = ("file", DATA)
    if ZSHDIR:
        tree[f"{ZSHDIR}/_kaltura-credential"] = ("file", DATA)
    return tree


class InstallTreeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="kc-destdir-")
        r = subprocess.run([ENV["KC_MESON"], "install", "-C", ENV["KC_BUILD_ROOT"],
                            "--destdir", cls.root, "--no-rebuild", "--quiet"],
                           capture_output=True, text=True)
        cls.install_log = r.stdout + r.stderr
        cls.install_rc = r.returncode

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def at(self, path):
        return self.root + path

    def walk(self):
        """{absolute path: lstat} of every file and link below the temporary root."""
        found = {}
        for d, dirs, files in os.walk(self.root):
            for name in files + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
                full = os.path.join(d, name)
                found[full[len(self.root):]] = os.lstat(full)
        return found

    def test_install_succeeds(self):
        self.assertEqual(self.install_rc, 0, self.install_log)

    def test_exactly_the_expected_files(self):
        want = expected()
        got = self.walk()
        self.assertEqual(sorted(set(want) - set(got)), [], "missing from the install")
        self.assertEqual(sorted(set(got) - set(want)), [], "installed but not expected")

    def test_modes_and_links(self):
        for path, (kind, what) in expected().items():
            with self.subTest(path=path):
                st = os.lstat(self.at(path))
                if kind == "link":
                    self.assertTrue(stat.S_ISLNK(st.st_mode), "not a symlink")
                    # relative, so the tree can move (DESTDIR, a package)
                    self.assertEqual(os.readlink(self.at(path)), what)
                    self.assertTrue(os.path.exists(self.at(path)), "dangling link")
                else:
                    self.assertTrue(stat.S_ISREG(st.st_mode), "not a regular file")
                    self.assertEqual(oct(stat.S_IMODE(st.st_mode)), oct(what))

    def test_directories_are_0755(self):
        for d, dirs, _ in os.walk(self.root):
            for name in dirs:
                full = os.path.join(d, name)
                if not os.path.islink(full):
                    with self.subTest(dir=full[len(self.root):]):
                        self.assertEqual(oct(stat.S_IMODE(os.stat(full).st_mode)), oct(0o755))

    def test_pam_module_location_and_exports(self):
        self.assertEqual(os.path.basename(PAMDIR), "security")
        # nm, not dlopen: a sanitizer build's module cannot be loaded into this python
        r = subprocess.run(["nm", "-D", "--defined-only", self.at(f"{PAMDIR}/pam_kaltura.so")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        exported = {line.split()[-1] for line in r.stdout.splitlines() if line.strip()}
        for sym in ("pam_sm_open_session", "pam_sm_close_session", "pam_sm_setcred",
                    "pam_sm_authenticate"):
            self.assertIn(sym, exported)

    def test_frontend_runs_the_installed_minter(self):
        # The frontend falls back to its compiled-in KC_MINT_PATH: the minter's install path.
        data = open(self.at(f"{BINDIR}/kaltura-credential"), "rb").read()
        paths = set(re.findall(rb"(/[\x21-\x7e]*/kaltura-credential-mint)\x00", data))
        self.assertEqual(paths, {f"{LIBEXECDIR}/kaltura-credential-mint".encode()})

    def test_installed_frontend_runs_no_minter_planted_next_to_it(self):
        """Only the build tree's frontend looks for the minter next to itself. A copy of the
        installed one with a program called kaltura-credential-mint beside it runs the
        minter at its compiled-in path (which this test did not install: an error naming
        it), never the planted one, which would get the request and the user's keyring."""
        d = tempfile.mkdtemp(prefix="kc-planted-")
        self.addCleanup(shutil.rmtree, d, True)
        marker = os.path.join(d, "planted-ran")
        shutil.copy(self.at(f"{BINDIR}/kaltura-credential"), d)
        with open(os.path.join(d, "kaltura-credential-mint"), "w") as f:
            f.write(f"#!/bin/sh\ntouch '{marker}'\n")
        os.chmod(os.path.join(d, "kaltura-credential-mint"), 0o755)
        for args in (["--version"], ["status"]):
            with self.subTest(args=args):
                r = subprocess.run([os.path.join(d, "kaltura-credential")] + args,
                                   capture_output=True, text=True, timeout=60)
                self.assertFalse(os.path.exists(marker), "the planted minter ran")
                if not os.path.exists(f"{LIBEXECDIR}/kaltura-credential-mint"):
                    self.assertIn(f"{LIBEXECDIR}/kaltura-credential-mint", r.stderr)

    def test_module_runs_the_installed_helper(self):
        data = open(self.at(f"{PAMDIR}/pam_kaltura.so"), "rb").read()
        paths = set(re.findall(rb"(/[\x21-\x7e]*/kaltura-credential)\x00", data))
        self.assertEqual(paths, {f"{BINDIR}/kaltura-credential".encode()})

    def test_installed_minter_runs(self):
        r = subprocess.run([self.at(f"{LIBEXECDIR}/kaltura-credential-mint"), "--version"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^kaltura-credential \d")

    def test_man_pages_name_the_installed_paths(self):
        if not MANDIR:
            self.skipTest("man pages not built (scdoc missing, -Dman=disabled)")
        def text(page):  # the roff source with scdoc's escapes undone
            raw = open(self.at(f"{MANDIR}/{page}")).read()
            return re.sub(r"\\&", "", raw).replace("\\-", "-")
        self.assertIn(f"{PAMDIR}/pam_kaltura.so", text("man8/pam_kaltura.8"))
        self.assertIn(f"{BINDIR}/kaltura-credential", text("man8/pam_kaltura.8"))
        self.assertIn(f"{LIBEXECDIR}/kaltura-credential-mint", text("man1/kaltura-credential.1"))

    def test_example_config_is_the_source_one(self):
        src = os.path.join(ENV["KC_SOURCE_ROOT"], "conf", "credential.conf.example")
        with open(src, "rb") as a, open(self.at(f"{DOCDIR}/credential.conf.example"), "rb") as b:
            self.assertEqual(a.read(), b.read())


if __name__ == "__main__":
    taptest.main()
