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

  /** A stream-thread failure older than this no longer makes the app unhealthy. */
  static final long FAILURE_MEMORY_MS = 60_000;

  /** The longest pause before a failed stream thread is replaced. */
  static final long MAX_BACKOFF_MS = 30_000;

  private final String applicationId;
  private final KafkaStreams streams;
  private final Failures failures;

  private StreamsApp(String applicationId, KafkaStreams streams, Failures failures) {
    this.applicationId = applicationId;
    this.streams = streams;
    this.failures = failures;
  }

  /**
   * Stream-thread failures in a row: each is logged as one line (the trace only at DEBUG), the
   * thread is replaced after a pause that doubles per failure in a row (1 s up to {@value
   * #MAX_BACKOFF_MS} ms), and the app reports unhealthy until a minute passes without one.
   */
  static final class Failures {
    private final String applicationId;
    private final long baseBackoffMs;
    private int inARow;
    private long lastMs = -1;
    private String last;
    private long total;

    Failures(String applicationId) {
      this(applicationId, 1000);
    }

    Failures(String applicationId, long baseBackoffMs) {
      this.applicationId = applicationId;
      this.baseBackoffMs = baseBackoffMs;
    }

    StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onFailure(Throwable e) {
      long backoff;
      synchronized (this) {
        long now = System.currentTimeMillis();
        inARow = lastMs >= 0 && now - lastMs < FAILURE_MEMORY_MS ? inARow + 1 : 1;
        lastMs = now;
        total++;
        last = describe(e);
        backoff = Math.min(MAX_BACKOFF_MS, baseBackoffMs << Math.min(inARow - 1, 15));
      }
      LOG.error(
          "{}: stream thread failed ({} in a row): {}; replacing it in {} ms (GET /health says"
              + " DOWN meanwhile)",
          applicationId,
          inARow,
          last,
          backoff);
      LOG.debug("{}: stream thread failure", applicationId, e);
      try {
        Thread.sleep(backoff);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** The last failure while it is recent, else null. */
    synchronized String recent() {
      return lastMs >= 0 && System.currentTimeMillis() - lastMs < FAILURE_MEMORY_MS
          ? last + " (" + inARow + " in a row)"
          : null;
    }

    synchronized long total() {
      return total;
    }

    /** The innermost cause's class and message, one line. */
    static String describe(Throwable e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String m = root.getMessage() == null ? "" : root.getMessage();
      int nl = m.indexOf('\n');
      return root.getClass().getSimpleName()
          + (m.isEmpty() ? "" : ": " + (nl < 0 ? m : m.substring(0, nl)));
    }
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
    Failures failures = new Failures(applicationId);
    streams.setUncaughtExceptionHandler(failures::onFailure);
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
    return new StreamsApp(applicationId, streams, failures);
  }

  public KafkaStreams streams() {
    return streams;
  }

  public String applicationId() {
    return applicationId;
  }

  /**
   * RUNNING or REBALANCING, and no stream thread failed within the last minute ({@link
   * #healthProblem}).
   */
  public boolean isHealthy() {
    return healthProblem() == null;
  }

  /** Why the app is unhealthy (one line), or null when it is healthy. */
  public String healthProblem() {
    KafkaStreams.State s = streams.state();
    if (s != KafkaStreams.State.RUNNING && s != KafkaStreams.State.REBALANCING) {
      return "Kafka Streams state " + s;
    }
    String f = failures.recent();
    return f == null ? null : "stream thread failed: " + f;
  }

  /** Stream-thread failures since the start. */
  public long streamThreadFailures() {
    return failures.total();
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(10));
  }
}
