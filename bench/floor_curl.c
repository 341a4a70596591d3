/* bench/floor_curl: the memory floor of Debian's libcurl, for the benchmark's "floors" table.
 * One HTTPS POST (session.startWidgetSession) to URL, trusting CA_FILE, and nothing else: no
 * GLib, no keyring, no JSON parsing. Whatever peak RSS this shows, no process that mints a KS
 * with the system libcurl can go below it. Usage: floor_curl URL CA_FILE PARTNER_ID */
#include <curl/curl.h>
#include <stdio.h>

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: floor_curl URL CA_FILE PARTNER_ID\n");
        return 2;
    }
    char url[1024], body[64];
    snprintf(url, sizeof url, "%s/api_v3/service/session/action/startWidgetSession", argv[1]);
    snprintf(body, sizeof body, "widgetId=_%s&format=1", argv[3]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    if (!c)
        return 1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, argv[2]);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return rc == CURLE_OK ? 0 : 1;
}
