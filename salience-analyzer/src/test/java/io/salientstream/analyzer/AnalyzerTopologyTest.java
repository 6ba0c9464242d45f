package io.salientstream.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.DeadLetterReason;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.schemas.PackedBits;
import io.salientstream.stack.junit.InMemoryRegistry;
import io.salientstream.streams.EventSerdes;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analyzer topology on Kafka Streams' test driver, with real Avro through a real (in-memory
 * backed) registry server: every kind of bad input lands in the dead-letter topic with its reason
 * and original bytes, and good records keep flowing.
 */
class AnalyzerTopologyTest {

  @TempDir Path stateDir;

  @RegisterExtension static final InMemoryRegistry REGISTRY = new InMemoryRegistry();

  AnalyzerMetrics metrics;
  TopologyTestDriver driver;
  TestInputTopic<String, byte[]> experiments;
  TestInputTopic<String, byte[]> steps;
  TestOutputTopic<String, SalienceReport> reports;
  TestOutputTopic<String, DeadLetter> deadLetters;
  Serializer<Object> avro;

  @BeforeEach
  void startDriver() {
    AnalyzerTopology.Topics topics = new AnalyzerTopology.Topics("exp", "sv", "reports", "dlq");
    AnalyzerTopology.Config config =
        new AnalyzerTopology.Config(
            "salience-analyzer-test",
            topics,
            () -> EventSerdes.of(ExperimentSpec.class, REGISTRY.serdeConfig()).deserializer(),
            () -> SingularValueStepView.deserializer(REGISTRY.serdeConfig()),
            EventSerdes.of(SalienceReport.class, REGISTRY.serdeConfig()).serializer(),
            EventSerdes.of(DeadLetter.class, REGISTRY.serdeConfig()).serializer());
    metrics = new AnalyzerMetrics();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "analyzer-test");
    // a folder of its own: several checkouts may run this test at once on one machine
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    driver = new TopologyTestDriver(AnalyzerTopology.build(config, metrics), props);
    experiments = driver.createInputTopic("exp", new StringSerializer(), new ByteArraySerializer());
    steps = driver.createInputTopic("sv", new StringSerializer(), new ByteArraySerializer());
    reports =
        driver.createOutputTopic(
            "reports",
            new StringDeserializer(),
            EventSerdes.of(SalienceReport.class, REGISTRY.serdeConfig()).deserializer());
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

  private ExperimentSpec register(String id) {
    ExperimentSpec spec = Fixtures.spec(id, "lora", 4, 3, 100, 5, 10, 6, Map.of());
    experiments.pipeInput(id, avro.serialize("exp", spec));
    return spec;
  }

  private void send(SingularValueStep e) {
    steps.pipeInput(e.getExperimentId(), avro.serialize("sv", e));
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

  private DeadLetter onlyDeadLetter() {
    List<DeadLetter> all = deadLetters.readValuesToList();
    assertThat(all).hasSize(1);
    return all.get(0);
  }

  @Test
  void theTopologyHasExactlyTheStoresTheProcessorLists() {
    // the leave-no-entry checks (this test's, the soak's) read AnalyzerProcessor.STORES
    assertThat(driver.getAllStateStores().keySet())
        .containsExactlyInAnyOrderElementsOf(AnalyzerProcessor.STORES);
  }

  @Test
  void randomBytesLandInDeadLettersWithTheirOriginalBytesAndPosition() {
    ExperimentSpec spec = register("e1");
    byte[] junk = new byte[64];
    new Random(7).nextBytes(junk);
    junk[0] = 0; // passes the magic-byte check, fails later
    send(Fixtures.step(spec, "r", 1, 0, 1));
    steps.pipeInput("e1", junk);
    send(Fixtures.step(spec, "r", 1, 1, 1));

    DeadLetter dl = onlyDeadLetter();
    assertThat(dl.getReason())
        .isIn(DeadLetterReason.DESERIALIZATION, DeadLetterReason.UNKNOWN_SCHEMA);
    assertThat(dl.getSourceTopic()).isEqualTo("sv");
    assertThat(dl.getSourceOffset()).isEqualTo(1);
    assertThat(dl.getErrorMessage()).contains("topic sv").contains("offset 1");
    assertThat(toBytes(dl.getOriginalValue())).isEqualTo(junk);
    assertThat(metrics.steps.sum()).as("good records before and after are processed").isEqualTo(2);
  }

  @Test
  void lengthBombsOnEveryInputAreDeadLetteredWithoutAllocatingForThem() {
    ExperimentSpec spec = register("e1");
    byte[] goodStep = avro.serialize("sv", Fixtures.step(spec, "r", 1, 0, 1));
    steps.pipeInput("e1", new byte[] {7}); // warm: the dead-letter path registered and cached
    deadLetters.readValuesToList();
    for (TestInputTopic<String, byte[]> topic : List.of(experiments, steps)) {
      byte[] bomb = lengthBomb(topic == steps ? goodStep : avro.serialize("exp", spec));
      long before = allocatedBytes();
      topic.pipeInput("e1", bomb);
      assertThat(allocatedBytes() - before).isLessThan(BOMB_ALLOCATION_BOUND);
      DeadLetter dl = onlyDeadLetter();
      assertThat(dl.getReason()).isEqualTo(DeadLetterReason.DESERIALIZATION);
      assertThat(dl.getErrorMessage())
          .contains("TRUNCATED")
          .contains("experimentId announces 2000000000 bytes");
      assertThat(toBytes(dl.getOriginalValue())).isEqualTo(bomb);
    }
    steps.pipeInput("e1", goodStep);
    assertThat(metrics.steps.sum()).as("the good record after the bombs").isEqualTo(1);
  }

  @Test
  void wrongMagicByteAndUnknownSchemaIdAreNamed() {
    register("e1");
    steps.pipeInput("e1", new byte[] {7, 0, 0, 0, 1, 2, 3});
    steps.pipeInput("e1", new byte[] {0, 0, 0, 0x27, 0x0f, 2, 4, 6});
    List<DeadLetter> dls = deadLetters.readValuesToList();
    assertThat(dls).hasSize(2);
    assertThat(dls.get(0).getReason()).isEqualTo(DeadLetterReason.DESERIALIZATION);
    assertThat(dls.get(0).getErrorMessage()).containsIgnoringCase("magic");
    assertThat(dls.get(1).getReason()).isEqualTo(DeadLetterReason.UNKNOWN_SCHEMA);
    assertThat(dls.get(1).getErrorMessage()).contains("9999");
  }

  @Test
  void nanAndInfiniteValuesAreRejected() {
    ExperimentSpec spec = register("e1");
    SingularValueStep bad = Fixtures.step(spec, "r", 1, 0, 1);
    MatrixSingularValues m = bad.getMatrices().get(1);
    List<Float> v = new ArrayList<>(m.getSingularValues());
    v.set(2, Float.NaN);
    m.setSingularValues(v);
    send(bad);
    DeadLetter dl = onlyDeadLetter();
    assertThat(dl.getReason()).isEqualTo(DeadLetterReason.INVALID_VALUE);
    assertThat(dl.getErrorMessage())
        .contains("experiment 'e1' step 0 matrix 1")
        .contains("singularValues[2] is NaN");

    SingularValueStep inf = Fixtures.step(spec, "r", 1, 0, 1);
    inf.setOrthRegLoss(Double.POSITIVE_INFINITY);
    ExperimentSpec salient = Fixtures.spec("e2", "salientlora", 4, 3, 100, 5, 10, 6, Map.of());
    experiments.pipeInput("e2", avro.serialize("exp", salient));
    SingularValueStep infR = Fixtures.step(salient, "r", 1, 0, 1);
    infR.setOrthRegLoss(Double.POSITIVE_INFINITY);
    send(infR);
    assertThat(onlyDeadLetter().getErrorMessage()).contains("orthRegLoss is Infinity");
  }

  @Test
  void wrongVectorLengthIsRejected() {
    ExperimentSpec spec = register("e1");
    SingularValueStep bad = Fixtures.step(spec, "r", 1, 0, 1);
    MatrixSingularValues m = bad.getMatrices().get(3);
    m.setSingularValues(m.getSingularValues().subList(0, 2));
    send(bad);
    DeadLetter dl = onlyDeadLetter();
    assertThat(dl.getReason()).isEqualTo(DeadLetterReason.WRONG_LENGTH);
    assertThat(dl.getErrorMessage())
        .contains("singularValues has 2 entries, the matrix has rank 3");
  }

  @Test
  void unknownExperimentIsRejectedAfterTheGracePeriod() {
    ExperimentSpec spec = Fixtures.spec("ghost", "lora", 4, 3, 100, 5, 10, 6, Map.of());
    send(Fixtures.step(spec, "r", 1, 0, 1));
    assertThat(deadLetters.isEmpty())
        .as("parked while the registration may be on its way")
        .isTrue();
    driver.advanceWallClockTime(Duration.ofSeconds(31));
    DeadLetter dl = onlyDeadLetter();
    assertThat(dl.getReason()).isEqualTo(DeadLetterReason.UNKNOWN_EXPERIMENT);
    assertThat(dl.getErrorMessage()).contains("ghost").contains("offset 0");
    assertThat(dl.getSourceTopic()).isEqualTo("sv");
    assertThat(metrics.steps.sum()).isZero();
  }

  /** Entries of experiment {@code id} (its key or {@code id␀...}) across the analyzer's stores. */
  private long keysOf(String id) {
    long n = 0;
    for (String store : AnalyzerProcessor.STORES) {
      try (var it = driver.<String, byte[]>getKeyValueStore(store).all()) {
        while (it.hasNext()) {
          String k = it.next().key;
          n += k.equals(id) || k.startsWith(id + '\u0000') ? 1 : 0;
        }
      }
    }
    return n;
  }

  @Test
  void aTombstonedExperimentLeavesEveryStoreAfterTheGraceAndLateEventsAreDeadLettered() {
    ExperimentSpec spec = register("done");
    ExperimentSpec other = register("other");
    for (long s = 0; s < 8; s++) {
      send(Fixtures.step(spec, "r", 1, s, 1));
      send(Fixtures.step(other, "r", 1, s, 1));
    }
    assertThat(keysOf("done")).isGreaterThan(1);
    experiments.pipeInput("done", (byte[]) null); // the trainer finished
    send(Fixtures.step(spec, "r", 1, 8, 1)); // a last step that the tombstone overtook
    assertThat(metrics.steps.sum()).as("still processed within the grace period").isEqualTo(17);
    assertThat(keysOf("done")).isGreaterThan(1);
    driver.advanceWallClockTime(Duration.ofSeconds(31));
    assertThat(keysOf("done")).isZero();
    assertThat(keysOf("other")).as("other experiments keep their state").isGreaterThan(1);
    send(Fixtures.step(spec, "r", 1, 9, 1)); // after the grace: an unknown experiment
    driver.advanceWallClockTime(Duration.ofSeconds(31));
    DeadLetter dl = onlyDeadLetter();
    assertThat(dl.getReason()).isEqualTo(DeadLetterReason.UNKNOWN_EXPERIMENT);
    assertThat(keysOf("done")).isZero();
  }

  /**
   * Issue 15: a second trainer registering a running experiment id with another definition must not
   * take it over (the probe's takeover dead-lettered 68 of the victim's steps as WRONG_LENGTH). Its
   * registration is a dead letter naming the experiment, the victim's steps go on, the same
   * definition registered again (a resume) is accepted, and after the victim's tombstone the id is
   * free.
   */
  @Test
  void aRunningExperimentIdCannotBeTakenOverByAnotherDefinition() {
    ExperimentSpec victim = register("owned");
    for (long s = 0; s < 3; s++) {
      send(Fixtures.step(victim, "r", 1, s, 1));
    }
    ExperimentSpec other = Fixtures.spec("owned", "lora", 5, 3, 100, 5, 10, 6, Map.of());
    experiments.pipeInput("owned", avro.serialize("exp", other));
    DeadLetter dl = onlyDeadLetter();
    assertThat(dl.getReason()).isEqualTo(DeadLetterReason.INVALID_VALUE);
    assertThat(dl.getErrorMessage())
        .contains("experiment 'owned' is running with a different definition")
        .contains("5 matrices instead of 4");
    for (long s = 3; s < 6; s++) {
      send(Fixtures.step(victim, "r", 1, s, 1));
    }
    assertThat(deadLetters.isEmpty()).as("the victim's steps are not dead-lettered").isTrue();
    assertThat(metrics.steps.sum()).isEqualTo(6);

    ExperimentSpec otherSchedule = Fixtures.spec("owned", "lora", 4, 3, 101, 5, 10, 6, Map.of());
    experiments.pipeInput("owned", avro.serialize("exp", otherSchedule));
    assertThat(onlyDeadLetter().getErrorMessage()).contains("schedule");

    experiments.pipeInput("owned", avro.serialize("exp", victim)); // a resume: the same definition
    send(Fixtures.step(victim, "r", 1, 6, 1));
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(metrics.steps.sum()).isEqualTo(7);

    experiments.pipeInput("owned", (byte[]) null); // the victim finished
    experiments.pipeInput("owned", avro.serialize("exp", other));
    send(Fixtures.step(other, "r2", 2, 0, 1));
    assertThat(deadLetters.isEmpty()).as("a finished experiment's id is free").isTrue();
    assertThat(metrics.steps.sum()).isEqualTo(8);
  }

  /**
   * Issue 15: a step beyond the registration's total steps (its cap on T) is a dead letter — the
   * rows of a run are bounded by its registration, not by what a producer sends.
   */
  @Test
  void aStepBeyondTheRegisteredTotalStepsIsDeadLettered() {
    ExperimentSpec spec = Fixtures.spec("short", "lora", 4, 3, 4, 1, 1, 6, Map.of());
    experiments.pipeInput("short", avro.serialize("exp", spec));
    for (long s = 0; s < 4; s++) {
      send(Fixtures.step(spec, "r", 1, s, 1));
    }
    send(Fixtures.step(spec, "r", 1, 4, 1));
    DeadLetter dl = onlyDeadLetter();
    assertThat(dl.getReason()).isEqualTo(DeadLetterReason.INVALID_VALUE);
    assertThat(dl.getErrorMessage())
        .contains("experiment 'short'")
        .contains("step 4")
        .contains("registers 4 steps");
    assertThat(metrics.steps.sum()).isEqualTo(4);
  }

  @Test
  void anExperimentSilentForTheIdleRetentionLeavesEveryStore() {
    ExperimentSpec quiet = register("quiet");
    ExperimentSpec busy = register("busy");
    for (long s = 0; s < 5; s++) {
      send(Fixtures.step(quiet, "r", 1, s, 1));
      send(Fixtures.step(busy, "r", 1, s, 1));
    }
    long s = 5;
    // six days pass with steps of "busy" only, then two more: "quiet" passes 7 days of silence
    for (int day = 0; day < 8; day++) {
      driver.advanceWallClockTime(Duration.ofDays(1));
      send(Fixtures.step(busy, "r", 1, s++, 1));
      if (day < 5) {
        assertThat(keysOf("quiet")).as("day %d", day + 1).isGreaterThan(1);
      }
    }
    driver.advanceWallClockTime(Duration.ofMinutes(2));
    assertThat(keysOf("quiet")).isZero();
    assertThat(keysOf("busy")).isGreaterThan(1);
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void eventsThatOvertakeTheirRegistrationAreProcessedInOrderOnceItArrives() {
    ExperimentSpec spec = Fixtures.spec("late", "lora", 4, 3, 100, 5, 10, 6, Map.of());
    for (long s = 0; s < 5; s++) {
      send(Fixtures.step(spec, "r", 1, s, 1));
    }
    assertThat(metrics.steps.sum()).isZero();
    experiments.pipeInput("late", avro.serialize("exp", spec));
    send(Fixtures.step(spec, "r", 1, 5, 1));
    driver.advanceWallClockTime(Duration.ofSeconds(31));
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(metrics.steps.sum()).isEqualTo(6);
    assertThat(metrics.parked.sum()).isEqualTo(5);
  }

  @Test
  void staleEpochIsRejectedAndDuplicatesAreSkipped() {
    ExperimentSpec spec = register("e1");
    send(Fixtures.step(spec, "run-2", 2, 0, 1));
    send(Fixtures.step(spec, "run-2", 2, 1, 1));
    send(Fixtures.step(spec, "run-2", 2, 1, 1)); // duplicate (producer retry)
    send(Fixtures.step(spec, "run-1", 1, 2, 1)); // a zombie of the previous run
    DeadLetter dl = onlyDeadLetter();
    assertThat(dl.getReason()).isEqualTo(DeadLetterReason.STALE_EPOCH);
    assertThat(dl.getErrorMessage()).contains("epoch 1").contains("epoch 2");
    assertThat(metrics.duplicates.sum()).isEqualTo(1);
    assertThat(metrics.steps.sum()).isEqualTo(2);
  }

  @Test
  void aGapIsRejectedNamingTheExpectedStep() {
    ExperimentSpec spec = register("e1");
    send(Fixtures.step(spec, "r", 1, 0, 1));
    send(Fixtures.step(spec, "r", 1, 5, 1));
    assertThat(onlyDeadLetter().getErrorMessage()).contains("step 5 arrived but step 1 is next");
    send(Fixtures.step(spec, "r", 1, 1, 1));
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(metrics.steps.sum()).isEqualTo(2);
  }

  @Test
  void aRegistrationThatCannotRunIsRejected() {
    ExperimentSpec spec = Fixtures.spec("e1", "no-such-policy", 4, 3, 100, 5, 10, 6, Map.of());
    experiments.pipeInput("e1", avro.serialize("exp", spec));
    DeadLetter dl = onlyDeadLetter();
    assertThat(dl.getSourceTopic()).isEqualTo("exp");
    assertThat(dl.getErrorMessage()).contains("no-such-policy");
  }

  /**
   * PRILoRA: inputs only at pruning steps, reports carry entry masks; a pruning step without its
   * inputs, or with |A| of the wrong length, is dead-lettered naming the field, and the corrected
   * event is then decided as usual.
   */
  @Test
  void priLoraStepsAreDecidedFromTheirPruningStepInputsAndBadOnesAreDeadLettered() {
    ExperimentSpec spec =
        Fixtures.priLoraSpec(
            "p1", 4, Map.of("rLow", "1", "rHigh", "2", "pruneInterval", "5", "pruneRatio", "0.25"));
    assertThat(spec.getMatrices().stream().map(m -> m.getInitialRank()).toList())
        .containsExactly(1, 1, 2, 2);
    experiments.pipeInput("p1", avro.serialize("exp", spec));
    send(Fixtures.priLoraStep(spec, "r", 1, 0, 1, true));
    for (long s = 1; s < 5; s++) {
      send(Fixtures.priLoraStep(spec, "r", 1, s, 1, false)); // no inputs between pruning steps
    }
    send(Fixtures.priLoraStep(spec, "r", 1, 5, 1, false)); // a pruning step without them
    DeadLetter missing = onlyDeadLetter();
    assertThat(missing.getReason()).isEqualTo(DeadLetterReason.INVALID_VALUE);
    assertThat(missing.getErrorMessage())
        .contains("experiment 'p1' step 5 matrix 0")
        .contains("priLora")
        .contains("policy prilora reads it at this step");
    SingularValueStep shortA = Fixtures.priLoraStep(spec, "r", 1, 5, 1, true);
    shortA
        .getMatrices()
        .get(2)
        .getPriLora()
        .setAbsA(shortA.getMatrices().get(2).getPriLora().getAbsA().subList(0, 9));
    send(shortA);
    DeadLetter wrong = onlyDeadLetter();
    assertThat(wrong.getReason()).isEqualTo(DeadLetterReason.WRONG_LENGTH);
    assertThat(wrong.getErrorMessage())
        .contains("matrix 2")
        .contains("priLora.absA has 9 entries, the matrix has rank 2 x dIn 8");
    SingularValueStep withValues = Fixtures.priLoraStep(spec, "r", 1, 5, 1, true);
    withValues.getMatrices().get(1).setSingularValues(List.of(1f));
    send(withValues);
    assertThat(onlyDeadLetter().getErrorMessage())
        .contains("singularValues has 1 entries, a plain-LoRA matrix has none");
    send(Fixtures.priLoraStep(spec, "r", 1, 5, 1, true)); // the good event still goes through

    List<SalienceReport> rs = reports.readValuesToList();
    assertThat(rs).extracting(SalienceReport::getWindowEndStep).containsExactly(0L, 5L);
    for (SalienceReport r : rs) {
      assertThat(r.getPolicy()).isEqualTo("prilora");
      assertThat(r.getKeepMask()).isEmpty();
      assertThat(r.getEntryMasks()).hasSize(4);
      int kept = 0;
      for (int k = 0; k < 4; k++) {
        int entries = spec.getMatrices().get(k).getInitialRank() * 8;
        kept += Fixtures.count(PackedBits.unpack(r.getEntryMasks().get(k), entries));
      }
      assertThat(kept)
          .isEqualTo(r.getBudget())
          .isEqualTo(6 * 6); // 6 rows of 8, a quarter of each pruned
      assertThat(r.getPersistent()).as("regrowth: applied once").isFalse();
    }
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(metrics.steps.sum()).isEqualTo(6);
  }

  static byte[] toBytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
