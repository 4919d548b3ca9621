/* vss-cowadm — administration of vss-cowd's volumes and their shadow
 * storage over its control socket.  See vss-cowadm(8); the messages are in
 * vss-cowd(8); the client side is cowctl-client.c (shared with vssadmin). */
#include "config.h"
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vss/vss.h>
#include "common/wire.h"
#include "cow/cowd/ctl-proto.h"
#include "cowctl-client.h"

static struct cowctl ctl;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vss-cowadm [--state-dir DIR | --socket PATH] COMMAND\n"
		"Manage the volumes of vss-cowd, the openvss copy-on-write provider.\n"
		"\n"
		"Commands:\n"
		"  add volume --name=NAME --backing=FILE|DEVICE [--size=SIZE --create [--sparse]]\n"
		"             [--diff=FILE] [--maxsize=SIZE] [--chunk=SIZE]\n"
		"  remove volume --name=NAME [--force]\n"
		"  list volumes [--json]\n"
		"  add shadowstorage --for=VOLUME --on=DIR [--maxsize=MAX]\n"
		"  resize shadowstorage --for=VOLUME [--on=DIR] --maxsize=MAX\n"
		"  delete shadowstorage --for=VOLUME [--on=DIR]\n"
		"  list shadowstorage [--for=VOLUME | --on=DIR] [--json]\n"
		"  stop [--detach]\n"
		"\n"
		"Options:\n"
		"  -s, --state-dir DIR  vss-cowd's state dir (default " LOCALSTATEDIR
		"/lib/vss/cowd)\n"
		"  -S, --socket PATH    vss-cowd's control socket (default STATE_DIR/cowd.sock)\n"
		"  -h, --help           show this help and exit\n"
		"  -V, --version        show the version and exit\n"
		"SIZE: bytes, or a number with B, K, M, G, T, P or E (powers of 1024;\n"
		"KB, KiB... too).  MAX: a SIZE, N%% of the volume, or UNBOUNDED.\n"
		"VOLUME: a volume's name or its live device.\n");
}

static int done(vss_hr_t hr)
{
	if (VSS_FAILED(hr))
		errx(1, "%s: %s", vss_hr_name(hr) ? vss_hr_name(hr) : "error", cowctl_error());
	return 0;
}

static uint64_t size_arg(const char *what, const char *s)
{
	uint64_t v;

	if (cowctl_parse_size(s, &v))
		errx(2, "bad %s '%s'", what, s);
	return v;
}

static int add_main(int argc, char **argv)
{
	static const struct option o[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "backing", required_argument, NULL, 'b' },
		{ "size", required_argument, NULL, 's' },
		{ "create", no_argument, NULL, 'c' },
		{ "sparse", no_argument, NULL, 'p' },
		{ "diff", required_argument, NULL, 'd' },
		{ "maxsize", required_argument, NULL, 'm' },
		{ "chunk", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	struct cowctl_volume_args a = { 0 };
	uint64_t chunk = 0;
	uint32_t pct;
	int c;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'n': a.name = optarg; break;
		case 'b': a.backing = optarg; break;
		case 's': a.size = size_arg("size", optarg); break;
		case 'c': a.create = true; break;
		case 'p': a.sparse = true; break;
		case 'd': a.diff = optarg; break;
		case 'm':
			if (cowctl_parse_max(optarg, &a.maxsize, &pct) || pct)
				errx(2, "bad maxsize '%s'", optarg);
			break;
		case 'k': chunk = size_arg("chunk", optarg); break;
		default: usage(stderr); return 2;
		}
	}
	if (!a.name || !a.backing || optind != argc)
		errx(2, "add volume needs --name=NAME and --backing=FILE|DEVICE");
	if (a.create && !a.size)
		errx(2, "--create needs --size=SIZE");
	if (a.sparse && !a.create)
		errx(2, "--sparse goes with --create");
	if (chunk > UINT32_MAX)
		errx(2, "bad chunk size");
	a.chunk = (uint32_t)chunk;
	return done(cowctl_add_volume(&ctl, &a));
}

static int remove_main(int argc, char **argv)
{
	static const struct option o[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL;
	bool force = false;
	int c;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'f': force = true; break;
		default: usage(stderr); return 2;
		}
	}
	if (!name || optind != argc)
		errx(2, "remove volume needs --name=NAME");
	return done(cowctl_remove_volume(&ctl, name, force));
}

/* A command whose only option is --FLAG: whether it was given; an
 * unknown option prints the usage and exits 2, an argument exits 2 with
 * "CMD takes no argument but --FLAG". */
static bool only_flag(int argc, char **argv, const char *flag, const char *cmd)
{
	const struct option o[] = {
		{ flag, no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	bool set = false;
	int c;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (c != 'f') {
			usage(stderr);
			exit(2);
		}
		set = true;
	}
	if (optind != argc)
		errx(2, "%s takes no argument but --%s", cmd, flag);
	return set;
}

static int list_main(int argc, char **argv)
{
	return done(cowctl_list_volumes(&ctl, only_flag(argc, argv, "json", "list volumes")));
}

static int stop_main(int argc, char **argv)
{
	return done(cowctl_stop(&ctl, only_flag(argc, argv, "detach", "stop")));
}

/* add|resize|delete|list shadowstorage */
static int storage_main(const char *verb, int argc, char **argv)
{
	static const struct option o[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "on", required_argument, NULL, 'o' },
		{ "maxsize", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *for_vol = NULL, *on = NULL, *maxs = NULL;
	bool json = false, list = !strcmp(verb, "list");
	uint64_t max = 0;
	uint32_t pct = 0;
	int c, code;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'f': for_vol = optarg; break;
		case 'o': on = optarg; break;
		case 'm': maxs = optarg; break;
		case 'j': json = true; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc)
		errx(2, "unexpected argument '%s'", argv[optind]);
	if (list) {
		if (maxs || (for_vol && on))
			errx(2, "list shadowstorage takes --for or --on, and --json");
		return done(cowctl_list_storage(&ctl, for_vol, on, json));
	}
	if (json)
		errx(2, "--json is for list shadowstorage");
	if (maxs && cowctl_parse_max(maxs, &max, &pct))
		errx(2, "bad maxsize '%s' (a size, N%% or UNBOUNDED)", maxs);
	if (!strcmp(verb, "add"))
		code = COWCTL_ADD_STORAGE;
	else if (!strcmp(verb, "resize"))
		code = COWCTL_RESIZE_STORAGE;
	else if (!strcmp(verb, "delete") && !maxs)
		code = COWCTL_DELETE_STORAGE;
	else
		errx(2, "unknown command '%s shadowstorage'", verb);
	if (!for_vol)
		errx(2, "%s shadowstorage needs --for=VOLUME", verb);
	if (code == COWCTL_ADD_STORAGE && !on)
		errx(2, "add shadowstorage needs --on=DIR");
	if (code == COWCTL_RESIZE_STORAGE && !maxs)
		errx(2, "resize shadowstorage needs --maxsize=MAX");
	return done(cowctl_storage(&ctl, code, for_vol, on, max, pct));
}

int main(int argc, char **argv)
{
	static const struct option o[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "+s:S:hV", o, NULL)) != -1) {
		switch (c) {
		case 's': ctl.state_dir = optarg; break;
		case 'S': ctl.socket = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vss-cowadm %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind >= 1 && !strcmp(argv[optind], "stop")) {
		argc -= optind;
		argv += optind;
		optind = 1;
		return stop_main(argc, argv);
	}
	if (argc - optind < 2) {
		usage(stderr);
		return 2;
	}
	const char *verb = argv[optind], *obj = argv[optind + 1];

	argc -= optind + 1;
	argv += optind + 1;
	optind = 1;
	if (!strcmp(obj, "shadowstorage"))
		return storage_main(verb, argc, argv);
	if (strcmp(obj, "volume") && strcmp(obj, "volumes"))
		errx(2, "unknown object '%s' (volume or shadowstorage)", obj);
	if (!strcmp(verb, "add"))
		return add_main(argc, argv);
	if (!strcmp(verb, "remove") || !strcmp(verb, "delete"))
		return remove_main(argc, argv);
	if (!strcmp(verb, "list"))
		return list_main(argc, argv);
	errx(2, "unknown command '%s'", verb);
}
