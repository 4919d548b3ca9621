/* loopdev.c — attaching an export file to a loop device.
 *
 * LOOP_CONFIGURE with LO_FLAGS_DIRECT_IO (without it the loop driver does
 * one buffered request at a time: 7-20 % of the backing's throughput, see
 * frontend-measurements) and LO_FLAGS_AUTOCLEAR: vss-cowd keeps the loop
 * device open, so when it dies the device detaches itself as soon as no
 * filesystem uses it any more. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/log.h"
#include "cow/cowd/cowd.h"

int loop_attach(const char *file, bool ro, char *dev, size_t devlen, dev_t *rdev, int *fdp)
{
	struct loop_config lc;
	struct stat st;
	int ctl, ffd, lfd = -1, r = -EBUSY;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	ffd = open(file, (ro ? O_RDONLY : O_RDWR) | O_DIRECT | O_CLOEXEC);
	if (ffd < 0) {
		r = -errno;
		close(ctl);
		return r;
	}
	for (int tries = 0; tries < 16 && r == -EBUSY; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (n < 0) {
			r = -errno;
			break;
		}
		snprintf(dev, devlen, "/dev/loop%d", n);
		lfd = open(dev, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (lfd < 0) {
			r = -errno;
			break;
		}
		memset(&lc, 0, sizeof(lc));
		lc.fd = (uint32_t)ffd;
		lc.info.lo_flags = LO_FLAGS_DIRECT_IO | LO_FLAGS_AUTOCLEAR |
			(ro ? LO_FLAGS_READ_ONLY : 0);
		snprintf((char *)lc.info.lo_file_name, sizeof(lc.info.lo_file_name), "%s", file);
		if (ioctl(lfd, LOOP_CONFIGURE, &lc) == 0) {
			r = 0;
			break;
		}
		r = -errno;
		close(lfd);
		lfd = -1;
	}
	close(ffd);
	close(ctl);
	if (r)
		return r;
	if (fstat(lfd, &st) < 0) {
		r = -errno;
		loop_detach(lfd, dev);
		return r;
	}
	*rdev = st.st_rdev;
	*fdp = lfd;
	return 0;
}

/* With autoclear set, LOOP_CLR_FD on a device still in use (mounted)
 * only marks it; it detaches when the last user goes. */
void loop_detach(int fd, const char *dev)
{
	if (fd < 0)
		return;
	if (ioctl(fd, LOOP_CLR_FD, 0) < 0 && errno != ENXIO)
		log_warn("%s: detach: %s", dev, strerror(errno));
	close(fd);
}
