#include "util/signals.h"

#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t usr1_flag;

static void on_stop(int sig) {
    (void)sig;
    stop_flag = 1;
}

static void on_usr1(int sig) {
    (void)sig;
    usr1_flag = 1;
}

void tl_signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL); /* broken pipes are write errors, not deaths */
}

bool tl_stop_requested(void) {
    return stop_flag != 0;
}
const volatile sig_atomic_t *tl_stop_flag(void) {
    return &stop_flag;
}
void tl_request_stop(void) {
    stop_flag = 1;
}

bool tl_take_usr1(void) {
    if (!usr1_flag)
        return false;
    usr1_flag = 0;
    return true;
}

void tl_sleep_ms(long ms) {
    while (ms > 0 && !stop_flag) {
        long step = ms < 50 ? ms : 50;
        struct timespec ts = {0, step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}
