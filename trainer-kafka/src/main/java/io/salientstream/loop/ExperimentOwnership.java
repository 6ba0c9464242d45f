package io.salientstream.loop;

import io.salientstream.avro.ExperimentSpec;
import io.salientstream.core.cli.InputException;
import io.salientstream.core.cli.UnavailableException;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.streams.EventSerdes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Experiment ids are owned (issue 15): before a trainer registers, it reads the experiment's
 * current registration off the compacted experiments topic (the one partition of its key). When the
 * experiment is running — registered, not finished (a finished run leaves a tombstone) — with a
 * different definition ({@link PolicySpecs#definitionChange}), the trainer stops with a one-line
 * error before it sends anything; the same definition (a resume) goes on.
 *
 * <p>This is the trainer's courtesy, so a mistaken second run fails fast instead of sending steps
 * that would be dead-lettered. What protects the running experiment is the salience-analyzer and
 * the pruner: they refuse such a registration themselves (a dead letter naming the experiment), so
 * a client that skips this check takes nothing over either.
 */
public final class ExperimentOwnership {

  private static final Logger LOG = LoggerFactory.getLogger(ExperimentOwnership.class);

  private ExperimentOwnership() {}

  /**
   * Throws an {@link InputException} (exit code 2) naming the experiment and what differs when
   * {@code spec}'s id is held by a running experiment with another definition.
   */
  public static void requireFreeOrSame(
      Map<String, Object> config, LoopTopics topics, ExperimentSpec spec, Duration timeout) {
    String id = spec.getExperimentId();
    Optional<ExperimentSpec> running = current(config, topics, id, timeout);
    if (running.isEmpty()) {
      return;
    }
    Optional<String> change = PolicySpecs.definitionChange(running.get(), spec);
    if (change.isPresent()) {
      throw new InputException(
          "--experiment-id: "
              + PolicySpecs.ownershipRefusal(id, change.get())
              + " (registration on "
              + topics.experiments()
              + ")");
    }
  }

  /**
   * The experiment's registration in force, read from the beginning of its partition to the end it
   * had when asked, as the salience-analyzer and the pruner settle it: the first readable
   * registration owns the id, a later one counts only with the same definition (the apps refuse the
   * others), and a tombstone frees the id.
   */
  static Optional<ExperimentSpec> current(
      Map<String, Object> config, LoopTopics topics, String id, Duration timeout) {
    Map<String, Object> c = new HashMap<>(ExperimentClient.clientProps(config));
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<byte[]> values = new ArrayList<>(); // null: a tombstone
    String topic = topics.experiments();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> partitions = consumer.partitionsFor(topic, timeout);
      if (partitions == null || partitions.isEmpty()) {
        return Optional.empty(); // the missing topic is named by the dependency check
      }
      TopicPartition tp =
          new TopicPartition(topic, ExperimentClient.partitionFor(id, partitions.size()));
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp), timeout).get(tp);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (consumer.position(tp, timeout) < end) {
        if (System.nanoTime() > deadline) {
          throw new UnavailableException(
              "cannot read "
                  + topic
                  + " to offset "
                  + end
                  + " within "
                  + timeout.toSeconds()
                  + " s (checking who runs experiment '"
                  + id
                  + "')");
        }
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (id.equals(r.key())) {
            values.add(r.value());
          }
        }
      }
    }
    ExperimentSpec owner = null;
    try (Deserializer<ExperimentSpec> d =
        EventSerdes.of(ExperimentSpec.class, config).deserializer()) {
      for (byte[] v : values) {
        if (v == null) {
          owner = null; // finished: the id is free
          continue;
        }
        ExperimentSpec spec;
        try {
          spec = d.deserialize(topic, v);
          PolicySpecs.validate(spec);
        } catch (RuntimeException e) {
          LOG.debug("experiment '{}': an unreadable registration on {} is ignored", id, topic, e);
          continue; // the apps dead-lettered it: it owns nothing
        }
        if (!id.equals(spec.getExperimentId())) {
          continue;
        }
        if (owner == null || PolicySpecs.definitionChange(owner, spec).isEmpty()) {
          owner = spec;
        }
      }
    }
    return Optional.ofNullable(owner);
  }
}
