package io.salientstream.pruner;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.schemas.PackedBits;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.stack.junit.InMemoryRegistry;
import io.salientstream.streams.EventSerdes;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The pruner topology on the test driver with real Avro through a real registry server. */
class PrunerTopologyTest {

  @TempDir Path stateDir;

  @RegisterExtension static final InMemoryRegistry REGISTRY = new InMemoryRegistry();

  PrunerMetrics metrics;
  TopologyTestDriver driver;
  TestInputTopic<String, byte[]> experiments;
  TestInputTopic<String, byte[]> reports;
  TestOutputTopic<String, RankPruneCommand> commands;
  TestOutputTopic<String, DeadLetter> deadLetters;
  Serializer<Object> avro;

  @BeforeEach
  void startDriver() {
    startDriver(PrunerTopology.Config.MIN_PATTERN_HISTORY);
  }

  void startDriver(int patternHistory) {
    PrunerTopology.Topics topics = new PrunerTopology.Topics("exp", "reports", "commands", "dlq");
    PrunerTopology.Config config =
        new PrunerTopology.Config(
                "pruner-test",
                "test-version",
                topics,
                () -> EventSerdes.of(ExperimentSpec.class, REGISTRY.serdeConfig()).deserializer(),
                () -> EventSerdes.of(SalienceReport.class, REGISTRY.serdeConfig()).deserializer(),
                EventSerdes.of(RankPruneCommand.class, REGISTRY.serdeConfig()).serializer(),
                EventSerdes.of(DeadLetter.class, REGISTRY.serdeConfig()).serializer())
            .withPatternHistory(patternHistory);
    metrics = new PrunerMetrics();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "pruner-test");
    // a folder of its own: several checkouts may run this test at once on one machine
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    driver = new TopologyTestDriver(PrunerTopology.build(config, metrics), props);
    experiments = driver.createInputTopic("exp", new StringSerializer(), new ByteArraySerializer());
    reports = driver.createInputTopic("reports", new StringSerializer(), new ByteArraySerializer());
    commands =
        driver.createOutputTopic(
            "commands",
            new StringDeserializer(),
            EventSerdes.of(RankPruneCommand.class, REGISTRY.serdeConfig()).deserializer());
    deadLetters =
        driver.createOutputTopic(
            "dlq",
            new StringDeserializer(),
            EventSerdes.of(DeadLetter.class, REGISTRY.serdeConfig()).deserializer());
    avro = EventSerdes.anyValue(REGISTRY.serdeConfig());
  }

  @AfterEach
  void stopDriver() {
    driver.close();
  }

  static ExperimentSpec spec(String id) {
    List<AdaptedMatrix> ms =
        List.of(new AdaptedMatrix("q", 0, 8, 8, 3), new AdaptedMatrix("v", 0, 8, 8, 3));
    return ExperimentSpec.newBuilder()
        .setExperimentId(id)
        .setCreatedAtMs(Instant.ofEpochMilli(1))
        .setModel("synthetic")
        .setMatrices(ms)
        .setPolicy("lora")
        .setSchedule(new BudgetSchedule(100L, 10L, 10L, 6, 6))
        .build();
  }

  static SalienceReport report(String id, int epoch, long end, Boolean... keep) {
    List<Boolean> k = List.of(keep);
    int kept = (int) k.stream().filter(b -> b).count();
    return SalienceReport.newBuilder()
        .setExperimentId(id)
        .setRunId("run-" + epoch)
        .setEpoch(epoch)
        .setPolicy("lora")
        .setWindowIndex(0)
        .setWindowStartStep(end - 9)
        .setWindowEndStep(end)
        .setWindowLength(10)
        .setEffectiveFromStep(end + 1)
        .setBudget(kept)
        .setThreshold(0.5)
        .setSalience(new ArrayList<>(Collections.nCopies(k.size(), 1.0)))
        .setKeepMask(k)
        .setComputeMillis(1.0)
        .build();
  }

  private void send(SalienceReport r) {
    reports.pipeInput(r.getExperimentId(), avro.serialize("reports", r));
  }

  @Test
  void theTopologyHasExactlyTheStoresTheProcessorLists() {
    // the leave-no-entry checks (this test's, the soak's) read PrunerProcessor.STORES
    assertThat(driver.getAllStateStores().keySet())
        .containsExactlyInAnyOrderElementsOf(PrunerProcessor.STORES);
  }

  @Test
  void aRegistrationWhoseKeyIsNotItsExperimentIdIsRefused() {
    experiments.pipeInput("victim", avro.serialize("exp", spec("someone-else")));
    List<DeadLetter> dls = deadLetters.readValuesToList();
    assertThat(dls).hasSize(1);
    assertThat(dls.get(0).getReason()).isEqualTo(DeadLetterReason.INVALID_VALUE);
    assertThat(dls.get(0).getErrorMessage())
        .contains("under key 'victim' names experimentId 'someone-else'");
    // nothing was registered under the key: a report for it waits for a registration
    send(report("victim", 1, 20, true, true, false, true, true, true));
    assertThat(commands.readValuesToList()).isEmpty();
  }

  @Test
  void lengthBombsOnEveryInputAreDeadLetteredWithoutAllocatingForThem() {
    experiments.pipeInput("e1", avro.serialize("exp", spec("e1")));
    byte[] goodReport =
        avro.serialize("reports", report("e1", 1, 20, true, true, false, true, true, true));
    reports.pipeInput("e1", new byte[] {7}); // warm: the dead-letter path registered and cached
    deadLetters.readValuesToList();
    for (TestInputTopic<String, byte[]> topic : List.of(experiments, reports)) {
      byte[] bomb = lengthBomb(topic == reports ? goodReport : avro.serialize("exp", spec("e1")));
      long before = allocatedBytes();
      topic.pipeInput("e1", bomb);
      assertThat(allocatedBytes() - before).isLessThan(BOMB_ALLOCATION_BOUND);
      List<DeadLetter> dls = deadLetters.readValuesToList();
      assertThat(dls).hasSize(1);
      assertThat(dls.get(0).getReason()).isEqualTo(DeadLetterReason.DESERIALIZATION);
      assertThat(dls.get(0).getErrorMessage())
          .contains("TRUNCATED")
          .contains("experimentId announces 2000000000 bytes");
    }
    reports.pipeInput("e1", goodReport);
    assertThat(commands.readValuesToList()).as("the good report after the bombs").hasSize(1);
  }

  /** Bytes allocated by this thread so far (HotSpot's per-thread counter). */
  static long allocatedBytes() {
    return ((ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  /**
   * A length bomb (issue 15): {@code good}'s wire-format header (magic byte, schema id), then a
   * first string field announcing 2,000,000,000 bytes — 10 bytes in all.
   */
  static byte[] lengthBomb(byte[] good) {
    byte[] b = Arrays.copyOf(good, 10);
    long zigzag = 2 * 2_000_000_000L;
    for (int i = 5; i < 10; i++) {
      b[i] = (byte) ((zigzag & 0x7f) | (i < 9 ? 0x80 : 0));
      zigzag >>>= 7;
    }
    return b;
  }

  /**
   * Heap a length bomb may cost the app, dead letter included: {@value} bytes (the bomb itself
   * announces 2 GB).
   */
  static final long BOMB_ALLOCATION_BOUND = 4L << 20;

  @Test
  void reportsBecomeSequencedCommandsWithPerMatrixMasksAndProvenance() {
    experiments.pipeInput("e1", avro.serialize("exp", spec("e1")));
    send(report("e1", 3, 20, true, true, false, true, true, true));
    send(report("e1", 3, 30, true, false, false, true, true, true));

    List<RankPruneCommand> out = commands.readValuesToList();
    assertThat(out).hasSize(2);
    RankPruneCommand first = out.get(0);
    assertThat(first.getCommandId()).isEqualTo("e1/3/1");
    assertThat(first.getSequence()).isEqualTo(1);
    assertThat(first.getTargetEpoch()).isEqualTo(3);
    assertThat(first.getTargetRunId()).isEqualTo("run-3");
    assertThat(first.getApplyAtStep()).isEqualTo(21);
    assertThat(first.getDecidedAtStep()).isEqualTo(20);
    assertThat(first.getMasks()).hasSize(2);
    assertThat(first.getMasks().get(0).getName()).isEqualTo("q");
    assertThat(first.getMasks().get(0).getKeep()).containsExactly(true, true, false);
    assertThat(first.getTotalRank()).isEqualTo(5);
    assertThat(first.getProvenance().getCodeVersion()).isEqualTo("test-version");
    assertThat(first.getProvenance().getWindowEndStep()).isEqualTo(20);
    assertThat(out.get(1).getSequence()).isEqualTo(2);
    assertThat(out.get(1).getTotalRank()).isEqualTo(4);

    KeyValueStore<String, byte[]> store = driver.getKeyValueStore(PrunerProcessor.PATTERNS);
    RankPattern p = RankPattern.decode(store.get("e1"));
    assertThat(p.sequence()).isEqualTo(2);
    assertThat(p.totalRank()).isEqualTo(4);
  }

  /**
   * Issue 15: a running experiment's id is owned by its definition: another registration under it
   * is a dead letter naming the experiment and the rank pattern goes on; the same definition again
   * (a resume) is accepted; after the tombstone the id is free.
   */
  @Test
  void aRunningExperimentIdCannotBeTakenOverByAnotherDefinition() {
    experiments.pipeInput("owned", avro.serialize("exp", spec("owned")));
    send(report("owned", 3, 20, true, true, false, true, true, true));
    ExperimentSpec other =
        ExperimentSpec.newBuilder(spec("owned"))
            .setMatrices(List.of(new AdaptedMatrix("q", 0, 8, 8, 3)))
            .setSchedule(new BudgetSchedule(100L, 10L, 10L, 3, 3))
            .build();
    experiments.pipeInput("owned", avro.serialize("exp", other));
    List<DeadLetter> dls = deadLetters.readValuesToList();
    assertThat(dls).hasSize(1);
    assertThat(dls.get(0).getReason()).isEqualTo(DeadLetterReason.INVALID_VALUE);
    assertThat(dls.get(0).getErrorMessage())
        .contains("experiment 'owned' is running with a different definition")
        .contains("1 matrices instead of 2");
    experiments.pipeInput("owned", avro.serialize("exp", spec("owned"))); // a resume
    send(report("owned", 3, 30, true, false, false, true, true, true));
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(commands.readValuesToList())
        .extracting(RankPruneCommand::getSequence)
        .containsExactly(1L, 2L);

    experiments.pipeInput("owned", (byte[]) null); // finished
    experiments.pipeInput("owned", avro.serialize("exp", other));
    assertThat(deadLetters.isEmpty()).as("a finished experiment's id is free").isTrue();
  }

  /** Issue 15: a report of a window ending beyond the registration's steps is a dead letter. */
  @Test
  void aReportBeyondTheRegisteredStepsIsDeadLettered() {
    experiments.pipeInput("e1", avro.serialize("exp", spec("e1")));
    send(report("e1", 3, 100, true, true, false, true, true, true));
    List<DeadLetter> dls = deadLetters.readValuesToList();
    assertThat(dls).hasSize(1);
    assertThat(dls.get(0).getErrorMessage())
        .contains("experiment 'e1' window ending at step 100")
        .contains("registers 100 steps");
    assertThat(commands.isEmpty()).isTrue();
  }

  @Test
  void aReportThatOvertakesTheRegistrationWaitsForIt() {
    send(report("e1", 3, 20, true, true, false, true, true, true));
    assertThat(commands.isEmpty()).isTrue();
    experiments.pipeInput("e1", avro.serialize("exp", spec("e1")));
    assertThat(commands.readValuesToList())
        .singleElement()
        .satisfies(c -> assertThat(c.getSequence()).isEqualTo(1));
    driver.advanceWallClockTime(Duration.ofSeconds(31));
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void duplicatesAreSkippedAndStaleEpochsRejected() {
    experiments.pipeInput("e1", avro.serialize("exp", spec("e1")));
    send(report("e1", 3, 20, true, true, true, true, true, false));
    send(report("e1", 3, 20, true, true, true, true, true, false));
    send(report("e1", 2, 30, true, true, true, true, true, false));
    assertThat(commands.readValuesToList()).hasSize(1);
    assertThat(metrics.duplicates.sum()).isEqualTo(1);
    List<DeadLetter> dls = deadLetters.readValuesToList();
    assertThat(dls)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.getReason()).isEqualTo(DeadLetterReason.STALE_EPOCH);
              assertThat(d.getSourceTopic()).isEqualTo("reports");
            });
  }

  @Test
  void badReportsLandInDeadLettersAndProcessingGoesOn() {
    experiments.pipeInput("e1", avro.serialize("exp", spec("e1")));
    send(report("ghost", 1, 20, true, true, true, true, true, true)); // unknown experiment
    send(report("e1", 1, 20, true, true, true)); // wrong length
    SalienceReport lying = report("e1", 1, 20, true, true, true, true, true, false);
    lying.setBudget(6);
    send(lying); // budget does not match the mask
    reports.pipeInput("e1", new byte[] {1, 2, 3}); // not our wire format
    send(report("e1", 1, 20, true, true, true, true, true, false)); // good
    driver.advanceWallClockTime(Duration.ofSeconds(31)); // the ghost's grace period ends

    List<DeadLetter> dls = deadLetters.readValuesToList();
    assertThat(dls)
        .extracting(DeadLetter::getReason)
        .containsExactly(
            DeadLetterReason.WRONG_LENGTH,
            DeadLetterReason.INVALID_VALUE,
            DeadLetterReason.DESERIALIZATION,
            DeadLetterReason.UNKNOWN_EXPERIMENT);
    assertThat(dls.get(0).getErrorMessage())
        .contains("keepMask has 3 entries, the experiment has 6");
    assertThat(dls.get(1).getErrorMessage()).contains("keeps 5 but budget is 6");
    assertThat(dls.get(3).getErrorMessage()).contains("ghost");
    assertThat(commands.readValuesToList()).hasSize(1);
  }

  /**
   * A resumed SalientLoRA run re-decides window ends that were already commanded (the analyzer
   * rewound to its checkpoint): its report is checked against the pattern before that window end —
   * so it may keep values pruned later by the crashed run — gets the next sequence, and the run
   * goes on from there. Beyond the patterns kept, a re-decision is dead-lettered.
   */
  @Test
  void aResumedRunReDecidesWindowEndsAgainstThePatternBeforeThem() {
    ExperimentSpec spec = salientSpec();
    var schedule = PolicySpecs.create(spec);
    assertThat(schedule.budgetAt(30))
        .as("the budget shrinks between window ends 30 and 40")
        .isGreaterThan(schedule.budgetAt(40));
    experiments.pipeInput("s1", avro.serialize("exp", spec));
    for (long end = 20; end <= 40; end += 10) {
      send(salient(1, end, schedule.budgetAt(end)));
    }
    // epoch 2 resumes before window end 30: its mask there keeps values the crashed run pruned at
    // 40
    send(salient(2, 30, schedule.budgetAt(30)));
    send(salient(2, 40, schedule.budgetAt(40)));
    send(salient(2, 50, schedule.budgetAt(50)));
    send(salient(2, 60, schedule.budgetAt(60)));
    // history now holds the patterns of 30, 40, 50 and 60: re-deciding 30 needs the one of 20,
    // which is gone
    send(salient(3, 30, schedule.budgetAt(30)));

    List<RankPruneCommand> out = commands.readValuesToList();
    assertThat(out)
        .extracting(RankPruneCommand::getSequence)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
    assertThat(out)
        .extracting(RankPruneCommand::getDecidedAtStep)
        .containsExactly(20L, 30L, 40L, 30L, 40L, 50L, 60L);
    assertThat(out)
        .extracting(RankPruneCommand::getTargetEpoch)
        .containsExactly(1, 1, 1, 2, 2, 2, 2);
    assertThat(metrics.rewinds.sum()).isEqualTo(1);
    List<DeadLetter> dead = deadLetters.readValuesToList();
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).getErrorMessage())
        .contains("window ending at step 30")
        .contains("a resumed run re-decides it");
  }

  /**
   * An analyzer keeping 6 policy snapshots accepts a resume five window ends back; a pruner
   * configured from the same setting keeps 6 rank patterns and accepts the re-decision that the
   * default history (4) dead-letters above.
   */
  @Test
  void thePatternHistoryFollowsTheAnalyzersResumeSetting() {
    driver.close();
    startDriver(PrunerTopology.Config.patternHistoryFor(6));
    ExperimentSpec spec = salientSpec();
    var schedule = PolicySpecs.create(spec);
    experiments.pipeInput("s1", avro.serialize("exp", spec));
    for (long end = 20; end <= 40; end += 10) {
      send(salient(1, end, schedule.budgetAt(end)));
    }
    for (long end = 30; end <= 60; end += 10) {
      send(salient(2, end, schedule.budgetAt(end)));
    }
    send(salient(3, 30, schedule.budgetAt(30))); // needs the pattern of 20: still kept
    assertThat(deadLetters.readValuesToList()).isEmpty();
    List<RankPruneCommand> out = commands.readValuesToList();
    assertThat(out)
        .extracting(RankPruneCommand::getDecidedAtStep)
        .containsExactly(20L, 30L, 40L, 30L, 40L, 50L, 60L, 30L);
    assertThat(out.get(out.size() - 1).getTargetEpoch()).isEqualTo(3);
    assertThat(metrics.rewinds.sum()).isEqualTo(2);
  }

  /**
   * PRILoRA without regrowth: entry-mask reports become commands with packed entry masks per
   * matrix; a report without entry masks, with a mask of the wrong size, one that revives a pruned
   * entry, a non-persistent one, or one above the schedule is dead-lettered naming why, and the
   * good report after them is commanded.
   */
  @Test
  void entryMaskReportsAreValidatedAndBecomeEntryMaskCommands() {
    List<AdaptedMatrix> ms =
        List.of(new AdaptedMatrix("q", 0, 8, 8, 1), new AdaptedMatrix("v", 1, 8, 8, 2));
    ExperimentSpec spec =
        ExperimentSpec.newBuilder()
            .setExperimentId("p1")
            .setCreatedAtMs(Instant.ofEpochMilli(1))
            .setModel("synthetic")
            .setMatrices(ms)
            .setPolicy("prilora")
            .setPolicyParams(
                Map.of(
                    "rLow",
                    "1",
                    "rHigh",
                    "2",
                    "pruneInterval",
                    "5",
                    "pruneRatio",
                    "0.25",
                    "regrowth",
                    "false"))
            .setSchedule(new BudgetSchedule(100L, 0L, 0L, 3, 3))
            .build();
    experiments.pipeInput("p1", avro.serialize("exp", spec));
    // rows of 8 entries, two pruned per row: 3 rows keep 18 of 24
    boolean[] first = new boolean[24];
    Arrays.fill(first, true);
    for (int row = 0; row < 3; row++) {
      first[row * 8] = false;
      first[row * 8 + 1] = false;
    }
    send(entries("p1", 0, true, first));

    SalienceReport none = entries("p1", 5, true, first);
    none.setEntryMasks(null);
    send(none);
    SalienceReport shortMask = entries("p1", 5, true, first);
    List<ByteBuffer> masks = new ArrayList<>(shortMask.getEntryMasks());
    masks.set(1, ByteBuffer.wrap(new byte[1]));
    shortMask.setEntryMasks(masks);
    send(shortMask);
    boolean[] revived = first.clone();
    revived[8] = true; // pruned at step 0
    revived[10] = false;
    send(entries("p1", 5, true, revived));
    send(entries("p1", 5, false, first));
    boolean[] all = new boolean[24];
    Arrays.fill(all, true);
    send(entries("p1", 5, true, all));
    send(entries("p1", 5, true, first)); // good

    List<DeadLetter> dls = deadLetters.readValuesToList();
    assertThat(dls)
        .extracting(DeadLetter::getReason)
        .containsExactly(
            DeadLetterReason.WRONG_LENGTH,
            DeadLetterReason.WRONG_LENGTH,
            DeadLetterReason.INVALID_VALUE,
            DeadLetterReason.INVALID_VALUE,
            DeadLetterReason.INVALID_VALUE);
    assertThat(dls.get(0).getErrorMessage())
        .contains("no entryMasks, but policy prilora masks entries of A");
    assertThat(dls.get(1).getErrorMessage())
        .contains("entryMasks[1] 'v' (rank 2 x dIn 8 = 16 entries): 1 bytes for 16 bits");
    assertThat(dls.get(2).getErrorMessage())
        .contains("entry 0 of matrix 1's A was pruned before")
        .contains("policy prilora never revives");
    assertThat(dls.get(3).getErrorMessage()).contains("mask is not persistent");
    assertThat(dls.get(4).getErrorMessage())
        .contains("keeps 24 A entries, above the schedule's budget 18");

    List<RankPruneCommand> out = commands.readValuesToList();
    assertThat(out).extracting(RankPruneCommand::getDecidedAtStep).containsExactly(0L, 5L);
    RankPruneCommand c = out.get(0);
    assertThat(c.getTotalRank()).isEqualTo(18);
    assertThat(c.getApplyAtStep()).isEqualTo(0);
    assertThat(c.getMasks()).extracting(m -> m.getKeep().size()).containsExactly(0, 0);
    assertThat(PackedBits.unpack(c.getMasks().get(0).getEntries(), 8))
        .containsExactly(Arrays.copyOfRange(first, 0, 8));
    assertThat(PackedBits.unpack(c.getMasks().get(1).getEntries(), 16))
        .containsExactly(Arrays.copyOfRange(first, 8, 24));
  }

  /** A PRILoRA report deciding {@code keep} (8 entries of q, then 16 of v) at step {@code step}. */
  private static SalienceReport entries(String id, long step, boolean persistent, boolean[] keep) {
    int kept = 0;
    for (boolean b : keep) {
      kept += b ? 1 : 0;
    }
    return SalienceReport.newBuilder()
        .setExperimentId(id)
        .setRunId("run-1")
        .setEpoch(1)
        .setPolicy("prilora")
        .setWindowIndex(0)
        .setWindowStartStep(step)
        .setWindowEndStep(step)
        .setWindowLength(1)
        .setEffectiveFromStep(step)
        .setPersistent(persistent)
        .setBudget(kept)
        .setThreshold(0)
        .setSalience(List.of())
        .setKeepMask(List.of())
        .setComputeMillis(1.0)
        .setEntryMasks(
            List.of(
                PackedBits.pack(Arrays.copyOfRange(keep, 0, 8)),
                PackedBits.pack(Arrays.copyOfRange(keep, 8, 24))))
        .build();
  }

  /** Experiment s1: SalientLoRA on two matrices of rank 6, budget 12 → 4 over 100 steps. */
  private static ExperimentSpec salientSpec() {
    List<AdaptedMatrix> ms =
        List.of(new AdaptedMatrix("q", 0, 8, 8, 6), new AdaptedMatrix("v", 0, 8, 8, 6));
    return ExperimentSpec.newBuilder()
        .setExperimentId("s1")
        .setCreatedAtMs(Instant.ofEpochMilli(1))
        .setModel("synthetic")
        .setMatrices(ms)
        .setPolicy("salientlora")
        .setSchedule(new BudgetSchedule(100L, 10L, 10L, 12, 4))
        .build();
  }

  /**
   * A SalientLoRA report keeping the last {@code budget} of 12 singular values (nested as the
   * budget shrinks).
   */
  private static SalienceReport salient(int epoch, long end, int budget) {
    List<Boolean> keep = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      keep.add(i >= 12 - budget);
    }
    return SalienceReport.newBuilder()
        .setExperimentId("s1")
        .setRunId("run-" + epoch)
        .setEpoch(epoch)
        .setPolicy("salientlora")
        .setWindowIndex(0)
        .setWindowStartStep(end - 9)
        .setWindowEndStep(end)
        .setWindowLength(10)
        .setEffectiveFromStep(end + 1)
        .setBudget(budget)
        .setThreshold(0.5)
        .setSalience(new ArrayList<>(Collections.nCopies(12, 1.0)))
        .setKeepMask(keep)
        .setComputeMillis(1.0)
        .build();
  }
}
