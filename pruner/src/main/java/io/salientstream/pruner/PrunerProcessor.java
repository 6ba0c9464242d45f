package io.salientstream.pruner;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.Provenance;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.PolicyKind;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.http.HardenedHttpServer;
import io.salientstream.schemas.PackedBits;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.streams.DeadLetters;
import io.salientstream.streams.ExperimentInputProcessor;
import io.salientstream.streams.ParkingLot;
import io.salientstream.streams.Position;
import io.salientstream.streams.RejectedRecord;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns salience reports into rank-pruning commands. Inputs (raw bytes, keyed by experiment id,
 * co-partitioned): registrations and salience reports. State: {@value #SPECS} (registration bytes)
 * and {@value #PATTERNS} (experiment id → {@link RankPattern}, also served over HTTP).
 *
 * <p>Per report, in order: the experiment must be registered (a report that overtook the
 * registration waits for it, in order; after the grace period, default 30 s, it is dead-lettered
 * {@code UNKNOWN_EXPERIMENT}); its vectors must have N entries ({@code WRONG_LENGTH}) and finite
 * scores ({@code INVALID_VALUE}) — for a policy with entry masks ({@link RankPolicy#maskKind()},
 * PRILoRA) instead one packed mask of r·d_in bits per matrix and no keep mask; its epoch must not
 * be below the last commanded one ({@code STALE_EPOCH}); a report whose window end is not after the
 * last commanded one within the same epoch is a duplicate and is skipped (commands are idempotent:
 * one per window end); the kept count must equal the report's budget and the budget must not exceed
 * the experiment's schedule at that step; a policy that never revives ({@link
 * RankPolicy#mayRevive()} false: SalientLoRA, PRILoRA without regrowth) must send persistent masks
 * that keep no unit pruned before. Then the command gets the next sequence number and is emitted.
 *
 * <p>A report of a higher epoch for a window end already commanded comes from a trainer resumed
 * from an older checkpoint (the analyzer rewound to it): it is checked against the pattern decided
 * before that window end, kept in {@value #HISTORY} (the last {@link
 * PrunerTopology.Config#patternHistory()} patterns, at least as many as the analyzer's policy
 * snapshots), and the later patterns are dropped; beyond the history it is dead-lettered. Sequence
 * numbers keep increasing across such rewinds.
 */
public final class PrunerProcessor extends ExperimentInputProcessor {

  public static final String SPECS = "pruner-experiments";
  public static final String PATTERNS = "pruner-rank-patterns";

  /**
   * The last {@code patternHistory} rank patterns per experiment, keyed {@code id␀<decidedAtStep +
   * 1>}.
   */
  public static final String HISTORY = "pruner-pattern-history";

  public static final String PARKED = "pruner-parked-reports";

  /**
   * Every store of the pruner: the topology registers exactly these, and the checks that an
   * experiment leaves no entry behind read this list, so a new store cannot escape them.
   */
  public static final List<String> STORES = List.of(SPECS, PATTERNS, HISTORY, PARKED);

  private static final Logger LOG = LoggerFactory.getLogger(PrunerProcessor.class);

  private final PrunerTopology.Config config;
  private final PrunerMetrics metrics;
  private KeyValueStore<String, byte[]> specs;
  private KeyValueStore<String, byte[]> patterns;
  private KeyValueStore<String, byte[]> history;
  private Deserializer<ExperimentSpec> specDeserializer;
  private Deserializer<SalienceReport> reportDeserializer;

  PrunerProcessor(PrunerTopology.Config config, PrunerMetrics metrics) {
    super(
        new Wiring(
            config.applicationName(),
            config.topics().experiments(),
            PARKED,
            config.unknownExperimentGrace(),
            PrunerTopology.DEAD_LETTER_SINK,
            metrics.deadLetters,
            SPECS,
            config.idleRetention(),
            ParkingLot.DEFAULT_CAPACITY));
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  protected void onInit(ProcessorContext<String, Object> context) {
    this.specs = context.getStateStore(SPECS);
    this.patterns = context.getStateStore(PATTERNS);
    this.history = context.getStateStore(HISTORY);
    this.specDeserializer = config.specDeserializer().get();
    this.reportDeserializer = config.reportDeserializer().get();
  }

  @Override
  protected void onRegistration(Record<Bytes, byte[]> record, RecordMetadata meta) {
    onSpec(record, meta);
  }

  private void onSpec(Record<Bytes, byte[]> record, RecordMetadata meta) {
    String key = DeadLetters.keyOf(record);
    if (record.value() == null) {
      specs.delete(key);
      forgetPatterns(key);
      return;
    }
    ExperimentSpec spec = DeadLetters.decode(specDeserializer, meta, record.value());
    if (!key.equals(spec.getExperimentId())) { // as the analyzer: one key, one experiment
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          "experiment registration under key '"
              + HardenedHttpServer.clip(key)
              + "' names experimentId '"
              + HardenedHttpServer.clip(spec.getExperimentId())
              + "'");
    }
    PolicySpecs.validate(spec);
    byte[] old = specs.get(key);
    if (old != null
        && !finished(key)) { // as the analyzer: a running experiment keeps its definition
      PolicySpecs.definitionChange(DeadLetters.decode(specDeserializer, meta, old), spec)
          .ifPresent(
              change -> {
                throw new RejectedRecord(
                    DeadLetterReason.INVALID_VALUE, PolicySpecs.ownershipRefusal(key, change));
              });
    }
    specs.put(key, record.value());
    byte[] p = patterns.get(key);
    if (p != null && RankPattern.decode(p).fingerprint() != PolicySpecs.fingerprint(spec)) {
      forgetPatterns(key); // a changed definition starts from the full rank again
    }
  }

  @Override
  protected void onInput(String key, byte[] keyBytes, byte[] value, Position pos, long timestamp) {
    SalienceReport report = DeadLetters.decode(reportDeserializer, pos, value);
    byte[] specBytes = specs.get(key);
    String where = "experiment '" + key + "' window ending at step " + report.getWindowEndStep();
    if (specBytes == null) {
      // the registration may still be on its way (no order between the two input topics): wait for
      // it
      park(key, keyBytes, value, pos, timestamp);
      return;
    }
    ExperimentSpec spec = DeadLetters.decode(specDeserializer, pos, specBytes);
    long totalSteps = spec.getSchedule().getTotalSteps();
    if (report.getWindowEndStep() < 0 || report.getWindowEndStep() >= totalSteps) {
      throw new RejectedRecord( // the registration's cap on T, as the analyzer's
          DeadLetterReason.INVALID_VALUE,
          where + ": outside the run, the experiment registers " + totalSteps + " steps");
    }
    long fingerprint = PolicySpecs.fingerprint(spec);
    RankPolicy policy =
        PolicySpecs.create(
            spec); // asked what its masks look like, its schedule, whether it revives
    boolean entries = policy.maskKind() == RankPolicy.MaskKind.ENTRY;
    int[] widths = policy.maskWidths();
    int n = 0;
    for (int w : widths) {
      n += w;
    }
    boolean[] keep =
        entries ? entryKeep(report, spec, widths, n, where) : tripletKeep(report, spec, n, where);
    byte[] pb = patterns.get(key);
    RankPattern current = pb == null ? RankPattern.initial(n, fingerprint) : RankPattern.decode(pb);
    if (report.getEpoch() < current.epoch()) {
      throw new RejectedRecord(
          DeadLetterReason.STALE_EPOCH,
          where
              + ": report of epoch "
              + report.getEpoch()
              + " but commands already target epoch "
              + current.epoch());
    }
    if (report.getEpoch() == current.epoch()
        && report.getWindowEndStep() <= current.decidedAtStep()) {
      metrics.duplicates.increment();
      return;
    }
    // a resumed run re-decides window ends already commanded (the analyzer rewound to its
    // checkpoint): the report is
    // checked against the pattern before that window end; the later patterns are dropped once it is
    // accepted
    boolean rewound = report.getWindowEndStep() <= current.decidedAtStep();
    RankPattern base = rewound ? patternBefore(key, report.getWindowEndStep(), where) : current;
    String units = entries ? "A entries" : "singular values";
    int kept = 0;
    for (int i = 0; i < n; i++) {
      kept += keep[i] ? 1 : 0;
    }
    if (kept != report.getBudget()) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          where
              + ": "
              + (entries ? "entryMasks keep " : "keepMask keeps ")
              + kept
              + " but budget is "
              + report.getBudget());
    }
    int scheduled = policy.budgetAt(report.getWindowEndStep());
    if (kept > scheduled) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          where
              + ": keeps "
              + kept
              + " "
              + units
              + ", above the schedule's budget "
              + scheduled
              + " at that step");
    }
    if (!policy.mayRevive()) {
      if (!report.getPersistent()) {
        throw new RejectedRecord(
            DeadLetterReason.INVALID_VALUE,
            where
                + ": mask is not persistent, but policy "
                + policy.name()
                + " never revives a pruned unit, so its masks stay in force");
      }
      for (int i = 0; i < n; i++) {
        if (keep[i] && !base.keep()[i]) {
          throw new RejectedRecord(
              DeadLetterReason.INVALID_VALUE,
              where
                  + ": "
                  + unitName(entries, widths, i)
                  + " was pruned before and policy "
                  + policy.name()
                  + " never revives a pruned unit");
        }
      }
    }
    RankPattern next =
        new RankPattern(
            report.getRunId(),
            report.getEpoch(),
            current.sequence() + 1,
            report.getWindowEndStep(),
            report.getEffectiveFromStep(),
            keep,
            fingerprint);
    byte[] encoded = next.encode();
    if (rewound) {
      dropHistoryFrom(key, report.getWindowEndStep());
      metrics.rewinds.increment();
      LOG.info(
          "{}: a resumed run re-decides it; rank pattern rewound to the one decided at step {}",
          where,
          base.decidedAtStep());
    }
    if (pb == null) {
      history.put(
          historyKey(key, current.decidedAtStep()), current.encode()); // the initial pattern
    }
    patterns.put(key, encoded);
    remember(key, next.decidedAtStep(), encoded);
    RankPruneCommand cmd = command(spec, policy, report, next, timestamp);
    context.forward(new Record<String, Object>(key, cmd, timestamp), PrunerTopology.COMMANDS_SINK);
    metrics.commands.increment();
    LOG.debug(
        "{}: command {} (total rank {}) applies at step {}",
        key,
        cmd.getCommandId(),
        next.totalRank(),
        next.applyAtStep());
  }

  /**
   * The keep bits of a triplet-mask report (one per singular value), its salience checked
   * alongside.
   */
  private static boolean[] tripletKeep(
      SalienceReport report, ExperimentSpec spec, int n, String where) {
    if (report.getEntryMasks() != null) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          where
              + ": report carries entryMasks, but policy "
              + spec.getPolicy()
              + " masks singular values");
    }
    if (report.getKeepMask().size() != n) {
      throw new RejectedRecord(
          DeadLetterReason.WRONG_LENGTH,
          where
              + ": keepMask has "
              + report.getKeepMask().size()
              + " entries, the experiment has "
              + n
              + " singular values");
    }
    if (report.getSalience().size() != n) {
      throw new RejectedRecord(
          DeadLetterReason.WRONG_LENGTH,
          where
              + ": salience has "
              + report.getSalience().size()
              + " entries, the experiment has "
              + n
              + " singular values");
    }
    for (int i = 0; i < n; i++) {
      if (!Double.isFinite(report.getSalience().get(i))
          && !Policies.find(spec.getPolicy()).map(PolicyKind::nonFiniteScores).orElse(false)) {
        throw new RejectedRecord(
            DeadLetterReason.INVALID_VALUE,
            where + ": salience[" + i + "] is " + report.getSalience().get(i));
      }
    }
    boolean[] keep = new boolean[n];
    for (int i = 0; i < n; i++) {
      keep[i] = report.getKeepMask().get(i);
    }
    return keep;
  }

  /**
   * The keep bits of an entry-mask report: every matrix's packed r·d_in bits, concatenated in
   * layout order.
   */
  private static boolean[] entryKeep(
      SalienceReport report, ExperimentSpec spec, int[] widths, int n, String where) {
    List<ByteBuffer> masks = report.getEntryMasks();
    if (masks == null) {
      throw new RejectedRecord(
          DeadLetterReason.WRONG_LENGTH,
          where
              + ": no entryMasks, but policy "
              + spec.getPolicy()
              + " masks entries of A (one packed mask per matrix)");
    }
    if (!report.getKeepMask().isEmpty()) {
      throw new RejectedRecord(
          DeadLetterReason.WRONG_LENGTH,
          where
              + ": keepMask has "
              + report.getKeepMask().size()
              + " entries, an entry-mask report has none");
    }
    if (masks.size() != widths.length) {
      throw new RejectedRecord(
          DeadLetterReason.WRONG_LENGTH,
          where
              + ": entryMasks has "
              + masks.size()
              + " matrices, the experiment has "
              + widths.length);
    }
    boolean[] keep = new boolean[n];
    int at = 0;
    for (int k = 0; k < widths.length; k++) {
      AdaptedMatrix m = spec.getMatrices().get(k);
      boolean[] bits;
      try {
        bits = PackedBits.unpack(masks.get(k), widths[k]);
      } catch (IllegalArgumentException e) {
        throw new RejectedRecord(
            DeadLetterReason.WRONG_LENGTH,
            where
                + ": entryMasks["
                + k
                + "] '"
                + m.getName()
                + "' (rank "
                + m.getInitialRank()
                + " x dIn "
                + m.getDIn()
                + " = "
                + widths[k]
                + " entries): "
                + e.getMessage());
      }
      System.arraycopy(bits, 0, keep, at, bits.length);
      at += bits.length;
    }
    return keep;
  }

  /** "singular value i" or "entry (row, col) of matrix k's A". */
  private static String unitName(boolean entries, int[] widths, int i) {
    if (!entries) {
      return "singular value " + i;
    }
    int k = 0;
    while (i >= widths[k]) {
      i -= widths[k++];
    }
    return "entry " + i + " of matrix " + k + "'s A";
  }

  /** The newest kept pattern decided before {@code windowEnd}. */
  private RankPattern patternBefore(String key, long windowEnd, String where) {
    RankPattern base = null;
    for (KeyValue<String, byte[]> kv : historyOf(key)) {
      RankPattern p = RankPattern.decode(kv.value);
      if (p.decidedAtStep() < windowEnd) {
        base = p;
      }
    }
    if (base == null) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE,
          where
              + ": a resumed run re-decides it, but the oldest"
              + " of the "
              + config.patternHistory()
              + " rank patterns kept is from a later window end");
    }
    return base;
  }

  private void dropHistoryFrom(String key, long windowEnd) {
    for (KeyValue<String, byte[]> kv : historyOf(key)) {
      if (RankPattern.decode(kv.value).decidedAtStep() >= windowEnd) {
        history.delete(kv.key);
      }
    }
  }

  /**
   * Adds a pattern to the experiment's history, dropping the oldest beyond {@code patternHistory}.
   */
  private void remember(String key, long decidedAt, byte[] encoded) {
    history.put(historyKey(key, decidedAt), encoded);
    List<KeyValue<String, byte[]>> kept = historyOf(key);
    for (int i = 0; i < kept.size() - config.patternHistory(); i++) {
      history.delete(kept.get(i).key);
    }
  }

  private List<KeyValue<String, byte[]>> historyOf(String key) {
    List<KeyValue<String, byte[]>> out = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it =
        history.prefixScan(key + '\u0000', new StringSerializer())) {
      it.forEachRemaining(out::add);
    }
    return out;
  }

  /** A finished (tombstoned) or long-silent experiment: nothing of it stays. */
  @Override
  protected void forgetExperiment(String key) {
    specs.delete(key);
    forgetPatterns(key);
  }

  private void forgetPatterns(String key) {
    patterns.delete(key);
    historyOf(key).forEach(kv -> history.delete(kv.key));
  }

  /**
   * {@code id␀<decidedAt + 1, 19 digits>}: sorts by decision step (the initial pattern, decided at
   * -1, first).
   */
  static String historyKey(String id, long decidedAt) {
    return id + '\u0000' + String.format("%019d", decidedAt + 1);
  }

  private RankPruneCommand command(
      ExperimentSpec spec,
      RankPolicy policy,
      SalienceReport r,
      RankPattern p,
      long windowClosedAtMs) {
    List<MatrixMask> masks = new ArrayList<>(spec.getMatrices().size());
    int[] widths = policy.maskWidths();
    boolean entries = policy.maskKind() == RankPolicy.MaskKind.ENTRY;
    int i = 0;
    for (int k = 0; k < widths.length; k++) {
      AdaptedMatrix m = spec.getMatrices().get(k);
      if (entries) {
        masks.add(
            new MatrixMask(
                m.getName(),
                m.getLayer(),
                List.of(),
                PackedBits.pack(Arrays.copyOfRange(p.keep(), i, i + widths[k]))));
        i += widths[k];
        continue;
      }
      List<Boolean> bits = new ArrayList<>(widths[k]);
      for (int j = 0; j < widths[k]; j++, i++) {
        bits.add(p.keep()[i]);
      }
      masks.add(new MatrixMask(m.getName(), m.getLayer(), bits, null));
    }
    return RankPruneCommand.newBuilder()
        .setCommandId(spec.getExperimentId() + "/" + p.epoch() + "/" + p.sequence())
        .setSequence(p.sequence())
        .setExperimentId(spec.getExperimentId())
        .setTargetRunId(p.runId())
        .setTargetEpoch(p.epoch())
        .setApplyAtStep(p.applyAtStep())
        .setPersistent(r.getPersistent())
        .setDecidedAtStep(p.decidedAtStep())
        .setMasks(masks)
        .setTotalRank(p.totalRank())
        .setProvenance(
            new Provenance(
                r.getPolicy(),
                PolicySpecs.params(spec),
                r.getWindowStartStep(),
                r.getWindowEndStep(),
                r.getThreshold(),
                config.codeVersion()))
        .setCreatedAtMs(Instant.ofEpochMilli(context.currentSystemTimeMs()))
        .setWindowClosedAtMs(Instant.ofEpochMilli(windowClosedAtMs))
        .build();
  }
}
