/* Build shim while the feed modules are being written; removed when they land. */
#include "fz_cli.h"
int fz_cmd_feeds(int argc, char **argv)
{
	fputs("fangzha feeds: not built yet\n", stderr);
	return FZ_EXIT_FAIL;
}
int fz_cmd_compile_config(const char *config, const char *output)
{
	fputs("fangzha compile --config: not built yet\n", stderr);
	return FZ_EXIT_FAIL;
}
