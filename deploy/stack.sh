#!/usr/bin/env bash
# Runs deploy/compose.yaml with podman-compose on this kind of host (no Docker engine, no systemd):
#   deploy/stack.sh up          start broker, registry, topics, analyzer, pruner, dashboard (waiting for each to be healthy),
#                               then the two trainers
#   deploy/stack.sh services    the same without the trainers
#   deploy/stack.sh status      containers, health and restarts
#   deploy/stack.sh logs NAME   a service's log (kafka, registry, analyzer, pruner, trainer-1 ...)
#   deploy/stack.sh wait-healthy NAME [TIMEOUT_S]   waits for a service's health check; prints the seconds
#   deploy/stack.sh down [-v]   stop and remove the containers (-v: and the volumes, i.e. all state)
# Settings: STACK_PROJECT (default salientstream; container names are <project>_<service>_1), SALIENTSTREAM_TAG,
# the *_HOST_PORT variables of compose.yaml. Podman runs with the settings of deploy/podman-env.sh (runc, cgroupfs,
# ulimits 1024; STACK_PODMAN_DEFAULTS=1 keeps your own configuration instead). Without systemd podman cannot schedule
# health checks, so this script runs them (`podman healthcheck run`) while it waits.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
project="${STACK_PROJECT:-salientstream}"
compose_file="$here/compose.yaml"

# shellcheck source=deploy/podman-env.sh
source "$here/podman-env.sh"

compose() { podman-compose -p "$project" -f "$compose_file" "$@"; }
container() { echo "${project}_$1_1"; }
log() { echo "stack: $*" >&2; }

# wait_healthy SERVICE [TIMEOUT_S]: runs the container's health check until it passes; prints the seconds waited
wait_healthy() {
  local c t0 limit="${2:-180}"
  c="$(container "$1")"
  t0=$(date +%s%N)
  until podman healthcheck run "$c" >/dev/null 2>&1; do
    if [ "$(podman inspect -f '{{.State.Status}}' "$c" 2>/dev/null)" != running ] \
      && [ "$(podman inspect -f '{{.HostConfig.RestartPolicy.Name}}' "$c" 2>/dev/null)" = "" ]; then
      log "$1 is not running"; podman logs --tail 30 "$c" >&2 || true; return 1
    fi
    if [ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge "$limit" ]; then
      log "$1 not healthy after ${limit} s; its log:"; podman logs --tail 40 "$c" >&2 || true; return 1
    fi
    sleep 0.5
  done
  awk -v ns="$(( $(date +%s%N) - t0 ))" 'BEGIN { printf "%.1f\n", ns / 1e9 }'
}

# wait_exited SERVICE [TIMEOUT_S]: waits for a one-shot container to exit 0
wait_exited() {
  local c limit="${2:-180}" waited=0 status code
  c="$(container "$1")"
  while :; do
    status="$(podman inspect -f '{{.State.Status}}' "$c")"
    code="$(podman inspect -f '{{.State.ExitCode}}' "$c")"
    [ "$status" = exited ] && [ "$code" = 0 ] && return 0
    if [ "$waited" -ge "$limit" ]; then
      log "$1 did not finish after ${limit} s (status $status, exit code $code)"; podman logs --tail 40 "$c" >&2; return 1
    fi
    sleep 1; waited=$((waited + 1))
  done
}

services_up() {
  compose up -d kafka >/dev/null 2>&1 || { log "podman-compose up kafka failed"; compose up -d kafka; }
  t="$(wait_healthy kafka)"; log "kafka healthy after $t s"
  compose up -d --no-deps registry topics >/dev/null 2>&1
  t="$(wait_healthy registry)"; log "registry healthy after $t s"
  wait_exited topics
  log "topics created"
  compose up -d --no-deps analyzer pruner dashboard >/dev/null 2>&1
  t="$(wait_healthy analyzer)"; log "analyzer healthy after $t s"
  t="$(wait_healthy pruner)"; log "pruner healthy after $t s"
  t="$(wait_healthy dashboard)"; log "dashboard healthy after $t s"
}

case "${1:-}" in
  up)
    services_up
    compose up -d --no-deps trainer-1 trainer-2 >/dev/null 2>&1
    log "trainers started: deploy/stack.sh logs trainer-1; reports at /var/lib/salientstream/report.json in their volumes"
    ;;
  services) services_up ;;
  wait-healthy) wait_healthy "${2:?which service}" "${3:-180}" ;;
  status)
    podman ps -a --filter "label=io.podman.compose.project=$project" \
      --format '{{.Names}}\t{{.Status}}\t{{.Image}}'
    ;;
  logs) podman logs "$(container "${2:?which service}")" ;;
  down)
    compose down ${2:+"$2"} >/dev/null 2>&1 || true
    if [ "${2:-}" = -v ]; then
      for v in $(podman volume ls -q --filter "label=io.podman.compose.project=$project"); do podman volume rm -f "$v" >/dev/null; done
    fi
    podman network rm -f "${project}_default" >/dev/null 2>&1 || true
    log "stopped $project${2:+ and removed its volumes}"
    ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
