"""Validates FHIR R5 resources with fhir.resources (an implementation
nobody at zkaudit wrote): every argument is a JSON file holding a Bundle;
the Bundle and each entry's resource, by its own resourceType's model.
Prints one line per resource checked; exits non-zero on the first
invalid one, with pydantic's reasons."""

import json
import sys

from fhir.resources import get_fhir_model_class

checked = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        bundle = json.load(f)
    get_fhir_model_class(bundle["resourceType"]).model_validate(bundle)
    checked += 1
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        checked += 1
print(f"{checked} resources valid")
