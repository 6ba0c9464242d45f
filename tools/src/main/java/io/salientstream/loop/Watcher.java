package io.salientstream.loop;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.TrainerStatus;
import io.salientstream.streams.EventSerdes;
import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A monitoring consumer: reads trainer status, salience reports, commands and dead letters of every
 * experiment (no consumer group, read_committed, every partition) and renders the {@link Monitor}
 * table.
 */
public final class Watcher implements AutoCloseable {

  private final KafkaConsumer<String, byte[]> consumer;
  private final LoopTopics topics;
  private final Monitor monitor = new Monitor();
  private final Deserializer<TrainerStatus> status;
  private final Deserializer<SalienceReport> reports;
  private final Deserializer<RankPruneCommand> commands;
  private final Deserializer<DeadLetter> deadLetters;
  private long undecodable;

  public Watcher(Map<String, Object> config, LoopTopics topics, boolean fromBeginning) {
    this.topics = topics;
    Map<String, Object> c = new HashMap<>(ExperimentClient.clientProps(config));
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> tps = new ArrayList<>();
    for (String t :
        List.of(
            topics.trainerStatus(),
            topics.salienceReports(),
            topics.rankCommands(),
            topics.deadLetters())) {
      for (PartitionInfo p : consumer.partitionsFor(t, Duration.ofSeconds(30))) {
        tps.add(new TopicPartition(t, p.partition()));
      }
    }
    consumer.assign(tps);
    if (fromBeginning) {
      consumer.seekToBeginning(tps);
    } else {
      consumer.seekToEnd(tps);
    }
    status = EventSerdes.of(TrainerStatus.class, config).deserializer();
    reports = EventSerdes.of(SalienceReport.class, config).deserializer();
    commands = EventSerdes.of(RankPruneCommand.class, config).deserializer();
    deadLetters = EventSerdes.of(DeadLetter.class, config).deserializer();
  }

  /** Polls once and folds what arrived; a record that cannot be decoded is counted, never fatal. */
  public int pollOnce(Duration wait) {
    int n = 0;
    for (ConsumerRecord<String, byte[]> r : consumer.poll(wait)) {
      n++;
      try {
        if (r.topic().equals(topics.trainerStatus())) {
          monitor.onStatus(status.deserialize(r.topic(), r.value()));
        } else if (r.topic().equals(topics.salienceReports())) {
          monitor.onReport(reports.deserialize(r.topic(), r.value()));
        } else if (r.topic().equals(topics.rankCommands())) {
          monitor.onCommand(commands.deserialize(r.topic(), r.value()));
        } else {
          monitor.onDeadLetter(r.key(), deadLetters.deserialize(r.topic(), r.value()));
        }
      } catch (RuntimeException e) {
        undecodable++;
        System.err.println(
            "watch: skipping undecodable record at "
                + r.topic()
                + "/"
                + r.partition()
                + "@"
                + r.offset()
                + ": "
                + e.getMessage());
      }
    }
    return n;
  }

  /** Reads until nothing new arrives for {@code quiet}, then returns. */
  public void catchUp(Duration quiet) {
    while (pollOnce(quiet) > 0) {
      // keep reading
    }
  }

  /** Redraws the table every {@code every} until the thread is interrupted. */
  public void follow(PrintStream out, Duration every) {
    while (!Thread.currentThread().isInterrupted()) {
      long until = System.nanoTime() + every.toNanos();
      while (System.nanoTime() < until) {
        pollOnce(Duration.ofMillis(100));
      }
      out.print("\033[H\033[2J");
      out.println("salientstream watch — " + LocalTime.now().withNano(0) + " (Ctrl-C to stop)");
      out.print(monitor.render());
      out.flush();
    }
  }

  /** Records that could not be decoded so far (skipped, each reported on stderr). */
  public long undecodable() {
    return undecodable;
  }

  public Monitor monitor() {
    return monitor;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
  }
}
