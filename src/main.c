/* ticklake — one binary, one subcommand per pipeline stage. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "conf/conf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/signals.h"

/* Every command, by strong reference: a command missing from the build is a
 * link error, never a binary that silently lacks it. */
static const tl_command *const commands[] = {
    &tl_cmd_up,      &tl_cmd_broker, &tl_cmd_simulate, &tl_cmd_stream,    &tl_cmd_query,
    &tl_cmd_compact, &tl_cmd_vacuum, &tl_cmd_schema,   &tl_cmd_models,    &tl_cmd_dashboard,
    &tl_cmd_schedule, &tl_cmd_runs,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const tl_command *current;

static void print_usage(FILE *out) {
    fprintf(out,
            "ticklake %s — real-time stock-tick data platform\n\n"
            "Usage: ticklake <command> [options]\n\nCommands:\n",
            TL_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\n'ticklake <command> --help' lists a command's options.\n"
                 "Settings come from flags, TICKLAKE_* environment variables and ticklake.yml,\n"
                 "in that order of precedence.\n"
                 "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.\n");
}

static void print_command_help(FILE *out) {
    fprintf(out, "Usage: ticklake %s %s\n\n%s\n", current->name, current->usage,
            current->description);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_usage(stderr);
        return TL_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        print_usage(stdout);
        return TL_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("ticklake %s\n", TL_VERSION);
        return TL_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i]->name, argv[1]) != 0)
            continue;
        current = commands[i];
        tl_config cfg;
        int first = 0;
        int rc =
            tl_conf_load(&cfg, current->groups, argc - 1, argv + 1, &first, print_command_help);
        if (rc == 0) {
            tl_signals_install();
            rc = current->run(&cfg, argc - 1 - first, argv + 1 + first);
        } else {
            /* the loader printed the help, or what is wrong with the settings */
            rc = rc == TL_ERR_HELP ? TL_EXIT_OK : TL_EXIT_USAGE;
        }
        tl_conf_free(&cfg);
        tl_log_flush();
        return rc;
    }
    fprintf(stderr, "ticklake: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return TL_EXIT_USAGE;
}
