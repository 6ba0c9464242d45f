#!/usr/bin/env bash
# Builds the two SalientStream images and saves them as OCI archives:
#   salientstream-services:TAG  the services launcher (analyzer, pruner, broker, registry, topics, local, and any
#                               other subcommand of bin/salientstream-services); no DJL, libtorch or model jar
#   salientstream-trainer:TAG   the full launcher (bin/salientstream: train, compare, demo ...) with libtorch and
#                               the model jars
# Usage: deploy/build-images.sh [--base IMAGE] [--tag TAG] [--out DIR] [--no-maven] [--no-save]
#   --base IMAGE  a base image with a Java 17+ runtime at `java` on the PATH (e.g. eclipse-temurin:17-jre). Without
#                 it, a JRE base is made from Debian packages with debootstrap (localhost/salientstream-jre:17; made
#                 once, reused afterwards; the Debian mirror is DEBIAN_MIRROR or the first one in this host's apt
#                 sources).
#   --tag TAG     image tag (default: the project version from the root pom)
#   --out DIR     where the OCI archives go (default deploy/target/images)
#   --no-maven    use the launcher jars already built in services/target and cli/target
#   --no-save     build the images, do not write archives
# Tools: podman (or buildah, or docker with CONTAINER_TOOL=docker). deploy/install-tools.sh installs them on Debian.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

base="" tag="" out="deploy/target/images" maven=1 save=1
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="${2:?--base needs an image name}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --no-maven) maven=0; shift ;;
    --no-save) save=0; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-images: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
tool="${CONTAINER_TOOL:-podman}"
command -v "$tool" >/dev/null || { echo "build-images: '$tool' not found; run deploy/install-tools.sh" >&2; exit 1; }
if [ -z "$tag" ]; then
  tag="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)"
  tag="${tag%-SNAPSHOT}"
fi
log() { echo "build-images: $*" >&2; }

# 1. the JRE base from Debian packages, when no base is given
if [ -z "$base" ]; then
  base="localhost/salientstream-jre:17"
  if "$tool" image exists "$base" 2>/dev/null; then
    log "reusing base $base (remove it to rebuild: $tool rmi $base)"
  else
    command -v debootstrap >/dev/null || { log "debootstrap not found; run deploy/install-tools.sh or pass --base"; exit 1; }
    mirror="${DEBIAN_MIRROR:-}"
    if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
      mirror="$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
    fi
    if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
      mirror="$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list)"
    fi
    [ -n "$mirror" ] || { log "no Debian mirror: set DEBIAN_MIRROR or pass --base"; exit 1; }
    rootfs="$(mktemp -d)"
    trap 'rm -rf "$rootfs"' EXIT
    log "making $base with debootstrap (Debian bookworm, openjdk-17-jre-headless) from $mirror"
    t0=$(date +%s)
    debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
      || { tail -20 "$rootfs.log" >&2; log "debootstrap failed (log above)"; exit 1; }
    rm -f "$rootfs.log"
    # a smaller base: no package caches, documentation or locales beyond C
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
      "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
    tar -C "$rootfs" -c . | "$tool" import --change 'CMD ["/bin/bash"]' - "$base" >/dev/null
    rm -rf "$rootfs"; trap - EXIT
    log "base $base made in $(( $(date +%s) - t0 )) s"
  fi
fi

# 2. the launcher jars and their classpaths
if [ "$maven" -eq 1 ]; then
  log "building the launchers (./mvnw package -pl services,cli)"
  # clean: a class or resource that moved to another module would otherwise stay in the old module's jar
  ./mvnw -B -q ${MVNW_FLAGS:-} -DskipTests -Dexec.skip=false clean package -pl services,cli -am >&2
fi
for f in services/target/salientstream-services.jar services/target/lib cli/target/salientstream-cli.jar cli/target/lib; do
  [ -e "$f" ] || { log "$f is missing: build without --no-maven"; exit 1; }
done

# 3. the two images, each from a staged context (only what the image holds)
ctx="deploy/target/context"
build() { # name launcher-jar lib-dir
  local name="$1" jar="$2" lib="$3" dir="$ctx/$1"
  rm -rf "$dir"
  mkdir -p "$dir/app/lib" "$dir/app/bin" "$dir/bin" "$dir/state"
  cp "$jar" "$dir/app/"
  cp "$lib"/*.jar "$dir/app/lib/"
  cp deploy/images/run "$dir/app/bin/run"
  cp deploy/images/healthcheck "$dir/bin/healthcheck"
  touch "$dir/state/.keep"
  local t0; t0=$(date +%s)
  "$tool" build -q --format docker --build-arg "BASE=$base" -f "deploy/images/Containerfile.${name#salientstream-}" \
    -t "localhost/$name:$tag" "$dir" >/dev/null
  log "built localhost/$name:$tag in $(( $(date +%s) - t0 )) s"
}
build salientstream-services services/target/salientstream-services.jar services/target/lib
build salientstream-trainer cli/target/salientstream-cli.jar cli/target/lib
rm -rf "$ctx"

# 4. OCI archives (load them elsewhere with: podman load -i FILE, or skopeo copy oci-archive:FILE ...)
if [ "$save" -eq 1 ]; then
  mkdir -p "$out"
  for name in salientstream-services salientstream-trainer; do
    file="$out/$name-$tag.oci.tar"
    rm -f "$file"
    "$tool" save -q --format oci-archive -o "$file" "localhost/$name:$tag"
    log "saved $file ($(du -m "$file" | cut -f1) MB)"
  done
fi
"$tool" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'salientstream-(services|trainer|jre)' >&2 || true
