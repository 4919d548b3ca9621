/* vshadow-opts.c — vshadow's command line: the SDK sample's flags, in the
 * forms -x, /x, -x=VALUE and /x=VALUE, case-insensitive, plus --help,
 * --version and --json.  An argument starting with '/' is an option only
 * when its name is one; otherwise it is a volume (a mount point such as
 * /mnt/data).  "--" ends the options. */
#include "config.h"
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "vshadow.h"

enum kind { FLAG, VALUE, CMD, CMD_VALUE, CMD_NEXT, LIST };

struct opt {
	const char *name;
	enum kind kind;
	size_t off;		/* FLAG: bool; VALUE: const char *; LIST: index */
	enum vs_cmd cmd;
};

#define F(n, field) { n, FLAG, offsetof(struct vs_opts, field), 0 }
#define V(n, field) { n, VALUE, offsetof(struct vs_opts, field), 0 }

static const struct opt opts[] = {
	F("p", persistent), F("nw", no_writers), F("nar", no_autorecovery),
	F("tr", txf_recovery), F("ad", differential), F("ap", plex),
	F("scsf", client_accessible), F("wait", wait), F("tracing", tracing),
	F("-json", json),
	V("bc", bc_file), V("t", t_file), V("script", script_file), V("exec", exec_cmd),
	{ "wi", LIST, 0, 0 }, { "wx", LIST, 1, 0 },
	{ "q", CMD, 0, VS_QUERY }, { "qx", CMD_VALUE, 0, VS_QUERY_SET },
	{ "s", CMD_VALUE, 0, VS_QUERY_SNAP }, { "da", CMD, 0, VS_DELETE_ALL },
	{ "do", CMD_VALUE, 0, VS_DELETE_OLDEST }, { "dx", CMD_VALUE, 0, VS_DELETE_SET },
	{ "ds", CMD_VALUE, 0, VS_DELETE_SNAP }, { "ws", CMD, 0, VS_WRITER_STATUS },
	{ "wm", CMD, 0, VS_WRITER_META }, { "wm2", CMD, 0, VS_WRITER_META2 },
	{ "wm3", CMD, 0, VS_WRITER_META3 }, { "el", CMD_VALUE, 0, VS_EXPOSE },
	{ "revert", CMD_VALUE, 0, VS_REVERT }, { "isup", CMD_NEXT, 0, VS_IS_SUPPORTED },
	{ "r", CMD_VALUE, 0, VS_RESTORE }, { "rs", CMD_VALUE, 0, VS_RESTORE_SIM },
	{ "-help", CMD, 0, VS_HELP }, { "?", CMD, 0, VS_HELP }, { "h", CMD, 0, VS_HELP },
	{ "-version", CMD, 0, VS_VERSION },
};

int vs_fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* The option named by arg ("-x", "/x", "-x=v"), or NULL; *val is the part
 * after '=' or NULL. */
static const struct opt *lookup(const char *arg, const char **val)
{
	const char *name = arg + 1, *eq = strchr(name, '=');
	size_t n = eq ? (size_t)(eq - name) : strlen(name);

	*val = eq ? eq + 1 : NULL;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strlen(opts[i].name) == n && strncasecmp(opts[i].name, name, n) == 0)
			return &opts[i];
	return NULL;
}

static int push(const char ***arr, size_t *n, const char *v)
{
	const char **a = realloc(*arr, (*n + 1) * sizeof(*a));

	if (!a)
		return -1;
	a[(*n)++] = v;
	*arr = a;
	return 0;
}

static bool needs_id(enum vs_cmd c)
{
	return c == VS_QUERY_SET || c == VS_QUERY_SNAP || c == VS_DELETE_SET ||
	       c == VS_DELETE_SNAP || c == VS_REVERT || c == VS_EXPOSE;
}

/* Checks the combination of what was parsed. */
static int check(struct vs_opts *o, bool have_cmd, char *err, size_t len)
{
	if (o->cmd == VS_HELP || o->cmd == VS_VERSION)
		return 0;
	if (have_cmd && o->nvolumes)
		return vs_fail(err, len, "volumes cannot be given with a query, delete or "
			    "writer command");
	if (!have_cmd && !o->nvolumes)
		return vs_fail(err, len, "no volume and no command given");
	if (o->no_writers && (o->nwi || o->nwx))
		return vs_fail(err, len, "-nw excludes -wi and -wx");
	if (o->bc_file && o->t_file)
		return vs_fail(err, len, "-t and -bc exclude each other");
	if (o->differential && o->plex)
		return vs_fail(err, len, "-ad and -ap exclude each other");
	if (o->client_accessible && (o->persistent || o->no_writers))
		return vs_fail(err, len, "-scsf excludes -p and -nw");
	if (o->nvolumes > VSS_MAX_VOLUMES_PER_SET)
		return vs_fail(err, len, "at most %d volumes in a shadow copy set",
			    VSS_MAX_VOLUMES_PER_SET);
	if (o->cmd == VS_EXPOSE) {
		const char *comma = strchr(o->cmd_arg, ',');
		char idbuf[64];

		if (!comma || !comma[1] || (size_t)(comma - o->cmd_arg) >= sizeof(idbuf))
			return vs_fail(err, len, "-el needs SNAPID,DIRECTORY");
		memcpy(idbuf, o->cmd_arg, comma - o->cmd_arg);
		idbuf[comma - o->cmd_arg] = '\0';
		if (vss_id_parse(idbuf, &o->id))
			return vs_fail(err, len, "not a shadow copy id: '%s'", idbuf);
		o->expose_dir = strdup(comma + 1);
		if (!o->expose_dir)
			return vs_fail(err, len, "out of memory");
		return 0;
	}
	if (needs_id(o->cmd) && vss_id_parse(o->cmd_arg, &o->id))
		return vs_fail(err, len, "not an id: '%s'", o->cmd_arg);
	return 0;
}

int vs_parse_args(int argc, char **argv, struct vs_opts *o, char *err, size_t len)
{
	bool have_cmd = false, only_volumes = false;

	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val;
		const struct opt *op = NULL;

		if (!only_volumes && strcmp(arg, "--") == 0) {
			only_volumes = true;
			continue;
		}
		if (!only_volumes && (arg[0] == '-' || arg[0] == '/'))
			op = lookup(arg, &val);
		if (!op) {
			if (!only_volumes && arg[0] == '-')
				return vs_fail(err, len, "unknown option '%s'", arg);
			if (push(&o->volumes, &o->nvolumes, arg))
				return vs_fail(err, len, "out of memory");
			continue;
		}
		switch (op->kind) {
		case FLAG:
			if (val)
				return vs_fail(err, len, "option '%c%s' takes no value", arg[0],
					       op->name);
			*(bool *)((char *)o + op->off) = true;
			break;
		case VALUE:
		case LIST:
			if (!val || !*val)
				return vs_fail(err, len, "option '%s' needs a value (%c%s=VALUE)",
					    arg, arg[0], op->name);
			if (op->kind == VALUE)
				*(const char **)((char *)o + op->off) = val;
			else if (push(op->off ? &o->wx : &o->wi, op->off ? &o->nwx : &o->nwi, val))
				return vs_fail(err, len, "out of memory");
			break;
		case CMD:
		case CMD_VALUE:
		case CMD_NEXT:
			if (have_cmd && op->cmd != VS_HELP && op->cmd != VS_VERSION &&
			    o->cmd != VS_HELP && o->cmd != VS_VERSION)
				return vs_fail(err, len, "only one command may be given ('%s')", arg);
			if (op->kind == CMD && val)
				return vs_fail(err, len, "option '%c%s' takes no value", arg[0],
					       op->name);
			if (op->kind == CMD_NEXT && !val) {
				if (i + 1 >= argc)
					return vs_fail(err, len, "option '%s' needs a volume", arg);
				val = argv[++i];
			}
			if (op->kind != CMD && (!val || !*val))
				return vs_fail(err, len, "option '%s' needs a value (%c%s=VALUE)",
					    arg, arg[0], op->name);
			if (o->cmd != VS_HELP && o->cmd != VS_VERSION) {
				o->cmd = op->cmd;
				o->cmd_arg = val;
			}
			have_cmd = true;
			break;
		}
	}
	return check(o, have_cmd, err, len);
}

void vs_opts_free(struct vs_opts *o)
{
	free(o->wi);
	free(o->wx);
	free(o->volumes);
	free(o->expose_dir);
	memset(o, 0, sizeof(*o));
}

int32_t vs_context(const struct vs_opts *o)
{
	int32_t ctx = VSS_CTX_BACKUP;

	if (o->client_accessible)
		ctx = VSS_CTX_CLIENT_ACCESSIBLE;
	else if (o->persistent && o->no_writers)
		ctx = VSS_CTX_NAS_ROLLBACK;
	else if (o->persistent)
		ctx = VSS_CTX_APP_ROLLBACK;
	else if (o->no_writers)
		ctx = VSS_CTX_FILE_SHARE_BACKUP;
	if (o->no_autorecovery)
		ctx |= VSS_VOLSNAP_ATTR_NO_AUTORECOVERY;
	if (o->txf_recovery)
		ctx |= VSS_VOLSNAP_ATTR_TXF_RECOVERY;
	if (o->differential)
		ctx |= VSS_VOLSNAP_ATTR_DIFFERENTIAL;
	if (o->plex)
		ctx |= VSS_VOLSNAP_ATTR_PLEX;
	if (o->t_file)
		ctx |= VSS_VOLSNAP_ATTR_TRANSPORTABLE;
	return ctx;
}

/* Converts inlen bytes with iconv into a new buffer of room bytes (enough
 * for the result plus 2 bytes); *outlen is the converted length. */
static int convert(const char *to, const char *from, const char *in, size_t inlen,
		   size_t room, char **out, size_t *outlen)
{
	char *buf = malloc(room), *p = buf, *ip = (char *)in;
	size_t left = room - 2;
	iconv_t cd;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	cd = iconv_open(to, from);
	if (cd == (iconv_t)-1) {
		free(buf);
		return -errno;
	}
	if (iconv(cd, &ip, &inlen, &p, &left) == (size_t)-1)
		r = -errno;
	iconv_close(cd);
	if (r) {
		free(buf);
		return r;
	}
	*out = buf;
	*outlen = (size_t)(p - buf);
	return 0;
}

/* UTF-16LE bytes (trailing U+0000s dropped) -> a UTF-8 string. */
static int from_utf16le(const char *in, size_t inlen, char **out)
{
	size_t n;
	int r;

	while (inlen >= 2 && in[inlen - 1] == 0 && in[inlen - 2] == 0)
		inlen -= 2;
	r = convert("UTF-8", "UTF-16LE", in, inlen, inlen * 2 + 2, out, &n);
	if (r)
		return r;
	(*out)[n] = '\0';
	if (strlen(*out) != n) {	/* a U+0000 inside */
		free(*out);
		*out = NULL;
		return -EILSEQ;
	}
	return 0;
}

int vs_utf16le(const char *s, char **out, size_t *outlen)
{
	size_t len = strlen(s);
	int r = convert("UTF-16LE", "UTF-8", s, len, len * 2 + 4, out, outlen);

	if (r)
		return r;
	(*out)[(*outlen)++] = 0;	/* the trailing U+0000 */
	(*out)[(*outlen)++] = 0;
	return 0;
}

int vs_read_document(const char *path, char **utf8)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 65536, len = 0, n;
	char *buf = NULL, *nb;
	int r = 0;

	*utf8 = NULL;
	if (!f)
		return -errno;
	do {
		if (len + 4096 > cap || !buf) {
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 4, f);
		len += n;
	} while (n > 0);
	if (!r && ferror(f))
		r = -EIO;
	fclose(f);
	if (r) {
		free(buf);
		return r;
	}
	memset(buf + len, 0, 4);
	if (len >= 2 && ((uint8_t)buf[0] == 0xff && (uint8_t)buf[1] == 0xfe))
		r = from_utf16le(buf + 2, len - 2, utf8);
	else if (len >= 2 && buf[1] == '\0')
		r = from_utf16le(buf, len, utf8);
	else if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		r = (*utf8 = strdup(buf + 3)) ? 0 : -ENOMEM;
	else
		r = strlen(buf) == len ? ((*utf8 = strdup(buf)) ? 0 : -ENOMEM) : -EILSEQ;
	free(buf);
	return r;
}
