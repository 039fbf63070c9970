/* config_src: reads the main file and its @includes into one text for libconfig.
 *
 * libconfig 1.5 (Debian 12) resolves @include against one global directory, so an include
 * inside conf.d/ could not name its neighbours, and it would not tell us which files it
 * read. We expand includes ourselves: paths are relative to the including file, glob
 * patterns are allowed (sorted), every file read is recorded for inotify, and a map of
 * line runs turns a line of the merged text back into FILE:LINE for every message. */
#include "config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "xmalloc.h"

#define CONFIG_SRC_MAX_DEPTH	8
#define CONFIG_SRC_MAX_FILE	(16 * 1024 * 1024)
#define CONFIG_SRC_MAX_FILES	256

struct config_src_ctx {
	struct config_src *src;
	struct config_errors *errs;
	EVP_MD_CTX	*md;
	const char	*stack[CONFIG_SRC_MAX_DEPTH + 1];	/* includes being read */
	int		 depth;
};

static int config_src_file(struct config_src_ctx *, const char *path, const char *from,
	    int from_line);

void
config_errors_add(struct config_errors *errs, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	errs->v = xrealloc(errs->v, (errs->n + 1) * sizeof(*errs->v));
	errs->v[errs->n].file = file ? xstrdup(file) : NULL;
	errs->v[errs->n].line = line;
	errs->v[errs->n].msg = buf_steal(&b);
	errs->n++;
}

static char *const *config_sort_files;
static size_t config_sort_n;

static size_t
config_file_rank(const char *file)
{
	if (file == NULL)
		return 0;
	for (size_t i = 0; i < config_sort_n; i++) {
		if (strcmp(config_sort_files[i], file) == 0)
			return i + 1;
	}
	return config_sort_n + 1;
}

static int
config_error_cmp(const void *a, const void *b)
{
	const struct config_error *x = a, *y = b;
	size_t rx = config_file_rank(x->file), ry = config_file_rank(y->file);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	/* Equal keys keep their order: compare addresses (qsort is not stable). */
	return x < y ? -1 : x > y;
}

void
config_errors_sort(struct config_errors *errs, char *const *files, size_t n_files)
{
	/* Config loads run in the control thread only, so the static sort keys are safe. */
	config_sort_files = files;
	config_sort_n = n_files;
	if (errs->n > 1)
		qsort(errs->v, errs->n, sizeof(*errs->v), config_error_cmp);
}

static void
config_src_seg(struct config_src *src, int file, int line)
{
	src->segs = xrealloc(src->segs, (src->n_segs + 1) * sizeof(*src->segs));
	src->segs[src->n_segs].first = src->lines + 1;
	src->segs[src->n_segs].file = file;
	src->segs[src->n_segs].line = line;
	src->n_segs++;
}

void
config_src_map(const struct config_src *src, int merged, const char **file, int *line)
{
	*file = NULL;
	*line = 0;
	if (merged <= 0 || src->n_segs == 0)
		return;
	size_t lo = 0, hi = src->n_segs;

	/* Last run whose first line is <= merged. */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (src->segs[mid].first <= merged)
			lo = mid;
		else
			hi = mid;
	}
	if (src->segs[lo].first > merged)
		return;
	*file = src->files[src->segs[lo].file];
	*line = src->segs[lo].line + (merged - src->segs[lo].first);
}

void
config_src_free(struct config_src *src)
{
	buf_free(&src->text);
	free(src->segs);
	for (size_t i = 0; i < src->n_files; i++)
		free(src->files[i]);
	free(src->files);
	for (size_t i = 0; i < src->n_globs; i++)
		free(src->globs[i]);
	free(src->globs);
	memset(src, 0, sizeof(*src));
}

static int
config_src_add_file(struct config_src *src, const char *path)
{
	for (size_t i = 0; i < src->n_files; i++) {
		if (strcmp(src->files[i], path) == 0)
			return (int)i;
	}
	src->files = xrealloc(src->files, (src->n_files + 1) * sizeof(*src->files));
	src->files[src->n_files] = xstrdup(path);
	return (int)src->n_files++;
}

/* Lexical state carried across lines, so that an "@include" inside a block comment is
 * left alone, as libconfig would. */
struct config_lex {
	int		 in_block;
};

/* Advances the lexical state over one line. Returns 1 when the line is an include
 * directive that starts outside any comment, with the quoted path in *path. */
static int
config_src_scan(struct config_lex *lx, const char *s, size_t n, char **path, int *bad)
{
	int starts_in_block = lx->in_block;
	size_t i = 0;

	*bad = 0;
	*path = NULL;
	while (i < n) {
		if (lx->in_block) {
			if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
				lx->in_block = 0;
				i += 2;
			} else
				i++;
			continue;
		}
		if (s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
			}
			i++;
			continue;
		}
		if (s[i] == '#' || (s[i] == '/' && i + 1 < n && s[i + 1] == '/'))
			break;
		if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			lx->in_block = 1;
			i += 2;
			continue;
		}
		i++;
	}
	if (starts_in_block)
		return 0;
	size_t j = 0;

	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (n - j < 8 || strncmp(s + j, "@include", 8) != 0)
		return 0;
	j += 8;
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j >= n || s[j] != '"') {
		*bad = 1;
		return 1;
	}
	size_t start = ++j;

	while (j < n && s[j] != '"')
		j++;
	if (j >= n || j == start) {
		*bad = 1;
		return 1;
	}
	*path = xstrndup(s + start, j - start);
	return 1;
}

static char *
config_src_resolve(const char *path, const char *from)
{
	if (path[0] == '/' || from == NULL)
		return xstrdup(path);
	const char *slash = strrchr(from, '/');
	struct buf b;

	buf_init(&b);
	if (slash != NULL)
		buf_add(&b, from, (size_t)(slash - from + 1));
	buf_adds(&b, path);
	return buf_steal(&b);
}

static void
config_src_include(struct config_src_ctx *cx, const char *file, int line, const char *pattern)
{
	char *full = config_src_resolve(pattern, file);

	if (strpbrk(pattern, "*?[") == NULL) {
		config_src_file(cx, full, file, line);
		free(full);
		return;
	}
	glob_t g;
	int rc = glob(full, GLOB_ERR, NULL, &g);

	cx->src->globs = xrealloc(cx->src->globs, (cx->src->n_globs + 1) * sizeof(char *));
	cx->src->globs[cx->src->n_globs++] = xstrdup(full);

	/* An empty conf.d/ is normal: a glob that matches nothing includes nothing. */
	if (rc == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			config_src_file(cx, g.gl_pathv[i], file, line);
	} else if (rc != GLOB_NOMATCH)
		config_errors_add(cx->errs, file, line, "@include \"%s\": cannot list: %s",
		    pattern, strerror(errno));
	if (rc == 0 || rc == GLOB_NOMATCH)
		globfree(&g);
	free(full);
}

static char *
config_src_read(const char *path, size_t *len, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *data = NULL;

	if (fd == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto out;
	}
	if (st.st_size > CONFIG_SRC_MAX_FILE) {
		snprintf(why, whylen, "larger than %d bytes", CONFIG_SRC_MAX_FILE);
		goto out;
	}
	data = xmalloc((size_t)st.st_size + 1);
	size_t got = 0;

	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, data + got, (size_t)st.st_size - got);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	data[got] = '\0';
	*len = got;
out:
	close(fd);
	return data;
}

static void
config_src_text(struct config_src_ctx *cx, int fidx, const char *data, size_t len)
{
	struct config_src *src = cx->src;
	const char *file = src->files[fidx];
	struct config_lex lx = { 0 };
	int line = 0, need_seg = 1;
	size_t pos = 0;

	EVP_DigestUpdate(cx->md, file, strlen(file) + 1);
	EVP_DigestUpdate(cx->md, data, len);
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
		char *inc;
		int bad;

		line++;
		if (config_src_scan(&lx, data + pos, n, &inc, &bad)) {
			if (bad)
				config_errors_add(cx->errs, file, line,
				    "@include needs a quoted, non-empty path");
			else if (!src->allow_include)
				config_errors_add(cx->errs, file, line,
				    "@include is not allowed here");
			else
				config_src_include(cx, file, line, inc);
			free(inc);
			/* Keep a blank line so the merged line count stays simple. */
			buf_addc(&src->text, '\n');
			src->lines++;
			need_seg = 1;
		} else {
			if (need_seg) {
				config_src_seg(src, fidx, line);
				need_seg = 0;
			}
			buf_add(&src->text, data + pos, n);
			buf_addc(&src->text, '\n');
			src->lines++;
		}
		pos += n + 1;
	}
}

static int
config_src_file(struct config_src_ctx *cx, const char *path, const char *from, int from_line)
{
	char why[256];
	size_t len = 0;
	char *data;

	for (int i = 0; i < cx->depth; i++) {
		if (strcmp(cx->stack[i], path) == 0) {
			config_errors_add(cx->errs, from, from_line,
			    "@include \"%s\" includes itself (include loop)", path);
			return -1;
		}
	}
	if (cx->depth >= CONFIG_SRC_MAX_DEPTH) {
		config_errors_add(cx->errs, from, from_line,
		    "@include \"%s\": includes nested deeper than %d", path, CONFIG_SRC_MAX_DEPTH);
		return -1;
	}
	if (cx->src->n_files >= CONFIG_SRC_MAX_FILES) {
		config_errors_add(cx->errs, from, from_line,
		    "@include \"%s\": more than %d files", path, CONFIG_SRC_MAX_FILES);
		return -1;
	}
	data = config_src_read(path, &len, why, sizeof(why));
	if (data == NULL) {
		if (from != NULL)
			config_errors_add(cx->errs, from, from_line,
			    "@include \"%s\": cannot read: %s", path, why);
		else
			config_errors_add(cx->errs, path, 0, "cannot read: %s", why);
		return -1;
	}
	if (memchr(data, '\0', len) != NULL) {
		config_errors_add(cx->errs, path, 0, "not a text file (contains NUL bytes)");
		free(data);
		return -1;
	}
	int fidx = config_src_add_file(cx->src, path);

	cx->stack[cx->depth++] = cx->src->files[fidx];
	config_src_text(cx, fidx, data, len);
	cx->depth--;
	free(data);
	return 0;
}

static int
config_src_run(struct config_src *src, const char *name, const char *text,
    struct config_errors *errs)
{
	struct config_src_ctx cx = { .src = src, .errs = errs };
	size_t before = errs->n;
	unsigned int dlen;

	cx.md = EVP_MD_CTX_new();
	if (cx.md == NULL || EVP_DigestInit_ex(cx.md, EVP_sha256(), NULL) != 1) {
		config_errors_add(errs, NULL, 0, "SHA-256 unavailable");
		EVP_MD_CTX_free(cx.md);
		return -1;
	}
	if (text != NULL) {
		int fidx = config_src_add_file(src, name);

		cx.stack[cx.depth++] = src->files[fidx];
		config_src_text(&cx, fidx, text, strlen(text));
	} else
		config_src_file(&cx, name, NULL, 0);
	EVP_DigestFinal_ex(cx.md, src->digest, &dlen);
	EVP_MD_CTX_free(cx.md);
	return errs->n == before ? 0 : -1;
}

int
config_src_load(struct config_src *src, const char *path, struct config_errors *errs)
{
	char cwd[PATH_MAX];
	char *abs;

	memset(src, 0, sizeof(*src));
	buf_init(&src->text);
	src->allow_include = 1;
	/* Absolute, so that includes and inotify do not depend on the working directory. */
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
		struct buf b;

		buf_init(&b);
		buf_printf(&b, "%s/%s", cwd, path);
		abs = buf_steal(&b);
	} else
		abs = xstrdup(path);
	int rc = config_src_run(src, abs, NULL, errs);

	free(abs);
	return rc;
}

int
config_src_string(struct config_src *src, const char *name, const char *text,
    struct config_errors *errs)
{
	memset(src, 0, sizeof(*src));
	buf_init(&src->text);
	src->allow_include = 0;
	return config_src_run(src, name, text, errs);
}
