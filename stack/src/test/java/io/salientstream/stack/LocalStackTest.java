package io.salientstream.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.serde.KafkaAvroDeserializer;
import io.salientstream.registry.serde.KafkaAvroSerializer;
import io.salientstream.stack.testdata.StepEvent;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local stack with a persisted folder: start, stop, restart on the same data. Its own broker, not
 * the shared one.
 */
class LocalStackTest {

  @Test
  void restartsOnTheSameFolderWithTopicsRecordsAndSchemasIntact(@TempDir Path folder)
      throws Exception {
    int[] free = Ports.free(2);
    int kafkaPort = free[0];
    int controllerPort = free[1];
    LocalStack.Builder builder =
        LocalStack.builder()
            .folder(folder)
            .kafkaPort(kafkaPort)
            .controllerPort(controllerPort)
            .registryPort(0)
            .topicPrefix("local.");
    String topic = "local.salientstream.singular-values.v1";
    String clusterId;
    int schemaId;
    try (LocalStack stack = builder.build().start()) {
      System.out.printf(
          "LocalStack first start (format + broker + topics + registry): ready in %d ms "
              + "(broker alone %d ms)%n",
          stack.readyMillis(), stack.kafka().readyMillis());
      assertThat(stack.bootstrapServers()).isEqualTo("localhost:" + kafkaPort);
      assertThat(stack.topicResult().created()).containsAll(stack.topics().names());
      clusterId = stack.kafka().clusterId();
      assertThat(Files.readString(folder.resolve("kafka").resolve("cluster.id")).trim())
          .isEqualTo(clusterId);
      HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(stack.registryUrl());
      try (KafkaProducer<String, Object> producer =
          new KafkaProducer<>(
              TestRecords.producerProps(stack.bootstrapServers()),
              new StringSerializer(),
              new KafkaAvroSerializer(client, Map.of(), false))) {
        producer.send(new ProducerRecord<>(topic, "exp-1", TestRecords.event("exp-1", 42))).get();
      }
      schemaId = client.getLatestSchemaMetadata(topic + "-value").id();
    }
    assertThat(folder.resolve("kafka").resolve("data")).isDirectory();

    try (LocalStack stack = builder.build().start()) {
      System.out.printf(
          "LocalStack restart on the same folder: ready in %d ms (broker alone %d ms)%n",
          stack.readyMillis(), stack.kafka().readyMillis());
      assertThat(stack.readyMillis()).isLessThan(15_000);
      assertThat(stack.kafka().clusterId()).isEqualTo(clusterId);
      assertThat(stack.topicResult().created()).isEmpty();
      assertThat(stack.topicResult().existing()).containsAll(stack.topics().names());
      assertThat(stack.topicResult().mismatches()).isEmpty();
      try (Admin admin = stack.admin()) {
        assertThat(admin.listTopics().names().get()).containsAll(stack.topics().names());
        assertThat(admin.describeCluster().clusterId().get()).isEqualTo(clusterId);
      }
      HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(stack.registryUrl());
      assertThat(client.getSchemaById(schemaId)).isEqualTo(StepEvent.getClassSchema());
      try (KafkaConsumer<String, Object> consumer =
          new KafkaConsumer<>(
              TestRecords.consumerProps(stack.bootstrapServers()),
              new StringDeserializer(),
              new KafkaAvroDeserializer(client, StepEvent.class))) {
        consumer.subscribe(List.of(topic));
        List<ConsumerRecord<String, Object>> got = TestRecords.poll(consumer, 1);
        assertThat(got)
            .singleElement()
            .extracting(ConsumerRecord::value)
            .isEqualTo(TestRecords.event("exp-1", 42));
      }
    }
  }

  @Test
  void ephemeralBrokerDeletesItsFolderOnClose() {
    EmbeddedKafka kafka = EmbeddedKafka.ephemeral().start();
    Path dir = kafka.folder();
    assertThat(dir).isDirectory();
    assertThat(kafka.isEphemeral()).isTrue();
    System.out.printf("EmbeddedKafka ephemeral: ready in %d ms%n", kafka.readyMillis());
    kafka.close();
    assertThat(kafka.isRunning()).isFalse();
    assertThat(dir).doesNotExist();
    kafka.close(); // idempotent
  }

  @Test
  void aTakenPortIsAClearErrorAndLeavesNothingBehind() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("localhost"))) {
      EmbeddedKafka kafka = EmbeddedKafka.builder().port(taken.getLocalPort()).build();
      Assertions.assertThatThrownBy(kafka::start)
          .isInstanceOf(KafkaException.class)
          .hasMessageContaining("localhost:" + taken.getLocalPort());
      assertThat(kafka.isRunning()).isFalse();
      assertThat(kafka.folder()).isNull();
    }
  }
}
