#!/usr/bin/env bash
# `npm test`: the type check, the lint and every test project, and it fails if
# any of the three fails.
#
# The type check and the lint do not wait for each other or for the tests:
# they run beside the tests, at the lowest CPU priority, so that they take the
# time the tests leave idle (the integration and lan projects mostly wait on
# child processes and timers) instead of adding theirs before the tests
# start. Each one's output is printed, whole, as soon as it is done; the
# command's end says which of the three failed. Arguments go to vitest.
set -uo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Interrupted: the checks beside the tests end with them.
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM

check() {
  local name=$1
  shift
  nice -n 19 "$@" >"$out/$name.log" 2>&1
  local status=$?
  {
    echo "---- npm run $name: $([[ $status == 0 ]] && echo passed || echo "FAILED (exit $status)")"
    cat "$out/$name.log"
  } >&2
  return "$status"
}

check typecheck npm run --silent typecheck &
typecheck=$!
check lint npm run --silent lint &
lint=$!

npx vitest run "$@"
tests=$?
wait "$typecheck"
typecheck=$?
wait "$lint"
lint=$?

failed=()
((typecheck == 0)) || failed+=(typecheck)
((lint == 0)) || failed+=(lint)
((tests == 0)) || failed+=(tests)
if ((${#failed[@]} > 0)); then
  echo "npm test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "npm test: typecheck, lint and tests passed" >&2
