package io.salientstream.cli;

import com.sun.net.httpserver.HttpServer;
import io.salientstream.stack.EmbeddedKafka;
import io.salientstream.stack.RegistryService;
import io.salientstream.streams.LayeredConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The platform's two servers as separate long-running commands, one per process or container: a
 * single-node KRaft broker ({@code broker}) and the schema registry ({@code registry}). {@code
 * local} runs both in one process for a laptop; these are what the container images run. Each has
 * {@code GET /health} on its own HTTP port.
 */
final class PlatformCommands {

  private PlatformCommands() {}

  static void checkPort(String option, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(option + " " + port + " is out of range 0..65535");
    }
  }

  /** {@code GET /health}: 200 {"status":"UP"} while {@code up} says so, else 503. */
  static HttpServer health(int port, BooleanSupplier up) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext(
        "/health",
        ex -> {
          boolean ok;
          try {
            ok = up.getAsBoolean();
          } catch (RuntimeException e) {
            ok = false;
          }
          byte[] body =
              ("{\"status\":\"" + (ok ? "UP" : "DOWN") + "\"}").getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("Content-Type", "application/json");
          ex.sendResponseHeaders(ok ? 200 : 503, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    return server;
  }

  @Command(
      name = "broker",
      mixinStandardHelpOptions = true,
      description =
          "Run a single-node Kafka broker (KRaft, broker + controller) until stopped; data and cluster id"
              + " persist in --data-dir.")
  static final class Broker implements Callable<Integer> {
    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        defaultValue = "broker-data",
        description = "Folder for the broker's data and cluster id (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
        names = "--advertised-host",
        paramLabel = "HOST",
        defaultValue = "localhost",
        description =
            "Host name clients reach the broker by, e.g. the container's name on its network (default:"
                + " ${DEFAULT-VALUE}).")
    String advertisedHost;

    @Option(
        names = "--bind",
        paramLabel = "ADDRESS",
        defaultValue = "0.0.0.0",
        description = "Address the listeners bind to (default: ${DEFAULT-VALUE}: every interface).")
    String bind;

    @Option(
        names = "--kafka-port",
        defaultValue = "9092",
        description = "Broker port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
        names = "--controller-port",
        defaultValue = "9093",
        description = "KRaft controller port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(
        names = "--http-port",
        defaultValue = "8092",
        description = "Port of GET /health (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Override
    public Integer call() throws Exception {
      checkPort("--kafka-port", kafkaPort);
      checkPort("--controller-port", controllerPort);
      checkPort("--http-port", httpPort);
      if (kafkaPort == 0 || controllerPort == 0) {
        throw new IllegalArgumentException("--kafka-port and --controller-port need fixed ports");
      }
      EmbeddedKafka kafka =
          EmbeddedKafka.builder()
              .folder(dataDir)
              .host(advertisedHost)
              .port(kafkaPort)
              .controllerPort(controllerPort)
              .brokerProperty(
                  "listeners",
                  "PLAINTEXT://"
                      + bind
                      + ":"
                      + kafkaPort
                      + ",CONTROLLER://"
                      + bind
                      + ":"
                      + controllerPort)
              .brokerProperty("controller.quorum.voters", "1@localhost:" + controllerPort)
              .build();
      kafka.start();
      Properties p = new Properties();
      p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:" + kafkaPort);
      Admin admin = Admin.create(p);
      HttpServer http =
          health(
              httpPort,
              () -> {
                try {
                  admin
                      .describeCluster(new DescribeClusterOptions().timeoutMs(2000))
                      .clusterId()
                      .get(3, TimeUnit.SECONDS);
                  return true;
                } catch (Exception e) {
                  return false;
                }
              });
      System.out.printf(
          "broker ready in %d ms: %s (cluster %s, data %s); http://localhost:%d/health;"
              + " Ctrl-C stops it%n",
          kafka.readyMillis(),
          kafka.bootstrapServers(),
          kafka.clusterId(),
          dataDir.toAbsolutePath(),
          http.getAddress().getPort());
      System.out.flush();
      ServicesCommands.runUntilStopped(kafka, admin, () -> http.stop(0));
      return 0;
    }
  }

  @Command(
      name = "registry",
      mixinStandardHelpOptions = true,
      description =
          "Run the schema registry (Confluent REST API; schemas kept in a compacted Kafka topic) until"
              + " stopped. Run one per schema topic.")
  static final class Registry implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Option(
        names = "--port",
        defaultValue = "8081",
        description = "Registry port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
        names = "--bind",
        paramLabel = "ADDRESS",
        defaultValue = "0.0.0.0",
        description = "Address the registry binds to (default: ${DEFAULT-VALUE}: every interface).")
    String bind;

    @Option(
        names = "--topic",
        defaultValue = "_schemas",
        description = "Compacted topic holding the schemas (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(
        names = "--replication-factor",
        defaultValue = "1",
        description = "Replication factor of the schema topic when it is created (default: 1).")
    short replicationFactor;

    @Option(
        names = "--http-port",
        defaultValue = "8083",
        description = "Port of GET /health (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Override
    public Integer call() throws Exception {
      checkPort("--port", port);
      checkPort("--http-port", httpPort);
      LayeredConfig cfg = connection.resolve(Map.of());
      Properties p = new Properties();
      p.setProperty(RegistryService.PORT, Integer.toString(port));
      p.setProperty(RegistryService.HOST, bind);
      p.setProperty(RegistryService.TOPIC, topic);
      p.setProperty(RegistryService.REPLICATION_FACTOR, Short.toString(replicationFactor));
      // the broker's security settings (SASL, TLS) go to the registry's own Kafka clients
      cfg.kafkaProperties().forEach((k, v) -> p.setProperty("kafka." + k, String.valueOf(v)));
      p.remove("kafka." + AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
      RegistryService registry = new RegistryService();
      long t0 = System.nanoTime();
      registry.start(cfg.bootstrapServers(), null, p);
      HttpServer http = health(httpPort, registry::isRunning);
      System.out.printf(
          "schema registry ready in %d ms at %s (topic %s on %s); http://localhost:%d/health;"
              + " Ctrl-C stops it%n",
          Duration.ofNanos(System.nanoTime() - t0).toMillis(),
          registry.url(),
          topic,
          cfg.bootstrapServers(),
          http.getAddress().getPort());
      System.out.flush();
      ServicesCommands.runUntilStopped(registry::stop, () -> http.stop(0));
      return 0;
    }
  }
}
