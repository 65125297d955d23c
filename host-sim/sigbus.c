/* sigbus.c — SIGBUS on a mapped file becomes a cancel and an error naming the file
 * (see sigbus.h for the design and its limits). */
#include "sigbus.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Handler state: a signal handler can reach nothing else. */
static volatile int32_t *g_cancel;
static char g_file[1024];
static atomic_int g_hit;

static uintptr_t parse_hex(const char **p)
{
    uintptr_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return v;
        v = v * 16 + (uintptr_t)d;
    }
}

/* Copies the path of the /proc/self/maps line covering addr into out (async-signal
 * safe: open/read only); returns 0 when addr is in no file mapping. */
static int mapping_path(uintptr_t addr, char *out, size_t out_size)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[4096], line[1400];
    size_t ln = 0;
    int found = 0;
    ssize_t r;
    while (!found && (r = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < r && !found; i++) {
            if (buf[i] != '\n') {
                if (ln + 1 < sizeof line)
                    line[ln++] = buf[i];
                continue;
            }
            line[ln] = 0;
            ln = 0;
            const char *p = line;
            uintptr_t lo = parse_hex(&p);
            p++;
            uintptr_t hi = parse_hex(&p);
            const char *path = strchr(line, '/');
            if (addr >= lo && addr < hi && path) {
                size_t n = strlen(path) < out_size - 1 ? strlen(path) : out_size - 1;
                memcpy(out, path, n);
                out[n] = 0;
                found = 1;
            }
        }
    }
    close(fd);
    return found;
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t addr = (uintptr_t)si->si_addr;
    char path[sizeof g_file];
    if (!g_cancel || !mapping_path(addr, path, sizeof path) ||
        mmap((void *)(addr & ~(page - 1)), page, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
        signal(sig, SIG_DFL); /* not ours to recover: die as before */
        return;
    }
    if (atomic_fetch_add(&g_hit, 1) == 0)
        memcpy(g_file, path, sizeof g_file);
    __atomic_store_n(g_cancel, 1, __ATOMIC_RELAXED);
}

void hs_sigbus_guard(volatile int32_t *cancel)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (cancel) {
        g_cancel = cancel;
        atomic_store(&g_hit, 0);
        g_file[0] = 0;
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO;
    } else {
        sa.sa_handler = SIG_DFL;
    }
    sigaction(SIGBUS, &sa, NULL);
    if (!cancel)
        g_cancel = NULL;
}

const char *hs_sigbus_file(void)
{
    return atomic_load(&g_hit) ? g_file : NULL;
}
