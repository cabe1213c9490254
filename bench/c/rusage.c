/*
 * rusage OUTFILE COMMAND [ARGS...]: runs COMMAND, waits for it, and writes what the kernel
 * counted for it to OUTFILE as one JSON line:
 *   {"pid":N,"exitCode":N,"signal":N,"maxRssKb":N,"userSeconds":F,"systemSeconds":F}
 * The benchmark harness starts every driver through this, so that CPU time and peak RSS are
 * measured the same way for C, Java, kcat and Node drivers. It prints "rusage-pid N" on stderr
 * (so the harness can sample /proc/N while it runs), forwards SIGINT/SIGTERM to the command,
 * and exits with the command's status. The command dies with it (PR_SET_PDEATHSIG).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child = 0;

static void forward(int sig) {
        if (child > 0)
                kill(child, sig);
}

int main(int argc, char **argv) {
        struct rusage ru;
        int status = 0;
        FILE *out;
        pid_t parent = getpid();

        if (argc < 3) {
                fprintf(stderr, "usage: %s OUTFILE COMMAND [ARGS...]\n", argv[0]);
                return 2;
        }
        signal(SIGINT, forward);
        signal(SIGTERM, forward);
        child = fork();
        if (child < 0) {
                perror("rusage: fork");
                return 127;
        }
        if (child == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(127);
                execvp(argv[2], argv + 2);
                fprintf(stderr, "rusage: cannot run %s: ", argv[2]);
                perror("");
                _exit(127);
        }
        fprintf(stderr, "rusage-pid %d\n", (int)child);
        while (wait4(child, &status, 0, &ru) < 0) {
                if (errno != EINTR) {
                        perror("rusage: wait4");
                        return 127;
                }
        }
        out = fopen(argv[1], "w");
        if (out == NULL) {
                perror("rusage: OUTFILE");
        } else {
                fprintf(out,
                        "{\"pid\":%d,\"exitCode\":%d,\"signal\":%d,\"maxRssKb\":%ld,"
                        "\"userSeconds\":%.6f,\"systemSeconds\":%.6f}\n",
                        (int)child, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                        WIFSIGNALED(status) ? WTERMSIG(status) : 0, ru.ru_maxrss,
                        ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
                        ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
                fclose(out);
        }
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}
