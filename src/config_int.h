/* config_int.h: shared between the files of the config module only (config.c,
 * config_src.c, config_parse.c, config_check.c). Nothing outside src/config*.c includes it. */
#ifndef SCAIDIAL_CONFIG_INT_H
#define SCAIDIAL_CONFIG_INT_H

#include <stddef.h>

#include "buf.h"
#include "config.h"

/* The configuration text after @include expansion, with the way back from a line of the
 * merged text to the file and line it came from. */
struct config_src_seg {
	int		 first;		/* first merged line of the run (1-based) */
	int		 file;		/* index into files */
	int		 line;		/* its line in that file */
};

struct config_src {
	struct buf	 text;
	struct config_src_seg *segs;
	size_t		 n_segs;
	char		**files;	/* absolute paths, in the order first read */
	size_t		 n_files;
	char		**globs;	/* absolute @include patterns */
	size_t		 n_globs;
	unsigned char	 digest[32];
	int		 lines;		/* merged lines so far */
	int		 allow_include;
};

int	 config_src_load(struct config_src *, const char *path, struct config_errors *);
int	 config_src_string(struct config_src *, const char *name, const char *text,
	    struct config_errors *);
/* Maps a merged line back; *file is NULL when the line is unknown (0). */
void	 config_src_map(const struct config_src *, int merged, const char **file, int *line);
void	 config_src_free(struct config_src *);

void	 config_errors_add(struct config_errors *, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Puts errors in file order: by the file's position in files[], then by line. */
void	 config_errors_sort(struct config_errors *, char *const *files, size_t n_files);

/* Fills cfg from the merged text: every section, every check. Returns the number of
 * errors added. */
int	 config_parse(struct config *, const struct config_src *, struct config_errors *);

/* Parsing context and typed getters shared by config_parse.c and config_rules.c. "what"
 * names the object in messages (general, trunk "carrier1"); every message carries the
 * FILE:LINE of the setting concerned, or of its group when the setting is missing. */
struct config_setting_t;

struct cp {
	struct config	*cfg;
	const struct config_src *src;
	struct config_errors *errs;
	struct arena	*a;
};

void	 cp_err(struct cp *, const struct config_setting_t *, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Reports members of grp whose names are not in keys (NULL-terminated). */
void	 cp_known(struct cp *, const struct config_setting_t *grp, const char *what,
	    const char *const *keys);
const char *cp_str(struct cp *, const struct config_setting_t *grp, const char *what,
	    const char *key, int required, const char *def);
int	 cp_int(struct cp *, const struct config_setting_t *grp, const char *what,
	    const char *key, int required, int def, int min, int max);
int	 cp_bool(struct cp *, const struct config_setting_t *grp, const char *what,
	    const char *key, int def);
/* The index of the value in names, def when absent and not required, -1 when invalid
 * (or required and absent); the error is reported. cp_enum_or gives def instead of -1. */
int	 cp_enum(struct cp *, const struct config_setting_t *grp, const char *what,
	    const char *key, const char *const *names, int required, int def);
int	 cp_enum_or(struct cp *, const struct config_setting_t *grp, const char *what,
	    const char *key, const char *const *names, int def);
/* A list or array of strings; a lone string counts as a list of one when single_ok. */
const char **cp_strlist(struct cp *, const struct config_setting_t *grp, const char *what,
	    const char *key, int single_ok, size_t *n);
/* The location of s, with the file name owned by the generation. */
void	 cp_loc(struct cp *, const struct config_setting_t *, struct config_loc *);
/* The group or list of groups named key; NULL (and an error if required) when absent. */
const struct config_setting_t *cp_section(struct cp *, const struct config_setting_t *grp,
	    const char *key, int list, int required);
/* The zone named, loaded once per generation. */
const struct tz *cp_zone(struct cp *, const struct config_setting_t *, const char *what,
	    const char *name);
/* An id of [A-Za-z0-9_.@+-], 1..64 characters. */
int	 cp_id_ok(const char *);
int	 cp_sip_uri_ok(const char *);

void	 config_parse_dialplans(struct cp *, const struct config_setting_t *root);

#endif
