package io.salientstream.loop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.salientstream.core.adalora.AdaLoraPolicy;
import io.salientstream.core.json.JsonNumbers;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.PolicyKind;
import io.salientstream.core.prilora.PriLoraPolicy;
import io.salientstream.core.salient.SalientLoraPolicy;
import io.salientstream.dashboard.Dashboard;
import io.salientstream.stack.LocalStack;
import io.salientstream.streams.LayeredConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * {@code salientstream demo}: the whole system on one machine. Starts an in-process broker and
 * schema registry, the salience-analyzer and the pruner, then runs four experiments concurrently,
 * each a trainer process of its own ({@code train --allocation kafka-sync|kafka-async}) whose rank
 * allocation happens over Kafka:
 *
 * <ol>
 *   <li>SalientLoRA on rank recovery (sync mode: bit-identical to an in-process run),
 *   <li>AdaLoRA on rank recovery (sync mode),
 *   <li>PRILoRA on rank recovery (sync mode): linearly increasing per-layer ranks, entries of A
 *       pruned over Kafka,
 *   <li>MiniLM + SalientLoRA on WordNet supersenses (async mode: the trainer never waits).
 * </ol>
 *
 * Progress is the live {@link Monitor} table (read from the status, report and command topics); the
 * end prints every experiment's final rank pattern, metrics and control-loop latency. Trainer logs
 * go to {@code <work-dir>/logs}.
 */
public final class Demo {

  /** Sizes of one demo run. */
  public record Settings(
      boolean quick,
      int recoverySteps,
      int recoveryMatrices,
      int recoveryDim,
      int wordnetSteps,
      int wordnetBatch,
      int wordnetSeq,
      int testLimit) {
    public static Settings of(boolean quick) {
      return quick
          ? new Settings(true, 300, 24, 32, 16, 8, 24, 300)
          : new Settings(false, 800, 24, 32, 120, 16, 32, 1000);
    }
  }

  /** The trainer's command-line entry point, started once per experiment. */
  static final String TRAINER_MAIN = "io.salientstream.trainer.cli.TrainCommand";

  private Demo() {}

  /**
   * One experiment of the demo: its id, what it shows, its {@code train} arguments, and whether its
   * masks are entry masks of A (then the summary also counts the kept entries per matrix).
   */
  record Run(String id, String label, String allocation, List<String> args, boolean entryMasks) {
    Run(String id, String label, String allocation, List<String> args) {
      this(id, label, allocation, args, false);
    }
  }

  /**
   * The dashboard of a demo run: its port (0: any free one; a taken port falls back to a free one)
   * and whether the demo keeps serving it after the experiments end, until interrupted (Ctrl-C).
   */
  public record Serving(int dashboardPort, boolean stayUp) {
    /** A dashboard on any free port, closed with the demo. */
    public static Serving exitAtEnd() {
      return new Serving(0, false);
    }
  }

  public static Map<String, Object> run(Settings settings, Path workDir, PrintStream out)
      throws Exception {
    return run(settings, workDir, out, Serving.exitAtEnd(), summary -> {});
  }

  /**
   * Runs the demo; {@code atEnd} gets the summary once the experiments are done (before the demo
   * keeps serving the dashboard, when {@code serving.stayUp()}).
   */
  public static Map<String, Object> run(
      Settings settings,
      Path workDir,
      PrintStream out,
      Serving serving,
      Consumer<Map<String, Object>> atEnd)
      throws Exception {
    return run(settings, workDir, out, serving, atEnd, null);
  }

  /**
   * As {@link #run(Settings, Path, PrintStream, Serving, Consumer)}; with {@code clientConfig} (a
   * properties file of the layered configuration, e.g. the admin client file {@code local --secure}
   * writes) the demo starts no stack of its own: it runs against that broker and registry, with
   * those credentials, in that file's tenant — the apps, the watcher and the dashboard in this JVM,
   * and every trainer process through {@code --allocation-config config=FILE} (credentials never on
   * a command line).
   */
  public static Map<String, Object> run(
      Settings settings,
      Path workDir,
      PrintStream out,
      Serving serving,
      Consumer<Map<String, Object>> atEnd,
      Path clientConfig)
      throws Exception {
    long t0 = System.nanoTime();
    Files.createDirectories(workDir.resolve("logs"));
    if (clientConfig != null) {
      LayeredConfig cfg = LayeredConfig.resolve(clientConfig, System.getenv(), Map.of(), List.of());
      Map<String, Object> config = new HashMap<>(cfg.serdeProperties());
      out.println(
          "== SalientStream demo"
              + (settings.quick() ? " (quick)" : "")
              + ": against "
              + config.get("bootstrap.servers")
              + " (configuration "
              + clientConfig
              + ")");
      return loop(
          settings,
          workDir,
          out,
          serving,
          atEnd,
          config,
          LoopTopics.forPrefix(cfg.tenant()),
          clientConfig,
          t0);
    }
    out.println(
        "== SalientStream demo"
            + (settings.quick() ? " (quick)" : "")
            + ": starting Kafka (KRaft) + schema registry");
    try (LocalStack stack = LocalStack.builder().build().start()) {
      out.printf(
          "   broker %s, registry %s (ready in %d ms)%n",
          stack.bootstrapServers(), stack.registryUrl(), stack.readyMillis());
      return loop(
          settings,
          workDir,
          out,
          serving,
          atEnd,
          stack.clientConfig(),
          LoopTopics.of(stack.topics()),
          null,
          t0);
    }
  }

  private static Map<String, Object> loop(
      Settings settings,
      Path workDir,
      PrintStream out,
      Serving serving,
      Consumer<Map<String, Object>> atEnd,
      Map<String, Object> config,
      LoopTopics topics,
      Path clientConfig,
      long t0)
      throws Exception {
    {
      out.println("== starting salience-analyzer and pruner (Kafka Streams, exactly-once)");
      try (LoopServices services =
              LoopServices.start(config, topics, workDir.resolve("state"), "-demo", "demo");
          Watcher watcher = new Watcher(config, topics, true);
          Dashboard dashboard = startDashboard(config, topics, serving.dashboardPort())) {
        out.println(
            "== dashboard: "
                + dashboard.url()
                + " (live curves, rank heatmaps, commands and dead letters)");
        String tag = Long.toString(System.currentTimeMillis(), 36);
        List<Run> runs =
            List.of(
                recovery(
                    "demo-salientlora-recovery-" + tag,
                    "SalientLoRA, rank recovery",
                    SalientLoraPolicy.NAME,
                    settings),
                recovery(
                    "demo-adalora-recovery-" + tag,
                    "AdaLoRA, rank recovery",
                    AdaLoraPolicy.NAME,
                    settings),
                recovery(
                    "demo-prilora-recovery-" + tag,
                    "PRILoRA, rank recovery (entry masks of A)",
                    PriLoraPolicy.NAME,
                    settings),
                wordnet("demo-minilm-wordnet-" + tag, settings));
        out.println(
            "== running " + runs.size() + " experiments concurrently, one trainer process each:");
        List<Process> processes = new ArrayList<>();
        for (Run r : runs) {
          out.println("   " + r.id() + ": " + r.label() + " [" + r.allocation() + "]");
          processes.add(start(r, config, clientConfig, workDir));
        }
        while (processes.stream().anyMatch(Process::isAlive)) {
          long until = System.nanoTime() + Duration.ofSeconds(settings.quick() ? 5 : 15).toNanos();
          while (System.nanoTime() < until && processes.stream().anyMatch(Process::isAlive)) {
            watcher.pollOnce(Duration.ofMillis(200));
          }
          out.printf("-- %.0f s%n%s", (System.nanoTime() - t0) / 1e9, watcher.monitor().render());
        }
        List<Map<String, Object>> experiments = new ArrayList<>();
        LoopLatency all = new LoopLatency();
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < runs.size(); i++) {
          Run r = runs.get(i);
          Path report = workDir.resolve(r.id() + ".json");
          if (processes.get(i).exitValue() != 0 || !Files.exists(report)) {
            Path log = workDir.resolve("logs").resolve(r.id() + ".log");
            List<String> lines =
                Files.readAllLines(log).stream().filter(l -> !l.startsWith("\tat ")).toList();
            throw new IllegalStateException(
                "trainer of "
                    + r.id()
                    + " failed (exit "
                    + processes.get(i).exitValue()
                    + "); last lines of "
                    + log
                    + ":\n  "
                    + String.join(
                        "\n  ", lines.subList(Math.max(0, lines.size() - 8), lines.size())));
          }
          @SuppressWarnings("unchecked")
          Map<String, Object> rep = json.readValue(report.toFile(), Map.class);
          experiments.add(summarize(r, rep, all));
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("quick", settings.quick());
        summary.put("wallSeconds", round((System.nanoTime() - t0) / 1e9));
        summary.put("experiments", experiments);
        summary.put(
            "loopLatencyMs",
            Map.of(
                "p50",
                round(all.percentile(50)),
                "p99",
                round(all.percentile(99)),
                "samples",
                all.count(),
                "over",
                "sync-mode experiments"));
        summary.put("analyzer", services.analyzer().metrics().toString());
        printSummary(out, experiments, all, summary);
        atEnd.accept(summary);
        if (serving.stayUp()) {
          out.println(
              "== the experiments are done; the dashboard stays up at "
                  + dashboard.url()
                  + " (Ctrl-C stops it; --exit-at-end does not wait)");
          out.flush();
          new CountDownLatch(1).await();
        }
        return summary;
      }
    }
  }

  private static Dashboard startDashboard(Map<String, Object> config, LoopTopics topics, int port)
      throws IOException {
    try {
      return Dashboard.start(config, topics, "", Dashboard.Settings.local(port));
    } catch (BindException e) {
      // the port is taken (another demo or dashboard): any free one will do for a demo
      return Dashboard.start(config, topics, "", Dashboard.Settings.local(0));
    }
  }

  private static Process start(Run r, Map<String, Object> config, Path clientConfig, Path workDir)
      throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                r.args().contains("wordnet") ? "-Xmx3g" : "-Xmx1g",
                "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp",
                System.getProperty("java.class.path"),
                TRAINER_MAIN));
    cmd.addAll(r.args());
    cmd.addAll(
        List.of(
            "--allocation",
            r.allocation(),
            "--experiment-id",
            r.id(),
            "--no-progress",
            "--report",
            workDir.resolve(r.id() + ".json").toString()));
    if (clientConfig != null) { // credentials stay in the file
      cmd.addAll(List.of("--allocation-config", "config=" + clientConfig.toAbsolutePath()));
    } else {
      cmd.addAll(
          List.of(
              "--allocation-config",
              "bootstrap.servers=" + config.get("bootstrap.servers"),
              "--allocation-config",
              "schema.registry.url=" + config.get("schema.registry.url")));
    }
    Path log = workDir.resolve("logs").resolve(r.id() + ".log");
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /**
   * Rank recovery at the demo's size (steps, batch, matrices, dimension); everything else comes
   * from the task's preset (trainer/README.md: budget = Σ true ranks, learning rate 3e-2,
   * orthogonal coefficient 0.1, allocation from 30 % of the steps for SVD policies), which the
   * trainer prints at the start of its log. PRILoRA runs its derived schedule: per-layer ranks
   * around the target rank, a pruning step every 10 % of the steps from 10 % to 80 %.
   */
  static Run recovery(String id, String label, String policy, Settings s) {
    boolean entryMasks =
        Policies.kind(policy).adapterForm() == PolicyKind.AdapterForm.LOW_RANK_PRODUCT;
    return new Run(
        id,
        label,
        "kafka-sync",
        List.of(
            "--task",
            "rank-recovery",
            "--policy",
            policy,
            "--steps",
            Integer.toString(s.recoverySteps()),
            "--batch",
            s.quick() ? "64" : "128",
            "--matrices",
            Integer.toString(s.recoveryMatrices()),
            "--dim",
            Integer.toString(s.recoveryDim())),
        entryMasks);
  }

  /** WordNet with the settings of the trainer's SalientLoRA-vs-probe table (trainer/README.md). */
  static Run wordnet(String id, Settings s) {
    return new Run(
        id,
        "MiniLM + SalientLoRA, WordNet supersenses",
        "kafka-async",
        List.of(
            "--task",
            "wordnet",
            "--model",
            "minilm",
            "--policy",
            SalientLoraPolicy.NAME,
            "--steps",
            Integer.toString(s.wordnetSteps()),
            "--batch",
            Integer.toString(s.wordnetBatch()),
            "--seq",
            Integer.toString(s.wordnetSeq()),
            "--lr",
            "3e-3",
            "--orth-coef",
            "0.1",
            "--rank",
            "12",
            "--target-rank",
            "4",
            "--eval-limit",
            "300",
            "--test-limit",
            Integer.toString(s.testLimit())));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> summarize(Run r, Map<String, Object> rep, LoopLatency all) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("experimentId", r.id());
    e.put("description", r.label());
    e.put("policy", rep.get("policy"));
    e.put("task", rep.get("task"));
    e.put("allocation", rep.get("allocation"));
    e.put("steps", rep.get("steps"));
    e.put("commandsApplied", rep.get("commandsApplied"));
    e.put("finalTotalRank", rep.get("finalTotalRank"));
    e.put("ranks", rep.get("ranks"));
    if (r.entryMasks() && rep.get("keepMasks") instanceof Map<?, ?> masks) {
      List<Long> kept = new ArrayList<>();
      long total = 0;
      for (Object bits : masks.values()) {
        kept.add(bits.toString().chars().filter(c -> c == '1').count());
        total += bits.toString().length();
      }
      e.put("keptEntries", kept);
      e.put("entries", total);
    }
    if (rep.containsKey("trueRanks")) {
      e.put("trueRanks", rep.get("trueRanks"));
    }
    e.put("metrics", rep.get("metrics"));
    e.put("stepsPerSecond", rep.get("stepsPerSecond"));
    Map<String, Object> lat = (Map<String, Object>) rep.getOrDefault("loopLatencyMs", Map.of());
    e.put("loopLatencyMs", lat);
    e.put("commandLagSteps", rep.get("commandLagSteps"));
    Object samples = rep.get("loopLatencySamplesMs");
    // the loop latency is a sync-mode figure: an async trainer looks for commands only between its
    // steps
    if (samples instanceof List<?> l && "kafka-sync".equals(r.allocation())) {
      l.forEach(v -> all.add(((Number) v).doubleValue()));
    }
    return e;
  }

  private static void printSummary(
      PrintStream out,
      List<Map<String, Object>> experiments,
      LoopLatency all,
      Map<String, Object> summary) {
    out.println();
    out.println("== results");
    for (Map<String, Object> e : experiments) {
      out.printf("%s  [%s, %s]%n", e.get("experimentId"), e.get("policy"), e.get("allocation"));
      out.printf(
          Locale.ROOT,
          "   steps %s, commands applied %s, final total rank %s, %.1f steps/s%n",
          e.get("steps"),
          e.get("commandsApplied"),
          e.get("finalTotalRank"),
          ((Number) e.get("stepsPerSecond")).doubleValue());
      out.println("   metrics " + e.get("metrics"));
      out.println("   final ranks " + compactRanks(e.get("ranks")));
      if (e.containsKey("keptEntries")) {
        List<?> kept = (List<?>) e.get("keptEntries");
        long sum = kept.stream().mapToLong(v -> ((Number) v).longValue()).sum();
        out.printf(
            Locale.ROOT,
            "   kept A entries [%s] = %d of %s (rank x d_in per matrix, entry masks)%n",
            String.join(" ", kept.stream().map(String::valueOf).toList()),
            sum,
            e.get("entries"));
      }
      if (e.containsKey("trueRanks")) {
        out.println("   true ranks  " + e.get("trueRanks"));
      }
      if ("kafka-sync".equals(e.get("allocation"))) {
        out.println(
            "   control-loop latency (ms) "
                + e.get("loopLatencyMs")
                + " — the trainer waited for each command");
      } else {
        out.println(
            "   command lag (steps) "
                + e.get("commandLagSteps")
                + " — async: the trainer never waited");
      }
    }
    out.printf(
        Locale.ROOT,
        "== control-loop latency (sync experiments): p50 %.1f ms, p99 %.1f ms (%d commands); wall time %s s%n",
        all.percentile(50),
        all.percentile(99),
        all.count(),
        summary.get("wallSeconds"));
  }

  @SuppressWarnings("unchecked")
  private static String compactRanks(Object ranks) {
    if (!(ranks instanceof Map<?, ?> m)) {
      return String.valueOf(ranks);
    }
    List<String> parts = new ArrayList<>();
    ((Map<String, Object>) m).values().forEach(v -> parts.add(String.valueOf(v)));
    return "[" + String.join(" ", parts) + "] (" + m.size() + " matrices, in layer order)";
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 10) / 10.0 : -1;
  }

  public static void writeReport(Path file, Map<String, Object> summary) throws IOException {
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    JsonNumbers.mapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(file.toFile(), summary);
  }
}
