package io.salientstream.stack;

import java.nio.file.Path;
import java.util.Properties;

/**
 * One lifecycle for everything SalientStream runs: start against a Kafka cluster with a state
 * folder and settings, stop cleanly. Several services can share one JVM (the local stack, tests) or
 * run one per process.
 */
public interface Service {

  /** Short name for logs. */
  String name();

  /**
   * Starts the service; returns once it is ready to serve.
   *
   * @param bootstrapServers Kafka bootstrap servers
   * @param stateDir a folder the service may keep state in (may be {@code null} for stateless ones)
   * @param config service settings
   */
  void start(String bootstrapServers, Path stateDir, Properties config);

  /** Stops the service and releases what it holds; safe to call twice. */
  void stop();
}
