"""Sets a login lab up (a user with bus and keyring, the PAM edits, the private sshd, the
test's /dev/log), prints one line `READY <tag> <user> <sshd pid> <watchdog pid>` and waits
for stdin to close; then undoes it all. test_kill.py SIGKILLs it instead."""
import sys

import loginlab
from private_sshd import Sshd
from syslog_capture import Syslog


def main():
    lab = loginlab.Lab()
    try:
        lab.syslog = Syslog(lab)
        user = lab.add_user()
        user.world(bus=True, keyring="unlocked")
        lab.sshd = Sshd(lab, [user])
        lab.configure()
        lab.sshd.start()
        print(f"READY {lab.tag} {user.name} {lab.sshd.proc.pid} {lab.watchdog.pid}",
              flush=True)
        sys.stdin.read()
    finally:
        errors = lab.close()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
