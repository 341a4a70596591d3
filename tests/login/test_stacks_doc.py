"""doc/pam.md's PAM stack blocks (the ones tests/login runs, stacks.py) are complete and in the
documented order, and conf/pam.d-kaltura.example carries exactly the same blocks. No root."""
import re
import unittest

import stacks
import taptest

PATHS = {"gdm-password", "login", "su", "runuser-l", "sshd"}
SECTION_RE = re.compile(r"^# \[(?P<name>[\w.-]+)\] (?P<head>/etc/pam\.d/.*)$")


def example_blocks(path=stacks.EXAMPLE):
    """{name: (heading, [lines])} from the example's sections: '# [name] /etc/pam.d/...', then
    '#   auth|session ...' comment lines, up to a bare '#' line."""
    out, name = {}, None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            m = SECTION_RE.match(line)
            if m:
                name = m["name"]
                out[name] = (m["head"], [])
            elif line.strip() == "#":
                name = None
            elif name:
                body = re.match(r"^#\s+((?:auth|session)\s+\S+\s+pam_\S+.*)$", line)
                if body:
                    out[name][1].append(" ".join(body[1].split()))
    return out


class StacksDocTest(unittest.TestCase):
    def setUp(self):
        self.doc = stacks.doc_stacks()

    def test_every_login_path_has_a_block(self):
        self.assertEqual(set(self.doc), PATHS)

    def test_blocks_name_their_file(self):
        for name, block in self.doc.items():
            self.assertEqual(block.file, f"/etc/pam.d/{name}", block)

    def test_order_keyring_then_kaltura(self):
        """pam_gnome_keyring's session line (when the block has one) comes before
        pam_kaltura.so's; a block with a password path has the auth line too."""
        for name, block in self.doc.items():
            session = [l.split()[2] for l in block.of_type("session")]
            self.assertEqual(session[-1], "pam_kaltura.so", block)
            if "pam_gnome_keyring.so" in session:
                self.assertLess(session.index("pam_gnome_keyring.so"),
                                session.index("pam_kaltura.so"), block)
                self.assertEqual(block.of_type("auth"), ["auth optional pam_gnome_keyring.so"],
                                 block)

    def test_one_pam_kaltura_line(self):
        lines = {l for b in self.doc.values() for l in b.lines if "pam_kaltura.so" in l}
        self.assertEqual(lines, {"session optional pam_kaltura.so"})

    def test_example_has_the_same_blocks(self):
        example = example_blocks()
        self.assertEqual(set(example), set(self.doc))
        for name, block in self.doc.items():
            head, lines = example[name]
            self.assertTrue(head.startswith(f"{block.file}"), (name, head))
            self.assertIn(block.where.split(" (")[0], head, name)
            self.assertEqual(lines, block.lines, name)

    def test_render_guards_and_rewrites(self):
        """What the tests append: the block's lines, guarded per type for the test users."""
        out = stacks.render(self.doc["sshd"], "/b/pam_kaltura.so", ["debug"], ["u1", "u2"],
                            {"u1": ["session optional pam_env.so conffile=/x"]})
        self.assertEqual(out, [
            "auth [success=1 default=ignore] pam_succeed_if.so quiet user notin u1:u2",
            "auth optional pam_gnome_keyring.so",
            "session [success=1 default=ignore] pam_succeed_if.so quiet user notin u1",
            "session optional pam_env.so conffile=/x",
            "session [success=2 default=ignore] pam_succeed_if.so quiet user notin u1:u2",
            "session optional pam_gnome_keyring.so auto_start",
            "session optional /b/pam_kaltura.so debug",
        ])


if __name__ == "__main__":
    taptest.main()
