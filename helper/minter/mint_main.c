/* kaltura-credential-mint: every command of kaltura-credential (doc/architecture.md).
 * The libc-only frontend execs this program, with the same arguments, whenever it cannot answer
 * from the cache; run directly, it behaves exactly the same. */
#include <curl/curl.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "cli_opts.h"
#include "commands.h"
#include "config_keys.h"
#include "contract.h"
#include "diag.h"
#include "exec_env.h"
#include "handlers.h"
#include "kc_config.h"
#include "secure_mem.h"
#include "trace.h"

static const char intro[] =
    "usage: kaltura-credential [--config FILE] [--profile NAME] [-v] COMMAND [OPTIONS]\n"
    "\n"
    "Turns the Kaltura App Token kept in your desktop keyring into a fresh KS (Kaltura\n"
    "Session), over the git credential protocol or as a bare string.\n"
    "\n"
    "Commands:\n";

static const char options[] =
    "\n"
    "Options:\n"
    "  --config FILE   read only FILE (also: KALTURA_CREDENTIAL_CONFIG=FILE); default:\n"
    "                  " KC_SYSCONFDIR "/kaltura/credential.conf, then\n"
    "                  ${XDG_CONFIG_HOME:-~/.config}/kaltura/credential.conf (wins per key)\n"
    "  --profile NAME  use this profile (an INI group; also KALTURA_CREDENTIAL_PROFILE=NAME,\n"
    "                  which the option overrides); else profile= on stdin, else the\n"
    "                  profile whose service_url matches protocol+host, else [default]\n"
    "  -v, --verbose   each step and its time on stderr (config, cache, keyring, each API\n"
    "                  call with its HTTP status); never a secret\n"
    "                  (also: KALTURA_CREDENTIAL_TRACE=1)\n"
    "  --help, --version\n"
    "\n"
    "Config keys (no secrets allowed; a key like token/secret/password is an error):\n";

static const char exit_status[] =
    "\n"
    "Exit status:\n"
    "  0  success (also: ignored command, or a host no profile serves)\n"
    "  1  internal error          2  usage error            3  bad input on stdin\n"
    "  4  configuration error     5  profile not configured 6  no token in the keyring\n"
    "  7  keyring locked or no Secret Service               8  rejected by the Kaltura server\n"
    "  9  network, TLS or timeout failure                   10 unusable server answer\n"
    "  exec: CMD's own status; 126 CMD cannot be run, 127 CMD not found\n";

/* Writes text with every line after the first indented by indent columns. */
static void put_indented(const char *text, int indent)
{
    for (const char *line = text; *line != '\0';) {
        size_t n = strcspn(line, "\n");
        printf("%.*s\n", (int)n, line);
        line += n;
        if (*line == '\n' && *++line != '\0')
            printf("%*s", indent, "");
    }
}

static void print_help(void)
{
    fputs(intro, stdout);
    for (size_t i = 0; i < KC_CMD_COUNT; i++) {
        printf("  %-11s ", kc_commands[i].name);
        put_indented(kc_commands[i].help, 14);
    }
    fputs("  any other command is ignored silently (exit 0), as git expects of helpers.\n", stdout);
    fputs("\nlogin options (the config keys they set):\n", stdout);
    kc_keys_print_login_help(stdout);
    printf("  %-31s do not mint a KS to check the token first\n", "--no-verify");
    fputs(options, stdout);
    kc_keys_print_help(stdout);
    fputs(exit_status, stdout);
}

static int usage_error(const char *why)
{
    diag_error("%s; usage: kaltura-credential [--config FILE] [--profile NAME] [-v] COMMAND "
               "(see kaltura-credential --help)",
               why);
    return KC_EXIT_USAGE;
}

/* Global options up to the command. Returns the command's index, 0 for none, -1 on error. */
static int parse_global(int argc, char **argv, struct kc_cli *cli, int *early_exit)
{
    struct kc_global_opts g;
    int i;
    enum kc_global_scan r = kc_global_opts_scan(argc, argv, &g, &i);
    *early_exit = -1;
    kc_trace_init(g.verbose);
    cli->config = g.config;
    cli->profile = g.profile;
    switch (r) {
    case KC_SCAN_COMMAND:
        return i;
    case KC_SCAN_NO_COMMAND:
        return 0;
    case KC_SCAN_MISSING_VALUE:
        return *early_exit = usage_error("an option lacks its value"), -1;
    case KC_SCAN_OTHER_OPTION:
        break;
    }
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        print_help();
        return *early_exit = KC_EXIT_OK, -1;
    }
    if (strcmp(a, "--version") == 0) {
        printf("kaltura-credential " KC_VERSION "\n");
        return *early_exit = KC_EXIT_OK, -1;
    }
    g_autofree char *why = g_strdup_printf("unknown option '%s'", a);
    return *early_exit = usage_error(why), -1;
}

int main(int argc, char **argv)
{
    /* No core dumps and no ptrace by other processes of this user: we hold a token. */
    prctl(PR_SET_DUMPABLE, 0);
    kc_exec_save_signals(); /* before any library changes them: exec's CMD gets these back */
    mode_t user_umask = umask(077);
    setlocale(LC_ALL, "");
    /* stdout carries the KS: our own buffer, wiped once flushed (stdio's would be left as it
     * is in memory nobody wipes). */
    static char out_buf[BUFSIZ]; /* static: stdout refers to it until exit */
    setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
    struct kc_cli cli = {.user_umask = user_umask};
    int early;
    int cmd = parse_global(argc, argv, &cli, &early);
    if (cmd < 0)
        return early;
    if (cmd == 0)
        return usage_error("no command given");
    cli.command = argv[cmd];
    cli.argc = argc - cmd - 1;
    cli.argv = argv + cmd + 1;
    const char *fed = getenv("KALTURA_CREDENTIAL_REQUEST_FED");
    cli.request_fed = fed && strcmp(fed, "1") == 0;
    const struct kc_command *c = kc_command_find(cli.command);
    if (c == NULL)
        return KC_EXIT_OK; /* an action git may add later: ignore it silently (gitcredentials) */
    if (c->max_args == 0 && cli.argc > 0) {
        diag_error("%s takes no arguments; see kaltura-credential --help", c->name);
        return KC_EXIT_USAGE;
    }
    kc_trace("minter: %s, profile %s", c->name, cli.profile ? cli.profile : "not named");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        diag_error("cannot initialise libcurl");
        return KC_EXIT_INTERNAL;
    }
    int rc = kc_handlers[c->id](&cli);
    curl_global_cleanup();
    if (fflush(stdout) != 0 && rc == KC_EXIT_OK) {
        diag_error("cannot write to standard output: %s", strerror(errno));
        rc = KC_EXIT_INTERNAL;
    }
    secure_wipe(out_buf, sizeof out_buf);
    return rc;
}
