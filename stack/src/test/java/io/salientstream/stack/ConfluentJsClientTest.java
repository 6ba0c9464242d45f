package io.salientstream.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.avro.TrainerStatus;
import io.salientstream.registry.client.RegistryClientConfig;
import io.salientstream.registry.serde.KafkaAvroDeserializer;
import io.salientstream.registry.serde.KafkaAvroSerializer;
import io.salientstream.stack.junit.JsInterop;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.TopicSpec;
import io.salientstream.stack.topics.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Confluent's official JavaScript client ({@code @confluentinc/schemaregistry} with {@code
 * kafkajs}, pinned by {@code registry/interop/package-lock.json} and installed with {@code npm ci})
 * against the shared in-process broker and registry: every registry call the client offers, the
 * header-id serializer, records it writes decoded by our deserializer, and every topic's values
 * written by our serializer decoded by it. The cases live in {@code
 * registry/interop/official-client.js}; this test fails with the names of the cases that failed.
 *
 * <p>Needs {@code node} and {@code npm} (Node 20) on the PATH and the npm registry (or a warm npm
 * cache) for the first install; {@code -Djs.interop.skip=true} skips it.
 */
@WithSharedStack
class ConfluentJsClientTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PER_TOPIC = 3;
  private static final int JS_RECORDS = 5;
  private static final Map<TopicSpec<?>, Schema> VALUE_SCHEMAS = new LinkedHashMap<>();

  static {
    VALUE_SCHEMAS.put(Topics.EXPERIMENTS, ExperimentSpec.getClassSchema());
    VALUE_SCHEMAS.put(Topics.SINGULAR_VALUES, SingularValueStep.getClassSchema());
    VALUE_SCHEMAS.put(Topics.SALIENCE_REPORTS, SalienceReport.getClassSchema());
    VALUE_SCHEMAS.put(Topics.RANK_COMMANDS, RankPruneCommand.getClassSchema());
    VALUE_SCHEMAS.put(Topics.TRAINER_STATUS, TrainerStatus.getClassSchema());
    VALUE_SCHEMAS.put(Topics.DEAD_LETTER, DeadLetter.getClassSchema());
  }

  @Test
  void officialJsClientAgainstTheStack(SharedStack stack) throws Exception {
    Assumptions.assumeFalse(Boolean.getBoolean("js.interop.skip"), "js.interop.skip");
    Path work = JsInterop.install();

    String prefix = TestRecords.uniqueTopic("js");
    Topics topics = Topics.withPrefix(prefix + ".");
    try (Admin admin = stack.admin()) {
      TopicInitializer.ensureTopics(admin, topics, (short) 1);
      admin.createTopics(List.of(new NewTopic(prefix + ".js-written", 1, (short) 1))).all().get();
    }
    // every topic's values, written by our serializer with the real event schemas
    Map<String, List<GenericRecord>> written = new LinkedHashMap<>();
    Map<String, Object> serde = Map.of(RegistryClientConfig.URL, stack.registryUrl());
    KafkaAvroSerializer serializer = new KafkaAvroSerializer();
    serializer.configure(serde, false);
    try (KafkaProducer<String, Object> producer =
        new KafkaProducer<>(
            TestRecords.producerProps(stack.bootstrapServers()),
            new StringSerializer(),
            serializer)) {
      for (Map.Entry<TopicSpec<?>, Schema> e : VALUE_SCHEMAS.entrySet()) {
        String topic = topics.name(e.getKey());
        for (int i = 0; i < PER_TOPIC; i++) {
          GenericRecord r = (GenericRecord) sample(e.getValue(), "v" + i, i);
          producer.send(new ProducerRecord<>(topic, "exp-" + i, r)).get();
          written.computeIfAbsent(topic, t -> new ArrayList<>()).add(r);
        }
      }
    }

    ObjectNode input =
        JSON.createObjectNode()
            .put("registryUrl", stack.registryUrl())
            .put("bootstrap", stack.bootstrapServers())
            .put("prefix", prefix)
            .put("jsTopic", prefix + ".js-written")
            .put("jsCount", JS_RECORDS);
    ObjectNode counts = input.putObject("javaTopics");
    written.forEach((t, rs) -> counts.put(t, rs.size()));
    Path in = work.resolve("input.json");
    Path out = work.resolve("output.json");
    Files.writeString(in, input.toString());
    Files.deleteIfExists(out);
    long t0 = System.nanoTime();
    String log =
        JsInterop.run(
            work, 180, List.of("node", "official-client.js", in.toString(), out.toString()));
    System.out.printf(
        "official JS client run: %d ms%n%s", (System.nanoTime() - t0) / 1_000_000, log);
    assertThat(out).as(log).exists();
    JsonNode result = JSON.readTree(out.toFile());

    List<String> failed = new ArrayList<>();
    result
        .get("cases")
        .forEach(
            c -> {
              if (!c.get("ok").asBoolean()) {
                failed.add(c.get("name").asText() + ": " + c.path("error").asText());
              }
            });
    assertThat(result.get("cases").size()).as(log).isGreaterThanOrEqualTo(25);
    assertThat(failed).as("official-client cases that failed").isEmpty();

    // what the JS side decoded is what we wrote: every scalar field of every record
    for (Map.Entry<String, List<GenericRecord>> e : written.entrySet()) {
      JsonNode decoded = result.path("decoded").path(e.getKey());
      assertThat(decoded.size()).as(e.getKey()).isEqualTo(e.getValue().size());
      for (GenericRecord r : e.getValue()) {
        JsonNode match = null;
        String first = r.getSchema().getFields().get(0).name();
        for (JsonNode d : decoded) {
          if (d.path(first).asText().equals(String.valueOf(r.get(first)))) {
            match = d;
          }
        }
        assertThat(match)
            .as("%s: no decoded record with %s=%s in %s", e.getKey(), first, r.get(first), decoded)
            .isNotNull();
        for (Schema.Field f : r.getSchema().getFields()) {
          Schema.Type type = f.schema().getType();
          if (type == Schema.Type.STRING
              || type == Schema.Type.ENUM
              || type == Schema.Type.INT
              || type == Schema.Type.BOOLEAN) {
            assertThat(match.get(f.name()).asText())
                .as("%s.%s", e.getKey(), f.name())
                .isEqualTo(String.valueOf(r.get(f.name())));
          }
        }
      }
    }

    // what the official serializer wrote, our deserializer reads
    Properties cp = TestRecords.consumerProps(stack.bootstrapServers());
    cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, KafkaAvroDeserializer.class.getName());
    cp.putAll(serde);
    try (KafkaConsumer<String, Object> consumer = new KafkaConsumer<>(cp)) {
      consumer.subscribe(List.of(prefix + ".js-written"));
      List<ConsumerRecord<String, Object>> got = TestRecords.poll(consumer, JS_RECORDS);
      assertThat(got).hasSize(JS_RECORDS);
      JsonNode jsWritten = result.get("jsWritten");
      for (ConsumerRecord<String, Object> r : got) {
        GenericRecord v = (GenericRecord) r.value();
        JsonNode expected = jsWritten.get((int) (long) (Long) v.get("step"));
        assertThat(v.get("experimentId").toString())
            .isEqualTo(expected.get("experimentId").asText());
        assertThat((Double) v.get("loss")).isEqualTo(expected.get("loss").asDouble());
        assertThat(v.get("tag") == null ? null : v.get("tag").toString())
            .isEqualTo(expected.get("tag").isNull() ? null : expected.get("tag").asText());
      }
    }
  }

  /** A value for {@code schema}: every field filled, unions take their first non-null branch. */
  static Object sample(Schema schema, String text, int n) {
    return switch (schema.getType()) {
      case RECORD -> {
        GenericData.Record r = new GenericData.Record(schema);
        for (Schema.Field f : schema.getFields()) {
          r.put(f.name(), sample(f.schema(), f.name() + "-" + text, n));
        }
        yield r;
      }
      case UNION -> {
        Schema branch =
            schema.getTypes().stream()
                .filter(s -> s.getType() != Schema.Type.NULL)
                .findFirst()
                .orElse(schema.getTypes().get(0));
        yield sample(branch, text, n);
      }
      case ARRAY ->
          List.of(
              sample(schema.getElementType(), text, n),
              sample(schema.getElementType(), text, n + 1));
      case MAP -> Map.of("k-" + text, sample(schema.getValueType(), text, n));
      case ENUM ->
          new GenericData.EnumSymbol(
              schema, schema.getEnumSymbols().get(n % schema.getEnumSymbols().size()));
      case FIXED -> new GenericData.Fixed(schema, new byte[schema.getFixedSize()]);
      case STRING -> text;
      case BYTES -> ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      case INT -> 7 + n;
      case LONG -> 1_700_000_000_000L + n;
      case FLOAT -> 0.5f + n;
      case DOUBLE -> 0.25 + n;
      case BOOLEAN -> n % 2 == 0;
      case NULL -> null;
    };
  }
}
