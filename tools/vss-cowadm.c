/* vss-cowadm — administration of vss-cowd's volumes over its control
 * socket.  See vss-cowadm(8); the messages are in vss-cowd(8). */
#include "config.h"
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vss/vss.h>
#include "common/wire.h"
#include "cow/cowd/ctl-proto.h"

static const char *state_dir = LOCALSTATEDIR "/lib/vss/cowd";
static const char *sock_path;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vss-cowadm [--state-dir DIR | --socket PATH] COMMAND\n"
		"Manage the volumes of vss-cowd, the openvss copy-on-write provider.\n"
		"\n"
		"Commands:\n"
		"  add volume --name=NAME --backing=FILE|DEVICE [--size=SIZE --create]\n"
		"             [--diff=FILE] [--maxsize=SIZE] [--chunk=SIZE]\n"
		"  remove volume --name=NAME [--force]\n"
		"  list volumes [--json]\n"
		"\n"
		"Options:\n"
		"  -s, --state-dir DIR  vss-cowd's state dir (default " LOCALSTATEDIR
		"/lib/vss/cowd)\n"
		"  -S, --socket PATH    vss-cowd's control socket (default STATE_DIR/cowd.sock)\n"
		"  -h, --help           show this help and exit\n"
		"  -V, --version        show the version and exit\n"
		"SIZE: bytes, or a number with K, M, G or T (powers of 1024).\n");
}

static uint64_t parse_size(const char *what, const char *s)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		errx(2, "bad %s '%s'", what, s);
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' && shift)
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		errx(2, "bad %s '%s'", what, s);
	return (uint64_t)v << shift;
}

/* An absolute path for the daemon, which does not share our cwd; the file
 * itself may not exist yet. */
static char *abs_path(const char *p)
{
	char *d = strdup(p), *b = strdup(p), real[PATH_MAX], *out;

	if (!d || !b)
		errx(1, "out of memory");
	if (!realpath(dirname(d), real))
		err(1, "%s", p);
	if (asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "", basename(b)) < 0)
		errx(1, "out of memory");
	free(d);
	free(b);
	return out;
}

/* Sends m, returns the reply payload (exits on failure). */
static uint8_t *call(struct wire_msg *m, size_t *plen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct wire_rx rx = { 0 };
	struct wire_hdr h;
	const uint8_t *pl;
	uint8_t *copy;
	char *msg;
	vss_hr_t hr;
	int fd, r;

	if (sock_path)
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	else
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", state_dir, COWD_CTL_SOCKET);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		err(1, "cannot reach vss-cowd at %s", sa.sun_path);
	if (wire_msg_finish(m) || wire_send(fd, m))
		errx(1, "cannot send the request");
	r = wire_recv(fd, &rx, 120000, &h, &pl);
	if (r < 0)
		errx(1, "no answer from vss-cowd: %s", strerror(-r));
	close(fd);
	hr = (vss_hr_t)wire_get_u32(pl, h.len, CA_HR, (uint32_t)VSS_E_UNEXPECTED);
	if (VSS_FAILED(hr)) {
		msg = wire_get_str(pl, h.len, CA_MESSAGE);
		errx(1, "%s: %s", vss_hr_name(hr) ? vss_hr_name(hr) : "error",
		     msg ? msg : "failed");
	}
	copy = malloc(h.len + 1);
	if (!copy)
		errx(1, "out of memory");
	memcpy(copy, pl, h.len);
	*plen = h.len;
	wire_rx_free(&rx);
	return copy;
}

static int add_main(int argc, char **argv)
{
	static const struct option o[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "backing", required_argument, NULL, 'b' },
		{ "size", required_argument, NULL, 's' },
		{ "create", no_argument, NULL, 'c' },
		{ "diff", required_argument, NULL, 'd' },
		{ "maxsize", required_argument, NULL, 'm' },
		{ "chunk", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	const char *name = NULL, *backing = NULL, *diff = NULL;
	uint64_t size = 0, maxsize = 0, chunk = 0;
	bool create = false;
	struct wire_msg m;
	uint8_t *pl;
	size_t len;
	char *dev;
	int c;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'b': backing = optarg; break;
		case 's': size = parse_size("size", optarg); break;
		case 'c': create = true; break;
		case 'd': diff = optarg; break;
		case 'm': maxsize = parse_size("maxsize", optarg); break;
		case 'k': chunk = parse_size("chunk", optarg); break;
		default: usage(stderr); return 2;
		}
	}
	if (!name || !backing || optind != argc)
		errx(2, "add volume needs --name=NAME and --backing=FILE|DEVICE");
	if (create && !size)
		errx(2, "--create needs --size=SIZE");
	if (chunk > UINT32_MAX)
		errx(2, "bad chunk size");
	wire_msg_init(&m, COWCTL_ADD_VOLUME, 1);
	wire_put_str(&m, CA_NAME, name);
	{
		char *b = abs_path(backing), *d = diff ? abs_path(diff) : NULL;

		wire_put_str(&m, CA_BACKING, b);
		wire_put_str(&m, CA_DIFF, d);	/* NULL: not sent */
		free(b);
		free(d);
	}
	if (size)
		wire_put_u64(&m, CA_SIZE, size);
	wire_put_u32(&m, CA_CREATE, create);
	if (maxsize)
		wire_put_u64(&m, CA_MAXSIZE, maxsize);
	if (chunk)
		wire_put_u32(&m, CA_CHUNK, (uint32_t)chunk);
	pl = call(&m, &len);
	dev = wire_get_str(pl, len, CA_DEVICE);
	printf("%s\n", dev ? dev : "");
	free(dev);
	free(pl);
	wire_msg_free(&m);
	return 0;
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
	struct wire_msg m;
	size_t len;
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
	wire_msg_init(&m, COWCTL_REMOVE_VOLUME, 1);
	wire_put_str(&m, CA_NAME, name);
	wire_put_u32(&m, CA_FORCE, force);
	free(call(&m, &len));
	wire_msg_free(&m);
	return 0;
}

static const char *str_of(struct wire_attr *nest, uint16_t tag, char *buf, size_t len)
{
	char *s = wire_get_str(nest->val, nest->len, tag);

	snprintf(buf, len, "%s", s ? s : "");
	free(s);
	return buf;
}

static int list_main(int argc, char **argv)
{
	static const struct option o[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct json_object *jv = json_object_new_array();
	struct wire_iter it, sit;
	struct wire_attr a, sa;
	struct wire_msg m;
	bool json = false;
	uint8_t *pl;
	size_t len;
	int c;

	while ((c = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (c != 'j') {
			usage(stderr);
			return 2;
		}
		json = true;
	}
	if (optind != argc)
		errx(2, "list volumes takes no argument but --json");
	wire_msg_init(&m, COWCTL_LIST_VOLUMES, 1);
	pl = call(&m, &len);
	wire_iter_init(&it, pl, len);
	while (wire_next(&it, &a)) {
		char name[128], backing[PATH_MAX], diff[PATH_MAX], dev[64], exp[PATH_MAX];
		struct json_object *jo, *js;
		uint64_t size = wire_get_u64(a.val, a.len, CA_SIZE, 0);
		uint64_t maxsize = wire_get_u64(a.val, a.len, CA_MAXSIZE, 0);
		uint64_t used = wire_get_u64(a.val, a.len, CA_DIFF_USED, 0);
		uint32_t chunk = wire_get_u32(a.val, a.len, CA_CHUNK, 0);
		int nsnap = 0;

		if (a.tag != CA_VOLUME || a.kind != WIRE_NEST)
			continue;
		str_of(&a, CA_NAME, name, sizeof(name));
		str_of(&a, CA_BACKING, backing, sizeof(backing));
		str_of(&a, CA_DIFF, diff, sizeof(diff));
		str_of(&a, CA_DEVICE, dev, sizeof(dev));
		str_of(&a, CA_EXPORT, exp, sizeof(exp));
		jo = json_object_new_object();
		js = json_object_new_array();
		json_object_object_add(jo, "name", json_object_new_string(name));
		json_object_object_add(jo, "backing", json_object_new_string(backing));
		json_object_object_add(jo, "device", json_object_new_string(dev));
		json_object_object_add(jo, "export", json_object_new_string(exp));
		json_object_object_add(jo, "size", json_object_new_int64((int64_t)size));
		json_object_object_add(jo, "chunk_size", json_object_new_int64(chunk));
		json_object_object_add(jo, "diff", json_object_new_string(diff));
		json_object_object_add(jo, "diff_max", json_object_new_int64((int64_t)maxsize));
		json_object_object_add(jo, "diff_used", json_object_new_int64((int64_t)used));
		if (!json)
			printf("Volume: %s\n   Backing: %s\n   Live device: %s\n   Size: %" PRIu64
			       " bytes, chunk %" PRIu32 " bytes\n   Diff area: %s (%" PRIu64
			       " of %" PRIu64 " bytes used)\n", name, backing, dev, size, chunk,
			       diff, used, maxsize);
		wire_iter_nest(&sit, &a);
		while (wire_next(&sit, &sa)) {
			struct json_object *jn;
			char ids[VSS_ID_STRLEN], sets[VSS_ID_STRLEN], sdev[64];
			vss_id_t id = { { 0 } }, set = { { 0 } };

			if (sa.tag != CA_SNAPSHOT || sa.kind != WIRE_NEST)
				continue;
			wire_get_id(sa.val, sa.len, CA_ID, &id);
			wire_get_id(sa.val, sa.len, CA_SET, &set);
			str_of(&sa, CA_DEVICE, sdev, sizeof(sdev));
			vss_id_format(&id, ids);
			vss_id_format(&set, sets);
			jn = json_object_new_object();
			json_object_object_add(jn, "id", json_object_new_string(ids));
			json_object_object_add(jn, "set", json_object_new_string(sets));
			json_object_object_add(jn, "device", json_object_new_string(sdev));
			json_object_object_add(jn, "attributes", json_object_new_int64(
				wire_get_u32(sa.val, sa.len, CA_ATTRIBUTES, 0)));
			json_object_array_add(js, jn);
			if (!json)
				printf("   Snapshot: %s device %s\n", ids, sdev);
			nsnap++;
		}
		if (!json)
			printf("   Snapshots: %d\n", nsnap);
		json_object_object_add(jo, "snapshots", js);
		json_object_array_add(jv, jo);
	}
	if (json)
		printf("%s\n", json_object_to_json_string_ext(jv, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(jv);
	free(pl);
	wire_msg_free(&m);
	return 0;
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
		case 's': state_dir = optarg; break;
		case 'S': sock_path = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vss-cowadm %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return 2;
	}
	const char *verb = argv[optind], *obj = argv[optind + 1];

	argc -= optind + 1;
	argv += optind + 1;
	optind = 1;
	if (strcmp(obj, "volume") && strcmp(obj, "volumes"))
		errx(2, "unknown object '%s' (only 'volume')", obj);
	if (!strcmp(verb, "add"))
		return add_main(argc, argv);
	if (!strcmp(verb, "remove") || !strcmp(verb, "delete"))
		return remove_main(argc, argv);
	if (!strcmp(verb, "list"))
		return list_main(argc, argv);
	errx(2, "unknown command '%s'", verb);
}
