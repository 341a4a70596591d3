/* libFuzzer target: the git credential protocol reader (helper/protocol.c). */
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kc_request req = {0};
    const char *why = NULL;
    if (kc_request_parse((const char *)data, size, &req, &why) == 0) {
        /* Every value that survived parsing must be printable back, or refused cleanly. */
        (void)kc_proto_value_ok(req.host ? req.host : "");
        (void)kc_proto_value_ok(req.profile ? req.profile : "");
    }
    kc_request_clear(&req);
    return 0;
}
