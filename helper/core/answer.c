/* The one writer of the answer (answer.h). */
#include "answer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "diag.h"
#include "protocol.h"
#include "secure_mem.h"
#include "text.h"

void kc_answer_clear(struct kc_answer *a)
{
    secure_free_str(a->ks);
    free(a->username);
    free(a->protocol);
    free(a->host);
    free(a->partner_id);
    memset(a, 0, sizeof *a);
}

bool kc_answer_ok(const struct kc_answer *a)
{
    const unsigned word = KC_TEXT_NONEMPTY | KC_TEXT_NO_SPACE | KC_TEXT_ASCII;
    return a->ks != NULL && a->partner_id != NULL &&
           kc_ks_well_formed(a->ks, strlen(a->ks), a->partner_id) &&
           kc_text_ok(a->username, KC_ANSWER_MAX_USERNAME, KC_TEXT_NONEMPTY | KC_TEXT_ASCII) &&
           kc_text_ok(a->protocol, KC_ANSWER_MAX_PROTOCOL, word) &&
           kc_text_ok(a->host, KC_ANSWER_MAX_HOST, word) && a->expiry > 0;
}

static int write_answer(FILE *out, const struct kc_answer *a, enum kc_answer_format format)
{
    if (format == KC_ANSWER_BARE)
        return fprintf(out, "%s\n", a->ks) < 0 ? -1 : 0;
    char expiry[24];
    snprintf(expiry, sizeof expiry, "%lld", a->expiry);
    if (kc_proto_write(out, "protocol", a->protocol) != 0 ||
        kc_proto_write(out, "host", a->host) != 0 ||
        kc_proto_write(out, "username", a->username) != 0 ||
        kc_proto_write(out, "password", a->ks) != 0 ||
        kc_proto_write(out, "password_expiry_utc", expiry) != 0)
        return -1;
    return 0;
}

int kc_answer_print(FILE *out, const struct kc_answer *a, enum kc_answer_format format)
{
    if (!kc_answer_ok(a)) {
        diag_error("the KS is not a well-formed KS of partner %s, or a value printed with it "
                   "is not printable ASCII, or is too long",
                   a->partner_id != NULL && kc_text_ok(a->partner_id, KC_KS_PARTNER_MAX,
                                                       KC_TEXT_NONEMPTY | KC_TEXT_ASCII)
                       ? a->partner_id
                       : "(none)");
        return KC_EXIT_BAD_RESPONSE;
    }
    errno = 0;
    if (write_answer(out, a, format) != 0 || fflush(out) != 0) {
        diag_error("cannot write to standard output: %s", errno ? strerror(errno) : "write error");
        return KC_EXIT_INTERNAL;
    }
    return KC_EXIT_OK;
}
