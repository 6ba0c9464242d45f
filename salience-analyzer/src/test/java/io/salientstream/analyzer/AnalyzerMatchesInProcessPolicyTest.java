package io.salientstream.analyzer;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.stack.junit.InMemoryRegistry;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.streams.EventSerdes;
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
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The analyzer hosts the same policy code as the trainer: fed the same steps, its reports carry exactly the
 * decisions (step, effective step, budget, mask, scores) of the policy run in-process — also when its cached policy
 * is dropped and rebuilt from the stored snapshot and rows at every step.
 */
class AnalyzerMatchesInProcessPolicyTest {

  @RegisterExtension
  static final InMemoryRegistry REGISTRY = new InMemoryRegistry();

  @ParameterizedTest
  @ValueSource(strings = {"salientlora:reference", "salientlora:clean", "adalora", "salientlora:clean:rebuild"})
  void reportsEqualInProcessDecisions(String which) {
    String[] parts = which.split(":");
    String policy = parts[0];
    boolean rebuildEveryStep = which.endsWith(":rebuild");
    Map<String, String> params = policy.equals("salientlora")
        ? Map.of("mode", parts[1], "tFinal", "30")
        : Map.of("deltaT", "4");
    ExperimentSpec spec = Fixtures.spec("e1", policy, 6, 5, 200, 12, 40, 8, params);

    AnalyzerMetrics metrics = new AnalyzerMetrics();
    AnalyzerTopology.Config config = new AnalyzerTopology.Config("t", new AnalyzerTopology.Topics("exp", "sv", "rep", "dlq"),
        () -> EventSerdes.of(ExperimentSpec.class, REGISTRY.serdeConfig()).deserializer(),
        () -> StepEventReader.deserializer(REGISTRY.serdeConfig()),
        EventSerdes.of(SalienceReport.class, REGISTRY.serdeConfig()).serializer(),
        EventSerdes.of(DeadLetter.class, REGISTRY.serdeConfig()).serializer());
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "match-test");
    Serializer<Object> avro = EventSerdes.anyValue(REGISTRY.serdeConfig());
    List<Decision> expected = new ArrayList<>();
    List<SalienceReport> actual;
    try (TopologyTestDriver driver = new TopologyTestDriver(AnalyzerTopology.build(config, metrics), props)) {
      TestInputTopic<String, byte[]> exp = driver.createInputTopic("exp", new StringSerializer(), new ByteArraySerializer());
      TestInputTopic<String, byte[]> sv = driver.createInputTopic("sv", new StringSerializer(), new ByteArraySerializer());
      TestOutputTopic<String, SalienceReport> rep = driver.createOutputTopic("rep", new StringDeserializer(),
          EventSerdes.of(SalienceReport.class, REGISTRY.serdeConfig()).deserializer());
      TestOutputTopic<String, DeadLetter> dlq = driver.createOutputTopic("dlq", new StringDeserializer(),
          EventSerdes.of(DeadLetter.class, REGISTRY.serdeConfig()).deserializer());
      exp.pipeInput("e1", avro.serialize("exp", spec));
      RankPolicy local = PolicySpecs.create(spec);
      for (long s = 0; s < 200; s++) {
        SingularValueStep e = Fixtures.step(spec, "run", 1, s, 5);
        Optional<Decision> d = local.onStep(StepRows.toInput(e));
        d.ifPresent(expected::add);
        if (rebuildEveryStep) {
          AnalyzerProcessor.dropCachesForTesting();
        }
        sv.pipeInput("e1", avro.serialize("sv", e));
      }
      assertThat(dlq.readValuesToList()).isEmpty();
      actual = rep.readValuesToList();
    }
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
        assertThat(r.getSalience().get(j)).as("decision %d score[%d]", i, j).isEqualTo(d.diagnostics().scores()[j]);
      }
    }
    if (rebuildEveryStep) {
      assertThat(metrics.rebuilds.sum()).isGreaterThan(100);
    }
  }
}
