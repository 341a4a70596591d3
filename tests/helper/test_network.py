"""The transport's promises (README "Security model", "The network"): what `ca_file` trusts,
which proxy a request goes through, and the server's clock versus ours.
libsecret's file backend; the emulator of with-emulator.sh."""
import os
import shutil
import subprocess

import taptest
from kchelper import FRONTEND, HelperTest, create_token, emu_host, wrapped

GET = b"protocol=https\nhost=%s\n\n"
SYSTEM_CERTS = "/etc/ssl/certs"  # Debian libcurl's compiled-in CAPATH (curl-config --configure)


class CaFile(HelperTest):
    """`ca_file` replaces the system trust store, all of it: a CA that only the system store
    holds must not vouch for a server of a profile with a ca_file."""

    def setUp(self):
        super().setUp()
        self.tid, self.tok = create_token()
        p = self.sb.login(self.tid, self.tok, extra=["--no-verify"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.store = os.path.join(self.sb.dir, "system-certs")
        os.mkdir(self.store)

    def system_store(self, hashed=(), bundle=()):
        """The test's stand-in for /etc/ssl/certs: `hashed` CAs as OpenSSL hash links (what
        libcurl's CAPATH reads), `bundle` CAs in ca-certificates.crt (its default CAINFO)."""
        for pem in hashed:
            h = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", pem],
                               capture_output=True, text=True, check=True).stdout.strip()
            shutil.copy(pem, os.path.join(self.store, h + ".0"))
        with open(os.path.join(self.store, "ca-certificates.crt"), "w") as out:
            for pem in bundle:
                with open(pem) as f:
                    out.write(f.read())

    def get_with_system_store(self, **keys):
        """`get` in a private mount namespace whose /etc/ssl/certs is the test's store: the
        real one is left alone (other tests run beside us), and nothing outlives the process."""
        self.sb.write_config(self.sb.profile_config("default", self.tid, cache="false", **keys))
        unshare = ["unshare", "--mount", "--propagation", "private"]
        if os.geteuid() != 0:
            unshare.append("--map-root-user")
        argv = unshare + ["--", "/bin/sh", "-c",
                          'mount --bind "$0" ' + SYSTEM_CERTS + ' && exec "$@"', self.store,
                          *wrapped([FRONTEND]), "get"]
        return subprocess.run(argv, input=GET % emu_host().encode(), capture_output=True,
                              env=self.sb.env, timeout=60)

    def test_system_store_is_the_stand_in(self):
        """Precondition of the tests below: without ca_file the stand-in store decides, both
        through its hash links and through its bundle."""
        emu_ca, other = os.environ["KC_EMU_CA"], os.environ["KC_EMU_OTHER_CA"]
        self.system_store(hashed=[emu_ca], bundle=[other])
        self.assertKs(self.get_with_system_store(ca=False), self.tid)
        shutil.rmtree(self.store)
        os.mkdir(self.store)
        self.system_store(bundle=[other])
        self.assertFails(self.get_with_system_store(ca=False), 9, "TLS")

    def test_ca_file_replaces_the_hashed_system_store(self):
        """The server's CA is in the system store's hash directory (CAPATH), not in ca_file:
        refused."""
        self.system_store(hashed=[os.environ["KC_EMU_CA"]], bundle=[os.environ["KC_EMU_OTHER_CA"]])
        self.assertFails(self.get_with_system_store(ca=os.environ["KC_EMU_OTHER_CA"]), 9, "TLS")

    def test_ca_file_replaces_the_system_bundle(self):
        """The server's CA is in the system store's bundle (CAINFO), not in ca_file: refused."""
        self.system_store(bundle=[os.environ["KC_EMU_CA"]])
        self.assertFails(self.get_with_system_store(ca=os.environ["KC_EMU_OTHER_CA"]), 9, "TLS")

    def test_ca_file_is_trusted(self):
        """The server's CA is in ca_file only: trusted."""
        self.system_store(bundle=[os.environ["KC_EMU_OTHER_CA"]])
        self.assertKs(self.get_with_system_store(), self.tid)


if __name__ == "__main__":
    taptest.main()
