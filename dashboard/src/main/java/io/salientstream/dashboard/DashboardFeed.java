package io.salientstream.dashboard;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.avro.TrainerStatus;
import io.salientstream.loop.LoopTopics;
import io.salientstream.streams.EventSerdes;
import io.salientstream.streams.LayeredConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's Kafka consumer: reads the six topics of a tenant (experiments, singular values,
 * salience reports, commands, trainer status, dead letters) from the beginning, read_committed,
 * every partition assigned to this one consumer, and folds each record into {@link DashboardState}.
 * It runs on a thread of its own until {@link #close}.
 *
 * <p>The consumer carries a group id ({@link #groupId}) only so that its position shows up in
 * Kafka's consumer-group tooling (lag per partition): it commits its position every few seconds,
 * but always starts from the beginning, because the views live in memory.
 *
 * <p>A record that cannot be decoded is counted and logged with its topic/partition/offset and
 * skipped; it never stops the feed. (Such records on the loop's input topics are the
 * salience-analyzer's to dead-letter; the dashboard shows those dead letters.)
 */
final class DashboardFeed implements Runnable, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DashboardFeed.class);

  private final KafkaConsumer<String, byte[]> consumer;
  private final LoopTopics topics;
  private final DashboardState state;
  private final Deserializer<ExperimentSpec> specs;
  private final Deserializer<SingularValueStep> steps;
  private final Deserializer<SalienceReport> reports;
  private final Deserializer<RankPruneCommand> commands;
  private final Deserializer<TrainerStatus> statuses;
  private final Deserializer<DeadLetter> deadLetters;
  private final Map<String, Counter> recordsByTopic = new HashMap<>();
  private final Counter undecodable;
  private final AtomicLong records = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean caughtUp;
  private volatile String failure;

  /** The consumer group id of a tenant's dashboard. */
  static String groupId(String tenant) {
    return (tenant == null ? "" : tenant) + "salientstream-dashboard";
  }

  DashboardFeed(
      Map<String, Object> config,
      LoopTopics topics,
      String tenant,
      DashboardState state,
      MeterRegistry meters) {
    this.topics = topics;
    this.state = state;
    Map<String, Object> c = new HashMap<>(LayeredConfig.kafkaClientProperties(config));
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId(tenant));
    c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, groupId(tenant));
    this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    specs = EventSerdes.of(ExperimentSpec.class, config).deserializer();
    steps = EventSerdes.of(SingularValueStep.class, config).deserializer();
    reports = EventSerdes.of(SalienceReport.class, config).deserializer();
    commands = EventSerdes.of(RankPruneCommand.class, config).deserializer();
    statuses = EventSerdes.of(TrainerStatus.class, config).deserializer();
    deadLetters = EventSerdes.of(DeadLetter.class, config).deserializer();
    for (String t : all()) {
      recordsByTopic.put(
          t,
          Counter.builder("salientstream_dashboard_records")
              .description("records folded into the dashboard's views, per topic")
              .tag("topic", t)
              .register(meters));
    }
    undecodable =
        Counter.builder("salientstream_dashboard_undecodable_records")
            .description("records the dashboard could not decode (skipped)")
            .register(meters);
    List<TopicPartition> tps = new ArrayList<>();
    for (String t : all()) {
      List<PartitionInfo> parts = consumer.partitionsFor(t, Duration.ofSeconds(30));
      if (parts == null || parts.isEmpty()) {
        consumer.close();
        throw new IllegalStateException(
            "topic "
                + t
                + " does not exist: create the tenant's topics first (salientstream topics create)");
      }
      for (PartitionInfo p : parts) {
        tps.add(new TopicPartition(t, p.partition()));
      }
    }
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
    thread = new Thread(this, "salientstream-dashboard-feed");
    thread.setDaemon(true);
  }

  private List<String> all() {
    return List.of(
        topics.experiments(),
        topics.singularValues(),
        topics.salienceReports(),
        topics.rankCommands(),
        topics.trainerStatus(),
        topics.deadLetters());
  }

  void start() {
    thread.start();
  }

  /** Records folded in so far. */
  long records() {
    return records.get();
  }

  /** Whether a poll has returned nothing since start (the history was read). */
  boolean caughtUp() {
    return caughtUp;
  }

  /** Null while healthy; the reason the feed stopped otherwise. */
  String failure() {
    return failure;
  }

  @Override
  public void run() {
    long lastCommit = System.nanoTime();
    try {
      while (running) {
        ConsumerRecords<String, byte[]> batch = consumer.poll(Duration.ofMillis(200));
        if (batch.isEmpty()) {
          caughtUp = true;
        }
        for (ConsumerRecord<String, byte[]> r : batch) {
          fold(r);
        }
        if (System.nanoTime() - lastCommit > 5_000_000_000L) {
          Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
          for (TopicPartition tp : consumer.assignment()) {
            positions.put(tp, new OffsetAndMetadata(consumer.position(tp)));
          }
          consumer.commitAsync(positions, null);
          lastCommit = System.nanoTime();
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      failure = e.toString();
      LOG.error("dashboard feed stopped", e);
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  void fold(ConsumerRecord<String, byte[]> r) {
    records.incrementAndGet();
    Counter c = recordsByTopic.get(r.topic());
    if (c != null) {
      c.increment();
    }
    if (r.value() == null) {
      return; // a tombstone
    }
    String t = r.topic();
    try {
      if (t.equals(topics.deadLetters())) {
        DeadLetter d = deadLetters.deserialize(t, r.value());
        ExperimentView v = r.key() == null ? null : state.find(r.key());
        if (v != null) {
          v.onDeadLetter(d);
        } else {
          state.onUnkeyedDeadLetter(r.key(), d);
        }
        return;
      }
      if (r.key() == null) {
        undecodable.increment();
        return;
      }
      ExperimentView v = state.view(r.key());
      if (v == null) {
        return;
      }
      if (t.equals(topics.singularValues())) {
        v.onStep(steps.deserialize(t, r.value()));
      } else if (t.equals(topics.trainerStatus())) {
        v.onStatus(statuses.deserialize(t, r.value()));
      } else if (t.equals(topics.salienceReports())) {
        v.onReport(reports.deserialize(t, r.value()));
      } else if (t.equals(topics.rankCommands())) {
        v.onCommand(commands.deserialize(t, r.value()), r.timestamp());
      } else if (t.equals(topics.experiments())) {
        v.onSpec(specs.deserialize(t, r.value()));
      }
    } catch (RuntimeException e) {
      undecodable.increment();
      LOG.warn(
          "dashboard: skipping undecodable record at {}/{}@{}: {}",
          r.topic(),
          r.partition(),
          r.offset(),
          e.getMessage());
    }
  }

  @Override
  public void close() {
    running = false;
    if (thread.getState() == Thread.State.NEW) {
      consumer.close(Duration.ofSeconds(2));
      return;
    }
    consumer.wakeup();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
