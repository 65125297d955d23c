/* sigbus.h — a model file cut short while it is mapped (truncated, or rewritten in
 * place by cp) makes reads of the lost pages raise SIGBUS, in whichever thread
 * touches them. Instead of dying silently, host-sim turns that into a cancelled run
 * and an error naming the file:
 *   - the handler finds the mapping the address belongs to in /proc/self/maps and
 *     records its path (first fault only);
 *   - it maps a zero page over the faulting page (MAP_FIXED), so the reading thread
 *     resumes with zeros instead of faulting again;
 *   - it sets the run's cancel flag: every node stops at its next cancel check and
 *     writers discard their temp files, so nothing computed from the zeros is saved.
 * Limits: a fault outside a file mapping (a real bug) still kills the process with
 * the default action; a writer already renaming its files when the fault happens
 * completes (its data came from before the fault); mmap in a handler is a Linux
 * behaviour, not a POSIX promise. Process-wide state, as signal handlers need. */
#ifndef HS_SIGBUS_H
#define HS_SIGBUS_H
#include <stdint.h>

/* Installs the handler for a run whose cancel flag is *cancel (NULL uninstalls). */
void hs_sigbus_guard(volatile int32_t *cancel);
/* The file a bus error hit during the run, or NULL when none did. */
const char *hs_sigbus_file(void);

#endif
