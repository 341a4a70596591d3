/* bench/floor_secret: the memory floor of libsecret (GLib, GIO's D-Bus client, libgcrypt), for
 * the benchmark's "floors" table. One secret_password_lookup_sync for our schema, nothing else.
 * Exits 0 when the token was found. Usage: floor_secret SERVICE_URL PARTNER_ID APP_TOKEN_ID */
#include <libsecret/secret.h>
#include <stdio.h>

static const SecretSchema schema = {
    .name = "org.kaltura.AppToken",
    .flags = SECRET_SCHEMA_NONE,
    .attributes = {{"service_url", SECRET_SCHEMA_ATTRIBUTE_STRING},
                   {"partner_id", SECRET_SCHEMA_ATTRIBUTE_STRING},
                   {"app_token_id", SECRET_SCHEMA_ATTRIBUTE_STRING},
                   {NULL, 0}},
};

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: floor_secret SERVICE_URL PARTNER_ID APP_TOKEN_ID\n");
        return 2;
    }
    GError *e = NULL;
    char *token = secret_password_lookup_sync(&schema, NULL, &e, "service_url", argv[1],
                                              "partner_id", argv[2], "app_token_id", argv[3], NULL);
    int found = token != NULL;
    secret_password_free(token); /* wipes */
    g_clear_error(&e);
    return found ? 0 : 1;
}
