/* doctor's keyring checks (doctor.h): the session bus, the Secret Service that owns
 * org.freedesktop.secrets, and whether the default collection is locked. A private bus
 * connection for the bus questions; libsecret (secret_collection_for_alias_sync,
 * secret_collection_get_locked) for the collection. Every call is bounded by a cancel timer. */
#include <libsecret/secret.h>
#include <string.h>

#include "cancel_timer.h"
#include "contract.h"
#include "doctor.h"

#define SECRETS_NAME "org.freedesktop.secrets"

static const char no_bus_advice[] =
    "log in to a desktop session; over ssh, point DBUS_SESSION_BUS_ADDRESS at the user's bus "
    "(unix:path=$XDG_RUNTIME_DIR/bus, with dbus-user-session installed)";

/* A call to the bus daemon itself; NULL on error (e set). */
static GVariant *bus_call(GDBusConnection *c, const char *method, GVariant *args, const char *reply,
                          int timeout, GCancellable *cancel, GError **e)
{
    return g_dbus_connection_call_sync(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", method, args, G_VARIANT_TYPE(reply),
                                       G_DBUS_CALL_FLAGS_NONE, timeout * 1000, cancel, e);
}

/* The program behind a pid: argv[0]'s base name from /proc, or NULL. */
static char *program_of(guint32 pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%u/cmdline", pid);
    g_autofree char *cmdline = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &cmdline, &len, NULL) || len == 0)
        return NULL;
    return g_path_get_basename(cmdline); /* argv[0] ends at the first NUL */
}

static GDBusConnection *bus_check(struct kc_report *r, GCancellable *cancel)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *addr = g_dbus_address_get_for_bus_sync(G_BUS_TYPE_SESSION, cancel, &e);
    if (!addr) {
        kc_report(r, KC_CHECK_FAIL, KC_EXIT_KEYRING, "session bus: none found (%s); %s", e->message,
                  no_bus_advice);
        return NULL;
    }
    GDBusConnection *c =
        g_dbus_connection_new_for_address_sync(addr,
                                               G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                               NULL, cancel, &e);
    if (!c) {
        kc_report(r, KC_CHECK_FAIL, KC_EXIT_KEYRING, "session bus: %s does not answer (%s); %s",
                  addr, e->message, no_bus_advice);
        return NULL;
    }
    kc_report(r, KC_CHECK_OK, 0, "session bus: %s", addr);
    return c;
}

/* Who owns org.freedesktop.secrets. true: a Secret Service runs, or D-Bus can start one. */
static bool owner_check(struct kc_report *r, GDBusConnection *c, int timeout, GCancellable *cancel)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GVariant) owner =
        bus_call(c, "GetNameOwner", g_variant_new("(s)", SECRETS_NAME), "(s)", timeout, cancel, &e);
    if (!owner) {
        g_clear_error(&e);
        g_autoptr(GVariant) names =
            bus_call(c, "ListActivatableNames", NULL, "(as)", timeout, cancel, &e);
        g_autofree const char **list = NULL;
        if (names)
            g_variant_get(names, "(^a&s)", &list);
        if (list && g_strv_contains(list, SECRETS_NAME)) {
            kc_report(r, KC_CHECK_WARN, 0,
                      "Secret Service: none runs yet; D-Bus starts one when it is first asked "
                      "(%s is activatable)",
                      SECRETS_NAME);
            return true;
        }
        kc_report(r, KC_CHECK_FAIL, KC_EXIT_KEYRING,
                  "Secret Service: nothing owns %s on this bus; start one (gnome-keyring-daemon "
                  "--start --components=secrets, KeePassXC with its Secret Service integration, "
                  "or KWallet)",
                  SECRETS_NAME);
        return false;
    }
    const char *unique = NULL;
    g_variant_get(owner, "(&s)", &unique);
    guint32 pid = 0;
    g_autoptr(GVariant) p = bus_call(c, "GetConnectionUnixProcessID", g_variant_new("(s)", unique),
                                     "(u)", timeout, cancel, NULL);
    if (p)
        g_variant_get(p, "(u)", &pid);
    g_autofree char *prog = pid ? program_of(pid) : NULL;
    kc_report(r, KC_CHECK_OK, 0, "Secret Service: %s owns %s (%s, pid %u)",
              prog ? prog : "a process", SECRETS_NAME, unique, pid);
    return true;
}

/* The default collection, where login stores the token: there, and unlocked? */
static bool collection_check(struct kc_report *r, GCancellable *cancel)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(SecretService) svc = secret_service_get_sync(SECRET_SERVICE_NONE, cancel, &e);
    g_autoptr(SecretCollection) coll =
        svc ? secret_collection_for_alias_sync(svc, SECRET_COLLECTION_DEFAULT,
                                               SECRET_COLLECTION_NONE, cancel, &e)
            : NULL;
    if (e) {
        kc_report(r, KC_CHECK_FAIL, KC_EXIT_KEYRING,
                  "keyring: cannot ask the Secret Service for its collections (%s); restart it",
                  e->message);
        return false;
    }
    if (!coll) {
        kc_report(r, KC_CHECK_WARN, 0,
                  "keyring: no default collection yet; login creates one (the Secret Service "
                  "may ask for its password)");
        return true;
    }
    g_autofree char *label = secret_collection_get_label(coll);
    if (secret_collection_get_locked(coll)) {
        kc_report(r, KC_CHECK_FAIL, KC_EXIT_KEYRING,
                  "keyring: the default collection '%s' is locked; unlock it (log in to the "
                  "desktop, `gnome-keyring-daemon --unlock`, or unlock the database in "
                  "KeePassXC)",
                  label ? label : "?");
        return false;
    }
    kc_report(r, KC_CHECK_OK, 0, "keyring: the default collection '%s' is unlocked",
              label ? label : "?");
    return true;
}

bool kc_doctor_keyring(struct kc_report *r, int timeout)
{
    const char *backend = g_getenv("SECRET_BACKEND");
    if (backend && strcmp(backend, "file") == 0) {
        kc_report(r, KC_CHECK_OK, 0,
                  "keyring: libsecret's file backend (SECRET_BACKEND=file), no Secret Service "
                  "or session bus used");
        return true;
    }
    g_autoptr(GCancellable) cancel = g_cancellable_new();
    struct kc_cancel_timer *timer =
        kc_cancel_timer_start(cancel, g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC);
    bool usable = false;
    g_autoptr(GDBusConnection) c = bus_check(r, cancel);
    if (c && owner_check(r, c, timeout, cancel))
        usable = collection_check(r, cancel);
    if (c)
        g_dbus_connection_close_sync(c, NULL, NULL);
    if (kc_cancel_timer_stop(timer))
        kc_report(r, KC_CHECK_FAIL, KC_EXIT_KEYRING,
                  "keyring: the session bus or the Secret Service did not answer within %d s; "
                  "is it hung? Restart it",
                  timeout);
    return usable;
}
