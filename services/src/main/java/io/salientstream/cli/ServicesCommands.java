package io.salientstream.cli;

import io.salientstream.analyzer.AnalyzerHttp;
import io.salientstream.analyzer.SalienceAnalyzer;
import io.salientstream.loop.LoopServices;
import io.salientstream.loop.LoopTopics;
import io.salientstream.pruner.Pruner;
import io.salientstream.pruner.PrunerHttp;
import io.salientstream.streams.Dependencies;
import io.salientstream.streams.LayeredConfig;
import io.salientstream.streams.OpsHttp;
import io.salientstream.streams.StreamsApp;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The two Streams applications of the control loop as long-running commands (one per process in
 * production).
 */
final class ServicesCommands {

  private ServicesCommands() {}

  static Map<String, Object> serdeConfig(LayeredConfig cfg) {
    return new TreeMap<>(cfg.serdeProperties());
  }

  /**
   * {@code --resume-snapshots} as a flag layer of {@link LayeredConfig} (absent when not given).
   */
  static Map<String, String> resumeSnapshotsFlag(Integer n) {
    Map<String, String> m = new HashMap<>();
    m.put(LayeredConfig.RESUME_SNAPSHOTS, n == null ? null : n.toString());
    return m;
  }

  /**
   * Before a service starts: its HTTP port is free, the broker answers, the tenant's topics exist
   * and the registry answers; otherwise one line naming what is missing (exit code 3).
   */
  static void requireDependencies(LayeredConfig cfg, List<String> topics, int httpPort) {
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("--http-port must be in 0..65535, got " + httpPort);
    }
    Dependencies.requirePortFree(httpPort, "HTTP endpoint", "--http-port");
    Map<String, Object> c = serdeConfig(cfg);
    Dependencies.requireBroker(c, Dependencies.DEFAULT_TIMEOUT);
    Dependencies.requireTopics(c, topics, cfg.tenant(), Dependencies.DEFAULT_TIMEOUT);
    Dependencies.requireRegistry(c, Dependencies.DEFAULT_TIMEOUT);
  }

  static void runUntilStopped(AutoCloseable... services) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  for (int i = services.length - 1; i >= 0; i--) {
                    try {
                      services[i].close();
                    } catch (Exception e) {
                      System.err.println("error while stopping: " + e.getMessage());
                    }
                  }
                  stopped.countDown();
                },
                "salientstream-stop"));
    stopped.await();
  }

  @Command(
      name = "analyzer",
      mixinStandardHelpOptions = true,
      description = "Run the salience-analyzer (Kafka Streams, exactly-once) until stopped.")
  static final class Analyzer implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Option(
        names = "--state-dir",
        defaultValue = "state/salience-analyzer",
        description = "Local state folder (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(
        names = "--application-id",
        description =
            "Streams application id (default: the tenant prefix + "
                + SalienceAnalyzer.DEFAULT_APPLICATION_ID
                + ", so tenants never share a consumer group).")
    String applicationId;

    @Option(
        names = "--http-port",
        defaultValue = "8091",
        description = "Port of GET /health and /metrics (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(
        names = "--resume-snapshots",
        paramLabel = "N",
        description =
            "Policy snapshots kept per experiment: a"
                + " trainer resumed from a checkpoint may start after the oldest (1: within the current window; 4: up to three"
                + " window ends back, keeping those windows' rows costs throughput). Setting "
                + LayeredConfig.RESUME_SNAPSHOTS
                + " (default 1); give the pruner the same value.")
    Integer resumeSnapshots;

    /**
     * {@code --application-id}, else the tenant's own ({@link StreamsApp#defaultApplicationId}).
     */
    String applicationId(LayeredConfig cfg) {
      return applicationId != null
          ? applicationId
          : StreamsApp.defaultApplicationId(cfg.tenant(), SalienceAnalyzer.DEFAULT_APPLICATION_ID);
    }

    /** The resolved settings: defaults < file < environment < flags. */
    LayeredConfig settings(Map<String, String> env) {
      return connection.resolve(env, resumeSnapshotsFlag(resumeSnapshots));
    }

    @Override
    public Integer call() throws Exception {
      LayeredConfig cfg = settings(System.getenv());
      LoopTopics topics = LoopTopics.forPrefix(cfg.tenant());
      requireDependencies(
          cfg,
          List.of(
              topics.experiments(),
              topics.singularValues(),
              topics.salienceReports(),
              topics.deadLetters()),
          httpPort);
      Map<String, Object> config = serdeConfig(cfg);
      SalienceAnalyzer analyzer =
          SalienceAnalyzer.start(
              config,
              LoopServices.analyzerTopics(LoopTopics.forPrefix(cfg.tenant())),
              stateDir,
              applicationId(cfg));
      OpsHttp.Settings httpSettings = cfg.httpSettings(httpPort);
      AnalyzerHttp http = new AnalyzerHttp(analyzer, httpSettings);
      System.out.println(
          "salience-analyzer running against "
              + cfg.bootstrapServers()
              + "; http://"
              + httpSettings.host()
              + ":"
              + http.port()
              + "/health, /metrics; Ctrl-C stops it");
      runUntilStopped(analyzer, http);
      return 0;
    }
  }

  @Command(
      name = "pruner",
      mixinStandardHelpOptions = true,
      description =
          "Run the pruner (Kafka Streams, exactly-once) with its HTTP endpoint until stopped.")
  static final class PrunerCmd implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Option(
        names = "--state-dir",
        defaultValue = "state/pruner",
        description = "Local state folder (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(
        names = "--application-id",
        description =
            "Streams application id (default: the tenant prefix + "
                + Pruner.DEFAULT_APPLICATION_ID
                + ", so tenants never share a consumer group).")
    String applicationId;

    @Option(
        names = "--http-port",
        defaultValue = "8090",
        description =
            "Port of GET /experiments/{id}/ranks, /health, /metrics (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(
        names = "--resume-snapshots",
        paramLabel = "N",
        description =
            "The analyzer's setting "
                + LayeredConfig.RESUME_SNAPSHOTS
                + " (default 1): the pruner keeps at least that many rank patterns (and at"
                + " least 4), so it accepts every resume the analyzer accepts.")
    Integer resumeSnapshots;

    /**
     * {@code --application-id}, else the tenant's own ({@link StreamsApp#defaultApplicationId}).
     */
    String applicationId(LayeredConfig cfg) {
      return applicationId != null
          ? applicationId
          : StreamsApp.defaultApplicationId(cfg.tenant(), Pruner.DEFAULT_APPLICATION_ID);
    }

    /** The resolved settings: defaults < file < environment < flags. */
    LayeredConfig settings(Map<String, String> env) {
      return connection.resolve(env, resumeSnapshotsFlag(resumeSnapshots));
    }

    @Override
    public Integer call() throws Exception {
      LayeredConfig cfg = settings(System.getenv());
      LoopTopics topics = LoopTopics.forPrefix(cfg.tenant());
      requireDependencies(
          cfg,
          List.of(
              topics.experiments(),
              topics.salienceReports(),
              topics.rankCommands(),
              topics.deadLetters()),
          httpPort);
      Map<String, Object> config = serdeConfig(cfg);
      config.putIfAbsent("application.server", "localhost:" + httpPort);
      Pruner pruner =
          Pruner.start(
              config,
              LoopServices.prunerTopics(topics),
              stateDir,
              applicationId(cfg),
              Versions.code());
      OpsHttp.Settings httpSettings = cfg.httpSettings(httpPort);
      PrunerHttp http = new PrunerHttp(pruner, httpSettings, config, topics.experiments());
      System.out.println(
          "pruner running against "
              + cfg.bootstrapServers()
              + "; http://"
              + httpSettings.host()
              + ":"
              + http.port()
              + "/experiments/{id}/ranks, /health, /metrics; Ctrl-C stops it");
      runUntilStopped(pruner, http);
      return 0;
    }
  }
}
