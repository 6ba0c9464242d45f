package io.salientstream.analyzer;

import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.SalienceReport;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.Diagnostics;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import io.salientstream.schemas.PackedBits;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.streams.DeadLetters;
import io.salientstream.streams.ExperimentInputProcessor;
import io.salientstream.streams.ParkingLot;
import io.salientstream.streams.Position;
import io.salientstream.streams.RejectedRecord;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The salience-analyzer's one processor. It receives two co-partitioned inputs keyed by experiment
 * id: registrations from the compacted experiments topic and singular-value events from the
 * trainers, both as raw bytes, so that a record that cannot be decoded is forwarded to the
 * dead-letter sink with its original bytes and the source topic, partition and offset instead of
 * stopping the application.
 *
 * <h2>State (all in changelogged stores, written in the same exactly-once transaction as the
 * outputs)</h2>
 *
 * <ul>
 *   <li>{@value #SPECS}: experiment id → registration bytes;
 *   <li>{@value #HEADERS}: experiment id → {@link ExperimentHeader} (tens of bytes, rewritten every
 *       step);
 *   <li>{@value #ROWS}: {@code id␀step} → one encoded {@link StepInput} per step since the last
 *       snapshot (one small put per step; the window is never rewritten as a whole);
 *   <li>{@value #SNAPSHOTS}: experiment id → the policy's {@code snapshotState()} taken right after
 *       its last decision (when SalientLoRA's window is empty) or after a long decision-free
 *       stretch such as warm-up.
 * </ul>
 *
 * The live {@link RankPolicy} objects are a cache of that state: a policy is rebuilt by restoring
 * the snapshot and replaying the rows through the same policy code, so the analyzer's decisions are
 * those of the in-process run. The cache is trusted only while its last step equals the stored
 * header's (after an aborted transaction or a task migration it is rebuilt).
 *
 * <h2>Ordering rules (deterministic)</h2>
 *
 * <ul>
 *   <li>an event whose experiment is not registered yet is parked ({@value #PARKED}) and processed,
 *       in order, when the registration arrives — the two input topics have no order between them,
 *       so a trainer's first events may overtake its registration; still unregistered after the
 *       grace period (default 30 s) → dead letter {@code UNKNOWN_EXPERIMENT};
 *   <li>an event of an epoch lower than the experiment's current epoch → dead letter {@code
 *       STALE_EPOCH};
 *   <li>a higher epoch starts a new run: accepted if it restarts at step 0 (a fresh run: state is
 *       reset), or resumes from a trainer checkpoint at any step after the oldest policy snapshot
 *       kept (snapshots are taken at every window end; the last {@code resumeSnapshots} are kept
 *       with the rows after the oldest — by default one, i.e. a resume within the current window)
 *       up to the next step — the rows and snapshots after the resume point are dropped and the
 *       policy is rebuilt from the newest snapshot before it and the rows up to it, so the re-sent
 *       steps are decided as the first time (the pruner rewinds its rank pattern likewise);
 *       otherwise dead letter naming the steps it could resume at;
 *   <li>within an epoch, a step at or below the last one is a duplicate (producer retry or replay):
 *       skipped and counted, no output; a step beyond the next one is a gap → dead letter naming
 *       the expected step;
 *   <li>a registration of a running experiment (registered, not finished) with a different
 *       definition (policy, parameters, matrices, schedule, seed) is refused — a dead letter naming
 *       the experiment — and the running experiment goes on unchanged (issue 15: a second trainer
 *       must not take over an experiment id); re-publishing the same registration (a resumed run)
 *       changes nothing. Once the experiment finished (a tombstone) or left the stores, its id is
 *       free for any definition.
 * </ul>
 */
public final class AnalyzerProcessor extends ExperimentInputProcessor {

  public static final String SPECS = "analyzer-experiments";
  public static final String HEADERS = "analyzer-headers";
  public static final String ROWS = "analyzer-window-rows";
  public static final String SNAPSHOTS = "analyzer-policy-snapshots";
  public static final String PARKED = "analyzer-parked-events";

  /**
   * Every store of the analyzer: the topology registers exactly these, and the checks that an
   * experiment leaves no entry behind read this list, so a new store cannot escape them.
   */
  public static final List<String> STORES = List.of(SPECS, HEADERS, ROWS, SNAPSHOTS, PARKED);

  /**
   * Rows after which a decision-free policy (warm-up, fixed rank, AdaLoRA between decisions) is
   * snapshotted if its state is small; tried at 64, 128, 256, ... rows since the last snapshot
   * (encoding costs O(state)). A policy that buffers its steps ({@link RankPolicy#bufferedSteps()}
   * > 0, SalientLoRA inside a window) is not tried at all: its snapshot holds those steps and is
   * never smaller than their rows (encoding such snapshots only to discard them took 20-45% of the
   * analyzer's thread).
   */
  static final int COMPACT_EVERY_ROWS = 64;

  /**
   * True when a compaction attempt is due after {@code rows} rows since the last snapshot (64 ·
   * 2^k).
   */
  static boolean compactionDue(int rows) {
    return rows >= COMPACT_EVERY_ROWS
        && rows % COMPACT_EVERY_ROWS == 0
        && Integer.bitCount(rows / COMPACT_EVERY_ROWS) == 1;
  }

  private static final Logger LOG = LoggerFactory.getLogger(AnalyzerProcessor.class);

  private final AnalyzerTopology.Config config;
  private final AnalyzerMetrics metrics;
  private KeyValueStore<String, byte[]> specs;
  private KeyValueStore<String, byte[]> headers;
  private KeyValueStore<String, byte[]> rows;
  private KeyValueStore<String, byte[]> snapshots;
  private Deserializer<SingularValueStepView> stepDeserializer;
  private Deserializer<ExperimentSpec> specDeserializer;

  /** Live policies, least recently used first; at most {@code config.livePolicies()}. */
  private final Map<String, Live> live;

  /** A policy in memory, valid for the header it was built or advanced against. */
  private record Live(RankPolicy policy, long lastStep, long fingerprint, ExperimentSpec spec) {}

  /**
   * A registration as decoded from the bytes in {@value #SPECS}: reused while the stored bytes are
   * equal, so a step does not decode and fingerprint its registration again (a few percent of the
   * analyzer's time at N = 1080).
   */
  private record SpecEntry(byte[] bytes, ExperimentSpec spec, long fingerprint, RankPolicy shape) {}

  private final Map<String, SpecEntry> decodedSpecs = new HashMap<>();

  AnalyzerProcessor(AnalyzerTopology.Config config, AnalyzerMetrics metrics) {
    super(
        new Wiring(
            config.applicationName(),
            config.topics().experiments(),
            PARKED,
            config.unknownExperimentGrace(),
            AnalyzerTopology.DEAD_LETTER_SINK,
            metrics.deadLetters,
            SPECS,
            config.idleRetention(),
            ParkingLot.DEFAULT_CAPACITY));
    this.config = config;
    this.metrics = metrics;
    int bound = config.livePolicies();
    this.live =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Live> eldest) {
            return size() > bound;
          }
        };
  }

  @Override
  protected void onInit(ProcessorContext<String, Object> context) {
    this.specs = context.getStateStore(SPECS);
    this.headers = context.getStateStore(HEADERS);
    this.rows = context.getStateStore(ROWS);
    this.snapshots = context.getStateStore(SNAPSHOTS);
    this.stepDeserializer = config.stepDeserializer().get();
    this.specDeserializer = config.specDeserializer().get();
    live.clear();
    decodedSpecs.clear();
  }

  @Override
  protected void onFailure(String key) {
    live.remove(
        key); // the stores still hold the last committed-good state; the policy is rebuilt from
    // them
  }

  @Override
  protected void onRegistration(Record<Bytes, byte[]> record, RecordMetadata meta) {
    onSpec(record, meta);
  }

  private void onSpec(Record<Bytes, byte[]> record, RecordMetadata meta) {
    String key = DeadLetters.keyOf(record);
    if (record.value() == null) { // tombstone: the experiment is deleted
      specs.delete(key);
      forget(key);
      return;
    }
    ExperimentSpec spec = DeadLetters.decode(specDeserializer, meta, record.value());
    if (!key.equals(spec.getExperimentId())) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          "experiment registration under key '"
              + key
              + "' names experimentId '"
              + spec.getExperimentId()
              + "'");
    }
    PolicySpecs.validate(
        spec); // a policy that cannot be built from it is rejected here, not at the first step
    byte[] old = specs.get(key);
    Optional<String> change =
        old == null
            ? Optional.empty()
            : PolicySpecs.definitionChange(DeadLetters.decode(specDeserializer, meta, old), spec);
    if (change.isPresent() && !finished(key)) {
      // the experiment is running (registered, not finished): its id is owned by that definition
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE, PolicySpecs.ownershipRefusal(key, change.get()));
    }
    specs.put(key, record.value());
    if (change.isPresent()) {
      LOG.info("experiment {} finished and was registered again with another definition", key);
      forget(key); // nothing of the finished run's allocation state carries over
    }
  }

  @Override
  protected void onInput(String key, byte[] keyBytes, byte[] value, Position pos, long timestamp) {
    SingularValueStepView event = DeadLetters.decode(stepDeserializer, pos, value);
    byte[] specBytes = specs.get(key);
    if (specBytes == null) {
      // the registration may still be on its way (no order between the two input topics): wait for
      // it
      park(key, keyBytes, value, pos, timestamp);
      metrics.parked.increment();
      return;
    }
    SpecEntry cached = decodedSpecs.get(key);
    boolean hit = cached != null && Arrays.equals(cached.bytes(), specBytes);
    ExperimentSpec spec =
        hit ? cached.spec() : DeadLetters.decode(specDeserializer, pos, specBytes);
    // what the policy reads at each step and how it masks: asked of a policy built from the
    // registration
    RankPolicy shape = hit ? cached.shape() : PolicySpecs.create(spec);
    event.check(key, spec, shape);
    long fingerprint = hit ? cached.fingerprint() : PolicySpecs.fingerprint(spec);
    if (!hit) {
      decodedSpecs.put(key, new SpecEntry(specBytes, spec, fingerprint, shape));
    }

    byte[] headerBytes = headers.get(key);
    ExperimentHeader header = headerBytes == null ? null : ExperimentHeader.decode(headerBytes);
    if (header != null && header.fingerprint() != fingerprint) {
      forget(key);
      header = null;
    }
    if (header == null) {
      header = ExperimentHeader.fresh(event.runId(), event.epoch(), fingerprint);
    } else if (event.epoch() < header.epoch()) {
      throw new RejectedRecord(
          DeadLetterReason.STALE_EPOCH,
          "experiment '"
              + key
              + "' step "
              + event.step()
              + ": event of epoch "
              + event.epoch()
              + " (run "
              + event.runId()
              + ") but epoch "
              + header.epoch()
              + " (run "
              + header.runId()
              + ") is current");
    } else if (event.epoch() > header.epoch()) {
      if (event.step() == 0) {
        forget(key);
        header = ExperimentHeader.fresh(event.runId(), event.epoch(), fingerprint);
      } else if (event.step() == header.lastStep() + 1) {
        header = header.withRun(event.runId(), event.epoch());
      } else if (event.step() > header.oldestSnapshotStep() && event.step() <= header.lastStep()) {
        header = rewind(key, header, event.step() - 1).withRun(event.runId(), event.epoch());
      } else {
        throw new RejectedRecord(
            DeadLetterReason.INVALID_VALUE,
            "experiment '"
                + key
                + "': new epoch "
                + event.epoch()
                + " starts at step "
                + event.step()
                + " but can only resume at a step from "
                + (header.oldestSnapshotStep() + 1)
                + " to "
                + (header.lastStep() + 1)
                + " (after the oldest of the "
                + config.resumeSnapshots()
                + " policy snapshots kept) or restart at step 0");
      }
    }
    if (header.lastStep() >= 0 && event.step() <= header.lastStep()) {
      metrics.duplicates.increment();
      return; // duplicate: already applied
    }
    if (header.lastStep() >= 0 && event.step() != header.lastStep() + 1) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          "experiment '"
              + key
              + "' epoch "
              + event.epoch()
              + ": step "
              + event.step()
              + " arrived but step "
              + (header.lastStep() + 1)
              + " is next (gap)");
    }

    RankPolicy policy = policyFor(key, spec, header);
    StepInput input = event.toInput(shape.inputsAt(event.step()));
    long t0 = System.nanoTime();
    Optional<Decision> decision = policy.onStep(input);
    long nanos = System.nanoTime() - t0;
    double millis = nanos / 1e6;
    metrics.steps.increment();

    if (decision.isPresent()) {
      ExperimentHeader next = snapshot(key, header, event.step(), policy.snapshotState(), true);
      headers.put(key, next.encode());
      SalienceReport report = report(spec, event, decision.get(), header.windowIndex(), millis);
      context.forward(
          new Record<String, Object>(key, report, event.wallClockMs()),
          AnalyzerTopology.REPORTS_SINK);
      metrics.decisions.increment();
      metrics.decisionNanos.add(nanos);
      metrics.lastComputeMillis = millis;
    } else {
      ExperimentHeader next = header.afterStep(event.step());
      // a policy buffering its steps (SalientLoRA inside a window) has a snapshot at least as large
      // as the rows
      if (compactionDue(next.rowsSinceSnapshot()) && policy.bufferedSteps() == 0) {
        byte[] snap = policy.snapshotState();
        if (snap.length <= (long) next.rowsSinceSnapshot() * rowSize(input) / 2) {
          next = snapshot(key, header, event.step(), snap, false);
          headers.put(key, next.encode());
          live.put(key, new Live(policy, event.step(), fingerprint, spec));
          return;
        }
      }
      rows.put(rowKey(key, event.step()), StepRows.encode(input));
      headers.put(key, next.encode());
    }
    live.put(key, new Live(policy, event.step(), fingerprint, spec));
  }

  private static int rowSize(StepInput in) {
    return 28
        + in.singularValues().length * (in.tripletScores() == null ? 4 : 12); // StepRows' layout
  }

  /**
   * The cached policy if it is in step with the stores, else a policy rebuilt from snapshot + rows.
   */
  private RankPolicy policyFor(String key, ExperimentSpec spec, ExperimentHeader header) {
    Live l = live.get(key);
    if (l != null && l.lastStep() == header.lastStep() && l.fingerprint() == header.fingerprint()) {
      return l.policy();
    }
    RankPolicy policy = PolicySpecs.create(spec);
    byte[] snap = null;
    if (header.snapshotStep() >= 0) {
      snap = snapshots.get(rowKey(key, header.snapshotStep()));
      if (snap == null) {
        throw new IllegalStateException(
            "experiment '"
                + key
                + "': the policy snapshot of step "
                + header.snapshotStep()
                + " is missing from "
                + SNAPSHOTS);
      }
      policy.restoreState(snap);
    }
    int replayed = 0;
    if (header.lastStep() > header.snapshotStep()) {
      try (KeyValueIterator<String, byte[]> it =
          rows.range(rowKey(key, header.snapshotStep() + 1), rowKey(key, header.lastStep()))) {
        while (it.hasNext()) {
          policy.onStep(StepRows.decode(it.next().value));
          replayed++;
        }
      }
    }
    if (replayed > 0 || snap != null) {
      LOG.info(
          "experiment {}: policy rebuilt from snapshot{} and {} replayed step(s)",
          key,
          snap == null ? " (none)" : "",
          replayed);
      metrics.rebuilds.increment();
    }
    return policy;
  }

  /** A finished (tombstoned) or long-silent experiment: nothing of it stays. */
  @Override
  protected void forgetExperiment(String key) {
    specs.delete(key);
    forget(key);
  }

  private void forget(String key) {
    live.remove(key);
    decodedSpecs.remove(key);
    headers.delete(key);
    deleteAll(snapshots, key);
    deleteAll(rows, key);
  }

  /**
   * Stores a snapshot taken after {@code step} and returns the header after it. When more than
   * {@code resumeSnapshots} snapshot points would be kept, the oldest is dropped with the rows up
   * to the next one (with the default of one: the rows of the window just decided) — by key,
   * without scanning the store ({@code put(k, null)} deletes without reading the old value, which
   * {@code delete} would; steps are consecutive).
   */
  private ExperimentHeader snapshot(
      String key, ExperimentHeader header, long step, byte[] state, boolean decision) {
    snapshots.put(rowKey(key, step), state);
    ExperimentHeader next = header.afterSnapshot(step, decision, config.resumeSnapshots());
    long[] before = header.retainedSteps();
    long oldest = next.oldestSnapshotStep();
    for (int i = 0; i < before.length && before[i] < oldest; i++) {
      if (before[i] >= 0) {
        snapshots.put(rowKey(key, before[i]), null);
      }
      long until = i + 1 < before.length ? before[i + 1] : step;
      for (long s = before[i] + 1; s < until; s++) {
        rows.put(rowKey(key, s), null);
      }
    }
    return next;
  }

  /**
   * A resumed run (higher epoch) continues from a trainer checkpoint taken before the last step
   * seen but after the oldest snapshot kept: the rows and snapshots after {@code toStep} are
   * dropped and the policy is rebuilt from the newest snapshot before it and the rows up to {@code
   * toStep}, so the steps the new run sends again are decided as the first time.
   */
  private ExperimentHeader rewind(String key, ExperimentHeader header, long toStep) {
    ExperimentHeader back = header.rewoundTo(toStep);
    for (long step = toStep + 1; step <= header.lastStep(); step++) {
      rows.put(rowKey(key, step), null);
    }
    for (long s : header.retainedSteps()) {
      if (s > toStep) {
        snapshots.put(rowKey(key, s), null);
      }
    }
    live.remove(key);
    metrics.rewinds.increment();
    LOG.info(
        "experiment {}: run {} (epoch {}) rewound from step {} to step {} (snapshot of step {}, {} window ends)",
        key,
        header.runId(),
        header.epoch(),
        header.lastStep(),
        toStep,
        back.snapshotStep(),
        back.windowIndex());
    return back;
  }

  /**
   * Deletes every entry of the experiment in {@code store} (reset paths: whatever the header says).
   */
  private static void deleteAll(KeyValueStore<String, byte[]> store, String key) {
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it =
        store.prefixScan(key + '\u0000', new StringSerializer())) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    keys.forEach(store::delete);
  }

  /** Row and snapshot keys sort by step within an experiment: {@code id␀<step as 19 digits>}. */
  static String rowKey(String experimentId, long step) {
    String digits =
        Long.toString(step); // steps are >= 0 (validated); same key as String.format("%019d", step)
    StringBuilder b =
        new StringBuilder(experimentId.length() + 20).append(experimentId).append('\u0000');
    for (int i = digits.length(); i < 19; i++) {
      b.append('0');
    }
    return b.append(digits).toString();
  }

  private SalienceReport report(
      ExperimentSpec spec,
      SingularValueStepView event,
      Decision d,
      int windowIndex,
      double millis) {
    Diagnostics diag = d.diagnostics();
    int windowLength = diag.windowLength() > 0 ? diag.windowLength() : 1;
    boolean[] keep = new boolean[0];
    List<ByteBuffer> entryMasks = null;
    if (d.mask() instanceof MaskUpdate.TripletMask t) {
      keep = t.keep();
    } else if (d.mask() instanceof MaskUpdate.EntryMask em) {
      entryMasks = new ArrayList<>();
      for (boolean[] m : em.perMatrix()) {
        entryMasks.add(PackedBits.pack(m));
      }
    }
    return SalienceReport.newBuilder()
        .setExperimentId(spec.getExperimentId())
        .setRunId(event.runId())
        .setEpoch(event.epoch())
        .setPolicy(spec.getPolicy())
        .setWindowIndex(windowIndex)
        .setWindowStartStep(d.decidedAt() - windowLength + 1)
        .setWindowEndStep(d.decidedAt())
        .setWindowLength(windowLength)
        .setNextWindowLength(0)
        .setEffectiveFromStep(d.effectiveFrom())
        .setPersistent(d.persistent())
        .setBudget(d.budget())
        .setThreshold(Double.isFinite(diag.threshold()) ? diag.threshold() : 0.0)
        .setSalience(toList(diag.scores()))
        .setInfluence(toList(diag.influence()))
        .setMagnitude(toList(diag.magnitude()))
        .setKeepMask(toBoolList(keep))
        .setEntryMasks(entryMasks)
        .setEdges(Math.max(0, diag.edges()))
        .setComputeMillis(millis)
        .build();
  }

  private static List<Double> toList(double[] a) {
    List<Double> l = new ArrayList<>(a == null ? 0 : a.length);
    if (a != null) {
      for (double v : a) {
        l.add(v);
      }
    }
    return l;
  }

  private static List<Boolean> toBoolList(boolean[] a) {
    List<Boolean> l = new ArrayList<>(a.length);
    for (boolean v : a) {
      l.add(v);
    }
    return l;
  }
}
