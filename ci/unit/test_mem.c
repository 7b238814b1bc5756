/* Memory specifications and host-memory patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "errors.h"
#include "mem.h"
#include "pattern.h"

static void parses_host_and_cuda_ordinals(void **st)
{
	struct fc_mem m;
	char b[16];
	(void)st;
	assert_int_equal(fc_mem_parse("host", &m), 0);
	assert_false(fc_mem_is_device(&m));
	assert_string_equal(fc_mem_name(&m, b, sizeof(b)), "host");
	assert_int_equal(fc_mem_parse("cuda", &m), 0);
	assert_true(fc_mem_is_device(&m) && m.device == 0);
	assert_ptr_equal(m.ops, &fc_mem_cuda);
	assert_int_equal(fc_mem_parse("cuda:3", &m), 0);
	assert_int_equal(m.device, 3);
	assert_string_equal(fc_mem_name(&m, b, sizeof(b)), "cuda:3");
}

static void rejects_other_memory(void **st)
{
	struct fc_mem m;
	(void)st;
	assert_int_equal(fc_mem_parse("gpu", &m), -FC_EXIT_USAGE);
	assert_int_equal(fc_mem_parse("cuda:", &m), -FC_EXIT_USAGE);
	assert_int_equal(fc_mem_parse("cuda:-1", &m), -FC_EXIT_USAGE);
	assert_int_equal(fc_mem_parse("cuda:1x", &m), -FC_EXIT_USAGE);
	assert_int_equal(fc_mem_parse("cudax", &m), -FC_EXIT_USAGE);
	assert_int_equal(fc_mem_parse("", &m), -FC_EXIT_USAGE);
	assert_int_equal(fc_mem_parse("host:0", &m), -FC_EXIT_USAGE); /* host takes no device */
}

/* help and errors list what fc_mem_backends holds, in its order */
static void choices_come_from_the_backend_table(void **st)
{
	char b[128];
	size_t n = 0;
	(void)st;
	assert_string_equal(fc_mem_choices(b, sizeof(b)), "host, cuda, cuda:N or auto");
	for (const struct fc_mem_ops *const *o = fc_mem_backends; *o; o++, n++) {
		struct fc_mem m;
		assert_int_equal(fc_mem_parse((*o)->name, &m), 0);
		assert_ptr_equal(m.ops, *o);
	}
	assert_int_equal(n, 2);
	/* libfabric's view travels with the ops: host asks for no FI_HMEM */
	assert_int_equal(fc_mem_host.fi_iface, 0);
	assert_null(fc_mem_host.fi_device);
	assert_null(fc_mem_host.dmabuf);
	assert_int_not_equal(fc_mem_cuda.fi_iface, 0);
	assert_non_null(fc_mem_cuda.fi_device);
	assert_non_null(fc_mem_cuda.dmabuf);
}

static void host_memory_needs_no_cuda(void **st)
{
	struct fc_mem m = {.ops = &fc_mem_host};
	size_t off;
	unsigned char *p;
	(void)st;
	setenv("FABCHECK_CUDART", "/nonexistent", 1); /* would fail if host memory touched CUDA */
	assert_int_equal(fc_mem_use(&m), 0);
	p = fc_mem_alloc(&m, 8192);
	assert_non_null(p);
	assert_int_equal(((uintptr_t)p) % 4096, 0); /* page aligned */
	assert_int_equal(fc_mem_fill(&m, p, 8192, 42, NULL), 0);
	assert_int_equal(fc_mem_check(&m, p, 8192, 42, NULL, &off), 0);
	assert_true(off == (size_t)-1);
	p[77] ^= 1;
	assert_int_equal(fc_mem_check(&m, p, 8192, 42, NULL, &off), 0);
	assert_int_equal(off, 77);
	fc_mem_free(&m, p, 8192);
	unsetenv("FABCHECK_CUDART");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_host_and_cuda_ordinals),
		cmocka_unit_test(rejects_other_memory),
		cmocka_unit_test(choices_come_from_the_backend_table),
		cmocka_unit_test(host_memory_needs_no_cuda),
	};
	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
