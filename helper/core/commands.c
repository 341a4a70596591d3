/* The command table (commands.h). */
#include "commands.h"

#include <stddef.h>
#include <string.h>

/* Unset members: front KC_FRONT_MINTER, max_args 0 (no arguments). */
const struct kc_command kc_commands[KC_CMD_COUNT] = {
    [KC_CMD_GET] = {.id = KC_CMD_GET,
                    .name = "get",
                    .front = KC_FRONT_CACHE,
                    .reads_request = true,
                    .answer = KC_ANSWER_CREDENTIAL,
                    .help = "read key=value lines (protocol, host, path, profile; min_lifetime,\n"
                            "shared: see the man page) on stdin until a blank line or EOF;\n"
                            "print protocol, host, username, password=<KS> and\n"
                            "password_expiry_utc. A host no profile serves: prints nothing,\n"
                            "exit 0."},
    [KC_CMD_KS] = {.id = KC_CMD_KS,
                   .name = "ks",
                   .front = KC_FRONT_CACHE,
                   .answer = KC_ANSWER_BARE,
                   .answer_option = true,
                   .max_args = KC_ARGS_ANY,
                   .help = "[--format=bare|env|export|json] print the KS; bare: the KS\n"
                           "and a newline (KS=$(kaltura-credential ks)); env:\n"
                           "KALTURA_KS=, KALTURA_KS_EXPIRY=, KALTURA_PARTNER_ID=,\n"
                           "KALTURA_SERVICE_URL= lines; export: the same as\n"
                           "export NAME='VALUE', for eval; json: {ks, expiry,\n"
                           "partnerId, serviceUrl, userId, privileges}"},
    [KC_CMD_EXEC] = {.id = KC_CMD_EXEC,
                     .name = "exec",
                     .front = KC_FRONT_EXEC,
                     .max_args = KC_ARGS_ANY,
                     .help = "[--profile NAME] [--env NAME] -- CMD [ARGS...]\n"
                             "run CMD with KALTURA_KS (or NAME), KALTURA_KS_EXPIRY,\n"
                             "KALTURA_PARTNER_ID and KALTURA_SERVICE_URL in its environment\n"
                             "only; exits with CMD's status (127: not found, 126: cannot run\n"
                             "it); CMD is not started when no KS can be had"},
    [KC_CMD_STORE] = {.id = KC_CMD_STORE,
                      .name = "store",
                      .front = KC_FRONT_IGNORE,
                      .max_args = KC_ARGS_ANY,
                      .help = "accepted and ignored (git calls it)"},
    [KC_CMD_ERASE] = {.id = KC_CMD_ERASE,
                      .name = "erase",
                      .max_args = KC_ARGS_ANY,
                      .help = "forget the cached KS of the selected profile"},
    [KC_CMD_LOGIN] = {.id = KC_CMD_LOGIN,
                      .name = "login",
                      .max_args = KC_ARGS_ANY,
                      .help = "set a profile up and store its App Token in the keyring (login\n"
                              "options below); the token is read from stdin (one line), or\n"
                              "prompted for on a terminal; one KS is minted to prove it works\n"
                              "(unless --no-verify) before anything is stored; that KS replaces\n"
                              "the profile's cached one"},
    [KC_CMD_LOGOUT] = {.id = KC_CMD_LOGOUT,
                       .name = "logout",
                       .help = "remove the profile's App Token from the keyring and its cached KS"},
    [KC_CMD_REVOKE] = {.id = KC_CMD_REVOKE,
                       .name = "revoke",
                       .help =
                           "end a KS on the server: password=<KS> from stdin, else the cached one"},
    [KC_CMD_STATUS] = {.id = KC_CMD_STATUS,
                       .name = "status",
                       .max_args = KC_ARGS_ANY,
                       .help = "[--json] per profile: token stored or not, keyring locked,\n"
                               "cached KS expiry; never a secret"},
    [KC_CMD_DOCTOR] = {.id = KC_CMD_DOCTOR,
                       .name = "doctor",

                       .help = "check the setup end to end, one line per check (ok, warn,\n"
                               "fail, skip) with what to do: config files, profile, cache,\n"
                               "proxy, session bus, Secret Service, collection lock, token,\n"
                               "service URL over TLS, clock; exit status: the first failure's"},
    [KC_CMD_SETUP_GIT] = {.id = KC_CMD_SETUP_GIT,
                          .name = "setup-git",
                          .max_args = KC_ARGS_ANY,
                          .help = "[--profile NAME] [--unset] make git ask this helper for the\n"
                                  "profile's service URL (git config --global: an empty\n"
                                  "credential.<url>.helper first, then kaltura); --unset\n"
                                  "removes that again"},
    [KC_CMD_CAPABILITY] = {.id = KC_CMD_CAPABILITY,
                           .name = "capability",
                           .max_args = KC_ARGS_ANY,
                           .help = "print the git credential capabilities (version 0, none)"},
};

const struct kc_command *kc_command_find(const char *name)
{
    for (size_t i = 0; name != NULL && i < KC_CMD_COUNT; i++)
        if (strcmp(kc_commands[i].name, name) == 0)
            return &kc_commands[i];
    return NULL;
}
