/* playground_process.c - see playground_process.h. */
#include "support/playground_process.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

playground_process pp_start(const char *binary, const char *key)
{
    playground_process p = {0};
    int out[2];
    cr_assert_eq(pipe(out), 0);
    p.pid = fork();
    cr_assert_neq(p.pid, -1);
    if (p.pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execl(binary, binary, "--port", "0", "--key", key, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[300] = "";
    cr_assert_not_null(fgets(line, sizeof line, f), "no output from %s", binary);
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    cr_assert_eq(sscanf(line, "listening on %255s", p.base_url), 1, "%s", line);
    cr_assert_eq(sscanf(p.base_url, "http://127.0.0.1:%d", &p.port), 1, "%s", line);
    return p;
}

void pp_stop(playground_process *p)
{
    kill(p->pid, SIGTERM);
    int status = 0;
    waitpid(p->pid, &status, 0);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
}
