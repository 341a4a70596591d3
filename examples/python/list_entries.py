#!/usr/bin/python3
"""Lists media entries through api_v3 with Python's standard library alone, using a KS from
kaltura-credential: the App Token stays in the keyring, the program only ever holds a
short-lived KS, and asks the helper again when the one it holds is close to its expiry.

    python3 list_entries.py [--profile NAME] [--calls N] [--min-left SECONDS]

--calls N: how many API calls to make (default 1); --min-left: ask for a new KS when the held
one has fewer than SECONDS left (default 60). A KS from the helper's cache is free (a few ms,
no network), so asking again is cheap; the helper mints only when its cached KS runs low.

With the official Python client (KalturaApiClient on PyPI; not in Debian's archive), the KS
goes to the client object instead of the request below:

    from KalturaClient import KalturaClient, KalturaConfiguration
    session = source.get()
    client = KalturaClient(KalturaConfiguration(serviceUrl=session["serviceUrl"]))
    client.setKs(session["ks"])       # <- the helper's KS; call setKs again after each get()
    entries = client.baseEntry.list()
"""
import argparse
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request


class HelperError(Exception):
    """kaltura-credential failed; it has printed why on stderr. .status: its exit status."""

    def __init__(self, status):
        super().__init__(f"kaltura-credential exited with status {status}")
        self.status = status


class KsSource:
    """The KS and what comes with it, from `kaltura-credential ks --format=json`:
    {ks, expiry (unix time, our clock), partnerId, serviceUrl, userId, privileges}."""

    def __init__(self, profile=None, min_left=60):
        self.args = (["--profile", profile] if profile else []) + ["ks", "--format=json"]
        self.min_left = min_left
        self.current = None
        self.asks = 0

    def get(self):
        if self.current is None or self.current["expiry"] - time.time() < self.min_left:
            # stderr is the helper's to use (its one-line message on failure)
            p = subprocess.run(["kaltura-credential", *self.args], stdout=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, text=True)
            if p.returncode != 0:
                raise HelperError(p.returncode)
            self.current = json.loads(p.stdout)
            self.asks += 1
        return self.current


def call(session, service, action, **params):
    """One api_v3 call: a POST form with format=1 (JSON answers); the KS in the body, never in
    the URL. Raises RuntimeError for a KalturaAPIException."""
    url = f"{session['serviceUrl']}/api_v3/service/{service}/action/{action}"
    body = urllib.parse.urlencode(dict(params, ks=session["ks"], format=1)).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=30) as r:
        answer = json.load(r)
    if isinstance(answer, dict) and answer.get("objectType") == "KalturaAPIException":
        raise RuntimeError(f"{service}.{action}: {answer.get('code')}: {answer.get('message')}")
    return answer


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile")
    ap.add_argument("--calls", type=int, default=1)
    ap.add_argument("--min-left", type=int, default=60)
    opts = ap.parse_args()
    source = KsSource(opts.profile, opts.min_left)
    try:
        for n in range(1, opts.calls + 1):
            session = source.get()  # before every call: re-asked when close to expiry
            entries = call(session, "baseEntry", "list")
            left = round(session["expiry"] - time.time())
            print(f"call {n}: {entries['totalCount']} entries (partner {session['partnerId']}, "
                  f"KS of ask {source.asks}, {left} s left)", flush=True)
    except HelperError as e:
        sys.exit(e.status)
    except (OSError, RuntimeError, ValueError) as e:
        sys.exit(f"list_entries.py: {e}")


if __name__ == "__main__":
    main()
