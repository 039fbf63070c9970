/* bench_config FILE [RUNS]: how long a reload of FILE takes, parse + validate + swap, through
 * the daemon's own reload_run(). Each run changes a trailing comment in FILE first, so
 * every run really swaps generations (an unchanged reload stops after hashing). Prints
 * the median and spread of config_load() alone and of the whole reload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "reload.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-28s median %7.2f ms   p10 %7.2f   p90 %7.2f   min %7.2f   max %7.2f   (n=%d)\n",
	    what, v[n / 2], v[n / 10], v[n * 9 / 10], v[0], v[n - 1], n);
}

/* Rewrites the last line of the file: "# bench N". */
static void
touch_comment(const char *path, int n)
{
	FILE *f = fopen(path, "r+");
	long size;
	char *text;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0)
		exit(2);
	text = malloc((size_t)size + 1);
	rewind(f);
	if (fread(text, 1, (size_t)size, f) != (size_t)size)
		exit(2);
	text[size] = '\0';
	char *mark = strstr(text, "# bench ");

	if (mark != NULL)
		*mark = '\0';
	fclose(f);
	f = fopen(path, "w");
	fprintf(f, "%s# bench %d\n", text, n);
	fclose(f);
	free(text);
}

int
main(int argc, char **argv)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	int runs = argc > 2 ? atoi(argv[2]) : 21;

	if (argc < 2 || runs < 1) {
		fprintf(stderr, "usage: bench_config FILE [RUNS]\n");
		return 2;
	}
	log_init("bench_config", 1);
	log_set_level(LOG_LVL_WARN);
	if (loop_init() == -1)
		return 1;
	if (config_load(argv[1], &cfg, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", config_error_format(&errs.v[i]));
		return 1;
	}
	printf("config: %zu files, %zu tenants, %zu trunks, %zu DIDs, %zu extensions, "
	    "%zu dialplans\n", cfg->n_files, cfg->n_tenants, cfg->n_trunks, cfg->n_dids,
	    cfg->n_extensions, cfg->n_dialplans);
	reload_init(argv[1], cfg);

	double *load = calloc((size_t)runs, sizeof(double));
	double *swap = calloc((size_t)runs, sizeof(double));

	for (int i = 0; i < runs; i++) {
		struct config *c;

		touch_comment(argv[1], i);
		double t0 = now_ms();

		if (config_load(argv[1], &c, &errs) == -1)
			return 1;
		double t1 = now_ms();

		config_unref(c);
		touch_comment(argv[1], runs + i);
		double t2 = now_ms();

		if (reload_run("bench", NULL) == -1)
			return 1;
		double t3 = now_ms();

		load[i] = t1 - t0;
		swap[i] = t3 - t2;
	}
	report("parse+validate", load, runs);
	report("parse+validate+swap", swap, runs);
	free(load);
	free(swap);
	reload_fini();
	loop_free();
	return 0;
}
