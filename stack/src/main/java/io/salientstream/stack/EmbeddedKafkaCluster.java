package io.salientstream.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka cluster of several KRaft nodes (each broker + controller, all voters of one
 * controller quorum) inside this JVM, for the chaos benchmark: replication factor and
 * min.insync.replicas as given, internal topics replicated likewise. Each node keeps its data in a
 * folder of its own under a temp folder (deleted on {@link #close()}), so a node that is {@link
 * #stop stopped} comes back on the same data with {@link #restart}.
 *
 * <p>A stopped node is shut down without a controlled shutdown ({@code
 * controlled.shutdown.enable=false}): it hands none of its partition leaderships over, and the
 * controller fences it only after its session times out — the closest to a crash an in-process
 * broker can come (its log files are still closed cleanly).
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {
  private final List<EmbeddedKafka> nodes = new ArrayList<>();
  private final Path root;

  private EmbeddedKafkaCluster(int size, int minInsync, Map<String, String> overrides) {
    if (size < 1 || size > 9) {
      throw new IllegalArgumentException("cluster size must be 1..9, got " + size);
    }
    if (minInsync < 1 || minInsync > size) {
      throw new IllegalArgumentException(
          "min.insync.replicas must be 1.." + size + ", got " + minInsync);
    }
    try {
      root = Files.createTempDirectory("salientstream-cluster-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temp folder for the cluster", e);
    }
    String clusterId = Uuid.randomUuid().toString();
    // 2 × size distinct ports, taken at once so that no two listeners share one
    int[] free = Ports.free(2 * size);
    int[] ports = new int[size];
    int[] controllerPorts = new int[size];
    for (int i = 0; i < size; i++) {
      ports[i] = free[2 * i];
      controllerPorts[i] = free[2 * i + 1];
    }
    String voters = "";
    for (int i = 0; i < size; i++) {
      voters += (i == 0 ? "" : ",") + (i + 1) + "@localhost:" + controllerPorts[i];
    }
    for (int i = 0; i < size; i++) {
      EmbeddedKafka.Builder b =
          node(
              root.resolve("node-" + (i + 1)),
              i + 1,
              voters,
              clusterId,
              ports[i],
              controllerPorts[i],
              size,
              minInsync);
      overrides.forEach(b::brokerProperty);
      nodes.add(b.build());
    }
  }

  /**
   * The settings of one node of a cluster of {@code size} (replication factor {@code size}, {@code
   * min.insync.replicas} {@code minInsync} for every topic, internal ones included; no controlled
   * shutdown; 6 s broker session): used here for in-process nodes and by the chaos benchmark for
   * nodes in JVMs of their own.
   *
   * @param voters the static controller quorum, {@code id@localhost:port,...}
   */
  public static EmbeddedKafka.Builder node(
      Path folder,
      int nodeId,
      String voters,
      String clusterId,
      int port,
      int controllerPort,
      int size,
      int minInsync) {
    String rf = Integer.toString(size);
    String isr = Integer.toString(minInsync);
    return EmbeddedKafka.builder()
        .folder(folder)
        .nodeId(nodeId)
        .quorumVoters(voters)
        .clusterId(clusterId)
        .port(port)
        .controllerPort(controllerPort)
        .brokerProperty("default.replication.factor", rf)
        .brokerProperty("min.insync.replicas", isr)
        .brokerProperty("offsets.topic.replication.factor", rf)
        .brokerProperty("transaction.state.log.replication.factor", rf)
        .brokerProperty("transaction.state.log.min.isr", isr)
        .brokerProperty("share.coordinator.state.topic.replication.factor", rf)
        .brokerProperty("share.coordinator.state.topic.min.isr", isr)
        .brokerProperty("controlled.shutdown.enable", "false")
        .brokerProperty("broker.session.timeout.ms", "6000")
        .brokerProperty("broker.heartbeat.interval.ms", "1000");
  }

  /** A cluster of {@code size} nodes with replication factor {@code size}. */
  public static EmbeddedKafkaCluster of(int size, int minInsync) {
    return new EmbeddedKafkaCluster(size, minInsync, Map.of());
  }

  /**
   * Starts every node (in parallel: a node waits for a quorum of controllers); returns when all
   * answer.
   */
  public EmbeddedKafkaCluster start() {
    List<CompletableFuture<Void>> starts = new ArrayList<>();
    for (EmbeddedKafka n : nodes) {
      starts.add(CompletableFuture.runAsync(n::start));
    }
    try {
      CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).join();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    return this;
  }

  public int size() {
    return nodes.size();
  }

  /** Every node's listener, comma-separated (also those of stopped nodes: clients skip them). */
  public String bootstrapServers() {
    return nodes.stream()
        .map(n -> "localhost:" + n.configuredPort())
        .collect(Collectors.joining(","));
  }

  /** Stops node {@code i} (0-based) without a controlled shutdown; its data stays. */
  public void stop(int i) {
    nodes.get(i).close();
  }

  /** Starts node {@code i} again on its data folder; returns when it answers clients. */
  public void restart(int i) {
    nodes.get(i).start();
  }

  public boolean isRunning(int i) {
    return nodes.get(i).isRunning();
  }

  /** Stops every node and deletes the data. */
  @Override
  public void close() {
    RuntimeException failure = null;
    for (EmbeddedKafka n : nodes) {
      try {
        n.close();
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp folder
    }
    if (failure != null) {
      throw failure;
    }
  }
}
