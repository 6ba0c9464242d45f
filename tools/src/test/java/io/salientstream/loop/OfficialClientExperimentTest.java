package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.analyzer.StepRows;
import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.stack.junit.JsInterop;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One whole experiment driven from JavaScript with Confluent's official client ({@code
 * registry/interop/experiment.js}): its registration and 200 steps are serialized by the official
 * {@code AvroSerializer} and sent with kafkajs; the salience-analyzer and pruner accept them and
 * answer with rank-pruning commands, which the official {@code AvroDeserializer} decodes and the
 * script checks (sequence, run and epoch, apply-at step, total rank). Here the records the script
 * wrote are read back with our deserializer and replayed through the in-process policy: the
 * commands are exactly its decisions.
 */
@WithSharedStack
class OfficialClientExperimentTest {

  private static final int MATRICES = 6;
  private static final int RANK = 5;
  private static final int STEPS = 200;
  private static final Map<String, String> PARAMS = Map.of("mode", "clean", "tFinal", "30");

  @Test
  void anExperimentWrittenByTheOfficialJsClientGetsTheInProcessCommands(
      SharedStack stack, @TempDir Path state) throws Exception {
    Path work = JsInterop.install();
    String prefix = "js-exp-" + System.nanoTime() + ".";
    LoopTopics topics = LoopTopics.forPrefix(prefix);
    try (Admin admin = stack.admin()) {
      TopicInitializer.ensureTopics(admin, Topics.withPrefix(prefix), (short) 1);
    }
    Map<String, Object> config = stack.clientConfig();
    String id = "js-experiment";
    ExperimentSpec template = spec(id);
    // the subjects the official serializer looks up (useLatestVersion): registered by our
    // serializer
    EventSerdes.of(ExperimentSpec.class, config)
        .serializer()
        .serialize(topics.experiments(), template);
    EventSerdes.of(SingularValueStep.class, config)
        .serializer()
        .serialize(
            topics.singularValues(),
            SingularValueStep.newBuilder()
                .setExperimentId(id)
                .setRunId("r")
                .setEpoch(1)
                .setStep(0)
                .setWallClockMs(Instant.ofEpochMilli(0))
                .setOrthRegLoss(0)
                .setTaskLoss(0)
                .setLearningRate(0)
                .setMatrices(List.of())
                .build());
    RankPolicy probe = PolicySpecs.create(template);
    int expected = 0;
    for (long s = 0; s < STEPS; s++) {
      expected += probe.decidesAt(s) ? 1 : 0;
    }
    assertThat(expected).as("window ends").isGreaterThan(3);

    ObjectMapper json = new ObjectMapper();
    JsonNode result;
    try (LoopServices services =
        LoopServices.start(config, topics, state, "-js-" + System.nanoTime(), "test")) {
      ObjectNode input =
          json.createObjectNode()
              .put("registryUrl", stack.registryUrl())
              .put("bootstrap", stack.bootstrapServers())
              .put("experimentId", id)
              .put("runId", "js-run")
              .put("epoch", 1)
              .put("matrices", MATRICES)
              .put("rank", RANK)
              .put("steps", STEPS)
              .put("warmup", 12)
              .put("finalSteps", 40)
              .put("targetBudget", 8)
              .put("expectedCommands", expected);
      input
          .putObject("topics")
          .put("experiments", topics.experiments())
          .put("singularValues", topics.singularValues())
          .put("rankCommands", topics.rankCommands());
      PARAMS.forEach(input.putObject("policyParams")::put);
      Path in = work.resolve("experiment-input.json");
      Path out = work.resolve("experiment-output.json");
      Files.writeString(in, input.toString());
      Files.deleteIfExists(out);
      String log =
          JsInterop.run(work, 180, List.of("node", "experiment.js", in.toString(), out.toString()));
      System.out.print(log);
      result = json.readTree(out.toFile());
      List<String> failed = new ArrayList<>();
      result
          .get("cases")
          .forEach(
              c -> {
                if (!c.get("ok").asBoolean()) {
                  failed.add(c.get("name").asText() + ": " + c.path("error").asText());
                }
              });
      assertThat(result.get("cases")).as(log).hasSize(2);
      assertThat(failed).as("cases of experiment.js that failed").isEmpty();
    }

    // what the script wrote, read back with our deserializer and replayed through the in-process
    // policy
    ExperimentSpec written = readAll(config, topics.experiments(), ExperimentSpec.class, 1).get(0);
    assertThat(written.getExperimentId()).isEqualTo(id);
    assertThat(written.getDescription()).isEqualTo("written by the official JavaScript client");
    List<SingularValueStep> steps =
        readAll(config, topics.singularValues(), SingularValueStep.class, STEPS);
    RankPolicy policy = PolicySpecs.create(written);
    List<Decision> decisions = new ArrayList<>();
    for (SingularValueStep s : steps) {
      Optional<Decision> d = policy.onStep(StepRows.toInput(s));
      d.ifPresent(decisions::add);
    }
    JsonNode commands = result.get("commands");
    assertThat(commands).hasSize(decisions.size());
    for (int i = 0; i < decisions.size(); i++) {
      JsonNode c = commands.get(i);
      Decision d = decisions.get(i);
      assertThat(c.get("decidedAtStep").asLong()).isEqualTo(d.decidedAt());
      assertThat(c.get("applyAtStep").asLong()).isEqualTo(d.effectiveFrom());
      List<Boolean> keep = new ArrayList<>();
      c.get("masks").forEach(m -> m.get("keep").forEach(b -> keep.add(b.asBoolean())));
      boolean[] expectedKeep = ((MaskUpdate.TripletMask) d.mask()).keep();
      assertThat(keep).hasSize(expectedKeep.length);
      for (int k = 0; k < expectedKeep.length; k++) {
        assertThat(keep.get(k)).as("command %d keep[%d]", i + 1, k).isEqualTo(expectedKeep[k]);
      }
    }
  }

  private static ExperimentSpec spec(String id) {
    List<AdaptedMatrix> ms = new ArrayList<>();
    for (int k = 0; k < MATRICES; k++) {
      ms.add(new AdaptedMatrix("layer." + (k / 2) + ".m" + (k % 2), k / 2, 8, 8, RANK));
    }
    return ExperimentSpec.newBuilder()
        .setExperimentId(id)
        .setCreatedAtMs(Instant.ofEpochMilli(1))
        .setModel("synthetic")
        .setTask("js-interop")
        .setMatrices(ms)
        .setPolicy("salientlora")
        .setPolicyParams(PARAMS)
        .setSchedule(new BudgetSchedule((long) STEPS, 12L, 40L, MATRICES * RANK, 8))
        .build();
  }

  private static <T extends SpecificRecord> List<T> readAll(
      Map<String, Object> config, String topic, Class<T> type, int n) {
    Map<String, Object> c = new HashMap<>(ExperimentClient.clientProps(config));
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "read-back-" + System.nanoTime());
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Deserializer<T> de = EventSerdes.of(type, config).deserializer();
    List<ConsumerRecord<String, byte[]>> got = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (got.size() < n && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(got::add);
      }
    }
    assertThat(got).as(topic).hasSize(n);
    // one key, so one partition: offsets give the order the script sent them in
    got.sort((a, b) -> Long.compare(a.offset(), b.offset()));
    List<T> out = new ArrayList<>();
    got.forEach(r -> out.add(de.deserialize(topic, r.value())));
    return out;
  }
}
