#include "optrows.h"

#include "params.h"

#define STR_(x) #x
#define STR(x) STR_(x) /* a default written once, as a number and as its text */
#define NAME_MAX_LEN (sizeof(((struct fc_params *)0)->provider) - 1)

enum {
	BENCH = FC_OPTS_BENCH, PAIR = FC_OPTS_PAIR, STREAM = FC_OPTS_STREAM, RMA = FC_OPTS_RMA,
	CLUSTER = FC_OPTS_CLUSTER, DIAG = FC_OPTS_DIAG, SOCKET = FC_OPTS_SOCKET, MR = FC_OPTS_MR,
};

/* designated fields only: a row names what it has */
#define ROW(t, l, s, i, g, a, h, ...) \
	{.type = (t), .lng = (l), .shrt = (s), .id = (i), .groups = (g), .arg = (a), .help = (h), __VA_ARGS__}
#define HEAD(text) {.type = FC_OPT_HEADING, .lng = (text)}

static const char *const transports[] = {"ofi", "socket", NULL};
static const char *const ops[] = {"write", "read", "writedata", NULL};
static const char *const buffers[] = {"reuse", "slots", NULL};
static const char *const units[] = {"gbyte", "gbit", NULL};
static const char *const mr_paths[] = {"both", "va", "dmabuf", NULL};

/* In --help order. Help that depends on the program (-d, -D, -S, -I for
 * a benchmark on one node; diag's words for --json and --sysfs-root) comes
 * from the program's help function; the rows say what two-process
 * programs and the cluster runner mean. */
const struct fc_optrow fc_shared_rows[] = {
	HEAD("data path"),
	ROW(FC_OPT_TEXT, "provider", 'p', FC_O_PROVIDER, BENCH | CLUSTER, "NAME",
	    "libfabric provider (default efa, or $FABCHECK_PROVIDER)", .what = "provider", .hi = NAME_MAX_LEN),
	ROW(FC_OPT_TEXT, "fabric", 'f', FC_O_FABRIC, BENCH | CLUSTER, "NAME",
	    "libfabric fabric (e.g. efa or efa-direct with libfabric 2.x;\ndefault: the provider's first)",
	    .what = "fabric", .hi = NAME_MAX_LEN),
	ROW(FC_OPT_TEXT, "domain", 'd', FC_O_DOMAIN, BENCH | CLUSTER, "NAME",
	    "libfabric domain (NIC), e.g. rdmap16s27-rdm or eth0; a comma\n"
	    "list or `all` (every domain but loopback) runs one endpoint\n"
	    "and thread per NIC, NIC i paired with the peer's NIC i"),
	ROW(FC_OPT_INT, "endpoints", 'E', FC_O_ENDPOINTS, PAIR | CLUSTER, "N", "endpoints (threads) per NIC",
	    .what = "endpoints per NIC (-E)", .lo = 1, .hi = FC_MAX_ENDPOINTS, .def = "1"),
	ROW(FC_OPT_CHOICE, "transport", 'x', FC_O_TRANSPORT, SOCKET | CLUSTER, "KIND",
	    "ofi for libfabric, socket for the kernel TCP baseline", .what = "transport", .choices = transports,
	    .def = "ofi"),
	ROW(FC_OPT_FLAG, "block", 'b', FC_O_BLOCK, PAIR | CLUSTER, NULL,
	    "blocking completion reads instead of busy polling\n(use with the sockets provider on small machines)"),
	ROW(FC_OPT_INT, "port", 'B', FC_O_PORT, PAIR, "PORT", "out-of-band bootstrap TCP port", .what = "port (-B)",
	    .lo = 1, .hi = 65535, .def = STR(FC_DEFAULT_PORT)),
	ROW(FC_OPT_SIZE, "sockbuf", 0, FC_O_SOCKBUF, SOCKET, "SIZE",
	    "socket transport: SO_SNDBUF/SO_RCVBUF, {lo} to {hi}\n(default: kernel autotuning)",
	    .what = "socket buffer size (--sockbuf)", .lo = FC_MIN_SOCKBUF, .hi = FC_MAX_SOCKBUF),
	ROW(FC_OPT_TEXT, "sysfs-root", 0, FC_O_SYSFS_ROOT, PAIR | CLUSTER | DIAG, "DIR",
	    "read NIC counters and topology under DIR (default /sys)"),
	HEAD("memory"),
	ROW(FC_OPT_TEXT, "memory", 'D', FC_O_MEMORY, BENCH | CLUSTER, "MEM",
	    "this side's buffers: host, cuda, cuda:N or auto (each NIC\n"
	    "lane on the GPU nearest it, host memory where none is seen;\n"
	    "default host);\n"
	    "each side chooses its own (host to cuda, cuda to cuda)"),
	ROW(FC_OPT_SIZE, "max-mem", 0, FC_O_MAX_MEM, PAIR | CLUSTER, "SIZE",
	    "buffer memory this side gives a test, at most (default a\nquarter of this host's RAM): a peer's sizes and window\n"
	    "that need more are refused", .what = "memory budget (--max-mem)", .lo = 1L << 20, .hi = 1L << 50),
	HEAD("what to measure"),
	ROW(FC_OPT_TEXT, "sizes", 'S', FC_O_SIZES, BENCH, "LIST", "sizes"),
	ROW(FC_OPT_INT, "iters", 'I', FC_O_ITERS, BENCH, "N", "iterations per size", .what = "iteration count (-I)",
	    .lo = 1, .hi = FC_MAX_ITERS),
	ROW(FC_OPT_INT, "warmup", 'w', FC_O_WARMUP, PAIR | CLUSTER, "N", "untimed iterations per size",
	    .what = "warmup count (-w)", .lo = 0, .hi = FC_MAX_WARMUP, .def = STR(FC_DEFAULT_WARMUP)),
	ROW(FC_OPT_SECONDS, "size-time", 0, FC_O_SIZE_TIME, PAIR | CLUSTER, "SEC",
	    "adaptive iterations: time spent per size", .what = "size time (--size-time)",
	    .hi = FC_MAX_SIZE_TIME_S, .def = STR(FC_DEFAULT_SIZE_TIME_S)),
	ROW(FC_OPT_INT, "window", 'W', FC_O_WINDOW, STREAM | RMA | CLUSTER, "N",
	    "messages in flight per window, {lo} to {hi} (default 64,\n"
	    "fewer above 512K so a window stays near 32 MiB)", .what = "window (-W)", .lo = 1, .hi = FC_MAX_WINDOW),
	ROW(FC_OPT_FLAG, "bidir", 0, FC_O_BIDIR, STREAM, NULL, "both sides send at once (aggregate bandwidth)"),
	ROW(FC_OPT_INT, "streams", 'n', FC_O_STREAMS, STREAM, "N", "socket transport: parallel TCP connections",
	    .what = "stream count (-n)", .lo = 1, .hi = FC_MAX_STREAMS, .def = "1"),
	ROW(FC_OPT_CHOICE, "buffers", 0, FC_O_BUFFERS, STREAM, "POLICY",
	    "reuse: every message of a window from one buffer, as\n"
	    "fabtests, perftest and iperf3 do (default {def}); slots:\n"
	    "each message its own buffer (out of cache; -v always\n"
	    "uses slots)", .what = "buffer policy (--buffers)", .choices = buffers, .def = "reuse"),
	ROW(FC_OPT_CHOICE, "op", 0, FC_O_OP, RMA, "OP", "write, read or writedata", .what = "RMA operation (--op)",
	    .choices = ops, .def = "write"),
	ROW(FC_OPT_CHOICE, "mr-path", 0, FC_O_MR_PATH, MR, "PATH",
	    "va: by address (GPU memory: the peer-memory path), dmabuf:\n"
	    "by a dmabuf fd (GPU memory only), or both (default {def}; host\n"
	    "memory has va only)", .what = "registration path (--mr-path)", .choices = mr_paths, .def = "both"),
	ROW(FC_OPT_FLAG, "verify", 'v', FC_O_VERIFY, PAIR, NULL, "check every received byte (outside the timed region)"),
	HEAD("time limits"),
	ROW(FC_OPT_SECONDS, "deadline", 't', FC_O_DEADLINE, BENCH | CLUSTER, "SEC", "deadline for the whole run",
	    .what = "deadline (-t)", .hi = FC_MAX_SECONDS, .def = STR(FC_DEFAULT_DEADLINE_S)),
	ROW(FC_OPT_SECONDS, "op-timeout", 'T', FC_O_OP_TIMEOUT, PAIR | CLUSTER, "SEC", "longest the peer may stay silent",
	    .what = "op timeout (-T)", .hi = FC_MAX_SECONDS, .def = STR(FC_DEFAULT_OP_TIMEOUT_S)),
	HEAD("the instance table"),
	ROW(FC_OPT_TEXT, "instance-type", 0, FC_O_INSTANCE_TYPE, CLUSTER | DIAG, "TYPE",
	    "judge against TYPE's row (default: the DMI product name)"),
	ROW(FC_OPT_TEXT, "table", 0, FC_O_TABLE, CLUSTER | DIAG, "FILE",
	    "another instance table (default: fabcheck's instance-types.tsv)"),
	HEAD("output"),
	ROW(FC_OPT_TEXT, "json", 0, FC_O_JSON, BENCH | DIAG, "FILE|-", "write JSON Lines records (- = stdout)"),
	ROW(FC_OPT_TEXT, "csv", 0, FC_O_CSV, BENCH, "FILE|-", "write CSV records (- = stdout)"),
	ROW(FC_OPT_CHOICE, "units", 0, FC_O_UNITS, PAIR | FC_OPTS_REPORT, "UNIT",
	    "bandwidth shown in gbyte (GB/s, 10^9 bytes/s) or gbit\n(Gbit/s, as perftest --report_gbits and iperf3); records\n"
	    "keep GB/s (bw_gbps)", .what = "units (--units)", .choices = units, .def = "gbyte"),
	ROW(FC_OPT_TEXT, "label", 0, FC_O_LABEL, BENCH | CLUSTER, "TEXT",
	    "a name for this run in its records (\"before\", \"node-a\"): the\nreport keeps runs apart and --compare takes it",
	    .what = "label (--label)", .hi = 64),
	HEAD(""),
	ROW(FC_OPT_HELP, "help", 'h', FC_O_HELP, FC_OPTS_ALL, NULL, "this help"),
	{.type = FC_OPT_END},
};
