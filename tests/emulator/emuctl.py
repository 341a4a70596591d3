#!/usr/bin/python3
"""emuctl: drive a running Kaltura emulator (README.md 'Control').

Finds the emulator through --state DIR or $KC_EMU_STATE (the dir holding emulator.json).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import emuclient  # noqa: E402


def build_parser():
    ap = argparse.ArgumentParser(prog="emuctl.py", description=__doc__.strip().splitlines()[0])
    ap.add_argument("--state", help="emulator state dir (default: $KC_EMU_STATE)")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("create-token", help="appToken.add through the API; prints 'ID TOKEN'")
    p.add_argument("--partner", type=int)
    p.add_argument("--hash", choices=("SHA1", "SHA256", "SHA512", "MD5"))
    p.add_argument("--session-user-id")
    p.add_argument("--session-type", type=int, choices=(0, 2))
    p.add_argument("--duration", type=int, help="sessionDuration, seconds")
    p.add_argument("--expiry", type=int, help="token expiry: unix time, or relative if <= 10 years")
    p.add_argument("--privileges", help="token sessionPrivileges")
    p.add_argument("--description")
    p.add_argument("--json", action="store_true", help="print the whole KalturaAppToken as JSON")

    p = sub.add_parser("set-token-status", help="control plane only: active|disabled")
    p.add_argument("id")
    p.add_argument("status", choices=("active", "disabled"))

    p = sub.add_parser("delete-token", help="appToken.delete through the API")
    p.add_argument("id")
    p.add_argument("--partner", type=int)

    p = sub.add_parser("fault", help="MODE [--count N] [--action SERVICE.ACTION], or 'none'")
    p.add_argument("mode")
    p.add_argument("--count", type=int)
    p.add_argument("--action")

    sub.add_parser("faults", help="list the active fault rules (JSON)")
    p = sub.add_parser("latency", help="milliseconds added before every API answer")
    p.add_argument("ms", type=float)
    p = sub.add_parser("clock-offset", help="the emulator's clock runs S seconds ahead")
    p.add_argument("seconds", type=int)
    sub.add_parser("stats", help="request/connection counters (JSON)")
    sub.add_parser("reset-stats", help="zero the counters")
    p = sub.add_parser("validate", help="validate a KS like an API call; exit 0 iff valid")
    p.add_argument("ks")
    p = sub.add_parser("partner", help="add or change a partner")
    p.add_argument("id", type=int)
    p.add_argument("--admin-secret")
    p.add_argument("--user-secret")
    p.add_argument("--ks-version", type=int, choices=(1, 2))
    p.add_argument("--ks-max-expiry", type=int)
    sub.add_parser("info", help="print emulator.json")
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        emu = emuclient.Emulator.from_env(args.state)
        return run(emu, args)
    except emuclient.ApiError as exc:
        print(f"emuctl: API error {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except (RuntimeError, OSError, TimeoutError) as exc:
        print(f"emuctl: {exc}", file=sys.stderr)
        return 2


def run(emu, a):
    out = lambda obj: print(json.dumps(obj, indent=None))  # noqa: E731
    if a.cmd == "create-token":
        tok = emu.create_token(a.partner, a.hash, a.session_user_id, a.session_type,
                               a.duration, a.expiry, a.privileges, a.description)
        print(json.dumps(tok) if a.json else f"{tok['id']} {tok['token']}")
    elif a.cmd == "set-token-status":
        emu.control("token-status", id=a.id, status=a.status)
    elif a.cmd == "delete-token":
        emu.delete_token(a.id, a.partner)
    elif a.cmd == "fault":
        out(emu.control("fault", mode=a.mode, count=a.count, action=a.action)["faults"])
    elif a.cmd == "faults":
        out(emu.control("faults")["faults"])
    elif a.cmd == "latency":
        emu.control("latency", ms=a.ms)
    elif a.cmd == "clock-offset":
        emu.control("clock-offset", seconds=a.seconds)
    elif a.cmd == "stats":
        out(emu.control("stats"))
    elif a.cmd == "reset-stats":
        emu.control("reset-stats")
    elif a.cmd == "validate":
        res = emu.control("validate", ks=a.ks)
        out(res)
        return 0 if res["valid"] else 1
    elif a.cmd == "partner":
        params = {"id": a.id, "admin_secret": a.admin_secret, "user_secret": a.user_secret,
                  "ks_version": a.ks_version, "ks_max_expiry": a.ks_max_expiry}
        out(emu.control("partner", **{k: v for k, v in params.items() if v is not None}))
    elif a.cmd == "info":
        out(emu.info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
