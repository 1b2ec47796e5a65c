/* Warnings the library gathers as lines of text while it reads a file (a run script's settings,
 * a meter model's attributes under an old name): said on stderr, one line each. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

void ds_cli_warn_lines(const char *command, const char *where, const char *lines)
{
    for (const char *line = lines ? lines : ""; *line;) {
        const char *end = strchr(line, '\n');
        int len = end ? (int)(end - line) : (int)strlen(line);
        fprintf(stderr, "dlmscope %s: warning: %s%s%.*s\n", command, where ? where : "", where ? ": " : "", len, line);
        line += len + (end != NULL);
    }
}
