#!/usr/bin/env bash
# The container end-to-end test (`.ci/run` runs it after `./mvnw verify`; about 10 minutes on 2 cores):
#  1. builds both images (deploy/build-images.sh; --no-maven builds them from the launcher jars already in
#     services/target and cli/target, --no-build reuses the images there are) and checks they run as non-root;
#  2. starts the compose stack with podman (deploy/stack.sh: broker, registry, topics, analyzer, pruner), each
#     container with a read-only root filesystem;
#  3. runs the two trainers' experiments (SalientLoRA and AdaLoRA, kafka-sync) through the analyzer and pruner
#     containers, kills trainer-1 with `podman kill` after its first checkpoint and starts it again (it resumes
#     from the checkpoint on its volume), and checks that both end bit-identical (adapter checksum, keep masks,
#     final total rank) to the same runs with the policy in-process, run in the trainer image;
#  4. kills every service container with `podman kill`, starts it again and checks it comes back healthy with its
#     state (broker: same cluster and data; registry: same subjects and ids; pruner: same rank pattern;
#     analyzer: its RocksDB state folder kept), crashes the pruner (SIGKILL of its process) to check the restart
#     policy, then runs a third experiment through the restarted stack and checks it bit-identical again;
#  5. stops the stack and removes its containers, volumes and network (also on failure).
# Prints the image sizes and the start-up and restart times it measured.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.."
build=1 maven_flag=""
case "${1:-}" in
  --no-build) build=0 ;;     # reuse the images there are
  --no-maven) maven_flag=--no-maven ;;  # build the images from the launcher jars already built (after verify)
  "") ;;
  *) echo "usage: deploy/stack-test.sh [--no-build | --no-maven]" >&2; exit 2 ;;
esac
export STACK_PROJECT="sst-test-$$"
log() { echo "stack-test: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

# free host ports for the published HTTP ports (other stacks may use the defaults)
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free port"
}
export REGISTRY_HOST_PORT="$(free_port)" ANALYZER_HOST_PORT="$(free_port)" PRUNER_HOST_PORT="$(free_port)"
export DASHBOARD_HOST_PORT="$(free_port)"
export TRAINER_1_EXPERIMENT="ci-salientlora-$$" TRAINER_2_EXPERIMENT="ci-adalora-$$"

if [ $build -eq 1 ]; then
  deploy/install-tools.sh
  deploy/build-images.sh --no-save $maven_flag
fi
tag="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)"; tag="${tag%-SNAPSHOT}"
services_image="localhost/salientstream-services:$tag" trainer_image="localhost/salientstream-trainer:$tag"

# the podman settings this host needs, for the test's own podman calls and (inherited) stack.sh's
# shellcheck source=deploy/podman-env.sh
source deploy/podman-env.sh
work="$(mktemp -d)"
chmod 777 "$work"
cleanup() {
  rc=$?
  [ -n "${ref_pid:-}" ] && kill "$ref_pid" 2>/dev/null || true
  podman rm -f "${STACK_PROJECT}_ci-after-restarts" >/dev/null 2>&1 || true
  deploy/stack.sh down -v >/dev/null 2>&1 || true
  podman network rm -f "${STACK_PROJECT}_default" >/dev/null 2>&1 || true
  rm -rf "$work"
  left="$(podman ps -a -q --filter "label=io.podman.compose.project=$STACK_PROJECT" | wc -l)"
  log "cleaned up ($left containers left)"
  exit $rc
}
trap cleanup EXIT

# 1. the images: sizes, non-root user
for image in "$services_image" "$trainer_image"; do
  user="$(podman run --rm --entrypoint id "$image" -u)"
  [ "$user" != 0 ] || fail "$image runs as root"
  log "$image: $(podman image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'), user $user"
done

# the in-process reference runs, in the trainer image, while the stack starts
experiment=(train --task rank-recovery --steps 80 --batch 32 --lr 1e-2 --rank 6 --matrices 12 --dim 16
  --max-true-rank 4 --no-progress)
(
  for policy in salientlora adalora; do
    podman run --rm --read-only --tmpfs /tmp -v "$work:/out" "$trainer_image" "${experiment[@]}" --policy "$policy" \
      --report "/out/ref-$policy.json" >"$work/ref-$policy.log" 2>&1
  done
) &
ref_pid=$!

# 2. the stack
t0=$(date +%s)
deploy/stack.sh services
log "services up in $(( $(date +%s) - t0 )) s"
for s in kafka registry analyzer pruner dashboard; do
  c="${STACK_PROJECT}_${s}_1"
  [ "$(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$c")" = true ] || fail "$c: root filesystem not read-only"
  [ "$(podman exec "$c" id -u)" != 0 ] || fail "$c runs as root"
done

# 3. the trainers, one of them killed and restarted after its first checkpoint
podman-compose -p "$STACK_PROJECT" -f deploy/compose.yaml up -d --no-deps trainer-1 trainer-2 >/dev/null 2>&1
t1="${STACK_PROJECT}_trainer-1_1" t2="${STACK_PROJECT}_trainer-2_1"
vol1="$(podman volume inspect -f '{{.Mountpoint}}' "${STACK_PROJECT}_trainer-1")"
for _ in $(seq 1 600); do
  [ -f "$vol1/checkpoint/trainer-state.json" ] && break
  [ "$(podman inspect -f '{{.State.Status}}' "$t1")" = running ] || break
  sleep 0.5
done
[ -f "$vol1/checkpoint/trainer-state.json" ] || { podman logs --tail 30 "$t1" >&2; fail "trainer-1 wrote no checkpoint"; }
sleep 3
podman kill "$t1" >/dev/null
log "trainer-1 killed ($(podman inspect -f '{{.State.ExitCode}}' "$t1")) after its checkpoint; starting it again"
podman start "$t1" >/dev/null
for c in "$t1" "$t2"; do
  code="$(podman wait "$c")"
  [ "$code" = 0 ] || { podman logs --tail 40 "$c" >&2; fail "$c exited with $code"; }
done
# (the log read whole first: `grep -q` leaving early would fail the pipe under pipefail)
t1_log="$(podman logs "$t1" 2>&1)"
grep -q "checkpoint found" <<<"$t1_log" || { tail -20 <<<"$t1_log" >&2; fail "trainer-1 did not resume from its checkpoint"; }
log "trainers done (trainer-1 resumed from its checkpoint)"
wait "$ref_pid" || { cat "$work"/ref-*.log >&2; fail "in-process reference runs failed"; }
ref_pid=""
podman cp "$t1:/var/lib/salientstream/report.json" "$work/kafka-salientlora.json"
podman cp "$t2:/var/lib/salientstream/report.json" "$work/kafka-adalora.json"

# same(report, reference, what): adapter checksum, keep masks and final total rank equal, something pruned
same() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
got, ref, what = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
assert got["allocation"] == "kafka-sync" and ref["allocation"] == "in-process", (got["allocation"], ref["allocation"])
for key in ("adapterChecksum", "keepMasks", "finalTotalRank"):
    assert got[key] == ref[key], f"{what}: {key} differs: {got[key]} over Kafka, {ref[key]} in-process"
assert ref["finalTotalRank"] < ref["initRank"] * len(ref["keepMasks"]), f"{what}: nothing was pruned"
print(f"{what}: bit-identical to in-process (adapter checksum {got['adapterChecksum']}, "
      f"final total rank {got['finalTotalRank']})")
PY
}
same "$work/kafka-salientlora.json" "$work/ref-salientlora.json" "trainer-1 SalientLoRA (killed and resumed)" >&2
same "$work/kafka-adalora.json" "$work/ref-adalora.json" "trainer-2 AdaLoRA" >&2

# 4. every service killed and started again, keeping its state
get() { python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"; }
# the dashboard container follows both experiments (its JSON API, published on the host)
experiments_json="$(get "http://127.0.0.1:$DASHBOARD_HOST_PORT/api/experiments")"
for id in "$TRAINER_1_EXPERIMENT" "$TRAINER_2_EXPERIMENT"; do
  grep -q "\"$id\"" <<<"$experiments_json" || fail "the dashboard does not list $id"
done
log "the dashboard lists both experiments"
ranks_url="http://127.0.0.1:$PRUNER_HOST_PORT/experiments/$TRAINER_1_EXPERIMENT/ranks"
registry_url="http://127.0.0.1:$REGISTRY_HOST_PORT"
ranks_before="$(get "$ranks_url")"
subjects_before="$(get "$registry_url/subjects")"
schema_before="$(get "$registry_url/schemas/ids/1")"
cluster_before="$(podman logs "${STACK_PROJECT}_kafka_1" 2>&1 | sed -n 's/.*(cluster \([^,]*\),.*/\1/p' | tail -1)"
analyzer_vol="$(podman volume inspect -f '{{.Mountpoint}}' "${STACK_PROJECT}_analyzer")"
analyzer_state_before="$(cd "$analyzer_vol/analyzer" && find . -path '*rocksdb*' -type d | sort | head -5)"
[ -n "$analyzer_state_before" ] || fail "the analyzer has no RocksDB state on its volume"
pruner_vol="$(podman volume inspect -f '{{.Mountpoint}}' "${STACK_PROJECT}_pruner")"
pruner_state_before="$(cd "$pruner_vol/pruner" && find . -path '*rocksdb*' -type d | sort | head -5)"
[ -n "$pruner_state_before" ] || fail "the pruner has no RocksDB state on its volume"
for s in kafka registry analyzer pruner; do
  c="${STACK_PROJECT}_${s}_1"
  podman kill "$c" >/dev/null
  podman start "$c" >/dev/null
  t="$(deploy/stack.sh wait-healthy "$s")"
  log "$s killed and started again: healthy after $t s"
done
# the broker restart may have made the Streams apps rebalance: wait until both are healthy again
for s in analyzer pruner; do deploy/stack.sh wait-healthy "$s" >/dev/null; done
cluster_after="$(podman logs "${STACK_PROJECT}_kafka_1" 2>&1 | sed -n 's/.*(cluster \([^,]*\),.*/\1/p' | tail -1)"
[ "$(podman logs "${STACK_PROJECT}_kafka_1" 2>&1 | grep -c '^broker ready')" -ge 2 ] || fail "the broker did not restart"
[ -n "$cluster_after" ] && [ "$cluster_after" = "$cluster_before" ] || fail "broker cluster id $cluster_before → $cluster_after"
[ "$(get "$registry_url/subjects")" = "$subjects_before" ] || fail "registry subjects changed after restarts"
[ "$(get "$registry_url/schemas/ids/1")" = "$schema_before" ] || fail "registry schema id 1 changed after restarts"
# The experiment finished before the kills, so the apps drop its keys once the grace period after its
# registration's tombstone has passed (README, "finished experiments leave the stores"): its rank pattern is
# either still the same or gone (404) — never a different one.
status_of() { python3 -c 'import sys,urllib.request,urllib.error
try: print(urllib.request.urlopen(sys.argv[1], timeout=10).status)
except urllib.error.HTTPError as e: print(e.code)
except Exception: print(0)' "$1"; }
ranks_status=0
for _ in $(seq 1 60); do ranks_status="$(status_of "$ranks_url")"; [ "$ranks_status" != 0 ] && break; sleep 1; done
case "$ranks_status" in
  200) [ "$(get "$ranks_url")" = "$ranks_before" ] || fail "pruner rank pattern changed after restarts: $ranks_before → $(get "$ranks_url")"
       ranks_note="pruner rank pattern unchanged" ;;
  404) ranks_note="pruner rank pattern of the finished experiment dropped after its grace period" ;;
  *) fail "pruner ranks answered $ranks_status after restarts" ;;
esac
[ "$(cd "$analyzer_vol/analyzer" && find . -path '*rocksdb*' -type d | sort | head -5)" = "$analyzer_state_before" ] \
  || fail "the analyzer's state folder changed"
[ "$(cd "$pruner_vol/pruner" && find . -path '*rocksdb*' -type d | sort | head -5)" = "$pruner_state_before" ] \
  || fail "the pruner's state folder changed"
log "state kept: broker cluster $cluster_after, registry subjects and schema 1, analyzer and pruner state folders; $ranks_note"

# a crash (not a stop by podman): the restart policy brings the pruner back
pruner="${STACK_PROJECT}_pruner_1"
restarts="$(podman inspect -f '{{.RestartCount}}' "$pruner")"
kill -9 "$(podman inspect -f '{{.State.Pid}}' "$pruner")"
for _ in $(seq 1 120); do
  [ "$(podman inspect -f '{{.RestartCount}}' "$pruner")" -gt "$restarts" ] && break
  sleep 0.5
done
[ "$(podman inspect -f '{{.RestartCount}}' "$pruner")" -gt "$restarts" ] || fail "the pruner was not restarted after a crash"
t="$(deploy/stack.sh wait-healthy pruner)"
log "pruner crashed (SIGKILL) and restarted by its restart policy: healthy after $t s"

# a new experiment through the restarted stack
podman run --name "${STACK_PROJECT}_ci-after-restarts" --read-only --tmpfs /tmp -v "$work:/out" \
  --network "${STACK_PROJECT}_default" "$trainer_image" "${experiment[@]}" --policy salientlora \
  --allocation kafka-sync --experiment-id "ci-after-restarts-$$" \
  --allocation-config bootstrap.servers=kafka:9092 --allocation-config schema.registry.url=http://registry:8081 \
  --report /out/after-restarts.json >"$work/after-restarts.log" 2>&1 || { tail -30 "$work/after-restarts.log" >&2; fail "experiment after the restarts failed"; }
same "$work/after-restarts.json" "$work/ref-salientlora.json" "a SalientLoRA experiment after every service restarted" >&2
log "PASSED"
