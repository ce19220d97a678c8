/* /init of the Linux initramfs that bench/boot compares HydrOS with: it
 * starts the node exactly as HydrOS's core 0 does (argv from
 * /etc/hydros/console.args, environment from /etc/hydros/node.env, one item a
 * line, empty lines skipped, the first argument the program's path), after
 * the few things Linux leaves to PID 1. Built with musl-gcc -static. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 128

static void die(const char *what)
{
    dprintf(2, "init: %s failed\n", what);
    reboot(RB_POWER_OFF);
    _exit(1);
}

/* Reads a whole file and splits it into lines (as percore/node.c does). */
static int read_lines(const char *path, char **vec, int max)
{
    static char bufs[2][16384];
    static int used;
    char *text = bufs[used++];
    int n = 0, fd = open(path, O_RDONLY);
    if (fd < 0) {
        vec[0] = NULL;
        return 0;
    }
    ssize_t len = read(fd, text, sizeof bufs[0] - 1);
    close(fd);
    if (len < 0)
        die(path);
    for (ssize_t i = 0; i < len && n < max - 1;) {
        ssize_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        text[j] = 0;
        if (j > i)
            vec[n++] = text + i;
        i = j + 1;
    }
    vec[n] = NULL;
    return n;
}

int main(void)
{
    char *argv[MAX_ARGS], *envp[MAX_ARGS];
    /* The archive's dev/null is an empty file (the HydrOS kernel serves it);
     * here the real devices come from devtmpfs. */
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0)
        die("mount /dev");
    mkdir("/proc", 0555);
    if (mount("proc", "/proc", "proc", 0, NULL) != 0)
        die("mount /proc");
    /* A name with a domain, as HydrOS's uname gives: inet_config looks
     * nothing up. */
    if (sethostname("hydros.local", 12) != 0)
        die("sethostname");
    int argc = read_lines("/etc/hydros/console.args", argv, MAX_ARGS - 5);
    if (argc == 0)
        die("reading /etc/hydros/console.args");
    /* What the HydrOS kernel appends for core 0, so both start the same node. */
    char *extra[] = {"-sname", "c0@hydros", "-hydros", "core", "0", NULL};
    for (int i = 0; extra[i]; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    read_lines("/etc/hydros/node.env", envp, MAX_ARGS);
    /* The kernel's own clock at this point, for bench/boot. */
    char up[64] = "?";
    int fd = open("/proc/uptime", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, up, sizeof up - 1);
        up[n > 0 ? n : 0] = 0;
        up[strcspn(up, " \n")] = 0;
        close(fd);
    }
    dprintf(1, "init: starting %s (uptime %s s)\n", argv[0], up);

    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        chdir("/");
        execve(argv[0], argv, envp);
        die("execve");
    }
    int status;
    while (waitpid(pid, &status, 0) != pid)
        ;
    dprintf(1, "init: node exited (status 0x%x), powering off\n", status);
    reboot(RB_POWER_OFF);
    return 0;
}
