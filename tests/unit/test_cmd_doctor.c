/* doctor's report and clock check (helper/minter/cmd_doctor.c): one line per check, the first
 * failure's exit code, and the clock comparison in both directions. The checks against a real
 * keyring and the emulator: tests/helper/test_doctor.py. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "doctor.h"
#include "capture.h"
#include "tap.h"

static char out[4096];

/* Runs kc_doctor_clock(r, server, local) with stdout captured into out. */
static void clock_line(struct kc_report *r, long long server, long long local)
{
    struct capture c;
    capture_begin(&c, 1);
    kc_doctor_clock(r, server, local);
    capture_end(&c, out, sizeof out);
}

int main(void)
{
    struct kc_report r = {0};
    const long long now = 1700000000;
    clock_line(&r, now + 3, now);
    tap_ok(strncmp(out, "ok    clock: within 3 s", 23) == 0, "3 s apart: ok");
    clock_line(&r, now + 600, now);
    tap_ok(strncmp(out, "warn  clock: this machine's clock is 600 s behind the server's", 62) ==
                   0 &&
               strstr(out, "timedatectl set-ntp true") != NULL,
           "the server 600 s ahead: a warning, ours is behind");
    clock_line(&r, now - 7200, now);
    tap_ok(strstr(out, "7200 s ahead of the server's") != NULL,
           "the server 2 h behind: ours ahead");
    clock_line(&r, now + 60, now);
    tap_ok(strncmp(out, "ok", 2) == 0, "60 s: still ok");
    clock_line(&r, 0, now);
    tap_ok(strncmp(out, "warn  clock: the server's answer had no usable Date header", 58) == 0,
           "no Date header: a warning");
    tap_ok(r.first_failure == 0, "warnings are not failures");
    struct capture c;
    capture_begin(&c, 1);
    kc_report(&r, KC_CHECK_FAIL, 7, "keyring: locked\nsecond line");
    kc_report(&r, KC_CHECK_FAIL, 9, "service: down");
    kc_report(&r, KC_CHECK_SKIP, 0, "token: not looked up");
    capture_end(&c, out, sizeof out);
    tap_ok(strcmp(out, "fail  keyring: locked second line\nfail  service: down\n"
                       "skip  token: not looked up\n") == 0,
           "one line per check, a newline in a message cannot make two");
    tap_ok(r.first_failure == 7, "the exit code is the first failure's (%d)", r.first_failure);
    return tap_done();
}
