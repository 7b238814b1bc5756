/* The one command-line parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "errors.h"
#include "options.h"

static const struct fc_prog prog = {
	.name = "fabcheck-test", .test = "pingpong", .summary = "unit test", .default_sizes = "8:1M", .groups = FC_OPTS_PAIR | FC_OPTS_SOCKET};
static const struct fc_prog stream_prog = {.name = "fabcheck-test", .test = "bw", .summary = "unit test",
					   .default_sizes = "8:1M", .groups = FC_OPTS_PAIR | FC_OPTS_STREAM | FC_OPTS_SOCKET};
static const struct fc_prog rma_prog = {.name = "fabcheck-test", .test = "rma", .summary = "unit test",
					.default_sizes = "8:1M", .groups = FC_OPTS_PAIR | FC_OPTS_RMA};
static const struct fc_prog local_prog = {
	.name = "fabcheck-test", .summary = "unit test", .default_sizes = "4K:4G", .default_iters = 20,
	.max_size = 4ull << 30};

#define PARSE_AS(p, o, ...)                                                        \
	({                                                                         \
		char *argv[] = {"fabcheck-test", __VA_ARGS__, NULL};               \
		fc_opts_parse(o, p, (int)(sizeof(argv) / sizeof(*argv)) - 1, argv); \
	})
#define PARSE(o, ...) PARSE_AS(&prog, o, __VA_ARGS__)

static void defaults_are_efa_server_adaptive(void **st)
{
	struct fc_opts o;
	char *argv[] = {"fabcheck-test", NULL};
	(void)st;
	unsetenv("FABCHECK_PROVIDER");
	assert_int_equal(fc_opts_parse(&o, &prog, 1, argv), 0);
	assert_string_equal(o.params.provider, "efa");
	assert_string_equal(o.params.transport, "ofi");
	assert_string_equal(o.sizes, "8:1M");
	assert_int_equal(o.params.iters, 0);
	assert_int_equal(o.port, FC_DEFAULT_PORT);
	assert_null(o.peer);
	assert_false(o.params.verify);
}

static void env_sets_provider_and_flag_wins(void **st)
{
	struct fc_opts o;
	(void)st;
	setenv("FABCHECK_PROVIDER", "tcp", 1);
	assert_int_equal(PARSE(&o, "host1"), 0);
	assert_string_equal(o.params.provider, "tcp");
	assert_string_equal(o.peer, "host1");
	assert_int_equal(PARSE(&o, "-p", "shm"), 0);
	assert_string_equal(o.params.provider, "shm");
	unsetenv("FABCHECK_PROVIDER");
}

static void every_option_lands(void **st)
{
	struct fc_opts o;
	(void)st;
	assert_int_equal(PARSE(&o, "-p", "sockets", "-x", "ofi"), 0);
	assert_string_equal(o.params.provider, "sockets");
	/* a provider means nothing to the kernel's TCP: said, not ignored */
	assert_int_equal(PARSE(&o, "-p", "sockets", "-x", "socket", "peer"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-d", "lo", "-x", "socket", "-S", "8,1K", "-I",
			       "100", "-w", "3", "-t", "20", "-T", "2.5", "-v", "-b", "-B", "5000",
			       "--json", "-", "--csv", "out.csv", "--sockbuf", "1M", "peer"),
			 0); /* one size syntax everywhere: --sockbuf takes K/M/G like -S */
	assert_string_equal(o.domain, "lo");
	assert_string_equal(o.params.transport, "socket");
	assert_string_equal(o.sizes, "8,1K");
	assert_int_equal(o.params.iters, 100);
	assert_int_equal(o.params.warmup, 3);
	assert_true(o.deadline_s == 20 && o.op_timeout_s == 2.5);
	assert_true(o.params.verify && o.block);
	assert_int_equal(o.port, 5000);
	assert_string_equal(o.sinks.json_path, "-");
	assert_string_equal(o.sinks.csv_path, "out.csv");
	assert_int_equal(o.sockbuf, 1048576);
	assert_string_equal(o.peer, "peer");
}

static void bad_values_are_usage_errors(void **st)
{
	struct fc_opts o;
	(void)st;
	assert_int_equal(PARSE(&o, "-I", "0"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-I", "ten"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-I", "-5"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-w", "x"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-t", "0"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-t", "nan"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-B", "70000"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-x", "rdma"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-S", "8:abc"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-S", "0"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "--bogus"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-I"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "a", "b"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "--json", "-", "--csv", "-"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "--sockbuf", "4096"), -FC_EXIT_USAGE); /* stalls loopback TCP */
	assert_int_equal(PARSE(&o, "--sockbuf", "2G"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-d", ""), -FC_EXIT_USAGE);
}

/* The whole help text of a program, for comparing with its parser. */
static char *help_of(const struct fc_prog *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fc_opts_usage(p, f);
	fclose(f);
	return buf;
}

/* Every option the parser takes is in --help, and every --name in --help
 * is taken: the two cannot drift apart. */
static void help_lists_exactly_what_the_parser_accepts(void **st)
{
	const struct fc_prog *progs[] = {&prog, &stream_prog, &rma_prog, &local_prog};
	(void)st;
	for (size_t k = 0; k < sizeof(progs) / sizeof(progs[0]); k++) {
		const char *names[64];
		int n = fc_opts_accepted(progs[k], names, 64), listed = 0;
		char *help = help_of(progs[k]), *p = help;
		for (int i = 0; i < n; i++) {
			char want[64], arg[64];
			struct fc_opts o;
			snprintf(want, sizeof(want), "--%s", names[i]);
			if (!strstr(help, want))
				fail_msg("%s is accepted but not in --help", want);
			/* and the parser really takes it (with a plausible value) */
			snprintf(arg, sizeof(arg), "--%s=%s", names[i],
				 !strcmp(names[i], "sizes") ? "8" : !strcmp(names[i], "op") ? "read"
				 : !strcmp(names[i], "buffers") ? "slots" : !strcmp(names[i], "memory") ? "host"
				 : !strcmp(names[i], "units") ? "gbit"
				 : !strcmp(names[i], "transport") ? "ofi" : !strcmp(names[i], "sockbuf") || !strcmp(names[i], "max-mem") ? "1M"
				 : !strcmp(names[i], "streams") ? "1" : "3");
			if (strcmp(names[i], "help")) {
				char *argv[] = {"fabcheck-test", arg, NULL};
				bool flag = !strcmp(names[i], "verify") || !strcmp(names[i], "block") || !strcmp(names[i], "bidir");
				char flagarg[64];
				snprintf(flagarg, sizeof(flagarg), "--%s", names[i]);
				if (flag)
					argv[1] = flagarg;
				if (fc_opts_parse(&o, progs[k], 2, argv) != 0)
					fail_msg("%s is listed but the parser refuses %s", want, argv[1]);
			}
		}
		while ((p = strstr(p, "  --")) || (p && (p = strstr(p, ", --")))) {
			char name[64];
			if (sscanf(p + 4, "%63[a-z-]", name) == 1) {
				bool found = false;
				for (int i = 0; i < n; i++)
					found |= !strcmp(names[i], name);
				if (!found)
					fail_msg("--help lists --%s, which the parser refuses", name);
				listed++;
			}
			p += 4;
		}
		assert_true(listed > 0);
		free(help);
	}
}

/* An option of another program, or one without its value, is named. */
static void misplaced_options_are_named(void **st)
{
	struct fc_opts o;
	(void)st;
	assert_int_equal(PARSE(&o, "-W", "0"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE_AS(&local_prog, &o, "-x", "socket"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE_AS(&local_prog, &o, "-E", "2"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE_AS(&local_prog, &o, "-d", "all"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE_AS(&local_prog, &o, "somehost"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE_AS(&local_prog, &o, "-S", "4G"), 0);
	assert_int_equal(o.params.iters, 20);
}

static void program_groups_gate_their_options(void **st)
{
	struct fc_opts o;
	(void)st;
	/* ping-pong takes no window, direction or streams */
	assert_int_equal(PARSE(&o, "-W", "8"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "--bidir"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "--op", "read"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE_AS(&stream_prog, &o, "-W", "8", "--bidir", "-x", "socket", "-n", "4"), 0);
	assert_true(o.params.window == 8 && o.params.bidir && o.params.streams == 4);
	assert_int_equal(PARSE_AS(&stream_prog, &o, "--op", "read"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE_AS(&rma_prog, &o, "--op", "writedata", "-W", "4"), 0);
	assert_string_equal(o.params.op, "writedata");
	assert_int_equal(PARSE_AS(&rma_prog, &o, "--op", "atomic"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE_AS(&rma_prog, &o, "--bidir"), -FC_EXIT_USAGE);
}

static void multi_nic_options_and_their_limits(void **st)
{
	struct fc_opts o;
	(void)st;
	assert_int_equal(PARSE(&o, "-d", "all", "-E", "4", "--sysfs-root", "/tmp/fixture"), 0);
	assert_string_equal(o.domain, "all");
	assert_int_equal(o.endpoints, 4);
	assert_string_equal(o.sysfs_root, "/tmp/fixture");
	assert_int_equal(PARSE(&o, "-E", "0"), -FC_EXIT_USAGE);
	/* streams are the socket transport's, -d lists libfabric's */
	assert_int_equal(PARSE_AS(&stream_prog, &o, "-n", "2"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-x", "socket", "-d", "all"), -FC_EXIT_USAGE);
	assert_int_equal(PARSE(&o, "-x", "socket", "-d", "a,b"), -FC_EXIT_USAGE);
	setenv("FABCHECK_SYSFS_ROOT", "/srv/sys", 1);
	assert_int_equal(PARSE(&o, "-p", "tcp"), 0);
	assert_string_equal(o.sysfs_root, "/srv/sys");
	unsetenv("FABCHECK_SYSFS_ROOT");
	assert_int_equal(PARSE(&o, "-p", "tcp"), 0);
	assert_string_equal(o.sysfs_root, "/sys");
}

static void help_asks_to_exit_zero(void **st)
{
	struct fc_opts o;
	(void)st;
	assert_int_equal(PARSE(&o, "--help"), 1);
	assert_int_equal(PARSE(&o, "-h"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_efa_server_adaptive),
		cmocka_unit_test(env_sets_provider_and_flag_wins),
		cmocka_unit_test(every_option_lands),
		cmocka_unit_test(bad_values_are_usage_errors),
		cmocka_unit_test(program_groups_gate_their_options),
		cmocka_unit_test(multi_nic_options_and_their_limits),
		cmocka_unit_test(help_asks_to_exit_zero),
		cmocka_unit_test(help_lists_exactly_what_the_parser_accepts),
		cmocka_unit_test(misplaced_options_are_named),
	};
	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
