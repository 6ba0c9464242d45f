# Sourced by deploy/stack.sh and deploy/stack-test.sh: the podman settings a host without a Docker engine or
# systemd and with hybrid cgroups needs (runc, as crun fails there; cgroupfs; ulimits 1024, as the defaults cannot
# be raised; the file events logger). They go into a generated containers.conf that CONTAINERS_CONF points at.
# Set STACK_PODMAN_DEFAULTS=1 to keep your own podman configuration instead.
if [ "${STACK_PODMAN_DEFAULTS:-0}" != 1 ] && [ -z "${SALIENTSTREAM_PODMAN_CONF:-}" ]; then
  SALIENTSTREAM_PODMAN_CONF="$(mktemp -d)/containers.conf"
  cat >"$SALIENTSTREAM_PODMAN_CONF" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  export SALIENTSTREAM_PODMAN_CONF CONTAINERS_CONF="$SALIENTSTREAM_PODMAN_CONF"
fi
