/*
 * tool_args.h - the command-line numbers of the tools in this directory: a whole decimal
 * number in [min, max], or the tool says what it needs and exits with status 2.
 */
#ifndef WEFT_TOOL_ARGS_H
#define WEFT_TOOL_ARGS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static inline long tool_parse_long(const char *tool, const char *flag, const char *text,
                                   long min, long max) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "%s: %s needs a number in %ld..%ld, got '%s'\n", tool, flag, min, max, text);
        exit(2);
    }
    return v;
}

#endif
