#!/usr/bin/env python3
"""The cluster recipes under diag/, read with a real YAML parser (PyYAML).

  manifests.py check REPO         the schema-level checks, offline; exit 1 naming
                                  every problem
  manifests.py run FILE           a SkyPilot task's run: section, as written
  manifests.py envs FILE          its envs:, one KEY=VALUE per line
  manifests.py container FILE     a Kubernetes Job's container: its command, then
                                  its env as KEY=VALUE lines
"""
import os
import re
import sys

import yaml

SKY_KEYS = {"name", "workdir", "num_nodes", "resources", "envs", "secrets", "file_mounts", "setup", "run",
            "config", "service", "event_callback", "volumes"}
EFA = "vpc.amazonaws.com/efa"
# the image the Kubernetes Jobs name: a placeholder that diag/recipes/k8s/README.md
# says how to replace (nobody publishes a fabcheck image)
IMAGE = "REGISTRY/fabcheck:TAG"


def load(path):
    with open(path) as f:
        return list(yaml.safe_load_all(f))


def check_efa_container(where, c, problems):
    """EFA asked for equally in limits and requests, and IPC_LOCK."""
    res = c.get("resources") or {}
    lim, req = res.get("limits") or {}, res.get("requests") or {}
    if not isinstance(lim.get(EFA), int) or lim.get(EFA) < 1:
        problems.append(f"{where}: resources.limits.{EFA} is not a positive integer")
    elif lim.get(EFA) != req.get(EFA):
        problems.append(f"{where}: {EFA} limits {lim.get(EFA)} and requests {req.get(EFA)} differ")
    caps = ((c.get("securityContext") or {}).get("capabilities") or {}).get("add") or []
    if "IPC_LOCK" not in caps:
        problems.append(f"{where}: no IPC_LOCK capability (RDMA registrations lock memory)")


def check_sky(path, problems):
    docs = load(path)
    if len(docs) != 1 or not isinstance(docs[0], dict):
        problems.append(f"{path}: not one YAML mapping")
        return
    t = docs[0]
    for k in t:
        if k not in SKY_KEYS:
            problems.append(f"{path}: '{k}' is not a SkyPilot task field")
    if not isinstance(t.get("num_nodes"), int) or t["num_nodes"] < 1:
        problems.append(f"{path}: num_nodes is not a positive integer")
    if not isinstance(t.get("resources"), dict):
        problems.append(f"{path}: resources is not a mapping")
    envs = t.get("envs") or {}
    for k, v in envs.items():
        # SkyPilot passes envs as strings: an unquoted true or 32 is a YAML bool or int
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(k)) or not isinstance(v, str):
            problems.append(f"{path}: envs.{k} is not NAME: \"string\"")
    run = t.get("run")
    if not isinstance(run, str) or not run.strip():
        problems.append(f"{path}: no run: commands")
    else:
        # the script a run: calls must be in the tree (the workdir)
        for script in re.findall(r"\b(diag/[\w./-]+\.sh)\b", run):
            if not os.path.exists(os.path.join(os.path.dirname(path), "..", "..", "..", script)):
                problems.append(f"{path}: run: calls {script}, which is not in the tree")
    if t.get("workdir") != ".":
        problems.append(f"{path}: workdir is not the fabcheck tree ('.')")
    try:
        c = t["config"]["kubernetes"]["pod_config"]["spec"]["containers"][0]
    except (KeyError, IndexError, TypeError):
        problems.append(f"{path}: no config.kubernetes.pod_config.spec.containers[0]")
        return
    check_efa_container(f"{path}: pod_config", c, problems)


def env_of(c):
    return {e["name"]: e.get("value", "") for e in c.get("env") or []}


def check_image(where, pod, problems):
    """Every container: no :latest (or no tag, the same), pulled IfNotPresent; the
    first names the documented placeholder."""
    cs = (pod.get("initContainers") or []) + (pod.get("containers") or [])
    for c in cs:
        img = str(c.get("image") or "")
        last = img.rsplit("/", 1)[-1]
        if "@" not in last and (":" not in last or last.endswith(":latest")):
            problems.append(f"{where}: container {c.get('name')} image {img!r} has no tag or :latest (pulled on every "
                            f"start, and nobody pushes it): name a tag")
        if c.get("imagePullPolicy") != "IfNotPresent":
            problems.append(f"{where}: container {c.get('name')} imagePullPolicy is "
                            f"{c.get('imagePullPolicy')!r}, not IfNotPresent")
    main = (pod.get("containers") or [{}])[0]
    if main.get("image") != IMAGE:
        problems.append(f"{where}: image {main.get('image')!r} is not the placeholder {IMAGE} "
                        f"that diag/recipes/k8s/README.md replaces")


def check_k8s_docs(k8s, problems):
    """The README says how to set the placeholder and build FROM the user's image;
    the Dockerfile takes BASE_IMAGE."""
    readme, dockerfile = os.path.join(k8s, "README.md"), os.path.join(k8s, "Dockerfile")
    try:
        text = open(readme).read()
    except OSError:
        problems.append(f"{readme}: missing (the image's build, push and placeholder)")
    else:
        for want in (IMAGE, "docker push", "BASE_IMAGE"):
            if want not in text:
                problems.append(f"{readme}: does not mention {want}")
    try:
        text = open(dockerfile).read()
    except OSError:
        problems.append(f"{dockerfile}: missing")
    else:
        if not re.search(r"^ARG BASE_IMAGE=\S+", text, re.M) or \
                not re.search(r"^FROM \$\{?BASE_IMAGE\}?\s*$", text, re.M):
            problems.append(f"{dockerfile}: no ARG BASE_IMAGE=<default> that FROM uses "
                            f"(--build-arg BASE_IMAGE=<training image>)")


def check_k8s(path, problems):
    docs = [d for d in load(path) if d is not None]
    services = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Service"}
    for d in docs:
        for k in ("apiVersion", "kind", "metadata"):
            if k not in d:
                problems.append(f"{path}: a document without {k}")
                return
        if d["kind"] != "Job":
            continue
        name, spec = d["metadata"]["name"], d["spec"]
        where = f"{path}: Job {name}"
        if d["apiVersion"] != "batch/v1":
            problems.append(f"{where}: apiVersion is not batch/v1")
        if spec.get("completionMode") != "Indexed":
            problems.append(f"{where}: not an Indexed Job (pods need JOB_COMPLETION_INDEX)")
        if spec.get("completions") != spec.get("parallelism"):
            problems.append(f"{where}: completions and parallelism differ: not every node runs at once")
        pod = spec["template"]["spec"]
        if pod.get("restartPolicy") != "Never":
            problems.append(f"{where}: restartPolicy is not Never (a failed node's pod would rerun)")
        anti = (((pod.get("affinity") or {}).get("podAntiAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        if not any(t.get("topologyKey") == "kubernetes.io/hostname" and
                   (t.get("labelSelector") or {}).get("matchLabels", {}).get("job-name") == name for t in anti):
            problems.append(f"{where}: pods are not kept one per node (podAntiAffinity on job-name)")
        c = pod["containers"][0]
        check_efa_container(f"{where}", c, problems)
        check_image(where, pod, problems)
        env = env_of(c)
        cmd = c.get("command") or []
        if not cmd or not cmd[0].startswith("/opt/fabcheck/") or \
                not os.path.exists(os.path.join(os.path.dirname(path), "..", "..", "..", cmd[0][len("/opt/fabcheck/"):])):
            problems.append(f"{where}: command {cmd} is not a script of the tree at /opt/fabcheck")
        if env.get("MODE", "full") == "diag":
            continue
        # the pre-flight: N in three places, pod 0 named through the service
        if env.get("FABCHECK_NODES") != str(spec.get("completions")):
            problems.append(f"{where}: FABCHECK_NODES {env.get('FABCHECK_NODES')} is not completions "
                            f"{spec.get('completions')}")
        sub = pod.get("subdomain")
        svc = services.get(sub)
        if not svc:
            problems.append(f"{where}: subdomain {sub} names no headless Service in the file")
        else:
            if svc["spec"].get("clusterIP") != "None":
                problems.append(f"{path}: Service {sub} is not headless (clusterIP: None)")
            if svc["spec"].get("selector", {}).get("job-name") != name:
                problems.append(f"{path}: Service {sub} does not select the Job's pods")
            if not svc["spec"].get("publishNotReadyAddresses"):
                problems.append(f"{path}: Service {sub} hides pods until ready")
        if env.get("FABCHECK_COORDINATOR") != f"{name}-0.{sub}":
            problems.append(f"{where}: FABCHECK_COORDINATOR is not pod 0 ({name}-0.{sub})")


def main():
    what = sys.argv[1]
    if what == "check":
        repo, problems = sys.argv[2], []
        for f in sorted(os.listdir(os.path.join(repo, "diag/recipes/sky"))):
            if f.endswith(".yaml"):
                check_sky(os.path.join(repo, "diag/recipes/sky", f), problems)
        for f in sorted(os.listdir(os.path.join(repo, "diag/recipes/k8s"))):
            if f.endswith(".yaml"):
                check_k8s(os.path.join(repo, "diag/recipes/k8s", f), problems)
        check_k8s_docs(os.path.join(repo, "diag/recipes/k8s"), problems)
        for p in problems:
            print(p)
        return 1 if problems else 0
    doc = load(sys.argv[2])
    if what == "run":
        sys.stdout.write(doc[0]["run"])
    elif what == "envs":
        for k, v in (doc[0].get("envs") or {}).items():
            print(f"{k}={v}")
    elif what == "container":
        job = next(d for d in doc if d and d.get("kind") == "Job")
        c = job["spec"]["template"]["spec"]["containers"][0]
        print(" ".join(c["command"]))
        for k, v in env_of(c).items():
            print(f"{k}={v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
