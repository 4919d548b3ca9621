/* test-seqwriter — a TEST PROGRAM, never installed: writes a growing
 * sequence number to several targets in a fixed order, so that a snapshot
 * set taken at one instant can be checked for atomicity.
 *
 *   test-seqwriter DEV...            block mode (default)
 *   test-seqwriter --append FILE...  file mode
 *   test-seqwriter --read DEV...     prints "N" per device, one a line
 *   test-seqwriter --last FILE...    prints the last line of each file
 *
 * Block mode: for N = 1, 2, ... it writes "seq N" (a 4096-byte block,
 * O_DIRECT, offset 0) to the first device, then to the second, and so on;
 * each pwrite has returned before the next starts.  File mode: it appends
 * the line "N" to each file in turn, fsync after each.  At any one instant
 * the targets hold N(1) >= N(2) >= ... >= N(k) and N(1) - N(k) <= 1.
 *
 * "ready" is printed on stdout once the first round is written; the
 * program runs until SIGTERM or SIGINT, then prints "rounds N" and exits 0.
 * Any I/O error ends it with exit 1. */
#include "config.h"
#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLK 4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void *block(void)
{
	void *b;

	if (posix_memalign(&b, BLK, BLK))
		err(1, "posix_memalign");
	memset(b, 0, BLK);
	return b;
}

static int read_seq(const char *dev)
{
	char *b = block();
	int fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	unsigned long long n;

	if (fd < 0)
		err(1, "%s", dev);
	if (pread(fd, b, BLK, 0) != BLK)
		err(1, "%s: read", dev);
	close(fd);
	b[BLK - 1] = '\0';
	if (sscanf(b, "seq %llu", &n) != 1)
		n = 0;
	printf("%llu\n", n);
	free(b);
	return 0;
}

static int last_line(const char *path)
{
	char line[64], last[64] = "0\n";
	FILE *f = fopen(path, "re");

	if (!f)
		err(1, "%s", path);
	while (fgets(line, sizeof(line), f))
		if (line[0] && line[strlen(line) - 1] == '\n')
			memcpy(last, line, sizeof(last));
	fclose(f);
	fputs(last, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	enum { BLOCKS, APPEND, READ, LAST } mode = BLOCKS;
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	unsigned long long n;
	int *fds, i, first = 1;
	char *b;

	if (argc > 1 && strcmp(argv[1], "--append") == 0)
		mode = APPEND;
	else if (argc > 1 && strcmp(argv[1], "--read") == 0)
		mode = READ;
	else if (argc > 1 && strcmp(argv[1], "--last") == 0)
		mode = LAST;
	else if (argc > 1 && (strcmp(argv[1], "--help") == 0 || argv[1][0] == '-')) {
		fprintf(argv[1][2] == 'h' ? stdout : stderr,
			"Usage: test-seqwriter [--append|--read|--last] TARGET...\n");
		return argv[1][2] == 'h' ? 0 : 2;
	}
	if (mode != BLOCKS) {
		argv++;
		argc--;
	}
	if (argc < 2)
		errx(2, "no target");
	if (mode == READ || mode == LAST) {
		for (i = 1; i < argc; i++)
			(mode == READ ? read_seq : last_line)(argv[i]);
		return 0;
	}
	fds = calloc((size_t)argc, sizeof(*fds));
	if (!fds)
		err(1, "calloc");
	for (i = 1; i < argc; i++) {
		fds[i] = mode == BLOCKS ? open(argv[i], O_WRONLY | O_DIRECT | O_CLOEXEC) :
			open(argv[i], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fds[i] < 0)
			err(1, "%s", argv[i]);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	b = block();
	for (n = 1; !stop; n++) {
		for (i = 1; i < argc; i++) {
			if (mode == BLOCKS) {
				snprintf(b, BLK, "seq %llu\n", n);
				if (pwrite(fds[i], b, BLK, 0) != BLK)
					err(1, "%s: write %llu", argv[i], n);
			} else {
				int len = snprintf(b, BLK, "%llu\n", n);

				if (write(fds[i], b, (size_t)len) != len || fsync(fds[i]) < 0)
					err(1, "%s: append %llu", argv[i], n);
			}
		}
		if (first) {
			printf("ready\n");
			fflush(stdout);
			first = 0;
		}
	}
	printf("rounds %llu\n", n - 1);
	free(b);
	free(fds);
	return 0;
}
