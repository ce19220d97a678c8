/* /init of the Linux initramfs that bench/ compares HydrOS with: it
 * starts the node exactly as HydrOS's core 0 does (argv from
 * /etc/hydros/console.args, environment from /etc/hydros/node.env, one item a
 * line, empty lines skipped, the first argument the program's path), after
 * the few things Linux leaves to PID 1. Each /etc/hydros/cN.args (N >= 1) the
 * archive has starts one more node, cN@hydros, as HydrOS's core N would
 * (bench/msgchan's second node). Powers off when node c0 exits. Built with
 * musl-gcc -static. */
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 128
#define MAX_NODES 16

static void die(const char *what)
{
    dprintf(2, "init: %s failed\n", what);
    reboot(RB_POWER_OFF);
    _exit(1);
}

/* Reads a whole file and splits it into lines (as percore/node.c does);
 * the text stays allocated for vec. */
static int read_lines(const char *path, char **vec, int max)
{
    char *text = malloc(16384);
    int n = 0, fd = open(path, O_RDONLY);
    if (!text)
        die("malloc");
    if (fd < 0) {
        vec[0] = NULL;
        return 0;
    }
    ssize_t len = read(fd, text, 16383);
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

/* The loopback interface, for nodes that talk TCP to each other: up (Linux
 * gives it 127.0.0.1 then). */
static void loopback_up(void)
{
    struct ifreq ifr = {0};
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    strcpy(ifr.ifr_name, "lo");
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
        die("SIOCGIFFLAGS lo");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
        die("SIOCSIFFLAGS lo");
    close(s);
}

/* Starts node cN with the arguments in path, and what the HydrOS kernel
 * appends for core N. */
static pid_t start_node(int core, const char *path, char **envp)
{
    char *argv[MAX_ARGS], name[32], num[8];
    int argc = read_lines(path, argv, MAX_ARGS - 5);
    if (argc == 0)
        return 0;
    snprintf(name, sizeof name, "c%d@hydros", core);
    snprintf(num, sizeof num, "%d", core);
    char *extra[] = {"-sname", name, "-hydros", "core", num, NULL};
    for (int i = 0; extra[i]; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        if (core != 0) { /* the console's input is node c0's */
            int null = open("/dev/null", O_RDONLY);
            dup2(null, 0);
        }
        chdir("/");
        execve(argv[0], argv, envp);
        die("execve");
    }
    return pid;
}

int main(void)
{
    char *envp[MAX_ARGS];
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
    loopback_up();
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
    dprintf(1, "init: starting /etc/hydros/console.args (uptime %s s)\n", up);
    pid_t pid = start_node(0, "/etc/hydros/console.args", envp);
    if (pid == 0)
        die("reading /etc/hydros/console.args");
    for (int core = 1; core < MAX_NODES; core++) {
        char path[64];
        snprintf(path, sizeof path, "/etc/hydros/c%d.args", core);
        if (access(path, R_OK) == 0)
            start_node(core, path, envp);
    }
    int status;
    while (waitpid(pid, &status, 0) != pid)
        ;
    dprintf(1, "init: node exited (status 0x%x), powering off\n", status);
    reboot(RB_POWER_OFF);
    return 0;
}
