#!/usr/bin/env python3
"""Prints BuildKit's parse of one Dockerfile as JSON, for tests/dockerfile_conformance.rs.

The PyPI package `dockerfile` wraps BuildKit's Go parser (frontend/dockerfile/parser). Exit code 3
means the package is not installed (the Rust test fails in CI and skips locally); exit code 4
means BuildKit rejected the file (the message is printed on stderr).
"""
import json
import sys

try:
    import dockerfile
except ImportError:
    print("the python module 'dockerfile' is not installed (pip install dockerfile)", file=sys.stderr)
    sys.exit(3)

try:
    commands = dockerfile.parse_file(sys.argv[1])
except dockerfile.GoParseError as error:
    print(f"BuildKit rejects {sys.argv[1]}: {error}", file=sys.stderr)
    sys.exit(4)

json.dump(
    [
        {
            "cmd": c.cmd,
            "sub_cmd": c.sub_cmd,
            "json": c.json,
            "flags": list(c.flags),
            "value": list(c.value),
            "start_line": c.start_line,
            "end_line": c.end_line,
            "heredocs": [
                {"name": h.name, "file_descriptor": h.file_descriptor, "content": h.content}
                for h in c.heredocs
            ],
        }
        for c in commands
    ],
    sys.stdout,
    indent=1,
)
