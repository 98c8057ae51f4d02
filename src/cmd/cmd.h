/* cmd — the subcommands, one file each (kcat's mode dispatch, curl's
 * option tables). main.c holds the list; each cmd_<name>.c exports one
 * descriptor. */
#ifndef TL_CMD_CMD_H
#define TL_CMD_CMD_H

#include "conf/conf.h"

/* Exit codes, for every command. */
enum { TL_EXIT_OK = 0, TL_EXIT_FAILURE = 1, TL_EXIT_USAGE = 2 };

typedef struct tl_command {
    const char *name;
    const char *summary;     /* one line, for `ticklake --help` */
    const char *usage;       /* after "ticklake <name> ": "--brokers B --topic T [options]" */
    const char *description; /* paragraphs for `ticklake <name> --help` */
    unsigned groups;         /* TL_CG_* config groups it accepts */
    /* Runs with the loaded config; args are the positional arguments.
     * Returns a TL_EXIT_* code. */
    int (*run)(const tl_config *cfg, int argc, char **argv);
} tl_command;

extern const tl_command tl_cmd_broker;
extern const tl_command tl_cmd_simulate;
extern const tl_command tl_cmd_stream;
extern const tl_command tl_cmd_query;
extern const tl_command tl_cmd_compact;
extern const tl_command tl_cmd_vacuum;
extern const tl_command tl_cmd_schema;
extern const tl_command tl_cmd_models;
extern const tl_command tl_cmd_dashboard;
extern const tl_command tl_cmd_schedule;
extern const tl_command tl_cmd_runs;
extern const tl_command tl_cmd_up;

#endif
