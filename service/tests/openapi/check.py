"""Judges zkaudit's OpenAPI description with implementations nobody here wrote.

Usage: check.py OPENAPI_JSON EXCHANGES_JSON

1. openapi-spec-validator checks the description itself (OpenAPI 3.1):
   every `{name}` in a path is a declared path parameter, every path
   parameter appears in its path, and so on.
2. openapi-core replays real exchanges recorded from the service: each
   request must be one the description allows (query parameters where it
   says, of the types it says) and each answer must be one it declares
   (status, content type, body schema).

Each exchange says whether its request and its answer should pass; the
deliberately wrong ones show that the judge rejects what it should. Prints
one line per finding and exits non-zero on any disagreement.
"""

import json
import sys
from urllib.parse import parse_qsl

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_spec_validator import validate


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        exchanges = json.load(f)
    validate(spec)
    print("spec: valid OpenAPI", spec["openapi"])
    api = OpenAPI.from_dict(spec)
    disagreements = 0
    for ex in exchanges:
        request = MockRequest(
            "http://localhost",
            ex["method"].lower(),
            ex["path"],
            args=dict(parse_qsl(ex["query"], keep_blank_values=True)),
        )
        response = MockResponse(
            ex["body"].encode("utf-8"),
            status_code=ex["status"],
            content_type=ex["content_type"],
        )
        where = f'{ex["method"]} {ex["path"]}?{ex["query"]} -> {ex["status"]}'
        for part, check, expected in (
            ("request", lambda: api.validate_request(request), ex["request_valid"]),
            (
                "answer",
                lambda: api.validate_response(request, response),
                ex["answer_valid"],
            ),
        ):
            try:
                check()
                error = None
            except Exception as e:  # the judge's verdict, whatever its type
                error = f"{type(e).__name__}: {e}"
                if getattr(e, "__cause__", None) is not None:
                    error += f" ({e.__cause__})"
            if (error is None) != expected:
                disagreements += 1
                verdict = "passed" if error is None else f"failed: {error}"
                print(f"DISAGREE {where}: {part} should {'pass' if expected else 'fail'} but {verdict}")
            else:
                print(f"ok {where}: {part} {'passes' if expected else 'fails as it should'}")
    print(f"{len(exchanges)} exchanges, {disagreements} disagreements")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
