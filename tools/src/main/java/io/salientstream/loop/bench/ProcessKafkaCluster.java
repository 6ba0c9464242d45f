package io.salientstream.loop.bench;

import io.salientstream.stack.EmbeddedKafka;
import io.salientstream.stack.EmbeddedKafkaCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka cluster of several KRaft nodes (each broker + controller, all voters of one static
 * controller quorum), each node in a JVM of its own, so that {@link #kill} is a real SIGKILL of a
 * broker ({@link Process#destroyForcibly()}: no controlled shutdown, no flush, log segments and
 * indexes left as they were) and {@link #restart} starts a new JVM on the same data folder and
 * ports (the broker recovers its logs as after a crash). A node's settings are those of {@link
 * EmbeddedKafkaCluster#node}: replication factor = cluster size, {@code min.insync.replicas} as
 * given, for every topic. A node's output goes to {@code <root>/broker-<id>.log}.
 */
final class ProcessKafkaCluster implements AutoCloseable {

  private final List<ChildJvm> nodes = new ArrayList<>();
  private final int[] ports;

  ProcessKafkaCluster(Path root, int size, int minInsync) {
    if (size < 1 || size > 9 || minInsync < 1 || minInsync > size) {
      throw new IllegalArgumentException(
          "cluster size must be 1..9 and min.insync.replicas 1..size, got "
              + size
              + " and "
              + minInsync);
    }
    String clusterId = Uuid.randomUuid().toString();
    ports = new int[size];
    int[] controllerPorts = new int[size];
    for (int i = 0; i < size; i++) {
      ports[i] = freePort();
      controllerPorts[i] = freePort();
    }
    StringBuilder voters = new StringBuilder();
    for (int i = 0; i < size; i++) {
      voters
          .append(i == 0 ? "" : ",")
          .append(i + 1)
          .append("@localhost:")
          .append(controllerPorts[i]);
    }
    for (int i = 0; i < size; i++) {
      int id = i + 1;
      nodes.add(
          new ChildJvm(
              "broker-" + id,
              root.resolve("broker-" + id + ".log"),
              List.of("-Xmx512m", "-XX:+UseSerialGC"),
              ProcessKafkaCluster.class.getName(),
              List.of(
                  root.resolve("node-" + id).toString(),
                  Integer.toString(id),
                  voters.toString(),
                  clusterId,
                  Integer.toString(ports[i]),
                  Integer.toString(controllerPorts[i]),
                  Integer.toString(size),
                  Integer.toString(minInsync))));
    }
  }

  /** Starts every node (in parallel: a node waits for a quorum of controllers). */
  ProcessKafkaCluster start() {
    try {
      CompletableFuture.allOf(
              nodes.stream()
                  .map(n -> CompletableFuture.runAsync(() -> n.start(240)))
                  .toArray(CompletableFuture[]::new))
          .join();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    return this;
  }

  int size() {
    return nodes.size();
  }

  /** Every node's listener, comma-separated (also those of killed nodes: clients skip them). */
  String bootstrapServers() {
    List<String> l = new ArrayList<>();
    for (int p : ports) {
      l.add("localhost:" + p);
    }
    return l.stream().collect(Collectors.joining(","));
  }

  /**
   * SIGKILLs node {@code i} (0-based); returns once its JVM is gone, with the JVM's exit code (137
   * after a SIGKILL). Its data folder stays.
   */
  int kill(int i) {
    return nodes.get(i).kill();
  }

  /** Starts node {@code i} again in a new JVM on its data folder; returns when it answers. */
  void restart(int i) {
    nodes.get(i).start(240);
  }

  /** Kills every node (the data folders are the caller's, under its root). */
  @Override
  public void close() {
    for (ChildJvm n : nodes) {
      n.kill();
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("localhost", 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free local port", e);
    }
  }

  /**
   * One node, in its own JVM (started through {@link ChildJvm#main}): {@code folder nodeId voters
   * clusterId port controllerPort size minInsync}. Prints {@code READY} once it answers clients and
   * runs until killed. A start that fails (a restart after SIGKILL on a loaded machine may take
   * longer than the broker's 30 s readiness wait) is tried twice more.
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 8) {
      System.err.println(
          "usage: ProcessKafkaCluster folder nodeId voters clusterId port controllerPort size"
              + " minInsync");
      System.exit(2);
    }
    Path folder = Path.of(args[0]);
    Files.createDirectories(folder);
    EmbeddedKafka node =
        EmbeddedKafkaCluster.node(
                folder,
                Integer.parseInt(args[1]),
                args[2],
                args[3],
                Integer.parseInt(args[4]),
                Integer.parseInt(args[5]),
                Integer.parseInt(args[6]),
                Integer.parseInt(args[7]))
            .build();
    for (int attempt = 1; ; attempt++) {
      try {
        node.start();
        break;
      } catch (RuntimeException e) {
        System.out.println("broker start " + attempt + " failed: " + e);
        if (attempt == 3) {
          throw e;
        }
      }
    }
    System.out.println("READY");
    System.out.flush();
    new CountDownLatch(1).await(); // until SIGKILLed, or halted when the bench is gone
  }
}
