#!/usr/bin/env bash
# Installs the Debian packages that build and run the images without a Docker engine: podman and buildah (build,
# run, save), runc (the runtime that works on hosts with hybrid cgroups, where crun fails), debootstrap (makes the
# JRE base image from Debian packages when no base image is given), skopeo (copies saved archives) and
# podman-compose (runs deploy/compose.yaml), and the CNI dnsname plugin (containers on one
# network find each other by name). Idempotent: does nothing when every tool is already there.
# Needs root (or sudo) and a reachable Debian mirror. Users with Docker do not need this script.
set -euo pipefail
need=()
for tool in podman buildah runc debootstrap skopeo podman-compose; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
# name resolution between containers on a podman (CNI) network: the dnsname plugin
[ -x /usr/lib/cni/dnsname ] || need+=(dnsname)
if [ ${#need[@]} -eq 0 ]; then
  echo "install-tools: podman, buildah, runc, debootstrap, skopeo, podman-compose and dnsname are installed" >&2
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-tools: installing ${need[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends podman buildah runc debootstrap skopeo podman-compose \
  golang-github-containernetworking-plugin-dnsname uidmap slirp4netns fuse-overlayfs containernetworking-plugins ca-certificates >/dev/null
