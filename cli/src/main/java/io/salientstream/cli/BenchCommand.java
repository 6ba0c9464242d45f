package io.salientstream.cli;

import io.salientstream.core.cli.ExitCodes;
import io.salientstream.dashboard.DashboardBenchmark;
import io.salientstream.loop.Demo;
import io.salientstream.loop.bench.ChaosBenchmark;
import io.salientstream.loop.bench.LoopBenchmark;
import io.salientstream.loop.bench.SoakBenchmark;
import io.salientstream.stack.LocalStack;
import io.salientstream.streams.LayeredConfig;
import io.salientstream.trainer.bench.BenchPoliciesCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.Utils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code salientstream bench ...}: benchmarks that report numbers (not tests). */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks (numbers, not tests).",
    subcommands = {
      BenchCommand.Loop.class,
      BenchCommand.DashboardBench.class,
      BenchCommand.Chaos.class,
      BenchCommand.Soak.class,
      BenchPoliciesCommand.class
    })
final class BenchCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    System.err.println(
        "name a benchmark: salientstream bench loop|chaos|soak|dashboard|policies (see --help)");
    return 2;
  }

  @Command(
      name = "loop",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Control-loop benchmark: window-end → command latency of concurrent synthetic SalientLoRA trainers"
            + " (sync mode), and salience-analyzer throughput against a plain Kafka Streams pass-through on the same records.",
        "Without --bootstrap-servers (or a config file / KAFKA_BOOTSTRAP_SERVERS) it starts an in-process broker and"
            + " registry. Topics are created under a per-run prefix and deleted afterwards."
      })
  static final class Loop implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Option(
        names = "--experiments",
        defaultValue = "20",
        description = "Concurrent synthetic trainers (default: ${DEFAULT-VALUE}).")
    int experiments;

    @Option(
        names = "--matrices",
        defaultValue = "72",
        description = "Adapted matrices per experiment (default: ${DEFAULT-VALUE}).")
    int matrices;

    @Option(
        names = "--per-layer",
        defaultValue = "6",
        description = "Adapted matrices per layer (default: ${DEFAULT-VALUE}).")
    int perLayer;

    @Option(
        names = "--rank",
        defaultValue = "15",
        description = "Initial rank per matrix; N = matrices x rank (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(
        names = "--steps",
        defaultValue = "300",
        description = "Steps per latency experiment (default: ${DEFAULT-VALUE}).")
    long steps;

    @Option(
        names = "--warmup",
        defaultValue = "20",
        description = "Initial warm-up steps (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(
        names = "--final-steps",
        defaultValue = "40",
        description = "Final fixed-budget steps (default: ${DEFAULT-VALUE}).")
    long finalSteps;

    @Option(
        names = "--t-init",
        defaultValue = "5",
        description = "Initial window length (default: ${DEFAULT-VALUE}).")
    int tInit;

    @Option(
        names = "--t-final",
        defaultValue = "20",
        description = "Final window length (default: ${DEFAULT-VALUE}).")
    int tFinal;

    @Option(
        names = "--step-interval-ms",
        defaultValue = "30",
        description = "Pause of each trainer between steps (default: ${DEFAULT-VALUE}).")
    long stepIntervalMs;

    @Option(
        names = "--start-spread-ms",
        defaultValue = "30",
        description =
            "Trainer i starts i/E of this late;"
                + " the default (one step interval) makes every window end a burst of E decisions (default: ${DEFAULT-VALUE}).")
    long startSpreadMs;

    @Option(
        names = "--throughput-experiments",
        defaultValue = "4",
        description = "Experiments in the throughput phase (default: ${DEFAULT-VALUE}).")
    int throughputExperiments;

    @Option(
        names = "--throughput-records",
        defaultValue = "120000",
        description = "Singular-value events in the throughput phase (default: ${DEFAULT-VALUE}).")
    int throughputRecords;

    @Option(
        names = "--throughput-t-init",
        defaultValue = "10",
        description = "Initial window length, throughput phase (default: ${DEFAULT-VALUE}).")
    int throughputTInit;

    @Option(
        names = "--throughput-t-final",
        defaultValue = "200",
        description = "Final window length, throughput phase (default: ${DEFAULT-VALUE}).")
    int throughputTFinal;

    @Option(
        names = "--warmup-rounds",
        defaultValue = "3",
        description =
            "Unmeasured rounds the latency phase runs at"
                + " least before the measured one, so the loop is measured in steady state: with 1 the JIT compilers were"
                + " still busy in the measured round (default: ${DEFAULT-VALUE}).")
    int warmupRounds;

    @Option(
        names = "--warmup-jit-share",
        defaultValue = "0.25",
        description =
            "After the minimum, warm-up rounds go on"
                + " (up to "
                + LoopBenchmark.MAX_WARMUP_ROUNDS
                + ") while the JIT compilers spent more than this share of the"
                + " last round's wall time compiling; the table shows JIT and GC time per round (default: ${DEFAULT-VALUE}).")
    double warmupJitShare;

    @Option(
        names = "--sync-timeout-s",
        defaultValue = "60",
        description = "How long a trainer waits for a command (default: ${DEFAULT-VALUE}).")
    long syncTimeoutS;

    @Option(
        names = "--resume-snapshots",
        paramLabel = "N",
        description =
            "The analyzer's policy snapshots kept per"
                + " experiment, as `salientstream analyzer --resume-snapshots` (setting "
                + LayeredConfig.RESUME_SNAPSHOTS
                + ", default 1).")
    Integer resumeSnapshots;

    @Option(
        names = "--only",
        paramLabel = "PHASE",
        description = "Run one phase only: latency or throughput (default: both).")
    String only;

    @Option(
        names = "--report",
        paramLabel = "FILE",
        description = "Also write all numbers and settings as JSON.")
    Path report;

    @Override
    public Integer call() throws Exception {
      LoopBenchmark.Settings settings =
          new LoopBenchmark.Settings(
              experiments,
              matrices,
              perLayer,
              rank,
              steps,
              warmup,
              finalSteps,
              tInit,
              tFinal,
              stepIntervalMs,
              startSpreadMs,
              throughputExperiments,
              throughputRecords,
              throughputTInit,
              throughputTFinal,
              warmupRounds,
              warmupJitShare,
              Duration.ofSeconds(syncTimeoutS));
      if (only != null && !only.equals("latency") && !only.equals("throughput")) {
        throw new IllegalArgumentException(
            "--only must be latency or throughput, got '" + only + "'");
      }
      LayeredConfig cfg = connection.resolve(ServicesCommands.resumeSnapshotsFlag(resumeSnapshots));
      boolean local = "default".equals(cfg.originOf("bootstrap.servers"));
      LocalStack stack = null;
      Path state = Files.createTempDirectory("salientstream-bench-");
      try {
        Map<String, Object> config;
        if (local) {
          stack = LocalStack.ephemeral().start();
          System.out.println(
              "in-process broker "
                  + stack.bootstrapServers()
                  + " and registry "
                  + stack.registryUrl()
                  + " ready in "
                  + stack.readyMillis()
                  + " ms");
          config =
              new TreeMap<>(
                  ServicesCommands.serdeConfig(cfg)); // --kafka-config settings still apply
          config.putAll(stack.clientConfig());
        } else {
          config = ServicesCommands.serdeConfig(cfg);
        }
        LoopBenchmark.Result result =
            new LoopBenchmark(config, settings, state, System.out)
                .run(
                    only == null || only.equals("latency"),
                    only == null || only.equals("throughput"));
        System.out.println();
        System.out.print(LoopBenchmark.table(result));
        if (report != null) {
          LoopBenchmark.writeJson(result, report);
          System.out.println("report: " + report);
        }
        return 0;
      } finally {
        if (stack != null) {
          stack.close();
        }
        deleteTree(state);
      }
    }

    private static void deleteTree(Path root) {
      try {
        Utils.delete(root.toFile());
      } catch (IOException e) {
        System.err.println("could not delete " + root + ": " + e.getMessage());
      }
    }
  }

  @Command(
      name = "dashboard",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Dashboard benchmark: synthetic experiments write steps (plus a report and a command per window and a status"
            + " every 10 steps) at a fixed rate while the dashboard follows them; reports its ingest rate, whether it fell"
            + " behind, and the delay from a step event to a live-stream client (as the page) receiving it.",
        "Without --bootstrap-servers (or a config file / KAFKA_BOOTSTRAP_SERVERS) it starts an in-process broker and"
            + " registry; topics get a per-run prefix."
      })
  static final class DashboardBench implements Callable<Integer> {
    @Mixin ConnectionOptions connection;

    @Option(
        names = "--experiments",
        defaultValue = "100",
        description = "Concurrent synthetic experiments (default: ${DEFAULT-VALUE}).")
    int experiments;

    @Option(
        names = "--steps-per-second",
        defaultValue = "10",
        description = "Steps per second of each experiment (default: ${DEFAULT-VALUE}).")
    double stepsPerSecond;

    @Option(
        names = "--seconds",
        defaultValue = "60",
        description = "How long the experiments write (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(
        names = "--layers",
        defaultValue = "4",
        description = "Layers of six adapted matrices per experiment (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(
        names = "--rank",
        defaultValue = "8",
        description = "Initial rank per matrix (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(
        names = "--window",
        defaultValue = "20",
        description = "Steps between window ends (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(
        names = "--report",
        paramLabel = "FILE",
        description = "Also write the numbers as JSON.")
    Path report;

    @Override
    public Integer call() throws Exception {
      if (experiments < 1
          || stepsPerSecond <= 0
          || seconds < 1
          || layers < 1
          || rank < 1
          || window < 2) {
        throw new IllegalArgumentException(
            "--experiments, --seconds, --layers, --rank must be >= 1, --steps-per-second > 0,"
                + " --window >= 2");
      }
      LayeredConfig cfg = connection.resolve();
      boolean local = "default".equals(cfg.originOf("bootstrap.servers"));
      LocalStack stack = null;
      try {
        Map<String, Object> config = new TreeMap<>(ServicesCommands.serdeConfig(cfg));
        if (local) {
          stack = LocalStack.ephemeral().start();
          System.out.println(
              "in-process broker "
                  + stack.bootstrapServers()
                  + " and registry "
                  + stack.registryUrl()
                  + " ready in "
                  + stack.readyMillis()
                  + " ms");
          config.putAll(stack.clientConfig());
        }
        Map<String, Object> result =
            DashboardBenchmark.run(
                config,
                new DashboardBenchmark.Settings(
                    experiments, stepsPerSecond, seconds, layers, rank, window),
                System.out);
        System.out.println();
        System.out.print(DashboardBenchmark.table(result));
        if (report != null) {
          Demo.writeReport(report, result);
          System.out.println("report: " + report);
        }
        return 0;
      } finally {
        if (stack != null) {
          stack.close();
        }
      }
    }
  }

  @Command(
      name = "chaos",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Scale-out under failures: 3 KRaft brokers (replication 3, min.insync.replicas 2), 3 analyzer and 2 pruner"
            + " instances, each in a JVM of its own (standby replicas), concurrent synthetic SalientLoRA trainers in"
            + " sync mode (N = 1080) and optionally real ones, random SIGKILLs of app instances and brokers, each"
            + " restarted on its data.",
        "Checks that no command is lost or duplicated (every sequence of every experiment on the commands topic) and"
            + " that every experiment's final masks equal the in-process run's; exits 1 when an invariant fails.",
        "Reports failover time, loop latency before/during/after the kills and throughput with 1, 2, 3 analyzers."
      })
  static final class Chaos implements Callable<Integer> {
    @Option(
        names = "--size",
        defaultValue = "ci",
        description =
            "ci (4 trainer slots, 2 app kills, 1 broker kill, a few minutes) or full (50 slots, 20 app kills,"
                + " 2 broker kills, 3 real trainers, throughput with 1/2/3 analyzers; tens of minutes) (default:"
                + " ${DEFAULT-VALUE}).")
    String size;

    @Option(
        names = "--seed",
        paramLabel = "N",
        description = "Seed of the kill plan (default: the size's, 42).")
    Long seed;

    @Option(
        names = "--real-trainers",
        paramLabel = "N",
        description =
            "Real trainers (DJL rank recovery, SalientLoRA and AdaLoRA in turn, sync mode) run one after"
                + " another beside the synthetic ones, each compared with its in-process run: final masks and"
                + " adapter CRC (0..20; default: the size's, 0 in ci, 3 in full).")
    Integer realTrainers;

    @Option(
        names = "--keep-logs",
        paramLabel = "DIR",
        description =
            "Copy the brokers' and app instances' logs into DIR at the end (default: deleted).")
    Path keepLogs;

    @Option(
        names = "--report",
        paramLabel = "FILE",
        description = "Also write all numbers and settings as JSON.")
    Path report;

    @Override
    public Integer call() throws Exception {
      ChaosBenchmark.Settings s = ChaosBenchmark.Settings.named(size);
      if (seed != null) {
        s = s.withSeed(seed);
      }
      if (realTrainers != null) {
        s = s.withRealTrainers(realTrainers);
      }
      Path state = Files.createTempDirectory("salientstream-chaos-");
      try {
        Map<String, Object> result =
            new ChaosBenchmark(s, state, System.out).keepLogsIn(keepLogs).run();
        System.out.println();
        System.out.println(ChaosBenchmark.summary(result));
        if (report != null) {
          ChaosBenchmark.writeJson(result, report);
          System.out.println("report: " + report);
        }
        return Boolean.TRUE.equals(result.get("invariantsHold")) ? ExitCodes.OK : ExitCodes.FAILED;
      } finally {
        Loop.deleteTree(state);
      }
    }
  }

  @Command(
      name = "soak",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Long runs with flat memory: an in-process broker and registry (or --bootstrap-servers), the analyzer and the"
            + " pruner each in a JVM of its own, and a stream of short synthetic SalientLoRA experiments in sync mode"
            + " (a few at a time; some fail half-way, some are abandoned half-way) with hostile records on every input"
            + " topic (length bombs, random bytes, NaN values, unknown experiments).",
        "Samples per app, every --sample-every: heap after a full GC, RSS, state folder size on disk, exact store"
            + " entry counts and RocksDB's estimate-num-keys, dead letters. Writes JSON, a Markdown summary and PNG"
            + " plots.",
        "Exits 1 unless, once the last experiment ended and the grace period and idle retention passed, store entries"
            + " are back to the start (+ 0), heap after GC is within 32 MB of the start, every finished experiment"
            + " applied all its commands with the in-process run's masks, and every hostile record was dead-lettered."
      })
  static final class Soak implements Callable<Integer> {
    @Option(
        names = "--duration",
        defaultValue = "65m",
        description =
            "How long experiments are started, e.g. 40s, 65m, 2h (default: ${DEFAULT-VALUE}); the end state is"
                + " measured after it, once the grace period and the idle retention have passed.")
    String duration;

    @Option(
        names = "--experiments-per-minute",
        paramLabel = "R",
        description =
            "Experiments started per minute (default: 20; fewer when all slots are busy).")
    Double perMinute;

    @Option(
        names = "--concurrency",
        paramLabel = "N",
        description = "Experiments running at once, at most (default: 8).")
    Integer concurrency;

    @Option(
        names = "--idle-retention",
        paramLabel = "D",
        description =
            "The apps' idle retention (setting salientstream.idle-retention.seconds, default there 7 days):"
                + " how long a failed or abandoned experiment's state stays (default here: 3m).")
    String idleRetention;

    @Option(
        names = "--grace",
        paramLabel = "D",
        description =
            "The apps' grace period (setting salientstream.grace.seconds; default 30s, the apps' own default).")
    String grace;

    @Option(
        names = "--sample-every",
        paramLabel = "D",
        description = "Sample period (default: 1m).")
    String sampleEvery;

    @Option(
        names = "--ci",
        description =
            "The short form the test runs: 25 s of experiments, grace 3 s, idle retention 25 s, samples every 5 s"
                + " (other options still override).")
    boolean ci;

    @Option(
        names = "--bootstrap-servers",
        paramLabel = "HOST:PORT",
        description =
            "Use this broker (topics under a per-run prefix) instead of an in-process one; needs --registry-url.")
    String bootstrapServers;

    @Option(
        names = "--registry-url",
        paramLabel = "URL",
        description = "The registry of --bootstrap-servers.")
    String registryUrl;

    @Option(
        names = "--report",
        paramLabel = "FILE",
        defaultValue = "soak.json",
        description =
            "JSON with every sample (default: ${DEFAULT-VALUE}); the Markdown summary goes next to it (.md).")
    Path report;

    @Option(
        names = "--plot-dir",
        paramLabel = "DIR",
        description = "Where the PNG plots go (default: the report's folder).")
    Path plotDir;

    @Override
    public Integer call() throws Exception {
      SoakBenchmark.Settings s =
          ci
              ? SoakBenchmark.Settings.ci()
              : SoakBenchmark.Settings.full(parseDuration("--duration", duration));
      s =
          s.override(
              ci && duration.equals("65m") ? null : parseDuration("--duration", duration),
              perMinute,
              concurrency,
              idleRetention == null ? null : parseDuration("--idle-retention", idleRetention),
              grace == null ? null : parseDuration("--grace", grace),
              sampleEvery == null ? null : parseDuration("--sample-every", sampleEvery));
      if ((bootstrapServers == null) != (registryUrl == null)) {
        System.err.println("--bootstrap-servers and --registry-url go together");
        return ExitCodes.USAGE;
      }
      Path state = Files.createTempDirectory("salientstream-soak-");
      try {
        Map<String, Object> result =
            new SoakBenchmark(s, state, System.out, bootstrapServers, registryUrl).run();
        System.out.println();
        System.out.println(SoakBenchmark.summary(result));
        SoakBenchmark.writeJson(result, report);
        Path dir = plotDir != null ? plotDir : report.toAbsolutePath().getParent();
        SoakBenchmark.plots(result, dir);
        String name = report.getFileName().toString().replaceFirst("\\.json$", "");
        Path md = report.toAbsolutePath().getParent().resolve(name + ".md");
        Files.writeString(md, SoakBenchmark.markdown(result, asGiven()));
        System.out.println("report: " + report + ", summary: " + md + ", plots: " + dir);
        return Boolean.TRUE.equals(result.get("invariantsHold")) ? ExitCodes.OK : ExitCodes.FAILED;
      } finally {
        Loop.deleteTree(state);
      }
    }

    /** The command as given (the options that were set), for the summary. */
    String asGiven() {
      StringBuilder b = new StringBuilder("bin/salientstream bench soak");
      if (ci) {
        b.append(" --ci");
      }
      if (!ci || !duration.equals("65m")) {
        b.append(" --duration ").append(duration);
      }
      if (perMinute != null) {
        b.append(" --experiments-per-minute ").append(perMinute);
      }
      if (concurrency != null) {
        b.append(" --concurrency ").append(concurrency);
      }
      if (idleRetention != null) {
        b.append(" --idle-retention ").append(idleRetention);
      }
      if (grace != null) {
        b.append(" --grace ").append(grace);
      }
      if (sampleEvery != null) {
        b.append(" --sample-every ").append(sampleEvery);
      }
      if (bootstrapServers != null) {
        b.append(" --bootstrap-servers ").append(bootstrapServers);
      }
      b.append(" --report ").append(report);
      if (plotDir != null) {
        b.append(" --plot-dir ").append(plotDir);
      }
      return b.toString();
    }

    static Duration parseDuration(String option, String text) {
      Matcher m = Pattern.compile("(\\d{1,7})(s|m|h)").matcher(text.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException(
            option + " must be a number with s, m or h (e.g. 40s, 65m, 2h), got '" + text + "'");
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
  }
}
