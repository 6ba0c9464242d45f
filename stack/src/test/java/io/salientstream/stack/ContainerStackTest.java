package io.salientstream.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.serde.KafkaAvroDeserializer;
import io.salientstream.registry.serde.KafkaAvroSerializer;
import io.salientstream.stack.junit.SharedKafkaExtension;
import io.salientstream.stack.testdata.StepEvent;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The container path: apache/kafka in Docker plus our registry on it. Skipped where Docker is not
 * available.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerStackTest {

  @Container
  static final KafkaContainer KAFKA =
      new KafkaContainer(
          System.getProperty(
              SharedKafkaExtension.IMAGE_PROPERTY, SharedKafkaExtension.DEFAULT_IMAGE));

  @Test
  void registryAndSerdesWorkOnAContainerBroker() throws Exception {
    RegistryService registry = new RegistryService();
    registry.start(KAFKA.getBootstrapServers(), null, new Properties());
    try {
      HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
      String topic = TestRecords.uniqueTopic("container");
      try (KafkaProducer<String, Object> producer =
          new KafkaProducer<>(
              TestRecords.producerProps(KAFKA.getBootstrapServers()),
              new StringSerializer(),
              new KafkaAvroSerializer(client, Map.of(), false))) {
        producer.send(new ProducerRecord<>(topic, "e", TestRecords.event("e", 1))).get();
      }
      try (KafkaConsumer<String, Object> consumer =
          new KafkaConsumer<>(
              TestRecords.consumerProps(KAFKA.getBootstrapServers()),
              new StringDeserializer(),
              new KafkaAvroDeserializer(client, StepEvent.class))) {
        consumer.subscribe(List.of(topic));
        assertThat(TestRecords.poll(consumer, 1))
            .singleElement()
            .satisfies(r -> assertThat(r.value()).isEqualTo(TestRecords.event("e", 1)));
      }
    } finally {
      registry.stop();
    }
  }
}
