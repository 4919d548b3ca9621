/* vss-coordbench — what coordinating writers costs: DoSnapshotSet with 0,
 * 1, 10 and 100 writers whose handlers return at once, on a private vssd,
 * with an empty snapshot set (no provider, no I/O), so that only the
 * coordination is measured.  Reports median and 99th percentile and the
 * ratio to the 0-writer baseline measured in the same run.  See
 * vss-coordbench(1). */
#include "config.h"
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vss/backup.h>
#include <vss/writer.h>

static bool yes(vss_writer_t *w, void *u)
{
	return true;
}

static const struct vss_writer_ops ops = {
	.struct_size = sizeof(struct vss_writer_ops),
	.on_prepare_snapshot = yes,
	.on_freeze = yes,
	.on_thaw = yes,
	.on_abort = yes,
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void check(vss_hr_t hr, const char *what)
{
	if (VSS_FAILED(hr))
		errx(2, "%s: %s", what, vss_last_error());
}

static void wait_async(vss_async_t *a, const char *what)
{
	vss_hr_t st = S_OK;

	check(vss_async_wait(a, -1), what);
	check(vss_async_query_status(a, &st), what);
	if (st != VSS_S_ASYNC_FINISHED)
		errx(2, "%s ended with 0x%08x", what, (unsigned)st);
	vss_async_free(a);
}

/* One backup; returns the DoSnapshotSet time in ms. */
static double one_round(const char *sock)
{
	vss_backup_t *b;
	vss_async_t *a;
	vss_id_t set;
	double t0, t;

	check(vss_backup_new(&b, sock), "connect");
	check(vss_backup_initialize_for_backup(b, NULL), "InitializeForBackup");
	check(vss_backup_set_backup_state(b, false, false, VSS_BT_FULL, false), "SetBackupState");
	check(vss_backup_gather_writer_metadata(b, &a), "GatherWriterMetadata");
	wait_async(a, "GatherWriterMetadata");
	check(vss_backup_start_snapshot_set(b, &set), "StartSnapshotSet");
	check(vss_backup_prepare_for_backup(b, &a), "PrepareForBackup");
	wait_async(a, "PrepareForBackup");
	t0 = now_ms();
	check(vss_backup_do_snapshot_set(b, &a), "DoSnapshotSet");
	wait_async(a, "DoSnapshotSet");
	t = now_ms() - t0;
	check(vss_backup_backup_complete(b, &a), "BackupComplete");
	wait_async(a, "BackupComplete");
	vss_backup_free(b);
	return t;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vss-coordbench [options]\n"
		"\n"
		"Measures DoSnapshotSet coordination with 0, 1, 10 and 100 writers whose\n"
		"handlers return at once, on a private vssd, and prints each as a ratio to\n"
		"the 0-writer baseline of the same run.\n"
		"\n"
		"Options:\n"
		"  -d, --vssd PATH     the vssd to start (default ./vssd, else vssd in PATH)\n"
		"  -r, --rounds N      backups per writer count (default 30)\n"
		"  -j, --json          print one JSON object\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "vssd", required_argument, NULL, 'd' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const int counts[] = { 0, 1, 10, 100 };
	const char *vssd = access("./vssd", X_OK) == 0 ? "./vssd" : "vssd";
	int rounds = 30, c;
	bool json = false;
	char dir[] = "/tmp/vss-coordbench.XXXXXX", sock[256], state[256], logf[256];
	double med[4], p99[4];
	pid_t pid;
	json_object *out, *jr, *jm;

	while ((c = getopt_long(argc, argv, "d:r:jhV", lopts, NULL)) != -1) {
		switch (c) {
		case 'd': vssd = optarg; break;
		case 'r':
			rounds = atoi(optarg);
			if (rounds < 3 || rounds > 100000)
				errx(1, "--rounds must be 3..100000");
			break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vss-coordbench %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (!mkdtemp(dir))
		err(2, "mkdtemp");
	snprintf(sock, sizeof(sock), "%s/vssd.sock", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(logf, sizeof(logf), "%s/vssd.log", dir);
	pid = fork();
	if (pid == 0) {
		if (!freopen(logf, "w", stderr))
			_exit(127);
		execlp(vssd, vssd, "--foreground", "--socket", sock, "--state-dir", state,
		       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		struct stat st;

		if (stat(sock, &st) == 0)
			break;
		usleep(50000);
	}
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		int n = counts[k];
		vss_writer_t **w = calloc(n ? n : 1, sizeof(*w));
		double *t = calloc(rounds, sizeof(double));

		for (int i = 0; i < n; i++) {
			vss_id_t id;
			char name[32];

			vss_id_generate(&id);
			snprintf(name, sizeof(name), "bench-%d", i);
			check(vss_writer_new(&ops, NULL, &w[i]), "writer");
			check(vss_writer_set_socket(w[i], sock), "writer socket");
			check(vss_writer_initialize(w[i], &id, name, VSS_UT_USERDATA, VSS_ST_OTHER,
						    (VSS_APPLICATION_LEVEL)(VSS_APP_SYSTEM + i % 3),
						    60000, NULL, 0, 0), "Initialize");
			check(vss_writer_subscribe(w[i], VSS_SM_BACKUP_EVENTS_FLAG), "Subscribe");
		}
		one_round(sock);	/* warm-up */
		for (int r = 0; r < rounds; r++)
			t[r] = one_round(sock);
		qsort(t, rounds, sizeof(double), cmp);
		med[k] = t[rounds / 2];
		p99[k] = t[(rounds * 99) / 100 < rounds ? (rounds * 99) / 100 : rounds - 1];
		for (int i = 0; i < n; i++) {
			vss_writer_unsubscribe(w[i]);
			vss_writer_free(w[i]);
		}
		free(w);
		free(t);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(logf);
	unlink(sock);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			warnx("could not remove %s", dir);
	}
	if (!json) {
		printf("DoSnapshotSet, empty set, handlers returning at once (%d rounds each)\n",
		       rounds);
		printf("%8s %12s %12s %14s %16s\n", "writers", "median ms", "p99 ms", "ratio to 0",
		       "per writer us");
		for (size_t k = 0; k < 4; k++)
			printf("%8d %12.3f %12.3f %14.2f %16s\n", counts[k], med[k], p99[k],
			       med[k] / med[0],
			       counts[k] ? "" : "(baseline)");
		for (size_t k = 1; k < 4; k++)
			printf("per-writer overhead with %3d writers: %.1f us\n", counts[k],
			       (med[k] - med[0]) * 1000.0 / counts[k]);
		return 0;
	}
	out = json_object_new_object();
	jm = json_object_new_object();
	jr = json_object_new_object();
	for (size_t k = 0; k < 4; k++) {
		json_object *o = json_object_new_object();
		char key[32];

		json_object_object_add(o, "median_ms", json_object_new_double(med[k]));
		json_object_object_add(o, "p99_ms", json_object_new_double(p99[k]));
		snprintf(key, sizeof(key), "%d", counts[k]);
		json_object_object_add(jm, key, o);
		if (k) {
			snprintf(key, sizeof(key), "writers_%d_vs_0", counts[k]);
			json_object_object_add(jr, key, json_object_new_double(med[k] / med[0]));
		}
	}
	json_object_object_add(out, "rounds", json_object_new_int(rounds));
	json_object_object_add(out, "do_snapshot_set", jm);
	json_object_object_add(out, "ratios", jr);
	json_object_object_add(out, "per_writer_us_at_100",
			       json_object_new_double((med[3] - med[0]) * 10.0));
	printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY));
	json_object_put(out);
	return 0;
}
