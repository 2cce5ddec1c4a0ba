#!/usr/bin/env python3
"""What the chart renders of the alerts and the dashboard is what the repository holds.

Usage: chart-observability.py RENDERED.yaml RULES_OUT.yml [VALUES.yaml ...]

RENDERED is one `helm template` output, VALUES the values files it was rendered with (over
helm/values.yaml). For a PrometheusRule: its spec is written to RULES_OUT (for promtool), each
`N # prometheusRule.thresholds.NAME` holds that threshold's value, and every runbook_url starts
with prometheusRule.runbookUrl. For the dashboard ConfigMap: its JSON is the file's. Prints what
it found ("rules dashboard", or nothing) for scripts/helm-check.sh.
"""
import json
import re
import sys

import yaml

MARKER = re.compile(r"([0-9][0-9.eE+-]*) # prometheusRule\.thresholds\.(\w+)$", re.M)


def merged_values(files):
    values = {}
    for path in ["helm/values.yaml", *files]:
        with open(path, encoding="utf-8") as f:
            merge(values, yaml.safe_load(f) or {})
    return values


def merge(into, over):
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def fail(message):
    sys.exit(f"chart-observability: {message}")


def check_rules(doc, out, values):
    spec = doc["spec"]
    groups = spec.get("groups") or fail("the PrometheusRule has no groups")
    text = yaml.safe_dump(spec, sort_keys=False)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    want = {k: float(v) for k, v in values["prometheusRule"]["thresholds"].items()}
    found = {}
    for rule in (r for g in groups for r in g["rules"]):
        for number, name in MARKER.findall(rule["expr"]):
            found[name] = float(number)
        url = rule.get("annotations", {}).get("runbook_url", "")
        if not url.startswith(values["prometheusRule"]["runbookUrl"] + "#"):
            fail(f"{rule['alert']}: runbook_url {url!r} is not under prometheusRule.runbookUrl")
    if found != want:
        fail(f"rendered thresholds {found} are not the values {want}")


def check_dashboard(doc):
    with open("helm/files/grafana/risk-scoring.json", encoding="utf-8") as f:
        want = json.load(f)
    if json.loads(doc["data"]["risk-scoring.json"]) != want:
        fail(f"ConfigMap {doc['metadata']['name']} does not hold helm/files/grafana/risk-scoring.json")


def main():
    rendered, out, *value_files = sys.argv[1:]
    values = merged_values(value_files)
    found = []
    with open(rendered, encoding="utf-8") as f:
        for doc in yaml.safe_load_all(f):
            if not doc:
                continue
            if doc["kind"] == "PrometheusRule":
                check_rules(doc, out, values)
                found.append("rules")
            elif doc["kind"] == "ConfigMap" and "risk-scoring.json" in doc.get("data", {}):
                check_dashboard(doc)
                found.append("dashboard")
    print(" ".join(found))


if __name__ == "__main__":
    main()
