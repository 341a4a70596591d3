/* The retry policy (minter/retry.c): what is tried again, each attempt's bound, the backoff. */
#include "retry.h"
#include "tap.h"

static void test_kind(void)
{
    tap_ok(kc_retry_kind(CURLE_OK, 200) == KC_RETRY_NO, "200: done");
    tap_ok(kc_retry_kind(CURLE_OK, 302) == KC_RETRY_NO &&
               kc_retry_kind(CURLE_OK, 404) == KC_RETRY_NO,
           "3xx, 4xx: not retried");
    tap_ok(kc_retry_kind(CURLE_OK, 502) == KC_RETRY_UNTIL_DEADLINE &&
               kc_retry_kind(CURLE_OK, 503) == KC_RETRY_UNTIL_DEADLINE &&
               kc_retry_kind(CURLE_OK, 504) == KC_RETRY_UNTIL_DEADLINE,
           "502, 503, 504: until the deadline");
    tap_ok(kc_retry_kind(CURLE_OK, 500) == KC_RETRY_FEW &&
               kc_retry_kind(CURLE_OK, 501) == KC_RETRY_FEW,
           "500 and other 5xx: a few times");
    tap_ok(kc_retry_kind(CURLE_OPERATION_TIMEDOUT, 0) == KC_RETRY_UNTIL_DEADLINE,
           "an attempt past its bound: until the deadline");
    tap_ok(kc_retry_kind(CURLE_GOT_NOTHING, 0) == KC_RETRY_UNTIL_DEADLINE &&
               kc_retry_kind(CURLE_RECV_ERROR, 0) == KC_RETRY_UNTIL_DEADLINE &&
               kc_retry_kind(CURLE_SEND_ERROR, 0) == KC_RETRY_UNTIL_DEADLINE &&
               kc_retry_kind(CURLE_PARTIAL_FILE, 0) == KC_RETRY_UNTIL_DEADLINE,
           "dropped connections: until the deadline");
    tap_ok(kc_retry_kind(CURLE_COULDNT_CONNECT, 0) == KC_RETRY_FEW, "refused: a few times");
    tap_ok(kc_retry_kind(CURLE_PEER_FAILED_VERIFICATION, 0) == KC_RETRY_NO &&
               kc_retry_kind(CURLE_COULDNT_RESOLVE_HOST, 0) == KC_RETRY_NO &&
               kc_retry_kind(CURLE_WRITE_ERROR, 0) == KC_RETRY_NO &&
               kc_retry_kind(CURLE_ABORTED_BY_CALLBACK, 0) == KC_RETRY_NO,
           "TLS, DNS, an oversized answer, a cancel: not retried");
}

static void test_attempts(void)
{
    tap_ok(kc_retry_attempt_ms(30, 0) == 5000 && kc_retry_attempt_ms(20, 0) == 5000,
           "first attempt of timeout 30 or 20: 5 s");
    tap_ok(kc_retry_attempt_ms(10, 0) == 2500, "timeout 10: 2.5 s");
    tap_ok(kc_retry_attempt_ms(2, 0) == 1000 && kc_retry_attempt_ms(1, 0) == 1000,
           "at least 1 s (the caller caps it at the deadline)");
    tap_ok(kc_retry_attempt_ms(30, 1) == 10000 && kc_retry_attempt_ms(30, 2) == 20000,
           "doubled for each further attempt");
    tap_ok(kc_retry_attempt_ms(600, 0) == 5000 && kc_retry_attempt_ms(30, 40) <= 60000,
           "at most 5 s first; no overflow after many attempts");
}

static void test_backoff(void)
{
    tap_ok(kc_retry_backoff_ms(1) == 200 && kc_retry_backoff_ms(2) == 400 &&
               kc_retry_backoff_ms(3) == 800 && kc_retry_backoff_ms(4) == 1600,
           "200 ms, doubled");
    tap_ok(kc_retry_backoff_ms(5) == 2000 && kc_retry_backoff_ms(100) == 2000, "capped at 2 s");
}

int main(void)
{
    test_kind();
    test_attempts();
    test_backoff();
    return tap_done();
}
