/* config: the life of a configuration generation (load, share, free) and lookups in it.
 * Parsing of the sections is in config_parse.c, reading of the files in config_src.c. */
#include "config.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "config_int.h"
#include "loop.h"
#include "number.h"
#include "strmap.h"
#include "tz.h"
#include "xmalloc.h"

static struct config *
config_new(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->refs = 1;
	cfg->arena = arena_new();
	return cfg;
}

static void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_dialplans; i++) {
		for (size_t j = 0; j < cfg->dialplans[i].n_rules; j++) {
			struct rule *r = &cfg->dialplans[i].rules[j];

			if (r->has_caller)
				regfree(&r->caller_re);
			if (r->has_did)
				regfree(&r->did_re);
		}
	}
	for (size_t i = 0; i < cfg->n_zones; i++)
		tz_free(cfg->zones[i]);
	free(cfg->zones);
	strmap_free(cfg->idx_tenant);
	strmap_free(cfg->idx_trunk);
	strmap_free(cfg->idx_did);
	strmap_free(cfg->idx_dialplan);
	strmap_free(cfg->idx_extension);
	arena_free(cfg->arena);
	free(cfg);
}

struct config *
config_ref(struct config *cfg)
{
	__atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
	return cfg;
}

void
config_unref(struct config *cfg)
{
	if (cfg != NULL && __atomic_sub_fetch(&cfg->refs, 1, __ATOMIC_ACQ_REL) == 0)
		config_free(cfg);
}

/* Hands the list of what was read to errs (a refused attempt) and empties src's. */
static void
config_keep_files(struct config_src *src, struct config_errors *errs)
{
	errs->files = src->files;
	errs->n_files = src->n_files;
	errs->globs = src->globs;
	errs->n_globs = src->n_globs;
	src->files = NULL;
	src->n_files = 0;
	src->globs = NULL;
	src->n_globs = 0;
}

static int
config_finish(struct config *cfg, struct config_src *src, struct config_errors *errs,
    struct config **out)
{
	size_t before = errs->n;

	config_parse(cfg, src, errs);
	config_errors_sort(errs, src->files, src->n_files);
	if (errs->n > before) {
		config_unref(cfg);
		config_keep_files(src, errs);
		config_src_free(src);
		*out = NULL;
		return -1;
	}
	memcpy(cfg->digest, src->digest, sizeof(cfg->digest));
	cfg->n_globs = src->n_globs;
	cfg->globs = arena_alloc(cfg->arena, (src->n_globs + 1) * sizeof(*cfg->globs));
	for (size_t i = 0; i < src->n_globs; i++)
		cfg->globs[i] = arena_strdup(cfg->arena, src->globs[i]);
	cfg->loaded_ms = loop_now_ms();
	config_src_free(src);
	*out = cfg;
	return 0;
}

int
config_load(const char *path, struct config **out, struct config_errors *errs)
{
	struct config_src src;

	*out = NULL;
	if (config_src_load(&src, path, errs) == -1) {
		config_errors_sort(errs, src.files, src.n_files);
		config_keep_files(&src, errs);
		config_src_free(&src);
		return -1;
	}
	return config_finish(config_new(), &src, errs, out);
}

int
config_load_string(const char *name, const char *text, struct config **out,
    struct config_errors *errs)
{
	struct config_src src;

	*out = NULL;
	if (config_src_string(&src, name, text, errs) == -1) {
		config_src_free(&src);
		return -1;
	}
	return config_finish(config_new(), &src, errs, out);
}

void
config_errors_free(struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].msg);
	}
	free(errs->v);
	for (size_t i = 0; i < errs->n_files; i++)
		free(errs->files[i]);
	free(errs->files);
	for (size_t i = 0; i < errs->n_globs; i++)
		free(errs->globs[i]);
	free(errs->globs);
	memset(errs, 0, sizeof(*errs));
}

char *
config_error_format(const struct config_error *e)
{
	struct buf b;

	buf_init(&b);
	if (e->file != NULL && e->line > 0)
		buf_printf(&b, "%s:%d: %s", e->file, e->line, e->msg);
	else if (e->file != NULL)
		buf_printf(&b, "%s: %s", e->file, e->msg);
	else
		buf_adds(&b, e->msg);
	return buf_steal(&b);
}

const struct tenant *
config_find_tenant(const struct config *cfg, const char *id)
{
	return strmap_get(cfg->idx_tenant, id);
}

const struct trunk *
config_find_trunk(const struct config *cfg, const char *id)
{
	return strmap_get(cfg->idx_trunk, id);
}

const struct dialplan *
config_find_dialplan(const struct config *cfg, const char *id)
{
	return strmap_get(cfg->idx_dialplan, id);
}

/* Extensions are unique per tenant: the index key is "tenant\x1fid". */
const struct extension *
config_find_extension(const struct config *cfg, const struct tenant *t, const char *id)
{
	char key[512];

	if (snprintf(key, sizeof(key), "%s\x1f%s", t->id, id) >= (int)sizeof(key))
		return NULL;
	return strmap_get(cfg->idx_extension, key);
}

const struct did *
config_find_did(const struct config *cfg, const char *number)
{
	char norm[32], plus[33];
	const struct did *d;

	if (number_normalize(number, norm, sizeof(norm)) == -1)
		return NULL;
	if ((d = strmap_get(cfg->idx_did, norm)) != NULL || norm[0] == '+')
		return d;
	/* Carriers often drop the '+' of an E.164 Request-URI. */
	snprintf(plus, sizeof(plus), "+%s", norm);
	return strmap_get(cfg->idx_did, plus);
}

static const char *const codec_names[] = { "opus", "PCMU", "PCMA", "G722" };
static const char *const action_names[] = { "hangup", "ring_extension", "voicemail", "forward" };
static const char *const ext_type_names[] = { "wave", "bot", "sip" };
static const char *const trunk_mode_names[] = { "register", "peer" };
static const char *const srtp_names[] = { "off", "optional", "required" };
static const char *const dtmf_names[] = { "rfc4733", "info" };
static const char *const no_answer_names[] = { "hangup", "voicemail", "continue" };
static const char *const forward_names[] = { "refer", "bridge" };

const char *config_codec_name(enum codec c) { return codec_names[c]; }
const char *config_action_name(enum action a) { return action_names[a]; }
const char *config_ext_type_name(enum ext_type t) { return ext_type_names[t]; }
const char *config_trunk_mode_name(enum trunk_mode m) { return trunk_mode_names[m]; }
const char *config_srtp_name(enum srtp_mode m) { return srtp_names[m]; }
const char *config_dtmf_name(enum dtmf_mode m) { return dtmf_names[m]; }
const char *config_no_answer_name(enum no_answer n) { return no_answer_names[n]; }
const char *config_forward_method_name(enum forward_method m) { return forward_names[m]; }
