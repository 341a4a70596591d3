/* bench/floor_exec: execv(argv[1], argv + 1) and nothing else, linked like the frontend (libc
 * only). `floor_exec /bin/true` is the least any `exec -- /bin/true` can cost: a process that
 * starts, then becomes CMD. Compare it with `kaltura-credential exec -- /bin/true` (bench.py). */
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    execv(argv[1], argv + 1);
    return 127;
}
