#!/usr/bin/env bash
# Installs what Quorum needs on a fresh Debian machine (run as root): Debian's etcd (server and etcdctl),
# iproute2, OpenSSH and nftables for the sandbox's VMs,
# chromium when --with-browser is given, and the npm packages from the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
command -v etcd >/dev/null 2>&1 || packages+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || packages+=(etcd-client)
# The sandbox's VMs are network namespaces (iproute2) each running a real OpenSSH sshd; ssh-keygen makes
# their host keys and Quorum's tests use the stock ssh client.
command -v ip >/dev/null 2>&1 || packages+=(iproute2)
[[ -x /usr/sbin/sshd ]] || packages+=(openssh-server)
command -v ssh >/dev/null 2>&1 || packages+=(openssh-client)
# Each VM enforces Compute Engine's firewall rules with nftables inside its namespace.
[[ -x /usr/sbin/nft ]] || packages+=(nftables)
if [[ "${1:-}" == "--with-browser" ]] && [[ ! -x /usr/bin/chromium ]]; then packages+=(chromium fonts-dejavu-core); fi
# The console also speaks Simplified Chinese: without a CJK font the browser draws its pages as empty boxes
# (screenshots included). WenQuanYi Micro Hei is small (1.6 MB); an operator's own browser brings its own fonts.
if [[ "${1:-}" == "--with-browser" ]] && [[ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]]; then packages+=(fonts-wqy-microhei); fi
# The Debian packages and the npm packages do not depend on each other: both are fetched and installed at once
# (apt mostly downloads while npm compiles better-sqlite3).
apt_pid=""
if (( ${#packages[@]} )); then
  echo "Installing Debian packages: ${packages[*]}"
  ( apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null ) &
  apt_pid=$!
fi

# Playwright drives Debian's chromium; it must never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# npm ci only when the lockfile changed since the last install (a stamp of its hash in node_modules).
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ "$(cat node_modules/.quorum-lock-hash 2>/dev/null)" != "$lock_hash" ]]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.quorum-lock-hash
fi
if [[ -n "$apt_pid" ]] && ! wait "$apt_pid"; then
  echo "Installing the Debian packages failed: ${packages[*]}" >&2
  exit 1
fi
