#!/usr/bin/env python3
"""Validates harden's ASFF output as Security Hub BatchImportFindings input.

Each non-empty line of the file must be one {"Findings": [...]} request. It is checked against the
securityhub service model that botocore ships: botocore's own ParamValidator (types, required
members, list and string minimums), then the model's other constraints that ParamValidator leaves to
the service (string max lengths, patterns, enums, list maxima such as 100 findings per call), then
the ASFF rules the model states only in prose (RFC 3339 timestamps, the Types taxonomy form,
ProductArn for the account). Exit 0 when valid, 1 with one line per problem otherwise.

Usage: validate_asff.py FILE [--account ACCOUNT_ID] [--region REGION]
"""

import argparse
import json
import re
import sys

import botocore.session
from botocore.validate import ParamValidator

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TIMESTAMP_FIELDS = {"CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt", "ProcessedAt"}
TYPE_NAMESPACES = {
    "Software and Configuration Checks",
    "TTPs",
    "Effects",
    "Unusual Behaviors",
    "Sensitive Data Identifications",
}


def model_constraints(shape, value, path, problems):
    """Walks value along shape, reporting what ParamValidator does not check."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                model_constraints(member, value[name], f"{path}.{name}", problems)
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{path}: {len(value)} items, the model allows at most {meta['max']}")
        for index, item in enumerate(value):
            model_constraints(shape.member, item, f"{path}[{index}]", problems)
    elif kind == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{path}: {len(value)} entries, the model allows at most {meta['max']}")
        for key, item in value.items():
            model_constraints(shape.key, key, f"{path} key {key!r}", problems)
            model_constraints(shape.value, item, f"{path}[{key!r}]", problems)
    elif kind == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{path}: {len(value)} characters, the model allows at most {meta['max']}")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value, re.DOTALL):
            problems.append(f"{path}: {value!r} does not match the model's pattern {meta['pattern']!r}")
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not one of {shape.enum}")


# Limits the ASFF documentation states that the model leaves unbounded.
DOCUMENTED_MAX = {"Title": 256, "Description": 1024, "Id": 512, "GeneratorId": 512}


def units(text):
    """A length in UTF-16 code units: the stricter count (a Java String's), never below len()."""
    return len(text.encode("utf-16-le")) // 2


def documented_map(value, path, pairs, key_max, value_max, problems):
    """A documented string map: at most `pairs` entries, keys and values at most the maxima."""
    if not isinstance(value, dict):
        return
    if len(value) > pairs:
        problems.append(f"{path}: {len(value)} pairs, the documentation allows at most {pairs}")
    for key, item in value.items():
        if units(key) > key_max:
            problems.append(f"{path}: key of {units(key)} characters, at most {key_max}")
        if isinstance(item, str) and units(item) > value_max:
            problems.append(f"{path}[{key[:40]!r}]: {units(item)} characters, at most {value_max}")


def prose_rules(finding, path, account, region, problems):
    for field in TIMESTAMP_FIELDS:
        if field in finding and not RFC3339.match(finding[field]):
            problems.append(f"{path}.{field}: {finding[field]!r} is not an RFC 3339 timestamp")
    for field, limit in DOCUMENTED_MAX.items():
        if field in finding and units(finding[field]) > limit:
            problems.append(f"{path}.{field}: longer than the documented {limit} characters")
    # ProductFields: up to 50 pairs, keys up to 128 and values up to 2048 characters.
    documented_map(finding.get("ProductFields"), f"{path}.ProductFields", 50, 128, 2048, problems)
    for field, text in [
        ("Note.Text", finding.get("Note", {}).get("Text")),
        ("Remediation.Recommendation.Text", finding.get("Remediation", {}).get("Recommendation", {}).get("Text")),
    ]:
        if isinstance(text, str) and units(text) > 512:
            problems.append(f"{path}.{field}: longer than the documented 512 characters")
    if len(finding.get("Resources", [])) > 32:
        problems.append(f"{path}.Resources: more than the documented 32 resources")
    for index, resource in enumerate(finding.get("Resources", [])):
        # Details.Other: up to 50 pairs, keys under 128 and values under 1,024 characters.
        other = resource.get("Details", {}).get("Other")
        documented_map(other, f"{path}.Resources[{index}].Details.Other", 50, 127, 1023, problems)
    for index, finding_type in enumerate(finding.get("Types", [])):
        parts = finding_type.split("/")
        if not 1 <= len(parts) <= 3 or parts[0] not in TYPE_NAMESPACES:
            problems.append(f"{path}.Types[{index}]: {finding_type!r} is not namespace/category/classifier")
    expected_arn = f"arn:aws:securityhub:{region}:{account}:product/{account}/default"
    if finding.get("ProductArn") != expected_arn:
        problems.append(f"{path}.ProductArn: {finding.get('ProductArn')!r}, expected {expected_arn!r}")
    if finding.get("AwsAccountId") != account:
        problems.append(f"{path}.AwsAccountId: {finding.get('AwsAccountId')!r}, expected {account!r}")
    for index, resource in enumerate(finding.get("Resources", [])):
        if not resource.get("Type") or not resource.get("Id"):
            problems.append(f"{path}.Resources[{index}]: Type and Id are required")
    if "Severity" in finding and "Label" not in finding["Severity"] and "Normalized" not in finding["Severity"]:
        problems.append(f"{path}.Severity: needs Label")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--account", default="000000000000")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()

    model = botocore.session.get_session().get_service_model("securityhub")
    input_shape = model.operation_model("BatchImportFindings").input_shape
    validator = ParamValidator()
    problems = []
    requests = 0
    findings = 0
    ids = set()
    with open(args.file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            requests += 1
            where = f"line {number}"
            try:
                request = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"{where}: not JSON: {error}")
                continue
            report = validator.validate(request, input_shape)
            if report.has_errors():
                problems.append(f"{where}: botocore: {report.generate_report()}")
            model_constraints(input_shape, request, where, problems)
            for index, finding in enumerate(request.get("Findings", [])):
                findings += 1
                prose_rules(finding, f"{where} Findings[{index}]", args.account, args.region, problems)
                key = (finding.get("ProductArn"), finding.get("Id"))
                if key in ids:
                    problems.append(f"{where} Findings[{index}]: duplicate Id {finding.get('Id')!r}")
                ids.add(key)
    for problem in problems:
        print(problem)
    print(f"{requests} requests, {findings} findings, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
