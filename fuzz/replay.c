/* replay.c — runs a fuzz target's LLVMFuzzerTestOneInput on the files
 * named (a directory: every regular file in it), once each, without
 * libFuzzer: `make check` (tests/test-fuzz-corpus.sh) replays every seed
 * and every crash kept in fuzz/corpus through every target with the
 * compiler of the build, so that the targets cannot rot and a crash once
 * found stays fixed.  A target that finds a defect aborts. */
#include "config.h"
#include <dirent.h>
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned replayed;

static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		err(2, "%s", path);
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				err(2, "memory");
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	if (ferror(f))
		err(2, "%s", path);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	replayed++;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent *de;
		DIR *d;

		if (stat(argv[i], &st) < 0)
			err(2, "%s", argv[i]);
		if (!S_ISDIR(st.st_mode)) {
			replay_file(argv[i]);
			continue;
		}
		d = opendir(argv[i]);
		if (!d)
			err(2, "%s", argv[i]);
		while ((de = readdir(d))) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				replay_file(path);
		}
		closedir(d);
	}
	printf("%s: %u input%s replayed\n", argv[0], replayed, replayed == 1 ? "" : "s");
	return 0;
}
