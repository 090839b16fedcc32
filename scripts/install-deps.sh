#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the arm64 smoke test need, then the npm
# packages of the OPC UA interop peer (tests/interop/node-opcua, as its package-lock.json pins them).
# Idempotent: checks each package with dpkg -s and installs only what is missing; runs `npm ci`
# only when node_modules is missing or older than the lock file.
# Runs as root, or through sudo when not root and sudo exists. When it cannot install
# (no root, no sudo, no network), it names the missing packages and the command to
# install them, and exits non-zero.
set -euo pipefail

# The one list of system packages. Add new ones here (one per line, with the reason).
PACKAGES=(
  clang                        # NativeAOT links with clang (linux-x64 and linux-arm64)
  zlib1g-dev                   # NativeAOT links libz
  binutils-aarch64-linux-gnu   # cross linker and objcopy for linux-arm64
  libc6-dev-arm64-cross        # arm64 libc headers and crt files (the sysroot is /usr/aarch64-linux-gnu)
  libgcc-12-dev-arm64-cross    # arm64 libgcc for the cross link
  qemu-user                    # runs the linux-arm64 binary on x64: qemu-aarch64 -L /usr/aarch64-linux-gnu
  rt-tests                     # cyclictest, for the real-time latency tests
  stress-ng                    # background load for the loaded loop-latency benchmark (Bench target)
  python3                      # helper scripts and test fixtures
  procps                       # pgrep, for the kill -9 soak (scripts/kill-soak.sh)
  socat                        # pseudo-terminal pairs for the serial-line tests (tests/Neokernel.Rt.Tests/Devices)
  afl++                        # afl-fuzz drives the SharpFuzz-instrumented Modbus decoders (Fuzz, FuzzSlice)
  python3-pymodbus             # Modbus interop peer, master and slave (only /usr/bin/python3 sees it)
  python3-serial-asyncio       # pymodbus.server imports it (and pyserial); Debian only recommends it, so --no-install-recommends leaves it out
  mbpoll                       # Modbus interop peer: the engineers' command-line master
  libmodbus-dev                # Modbus interop peer: libmodbus client and slave, built by the tests with cc
  gcc                          # builds the libmodbus peers (tests/interop/libmodbus)
  libc6-dev                    # headers for those builds
  chromium                     # headless, renders the campaign report (report.html) in its tests (tests/Neokernel.Cli.Tests)
  slurm-wlm                    # slurmctld, slurmd, sbatch: a one-node cluster runs a campaign as a job array (SlurmCampaignTests)
  munge                        # Slurm 22.05's daemons authenticate through munged; the test starts its own, with its own key
  nodejs                       # runs the OPC UA interop peer, node-opcua (tests/interop/node-opcua); the machine image's comes with npm
)

# The OPC UA interop peer's npm folder: node-opcua's client and server.
NODE_OPCUA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/interop/node-opcua"

log() { printf 'install-deps: %s\n' "$*"; }
err() { printf 'install-deps: %s\n' "$*" >&2; }

# dpkg -s exits 0 for a removed package whose config files remain, so check its status. Not
# through a pipe into grep -q: grep stops at the match, dpkg gets SIGPIPE on the rest of a long
# entry (libc6-dev's), and pipefail then calls an installed package missing.
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ]; }

# Installs the given Debian packages with apt-get, as root or through sudo; exits naming them
# and the command to run when it cannot.
install_system_packages() {
  local packages=("$@")
  log "missing: ${packages[*]}"
  local install_command="apt-get update && apt-get install -y --no-install-recommends ${packages[*]}"
  local as_root
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    err "cannot install: not root, and no sudo that works without a password"
    err "missing packages: ${packages[*]}"
    err "install them with:"
    err "  sudo sh -c '$install_command'"
    exit 1
  fi

  export DEBIAN_FRONTEND=noninteractive
  if ! "${as_root[@]}" apt-get update -q \
    || ! "${as_root[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"; then
    err "installing failed (no network, or a package apt does not know)"
    err "missing packages: ${packages[*]}"
    err "install them with:"
    err "  sudo sh -c '$install_command'"
    exit 1
  fi

  local still_missing=()
  for package in "${packages[@]}"; do
    installed "$package" || still_missing+=("$package")
  done
  if [ "${#still_missing[@]}" -ne 0 ]; then
    err "still missing after apt-get install: ${still_missing[*]}"
    exit 1
  fi

  log "installed: ${packages[*]}"
}

# npm ci in tests/interop/node-opcua when its node_modules is missing or older than the lock
# file; the stamp is node_modules/.package-lock.json, which npm writes at the end of an install.
# Debian's own nodejs comes without npm: then its npm package is installed first.
install_npm_packages() {
  local lock="$NODE_OPCUA_DIR/package-lock.json"
  local stamp="$NODE_OPCUA_DIR/node_modules/.package-lock.json"
  if [ -f "$stamp" ] && [ ! "$lock" -nt "$stamp" ]; then
    log "npm packages of tests/interop/node-opcua present"
    return 0
  fi

  if ! command -v npm >/dev/null 2>&1; then
    install_system_packages npm
  fi

  log "npm ci in tests/interop/node-opcua"
  if ! (cd "$NODE_OPCUA_DIR" && npm ci --no-audit --no-fund --loglevel=error); then
    err "npm ci in $NODE_OPCUA_DIR failed (no network, or the registry refused a package)"
    err "run it again with: (cd $NODE_OPCUA_DIR && npm ci)"
    exit 1
  fi
  touch "$stamp"
  log "npm packages of tests/interop/node-opcua installed"
}

missing=()
for package in "${PACKAGES[@]}"; do
  installed "$package" || missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
  log "all ${#PACKAGES[@]} system packages present"
else
  install_system_packages "${missing[@]}"
fi

install_npm_packages
