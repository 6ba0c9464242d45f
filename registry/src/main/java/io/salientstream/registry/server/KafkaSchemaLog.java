package io.salientstream.registry.server;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SchemaLog} in a compacted, single-partition Kafka topic (default {@value #DEFAULT_TOPIC}).
 * The topic is created when missing ({@code cleanup.policy=compact}). Appends are idempotent,
 * {@code acks=all}, and wait for the acknowledgement; replay reads from the beginning up to the end
 * offset seen at the start of the replay.
 */
public final class KafkaSchemaLog implements SchemaLog {
  public static final String DEFAULT_TOPIC = "_schemas";
  private static final Logger LOG = LoggerFactory.getLogger(KafkaSchemaLog.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final String bootstrapServers;
  private final String topic;
  private final Map<String, Object> clientOverrides;
  private final KafkaProducer<String, String> producer;

  /**
   * @param clientOverrides extra client settings (security settings ...) applied to the admin,
   *     producer and consumer
   */
  public KafkaSchemaLog(
      String bootstrapServers,
      String topic,
      short replicationFactor,
      Map<String, Object> clientOverrides) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.clientOverrides = Map.copyOf(clientOverrides);
    ensureTopic(replicationFactor);
    Properties p = base();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    this.producer = new KafkaProducer<>(p);
  }

  public KafkaSchemaLog(String bootstrapServers) {
    this(bootstrapServers, DEFAULT_TOPIC, (short) 1, Map.of());
  }

  public String topic() {
    return topic;
  }

  private Properties base() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.putAll(clientOverrides);
    return p;
  }

  private void ensureTopic(short replicationFactor) {
    try (Admin admin = Admin.create(base())) {
      NewTopic nt =
          new NewTopic(topic, 1, replicationFactor)
              .configs(
                  Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      try {
        admin.createTopics(List.of(nt)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("created schema topic {}", topic);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new KafkaException(
              "cannot create schema topic " + topic + " on " + bootstrapServers, e.getCause());
        }
      }
      int partitions =
          admin
              .describeTopics(List.of(topic))
              .allTopicNames()
              .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
              .get(topic)
              .partitions()
              .size();
      if (partitions != 1) {
        throw new KafkaException(
            "schema topic "
                + topic
                + " must have exactly 1 partition (ids are "
                + "assigned in log order), it has "
                + partitions);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while preparing schema topic " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new KafkaException(
          "cannot prepare schema topic " + topic + " on " + bootstrapServers, e);
    }
  }

  @Override
  public void replay(BiConsumer<String, String> sink) {
    Properties p = base();
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp), TIMEOUT).get(tp);
      long deadline = System.nanoTime() + TIMEOUT.toNanos() * 4;
      int count = 0;
      while (consumer.position(tp, TIMEOUT) < end) {
        if (System.nanoTime() > deadline) {
          throw new KafkaException(
              "timed out replaying "
                  + topic
                  + " at offset "
                  + consumer.position(tp)
                  + " of "
                  + end);
        }
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() < end) {
            sink.accept(r.key(), r.value());
            count++;
          }
        }
      }
      LOG.info("replayed {} records from {} (end offset {})", count, topic, end);
    }
  }

  @Override
  public void append(String key, String value) {
    try {
      producer
          .send(new ProducerRecord<>(topic, 0, key, value))
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while writing to " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new KafkaException("cannot write to schema topic " + topic + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return "Kafka topic " + topic + " on " + bootstrapServers;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
