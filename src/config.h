/* config: one configuration generation, parsed from the libconfig files and validated as a
 * whole into an immutable value. Everything a generation points to (strings, arrays,
 * compiled regexes, time zones) lives as long as the generation; holders take a reference
 * with config_ref() and drop it with config_unref(). Nothing in it changes after load. */
#ifndef SCAIDIAL_CONFIG_H
#define SCAIDIAL_CONFIG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct strmap;
struct tz;

/* Where a setting was written: shown in every message about it. */
struct config_loc {
	const char	*file;
	int		 line;
};

enum listen_proto { LISTEN_UDP, LISTEN_TCP, LISTEN_TLS };
enum trunk_mode { TRUNK_REGISTER, TRUNK_PEER };
enum srtp_mode { SRTP_OFF, SRTP_OPTIONAL, SRTP_REQUIRED };
enum dtmf_mode { DTMF_RFC4733, DTMF_INFO };
enum codec { CODEC_OPUS, CODEC_PCMU, CODEC_PCMA, CODEC_G722, CODEC_COUNT };
enum ext_type { EXT_WAVE, EXT_BOT, EXT_SIP };
enum action { ACTION_HANGUP, ACTION_RING_EXTENSION, ACTION_VOICEMAIL, ACTION_FORWARD };
enum no_answer { NOANSWER_HANGUP, NOANSWER_VOICEMAIL, NOANSWER_CONTINUE };
enum forward_method { FORWARD_REFER, FORWARD_BRIDGE };

struct listen_addr {
	enum listen_proto proto;
	const char	*host;		/* numeric address or name, as written */
	int		 port;
	struct config_loc loc;
};

struct cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* network byte order, host bits cleared */
	int		 prefix;
};

struct config_general {
	struct listen_addr *listen;
	size_t		 n_listen;
	const char	*tls_cert;	/* "" when unset */
	const char	*tls_key;
	const char	*external_ip;	/* "" = use the local address */
	int		 rtp_port_min;
	int		 rtp_port_max;
	const char	*database;	/* absolute paths: relative ones are resolved */
	const char	*spool_dir;	/* against the main config file's directory */
	const char	*control_socket;
	int		 log_level;	/* enum log_level */
	const char	*user_agent;
	const struct tz	*timezone;	/* default zone for time matches (UTC) */
	const char	*voicemail_greeting;	/* the greeting of extensions without their own */
	int		 voicemail_max_s;	/* longest message */
	int		 voicemail_silence_s;	/* silence that ends a message; 0 = none */
	int		 registrar_min_expires;	/* desk phones' bindings, seconds */
	int		 registrar_max_expires;
};

struct config_livekit {
	const char	*url;		/* ws:// or wss:// */
	const char	*api_key;
	const char	*api_secret;
	const char	*room_prefix;
};

struct config_webhooks {
	const char	*secret;
	const char	*wave_ring;	/* each "" when unset */
	const char	*bot_kickoff;
	const char	*transcription;
	const char	*call_events;
};

/* An S3-compatible bucket voicemail messages are copied to; "" endpoint when unset. */
struct config_storage {
	const char	*s3_endpoint;	/* http(s)://host[:port], path-style requests */
	const char	*s3_bucket;
	const char	*s3_region;
	const char	*s3_access_key;
	const char	*s3_secret_key;
	const char	*s3_prefix;	/* object keys start with it; may be "" */
};

struct tenant {
	const char	*id;
	const char	*name;
	int		 max_concurrent_calls;	/* 0 = unlimited */
	bool		 voicemail_transcripts;
	const char	**outbound_allow;	/* glob patterns on E.164 numbers */
	size_t		 n_outbound_allow;
	struct config_loc loc;
};

struct trunk {
	const char	*id;
	const struct tenant *tenant;
	enum trunk_mode	 mode;
	const char	*registrar;	/* register mode; "" otherwise */
	const char	*address;	/* peer mode; "" otherwise */
	const char	*proxy;		/* "" = none */
	const char	*username;
	const char	*password;
	int		 expires;	/* seconds */
	struct cidr	*allowed;
	size_t		 n_allowed;
	enum codec	 codecs[CODEC_COUNT];	/* preference order */
	size_t		 n_codecs;
	enum srtp_mode	 srtp;
	enum dtmf_mode	 dtmf;
	int		 max_concurrent_calls;	/* 0 = unlimited */
	struct config_loc loc;
};

struct extension {
	const char	*id;
	const struct tenant *tenant;
	enum ext_type	 type;
	const char	*user;		/* wave: the tenant app's user */
	const char	*bot;		/* bot: the bot platform's id */
	const char	*username;	/* sip: digest credentials of the desk phone */
	const char	*password;
	bool		 voicemail;
	const char	*greeting;	/* absolute path, or "" for the default greeting */
	struct config_loc loc;
};

/* A weekly window in local time. Minutes from 00:00; end may be <= start, in which case the
 * window runs past midnight into the next day. days: bit 0 = Monday ... bit 6 = Sunday. */
struct time_window {
	unsigned	 days;
	int		 start_min;
	int		 end_min;
};

struct rule {
	int		 priority;
	bool		 has_caller;
	regex_t		 caller_re;	/* POSIX extended, on the caller's number */
	bool		 has_did;
	regex_t		 did_re;	/* on the called DID (E.164) */
	struct time_window *windows;	/* any of them matches; none = always */
	size_t		 n_windows;
	const struct tz	*tz;		/* zone of the windows */
	enum action	 action;
	const struct extension *extension;	/* ring_extension, voicemail */
	int		 timeout;	/* ring_extension, forward by bridge: seconds */
	enum no_answer	 on_no_answer;
	const char	*target;	/* forward: E.164 number or SIP URI */
	enum forward_method method;
	bool		 fallback_bridge;	/* forward by refer: bridge when the REFER fails */
	int		 status;	/* hangup: SIP status 400..699 */
	struct config_loc loc;
};

struct dialplan {
	const char	*id;
	const struct tenant *tenant;
	struct rule	*rules;		/* sorted by priority, ascending */
	size_t		 n_rules;
	struct config_loc loc;
};

struct did {
	const char	*number;	/* normalised E.164 */
	const struct trunk *trunk;
	const struct dialplan *dialplan;
	struct config_loc loc;
};

struct config {
	int		 refs;		/* atomic */
	uint64_t	 generation;	/* set by whoever installs it; 0 until then */
	int64_t		 loaded_ms;
	unsigned char	 digest[32];	/* SHA-256 over every file read, in order */
	const char	**files;	/* absolute path of every file read */
	size_t		 n_files;
	const char	**globs;	/* absolute @include patterns (new matches count) */
	size_t		 n_globs;
	const char	*main_file;

	struct config_general general;
	struct config_livekit livekit;
	struct config_webhooks webhooks;
	struct config_storage storage;

	struct tenant	*tenants;
	size_t		 n_tenants;
	struct trunk	*trunks;
	size_t		 n_trunks;
	struct did	*dids;
	size_t		 n_dids;
	struct extension *extensions;
	size_t		 n_extensions;
	struct dialplan	*dialplans;
	size_t		 n_dialplans;

	struct arena	*arena;		/* owns every string and array above */
	struct strmap	*idx_tenant, *idx_trunk, *idx_did, *idx_dialplan, *idx_extension;
	struct tz	**zones;	/* loaded time zones, freed with the config */
	size_t		 n_zones;
};

struct config_error {
	char		*file;		/* NULL when no file is concerned */
	int		 line;		/* 0 when unknown */
	char		*msg;
};

struct config_errors {
	struct config_error *v;
	size_t		 n;
	/* What a refused attempt read, so the watcher also sees fixes to new files. */
	char		**files;
	size_t		 n_files;
	char		**globs;
	size_t		 n_globs;
};

/* Parses and validates the file at path and everything it includes. On success returns 0
 * and a config with one reference; otherwise -1 and every error found, in file order. */
int	 config_load(const char *path, struct config **, struct config_errors *);
/* The same from text in memory (fuzzing, tests); "name" stands in for the file name and
 * @include is refused. */
int	 config_load_string(const char *name, const char *text, struct config **,
	    struct config_errors *);

struct config *config_ref(struct config *);
void	 config_unref(struct config *);

void	 config_errors_free(struct config_errors *);
/* "FILE:LINE: message", or "FILE: message" / "message" when those are unknown. */
char	*config_error_format(const struct config_error *);

const struct tenant *config_find_tenant(const struct config *, const char *id);
const struct trunk *config_find_trunk(const struct config *, const char *id);
const struct dialplan *config_find_dialplan(const struct config *, const char *id);
const struct extension *config_find_extension(const struct config *,
	    const struct tenant *, const char *id);
/* number in any form number_normalize() accepts. */
const struct did *config_find_did(const struct config *, const char *number);

const char *config_codec_name(enum codec);
const char *config_action_name(enum action);
const char *config_ext_type_name(enum ext_type);
const char *config_trunk_mode_name(enum trunk_mode);
const char *config_srtp_name(enum srtp_mode);
const char *config_dtmf_name(enum dtmf_mode);
const char *config_no_answer_name(enum no_answer);
const char *config_forward_method_name(enum forward_method);

#endif
