/* App Token hash: the vectors of doc/kaltura-api.md §5.4 for every hash type. */
#include <string.h>

#include "tap.h"
#include "token_hash.h"

static const char ks[] =
    "djJ8MTIzNDV8AZjSBOczIAVk1HR2mRxggOeMp-tmyIe6Enajr3NpKjj_QyyjTA7ey2fHPu1DSRJq3"
    "mhbpqBrii64sV_RSKWhDKTQ0BCFdEakF_gbylwMupM=";
static const char token[] = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

static void vector(enum kc_hash h, const char *want)
{
    char hex[KC_TOKEN_HASH_HEX_MAX];
    int rc = kc_token_hash(h, ks, token, hex, sizeof hex);
    tap_ok(rc == 0 && strcmp(hex, want) == 0, "%s vector (got %s)", kc_hash_name(h),
           rc == 0 ? hex : "error");
}

int main(void)
{
    vector(KC_HASH_MD5, "b54f5014b7e15b77788ad258c8c74c82");
    vector(KC_HASH_SHA1, "3c511532f93118520de7f82d587690bc381cc264");
    vector(KC_HASH_SHA256, "72f36995e37ab7db6fa48e09ecddf9b0d9a521a187e7ea9b505280b8133e8fbf");
    vector(KC_HASH_SHA512, "d579831f74649f4f32ac4f1fcf7b35d69c27ea2c851ac2b81b8e6f820bf5a797"
                           "caea941455f426e55a8c46cae6def1419ae2b88ac3772df34523dc6ded23969a");

    enum kc_hash h;
    tap_ok(kc_hash_from_name("SHA256", &h) == 0 && h == KC_HASH_SHA256, "names are case-blind");
    tap_ok(kc_hash_from_name("sha3", &h) != 0, "unknown hash name refused");
    char small[10];
    tap_ok(kc_token_hash(KC_HASH_SHA1, ks, token, small, sizeof small) != 0,
           "a too-small output buffer is refused");
    char hex[KC_TOKEN_HASH_HEX_MAX];
    tap_ok(kc_token_hash(KC_HASH_SHA1, ks, "other", hex, sizeof hex) == 0 &&
               strcmp(hex, "3c511532f93118520de7f82d587690bc381cc264") != 0,
           "another token gives another hash");
    return tap_done();
}
