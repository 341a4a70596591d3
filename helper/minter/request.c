/* Reading the request on stdin (request.h). */
#include "request.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "diag.h"

/* A request the frontend already read arrives in its memfd (frontend.c feed_request), which
 * stays our stdin for the whole mint. Once read, its bytes (a password= line, for erase) have
 * no reason to stay there. Only that memfd is emptied: never a file the user redirected. */
static void forget_fed_request(void)
{
    static const char prefix[] = "/memfd:" KC_FED_REQUEST_NAME;
    char link[sizeof prefix + 32];
    ssize_t n = readlink("/proc/self/fd/0", link, sizeof link - 1);
    if (n < (ssize_t)sizeof prefix - 1)
        return;
    link[n] = '\0';
    if (strncmp(link, prefix, sizeof prefix - 1) == 0 && ftruncate(STDIN_FILENO, 0) != 0)
        diag_warning("cannot empty the request memfd: %s", strerror(errno));
}

int kc_read_request(struct kc_request *req, bool skip_tty)
{
    const char *why = NULL;
    memset(req, 0, sizeof *req);
    if (skip_tty && isatty(STDIN_FILENO))
        return KC_EXIT_OK;
    if (kc_request_read_fd(STDIN_FILENO, req, NULL, NULL, &why) != 0) {
        diag_error("bad credential request on standard input: %s", why ? why : "read error");
        return KC_EXIT_INPUT;
    }
    forget_fed_request();
    return KC_EXIT_OK;
}
