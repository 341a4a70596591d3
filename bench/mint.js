// The App Token seed flow with the official Node.js client (npm kaltura-client), as in
// Kaltura's docs: startWidgetSession, sha1(widgetKS + token), appToken.startSession.
// A benchmark alternative only: it takes the token from the environment, which is exactly
// what kaltura-credential exists to avoid.
'use strict';
const crypto = require('crypto');
const kaltura = require('kaltura-client');

const config = new kaltura.Configuration();
config.serviceUrl = process.env.KC_BENCH_URL;
const client = new kaltura.Client(config);
const partnerId = process.env.KC_BENCH_PARTNER;

kaltura.services.session.startWidgetSession('_' + partnerId)
    .execute(client)
    .then((widget) => {
        client.setKs(widget.ks);
        const hash = crypto.createHash('sha1')
                         .update(widget.ks + process.env.KC_BENCH_TOKEN)
                         .digest('hex');
        return kaltura.services.appToken.startSession(process.env.KC_BENCH_TOKEN_ID, hash)
            .execute(client);
    })
    .then((info) => console.log(info.ks))
    .catch((err) => {
        console.error('mint.js: ' + (err && err.message ? err.message : err));
        process.exit(1);
    });
