/* bench/timeit: spawns a command ROUNDS times, PARALLEL at once, and prints one line per
 * process: "<seconds> <maxrss_kb> <exit status> <stdout file>". A small C parent, so neither
 * its start-up nor its memory (ru_maxrss keeps the pre-exec high-water mark) is charged to
 * the process measured. Usage: timeit ROUNDS PARALLEL STDIN_FILE OUT_DIR -- ARGV... */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 7 || strcmp(argv[5], "--") != 0) {
        fprintf(stderr, "usage: timeit ROUNDS PARALLEL STDIN_FILE OUT_DIR -- ARGV...\n");
        return 2;
    }
    int rounds = atoi(argv[1]), par = atoi(argv[2]);
    pid_t *pids = calloc((size_t)par, sizeof *pids);
    double *start = calloc((size_t)par, sizeof *start);
    char(*outs)[512] = calloc((size_t)par, sizeof *outs);
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < par; i++) {
            posix_spawn_file_actions_t fa;
            posix_spawn_file_actions_init(&fa);
            snprintf(outs[i], sizeof outs[i], "%s/out-%d-%d", argv[4], r, i);
            posix_spawn_file_actions_addopen(&fa, 0, argv[3], O_RDONLY, 0);
            posix_spawn_file_actions_addopen(&fa, 1, outs[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
            start[i] = now();
            if (posix_spawn(&pids[i], argv[6], &fa, NULL, argv + 6, environ) != 0) {
                perror("posix_spawn");
                return 1;
            }
            posix_spawn_file_actions_destroy(&fa);
        }
        for (int done = 0; done < par; done++) {
            int st;
            struct rusage ru;
            pid_t pid = wait4(-1, &st, 0, &ru);
            double t = now();
            for (int i = 0; i < par; i++)
                if (pids[i] == pid)
                    printf("%.6f %ld %d %s\n", t - start[i], ru.ru_maxrss,
                           WIFEXITED(st) ? WEXITSTATUS(st) : 128, outs[i]);
        }
    }
    return 0;
}
