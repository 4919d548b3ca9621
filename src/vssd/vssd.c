/* vssd — the coordinator (under construction). */
#include "config.h"
#include <stdio.h>
int main(void)
{
	puts("vssd " PACKAGE_VERSION);
	return 0;
}
