/* cowctl-client.c — vss-cowd's control socket, client side (see
 * cowctl-client.h): one request per connection, one reply. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "common/wire.h"
#include "cow/cowd/ctl-proto.h"
#include "cowctl-client.h"

#define DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/vss/cowd"

static char errbuf[1024];

const char *cowctl_error(void)
{
	return errbuf;
}

__attribute__((format(printf, 2, 3)))
static vss_hr_t fail(vss_hr_t hr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return hr;
}

int cowctl_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "BKMGTPE";
	const char *u;
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end && (u = strchr(units, *end >= 'a' ? *end - 'a' + 'A' : *end))) {
		shift = (unsigned)(u - units) * 10;
		end++;
		if (shift && (*end == 'i' || *end == 'I') && (end[1] == 'B' || end[1] == 'b'))
			end += 2;
		else if (shift && (*end == 'B' || *end == 'b'))
			end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int cowctl_parse_max(const char *s, uint64_t *max, uint32_t *pct)
{
	size_t l = s ? strlen(s) : 0;
	char *end;
	unsigned long p;

	*max = 0;
	*pct = 0;
	if (!l)
		return -EINVAL;
	if (strcasecmp(s, "UNBOUNDED") == 0) {
		*max = COWCTL_UNBOUNDED;
		return 0;
	}
	if (s[l - 1] == '%') {
		errno = 0;
		p = strtoul(s, &end, 10);
		if (errno || end != s + l - 1 || *s < '0' || *s > '9' || p < 1 || p > 100)
			return -EINVAL;
		*pct = (uint32_t)p;
		return 0;
	}
	if (cowctl_parse_size(s, max) || !*max || *max == COWCTL_UNBOUNDED)
		return -EINVAL;
	return 0;
}

/* An absolute path for the daemon, which does not share our cwd; the file
 * itself may not exist yet.  NULL (and the error set) on failure. */
static char *abs_path(const char *p)
{
	char *d = strdup(p), *b = strdup(p), real[PATH_MAX], *out = NULL;

	if (!d || !b)
		fail(E_OUTOFMEMORY, "out of memory");
	else if (!realpath(dirname(d), real))
		fail(E_INVALIDARG, "%s: %s", p, strerror(errno));
	else if (asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "", basename(b)) < 0)
		out = NULL;
	free(d);
	free(b);
	return out;
}

/* Sends m; on success *pl is the reply payload (to free). */
static vss_hr_t call(const struct cowctl *c, struct wire_msg *m, uint8_t **pl, size_t *plen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct wire_rx rx = { 0 };
	struct wire_hdr h;
	const uint8_t *rpl;
	char *msg;
	vss_hr_t hr;
	int fd, r;

	if (c->socket)
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->socket);
	else
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s",
			 c->state_dir ? c->state_dir : DEFAULT_STATE_DIR, COWD_CTL_SOCKET);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		hr = fail(VSS_E_UNEXPECTED, "cannot reach vss-cowd at %s: %s", sa.sun_path,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		return hr;
	}
	if (wire_msg_finish(m) || wire_send(fd, m)) {
		close(fd);
		return fail(VSS_E_UNEXPECTED, "cannot send the request to vss-cowd");
	}
	r = wire_recv(fd, &rx, 120000, &h, &rpl);
	close(fd);
	if (r < 0) {
		wire_rx_free(&rx);
		return fail(VSS_E_UNEXPECTED, "no answer from vss-cowd: %s", strerror(-r));
	}
	hr = (vss_hr_t)wire_get_u32(rpl, h.len, CA_HR, (uint32_t)VSS_E_UNEXPECTED);
	if (VSS_FAILED(hr)) {
		msg = wire_get_str(rpl, h.len, CA_MESSAGE);
		fail(hr, "%s", msg ? msg : "failed");
		free(msg);
	} else if ((*pl = malloc(h.len + 1))) {
		memcpy(*pl, rpl, h.len);
		*plen = h.len;
	} else {
		hr = fail(E_OUTOFMEMORY, "out of memory");
	}
	wire_rx_free(&rx);
	return hr;
}

vss_hr_t cowctl_add_volume(const struct cowctl *c, const struct cowctl_volume_args *a)
{
	struct wire_msg m;
	char *b, *d = NULL, *dev;
	uint8_t *pl = NULL;
	size_t len = 0;
	vss_hr_t hr;

	if (!a->name || !a->backing)
		return fail(E_INVALIDARG, "add volume needs a name and a backing file or device");
	if (a->create && !a->size)
		return fail(E_INVALIDARG, "creating a backing file needs a size");
	if (a->sparse && !a->create)
		return fail(E_INVALIDARG, "sparse applies to a backing file being created");
	b = abs_path(a->backing);
	if (!b || (a->diff && !(d = abs_path(a->diff)))) {
		free(b);
		return E_INVALIDARG;
	}
	wire_msg_init(&m, COWCTL_ADD_VOLUME, 1);
	wire_put_str(&m, CA_NAME, a->name);
	wire_put_str(&m, CA_BACKING, b);
	wire_put_str(&m, CA_DIFF, d);	/* NULL: not sent */
	free(b);
	free(d);
	if (a->size)
		wire_put_u64(&m, CA_SIZE, a->size);
	wire_put_u32(&m, CA_CREATE, a->create ? CA_CREATE_FILE |
		     (a->sparse ? CA_CREATE_SPARSE : 0) : 0);
	if (a->maxsize)
		wire_put_u64(&m, CA_MAXSIZE, a->maxsize);
	if (a->chunk)
		wire_put_u32(&m, CA_CHUNK, a->chunk);
	hr = call(c, &m, &pl, &len);
	if (VSS_SUCCEEDED(hr)) {
		dev = wire_get_str(pl, len, CA_DEVICE);
		printf("%s\n", dev ? dev : "");
		free(dev);
	}
	free(pl);
	wire_msg_free(&m);
	return hr;
}

vss_hr_t cowctl_remove_volume(const struct cowctl *c, const char *name, bool force)
{
	struct wire_msg m;
	uint8_t *pl = NULL;
	size_t len;
	vss_hr_t hr;

	if (!name)
		return fail(E_INVALIDARG, "remove volume needs a name");
	wire_msg_init(&m, COWCTL_REMOVE_VOLUME, 1);
	wire_put_str(&m, CA_NAME, name);
	wire_put_u32(&m, CA_FORCE, force);
	hr = call(c, &m, &pl, &len);
	free(pl);
	wire_msg_free(&m);
	return hr;
}

vss_hr_t cowctl_stop(const struct cowctl *c, bool detach)
{
	struct wire_msg m;
	uint8_t *pl = NULL;
	size_t len;
	vss_hr_t hr;

	wire_msg_init(&m, COWCTL_STOP, 1);
	wire_put_u32(&m, CA_FORCE, detach);
	hr = call(c, &m, &pl, &len);
	free(pl);
	wire_msg_free(&m);
	return hr;
}

static const char *str_of(const struct wire_attr *nest, uint16_t tag, char *buf, size_t len)
{
	char *s = wire_get_str(nest->val, nest->len, tag);

	snprintf(buf, len, "%s", s ? s : "");
	free(s);
	return buf;
}

static void print_json(const struct cowctl *c, struct json_object *arr)
{
	struct json_object *o = arr;

	if (c->json_key) {
		o = json_object_new_object();
		json_object_object_add(o, c->json_key, arr);
	}
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

vss_hr_t cowctl_list_volumes(const struct cowctl *c, bool json)
{
	struct json_object *jv;
	struct wire_iter it, sit;
	struct wire_attr a, sa;
	struct wire_msg m;
	uint8_t *pl = NULL;
	size_t len;
	vss_hr_t hr;

	wire_msg_init(&m, COWCTL_LIST_VOLUMES, 1);
	hr = call(c, &m, &pl, &len);
	wire_msg_free(&m);
	if (VSS_FAILED(hr))
		return hr;
	jv = json_object_new_array();
	wire_iter_init(&it, pl, len);
	while (wire_next(&it, &a)) {
		char name[128], backing[PATH_MAX], diff[PATH_MAX], dev[64], exp[PATH_MAX];
		char why[512], warning[PATH_MAX + 512];
		struct json_object *jo, *js, *jm;
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
		str_of(&a, CA_UNAVAILABLE, why, sizeof(why));
		str_of(&a, CA_WARNING, warning, sizeof(warning));
		jo = json_object_new_object();
		json_object_object_add(jo, "name", json_object_new_string(name));
		if (why[0]) {
			/* registered, not opened: what it is, and why (backing
			 * and diff area unknown, null, if its record is
			 * unreadable) */
			json_object_object_add(jo, "backing", backing[0] ?
					       json_object_new_string(backing) : NULL);
			json_object_object_add(jo, "state", json_object_new_string("unavailable"));
			json_object_object_add(jo, "error", json_object_new_string(why));
			json_object_object_add(jo, "diff", diff[0] ?
					       json_object_new_string(diff) : NULL);
			json_object_array_add(jv, jo);
			if (!json)
				printf("Volume: %s\n   Backing: %s\n   Diff area: %s\n"
				       "   State: unavailable: %s\n", name,
				       backing[0] ? backing : "(unknown)",
				       diff[0] ? diff : "(unknown)", why);
			continue;
		}
		json_object_object_add(jo, "backing", json_object_new_string(backing));
		js = json_object_new_array();
		json_object_object_add(jo, "state", json_object_new_string("online"));
		json_object_object_add(jo, "device", json_object_new_string(dev));
		json_object_object_add(jo, "export", json_object_new_string(exp));
		json_object_object_add(jo, "size", json_object_new_int64((int64_t)size));
		json_object_object_add(jo, "chunk_size", json_object_new_int64(chunk));
		json_object_object_add(jo, "diff", json_object_new_string(diff));
		json_object_object_add(jo, "diff_max", json_object_new_int64((int64_t)maxsize));
		json_object_object_add(jo, "diff_used", json_object_new_int64((int64_t)used));
		json_object_object_add(jo, "warning", warning[0] ?
				       json_object_new_string(warning) : NULL);
		if (!json)
			printf("Volume: %s\n   Backing: %s\n   Live device: %s\n", name, backing,
			       dev);
		/* where the live device is mounted, one attribute each */
		jm = json_object_new_array();
		wire_iter_nest(&sit, &a);
		while (wire_next(&sit, &sa)) {
			char *mp;

			if (sa.tag != CA_MOUNT_POINT || !(mp = wire_attr_str(&sa)))
				continue;
			json_object_array_add(jm, json_object_new_string(mp));
			if (!json)
				printf("   Mounted at: %s\n", mp);
			free(mp);
		}
		json_object_object_add(jo, "mount_points", jm);
		if (!json) {
			printf("   Size: %" PRIu64 " bytes, chunk %" PRIu32 " bytes\n   Diff area: %s (%"
			       PRIu64 " of ", size, chunk, diff, used);
			if (maxsize == COWCTL_UNBOUNDED)
				printf("UNBOUNDED bytes used)\n");
			else
				printf("%" PRIu64 " bytes used)\n", maxsize);
		}
		wire_iter_nest(&sit, &a);
		while (wire_next(&sit, &sa)) {
			struct json_object *jn;
			char ids[VSS_ID_STRLEN], sets[VSS_ID_STRLEN], sdev[64], exposed[PATH_MAX];
			vss_id_t id = { { 0 } }, set = { { 0 } };

			if (sa.tag != CA_SNAPSHOT || sa.kind != WIRE_NEST)
				continue;
			wire_get_id(sa.val, sa.len, CA_ID, &id);
			wire_get_id(sa.val, sa.len, CA_SET, &set);
			str_of(&sa, CA_DEVICE, sdev, sizeof(sdev));
			str_of(&sa, CA_EXPOSED, exposed, sizeof(exposed));
			vss_id_format(&id, ids);
			vss_id_format(&set, sets);
			jn = json_object_new_object();
			json_object_object_add(jn, "id", json_object_new_string(ids));
			json_object_object_add(jn, "set", json_object_new_string(sets));
			json_object_object_add(jn, "device", json_object_new_string(sdev));
			json_object_object_add(jn, "attributes", json_object_new_int64(
				wire_get_u32(sa.val, sa.len, CA_ATTRIBUTES, 0)));
			json_object_object_add(jn, "exposed", exposed[0] ?
					       json_object_new_string(exposed) : NULL);
			json_object_array_add(js, jn);
			if (!json)
				printf("   Snapshot: %s device %s%s%s\n", ids, sdev,
				       exposed[0] ? " exposed " : "", exposed);
			nsnap++;
		}
		if (!json)
			printf("   Snapshots: %d\n", nsnap);
		if (!json && warning[0])
			printf("   Warning: %s\n", warning);
		json_object_object_add(jo, "snapshots", js);
		json_object_array_add(jv, jo);
	}
	if (json)
		print_json(c, jv);
	else
		json_object_put(jv);
	free(pl);
	return hr;
}

vss_hr_t cowctl_storage(const struct cowctl *c, int code, const char *for_vol,
			const char *on, uint64_t max, uint32_t pct)
{
	struct wire_msg m;
	uint8_t *pl = NULL;
	size_t len;
	char *aon = NULL;
	vss_hr_t hr;

	if (!for_vol)
		return fail(E_INVALIDARG, "the volume (--for) is missing");
	if (code == COWCTL_ADD_STORAGE && !on)
		return fail(E_INVALIDARG, "the storage (--on) is missing");
	if (code == COWCTL_RESIZE_STORAGE && !max && !pct)
		return fail(E_INVALIDARG, "the maximum (--maxsize) is missing");
	if (on && !(aon = abs_path(on)))
		return E_INVALIDARG;
	wire_msg_init(&m, (uint16_t)code, 1);
	wire_put_str(&m, CA_NAME, for_vol);
	wire_put_str(&m, CA_ON, aon);	/* NULL: not sent */
	if (max)
		wire_put_u64(&m, CA_MAXSIZE, max);
	if (pct)
		wire_put_u32(&m, CA_MAXPCT, pct);
	hr = call(c, &m, &pl, &len);
	free(aon);
	free(pl);
	wire_msg_free(&m);
	return hr;
}

/* "1.50 MB" style, as vssadmin prints sizes. */
static const char *human(uint64_t b, char *buf, size_t len)
{
	static const char *const u[] = { "B", "KB", "MB", "GB", "TB", "PB", "EB" };
	double x = (double)b;
	int i = 0;

	while (x >= 1024 && i < 6) {
		x /= 1024;
		i++;
	}
	if (i)
		snprintf(buf, len, "%.2f %s", x, u[i]);
	else
		snprintf(buf, len, "%" PRIu64 " B", b);
	return buf;
}

vss_hr_t cowctl_list_storage(const struct cowctl *c, const char *for_vol, const char *on,
			     bool json)
{
	struct json_object *jv;
	struct wire_iter it;
	struct wire_attr a;
	struct wire_msg m;
	uint8_t *pl = NULL;
	size_t len;
	char *aon = NULL;
	int n = 0;
	vss_hr_t hr;

	if (on && !(aon = abs_path(on)))
		return E_INVALIDARG;
	wire_msg_init(&m, COWCTL_LIST_STORAGE, 1);
	wire_put_str(&m, CA_NAME, for_vol);
	wire_put_str(&m, CA_ON, aon);
	free(aon);
	hr = call(c, &m, &pl, &len);
	wire_msg_free(&m);
	if (VSS_FAILED(hr))
		return hr;
	jv = json_object_new_array();
	wire_iter_init(&it, pl, len);
	while (wire_next(&it, &a)) {
		char name[128], dev[64], where[PATH_MAX], diff[PATH_MAX], h1[32], h2[32], h3[32];
		uint64_t max = wire_get_u64(a.val, a.len, CA_MAXSIZE, 0);
		uint64_t alloc = wire_get_u64(a.val, a.len, CA_ALLOCATED, 0);
		uint64_t used = wire_get_u64(a.val, a.len, CA_DIFF_USED, 0);
		uint64_t size = wire_get_u64(a.val, a.len, CA_SIZE, 0);
		bool expl = wire_get_u32(a.val, a.len, CA_EXPLICIT, 0);
		struct json_object *jo;

		if (a.tag != CA_STORAGE || a.kind != WIRE_NEST)
			continue;
		str_of(&a, CA_NAME, name, sizeof(name));
		str_of(&a, CA_DEVICE, dev, sizeof(dev));
		str_of(&a, CA_ON, where, sizeof(where));
		str_of(&a, CA_DIFF, diff, sizeof(diff));
		jo = json_object_new_object();
		json_object_object_add(jo, "volume", json_object_new_string(name));
		json_object_object_add(jo, "device", json_object_new_string(dev));
		json_object_object_add(jo, "on", json_object_new_string(where));
		json_object_object_add(jo, "diff", json_object_new_string(diff));
		json_object_object_add(jo, "volume_size", json_object_new_int64((int64_t)size));
		json_object_object_add(jo, "used", json_object_new_int64((int64_t)used));
		json_object_object_add(jo, "allocated", json_object_new_int64((int64_t)alloc));
		/* -1: unbounded, as VSS_DIFF_AREA_PROP's m_llMaximumDiffSpace */
		json_object_object_add(jo, "maximum", json_object_new_int64((int64_t)max));
		json_object_object_add(jo, "explicit", json_object_new_boolean(expl));
		json_object_array_add(jv, jo);
		n++;
		if (json)
			continue;
		printf("Shadow Copy Storage association\n"
		       "   For volume: (%s)%s\n"
		       "   Shadow Copy Storage volume: %s%s\n"
		       "   Diff area: %s\n"
		       "   Used Shadow Copy Storage space: %" PRIu64 " bytes (%s)\n"
		       "   Allocated Shadow Copy Storage space: %" PRIu64 " bytes (%s)\n",
		       name, dev, where, expl ? "" : " (default)", diff, used,
		       human(used, h1, sizeof(h1)), alloc, human(alloc, h2, sizeof(h2)));
		if (max == COWCTL_UNBOUNDED)
			printf("   Maximum Shadow Copy Storage space: UNBOUNDED\n\n");
		else
			printf("   Maximum Shadow Copy Storage space: %" PRIu64 " bytes (%s, %"
			       PRIu64 "%%)\n\n", max, human(max, h3, sizeof(h3)),
			       size ? (uint64_t)((double)max * 100 / (double)size) : 0);
	}
	if (json)
		print_json(c, jv);
	else
		json_object_put(jv);
	if (!n && !json)
		printf("No items found that satisfy the query.\n");
	free(pl);
	return hr;
}
