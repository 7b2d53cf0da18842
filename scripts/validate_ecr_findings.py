#!/usr/bin/env python3
"""Checks that a JSON document has the shape of `aws ecr describe-image-scan-findings` output.

The oracle is botocore's own model of the ECR API (`data/ecr/2015-09-21/service-2.json`), the
file the AWS CLI parses responses with: every key must be a member of its structure, every value
of the member's type, every enum value one the model lists. Timestamps may be ISO 8601 strings
(the CLI's default output) or epoch numbers. Prints one line per problem; exit 1 if any.

Usage: validate_ecr_findings.py FILE...
"""
import gzip
import json
import os
import sys

import botocore


def load_model():
    base = os.path.join(os.path.dirname(botocore.__file__), "data", "ecr")
    version = sorted(os.listdir(base))[-1]
    for name in ("service-2.json", "service-2.json.gz"):
        path = os.path.join(base, version, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt") as handle:
                return json.load(handle)
    raise SystemExit(f"no ECR model under {base}")


def check(shapes, shape_name, value, where, problems):
    shape = shapes[shape_name]
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object ({shape_name})")
            return
        for key, item in value.items():
            member = shape["members"].get(key)
            if member is None:
                problems.append(f"{where}: {key!r} is not a member of {shape_name}")
                continue
            check(shapes, member["shape"], item, f"{where}.{key}", problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{where}: expected an array ({shape_name})")
            return
        for index, item in enumerate(value):
            check(shapes, shape["member"]["shape"], item, f"{where}[{index}]", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object ({shape_name})")
            return
        for key, item in value.items():
            check(shapes, shape["key"]["shape"], key, f"{where} key", problems)
            check(shapes, shape["value"]["shape"], item, f"{where}.{key}", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{where}: expected a string ({shape_name})")
        elif "enum" in shape and value not in shape["enum"]:
            problems.append(f"{where}: {value!r} is not one of {shape['enum']}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{where}: expected an integer ({shape_name})")
    elif kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{where}: expected a number ({shape_name})")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{where}: expected a boolean ({shape_name})")
    elif kind == "timestamp":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            problems.append(f"{where}: expected a timestamp ({shape_name})")
    else:
        problems.append(f"{where}: shape type {kind} not handled")


def main():
    model = load_model()
    shapes = model["shapes"]
    output = model["operations"]["DescribeImageScanFindings"]["output"]["shape"]
    problems = []
    for path in sys.argv[1:]:
        with open(path) as handle:
            check(shapes, output, json.load(handle), path, problems)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
