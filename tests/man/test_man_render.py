"""Each man page given on the command line renders with `MANWIDTH=80 man --warnings -l`:
exit status 0, a NAME section, no line wider than 80 columns, and nothing at all on stderr
(groff's warnings, man's complaints)."""
import os
import subprocess
import sys
import unittest

import taptest

PAGES = sys.argv[1:]


class ManRenderTest(unittest.TestCase):
    def test_pages_given(self):
        self.assertEqual(len(PAGES), 3, PAGES)

    def test_render_without_warnings(self):
        env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat", LC_ALL="C.UTF-8")
        env.pop("MANOPT", None)
        for page in PAGES:
            with self.subTest(page=os.path.basename(page)):
                r = subprocess.run([os.environ["KC_MAN"], "--warnings", "-l", page],
                                   capture_output=True, text=True, env=env, timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stderr, "")
                self.assertIn("NAME", r.stdout)
                wide = [line for line in r.stdout.splitlines() if len(line) > 80]
                self.assertEqual(wide, [])


if __name__ == "__main__":
    sys.argv[1:] = []  # the pages are ours, not unittest's
    taptest.main()
