#!/usr/bin/python3
"""Kaltura api_v3 emulator for the tests. See README.md next to this file.

    /usr/bin/python3 kaltura_emulator.py --state-dir DIR [--ks-version 2|1] [--verbose]
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api  # noqa: E402
import certs  # noqa: E402
import server  # noqa: E402

MAIN_PARTNER = 12345
MAIN_SECRET = "0123456789abcdef0123456789abcdef"  # §5.4 test-vector secret
MAIN_USER_SECRET = "fedcba9876543210fedcba9876543210"
V1_PARTNER = 54321
V1_SECRET = "54321secret54321secret54321secre"
V1_USER_SECRET = "54321user54321user54321user54321"


def build_state(ks_version):
    state = api.State()
    state.add_partner(MAIN_PARTNER, MAIN_SECRET, user_secret=MAIN_USER_SECRET,
                      ks_version=ks_version)
    state.add_partner(V1_PARTNER, V1_SECRET, user_secret=V1_USER_SECRET, ks_version=1)
    return state


def write_json_atomic(path, data):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--ks-version", type=int, choices=(1, 2), default=2,
                    help="KS version of partner 12345 (partner 54321 is always v1)")
    ap.add_argument("--https-port", type=int, default=0)
    ap.add_argument("--http-port", type=int, default=0)
    ap.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = ap.parse_args(argv)

    state_dir = os.path.abspath(args.state_dir)
    os.makedirs(state_dir, exist_ok=True)
    paths = certs.generate(state_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(paths["server.pem"], paths["server.key"])

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    emu = server.Emulator(build_state(args.ks_version), verbose=args.verbose)
    ports = emu.start(ctx, https_port=args.https_port, http_port=args.http_port)
    http_url = f"http://127.0.0.1:{ports['http']}"
    info = {
        "https_url": f"https://localhost:{ports['https']}",
        "http_url": http_url,
        "control_url": f"{http_url}/__emulator",
        "partner_id": MAIN_PARTNER,
        "admin_secret": MAIN_SECRET,
        "user_secret": MAIN_USER_SECRET,
        "ks_version": args.ks_version,
        "v1_partner_id": V1_PARTNER,
        "v1_admin_secret": V1_SECRET,
        "ca_file": paths["ca.pem"],
        "other_ca_file": paths["other-ca.pem"],
        "https_port": ports["https"],
        "http_port": ports["http"],
        "state_dir": state_dir,
        "pid": os.getpid(),
    }
    emu.info = info
    json_path = os.path.join(state_dir, "emulator.json")
    write_json_atomic(json_path, info)  # only now: both listeners are accepting

    while not stop.wait(0.2):
        pass
    emu.stop()
    try:
        os.unlink(json_path)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
