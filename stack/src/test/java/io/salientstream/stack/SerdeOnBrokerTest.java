package io.salientstream.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.client.RegistryClientConfig;
import io.salientstream.registry.serde.AvroSerdeConfig;
import io.salientstream.registry.serde.KafkaAvroDeserializer;
import io.salientstream.registry.serde.KafkaAvroSerializer;
import io.salientstream.registry.serde.WireFormat;
import io.salientstream.registry.serde.WireFormatException;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.testdata.StepEvent;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Avro records through the real in-process broker and the registry on the same broker. */
@WithSharedStack
class SerdeOnBrokerTest {

  private static String topic(SharedStack stack, int partitions) throws Exception {
    String t = TestRecords.uniqueTopic("serde");
    try (Admin admin = stack.admin()) {
      admin.createTopics(List.of(new NewTopic(t, partitions, (short) 1))).all().get();
    }
    return t;
  }

  private static Map<String, Object> serdeConfig(SharedStack stack) {
    return Map.of(
        RegistryClientConfig.URL,
        stack.registryUrl(),
        AvroSerdeConfig.SPECIFIC_AVRO_READER,
        "true");
  }

  @Test
  void specificRecordRoundTripThroughBrokerAndRegistry(SharedStack stack) throws Exception {
    String topic = topic(stack, 3);
    Properties pp = TestRecords.producerProps(stack.bootstrapServers());
    pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, KafkaAvroSerializer.class.getName());
    pp.putAll(serdeConfig(stack));
    try (KafkaProducer<String, Object> producer = new KafkaProducer<>(pp)) {
      for (int i = 0; i < 5; i++) {
        producer
            .send(
                new ProducerRecord<>(
                    topic, "exp-" + (i % 2), TestRecords.event("exp-" + (i % 2), i)))
            .get();
      }
    }
    Properties cp = TestRecords.consumerProps(stack.bootstrapServers());
    cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, KafkaAvroDeserializer.class.getName());
    cp.putAll(serdeConfig(stack));
    try (KafkaConsumer<String, Object> consumer = new KafkaConsumer<>(cp)) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<String, Object>> got = TestRecords.poll(consumer, 5);
      assertThat(got).hasSize(5);
      assertThat(got).allSatisfy(r -> assertThat(r.value()).isInstanceOf(StepEvent.class));
      assertThat(got.stream().map(r -> ((StepEvent) r.value()).getStep()).sorted().toList())
          .containsExactly(0L, 1L, 2L, 3L, 4L);
      assertThat(got)
          .allSatisfy(
              r -> assertThat(((StepEvent) r.value()).getExperimentId()).isEqualTo(r.key()));
    }
    assertThat(stack.registryClient().getAllSubjects()).contains(topic + "-value");
  }

  @Test
  void writerV1IsReadAsReaderV2(SharedStack stack) throws Exception {
    String topic = topic(stack, 1);
    GenericRecord v1 = new GenericData.Record(TestRecords.stepEventV1());
    v1.put("experimentId", "exp-old");
    v1.put("step", 7L);
    v1.put("singularValues", List.of(1.5f, 0.5f));
    HttpSchemaRegistryClient client = stack.registryClient();
    try (KafkaProducer<String, Object> producer =
        new KafkaProducer<>(
            TestRecords.producerProps(stack.bootstrapServers()),
            new StringSerializer(),
            new KafkaAvroSerializer(client, Map.of(), false))) {
      producer.send(new ProducerRecord<>(topic, "exp-old", v1)).get();
      producer.send(new ProducerRecord<>(topic, "exp-new", TestRecords.event("exp-new", 8))).get();
    }
    assertThat(client.getAllVersions(topic + "-value")).containsExactly(1, 2);
    try (KafkaConsumer<String, StepEvent> consumer =
        new KafkaConsumer<>(
            TestRecords.consumerProps(stack.bootstrapServers()),
            new StringDeserializer(),
            typed(new KafkaAvroDeserializer(client, StepEvent.class)))) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<String, StepEvent>> got = TestRecords.poll(consumer, 2);
      assertThat(got).hasSize(2);
      StepEvent old = got.get(0).value();
      assertThat(old.getExperimentId()).isEqualTo("exp-old");
      assertThat(old.getStep()).isEqualTo(7L);
      assertThat(old.getSingularValues()).containsExactly(1.5f, 0.5f);
      assertThat(old.getTag()).isEqualTo("untagged");
      assertThat(got.get(1).value()).isEqualTo(TestRecords.event("exp-new", 8));
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> Deserializer<T> typed(KafkaAvroDeserializer d) {
    return (Deserializer<T>) (Object) d;
  }

  @Test
  void badRecordsFailNamingTopicPartitionAndOffset(SharedStack stack) throws Exception {
    String topic = topic(stack, 2);
    HttpSchemaRegistryClient client = stack.registryClient();
    byte[] good = new KafkaAvroSerializer(client).serialize(topic, TestRecords.event("e", 1));
    byte[] badMagic = good.clone();
    badMagic[0] = 1;
    byte[] unknownId = WireFormat.frame(987_654, Arrays.copyOfRange(good, 5, good.length));
    byte[] truncated = Arrays.copyOf(good, good.length - 4);
    byte[] trailing = Arrays.copyOf(good, good.length + 3);

    Map<WireFormatException.Reason, byte[]> cases = new LinkedHashMap<>();
    cases.put(WireFormatException.Reason.BAD_MAGIC_BYTE, badMagic);
    cases.put(WireFormatException.Reason.UNKNOWN_SCHEMA_ID, unknownId);
    cases.put(WireFormatException.Reason.TRUNCATED, truncated);
    cases.put(WireFormatException.Reason.TRAILING_BYTES, trailing);

    for (Map.Entry<WireFormatException.Reason, byte[]> c : cases.entrySet()) {
      RecordMetadata where;
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(TestRecords.producerProps(stack.bootstrapServers()))) {
        // a good record first, then the bad one on partition 1: the offset is not 0
        producer.send(new ProducerRecord<>(topic, 1, "k", good)).get();
        where = producer.send(new ProducerRecord<>(topic, 1, "k", c.getValue())).get();
      }
      try (KafkaConsumer<String, Object> consumer =
          new KafkaConsumer<>(
              TestRecords.consumerProps(stack.bootstrapServers()),
              new StringDeserializer(),
              new KafkaAvroDeserializer(client, StepEvent.class))) {
        TopicPartition tp = new TopicPartition(topic, 1);
        consumer.assign(List.of(tp));
        consumer.seek(tp, where.offset() - 1);
        assertThat(TestRecords.poll(consumer, 1))
            .as("the good record before the bad one")
            .hasSize(1);
        RecordDeserializationException e = pollForFailure(consumer);
        assertThat(e.topicPartition()).isEqualTo(tp);
        assertThat(e.offset()).isEqualTo(where.offset());
        assertThat(e.getMessage()).contains(topic + "-1").contains("offset " + where.offset());

        // our dead-letter helper names all three and keeps the reason
        WireFormatException w = WireFormatException.of(e);
        assertThat(w.reason()).isEqualTo(c.getKey());
        assertThat(w.getMessage())
            .contains("topic " + topic, "partition 1", "offset " + where.offset());
        if (c.getKey() == WireFormatException.Reason.UNKNOWN_SCHEMA_ID) {
          assertThat(w.schemaId()).isEqualTo(987_654);
        }

        // and the consumer can seek past the bad record and keep going: nothing is lost
        consumer.seek(tp, where.offset() + 1);
        assertThat(consumer.poll(Duration.ofMillis(200))).isEmpty();
      }
    }
  }

  private static RecordDeserializationException pollForFailure(
      KafkaConsumer<String, Object> consumer) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (!consumer.poll(Duration.ofMillis(200)).isEmpty()) {
          throw new AssertionError("a bad record was decoded");
        }
      } catch (RecordDeserializationException e) {
        return e;
      }
    }
    throw new AssertionError("no RecordDeserializationException within 20 s");
  }
}
