#!/usr/bin/env node
// Lists media entries with the official Kaltura Node.js client (npm `kaltura-client`), using a
// KS from kaltura-credential: the App Token stays in the keyring, the program only ever holds a
// short-lived KS, and asks the helper again when the one it holds is close to its expiry.
//
//   npm ci                      # in this directory: installs kaltura-client (package-lock.json)
//   node list_entries.js [--profile NAME] [--calls N] [--min-left SECONDS]
//
// --calls N: how many API calls to make (default 1); --min-left: ask for a new KS when the held
// one has fewer than SECONDS left (default 60). A KS from the helper's cache is free (a few ms,
// no network), so asking again is cheap; the helper mints only when its cached KS runs low.
'use strict';

const { execFileSync } = require('child_process');
const kaltura = require('kaltura-client');

function parseArgs(argv) {
    const opts = { profile: null, calls: 1, minLeft: 60 };
    for (let i = 0; i < argv.length; i++) {
        const value = argv[i + 1];
        if (argv[i] === '--profile' && value) opts.profile = value;
        else if (argv[i] === '--calls' && /^\d+$/.test(value)) opts.calls = Number(value);
        else if (argv[i] === '--min-left' && /^\d+$/.test(value)) opts.minLeft = Number(value);
        else throw new Error(`usage: list_entries.js [--profile NAME] [--calls N] [--min-left S]`);
        i++;
    }
    return opts;
}

// The KS and what comes with it, from `kaltura-credential ks --format=json`:
// {ks, expiry (unix time, our clock), partnerId, serviceUrl, userId, privileges}.
// The helper's own error message goes to our stderr; its exit status becomes ours.
class KsSource {
    constructor(profile, minLeft) {
        this.args = (profile ? ['--profile', profile] : []).concat(['ks', '--format=json']);
        this.minLeft = minLeft;
        this.current = null;
        this.asks = 0;
    }

    get() {
        const left = this.current ? this.current.expiry - Date.now() / 1000 : 0;
        if (!this.current || left < this.minLeft) {
            const out = execFileSync('kaltura-credential', this.args,
                                     { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
            this.current = JSON.parse(out);
            this.asks++;
        }
        return this.current;
    }
}

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const source = new KsSource(opts.profile, opts.minLeft);
    const config = new kaltura.Configuration();
    config.serviceUrl = source.get().serviceUrl;
    // The client's default logger prints every request on stdout, the KS in it: silence it
    // (a logger that is not the client's own ILogger turns its logging off).
    config.setLogger({ log() {}, error() {}, debug() {} });
    const client = new kaltura.Client(config);
    for (let call = 1; call <= opts.calls; call++) {
        const session = source.get(); // before every call: re-asked when close to expiry
        client.setKs(session.ks);
        const list = await kaltura.services.baseEntry.listAction().execute(client);
        const left = Math.round(session.expiry - Date.now() / 1000);
        console.log(`call ${call}: ${list.totalCount} entries (partner ${session.partnerId}, ` +
                    `KS of ask ${source.asks}, ${left} s left)`);
    }
}

main().catch((err) => {
    if (err && typeof err.status === 'number') { // the helper failed: it has said why
        process.exit(err.status);
    }
    console.error('list_entries.js: ' + (err && err.message ? err.message : String(err)));
    process.exit(1);
});
