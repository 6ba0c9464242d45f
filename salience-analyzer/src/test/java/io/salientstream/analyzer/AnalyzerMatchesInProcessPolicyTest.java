package io.salientstream.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.stack.junit.InMemoryRegistry;
import io.salientstream.streams.EventSerdes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The analyzer hosts the same policy code as the trainer: fed the same steps, its reports carry
 * exactly the decisions (step, effective step, budget, mask, scores) of the policy run in-process —
 * also when its cached policy is dropped and rebuilt from the stored snapshot and rows at every
 * step.
 */
class AnalyzerMatchesInProcessPolicyTest {

  @RegisterExtension static final InMemoryRegistry REGISTRY = new InMemoryRegistry();

  @ParameterizedTest
  @ValueSource(
      strings = {
        "salientlora:reference",
        "salientlora:clean",
        "adalora",
        "salientlora:clean:rebuild"
      })
  void reportsEqualInProcessDecisions(String which) {
    String[] parts = which.split(":");
    String policy = parts[0];
    boolean rebuildEveryStep = which.endsWith(":rebuild");
    Map<String, String> params =
        policy.equals("salientlora")
            ? Map.of("mode", parts[1], "tFinal", "30")
            : Map.of("deltaT", "4");
    ExperimentSpec spec = Fixtures.spec("e1", policy, 6, 5, 200, 12, 40, 8, params);

    AnalyzerMetrics metrics = new AnalyzerMetrics();
    List<Decision> expected = new ArrayList<>();
    List<SalienceReport> actual;
    // with no live policy kept, every step rebuilds the policy from its stored snapshot and rows
    try (Loop loop =
        Loop.open(
            "match-test",
            metrics,
            AnalyzerTopology.Config.DEFAULT_RESUME_SNAPSHOTS,
            rebuildEveryStep ? 0 : AnalyzerTopology.Config.DEFAULT_LIVE_POLICIES)) {
      loop.register(spec);
      RankPolicy local = PolicySpecs.create(spec);
      for (long s = 0; s < 200; s++) {
        SingularValueStep e = Fixtures.step(spec, "run", 1, s, 5);
        Optional<Decision> d = local.onStep(StepRows.toInput(e));
        d.ifPresent(expected::add);
        loop.send(e);
      }
      assertThat(loop.dlq.readValuesToList()).isEmpty();
      actual = loop.rep.readValuesToList();
    }
    assertSameDecisions(actual, expected);
    if (rebuildEveryStep) {
      assertThat(metrics.rebuilds.sum()).isGreaterThan(100);
    }
  }

  /**
   * A trainer crashed two windows after its last checkpoint and resumes from it under a new epoch,
   * re-sending steps the analyzer has already seen — with different values (resumed training need
   * not repeat itself bit for bit). The analyzer drops the rows and snapshots after the resume
   * point and re-decides those window ends: the reports of the new epoch, with the first run's
   * reports before the checkpoint, are exactly the decisions of the policy fed the first run's
   * steps up to the checkpoint and the new run's after it. A resume before the oldest snapshot kept
   * is refused with the steps it could resume at.
   */
  private static final int RESUME_SNAPSHOTS = 4;

  @ParameterizedTest
  @ValueSource(strings = {"salientlora", "adalora"})
  void aResumedRunRewindsToItsCheckpoint(String policy) {
    Map<String, String> params =
        policy.equals("salientlora")
            ? Map.of("mode", "clean", "tFinal", "30")
            : Map.of("deltaT", "8");
    ExperimentSpec spec = Fixtures.spec("e2", policy, 6, 5, 200, 12, 40, 8, params);
    RankPolicy probe = PolicySpecs.create(spec);
    List<Long> ends = new ArrayList<>();
    for (long s = 0; s < 200; s++) {
      if (probe.decidesAt(s)) {
        ends.add(s);
      }
    }
    assertThat(ends).as("window ends").hasSizeGreaterThan(6);
    for (int i = 1; i < 6; i++) {
      assertThat(ends.get(i) - ends.get(i - 1)).as("steps between window ends").isGreaterThan(3);
    }
    long crashedAfter = ends.get(4) + 1; // the first run sent steps up to here
    long resumeAt =
        ends.get(2)
            + 2; // its checkpoint: steps before this one are kept; ends 3 and 4 are re-decided
    // snapshots kept after window end 4: those of window ends 1..4
    long oldestKept = ends.get(4 - RESUME_SNAPSHOTS + 1);

    AnalyzerMetrics metrics = new AnalyzerMetrics();
    RankPolicy local = PolicySpecs.create(spec);
    List<Decision> expected = new ArrayList<>();
    for (long s = 0; s < 200; s++) {
      SingularValueStep e =
          s < resumeAt
              ? Fixtures.step(spec, "run-1", 1, s, 5)
              : Fixtures.step(spec, "run-2", 2, s, 6);
      local.onStep(StepRows.toInput(e)).ifPresent(expected::add);
    }
    // a checkpoint from before the oldest snapshot kept cannot be resumed: that state is gone
    Outcome out =
        crashAndResume(spec, RESUME_SNAPSHOTS, metrics, crashedAfter, oldestKept, resumeAt);
    List<SalienceReport> actual = out.reports();
    List<DeadLetter> dead = out.dead();
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).getErrorMessage())
        .contains("starts at step " + oldestKept)
        .contains("from " + (oldestKept + 1) + " to " + (crashedAfter + 1))
        .contains("restart at step 0");
    assertThat(metrics.rewinds.sum()).isEqualTo(1);
    List<SalienceReport> superseded =
        actual.stream().filter(r -> r.getEpoch() == 1 && r.getWindowEndStep() >= resumeAt).toList();
    assertThat(superseded)
        .extracting(SalienceReport::getWindowEndStep)
        .containsExactly(ends.get(3), ends.get(4));
    List<SalienceReport> current = actual.stream().filter(r -> !superseded.contains(r)).toList();
    assertSameDecisions(current, expected);
    for (SalienceReport r : current) {
      assertThat(r.getEpoch()).isEqualTo(r.getWindowEndStep() < resumeAt ? 1 : 2);
    }
    assertThat(current.get(3).getWindowIndex())
        .as("window index continues from the snapshot rewound to")
        .isEqualTo(3);
  }

  /**
   * With the default of one snapshot kept, a resumed run may start anywhere in the current window
   * (after the last window end); the rows after its checkpoint are dropped. Starting at or before
   * the last window end is refused.
   */
  @Test
  void withTheDefaultOneSnapshotAResumeWithinTheCurrentWindowIsFollowed() {
    ExperimentSpec spec =
        Fixtures.spec(
            "e3", "salientlora", 6, 5, 200, 12, 40, 8, Map.of("mode", "clean", "tFinal", "30"));
    RankPolicy probe = PolicySpecs.create(spec);
    long windowEnd = -1;
    for (long s = 0; s < 200 && windowEnd < 0; s++) {
      windowEnd =
          probe.decidesAt(s)
                  && !probe.decidesAt(s + 1)
                  && !probe.decidesAt(s + 2)
                  && !probe.decidesAt(s + 3)
              ? s
              : -1;
    }
    long resumeAt = windowEnd + 2;
    RankPolicy local = PolicySpecs.create(spec);
    List<Decision> expected = new ArrayList<>();
    for (long s = 0; s < 200; s++) {
      local
          .onStep(
              StepRows.toInput(
                  s < resumeAt
                      ? Fixtures.step(spec, "run-1", 1, s, 5)
                      : Fixtures.step(spec, "run-2", 2, s, 6)))
          .ifPresent(expected::add);
    }
    AnalyzerMetrics metrics = new AnalyzerMetrics();
    Outcome out =
        crashAndResume(
            spec,
            AnalyzerTopology.Config.DEFAULT_RESUME_SNAPSHOTS,
            metrics,
            windowEnd + 3,
            windowEnd,
            resumeAt);
    List<SalienceReport> actual = out.reports();
    List<DeadLetter> dead = out.dead();
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).getErrorMessage())
        .contains("from " + (windowEnd + 1) + " to " + (windowEnd + 4));
    assertThat(metrics.rewinds.sum()).isEqualTo(1);
    assertSameDecisions(actual, expected);
  }

  private record Outcome(List<SalienceReport> reports, List<DeadLetter> dead) {}

  /**
   * Run 1 (epoch 1, seed 5) sends steps 0..crashedAfter; then a run of epoch 2 tries to resume at
   * {@code refusedAt}, and run 2 (epoch 2, seed 6) resumes at {@code resumeAt} and goes to the end.
   */
  private static Outcome crashAndResume(
      ExperimentSpec spec,
      int resumeSnapshots,
      AnalyzerMetrics metrics,
      long crashedAfter,
      long refusedAt,
      long resumeAt) {
    try (Loop loop = Loop.open("resume-test-" + resumeSnapshots, metrics, resumeSnapshots)) {
      loop.register(spec);
      for (long s = 0; s <= crashedAfter; s++) {
        loop.send(Fixtures.step(spec, "run-1", 1, s, 5));
      }
      loop.send(Fixtures.step(spec, "run-x", 2, refusedAt, 6));
      for (long s = resumeAt; s < 200; s++) {
        loop.send(Fixtures.step(spec, "run-2", 2, s, 6));
      }
      return new Outcome(loop.rep.readValuesToList(), loop.dlq.readValuesToList());
    }
  }

  /** Reports carry exactly the decisions: step, effective step, budget, keep mask and scores. */
  private static void assertSameDecisions(List<SalienceReport> actual, List<Decision> expected) {
    assertThat(expected).isNotEmpty();
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      Decision d = expected.get(i);
      SalienceReport r = actual.get(i);
      assertThat(r.getWindowEndStep()).isEqualTo(d.decidedAt());
      assertThat(r.getEffectiveFromStep()).isEqualTo(d.effectiveFrom());
      assertThat(r.getBudget()).isEqualTo(d.budget());
      boolean[] keep = ((MaskUpdate.TripletMask) d.mask()).keep();
      for (int j = 0; j < keep.length; j++) {
        assertThat(r.getKeepMask().get(j)).as("decision %d keep[%d]", i, j).isEqualTo(keep[j]);
        assertThat(r.getSalience().get(j))
            .as("decision %d score[%d]", i, j)
            .isEqualTo(d.diagnostics().scores()[j]);
      }
    }
  }

  /** The analyzer topology on the test driver with real Avro through the registry. */
  private record Loop(
      TopologyTestDriver driver,
      TestInputTopic<String, byte[]> exp,
      TestInputTopic<String, byte[]> sv,
      TestOutputTopic<String, SalienceReport> rep,
      TestOutputTopic<String, DeadLetter> dlq,
      Serializer<Object> avro)
      implements AutoCloseable {

    static Loop open(String applicationId, AnalyzerMetrics metrics, int resumeSnapshots) {
      return open(
          applicationId, metrics, resumeSnapshots, AnalyzerTopology.Config.DEFAULT_LIVE_POLICIES);
    }

    static Loop open(
        String applicationId, AnalyzerMetrics metrics, int resumeSnapshots, int livePolicies) {
      Map<String, Object> serde = REGISTRY.serdeConfig();
      AnalyzerTopology.Config config =
          new AnalyzerTopology.Config(
                  "t",
                  new AnalyzerTopology.Topics("exp", "sv", "rep", "dlq"),
                  () -> EventSerdes.of(ExperimentSpec.class, serde).deserializer(),
                  () -> SingularValueStepView.deserializer(serde),
                  EventSerdes.of(SalienceReport.class, serde).serializer(),
                  EventSerdes.of(DeadLetter.class, serde).serializer())
              .withResumeSnapshots(resumeSnapshots)
              .withLivePolicies(livePolicies);
      Properties props = new Properties();
      props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
      // a state folder of its own: the shared default under java.io.tmpdir collides with other test
      // JVMs
      try {
        props.put(
            StreamsConfig.STATE_DIR_CONFIG,
            Files.createTempDirectory("analyzer-loop-state").toString());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      TopologyTestDriver driver =
          new TopologyTestDriver(AnalyzerTopology.build(config, metrics), props);
      return new Loop(
          driver,
          driver.createInputTopic("exp", new StringSerializer(), new ByteArraySerializer()),
          driver.createInputTopic("sv", new StringSerializer(), new ByteArraySerializer()),
          driver.createOutputTopic(
              "rep",
              new StringDeserializer(),
              EventSerdes.of(SalienceReport.class, serde).deserializer()),
          driver.createOutputTopic(
              "dlq",
              new StringDeserializer(),
              EventSerdes.of(DeadLetter.class, serde).deserializer()),
          EventSerdes.anyValue(serde));
    }

    void register(ExperimentSpec spec) {
      exp.pipeInput(spec.getExperimentId(), avro.serialize("exp", spec));
    }

    void send(SingularValueStep step) {
      sv.pipeInput(step.getExperimentId(), avro.serialize("sv", step));
    }

    @Override
    public void close() {
      driver.close();
    }
  }
}
