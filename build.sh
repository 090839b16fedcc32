#!/usr/bin/env bash
# Builds Neokernel with Cake: ./build.sh [--target=Clean|Restore|Build|Test|Publish|SmokeArm64|Bench|CI]
# The default target is Test. See build.cake for what each target does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

scripts/install-deps.sh
dotnet tool restore

# The Test target writes its "N passed, N failed, N skipped" line here; it closes the run's output.
summary=artifacts/test-results/summary.txt
rm -f "$summary"

status=0
dotnet cake build.cake "$@" || status=$?

if [ -f "$summary" ]; then
  cat "$summary"
fi
exit "$status"
