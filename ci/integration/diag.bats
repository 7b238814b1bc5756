#!/usr/bin/env bats
# fabcheck-diag against stand-in nodes (ci/fixtures/diag/make_root.py), with
# stand-in NVML, CUDA driver and rdma-core libraries (ci/standin/), and
# against this machine for real.

load helpers

DIAG="$FABCHECK_BIN/fabcheck-diag"
MAKE_ROOT="$BATS_TEST_DIRNAME/../fixtures/diag/make_root.py"
REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
STANDIN="$(dirname "$FABCHECK_BIN")/standin"
ALL_CHECKS='["instance_type","libfabric","nccl_plugin","efa_provider","efa_hmem","rdma_core","efa_devices","efa_rdma","efa_link","efa_driver","error_counters","gpus","gpu_memory","nvlink","fabric_manager","gpu_efa_affinity","gpudirect","memlock","container_memory","hugepages","fork_safety","environment","kubernetes","traffic"]'
# what diag reads from the environment: cleared, so the caller's does not leak in
CLEAN=(-u FI_PROVIDER -u FI_EFA_USE_DEVICE_RDMA -u FI_EFA_USE_HUGE_PAGE -u FI_EFA_FORK_SAFE -u RDMAV_FORK_SAFE
	-u IBV_FORK_SAFE -u FI_EFA_MTU_SIZE -u FI_EFA_TX_IOV_LIMIT -u FI_EFA_RX_IOV_LIMIT -u FI_EFA_IFACE
	-u FI_HMEM_DISABLE_P2P -u NCCL_NET -u NCCL_NET_PLUGIN -u OFI_NCCL_FORCE_PRODUCT_NAME -u LD_LIBRARY_PATH
	-u KUBERNETES_SERVICE_HOST -u FABCHECK_LIBFABRIC -u FABCHECK_LIBIBVERBS -u FABCHECK_LIBEFA -u NCCL_SOCKET_IFNAME)

# root VARIANT: the stand-in node in $OUT/VARIANT, a private copy (tests
# may change it) of one built once per file run (building is the slow part)
root() {
	local cache="$BATS_FILE_TMPDIR/roots/$1"
	[ -d "$OUT/$1" ] && return
	mkdir -p "$BATS_FILE_TMPDIR/roots"
	(
		flock 9
		[ -d "$cache" ] || python3 "$MAKE_ROOT" "$1" "$cache"
	) 9>"$BATS_FILE_TMPDIR/roots.lock"
	cp -a "$cache" "$OUT/$1"
}

# diag VARIANT [ARGS...]: runs diag on the node with the stand-in NVML and
# CUDA driver reporting its GPUs; extra environment in ENV=(...). Sets DIAG_RC.
diag() {
	local v=$1
	shift
	root "$v"
	env "${CLEAN[@]}" FABCHECK_NVML="$STANDIN/libnvml-standin.so" FABCHECK_LIBCUDA="$STANDIN/libcuda-standin.so" \
		FABCHECK_STANDIN_NVML_GPUS="$(cat "$OUT/$v/nvml_gpus")" "${ENV[@]}" \
		"$DIAG" --root "$OUT/$v" --facts "${FACTS:-$OUT/$v/facts.json}" --json "$OUT/d.json" \
		--counter-interval 0 "$@" >"$OUT/diag.out" 2>"$OUT/diag.err" && DIAG_RC=0 || DIAG_RC=$?
	cat "$OUT/diag.out" "$OUT/diag.err"
}

verdict() {
	jq -r --arg c "$1" '.checks[] | select(.check == $c) | .verdict' "$OUT/d.json"
}

field() {
	jq -r --arg c "$1" --arg f "$2" '.checks[] | select(.check == $c) | .[$f]' "$OUT/d.json"
}

# all_pass_but CHECK=VERDICT...: every other check passes, except the
# ones a stand-in node cannot pass (not in a pod, no traffic test yet)
all_pass_but() {
	local expect='{"kubernetes":"SKIP","traffic":"SKIP"}'
	for kv in "$@"; do
		expect=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k): $v}' <<<"$expect")
	done
	jq -e --argjson e "$expect" '. as $d | all($d.checks[]; .verdict == ($e[.check] // "PASS"))' "$OUT/d.json"
}

# facts_without KEYS...: the fixture's facts file less the sections named,
# so the libraries answer those live (through stand-ins)
facts_without() {
	local v=$1
	shift
	jq "del($(printf '.%s,' "$@" | sed 's/,$//'))" "$OUT/$v/facts.json" >"$OUT/$v/live.json"
	echo "$OUT/$v/live.json"
}

@test "diag_healthy_p4d_24xlarge_passes" {
	diag p4d-healthy
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but
	jq -e --argjson ids "$ALL_CHECKS" '[.checks[].check] == $ids and .efa_devices == 4 and .gpus == 8' "$OUT/d.json"
	# p4d has RDMA read but no RDMA write, and that is what a p4d should have
	grep -q "RDMA read yes, write no" "$OUT/diag.out"
	# one NIC per two GPUs, both on the NIC's host bridge
	jq -e '.checks[] | select(.check == "gpu_efa_affinity") | .details | length == 8 and all(.[]; length == 1)' "$OUT/d.json"
}

@test "diag_healthy_p5_48xlarge_passes_and_ignores_non_efa_rdma_devices" {
	diag p5-healthy
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but
	jq -e '.efa_devices == 32' "$OUT/d.json"
	jq -e '.checks[] | select(.check == "gpu_efa_affinity") | .details | length == 8 and all(.[]; length == 4)' "$OUT/d.json"
}

@test "diag_healthy_p5en_48xlarge_passes_at_200_gbps" {
	diag p5en-healthy
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but
	jq -e '.efa_devices == 16' "$OUT/d.json"
	[ "$(field efa_link reason)" = "16 port(s) ACTIVE at 200 Gb/s" ]
}

@test "diag_p5en_reporting_100_gbps_warns_about_the_driver" {
	diag p5en-at-100g
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but efa_link=WARN
	[[ "$(field efa_link reason)" == "16 device(s) below the 200 Gb/s a p5en.48xlarge has"* ]]
}

# what a failed EFA looks like (its port always reads ACTIVE): a PCI
# function on the bus with no device in class/infiniband
@test "diag_efa_pci_function_without_a_device_fails_naming_it_with_reboot" {
	diag p5-efa-unbound
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but efa_devices=FAIL gpu_efa_affinity=WARN
	[ "$(field efa_devices action)" = reboot ]
	[[ "$(field efa_devices reason)" == "1 EFA PCI function(s) without an EFA device (no efa driver bound, or the device failed): "*"; 31 device(s) present" ]]
	# the one named is the one without a device
	local named
	named=$(field efa_devices reason | sed 's/.*failed): \([^;]*\);.*/\1/')
	[ -e "$OUT/p5-efa-unbound/sys/bus/pci/devices/$named/vendor" ]
	[ ! -e "$OUT/p5-efa-unbound/sys/bus/pci/devices/$named/infiniband" ]
	# the link rate check reads no port state: it passes
	[ "$(verdict efa_link)" = PASS ]
}

@test "diag_healthy_g6e_48xlarge_passes_and_skips_gpudirect" {
	diag g6e-healthy
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but gpudirect=SKIP
	jq -e '.efa_devices == 4 and .gpus == 8' "$OUT/d.json"
}

@test "diag_healthy_trn1_32xlarge_passes_its_efa_checks_and_skips_the_nvidia_ones" {
	diag trn1-healthy
	[ "$DIAG_RC" -eq 0 ]
	# Trainium: no NVIDIA GPU, so NCCL and every GPU check are not expected
	all_pass_but nccl_plugin=SKIP efa_hmem=SKIP gpus=SKIP gpu_memory=SKIP nvlink=SKIP fabric_manager=SKIP \
		gpu_efa_affinity=SKIP gpudirect=SKIP
	jq -e '.efa_devices == 8 and .gpus == 0' "$OUT/d.json"
	[ "$(field efa_link reason)" = "8 port(s) ACTIVE at 100 Gb/s" ]
	[ "$(field gpus reason)" = "no NVIDIA GPUs here" ]
}

@test "diag_g6e_claiming_gpudirect_is_not_a_pass" {
	diag g6e-claims-gpudirect
	[ "$(verdict gpudirect)" = SKIP ]
	[[ "$(field gpudirect reason)" == *"has no GPUDirect RDMA in hardware, although the EFA driver registers a p2p provider"* ]]
}

@test "diag_p5_with_30_of_32_nics_fails" {
	diag p5-30-of-32
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but efa_devices=FAIL gpu_efa_affinity=WARN
	jq -e '.checks[] | select(.check == "efa_devices") | .reason == "30 of 32 EFA devices present on p5.48xlarge"
		and (.remedy | contains("vpc.amazonaws.com/efa")) and .action == "configuration"' "$OUT/d.json"
}

@test "diag_p5_with_4_of_32_nics_does_not_give_every_gpu_the_same_nics" {
	diag p5-4-of-32
	[ "$(verdict gpu_efa_affinity)" = WARN ]
	[[ "$(field gpu_efa_affinity reason)" == "7 of 8 GPUs lack"* ]]
	# only the first GPU shares a switch with the 4 NICs left
	jq -e '.checks[] | select(.check == "gpu_efa_affinity") | .details | [.[] | length] == [4,0,0,0,0,0,0,0]' "$OUT/d.json"
}

@test "diag_p5_nic_without_rdma_write_fails" {
	diag p5-nic-without-rdma-write
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but efa_rdma=FAIL
	# make_root.py takes write away from the sixth device
	local dev
	dev=$(cut -d, -f6 "$OUT/p5-nic-without-rdma-write/efa_devs")
	grep -q "1 device(s) lack what a p5.48xlarge has: $dev (no RDMA write)" "$OUT/diag.out"
}

@test "diag_live_rdma_write_bit_is_read_although_it_is_an_enum" {
	root p5-healthy
	FACTS=$(facts_without p5-healthy devices rdma_core fork_unneeded)
	ENV=(FABCHECK_LIBIBVERBS="$STANDIN/librdma-standin.so" FABCHECK_LIBEFA="$STANDIN/librdma-standin.so"
		FABCHECK_STANDIN_EFA_DEVS="$(cat "$OUT/p5-healthy/efa_devs")")
	diag p5-healthy
	[ "$DIAG_RC" -eq 0 ]
	[ "$(field efa_rdma reason)" = "32 device(s) queried: RDMA read yes, write yes" ]
	# and a device that really lacks write is found
	ENV+=(FABCHECK_STANDIN_EFA_CAPS=0x7)
	diag p5-healthy
	[ "$(verdict efa_rdma)" = FAIL ]
}

@test "diag_build_finds_rdma_write_declared_only_as_an_enum" {
	mkdir -p "$OUT/enum/infiniband" "$OUT/none/infiniband"
	# the system's efadv.h with RDMA write added the way rdma-core v46 has it: an enum member
	sed 's/EFADV_DEVICE_ATTR_CAPS_RDMA_READ = 1 << 0,/&\n\tEFADV_DEVICE_ATTR_CAPS_RDMA_WRITE = 1 << 3,/' \
		/usr/include/infiniband/efadv.h >"$OUT/enum/infiniband/efadv.h"
	grep -v "EFADV_DEVICE_ATTR_CAPS_RDMA_WRITE" "$OUT/enum/infiniband/efadv.h" >"$OUT/none/infiniband/efadv.h"
	# an #ifdef cannot see it
	printf '#include <infiniband/efadv.h>\n#ifdef EFADV_DEVICE_ATTR_CAPS_RDMA_WRITE\n#error seen\n#endif\n' |
		cc -I"$OUT/enum" -x c -fsyntax-only -
	run make -s -C "$REPO" efadv-probe EFADV_CFLAGS="-I$OUT/enum"
	[ "$output" = 1 ]
	run make -s -C "$REPO" efadv-probe EFADV_CFLAGS="-I$OUT/none"
	[ "$output" = 0 ]
	# and diag's rdma-core module compiles against it, using the enum
	cc -std=gnu11 -D_GNU_SOURCE -Wall -Werror -I"$OUT/enum" -I"$REPO/common/base" -I"$REPO/common/fabric" -DFC_HAVE_EFADV_CAPS_RDMA_WRITE=1 \
		-fsyntax-only "$REPO/diag/diag_rdma.c"
}

@test "diag_p5_without_p2p_provider_fails_gpudirect" {
	diag p5-no-p2p
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but gpudirect=FAIL
	grep -q "aws-ofi-nccl requires GPUDirect on this type" "$OUT/diag.out"
}

@test "diag_dmabuf_only_node_passes_gpudirect_live" {
	local v=p5-dmabuf-only-ofi-nccl-1-20
	root $v
	FACTS=$(facts_without $v cuda_dmabuf)
	ENV=(FABCHECK_STANDIN_DMABUF=1)
	diag $v
	[ "$DIAG_RC" -eq 0 ]
	[[ "$(field gpudirect reason)" == "dmabuf: kernel 6.8.0-1021-aws >= 5.12, CUDA reports dmabuf"* ]]
	ENV=(FABCHECK_STANDIN_DMABUF=0)
	diag $v
	[ "$(verdict gpudirect)" = FAIL ]
	[[ "$(field gpudirect reason)" == *"CUDA dmabuf no"* ]]
}

# aws-ofi-nccl 1.14 to 1.19.x leave dmabuf off on p4d, p5 and p5e: with no
# p2p provider NCCL has no GPUDirect path there, whatever CUDA reports
@test "diag_dmabuf_only_p5_with_aws_ofi_nccl_1_16_has_no_gpudirect_path" {
	root p5-dmabuf-only
	FACTS=$(facts_without p5-dmabuf-only cuda_dmabuf)
	ENV=(FABCHECK_STANDIN_DMABUF=1)
	diag p5-dmabuf-only
	[ "$DIAG_RC" -eq 1 ]
	[ "$(verdict gpudirect)" = FAIL ]
	[[ "$(field gpudirect reason)" == *"aws-ofi-nccl 1.16.2 does not use dmabuf on a p5.48xlarge (EFA generations 1-3, from 1.14 until 1.20.0)"* ]]
	[[ "$(field gpudirect remedy)" == *"1.20.0 or newer"* ]]
}

@test "diag_memlock_64k_fails_with_remedy" {
	diag p5-memlock-64k
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but memlock=FAIL
	jq -e '.checks[] | select(.check == "memlock") | (.reason | startswith("64 KiB")) and (.remedy | contains("ulimit -l unlimited"))' "$OUT/d.json"
}

@test "diag_container_memory_limit_2g_warns" {
	diag p5-container-memory-2g
	all_pass_but container_memory=WARN
	[ "$(field container_memory reason | cut -d: -f1)" = "limit 2048 MiB" ]
}

@test "diag_kubernetes_pod_counts_the_uverbs_it_can_open_not_the_hosts_devices" {
	ENV=(KUBERNETES_SERVICE_HOST=10.96.0.1)
	diag p5-pod-8-uverbs-2-gpus
	[ "$(verdict kubernetes)" = PASS ]
	[ "$(field kubernetes reason)" = "the pod can open 8 EFA device(s) for its 2 GPU(s)" ]
	diag p5-pod-8-uverbs-8-gpus
	[ "$DIAG_RC" -eq 1 ]
	[ "$(verdict kubernetes)" = FAIL ]
	jq -e '.checks[] | select(.check == "kubernetes") | (.reason | contains("can open 8 EFA device(s)"))
		and (.reason | contains("need 32")) and (.remedy | contains("pod_config"))' "$OUT/d.json"
	diag p5-pod-sees-4
	[ "$(verdict kubernetes)" = FAIL ]
	[[ "$(field kubernetes reason)" == "the pod has no /dev/infiniband"* ]]
}

@test "diag_unknown_instance_type_warns_and_does_not_crash" {
	diag unknown-type
	[ "$DIAG_RC" -eq 0 ]
	[ "$(verdict instance_type)" = WARN ]
	grep -q "'x9.mega' (DMI product name) is not an instance type fabcheck knows" "$OUT/diag.out"
	[[ "$(field instance_type remedy)" == *"--instance-type"* ]]
}

@test "diag_unknown_type_with_efa_devices_still_expects_efa" {
	diag unknown-type-no-efa-provider
	[ "$DIAG_RC" -eq 1 ]
	[ "$(verdict efa_provider)" = FAIL ]
	[[ "$(field efa_provider reason)" == *"although EFA devices are present"* ]]
}

@test "diag_named_unknown_type_does_not_suggest_naming_it" {
	diag p4d-healthy --instance-type m5.large
	[ "$(verdict instance_type)" = WARN ]
	[[ "$(field instance_type remedy)" != *"--instance-type"* ]]
	[[ "$(field instance_type remedy)" == *"--table FILE"* ]]
}

@test "diag_hyperpod_ml_prefix_is_stripped" {
	diag unknown-type --instance-type ml.p5.48xlarge
	[ "$DIAG_RC" -eq 0 ]
	all_pass_but
	jq -e '.instance_type == "p5.48xlarge" and .instance_type_from == "--instance-type"' "$OUT/d.json"
}

@test "diag_ofi_nccl_force_product_name_overrides_dmi" {
	ENV=(OFI_NCCL_FORCE_PRODUCT_NAME=p5.48xlarge)
	diag unknown-type
	jq -e '.instance_type == "p5.48xlarge" and .instance_type_from == "OFI_NCCL_FORCE_PRODUCT_NAME"' "$OUT/d.json"
	[ "$(verdict instance_type)" = PASS ]
}

@test "diag_table_knows_the_types_issue_13_lists" {
	root p5-healthy
	for t in g4dn.8xlarge g4dn.12xlarge g4dn.16xlarge g5.8xlarge g5.12xlarge g5.16xlarge g5.24xlarge g6.8xlarge \
		g6.24xlarge g6e.8xlarge g6e.12xlarge g6e.16xlarge gr6.8xlarge p6e-gb200.36xlarge g7e.8xlarge g7e.48xlarge \
		dl1.24xlarge trn2u.48xlarge hpc6a.48xlarge hpc6id.32xlarge hpc7g.16xlarge; do
		env "${CLEAN[@]}" "$DIAG" --root "$OUT/p5-healthy" --facts "$OUT/p5-healthy/facts.json" --counter-interval 0 \
			--instance-type "$t" --json "$OUT/t.json" >/dev/null 2>&1 || true
		jq -e --arg t "$t" '.checks[0].verdict == "PASS" and .instance_type == $t' "$OUT/t.json"
	done
}

@test "diag_environment_that_aborts_libfabric_fails" {
	ENV=(FI_EFA_MTU_SIZE=9000 FI_PROVIDER=tcp)
	diag p5-healthy
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but environment=FAIL
	grep -q "FI_EFA_MTU_SIZE is set (libfabric aborts on it); FI_PROVIDER=tcp hides the efa provider" "$OUT/diag.out"
	# p4d has RDMA read, so asking for it is fine there
	ENV=(FI_EFA_USE_DEVICE_RDMA=1)
	diag p4d-healthy
	[ "$DIAG_RC" -eq 0 ]
}

@test "diag_environment_reads_values_the_way_libfabric_and_nccl_do" {
	for e in "FI_PROVIDER=^efa" "FI_EFA_USE_DEVICE_RDMA=0" "FI_EFA_USE_DEVICE_RDMA=maybe" "NCCL_NET=Socket" \
		"FI_HMEM_DISABLE_P2P=1" "FI_EFA_IFACE="; do
		ENV=("$e")
		diag p5-healthy
		[ "$(verdict environment)" = FAIL ] || { echo "not a FAIL: $e"; false; }
	done
	# a device without RDMA read and "true", "yes" or "on": libfabric aborts
	root p4d-healthy
	jq '.devices |= map_values(.rdma_read = false)' "$OUT/p4d-healthy/facts.json" >"$OUT/noread.json"
	for v in true yes on; do
		ENV=("FI_EFA_USE_DEVICE_RDMA=$v")
		FACTS="$OUT/noread.json" diag p4d-healthy
		[[ "$(field environment reason)" == *"on a device without RDMA read (libfabric aborts)"* ]]
	done
	ENV=("FI_PROVIDER=efa,tcp")
	diag p5-healthy
	[ "$(verdict environment)" = WARN ]
	ENV=("FI_PROVIDER=^tcp")
	diag p5-healthy
	[ "$(verdict environment)" = WARN ]
}

# the node has lo, ens32 (up) and docker0 (down); NCCL reads the variable
# as name prefixes, "^" excluding, "=" exact
@test "diag_nccl_socket_ifname_must_select_an_interface_that_is_up" {
	for v in ens ens32 =ens32 "^docker,lo" "eth,ens"; do
		ENV=("NCCL_SOCKET_IFNAME=$v")
		diag p5-healthy
		[ "$(verdict environment)" = PASS ] || { echo "not a PASS: $v"; false; }
	done
	for v in eth0 =ens docker "^ens,lo"; do
		ENV=("NCCL_SOCKET_IFNAME=$v")
		diag p5-healthy
		[ "$(verdict environment)" = FAIL ] || { echo "not a FAIL: $v"; false; }
		[[ "$(field environment reason)" == *"NCCL_SOCKET_IFNAME=$v selects no interface that is up (here: docker0 down, ens32 up, lo up)"* ]]
	done
	ENV=("NCCL_SOCKET_IFNAME=lo")
	diag p5-healthy
	[ "$(verdict environment)" = WARN ]
	[[ "$(field environment reason)" == *"selects only loopback"* ]]
}

@test "diag_error_counters_missing_are_not_a_pass" {
	diag p5-counters-missing
	[ "$(verdict error_counters)" = WARN ]
	[[ "$(field error_counters remedy)" == *"r2.17.0"* ]]
}

@test "diag_error_counters_since_boot_pass_and_growth_during_the_check_warns" {
	diag p5-retrans-since-boot
	[ "$(verdict error_counters)" = PASS ]
	jq -e '.checks[] | select(.check == "error_counters") | .details.rdmap20s0.since_boot.retrans_pkts == 4711' "$OUT/d.json"
	# counters that grow while diag samples them
	local c="$OUT/p5-retrans-since-boot/sys/class/infiniband/rdmap21s0/ports/1/hw_counters/retrans_timeout_events"
	env "${CLEAN[@]}" FABCHECK_NVML=/nonexistent "$DIAG" --root "$OUT/p5-retrans-since-boot" \
		--facts "$OUT/p5-retrans-since-boot/facts.json" --counter-interval 3 --json "$OUT/d.json" \
		>"$OUT/diag.out" 2>"$OUT/diag.err" 3>&- &
	local pid=$!
	wait_for_text "$OUT/diag.err" "sampling EFA error counters" 5 || true
	echo 17 >"$c"
	wait "$pid" || true
	[ "$(verdict error_counters)" = WARN ]
	[[ "$(field error_counters reason)" == *"rdmap21s0 retrans_timeout_events +17"* ]]
	[ "$(field error_counters action)" = monitor ]
}

@test "diag_error_counters_since_boot_are_judged_against_the_uptime" {
	diag p5-errors-since-boot
	[ "$(verdict error_counters)" = WARN ]
	[ "$(field error_counters action)" = monitor ]
	local why
	why=$(field error_counters reason)
	[[ "$why" == *"5000 retransmit timeouts, unresponsive or impaired remotes in 24.0 h up (208 an hour)"* ]]
	[[ "$why" == *"retrans_pkts 5.0% of tx_pkts since boot"* ]]
	# the same totals over a year up are ordinary
	echo "31536000.00 0" >"$OUT/p5-errors-since-boot/proc/uptime"
	diag p5-errors-since-boot
	[[ "$(field error_counters reason)" != *"retransmit timeouts"* ]]
	[[ "$(field error_counters reason)" == *"retrans_pkts 5.0%"* ]]
}

@test "diag_hugepages_pass_naming_the_fork_enomem_remedy_and_fail_when_libfabric_would_abort" {
	# reserved huge pages are AWS's EKS setup: healthy, the remedy for
	# forking data loaders said in the reason
	diag p5-hugepages
	[ "$(verdict hugepages)" = PASS ]
	[[ "$(field hugepages reason)" == *"FI_EFA_USE_HUGE_PAGE=0"* ]]
	ENV=(FI_EFA_USE_HUGE_PAGE=0)
	diag p5-hugepages
	[ "$(verdict hugepages)" = PASS ]
	# huge pages forced on where fork support is needed: efa_fork_support.c aborts
	root p5-hugepages
	jq '.fork_unneeded = false' "$OUT/p5-hugepages/facts.json" >"$OUT/forky.json"
	ENV=(FI_EFA_USE_HUGE_PAGE=1)
	FACTS="$OUT/forky.json" diag p5-hugepages
	[ "$(verdict hugepages)" = FAIL ]
}

@test "diag_nccl_plugin_missing_or_misnamed_fails" {
	diag p5-no-plugin
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but nccl_plugin=FAIL
	[[ "$(field nccl_plugin reason)" == *"NCCL would fall back to its own sockets"* ]]
	ENV=(NCCL_NET_PLUGIN=nowhere)
	diag p5-healthy
	[ "$(verdict nccl_plugin)" = FAIL ]
	[[ "$(field nccl_plugin reason)" == "no nowhere on the library path"* ]]
	# NCCL's own rule: "ofi" means libnccl-net-ofi.so
	ENV=(NCCL_NET_PLUGIN=ofi)
	diag p5-healthy
	[ "$(verdict nccl_plugin)" = PASS ]
	[[ "$(field nccl_plugin reason)" == "/opt/amazon/ofi-nccl/lib/libnccl-net-ofi.so (aws-ofi-nccl 1.16.2)"* ]]
}

@test "diag_plugin_that_loads_another_libfabric_fails_libfabric" {
	diag p5-plugin-other-libfabric
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but libfabric=FAIL
	[[ "$(field libfabric reason)" == *"NCCL's plugin loads /usr/local/lib/libfabric.so.1"* ]]
	jq -e '.versions.libfabric_path == "/usr/local/lib/libfabric.so.1"' "$OUT/d.json"
}

@test "diag_old_libfabric_fails_on_gpu_efa_nodes" {
	diag p5-old-libfabric
	[ "$(verdict libfabric)" = FAIL ]
	[[ "$(field libfabric reason)" == *"older than 1.22, so NCCL would not use EFA"* ]]
}

@test "diag_nvml_stand_in_faults_give_verdicts_and_actions" {
	ENV=(FABCHECK_STANDIN_NVML_FAULTS=2:ecc=3)
	diag p5-healthy
	[ "$(verdict gpu_memory)" = FAIL ]
	[ "$(field gpu_memory action)" = reboot ]
	[[ "$(field gpu_memory reason)" == "GPU 0000:33:00.0: uncorrectable ECC errors since the driver loaded" ]]
	ENV=(FABCHECK_STANDIN_NVML_FAULTS=5:remap_failed=1)
	diag p5-healthy
	[ "$(field gpu_memory action)" = replace_node ]
	ENV=(FABCHECK_STANDIN_NVML_FAULTS=1:retired_pending=1)
	diag p5-healthy
	[ "$(field gpu_memory action)" = reboot ]
	ENV=(FABCHECK_STANDIN_NVML_FAULTS=0:ecc_total=2)
	diag p5-healthy
	[ "$(verdict gpu_memory)" = WARN ]
	ENV=(FABCHECK_STANDIN_NVML_FAULTS=7:nvlink_down=3)
	diag p5-healthy
	[ "$(field nvlink reason)" = "GPU 0000:83:00.0: 3 of 18 links down" ]
	ENV=(FABCHECK_STANDIN_NVML_FAULTS=4:fabric_state=1)
	diag p5-healthy
	[ "$(verdict fabric_manager)" = FAIL ]
	[[ "$(field fabric_manager remedy)" == *"nvidia-fabricmanager"* ]]
	ENV=(FABCHECK_STANDIN_NVML_INIT=18)
	diag p5-healthy
	[ "$(verdict gpus)" = FAIL ]
	[ "$(field gpus action)" = reboot ]
	# NVML sees 7 of the 8 GPUs on the PCI bus
	ENV=(FABCHECK_STANDIN_NVML_GPUS="$(cut -d, -f1-7 "$OUT/p5-healthy/nvml_gpus")")
	diag p5-healthy
	[[ "$(field gpus reason)" == "NVML sees 7 of the 8 GPU(s) on the PCI bus"* ]]
}

# an A100 node (p4d): NVML reports no fabric state there, so CUDA is asked;
# cuInit says "system not ready" (802) until the fabric manager has set the
# NVSwitch fabric up
@test "diag_fabric_manager_on_a_node_nvml_cannot_ask_is_judged_by_cuda_starting" {
	root p4d-healthy
	FACTS=$(facts_without p4d-healthy cuda_dmabuf)
	local a100=(FABCHECK_STANDIN_NVML_FAULTS="$(seq -s, -f '%g:fabric_state=0' 0 7)")
	ENV=("${a100[@]}" FABCHECK_STANDIN_CUINIT=802)
	diag p4d-healthy
	[ "$DIAG_RC" -eq 1 ]
	[ "$(verdict fabric_manager)" = FAIL ]
	[[ "$(field fabric_manager reason)" == *"NVSwitch(es), and CUDA does not start: cuInit says the system is not ready"* ]]
	[[ "$(field fabric_manager remedy)" == *"nvidia-fabricmanager"* ]]
	ENV=("${a100[@]}")
	diag p4d-healthy
	[ "$(verdict fabric_manager)" = PASS ]
	[[ "$(field fabric_manager reason)" == *"CUDA started"* ]]
	# GPUs hidden from the task: CUDA cannot tell, nothing is failed for it
	ENV=("${a100[@]}" FABCHECK_STANDIN_CUINIT=100 CUDA_VISIBLE_DEVICES=)
	diag p4d-healthy
	[ "$(verdict fabric_manager)" = SKIP ]
}

# the closing notes' per-node table (verdicts.py) with each variant's own
# environment: the failures operators hit first, each with its verdict,
# and no false FAIL where the node works
@test "diag_verdict_table_gives_each_stand_in_node_its_verdicts_in_its_own_environment" {
	run python3 "$BATS_TEST_DIRNAME/../fixtures/diag/verdicts.py" "$(dirname "$FABCHECK_BIN")" p5-healthy \
		p5-sky-exec-gpus-hidden p5-memlock-64k-cap-ipc-lock p5-libfabric-1-21-plugin-1-12 p5-nvidia-580-efa-2-17-1 \
		p5-nvidia-580-efa-2-17-1-no-dmabuf p4d-fabric-manager-down p5-pod-without-efa p5-nccl-socket-ifname-eth9
	echo "$output"
	[ "$status" -eq 0 ]
	# cell CHECK VARIANT: the table's verdict (with its action)
	cell() {
		awk -F' *[|] *' -v c="$1" -v v="$2" 'NR == 1 { for (i = 2; i < NF; i++) col[$i] = i }
			$2 == c { print $(col[v]) }' <<<"$output"
	}
	[ "$(cell efa_hmem p5-healthy)" = PASS ] && [ "$(cell kubernetes p5-healthy)" = SKIP ]
	[ "$(cell efa_hmem p5-sky-exec-gpus-hidden)" = SKIP ]
	! grep -q FAIL <<<"$(awk -F' *[|] *' 'NR == 1 { for (i = 2; i < NF; i++) if ($i == "p5-sky-exec-gpus-hidden") k = i }
		NR > 2 { print $k }' <<<"$output")"
	[ "$(cell memlock p5-memlock-64k-cap-ipc-lock)" = PASS ]
	[ "$(cell libfabric p5-libfabric-1-21-plugin-1-12)" = PASS ]
	[ "$(cell efa_driver p5-nvidia-580-efa-2-17-1)" = WARN/config ]
	[ "$(cell efa_driver p5-nvidia-580-efa-2-17-1-no-dmabuf)" = FAIL/config ]
	[ "$(cell fabric_manager p4d-fabric-manager-down)" = FAIL/config ]
	[ "$(cell kubernetes p5-pod-without-efa)" = FAIL/config ]
	[ "$(cell environment p5-nccl-socket-ifname-eth9)" = FAIL/config ]
}

@test "diag_without_nvml_the_gpu_checks_say_so" {
	ENV=(FABCHECK_NVML=/nonexistent/libnvidia-ml.so.1)
	diag p5-healthy
	[ "$DIAG_RC" -eq 1 ]
	all_pass_but gpus=FAIL gpu_memory=SKIP nvlink=SKIP fabric_manager=SKIP
	[[ "$(field gpus reason)" == "the NVIDIA driver's NVML does not load"* ]]
}

@test "diag_links_no_libfabric_rdma_core_or_efa" {
	run ldd "$DIAG"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *libjansson* ]]
	[[ "$output" != *libfabric* ]]
	[[ "$output" != *libibverbs* ]]
	[[ "$output" != *libefa* ]]
}

@test "diag_in_an_image_without_libefa_fails_rdma_core_with_the_remedy" {
	root p5-healthy
	FACTS=$(facts_without p5-healthy devices rdma_core fork_unneeded)
	ENV=(FABCHECK_LIBEFA=/nonexistent/libefa.so.1 FABCHECK_LIBIBVERBS="$STANDIN/librdma-standin.so")
	diag p5-healthy
	[ "$DIAG_RC" -eq 1 ]
	[ "$(verdict rdma_core)" = FAIL ]
	[[ "$(field rdma_core reason)" == "libefa cannot be loaded: /nonexistent/libefa.so.1"* ]]
	[[ "$(field rdma_core remedy)" == *"install rdma-core"* ]]
	[ "$(verdict efa_rdma)" = SKIP ]
	# and without libfabric
	FACTS=$(facts_without p5-healthy libfabric)
	ENV=(FABCHECK_LIBFABRIC=/nonexistent/libfabric.so.1)
	diag p5-healthy
	[ "$(verdict libfabric)" = FAIL ]
	[[ "$(field libfabric remedy)" == *"/opt/amazon/efa/lib"* ]]
}

@test "diag_on_this_machine_says_no_efa_and_exits_0" {
	run env "${CLEAN[@]}" "$DIAG" --json "$OUT/d.json" --counter-interval 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no EFA hardware"* ]]
	[ "$(verdict efa_devices)" = SKIP ]
	# every check appears, each with an action and versions as fields
	jq -e --argjson ids "$ALL_CHECKS" '[.checks[].check] == $ids and all(.checks[]; .action != null)
		and (.hostname | length > 0) and (.timestamp | test("^[0-9-]+T[0-9:]+Z$"))
		and (.versions | has("libfabric") and has("efa_driver") and has("efa_installer") and has("aws_ofi_nccl")
		     and has("nccl") and has("cuda_driver"))' "$OUT/d.json"
	# the API version asked for is the runtime's where the headers are newer or equal
	jq -e '.versions.libfabric_api == .versions.libfabric' "$OUT/d.json"
	run env "${CLEAN[@]}" "$DIAG" --expect-efa --counter-interval 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  EFA devices"* ]]
}

@test "diag_usage_errors_exit_2_in_the_suites_words" {
	run timeout 60 "$DIAG" --bogus
	[ "$status" -eq 2 ]
	[ "$output" = "fabcheck-diag: error: unknown option '--bogus' (see --help)" ]
	run timeout 60 "$DIAG" --json
	[ "$status" -eq 2 ]
	[[ "$output" == *"option '--json' needs a value"* ]]
	run timeout 60 "$DIAG" --table /nonexistent.tsv
	[ "$status" -eq 2 ]
	[[ "$output" == *"cannot read the instance table"* ]]
	run timeout 60 "$DIAG" --root /nonexistent
	[ "$status" -eq 2 ]
	[[ "$output" == *"--root /nonexistent is not a folder"* ]]
	run timeout 60 "$DIAG" --counter-interval -1
	[ "$status" -eq 2 ]
	run timeout 60 "$DIAG" --help
	[ "$status" -eq 0 ]
}

@test "diag_malformed_instance_table_names_file_and_line" {
	printf '# comment\np5.48xlarge h100 8 32 100 yes yes 4 yes\n' >"$OUT/bad.tsv"
	run timeout 60 "$DIAG" --table "$OUT/bad.tsv"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad.tsv:2: expected 11 fields"* ]]
}

@test "diag_odd_files_under_root_do_not_hang_it" {
	root odd-files
	run timeout 20 env "${CLEAN[@]}" FABCHECK_NVML=/nonexistent "$DIAG" --root "$OUT/odd-files" \
		--facts "$OUT/odd-files/facts.json" --counter-interval 0 --json "$OUT/d.json"
	echo "$output"
	[ "$status" -ne 124 ]
	# the FIFO product name is not read: no type; /dev/zero limits: unknown
	jq -e '.product_name == "" and .instance_type == null' "$OUT/d.json"
	[ "$(verdict memlock)" = SKIP ]
}

@test "diag_json_write_errors_exit_3_and_leave_nothing" {
	root p5-healthy
	run env "${CLEAN[@]}" "$DIAG" --root "$OUT/p5-healthy" --facts "$OUT/p5-healthy/facts.json" --counter-interval 0 --json /dev/full
	[ "$status" -eq 3 ]
	[[ "$output" == *"'/dev/full': No space left on device"* ]]
	# a file that cannot grow (as on a full filesystem): no 0-byte or partial file
	run bash -c 'ulimit -f 1; trap "" XFSZ; exec env "$@"' _ "${CLEAN[@]}" "$DIAG" --root "$OUT/p5-healthy" \
		--facts "$OUT/p5-healthy/facts.json" --counter-interval 0 --json "$OUT/big.json"
	[ "$status" -eq 3 ]
	[ ! -e "$OUT/big.json" ]
	[ -z "$(ls "$OUT" | grep 'big.json.tmp')" ]
	# a FIFO nobody reads is a bad path, said before anything is gathered
	mkfifo "$OUT/fifo"
	run timeout 60 env "${CLEAN[@]}" "$DIAG" --root "$OUT/p5-healthy" --facts "$OUT/p5-healthy/facts.json" \
		--counter-interval 0 --json "$OUT/fifo"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"cannot write results to '$OUT/fifo'"*"a FIFO nobody reads"* ]]
}

@test "diag_escapes_control_characters_from_the_node" {
	root p5-healthy
	printf 'x9\033[2J\033]0;pwned\007.mega\n' >"$OUT/p5-healthy/sys/devices/virtual/dmi/id/product_name"
	run env "${CLEAN[@]}" "$DIAG" --root "$OUT/p5-healthy" --facts "$OUT/p5-healthy/facts.json" --counter-interval 0
	[[ "$output" == *'x9\x1b[2J\x1b]0;pwned\x07.mega'* ]]
	! grep -q $'\033' <<<"$output"
}

# diag/recipes/slurm/node-check.sh as a Slurm prolog or health check would run it
node_check() { # VARIANT: NC_RC, $OUT/nc.out; scontrol is a stand-in that logs its arguments
	local v=$1
	root "$v"
	mkdir -p "$OUT/path"
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/scontrol.args"\n' "$OUT" >"$OUT/path/scontrol"
	chmod +x "$OUT/path/scontrol"
	env "${CLEAN[@]}" PATH="$OUT/path:$PATH" FABCHECK_BIN="$FABCHECK_BIN" NODE_CHECK_DRAIN=1 \
		FABCHECK_NVML="$STANDIN/libnvml-standin.so" FABCHECK_LIBCUDA="$STANDIN/libcuda-standin.so" \
		FABCHECK_STANDIN_NVML_GPUS="$(cat "$OUT/$v/nvml_gpus")" NODE_CHECK_COUNTER_INTERVAL=0 \
		"$REPO/diag/recipes/slurm/node-check.sh" --root "$OUT/$v" --facts "$OUT/$v/facts.json" >"$OUT/nc.out" 2>&1 &&
		NC_RC=0 || NC_RC=$?
	cat "$OUT/nc.out"
}

@test "diag_slurm_node_check_passes_a_healthy_node_and_drains_one_with_a_failed_efa" {
	node_check p5-healthy
	[ "$NC_RC" -eq 0 ]
	[ ! -e "$OUT/scontrol.args" ]
	node_check p5-efa-unbound
	[ "$NC_RC" -eq 1 ]
	grep -q "^FAIL  EFA devices" "$OUT/nc.out"
	# drained with the failed check as the reason, as one scontrol argument
	grep -qx "State=DRAIN" "$OUT/scontrol.args"
	grep -q "^Reason=fabcheck: EFA devices .*without an EFA device" "$OUT/scontrol.args"
}

# the one-node traffic self-test, for real over the tcp provider on lo
traffic() { # ARGS...: DIAG_RC, $OUT/t.json
	run timeout 120 env "${CLEAN[@]}" "${ENV[@]}" "$DIAG" --counter-interval 0 --traffic --json "$OUT/t.json" "$@"
	echo "$output"
	DIAG_RC=$status
	jq -c '.checks[] | select(.check == "traffic")' "$OUT/t.json"
}

@test "diag_traffic_self_test_on_lo_measures_and_proves_the_device_carried_it" {
	mkdir "$OUT/scratch"
	export TMPDIR="$OUT/scratch"
	traffic --traffic-provider tcp --traffic-domains lo
	# the programs' files are gone with their folder, made where TMPDIR says
	[ -z "$(ls -A "$OUT/scratch")" ]
	[ "$DIAG_RC" -eq 0 ]
	jq -e '.checks[] | select(.check == "traffic") | .verdict == "PASS" and (.details | length == 1)
		and .details[0].domain == "lo" and .details[0].coverage == "ok" and .details[0].bw_gbps > 0
		and .details[0].lat_us_p50 > 0 and .details[0].nic_tx_bytes > 1000000' "$OUT/t.json"
}

@test "diag_traffic_names_the_device_whose_counters_did_not_move" {
	# lo's counters frozen (a stand-in sysfs): the bytes "went elsewhere"
	mkdir -p "$OUT/sys/class/net/lo/statistics"
	echo 5 >"$OUT/sys/class/net/lo/statistics/tx_bytes"
	echo 5 >"$OUT/sys/class/net/lo/statistics/rx_bytes"
	ENV=(FABCHECK_SYSFS_ROOT="$OUT/sys")
	traffic --traffic-provider tcp --traffic-domains lo
	[ "$DIAG_RC" -eq 1 ]
	jq -e '.checks[] | select(.check == "traffic") | .verdict == "FAIL" and .action == "reboot"
		and (.reason | test("traffic for lo went elsewhere"))' "$OUT/t.json"
}

@test "diag_traffic_without_efa_or_with_an_unknown_device_says_why" {
	traffic
	[ "$DIAG_RC" -eq 0 ]
	jq -e '.checks[] | select(.check == "traffic") | .verdict == "SKIP" and (.reason | test("no EFA devices"))' "$OUT/t.json"
	traffic --traffic-provider tcp --traffic-domains nope0
	[ "$DIAG_RC" -eq 1 ]
	jq -e '.checks[] | select(.check == "traffic") | .verdict == "FAIL" and .action == "configuration"
		and (.reason | test("no domain .nope0. here; its domains: [a-z]"))' "$OUT/t.json"
}

# GPU memory under --traffic: registered for real through fabcheck-mr with
# the stand-in CUDA runtime; Debian's libfabric refuses it, as a node
# without GPUDirect would
gpu_traffic() { # VARIANT ARGS...: diag with the stand-in CUDA runtime and 8 GPUs
	local v=$1
	shift
	ENV+=(FABCHECK_CUDART="$STANDIN/libcudart-standin.so" FABCHECK_STANDIN_GPUS=8)
	diag "$v" --traffic "$@"
	jq -c '.checks[] | select(.check == "gpudirect")' "$OUT/d.json"
}

@test "diag_traffic_registers_gpu_memory_and_a_refusal_fails_gpudirect_naming_gpu_and_both_paths" {
	ENV=(CUDA_VISIBLE_DEVICES=0,5)
	gpu_traffic p5-healthy --traffic-provider shm
	[ "$DIAG_RC" -eq 1 ]
	# the drivers' files say p2p is there (inferred PASS before --traffic):
	# what was tried wins, for both GPUs CUDA_VISIBLE_DEVICES names
	jq -e '.checks[] | select(.check == "gpudirect") | .verdict == "FAIL" and .action == "configuration"
		and (.reason | test("^GPU 0000:13:00.0 \\(CUDA device 0\\) .*0 of 2 GPUs could\\); by address: registering 1048576 bytes of CUDA memory with provider shm failed.*by dmabuf: "))
		and (.details | length == 2) and .details[1].gpu_pci == "0000:63:00.0"
		and all(.details[]; .by_address == "failed" and .dmabuf == "failed")' "$OUT/d.json"
	diag p5-healthy
	[ "$(verdict gpudirect)" = PASS ]
	[[ "$(field gpudirect reason)" == *"inferred, --traffic registers GPU memory to prove it"* ]]
}

# fake_programs DIR: fabcheck-diag copied into DIR beside stand-ins for the
# programs it runs; the fake fabcheck-mr logs its arguments and answers
# per path as FAKE_VA and FAKE_DMABUF say (ok, staged, fail)
fake_programs() {
	mkdir -p "$1"
	cp "$DIAG" "$1/fabcheck-diag"
	printf '#!/bin/sh\nexit 0\n' >"$1/fabcheck-pingpong"
	cp "$1/fabcheck-pingpong" "$1/fabcheck-bw"
	cat >"$1/fabcheck-mr" <<'MR'
#!/bin/sh
echo "$*" >>"$FAKE_LOG"
path= json=
while [ $# -gt 0 ]; do
	case $1 in --mr-path) path=$2; shift ;; --json) json=$2; shift ;; esac
	shift
done
[ "$path" = va ] && how=$FAKE_VA || how=$FAKE_DMABUF
case $how in
ok | staged)
	[ "$how" = ok ] && gp=gpudirect || gp=staged
	echo "{\"test\":\"mr\",\"mr_path\":\"$path\",\"gpu_path\":\"$gp\"}" >"$json"
	exit 0 ;;
*) echo "fabcheck-mr: error: refused by $path"; exit 3 ;;
esac
MR
	chmod +x "$1/fabcheck-pingpong" "$1/fabcheck-bw" "$1/fabcheck-mr"
}

@test "diag_traffic_gpu_registration_each_gpu_with_its_closest_nic_and_the_path_that_worked" {
	fake_programs "$OUT/bin"
	DIAG="$OUT/bin/fabcheck-diag"
	ENV=(FAKE_LOG="$OUT/mr.log" FAKE_VA=ok FAKE_DMABUF=fail)
	diag p5-healthy --traffic
	cat "$OUT/mr.log"
	# every GPU, both paths, each alone, on the EFA device closest to it
	[ "$(grep -c -- '--mr-path va' "$OUT/mr.log")" -eq 8 ]
	[ "$(grep -c -- '--mr-path dmabuf' "$OUT/mr.log")" -eq 8 ]
	grep -q -- "-p efa -d rdmap20s0-rdm -D cuda:0 " "$OUT/mr.log"
	grep -q -- "-p efa -d rdmap132s0-rdm -D cuda:7 " "$OUT/mr.log"
	jq -e '.checks[] | select(.check == "gpudirect") | .verdict == "PASS"
		and (.reason | test("on 8 GPU\\(s\\).*by address \\(peer memory\\) on 8, by dmabuf on 0"))
		and ([.details[] | select(.gpu_path == "gpudirect" and .by_address == "registered")] | length == 8)' "$OUT/d.json"
	# dmabuf only: enough with aws-ofi-nccl 1.20 ...
	ENV=(FAKE_LOG="$OUT/mr.log" FAKE_VA=fail FAKE_DMABUF=ok)
	diag p5-dmabuf-only-ofi-nccl-1-20 --traffic
	jq -e '.checks[] | select(.check == "gpudirect") | .verdict == "PASS"
		and (.reason | test("by address \\(peer memory\\) on 0, by dmabuf on 8"))' "$OUT/d.json"
	# ... not with aws-ofi-nccl 1.16 on a p5: NCCL does not use dmabuf there
	diag p5-healthy --traffic
	jq -e '.checks[] | select(.check == "gpudirect") | .verdict == "FAIL"
		and (.reason | test("registers only by dmabuf, which aws-ofi-nccl 1.1[0-9.]* does not use"))
		and (.remedy | test("1.20.0"))' "$OUT/d.json"
	# registered, but only with CUDA calls allowed: staging, not GPUDirect
	ENV=(FAKE_LOG="$OUT/mr.log" FAKE_VA=staged FAKE_DMABUF=staged)
	diag p5-healthy --traffic
	jq -e '.checks[] | select(.check == "gpudirect") | .verdict == "FAIL"
		and (.reason | test("FI_OPT_CUDA_API_PERMITTED refused"))' "$OUT/d.json"
}

@test "diag_traffic_with_gpus_hidden_tries_no_gpu_memory_and_says_why" {
	fake_programs "$OUT/bin"
	DIAG="$OUT/bin/fabcheck-diag"
	ENV=(FAKE_LOG="$OUT/mr.log" FAKE_VA=ok FAKE_DMABUF=ok CUDA_VISIBLE_DEVICES=)
	diag p5-healthy --traffic
	[ ! -e "$OUT/mr.log" ]
	[ "$(verdict gpudirect)" = PASS ]
	[[ "$(field gpudirect reason)" == *"inferred, GPU memory not tried: CUDA_VISIBLE_DEVICES hides every GPU"* ]]
}

@test "diag_nccl_env_resolves_the_plugin_and_its_libfabric_as_nccl_would_here_and_names_the_folder" {
	# an image that installed aws-ofi-nccl and libfabric but put neither
	# on the library path: no ld.so.conf entry, no LD_LIBRARY_PATH
	root p5-healthy
	rm "$OUT/p5-healthy/etc/ld.so.conf.d/000_efa.conf"
	diag p5-healthy --nccl-env
	[ "$DIAG_RC" -eq 1 ]
	# three checks only, judged whatever this machine has
	jq -e '[.checks[].check] == ["libfabric","nccl_plugin","environment"]' "$OUT/d.json"
	[ "$(verdict nccl_plugin)" = FAIL ]
	[[ "$(field nccl_plugin reason)" == *"aws-ofi-nccl is installed at /opt/amazon/ofi-nccl/lib/libnccl-net-ofi.so, off the search path"* ]]
	[[ "$(field nccl_plugin remedy)" == "put /opt/amazon/ofi-nccl/lib on the library path where NCCL runs (export LD_LIBRARY_PATH=/opt/amazon/ofi-nccl/lib:\$LD_LIBRARY_PATH"* ]]
	# the job's LD_LIBRARY_PATH is what NCCL searches
	ENV=(LD_LIBRARY_PATH=/opt/amazon/ofi-nccl/lib)
	diag p5-healthy --nccl-env
	[ "$DIAG_RC" -eq 0 ]
	[ "$(verdict nccl_plugin)" = PASS ]
	# NCCL_NET_PLUGIN=none is the user's choice: no hint to undo it
	ENV=(LD_LIBRARY_PATH=/opt/amazon/ofi-nccl/lib NCCL_NET_PLUGIN=none)
	diag p5-healthy --nccl-env
	[ "$(verdict nccl_plugin)" = FAIL ]
	[[ "$(field nccl_plugin reason)" != *"off the search path"* ]]
}

@test "diag_nccl_env_names_the_libfabric_the_plugin_cannot_find" {
	# the plugin's RUNPATH names /usr/local/lib, whose libfabric is gone;
	# the EFA installer's is there, off the plugin's search path
	root p5-plugin-other-libfabric
	rm "$OUT/p5-plugin-other-libfabric/etc/ld.so.conf.d/000_efa.conf" "$OUT/p5-plugin-other-libfabric/usr/local/lib/libfabric.so.1"
	ENV=(LD_LIBRARY_PATH=/opt/amazon/ofi-nccl/lib)
	diag p5-plugin-other-libfabric --nccl-env
	[ "$DIAG_RC" -eq 1 ]
	[ "$(verdict nccl_plugin)" = FAIL ]
	[[ "$(field nccl_plugin reason)" == *"needs libfabric.so.1, which is not on its search path (/opt/amazon/efa/lib/libfabric.so.1 is installed, off that path)"* ]]
	[[ "$(field nccl_plugin remedy)" == "put /opt/amazon/efa/lib on the library path where NCCL runs"*"or the plugin's RUNPATH" ]]
}

@test "diag_nccl_env_with_traffic_is_a_usage_error" {
	run "$DIAG" --nccl-env --traffic
	[ "$status" -eq 2 ]
	[[ "$output" == *"--nccl-env checks what NCCL would load, not the node"* ]]
}
