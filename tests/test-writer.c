/* test-writer — a TEST PROGRAM, never installed: a configurable writer for
 * the coordinator's conformance tests.
 *
 *   test-writer --name N [--class-id GUID] [--level front|back|system]
 *               [--freeze-timeout MS] [--log FILE] [--socket PATH]
 *               [--component LOGICALPATH:NAME[:selectable]]
 *               [--files PATH:SPEC[:recursive]]...
 *               [--veto EVENT] [--fail EVENT:HR] [--sleep EVENT:MS]
 *               [--die EVENT] [--count K] [--reconnect] [--help]
 *
 * EVENT is an event name as proto_event_name() spells it ("Freeze",
 * "PrepareForSnapshot") or dashed ("freeze", "prepare-snapshot"); every
 * fault option may be repeated for several events.  The class id defaults
 * to one derived from the name (the same name gives the same class).
 *
 * Log format (--log FILE, opened O_APPEND, one write(2) per line, so
 * several writers and processes may share one file):
 *
 *   <name> <EventName> session=<id> set=<id>
 *
 * written when the handler starts, before any fault is injected.  <id> is
 * "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" in lower case; set= is the null
 * GUID when the event carries no snapshot set (Identify, PrepareForBackup).
 * An Abort raised by the library itself because the freeze timer expired
 * before Thaw ends with " by=timer".
 *
 * Faults, in this order inside the handler: --sleep MS, then --die (_exit(9)
 * at once), then --fail (vss_writer_set_failure(HR), return true), then
 * --veto (vss_writer_set_failure(VSS_E_WRITERERROR_RETRYABLE), return
 * false).
 *
 * --count K runs K writer instances of the class in one process, named
 * N-1 ... N-K.  "ready" is printed on stdout once every instance is
 * subscribed.  The program runs until SIGTERM or SIGINT (then unsubscribes
 * and exits 0).  When vssd goes away it exits 3, or with --reconnect it
 * subscribes again every 100 ms. */
#include "config.h"
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vss/writer.h>
#include "common/proto.h"
#include "tools/writer-opts.h"

struct instance {
	vss_writer_t *w;
	char name[256];
};

static struct writer_opts opts;
static int log_fd = -1;
static bool veto[EV_COUNT], die[EV_COUNT], fail[EV_COUNT];
static vss_hr_t fail_hr[EV_COUNT];
static uint32_t sleep_ms[EV_COUNT];
static char *pad_caption;	/* --caption-bytes: 3 components with long captions */

static vss_hr_t add_pads(vss_wmd_t *md)
{
	vss_hr_t hr = S_OK;

	for (int i = 0; pad_caption && VSS_SUCCEEDED(hr) && i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "pad%d", i);
		hr = vss_wmd_add_component(md, VSS_CT_FILEGROUP, NULL, name, pad_caption, NULL,
					   0, false, false, true, true, 0);
	}
	return hr;
}

static void log_event(struct instance *in, int ev)
{
	char line[512], sid[VSS_ID_STRLEN], set[VSS_ID_STRLEN];
	vss_id_t session = VSS_ID_NULL, setid = VSS_ID_NULL;
	bool by_timer = false;
	int n;

	vss_writer_get_session_id(in->w, &session);
	if (vss_writer_get_current_snapshot_set_id(in->w, &setid) != S_OK)
		setid = VSS_ID_NULL;
	if (ev == EV_ABORT)
		vss_writer_is_freeze_timeout_abort(in->w, &by_timer);
	n = snprintf(line, sizeof(line), "%s %s session=%s set=%s%s\n", in->name,
		     proto_event_name(ev), vss_id_format(&session, sid),
		     vss_id_format(&setid, set), by_timer ? " by=timer" : "");
	if ((size_t)n < sizeof(line))
		wopts_log_line(log_fd, line, n);
}

static const char usage_text[] =
"Usage: test-writer --name N [options]   (a test program; see its source)\n"
"  --class-id GUID  --level front|back|system  --freeze-timeout MS\n"
"  --log FILE  --socket PATH  --component LP:NAME[:selectable]\n"
"  --files PATH:SPEC[:recursive]  --veto EVENT  --fail EVENT:HR\n"
"  --sleep EVENT:MS  --die EVENT  --count K  --reconnect  --caption-bytes N\n"
"  --help\n";

static bool handle(vss_writer_t *w, int ev, vss_wmd_t *md, void *user)
{
	struct instance *in = user;

	if (md && (VSS_FAILED(wopts_fill_wmd(&opts, md)) || VSS_FAILED(add_pads(md))))
		fprintf(stderr, "test-writer: %s\n", vss_last_error());
	log_event(in, ev);
	if (sleep_ms[ev]) {
		struct timespec ts = {
			.tv_sec = sleep_ms[ev] / 1000,
			.tv_nsec = (long)(sleep_ms[ev] % 1000) * 1000000,
		};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (die[ev])
		_exit(9);
	if (fail[ev] && ev != EV_IDENTIFY)
		vss_writer_set_failure(w, fail_hr[ev]);
	if (veto[ev]) {
		if (ev != EV_IDENTIFY)
			vss_writer_set_failure(w, VSS_E_WRITERERROR_RETRYABLE);
		return false;
	}
	return true;
}

static int event_arg(const char *s)
{
	int ev = wopts_event(s);

	if (ev < 0)
		errx(2, "unknown event '%s'", s);
	return ev;
}

int main(int argc, char **argv)
{
	enum { OPT_CLASS = 256, OPT_LEVEL, OPT_FREEZE, OPT_LOG, OPT_SOCKET, OPT_COMPONENT,
	       OPT_FILES, OPT_VETO, OPT_FAIL, OPT_SLEEP, OPT_DIE, OPT_COUNT, OPT_RECONNECT,
	       OPT_CAPTION };
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "class-id", required_argument, NULL, OPT_CLASS },
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "freeze-timeout", required_argument, NULL, OPT_FREEZE },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "component", required_argument, NULL, OPT_COMPONENT },
		{ "files", required_argument, NULL, OPT_FILES },
		{ "veto", required_argument, NULL, OPT_VETO },
		{ "fail", required_argument, NULL, OPT_FAIL },
		{ "sleep", required_argument, NULL, OPT_SLEEP },
		{ "die", required_argument, NULL, OPT_DIE },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "reconnect", no_argument, NULL, OPT_RECONNECT },
		{ "caption-bytes", required_argument, NULL, OPT_CAPTION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *socket_path = NULL, *val;
	struct instance *inst;
	uint32_t count = 1;
	bool reconnect = false;
	sigset_t sigs;
	int c, ev, rc = 0;

	wopts_init(&opts);
	while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			free(opts.name);
			opts.name = strdup(optarg);
			break;
		case OPT_CLASS:
			if (vss_id_parse(optarg, &opts.class_id))
				errx(2, "bad GUID '%s'", optarg);
			break;
		case OPT_LEVEL:
			if (wopts_level(optarg, &opts.level))
				errx(2, "bad level '%s' (front, back or system)", optarg);
			break;
		case OPT_FREEZE:
			if (wopts_ms(optarg, &opts.freeze_timeout))
				errx(2, "bad freeze timeout '%s'", optarg);
			break;
		case OPT_CAPTION: {
			uint32_t n;

			if (wopts_ms(optarg, &n) || !n || n > (16u << 20))
				errx(2, "bad --caption-bytes '%s'", optarg);
			free(pad_caption);
			pad_caption = malloc(n + 1);
			if (!pad_caption)
				errx(2, "out of memory");
			memset(pad_caption, 'c', n);
			pad_caption[n] = '\0';
			break;
		}
		case OPT_LOG:
			log_fd = open(optarg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (log_fd < 0)
				errx(2, "cannot open log '%s'", optarg);
			break;
		case OPT_SOCKET:
			socket_path = optarg;
			break;
		case OPT_COMPONENT:
			if (wopts_add_component(&opts, optarg))
				errx(2, "bad component '%s' (LOGICALPATH:NAME[:selectable])",
					    optarg);
			break;
		case OPT_FILES:
			if (wopts_add_files(&opts, optarg))
				errx(2, "bad files '%s' (PATH:SPEC[:recursive] after "
					    "--component)", optarg);
			break;
		case OPT_VETO:
			veto[event_arg(optarg)] = true;
			break;
		case OPT_DIE:
			die[event_arg(optarg)] = true;
			break;
		case OPT_FAIL:
			if (wopts_event_value(optarg, &ev, &val) || vss_hr_parse(val, &fail_hr[ev]))
				errx(2, "bad --fail '%s' (EVENT:HR)", optarg);
			fail[ev] = true;
			break;
		case OPT_SLEEP:
			if (wopts_event_value(optarg, &ev, &val) || wopts_ms(val, &sleep_ms[ev]))
				errx(2, "bad --sleep '%s' (EVENT:MS)", optarg);
			break;
		case OPT_COUNT:
			if (wopts_ms(optarg, &count) || count < 1 || count > 10000)
				errx(2, "bad count '%s'", optarg);
			break;
		case OPT_RECONNECT:
			reconnect = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			exit(2);
		}
	}
	if (!opts.name || optind != argc)
		errx(2, "%s", "usage: test-writer --name NAME [options] (try --help)");
	wopts_finish(&opts);

	/* Signals are taken with sigtimedwait; threads inherit the mask. */
	wopts_block_term(&sigs);

	inst = calloc(count, sizeof(*inst));
	if (!inst)
		errx(2, "%s", "out of memory");
	for (uint32_t i = 0; i < count; i++) {
		struct instance *in = &inst[i];

		if (count == 1)
			snprintf(in->name, sizeof(in->name), "%s", opts.name);
		else
			snprintf(in->name, sizeof(in->name), "%s-%u", opts.name, i + 1);
		if (vss_writer_new(wopts_generic_ops(handle), in, &in->w) ||
		    vss_writer_set_socket(in->w, socket_path) ||
		    vss_writer_initialize(in->w, &opts.class_id, in->name, opts.usage,
					  opts.source, opts.level, opts.freeze_timeout,
					  count > 1 ? in->name : opts.instance_name, 1, 0) ||
		    vss_writer_subscribe(in->w, 0)) {
			fprintf(stderr, "test-writer: %s: %s\n", in->name, vss_last_error());
			rc = 1;
			goto out;
		}
	}
	printf("ready\n");
	fflush(stdout);

	for (;;) {
		if (wopts_term_received(&sigs, 100))
			break;
		for (uint32_t i = 0; i < count; i++) {
			if (vss_writer_wait(inst[i].w, 0) != VSS_E_WRITER_INFRASTRUCTURE)
				continue;
			if (!reconnect) {
				fprintf(stderr, "test-writer: %s: %s\n", inst[i].name,
					vss_last_error());
				rc = 3;
				goto out;
			}
			vss_writer_subscribe(inst[i].w, 0);
		}
	}
out:
	for (uint32_t i = 0; i < count; i++)
		vss_writer_free(inst[i].w);
	free(inst);
	wopts_free(&opts);
	if (log_fd >= 0)
		close(log_fd);
	return rc;
}
