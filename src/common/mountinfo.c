/* mountinfo.c — see mountinfo.h.  A line of /proc/self/mountinfo:
 *   36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw
 *   id parent maj:min root point options [optional fields...] - type source
 * (proc(5)); the optional fields end at the " - " separator. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "common/mountinfo.h"

/* Copies the space-ended field at *p into out (cap bytes), undoing the
 * kernel's octal escapes (\040 space, \011 tab, \012 newline, \134
 * backslash), and moves *p past it.  false when the field is missing or
 * does not fit. */
static bool field(const char **p, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ')
		s++;
	if (!*s || *s == '\n')
		return false;
	for (; *s && *s != ' ' && *s != '\n'; s++) {
		char c = *s;

		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			c = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		}
		if (n + 1 >= cap)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	*p = s;
	return true;
}

static bool parse(const char *line, struct mountinfo *m)
{
	const char *p = line, *sep = strstr(line, " - ");
	unsigned maj, min;
	char num[32];

	if (!sep || !field(&p, num, sizeof(num)) || sscanf(num, "%d", &m->id) != 1 ||
	    !field(&p, num, sizeof(num)) || !field(&p, num, sizeof(num)) ||
	    sscanf(num, "%u:%u", &maj, &min) != 2 || !field(&p, m->root, sizeof(m->root)) ||
	    !field(&p, m->point, sizeof(m->point)))
		return false;
	m->dev = makedev(maj, min);
	p = sep + 3;
	if (!field(&p, m->fstype, sizeof(m->fstype)))
		return false;
	/* the source may be empty (mount -t tmpfs "" /x): two spaces */
	m->source[0] = '\0';
	if (p[0] == ' ' && p[1] != ' ' && !field(&p, m->source, sizeof(m->source)))
		m->source[0] = '\0';
	return true;
}

void mountinfo_each_file(FILE *f, bool (*fn)(const struct mountinfo *m, void *arg), void *arg)
{
	struct mountinfo *m = malloc(sizeof(*m));
	char *line = NULL;
	size_t cap = 0;

	if (!m)
		return;
	while (getline(&line, &cap, f) > 0)
		if (parse(line, m) && !fn(m, arg))
			break;
	free(line);
	free(m);
}

int mountinfo_each(bool (*fn)(const struct mountinfo *m, void *arg), void *arg)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	mountinfo_each_file(f, fn, arg);
	fclose(f);
	return 0;
}

dev_t mountinfo_source_rdev(const struct mountinfo *m)
{
	struct stat st;

	/* only a device node: a source elsewhere could sit on a network
	 * filesystem (or a frozen one) and stat could wait */
	if (strncmp(m->source, "/dev/", 5) != 0 || stat(m->source, &st) < 0 ||
	    !S_ISBLK(st.st_mode))
		return 0;
	return st.st_rdev;
}

dev_t mountinfo_bdev(const struct mountinfo *m)
{
	return major(m->dev) == 0 ? mountinfo_source_rdev(m) : m->dev;
}

bool mountinfo_on_bdev(const struct mountinfo *m, dev_t rdev)
{
	return rdev && mountinfo_bdev(m) == rdev;
}

struct pick {
	const char *real;
	bool exact;		/* mountinfo_at */
	size_t best;
	struct mountinfo *out;
	bool found;
};

static bool pick_one(const struct mountinfo *m, void *arg)
{
	struct pick *k = arg;
	size_t n = strlen(m->point);

	if (k->exact ? strcmp(m->point, k->real) != 0 :
	    !(strcmp(m->point, "/") == 0 ||
	      (strncmp(k->real, m->point, n) == 0 && (k->real[n] == '/' || k->real[n] == '\0'))))
		return true;
	if (k->found && n < k->best)
		return true;
	k->best = n;		/* the last of equals: mounted over the others */
	*k->out = *m;
	k->found = true;
	return true;
}

static int pick(const char *real, bool exact, struct mountinfo *out)
{
	struct pick k = { .real = real, .exact = exact, .out = out };
	int r;

	if (!real || real[0] != '/')
		return -EINVAL;
	r = mountinfo_each(pick_one, &k);
	return r < 0 ? r : k.found ? 0 : -ENOENT;
}

int mountinfo_holding(const char *real, struct mountinfo *out)
{
	return pick(real, false, out);
}

int mountinfo_at(const char *real, struct mountinfo *out)
{
	return pick(real, true, out);
}
