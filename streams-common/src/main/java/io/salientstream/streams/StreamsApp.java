package io.salientstream.streams;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One lifecycle for every Streams application of the system: {@link #start} / {@link #close}.
 * Several apps can run in one JVM (the local demo) or one per process (production). Defaults:
 * {@code exactly_once_v2}, a commit interval of 20 ms (under exactly-once, output becomes visible
 * at commit, so this bounds the control-loop latency; see README) and a poll timeout of the same 20
 * ms (commits happen between polls), one stream thread. Any Kafka client property given by the
 * caller overrides them, so SASL, TLS and tuning pass straight through.
 */
public final class StreamsApp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);

  private final String applicationId;
  private final KafkaStreams streams;

  private StreamsApp(String applicationId, KafkaStreams streams) {
    this.applicationId = applicationId;
    this.streams = streams;
  }

  /**
   * The application id an app of {@code tenant} gets unless told otherwise: the tenant prefix
   * before {@code base} ({@code acme.} + {@code salientstream-pruner}). The application id names
   * the consumer group, the internal topics and the transactional ids, so two tenants' apps started
   * with default settings never join one group or restore each other's state; the default tenant
   * ("") keeps the plain ids.
   */
  public static String defaultApplicationId(String tenant, String base) {
    return (tenant == null ? "" : tenant) + base;
  }

  /** The Streams configuration used by {@link #start}: defaults, then the caller's properties. */
  public static Properties config(
      String applicationId, Path stateDir, Map<String, ?> kafkaProperties) {
    return config(applicationId, stateDir, kafkaProperties, Map.of());
  }

  /**
   * The Streams configuration: the common defaults, then {@code appDefaults} (an application's own
   * defaults, e.g. the pruner's shorter commit interval), then the caller's properties, which
   * override both.
   */
  public static Properties config(
      String applicationId,
      Path stateDir,
      Map<String, ?> kafkaProperties,
      Map<String, ?> appDefaults) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 20);
    // The stream thread commits only between polls, and an idle poll blocks for poll.ms (default
    // 100 ms): a record
    // processed less than commit.interval.ms after the last commit stayed invisible to
    // read_committed readers for
    // up to 100 ms. Polling no longer than the commit interval bounds that wait by the commit
    // interval.
    p.put(StreamsConfig.POLL_MS_CONFIG, 20);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
    // fetch.max.wait.ms stays Kafka's 500 ms: a waiting fetch is answered as soon as data (or, for
    // read_committed,
    // a transaction marker) arrives, so a short wait only adds empty fetches that cost the broker
    // CPU
    p.put(StreamsConfig.producerPrefix("linger.ms"), 0);
    p.putAll(appDefaults);
    p.putAll(LayeredConfig.kafkaClientProperties(kafkaProperties));
    return p;
  }

  /** Starts the topology and waits until it is RUNNING. */
  public static StreamsApp start(
      String applicationId, Topology topology, Properties config, Duration timeout) {
    KafkaStreams streams = new KafkaStreams(topology, config);
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("{}: stream thread failed, replacing it", applicationId, e);
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    streams.start();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (streams.state() == KafkaStreams.State.ERROR
          || streams.state() == KafkaStreams.State.NOT_RUNNING
          || System.nanoTime() > deadline) {
        KafkaStreams.State s = streams.state();
        streams.close(Duration.ofSeconds(5));
        throw new IllegalStateException(
            applicationId + " did not reach RUNNING within " + timeout + " (state " + s + ")");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        streams.close(Duration.ofSeconds(5));
        throw new IllegalStateException(applicationId + ": interrupted while starting", e);
      }
    }
    LOG.info("{} running", applicationId);
    return new StreamsApp(applicationId, streams);
  }

  public KafkaStreams streams() {
    return streams;
  }

  public String applicationId() {
    return applicationId;
  }

  public boolean isHealthy() {
    KafkaStreams.State s = streams.state();
    return s == KafkaStreams.State.RUNNING || s == KafkaStreams.State.REBALANCING;
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(10));
  }
}
