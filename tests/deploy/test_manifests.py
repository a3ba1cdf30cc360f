"""deploy/: the Kubernetes manifests validate offline against the API's schemas (kubernetes-validate,
strict: an unknown or misspelt field fails) and say what a mirror worker needs; the HAProxy
configuration is one HAProxy accepts; the container recipe installs what the Makefile installs.
Nothing is applied or built here: no cluster and no registry are reachable."""
from __future__ import annotations

import dataclasses
import re
import subprocess
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from mirror.server.settings import Settings
from tests.haproxy import SHIPPED, haproxy_path

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes release still supported upstream when these were written.
KUBERNETES_VERSION = "1.30.0"
WORKERS = ("magic-mirror-cpu", "magic-mirror-gpu")


def manifests() -> list[tuple[str, dict]]:
    return [(path.name, doc) for path in sorted(KUBERNETES.glob("*.yaml"))
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def resources() -> dict[tuple[str, str], dict]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for _, doc in manifests()}


def worker(name: str) -> tuple[dict, dict, dict[str, dict]]:
    """(pod spec, its container, the container's env by name)."""
    pod = resources()[("Deployment", name)]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return pod, container, {e["name"]: e for e in container["env"]}


@pytest.mark.parametrize("file, doc", manifests(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_every_manifest_validates_against_the_kubernetes_schema(file, doc):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name", WORKERS)
def test_a_worker_is_probed_on_ready_and_healthz_and_has_longer_than_its_drain_to_stop(name):
    deployment = resources()[("Deployment", name)]
    pod, container, env = worker(name)
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    drain_s = float(env["MIRROR_DRAIN_S"]["value"])
    # The drain, then closing the sessions and finishing a recording (at most a clip's length).
    assert pod["terminationGracePeriodSeconds"] > drain_s + Settings.clip_max_seconds
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true" and annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == str(container["ports"][0]["containerPort"]) == env["MIRROR_PORT"]["value"]


@pytest.mark.parametrize("name", WORKERS)
def test_a_workers_media_goes_straight_to_its_node(name):
    pod, _, env = worker(name)
    assert pod["hostNetwork"] is True
    assert env["MIRROR_ICE_ADDRESSES"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.hostIP"
    # One per node: they would share the node's HTTPS port.
    (term,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"


@pytest.mark.parametrize("name", WORKERS)
def test_workers_share_one_clips_volume_without_wal_and_link_clips_through_the_public_address(name):
    pod, container, env = worker(name)
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    clips = next(n for n, path in mounts.items() if path == env["MIRROR_CLIPS_DIR"]["value"])
    claim = resources()[("PersistentVolumeClaim", claims[clips])]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert env["MIRROR_CLIP_JOURNAL"]["value"] == "delete"  # several nodes: WAL's shared memory is one host's
    public = env["MIRROR_PUBLIC_URL"]["value"]
    (ingress,) = [doc for (kind, _), doc in resources().items() if kind == "Ingress"]
    assert public == f"https://{ingress['spec']['rules'][0]['host']}"


def test_the_gpu_worker_asks_for_a_gpu_and_the_cpu_worker_does_not():
    assert worker("magic-mirror-gpu")[1]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert "nvidia.com/gpu" not in worker("magic-mirror-cpu")[1]["resources"].get("limits", {})


@pytest.mark.parametrize("name", WORKERS)
def test_every_mirror_variable_a_worker_sets_is_a_setting(name):
    _, _, env = worker(name)
    known = {"MIRROR_" + f.name.upper() for f in dataclasses.fields(Settings)}
    assert set(env) <= known, set(env) - known
    Settings.load(environ={n: e["value"] for n, e in env.items() if "value" in e})  # each value reads


def test_the_service_budget_and_autoscaler_point_at_the_workers():
    r = resources()
    pod_labels = [r[("Deployment", n)]["spec"]["template"]["metadata"]["labels"] for n in WORKERS]
    for selector in (r[("Service", "magic-mirror")]["spec"]["selector"],
                     r[("PodDisruptionBudget", "magic-mirror")]["spec"]["selector"]["matchLabels"]):
        assert all(selector.items() <= labels.items() for labels in pod_labels)
    target = r[("HorizontalPodAutoscaler", "magic-mirror-cpu")]["spec"]["scaleTargetRef"]
    assert ("Deployment", target["name"]) in r
    metrics = {m["pods"]["metric"]["name"] for m in r[("HorizontalPodAutoscaler", "magic-mirror-cpu")]["spec"]["metrics"]}
    assert "mirror_queue_waiting" in metrics
    ingress = r[("Ingress", "magic-mirror")]
    backends = {p["backend"]["service"]["name"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
    assert backends == {"magic-mirror"}
    # What a page uses, and not the operator's routes.
    paths = {p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
    assert paths == {"/", "/offer", "/ready", "/static", "/c", "/clips"}


def test_haproxy_accepts_the_shipped_configuration(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-keyout", str(key), "-out", str(cert), "-subj", "/CN=mirror"],
                   check=True, capture_output=True)
    (tmp_path / "mirror.pem").write_text(cert.read_text() + key.read_text())
    config = tmp_path / "haproxy.cfg"
    config.write_text(SHIPPED.read_text().replace("/etc/haproxy/mirror.pem", str(tmp_path / "mirror.pem")))
    check = subprocess.run([haproxy_path(), "-c", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_container_recipe_installs_what_the_makefile_does_and_runs_mirror_serve_as_its_first_process():
    recipe = (ROOT / "deploy" / "Containerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()

    def arg(name: str) -> str:
        return re.search(rf'^ARG {name}="?([^"\n]*)"?$', recipe, re.M).group(1)

    def make(name: str) -> str:
        return re.search(rf"^{name} := (.*)$", makefile, re.M).group(1).strip()

    assert arg("MINILM") == make("MINILM") and arg("GPU_EXTRA") == make("GPU_EXTRA")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", recipe, re.M))
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    assert copied == {p.rstrip("*") for p in packages}
    # Exec form: a shell in front would get SIGTERM instead, and the drain would never start.
    assert re.search(r'^ENTRYPOINT \["mirror", "serve"\]$', recipe, re.M)
