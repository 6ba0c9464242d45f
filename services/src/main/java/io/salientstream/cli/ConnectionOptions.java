package io.salientstream.cli;

import io.salientstream.streams.LayeredConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Options shared by every subcommand that talks to Kafka (a picocli mixin). Resolution order,
 * lowest first: defaults, {@code --config} file (or {@code SALIENTSTREAM_CONFIG}), environment
 * ({@code KAFKA_*}, {@code SALIENTSTREAM_*}), flags.
 */
public final class ConnectionOptions {

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Properties file with Kafka client properties and salientstream.* settings (default: $SALIENTSTREAM_CONFIG).")
  Path configFile;

  @Option(
      names = {"-b", "--bootstrap-servers"},
      paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers (default: localhost:9092).")
  String bootstrapServers;

  @Option(
      names = "--registry-url",
      paramLabel = "URL",
      description = "Schema registry URL (default: http://localhost:8081).")
  String registryUrl;

  @Option(
      names = "--tenant",
      paramLabel = "NAME",
      description = "Tenant: prefixes every topic name (default: none).")
  String tenant;

  @Option(
      names = "--kafka-config",
      paramLabel = "KEY=VALUE",
      description =
          "Kafka client property passed through to every client (repeatable), e.g. security.protocol=SASL_SSL.")
  List<String> kafkaConfig = new ArrayList<>();

  /** Resolves the layered configuration against the real environment. */
  public LayeredConfig resolve() {
    return resolve(System.getenv(), Map.of());
  }

  /**
   * The same, with the command's own flags for settings ({@code key → value}, null when the flag
   * was not given).
   */
  LayeredConfig resolve(Map<String, String> commandFlags) {
    return resolve(System.getenv(), commandFlags);
  }

  LayeredConfig resolve(Map<String, String> env, Map<String, String> commandFlags) {
    Path file = configFile;
    if (file == null && env.get("SALIENTSTREAM_CONFIG") != null) {
      file = Path.of(env.get("SALIENTSTREAM_CONFIG"));
    }
    Map<String, String> flags = new HashMap<>();
    flags.put("bootstrap.servers", bootstrapServers);
    flags.put(LayeredConfig.REGISTRY_URL, registryUrl);
    flags.put(LayeredConfig.TENANT, tenant);
    flags.putAll(commandFlags);
    return LayeredConfig.resolve(file, env, flags, kafkaConfig);
  }
}
