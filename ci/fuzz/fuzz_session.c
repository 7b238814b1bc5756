/* libFuzzer target: a server's whole conversation with a peer that sends
 * these bytes (bootstrap frames: PARAMS, ADDR, SIZES, BEGIN, ITERS,
 * RESULT, END in any order and shape), over a socketpair, with a lane
 * whose transport accepts any address: every frame decoding and every
 * check of a peer-supplied value runs on the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lanes.h"
#include "log.h"
#include "session.h"
#include "timing.h"

static int fake_connect(struct fc_xport *x, const void *peer, size_t len, const char *peer_ip,
			const unsigned char cookie[FC_COOKIE_LEN], bool as_server, uint64_t deadline,
			struct fc_xport_info *info)
{
	(void)x, (void)peer, (void)len, (void)peer_ip, (void)cookie, (void)as_server, (void)deadline, (void)info;
	return 0;
}

static const struct fc_xport_ops fake_ops = {.name = "fake", .connect = fake_connect};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fc_session s;
	struct fc_params p;
	struct fc_lane lane = {.index = 0};
	struct fc_lanes set = {.n = 1, .lane = &lane, .ops = &fake_ops, .op_timeout_s = 0.01,
				.sysfs_root = "/nonexistent"};
	json_t *theirs = NULL, *recs = NULL;
	size_t sz;
	long iters;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	/* the whole input is the peer's side of the conversation */
	if (write(sv[1], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	shutdown(sv[1], SHUT_WR);
	memset(&s, 0, sizeof(s));
	s.boot.fd = sv[0];
	s.boot.op_timeout_s = 0.01;
	s.deadline = fc_deadline_in(1.0);
	s.phase = FC_PH_HELLO;
	snprintf(s.peer_label, sizeof(s.peer_label), "fuzz");
	snprintf(lane.info.provider, sizeof(lane.info.provider), "kernel-tcp");
	lane.set = &set;
	set.deadline = s.deadline;
	if (fc_session_params(&s, &p, "pingpong") == 0 && fc_session_addr(&s, json_array(), &theirs) == 0 &&
	    fc_lanes_connect(&set, theirs, "127.0.0.1", "fuzz", s.cookie, true) == 0 &&
	    fc_session_sizes(&s, NULL, 1u << 30) == 0 && fc_session_targets(&s, NULL, NULL) == 0) {
		while (fc_session_next(&s, &sz) == 0) {
			long slice = 0, done;
			int rc;
			iters = 0;
			rc = fc_session_ready(&s) || fc_session_iters(&s, &iters, &slice);
			/* the slices the peer names, each within what is left */
			for (done = slice; !rc && slice > 0 && done < iters; done += slice)
				rc = fc_session_more(&s, iters - done, &slice);
			if (rc || fc_session_verdict(&s) || fc_session_records(&s, NULL, &recs))
				break;
			json_decref(recs);
			recs = NULL;
		}
	}
	json_decref(theirs);
	fc_session_close(&s);
	close(sv[1]);
	return 0;
}
