#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "record.h"
#include "timing.h"

/* Everything both sides must agree on, with the option that sets it. */
static json_t *params(const struct fc_run *r)
{
	const struct fc_opts *o = r->opts;

	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:f}", "test", r->test, "transport",
			 o->transport, "provider", strcmp(o->transport, "ofi") ? "" : o->provider,
			 "sizes", o->sizes, "iters", (json_int_t)o->iters, "warmup",
			 (json_int_t)o->warmup, "verify", o->verify, "size_time", o->size_budget_s);
}

static const char *param_flag(const char *key)
{
	static const struct { const char *key, *flag; } map[] = {
		{"test", "program"}, {"transport", "-x"}, {"provider", "-p"}, {"sizes", "-S"},
		{"iters", "-I"}, {"warmup", "-w"}, {"verify", "-v"}, {"size_time", "--size-time"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].key, key))
			return map[i].flag;
	return key;
}

/* Compares the peer's parameters with ours; names the first difference. */
static int check_params(struct fc_run *r, json_t *peer_hello)
{
	json_t *mine = params(r), *theirs = json_object_get(peer_hello, "params");
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach(mine, key, v) {
		json_t *pv = json_object_get(theirs, key);
		if (!pv || !json_equal(v, pv)) {
			char *a = json_dumps(v, JSON_ENCODE_ANY), *b = pv ? json_dumps(pv, JSON_ENCODE_ANY) : NULL;
			rc = fc_boot_fail(&r->boot, FC_EXIT_USAGE,
					  "test parameter mismatch: %s is %s on %s but %s on %s; start both sides "
					  "with the same parameters",
					  param_flag(key), a ? a : "?", r->local_host, b ? b : "(missing)",
					  r->boot.peer_host);
			free(a);
			free(b);
			break;
		}
	}
	json_decref(mine);
	return rc;
}

static json_t *hello(const struct fc_run *r)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "tool", r->tool, "fabcheck_version", FC_VERSION,
			 "host", r->local_host, "params", params(r));
}

static int handshake(struct fc_run *r)
{
	json_t *peer = NULL;
	const char *host;
	int rc;

	if (r->is_client)
		rc = fc_boot_connect(&r->boot, r->opts->peer, r->opts->port, r->deadline, hello(r), &peer);
	else
		rc = fc_boot_accept(&r->boot, r->opts->port, r->deadline, &peer);
	if (rc)
		return rc;
	host = json_string_value(json_object_get(peer, "host"));
	snprintf(r->peer_host, sizeof(r->peer_host), "%s", host ? host : r->boot.peer_ip);
	rc = check_params(r, peer);
	json_decref(peer);
	if (!rc && !r->is_client)
		rc = fc_boot_send(&r->boot, FC_MSG_HELLO, hello(r));
	return rc;
}

static void hex_encode(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static size_t hex_decode(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && n < max && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}

/* Swaps fabric addresses and checks both sides got the same provider. */
static int exchange_addresses(struct fc_run *r)
{
	unsigned char addr[512], peer[512];
	char hex[1025];
	size_t len = sizeof(addr);
	json_t *msg = NULL;
	const char *prov, *phex;
	int rc;

	if ((rc = r->ops->get_addr(r->x, addr, &len)))
		return fc_boot_forward(&r->boot, rc);
	hex_encode(addr, len, hex);
	rc = fc_boot_send(&r->boot, FC_MSG_ADDR,
			  json_pack("{s:s, s:s, s:s}", "addr", hex, "provider", r->info.provider,
				    "domain", r->info.domain));
	if (!rc)
		rc = fc_boot_expect(&r->boot, FC_MSG_ADDR, r->deadline, "exchanging fabric addresses", &msg);
	if (rc)
		return rc;
	prov = json_string_value(json_object_get(msg, "provider"));
	phex = json_string_value(json_object_get(msg, "addr"));
	if (!prov || !phex) {
		json_decref(msg);
		return fc_boot_fail(&r->boot, FC_EXIT_PEER, "the peer sent an address message without an address");
	}
	if (strcmp(prov, r->info.provider)) {
		rc = fc_boot_fail(&r->boot, FC_EXIT_FABRIC,
				  "libfabric chose provider '%s' on %s but '%s' on %s: the two sides would not "
				  "interoperate; check the libfabric versions and FI_PROVIDER on both",
				  r->info.provider, r->local_host, prov, r->peer_host);
		json_decref(msg);
		return rc;
	}
	len = hex_decode(phex, peer, sizeof(peer));
	json_decref(msg);
	rc = r->ops->connect(r->x, peer, len, fc_run_op_deadline(r), &r->info);
	if (rc)
		return fc_boot_forward(&r->boot, rc);
	return 0;
}

/* The client expands the size list (with its provider's switch points) and
 * the server takes it as given, so "-S all" cannot differ between sides. */
static int agree_sizes(struct fc_run *r)
{
	json_t *msg = NULL, *arr;
	size_t i;
	int rc;

	if (r->is_client) {
		rc = fc_sizes_expand(r->opts->sizes, r->info.switch_pts, r->info.nswitch, &r->sizes);
		if (rc)
			return fc_boot_forward(&r->boot, rc);
		arr = json_array();
		for (i = 0; i < r->sizes.n; i++)
			json_array_append_new(arr, json_integer((json_int_t)r->sizes.v[i]));
		return fc_boot_send(&r->boot, FC_MSG_SIZES, json_pack("{s:o}", "sizes", arr));
	}
	rc = fc_boot_expect(&r->boot, FC_MSG_SIZES, r->deadline, "receiving the size list", &msg);
	if (rc)
		return rc;
	arr = json_object_get(msg, "sizes");
	r->sizes.n = json_array_size(arr);
	r->sizes.v = calloc(r->sizes.n ? r->sizes.n : 1, sizeof(size_t));
	for (i = 0; r->sizes.v && i < r->sizes.n; i++) {
		json_int_t v = json_integer_value(json_array_get(arr, i));
		if (v <= 0 || (uint64_t)v > FC_SIZE_MAX_MSG)
			break;
		r->sizes.v[i] = (size_t)v;
	}
	json_decref(msg);
	if (!r->sizes.v || r->sizes.n == 0 || i != r->sizes.n)
		return fc_boot_fail(&r->boot, FC_EXIT_PEER, "the peer sent an invalid size list");
	return 0;
}

static void *alloc_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int setup_buffers(struct fc_run *r)
{
	size_t max = fc_sizes_max(&r->sizes);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (max + page - 1) / page * page;
	int rc;

	r->sbuf = alloc_buf(len);
	r->rbuf = alloc_buf(len);
	if (!r->sbuf || !r->rbuf)
		return fc_boot_fail(&r->boot, FC_EXIT_FABRIC, "cannot allocate 2 x %zu bytes of buffers on %s",
				    len, r->local_host);
	/* One registration per buffer, before any timing: the loop must not
	 * measure the MR cache. */
	if ((rc = r->ops->reg(r->x, r->sbuf, len)) || (rc = r->ops->reg(r->x, r->rbuf, len)))
		return fc_boot_forward(&r->boot, rc);
	return 0;
}

static void banner(struct fc_run *r)
{
	char pts[256] = "";

	for (size_t i = 0; i < r->info.nswitch; i++) {
		char b[32];
		size_t l = strlen(pts);
		snprintf(pts + l, sizeof(pts) - l, "%s%s %s", i ? ", " : "", r->info.switch_names[i],
			 fc_size_format(r->info.switch_pts[i], b, sizeof(b)));
	}
	fc_out_banner(&r->out, "%s %s: transport %s, provider %s, fabric %s, domain %s%s%s", r->tool,
		      r->is_client ? "client" : "server", r->opts->transport, r->info.provider,
		      *r->info.fabric ? r->info.fabric : "-", r->info.domain,
		      *r->info.libfabric ? ", libfabric " : "", r->info.libfabric);
	fc_out_banner(&r->out, "%s %s -> %s %s", r->local_host, r->info.local_addr, r->peer_host,
		      r->info.peer_addr);
	if (*pts)
		fc_out_banner(&r->out, "protocol switch points: %s", pts);
	if (r->opts->verify)
		fc_out_banner(&r->out, "verifying every message (-v)");
}

int fc_run_setup(struct fc_run *r, const struct fc_opts *o, const char *tool, const char *test,
		 const struct fc_column *table)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->opts = o;
	r->tool = tool;
	r->test = test;
	r->is_client = o->peer != NULL;
	r->deadline = fc_deadline_in(o->deadline_s);
	r->boot.fd = -1;
	r->boot.op_timeout_s = o->op_timeout_s;
	r->info.sndbuf = r->info.rcvbuf = -1;
	snprintf(r->info.transport, sizeof(r->info.transport), "%s", o->transport);
	if (gethostname(r->local_host, sizeof(r->local_host)))
		snprintf(r->local_host, sizeof(r->local_host), "unknown");
	r->ops = fc_xport_find(o->transport);
	if ((rc = fc_out_open(&r->out, o, table)))
		return rc;
	r->cfg = (struct fc_xport_cfg){
		.provider = o->provider,
		.domain = o->domain,
		.local_ip = r->boot.local_ip,
		.peer_ip = r->boot.peer_ip,
		.is_server = !r->is_client,
		.block = o->block,
		.sockbuf = o->sockbuf,
	};
	if (r->ops->probe && (rc = r->ops->probe(&r->cfg, &r->info)))
		return rc;
	if ((rc = handshake(r)))
		return rc;
	if ((rc = r->ops->open(&r->x, &r->cfg, &r->info)))
		return fc_boot_forward(&r->boot, rc);
	if ((rc = exchange_addresses(r)) || (rc = agree_sizes(r)) || (rc = setup_buffers(r)))
		return rc;
	banner(r);
	return 0;
}

int fc_run_finish(struct fc_run *r, int rc)
{
	size_t len = fc_sizes_max(&r->sizes);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int orc;

	len = (len + page - 1) / page * page;
	fc_boot_forward(&r->boot, rc); /* a peer never waits out its timeout to learn we failed */
	if (r->ops && r->x)
		r->ops->close(r->x);
	if (r->sbuf)
		munmap(r->sbuf, len);
	if (r->rbuf)
		munmap(r->rbuf, len);
	fc_sizes_free(&r->sizes);
	fc_boot_close(&r->boot);
	orc = fc_out_close(&r->out);
	return rc ? rc : orc;
}

uint64_t fc_run_op_deadline(const struct fc_run *r)
{
	return fc_deadline_min(r->deadline, fc_deadline_in(r->opts->op_timeout_s));
}

json_t *fc_run_record(const struct fc_run *r, size_t size)
{
	char ts[40];
	const struct fc_xport_info *i = &r->info;
	json_t *rec;

	fc_timestamp(ts, sizeof(ts));
	rec = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
			"schema", FC_SCHEMA_VERSION, "tool", r->tool, "fabcheck_version", FC_VERSION,
			"test", r->test, "transport", i->transport, "provider", i->provider, "domain",
			i->domain, "memory", "host", "peer_memory", "host", "local_host", r->local_host,
			"peer_host", r->peer_host, "local_addr", i->local_addr, "peer_addr", i->peer_addr,
			"completion", r->opts->block ? "blocking" : "busy-poll", "timestamp", ts, "size",
			(json_int_t)size);
	if (*i->fabric)
		json_object_set_new(rec, "fabric", json_string(i->fabric));
	if (*i->libfabric)
		json_object_set_new(rec, "libfabric", json_string(i->libfabric));
	if (i->sndbuf >= 0) {
		json_object_set_new(rec, "sock_sndbuf", json_integer(i->sndbuf));
		json_object_set_new(rec, "sock_rcvbuf", json_integer(i->rcvbuf));
	}
	return rec;
}

int fc_run_wait(struct fc_run *r, struct fc_op *op, const char *what, size_t size, long iter)
{
	uint64_t dl = fc_run_op_deadline(r);

	while (!op->done) {
		struct fc_op *c[16];
		int n = r->ops->poll(r->x, c, 16, dl);
		char b[32];

		if (n < 0)
			return n;
		if (n == 0) {
			fc_err("no completion for the %s at size %s, iteration %ld, within %.1f s: the peer %s "
			       "stopped responding or the link is down",
			       what, fc_size_format(size, b, sizeof(b)), iter,
			       fc_now_ns() >= r->deadline ? r->opts->deadline_s : r->opts->op_timeout_s,
			       r->peer_host);
			return -FC_EXIT_PEER;
		}
		for (int i = 0; i < n; i++)
			c[i]->done = true;
	}
	return 0;
}

int fc_run_check_deadline(struct fc_run *r, size_t index)
{
	if (fc_now_ns() < r->deadline)
		return 0;
	return fc_boot_fail(&r->boot, FC_EXIT_PEER,
			    "the run deadline (-t %.0f s) passed after %zu of %zu sizes: raise -t or "
			    "give fewer sizes or iterations",
			    r->opts->deadline_s, index, r->sizes.n);
}
