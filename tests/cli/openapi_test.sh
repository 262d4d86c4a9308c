#!/usr/bin/env bash
# docs/openapi.yaml describes exactly the routes the gateway answers: its
# paths and methods equal `pss gateway routes` (the gateway's one route
# table), the file is valid YAML with an OpenAPI 3 header, and every
# operation documents its 200 (or, for health, its 503 too).
set -euo pipefail
PSS=${1:?usage: openapi_test.sh PSS_BINARY OPENAPI_YAML}
SPEC=${2:?usage: openapi_test.sh PSS_BINARY OPENAPI_YAML}
"$PSS" gateway routes | awk '{print $1 " " $2}' | sort >"${TMPDIR:-/tmp}/pss-routes.$$"
/usr/bin/python3 - "$SPEC" "${TMPDIR:-/tmp}/pss-routes.$$" <<'PY'
import sys
import yaml

spec = yaml.safe_load(open(sys.argv[1]))
routes = sorted(l.strip() for l in open(sys.argv[2]) if l.strip())
assert str(spec.get("openapi", "")).startswith("3."), "not an OpenAPI 3 document"
documented = sorted(f"{m.upper()} {p}" for p, ops in spec["paths"].items()
                    for m in ops if m in ("get", "put", "post", "delete", "patch", "head", "options"))
missing = sorted(set(routes) - set(documented))
extra = sorted(set(documented) - set(routes))
if missing or extra:
    print("openapi: routes the gateway answers but docs/openapi.yaml lacks:", missing)
    print("openapi: routes docs/openapi.yaml names but the gateway does not answer:", extra)
    sys.exit(1)
for p, ops in spec["paths"].items():
    for m, op in ops.items():
        if m == "parameters":
            continue
        assert "200" in op["responses"], f"{m.upper()} {p} documents no 200"
print(f"openapi: {len(routes)} routes, all documented, none extra")
PY
rc=$?
rm -f "${TMPDIR:-/tmp}/pss-routes.$$"
exit $rc
