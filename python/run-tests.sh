#!/usr/bin/env bash
# The Python client's tests, as `./mvnw verify` runs them (quiver-cli, verify phase, after the CLI jar is built):
# a venv under python/target, `pip install ./python[test]`, then pytest. Exits non-zero when a test fails.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${QUIVER_PYTHON_VENV:-$HERE/target/venv}"

if ! command -v python3 >/dev/null 2>&1; then
  echo "python tests: python3 is not installed. Install Python 3.10+ with venv and pip (Debian: apt-get install" \
       "python3 python3-venv python3-pip), or skip these tests with -Dquiver.python.skip=true" >&2
  exit 1
fi
if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "python tests: need Python 3.10 or newer, found $(python3 --version 2>&1)" >&2
  exit 1
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV" || {
    echo "python tests: 'python3 -m venv' failed: install the venv module (Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
echo "python tests: installing ./python[test] into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$HERE[test]" 2>&1 | grep -v -i 'retrying' >&2 || true
"$VENV/bin/python" -c 'import quiver, pytest, pandas, sklearn' || {
  echo "python tests: installing ./python[test] with pip failed (see above): pip needs a package index" >&2
  exit 1
}
cd "$HERE"
# The JUnit XML report lets .ci/run check that the suite ran and passed, not only that Maven succeeded.
exec "$VENV/bin/python" -m pytest -p no:cacheprovider -q --junitxml="$HERE/target/pytest.xml" "$@"
