#define _DEFAULT_SOURCE /* pcap.h uses the BSD type names (u_char, u_int) */
#include "capture/pcap_load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The run-time names of libpcap: Debian's (its soname keeps the old 0.8), then the others'. */
static const char *const LIBRARY[] = {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so"};

/* Loaded once per process, whichever thread reads a capture first; the outcome is kept. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static ds_pcap_api api;
static int loaded;
static char load_error[512];

/* The address of one function, or 0 after saying which is missing. */
static int find(void *lib, const char *name, void *slot, char *err, size_t errlen)
{
    void *f = dlsym(lib, name);
    if (!f) {
        snprintf(err, errlen, "libpcap has no %s: a libpcap of 1.5 or later is needed to read captures", name);
        return 0;
    }
    memcpy(slot, &f, sizeof f); /* object to function pointer: the one conversion dlsym needs */
    return 1;
}

static void load(void)
{
    char *err = load_error;
    size_t errlen = sizeof load_error;
    void *lib = NULL;
    const char *chosen = getenv("DLMSCOPE_LIBPCAP"); /* another libpcap (a path or a name), and only it */
    if (chosen && *chosen) lib = dlopen(chosen, RTLD_NOW | RTLD_LOCAL);
    else
        for (size_t i = 0; i < sizeof LIBRARY / sizeof LIBRARY[0] && !lib; i++)
            lib = dlopen(LIBRARY[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        snprintf(err, errlen, "libpcap is needed to read captures and cannot be loaded (%s): install it "
                 "(Debian and Ubuntu: apt-get install libpcap0.8)", why ? why : "not found");
        return;
    }
    ds_pcap_api a;
    if (!find(lib, "pcap_fopen_offline_with_tstamp_precision", &a.fopen_offline_with_tstamp_precision, err, errlen) ||
        !find(lib, "pcap_compile", &a.compile, err, errlen) || !find(lib, "pcap_setfilter", &a.setfilter, err, errlen) ||
        !find(lib, "pcap_freecode", &a.freecode, err, errlen) || !find(lib, "pcap_geterr", &a.geterr, err, errlen) ||
        !find(lib, "pcap_datalink", &a.datalink, err, errlen) ||
        !find(lib, "pcap_datalink_val_to_name", &a.datalink_val_to_name, err, errlen) ||
        !find(lib, "pcap_loop", &a.loop, err, errlen) || !find(lib, "pcap_close", &a.close, err, errlen)) {
        dlclose(lib);
        return;
    }
    api = a;
    loaded = 1; /* the library stays loaded: its functions are used until the process ends */
}

const ds_pcap_api *ds_pcap_load(char *err, size_t errlen)
{
    pthread_once(&once, load);
    if (loaded) return &api;
    snprintf(err, errlen, "%s", load_error);
    return NULL;
}
