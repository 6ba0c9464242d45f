package io.salientstream.cli;

import io.salientstream.stack.EmbeddedKafka;
import io.salientstream.stack.LocalStack;
import io.salientstream.streams.Dependencies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code salientstream local}: the local platform in the foreground — a real KRaft broker and the
 * schema registry on fixed ports with a persisted data folder, the system's topics created. Stops
 * cleanly on SIGINT/SIGTERM; the next start reuses the folder (topics, schemas and data survive).
 */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    description =
        "Start a local Kafka broker (KRaft) + schema registry in the foreground; Ctrl-C stops it.")
final class LocalCommand implements Callable<Integer> {

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      defaultValue = "local-data",
      description =
          "Folder for broker data, cluster id and logs; reused on the next start (default: ${DEFAULT-VALUE}).")
  Path dataDir;

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
      names = "--registry-port",
      defaultValue = "8081",
      description = "Schema registry port (default: ${DEFAULT-VALUE}).")
  int registryPort;

  @Option(
      names = "--tenant",
      paramLabel = "PREFIX",
      defaultValue = "",
      description = "Topic-name prefix of the tenant whose topics are created.")
  String tenant;

  @Option(
      names = "--secure",
      description =
          "SASL_SSL (SCRAM-SHA-512) with ACLs required for everything, a CA and certificates made at"
              + " the first start in <data-dir>/kafka/tls, a registry over HTTPS requiring basic auth;"
              + " the admin's client file is <data-dir>/kafka/admin.properties (owner-only).")
  boolean secure;

  @Override
  public Integer call() throws Exception {
    for (int port : new int[] {kafkaPort, controllerPort, registryPort}) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is out of range 1..65535");
      }
    }
    // before the broker starts: a port in use is one line, not a broker start-up trace
    Dependencies.requirePortFree(kafkaPort, "Kafka broker", "--kafka-port");
    Dependencies.requirePortFree(controllerPort, "KRaft controller", "--controller-port");
    Dependencies.requirePortFree(registryPort, "schema registry", "--registry-port");
    LocalStack.Builder builder =
        LocalStack.builder()
            .folder(dataDir)
            .kafkaPort(kafkaPort)
            .controllerPort(controllerPort)
            .registryPort(registryPort)
            .topicPrefix(tenant);
    if (secure) {
      builder.secure();
    }
    LocalStack stack = builder.build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("stopping...");
                  stack.close();
                  System.out.println("stopped");
                  stopped.countDown();
                },
                "salientstream-local-stop"));
    stack.start();
    System.out.println("Kafka bootstrap servers: " + stack.bootstrapServers());
    System.out.println("Schema registry URL:     " + stack.registryUrl());
    System.out.println("Data folder:             " + dataDir.toAbsolutePath());
    if (secure) {
      Path kafkaDir = stack.kafka().folder();
      Path adminFile = kafkaDir.resolve("admin.properties");
      TenantCommand.writeAdminFile(
          adminFile,
          stack.kafka().adminClientProperties(),
          stack.registryUrl(),
          stack.kafka().caPem(),
          Files.readString(kafkaDir.resolve(EmbeddedKafka.ADMIN_PASSWORD_FILE)).trim());
      System.out.println("Secure:                  SASL_SSL + SCRAM-SHA-512, ACLs required");
      System.out.println("CA certificate:          " + stack.kafka().caPem());
      System.out.println("Admin client config:     " + adminFile + " (use with --config)");
      System.out.println("Registry users:          " + stack.registryUsersFile());
    }
    System.out.println("Topics:                  " + String.join(", ", stack.topics().names()));
    System.out.printf("Ready in %d ms. Press Ctrl-C to stop.%n", stack.readyMillis());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
