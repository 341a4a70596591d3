/* The retry policy (retry.h). */
#include "retry.h"

#define ATTEMPT_MIN_MS 1000
#define ATTEMPT_MAX_MS 5000 /* of the first attempt */
#define BACKOFF_MS     200
#define BACKOFF_MAX_MS 2000

enum kc_retry kc_retry_kind(CURLcode rc, long status)
{
    switch (rc) {
    case CURLE_OK:
        if (status == 502 || status == 503 || status == 504)
            return KC_RETRY_UNTIL_DEADLINE; /* a gateway or a server that says "later" */
        return status >= 500 && status <= 599 ? KC_RETRY_FEW : KC_RETRY_NO;
    case CURLE_OPERATION_TIMEDOUT: /* this attempt's bound: the answer is lost, not late */
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        return KC_RETRY_UNTIL_DEADLINE;
    case CURLE_COULDNT_CONNECT: /* nothing listens: a restart, or a wrong port */
        return KC_RETRY_FEW;
    default:
        return KC_RETRY_NO;
    }
}

long kc_retry_attempt_ms(long timeout_s, int n)
{
    long ms = timeout_s * 1000 / 4;
    ms = ms < ATTEMPT_MIN_MS ? ATTEMPT_MIN_MS : ms > ATTEMPT_MAX_MS ? ATTEMPT_MAX_MS : ms;
    for (int i = 0; i < n && ms < timeout_s * 1000; i++)
        ms *= 2;
    return ms;
}

long kc_retry_backoff_ms(int n)
{
    long ms = BACKOFF_MS;
    for (int i = 1; i < n && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}
