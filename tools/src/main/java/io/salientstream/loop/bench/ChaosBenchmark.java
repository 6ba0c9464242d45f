package io.salientstream.loop.bench;

import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.loop.ExperimentClient;
import io.salientstream.loop.KafkaAllocationHost;
import io.salientstream.loop.KafkaHosts;
import io.salientstream.loop.LoopServicesMain;
import io.salientstream.loop.LoopTopics;
import io.salientstream.stack.EmbeddedKafkaCluster;
import io.salientstream.stack.RegistryService;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import io.salientstream.trainer.host.InProcessAllocationHost;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Scale-out under failures: an in-process cluster of 3 KRaft brokers (replication 3,
 * min.insync.replicas 2), the salience-analyzer and the pruner in several separate JVMs each
 * ({@link LoopServicesMain}, one Kafka Streams instance per JVM, standby replicas on), and many
 * concurrent synthetic SalientLoRA trainers in sync mode. While they run, random app instances are
 * killed with SIGKILL ({@link Process#destroyForcibly()}) and restarted on their state folders, and
 * brokers are stopped without a controlled shutdown and restarted on their data folders.
 *
 * <p>Phases: (1, optional) throughput with 1, 2 and 3 analyzer instances — the same batch of
 * experiments run back to back, without pauses between steps, as instances are added; (2) chaos: a
 * pool of trainer slots runs experiments back to back for {@code before} seconds, then during the
 * kills, then {@code after} seconds more.
 *
 * <p>Invariants, checked at the end against the committed ({@code read_committed}) commands topic:
 * every experiment's commands carry the sequences 1..K exactly once, where K is the number of
 * decisions the same policy takes in-process on the same singular values (none lost, none
 * duplicated); every experiment's final masks equal the in-process run's; every experiment
 * finished.
 *
 * <p>Figures: failover time — for each kill, each experiment that waited for a command at the
 * moment of the kill, from the kill to that command's arrival; loop latency (a sync trainer's wait
 * at a window end) p50/p99 before, during and after the kill period; throughput (trainer steps per
 * second, all experiments together) with 1, 2, 3 analyzer instances.
 */
public final class ChaosBenchmark {

  /** Sizes and timings of a run. */
  public record Settings(
      int experiments,
      long steps,
      int matrices,
      int perLayer,
      int rank,
      long stepIntervalMs,
      int analyzers,
      int pruners,
      int appKills,
      int brokerKills,
      long beforeSeconds,
      long killIntervalMs,
      long afterSeconds,
      int scaleExperiments,
      long scaleSteps,
      long seed,
      Duration syncTimeout) {

    public Settings {
      if (experiments < 1 || experiments > 1000) {
        throw new IllegalArgumentException("experiments must be 1..1000, got " + experiments);
      }
      if (steps < 40 || steps > 100_000) {
        throw new IllegalArgumentException("steps must be 40..100000, got " + steps);
      }
      if (analyzers < 1 || analyzers > 8 || pruners < 1 || pruners > 8) {
        throw new IllegalArgumentException(
            "analyzers and pruners must be 1..8, got " + analyzers + " and " + pruners);
      }
      if (appKills < 0 || brokerKills < 0 || appKills + brokerKills > 1000) {
        throw new IllegalArgumentException("kills must be 0..1000");
      }
    }

    public int n() {
      return matrices * rank;
    }

    /**
     * The form `verify` runs (4 trainer slots, 2 app kills, 1 broker kill; 3–5 minutes on a loaded
     * 2-core machine, most of it starting 3 brokers and 5 JVMs).
     */
    public static Settings ci() {
      return new Settings(
          4, 80, 72, 6, 15, 20, 3, 2, 2, 1, 5, 4_000, 4, 0, 0, 42, Duration.ofSeconds(120));
    }

    /** The form: 50 concurrent experiments, 20 app kills, 2 broker kills. */
    public static Settings full() {
      return new Settings(
          50, 300, 72, 6, 15, 30, 3, 2, 20, 2, 30, 8_000, 30, 8, 150, 42, Duration.ofSeconds(180));
    }

    public static Settings named(String size) {
      return switch (size) {
        case "ci" -> ci();
        case "full" -> full();
        default ->
            throw new IllegalArgumentException("--size must be ci or full, got '" + size + "'");
      };
    }
  }

  /** One decision as a trainer saw it: wall-clock ms when it waited, ms it waited. */
  record Wait(String experiment, long startMs, long endMs) {}

  /** What one experiment did. */
  record Run(
      String id,
      int seed,
      long startMs,
      long endMs,
      long commandsApplied,
      int expectedDecisions,
      boolean masksEqual,
      String failure,
      List<Wait> waits) {}

  /** A kill: what, when. */
  record Kill(String target, long atMs, long backMs) {}

  private final Settings s;
  private final PrintStream log;
  private final Path state;
  private final String runTag = Long.toHexString(System.currentTimeMillis());
  private EmbeddedKafkaCluster cluster;
  private RegistryService registry;
  private Map<String, Object> config;
  private final LoopTopics topics = LoopTopics.forPrefix("");
  private final List<Run> runs = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger ids = new AtomicInteger();
  private final java.util.concurrent.atomic.LongAdder decisions =
      new java.util.concurrent.atomic.LongAdder();

  private long decisionsSeen() {
    return decisions.sum();
  }

  public ChaosBenchmark(Settings settings, Path state, PrintStream log) {
    this.s = settings;
    this.state = state;
    this.log = log;
  }

  // ------------------------------------------------------------------------------ app instances

  /** An analyzer or pruner instance in a JVM of its own. */
  final class Instance {
    final String name;
    final List<String> command;
    final Path logFile;
    Process process;
    CompletableFuture<Void> restarting = CompletableFuture.completedFuture(null);

    Instance(String which, int index) {
      this.name = which + "-" + index;
      Path dir = state.resolve(name);
      this.logFile = state.resolve(name + ".log");
      List<String> c = new ArrayList<>();
      c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      c.add("-Xmx320m");
      c.add("-XX:+UseSerialGC");
      c.add("-cp");
      c.add(System.getProperty("java.class.path"));
      c.add(LoopServicesMain.class.getName());
      c.add(cluster.bootstrapServers());
      c.add(registry.url());
      c.add(dir.toString());
      c.add("-chaos-" + runTag);
      c.add(which);
      c.add("replication.factor=3");
      c.add("num.standby.replicas=1");
      c.add("session.timeout.ms=6000");
      c.add("heartbeat.interval.ms=1000");
      this.command = List.copyOf(c);
    }

    void start() {
      try {
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + name, e);
      }
      CountDownLatch ready = new CountDownLatch(1);
      Process p = process;
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                        new BufferedReader(
                            new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    PrintWriter out =
                        new PrintWriter(
                            Files.newBufferedWriter(
                                logFile,
                                StandardCharsets.UTF_8,
                                java.nio.file.StandardOpenOption.CREATE,
                                java.nio.file.StandardOpenOption.APPEND))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    out.println(line);
                    if (line.equals("READY")) {
                      ready.countDown();
                      out.flush();
                    }
                  }
                } catch (IOException e) {
                  // process gone
                }
              },
              "chaos-" + name);
      reader.setDaemon(true);
      reader.start();
      try {
        if (!ready.await(180, TimeUnit.SECONDS)) {
          throw new IllegalStateException(name + " did not start within 180 s; see " + logFile);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    void kill() {
      process.destroyForcibly(); // SIGKILL: no shutdown hook, no commit, no state flush
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ------------------------------------------------------------------------------ trainers

  Map<String, String> params() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("mode", "clean");
    p.put("totalSteps", Long.toString(s.steps()));
    p.put("initialWarmup", "20");
    p.put("finalSteps", Long.toString(Math.max(10, s.steps() / 8)));
    p.put("targetBudget", Integer.toString(Math.max(1, s.n() / 3)));
    p.put("tInit", "5");
    p.put("tFinal", "20");
    return p;
  }

  AdapterLayout layout() {
    return AdapterLayout.uniform(s.matrices(), s.perLayer(), 768, 768, s.rank());
  }

  /** One synthetic experiment in sync mode; its in-process twin gives the expected commands. */
  Run experiment(String phase, long steps, long intervalMs) {
    int seed = ids.incrementAndGet();
    String id = "chaos-" + runTag + "-" + phase + "-" + seed;
    Map<String, String> params = new LinkedHashMap<>(params());
    params.put("totalSteps", Long.toString(steps));
    params.put("finalSteps", Long.toString(Math.max(10, steps / 8)));
    RankPolicy policy =
        Policies.create(io.salientstream.core.salient.SalientLoraPolicy.NAME, params, layout());
    RankPolicy twin =
        Policies.create(io.salientstream.core.salient.SalientLoraPolicy.NAME, params, layout());
    ExperimentSpec spec =
        KafkaHosts.registration(
            id, "", policy, params, "synthetic", "synthetic", steps, seed, "kafka-sync");
    LoopBenchmark.SyntheticWalk walk = new LoopBenchmark.SyntheticWalk(layout(), seed);
    LoopBenchmark.SyntheticWalk twinWalk = new LoopBenchmark.SyntheticWalk(layout(), seed);
    InProcessAllocationHost reference = new InProcessAllocationHost(twin);
    int expected = 0;
    List<Wait> waits = new ArrayList<>();
    long start = System.currentTimeMillis();
    long applied = 0;
    String failure = null;
    List<boolean[]> finalKeep = null;
    List<boolean[]> twinKeep = null;
    ExperimentClient client = new ExperimentClient(config, topics, id, id + "-run", 1, 0);
    try (KafkaAllocationHost host =
        new KafkaAllocationHost(
            client, spec, KafkaAllocationHost.Mode.SYNC, policy::decidesAt, s.syncTimeout(), 0)) {
      host.register();
      for (long step = 0; step < steps; step++) {
        long t0 = System.currentTimeMillis();
        List<Decision> got = host.afterStep(walk.next(step));
        if (policy.decidesAt(step)) {
          waits.add(new Wait(id, t0, System.currentTimeMillis()));
          decisions.increment();
        }
        for (Decision c : got) {
          walk.apply(c);
          finalKeep = walk.keep();
        }
        for (Decision c : reference.afterStep(twinWalk.next(step))) {
          twinWalk.apply(c);
          twinKeep = twinWalk.keep();
          expected++;
        }
        if (intervalMs > 0) {
          Thread.sleep(intervalMs);
        }
      }
      applied = host.commandsApplied();
    } catch (Exception e) {
      failure = e.getClass().getSimpleName() + ": " + e.getMessage();
      log.println("experiment " + id + " failed: " + failure);
    }
    boolean equal =
        failure == null
            && finalKeep != null
            && twinKeep != null
            && finalKeep.size() == twinKeep.size();
    for (int m = 0; equal && m < finalKeep.size(); m++) {
      equal = Arrays.equals(finalKeep.get(m), twinKeep.get(m));
    }
    Run r =
        new Run(
            id, seed, start, System.currentTimeMillis(), applied, expected, equal, failure, waits);
    runs.add(r);
    return r;
  }

  // ------------------------------------------------------------------------------ the run

  public Map<String, Object> run() throws Exception {
    Map<String, Object> result = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    cluster = EmbeddedKafkaCluster.of(3, 2).start();
    List<Instance> analyzers = new ArrayList<>();
    List<Instance> pruners = new ArrayList<>();
    try {
      log.printf(
          "3 in-process KRaft brokers (replication 3, min.insync.replicas 2) at %s ready in %.1f s%n",
          cluster.bootstrapServers(), (System.nanoTime() - t0) / 1e9);
      try (Admin admin = admin()) {
        TopicInitializer.ensureTopics(admin, Topics.withPrefix(""), (short) 3);
      }
      registry = new RegistryService();
      Properties rp = new Properties();
      rp.setProperty(RegistryService.TOPIC, Topics.withPrefix("").name(Topics.SCHEMAS));
      rp.setProperty(RegistryService.REPLICATION_FACTOR, "3");
      registry.start(cluster.bootstrapServers(), null, rp);
      config = new HashMap<>();
      config.put("bootstrap.servers", cluster.bootstrapServers());
      config.put("schema.registry.url", registry.url());

      for (int i = 0; i < s.analyzers(); i++) {
        analyzers.add(new Instance("analyzer", i + 1));
      }
      for (int i = 0; i < s.pruners(); i++) {
        pruners.add(new Instance("pruner", i + 1));
      }
      Map<String, Object> scale = new LinkedHashMap<>();
      if (s.scaleExperiments() > 0) {
        pruners.get(0).start();
        for (int k = 1; k <= s.analyzers(); k++) {
          analyzers.get(k - 1).start();
          Thread.sleep(8_000); // let the group rebalance before measuring
          scale.put(k + "", throughput(k));
        }
        startAll(pruners.subList(1, pruners.size()));
      } else {
        List<Instance> all = new ArrayList<>(analyzers);
        all.addAll(pruners);
        startAll(all);
      }
      result.put("throughputByAnalyzers", scale);
      result.putAll(chaos(analyzers, pruners));
    } finally {
      for (Instance i : analyzers) {
        if (i.process != null) {
          i.kill();
        }
      }
      for (Instance i : pruners) {
        if (i.process != null) {
          i.kill();
        }
      }
      if (registry != null) {
        registry.stop();
      }
      cluster.close();
    }
    result.put("settings", settings());
    result.put("wallSeconds", (System.nanoTime() - t0) / 1e9);
    result.put("loadAverage", LoopBenchmark.loadAverage());
    result.put("cpus", Runtime.getRuntime().availableProcessors());
    return result;
  }

  private static void startAll(List<Instance> instances) {
    CompletableFuture.allOf(
            instances.stream()
                .map(i -> CompletableFuture.runAsync(i::start))
                .toArray(CompletableFuture[]::new))
        .join();
  }

  private Map<String, Object> throughput(int analyzers) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(s.scaleExperiments());
    long t0 = System.nanoTime();
    List<Future<Run>> fs = new ArrayList<>();
    for (int i = 0; i < s.scaleExperiments(); i++) {
      fs.add(pool.submit(() -> experiment("scale" + analyzers, s.scaleSteps(), 0)));
    }
    long steps = 0;
    for (Future<Run> f : fs) {
      Run r = f.get();
      steps += r.failure() == null ? s.scaleSteps() : 0;
    }
    pool.shutdown();
    double sec = (System.nanoTime() - t0) / 1e9;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("experiments", s.scaleExperiments());
    m.put("steps", steps);
    m.put("seconds", sec);
    m.put("stepsPerSecond", steps / sec);
    log.printf(
        "throughput with %d analyzer instance(s): %d experiments, %.0f steps/s%n",
        analyzers, s.scaleExperiments(), steps / sec);
    return m;
  }

  private Map<String, Object> chaos(List<Instance> analyzers, List<Instance> pruners)
      throws Exception {
    log.printf(
        "chaos: %d trainer slots, N = %d, %d steps per experiment; %d app kills and %d broker kills%n",
        s.experiments(), s.n(), s.steps(), s.appKills(), s.brokerKills());
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(s.experiments());
    List<Future<?>> slots = new ArrayList<>();
    long chaosStart = System.currentTimeMillis();
    for (int i = 0; i < s.experiments(); i++) {
      final int slot = i;
      slots.add(
          pool.submit(
              () -> {
                try {
                  Thread.sleep(slot * s.stepIntervalMs() * 5 / Math.max(1, s.experiments()));
                } catch (InterruptedException e) {
                  return;
                }
                do {
                  experiment("c", s.steps(), s.stepIntervalMs());
                } while (!stop.get());
              }));
    }
    // the kills begin once every slot has waited for 2 commands (the "before" figures) and the
    // "before" seconds are over
    Thread.sleep(s.beforeSeconds() * 1000);
    while (decisionsSeen() < 2L * s.experiments()) {
      Thread.sleep(200);
    }
    long killStart = System.currentTimeMillis();
    Random rnd = new Random(s.seed());
    List<Boolean> plan = new ArrayList<>();
    for (int i = 0; i < s.appKills(); i++) {
      plan.add(false);
    }
    for (int i = 0; i < s.brokerKills(); i++) {
      plan.add(true);
    }
    Collections.shuffle(plan, rnd);
    List<Kill> kills = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> brokerBack = CompletableFuture.completedFuture(null);
    int appKillNo = 0;
    List<CompletableFuture<Void>> restarts = new ArrayList<>();
    for (boolean broker : plan) {
      if (broker) {
        brokerBack.get(300, TimeUnit.SECONDS); // one broker down at a time: min.insync 2 of 3
        int b = rnd.nextInt(cluster.size());
        long at = System.currentTimeMillis();
        cluster.stop(b);
        log.printf("  %6.1f s: broker %d stopped%n", (at - chaosStart) / 1e3, b + 1);
        brokerBack =
            CompletableFuture.runAsync(
                () -> {
                  sleep(3_000);
                  cluster.restart(b);
                  long back = System.currentTimeMillis();
                  kills.add(new Kill("broker-" + (b + 1), at, back));
                  log.printf(
                      "  %6.1f s: broker %d back after %.1f s%n",
                      (back - chaosStart) / 1e3, b + 1, (back - at) / 1e3);
                });
        restarts.add(brokerBack);
      } else {
        // app kills alternate between a random analyzer and a random pruner instance, so even the
        // smallest plan kills both apps
        List<Instance> kind = appKillNo++ % 2 == 0 ? analyzers : pruners;
        Instance victim = kind.get(rnd.nextInt(kind.size()));
        Instance killed = victim;
        victim.restarting.get(300, TimeUnit.SECONDS); // kill a running instance, not a starting one
        long at = System.currentTimeMillis();
        victim.kill();
        log.printf("  %6.1f s: SIGKILL %s%n", (at - chaosStart) / 1e3, victim.name);
        victim.restarting =
            CompletableFuture.runAsync(
                () -> {
                  killed.start();
                  kills.add(new Kill(killed.name, at, System.currentTimeMillis()));
                });
        restarts.add(victim.restarting);
      }
      Thread.sleep(s.killIntervalMs());
    }
    CompletableFuture.allOf(restarts.toArray(CompletableFuture[]::new)).get(600, TimeUnit.SECONDS);
    long killEnd = System.currentTimeMillis();
    log.printf("  %6.1f s: every instance and broker is back%n", (killEnd - chaosStart) / 1e3);
    Thread.sleep(s.afterSeconds() * 1000);
    stop.set(true);
    for (Future<?> f : slots) {
      f.get(30, TimeUnit.MINUTES);
    }
    pool.shutdown();

    List<Run> chaosRuns = runs.stream().filter(r -> r.id().contains("-c-")).toList();
    // figures
    List<Double> before = new ArrayList<>();
    List<Double> during = new ArrayList<>();
    List<Double> after = new ArrayList<>();
    for (Run r : chaosRuns) {
      for (Wait w : r.waits()) {
        double ms = w.endMs() - w.startMs();
        (w.startMs() < killStart ? before : w.startMs() <= killEnd ? during : after).add(ms);
      }
    }
    List<Double> failover = new ArrayList<>();
    for (Kill k : kills) {
      for (Run r : chaosRuns) {
        for (Wait w : r.waits()) {
          if (w.startMs() <= k.atMs() && w.endMs() > k.atMs()) {
            failover.add((double) (w.endMs() - k.atMs()));
          }
        }
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("appKills", kills.stream().filter(k -> !k.target().startsWith("broker")).count());
    m.put("brokerKills", kills.stream().filter(k -> k.target().startsWith("broker")).count());
    m.put(
        "kills",
        kills.stream()
            .map(
                k ->
                    Map.of(
                        "target",
                        k.target(),
                        "atSeconds",
                        (k.atMs() - chaosStart) / 1e3,
                        "backAfterSeconds",
                        (k.backMs() - k.atMs()) / 1e3))
            .toList());
    m.put("failoverMs", figures(failover));
    Map<String, Object> lat = new LinkedHashMap<>();
    lat.put("before", figures(before));
    lat.put("during", figures(during));
    lat.put("after", figures(after));
    m.put("loopLatencyMs", lat);
    m.putAll(invariants());
    return m;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static Map<String, Object> figures(List<Double> v) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", a.length);
    m.put("p50", a.length == 0 ? null : LoopBenchmark.percentile(a, 50));
    m.put("p99", a.length == 0 ? null : LoopBenchmark.percentile(a, 99));
    m.put("max", a.length == 0 ? null : LoopBenchmark.percentile(a, 100));
    return m;
  }

  /** Reads the whole commands topic (read_committed) and checks every experiment's sequences. */
  private Map<String, Object> invariants() {
    Map<String, List<Long>> seqs = new ConcurrentHashMap<>();
    Map<String, Object> c =
        new HashMap<>(io.salientstream.streams.LayeredConfig.kafkaClientProperties(config));
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, RankPruneCommand> consumer =
        new KafkaConsumer<>(
            c,
            new StringDeserializer(),
            EventSerdes.of(RankPruneCommand.class, config).deserializer())) {
      List<TopicPartition> tps =
          consumer.partitionsFor(topics.rankCommands()).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> end = consumer.endOffsets(tps);
      while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<String, RankPruneCommand> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.value() != null) {
            seqs.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value().getSequence());
          }
        }
      }
    }
    long commands = 0;
    long lost = 0;
    long duplicated = 0;
    long outOfOrder = 0;
    int failed = 0;
    int masksDiffer = 0;
    List<String> problems = new ArrayList<>();
    for (Run r : runs) {
      List<Long> got = seqs.getOrDefault(r.id(), List.of());
      commands += got.size();
      long distinct = got.stream().distinct().count();
      duplicated += got.size() - distinct;
      for (long k = 1; k <= r.expectedDecisions(); k++) {
        if (!got.contains(k)) {
          lost++;
        }
      }
      for (int i = 1; i < got.size(); i++) {
        if (got.get(i) <= got.get(i - 1)) {
          outOfOrder++;
        }
      }
      if (got.stream().anyMatch(q -> q < 1 || q > r.expectedDecisions())) {
        problems.add(r.id() + ": sequences beyond 1.." + r.expectedDecisions() + ": " + got);
      }
      if (r.failure() != null) {
        failed++;
        problems.add(r.id() + ": " + r.failure());
      } else if (!r.masksEqual()) {
        masksDiffer++;
        problems.add(r.id() + ": final masks differ from the in-process run");
      }
      if (r.failure() == null && r.commandsApplied() != r.expectedDecisions()) {
        problems.add(
            r.id() + ": trainer applied " + r.commandsApplied() + " of " + r.expectedDecisions());
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("experiments", runs.size());
    m.put("experimentsFailed", failed);
    m.put("commandsOnTopic", commands);
    m.put("commandsLost", lost);
    m.put("commandsDuplicated", duplicated);
    m.put("commandsOutOfOrder", outOfOrder);
    m.put("finalMasksEqualInProcess", runs.size() - failed - masksDiffer);
    m.put("problems", problems);
    m.put("invariantsHold", problems.isEmpty() && lost == 0 && duplicated == 0 && outOfOrder == 0);
    return m;
  }

  private Map<String, Object> settings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("trainerSlots", s.experiments());
    m.put("n", s.n());
    m.put("matrices", s.matrices());
    m.put("rank", s.rank());
    m.put("steps", s.steps());
    m.put("stepIntervalMs", s.stepIntervalMs());
    m.put("analyzerInstances", s.analyzers());
    m.put("prunerInstances", s.pruners());
    m.put("appKillsPlanned", s.appKills());
    m.put("brokerKillsPlanned", s.brokerKills());
    m.put("beforeSeconds", s.beforeSeconds());
    m.put("killIntervalMs", s.killIntervalMs());
    m.put("afterSeconds", s.afterSeconds());
    m.put("scaleExperiments", s.scaleExperiments());
    m.put("scaleSteps", s.scaleSteps());
    m.put("seed", s.seed());
    m.put("brokers", 3);
    m.put("replicationFactor", 3);
    m.put("minInsyncReplicas", 2);
    m.put("standbyReplicas", 1);
    return m;
  }

  private Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    return Admin.create(p);
  }

  /** Writes the result as JSON. */
  public static void writeJson(Map<String, Object> result, Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      io.salientstream.core.json.JsonNumbers.mapper()
          .writerWithDefaultPrettyPrinter()
          .writeValue(file.toFile(), result);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report to " + file, e);
    }
  }

  /** The figures as lines of text. */
  @SuppressWarnings("unchecked")
  public static String summary(Map<String, Object> r) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            "experiments %s (failed %s), commands on topic %s: lost %s, duplicated %s, out of order %s;"
                + " final masks equal to in-process: %s%n",
            r.get("experiments"),
            r.get("experimentsFailed"),
            r.get("commandsOnTopic"),
            r.get("commandsLost"),
            r.get("commandsDuplicated"),
            r.get("commandsOutOfOrder"),
            r.get("finalMasksEqualInProcess")));
    b.append(
        String.format(
            "kills: %s app instances (SIGKILL), %s brokers%n",
            r.get("appKills"), r.get("brokerKills")));
    Map<String, Object> f = (Map<String, Object>) r.get("failoverMs");
    b.append(String.format("failover (kill -> next command of an affected experiment): %s%n", f));
    Map<String, Object> l = (Map<String, Object>) r.get("loopLatencyMs");
    b.append(
        String.format(
            "loop latency ms: before %s, during %s, after %s%n",
            l.get("before"), l.get("during"), l.get("after")));
    b.append(
        String.format("throughput by analyzer instances: %s%n", r.get("throughputByAnalyzers")));
    List<String> problems = (List<String>) r.get("problems");
    for (String p : problems.subList(0, Math.min(20, problems.size()))) {
      b.append("PROBLEM ").append(p).append('\n');
    }
    b.append("invariants hold: ").append(r.get("invariantsHold"));
    return b.toString();
  }
}
