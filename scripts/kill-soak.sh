#!/usr/bin/env bash
# The kill -9 soak: runs the tank demo with its drivers in processes of their own (the NativeAOT
# binary), kills the level sensor's process KILLS times, and checks that the kernel never stopped,
# the supervisor restarted the driver every time, and the loop is back on a good level at the end.
#   scripts/kill-soak.sh BINARY [KILLS] [SPACING_SECONDS]
# The spacing keeps the kills inside level-sensor's restart intensity (5 within 10 s) with room for
# one fault more: at 3 s a 10 s window holds at most 4 kills, so a watchdog overrun the VM causes
# on top of them is restarted like the kills instead of exhausting the intensity (at 2.5 s, 4 to 5
# kills fill the window and one such overrun marked the driver Failed). A fault that is not one of
# the kills is printed and counted in the restarts the soak expects.
set -euo pipefail
binary=${1:?usage: kill-soak.sh BINARY [KILLS] [SPACING_SECONDS]}
kills=${2:-100}
spacing=${3:-3}
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log=$(mktemp)
# The run ends when the soak says so (SIGTERM: a clean stop, as Ctrl-C), after the last restart;
# the duration is only a backstop for a soak that hangs.
backstop=$(awk -v k="$kills" -v s="$spacing" 'BEGIN { printf "%d", k * s * 3 + 60 }')
"$binary" run manifests/systems/tank-demo.yaml --duration "${backstop}s" --plain > "$log" 2>&1 &
kernel=$!
trap 'kill "$kernel" 2>/dev/null || true' EXIT

# The kernel's own child (its parent pid) hosting level-sensor: service hosts have no socket path to match.
child() { pgrep -P "$kernel" -f "service-host --service level-sensor " | head -n 1; }

sleep 3
killed=0
started=$(date +%s)
while [ "$killed" -lt "$kills" ]; do
  for _ in $(seq 1 100); do
    pid=$(child || true)
    [ -n "$pid" ] && break
    sleep 0.05
  done
  if [ -z "$pid" ]; then
    echo "kill-soak: no level-sensor process after kill $killed" >&2
    cat "$log" >&2
    exit 1
  fi
  kill -9 "$pid"
  killed=$((killed + 1))
  sleep "$spacing"
done

# The last kill's restart: a level-sensor process other than the one killed, then a few seconds
# for the loop to run on its samples, then a clean stop.
for _ in $(seq 1 200); do
  now=$(child || true)
  [ -n "$now" ] && [ "$now" != "$pid" ] && break
  sleep 0.05
done
sleep 4
kill -TERM "$kernel"
status=0
wait "$kernel" || status=$?
trap - EXIT
elapsed=$(( $(date +%s) - started ))
final=$(grep '^stopped after' "$log" || true)
last=$(grep '^t=' "$log" | tail -n 1)
fail() { echo "kill-soak: $*" >&2; tail -n 20 "$log" >&2; exit 1; }
[ "$status" -eq 0 ] || fail "the kernel exited with $status"
faults=$(grep -c '^fault at [0-9.]* s: level-sensor: ' "$log" || true)
killed_faults=$(grep -c '^fault at [0-9.]* s: level-sensor: .*killed by signal 9' "$log" || true)
[ "$killed_faults" -eq "$kills" ] || fail "expected $kills faults of level-sensor killed by signal 9, saw $killed_faults"
echo "$final" | grep -q "level-sensor:Stopped(restarts $faults)" || fail "expected $faults restarts of level-sensor ($kills kills and $((faults - kills)) other faults): $final"
echo "$last" | grep -q "tank-controller:Running" || fail "the controller is not running at the end: $last"
echo "$last" | grep -Eq "tank.inputs.level=[0-9.]+ " || fail "the level is not good at the end: $last"
if grep -q "Failed" "$log"; then fail "a service failed during the soak"; fi
echo "kill-soak: $kills kill -9 of the level sensor's process in ${elapsed}s: restarted every time, the loop recovered, the kernel never stopped"
if [ "$faults" -gt "$kills" ]; then
  echo "kill-soak: $((faults - kills)) fault(s) of level-sensor besides the kills, restarted as well:"
  grep '^fault at [0-9.]* s: level-sensor: ' "$log" | grep -v 'killed by signal 9' | sed 's/^/kill-soak:   /'
fi
grep '^level-sensor: recovered' "$log" | sed 's/^/kill-soak: /' || true
