package io.salientstream.loop.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.salientstream.analyzer.SalienceAnalyzer;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.json.JsonNumbers;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.salient.SalientLoraPolicy;
import io.salientstream.loop.ExperimentClient;
import io.salientstream.loop.KafkaAllocationHost;
import io.salientstream.loop.KafkaHosts;
import io.salientstream.loop.LoopLatency;
import io.salientstream.loop.LoopServices;
import io.salientstream.loop.LoopTopics;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import io.salientstream.streams.LayeredConfig;
import io.salientstream.streams.StreamsApp;
import io.salientstream.trainer.host.TrainerStep;
import io.salientstream.trainer.host.TrainerStep.MatrixStep;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The control-loop benchmark ({@code salientstream bench loop}). Two measurements in one run, each
 * on its own fresh set of topics (a per-run prefix), so neither sees the other's records:
 *
 * <ol>
 *   <li><b>Loop latency.</b> {@code experiments} synthetic trainers (threads of this JVM, no model)
 *       run SalientLoRA experiments through the real trainer-side host ({@link
 *       KafkaAllocationHost}, sync mode) against the salience-analyzer and pruner started in this
 *       JVM ({@link LoopServices}). Each trainer emits one {@link SingularValueStep} per step
 *       (singular values: a deterministic random walk per experiment, pruned values exactly 0),
 *       sleeps {@code stepIntervalMs} between steps, and at every window end waits for the pruner's
 *       command. A sample is the time from handing the window-closing event to the producer to
 *       receiving the command ({@link LoopLatency}: same JVM, monotonic clock).
 *   <li><b>Analyzer throughput vs a pass-through.</b> {@code throughputRecords} singular-value
 *       events of {@code throughputExperiments} experiments (plus their registrations) are produced
 *       first; then a plain Kafka Streams app that copies the bytes of both source topics to an
 *       output topic and the real salience-analyzer run alternately (pass-through, analyzer,
 *       pass-through, analyzer, pass-through; the medians are compared), each reading them from the
 *       beginning under a fresh application id with the same {@link StreamsApp#config}
 *       (exactly-once v2, same commit interval). Rate = records processed between the first and the
 *       last observation of the app's processed-record counter (polled every 2 ms) divided by that
 *       time, so start-up and rebalancing are excluded for both alike.
 * </ol>
 */
public final class LoopBenchmark {

  /** Everything that configures a run (see {@code salientstream bench loop --help}). */
  public record Settings(
      int experiments,
      int matrices,
      int perLayer,
      int rank,
      long steps,
      long warmup,
      long finalSteps,
      int tInit,
      int tFinal,
      long stepIntervalMs,
      long startSpreadMs,
      int throughputExperiments,
      int throughputRecords,
      int throughputTInit,
      int throughputTFinal,
      int warmupRounds,
      double warmupJitShare,
      Duration syncTimeout) {

    public Settings {
      positive("experiments", experiments);
      positive("matrices", matrices);
      positive("per-layer", perLayer);
      positive("rank", rank);
      positive("steps", steps);
      positive("throughput-experiments", throughputExperiments);
      positive("throughput-records", throughputRecords);
      if (matrices % perLayer != 0) {
        throw new IllegalArgumentException(
            "--matrices " + matrices + " is not a multiple of --per-layer " + perLayer);
      }
      if (warmupRounds < 0) {
        throw new IllegalArgumentException("--warmup-rounds must be >= 0, got " + warmupRounds);
      }
      if (!(warmupJitShare > 0)) {
        throw new IllegalArgumentException("--warmup-jit-share must be > 0, got " + warmupJitShare);
      }
      if (startSpreadMs < 0) {
        throw new IllegalArgumentException("--start-spread-ms must be >= 0, got " + startSpreadMs);
      }
      if (stepIntervalMs < 0) {
        throw new IllegalArgumentException(
            "--step-interval-ms must be >= 0, got " + stepIntervalMs);
      }
      if (warmup + finalSteps >= steps) {
        throw new IllegalArgumentException(
            "--warmup + --final-steps ("
                + (warmup + finalSteps)
                + ") must be below --steps "
                + steps);
      }
      if (throughputRecords < throughputExperiments) {
        throw new IllegalArgumentException(
            "--throughput-records "
                + throughputRecords
                + " gives fewer than one step per throughput experiment ("
                + throughputExperiments
                + ")");
      }
    }

    private static void positive(String name, long v) {
      if (v < 1) {
        throw new IllegalArgumentException("--" + name + " must be >= 1, got " + v);
      }
    }

    /**
     * The defaults: 20 experiments at N = 72 × 15 = 1080, 300 steps, windows of 5..20
     * steps, 30 ms pacing, starts spread over one step interval (all experiments reach each window
     * end within ~30 ms of each other).
     */
    public static Settings defaults() {
      return new Settings(
          20,
          72,
          6,
          15,
          300,
          20,
          40,
          5,
          20,
          30,
          30,
          4,
          120000,
          10,
          200,
          3,
          0.25,
          Duration.ofSeconds(60));
    }

    public int n() {
      return matrices * rank;
    }
  }

  /** Latency phase outcome. */
  /**
   * Most unmeasured rounds the latency phase runs before measuring, however busy the JIT still is.
   */
  public static final int MAX_WARMUP_ROUNDS = 8;

  public record Latency(
      int samples,
      double p50,
      double p95,
      double p99,
      double max,
      double mean,
      long steps,
      double seconds,
      double stepsPerSecond,
      double computeP50,
      double computeP99,
      double computeMax,
      int reports,
      long deadLetters,
      double[] p50ByWindow,
      double[] maxByWindow,
      double[] jitMillisByRound,
      double[] gcMillisByRound) {}

  /** One app's throughput. */
  public record Pass(
      String app, long records, double seconds, double recordsPerSecond, double totalSeconds) {}

  /** Throughput phase outcome. */
  /**
   * Throughput phase outcome: analyzer and pass-through runs alternate (A P A P A P); the rates
   * compared are the medians of each app's three runs, so neither app's cold first run nor a warm
   * broker favours either.
   *
   * @param analyzerComputeSeconds wall time of the last analyzer run's window-end computations
   */
  public record Throughput(
      int records,
      int experiments,
      long eventBytes,
      double produceSeconds,
      double passThroughRate,
      double analyzerRate,
      double ratio,
      long analyzerDecisions,
      long analyzerDeadLetters,
      double analyzerComputeSeconds,
      List<Pass> passThroughRuns,
      List<Pass> analyzerRuns) {}

  public record Result(
      Settings settings, Latency latency, Throughput throughput, Map<String, Object> environment) {}

  private final Map<String, Object> config;
  private final Settings s;
  private final Path stateRoot;
  private final PrintStream log;
  private final String runTag = Long.toHexString(System.currentTimeMillis());

  /**
   * @param config Kafka client properties plus {@code schema.registry.url}
   * @param stateRoot folder for the Streams apps' local state (the caller deletes it)
   */
  public LoopBenchmark(
      Map<String, Object> config, Settings settings, Path stateRoot, PrintStream log) {
    this.config = config;
    this.s = settings;
    this.stateRoot = stateRoot;
    this.log = log;
  }

  /** Runs both phases; topics created for the run are deleted afterwards. */
  public Result run() throws Exception {
    return run(true, true);
  }

  /** Runs the chosen phases (a skipped phase's result is null). */
  public Result run(boolean runLatency, boolean runThroughput) throws Exception {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("availableProcessors", Runtime.getRuntime().availableProcessors());
    env.put("javaVersion", System.getProperty("java.version"));
    env.put(
        "commitIntervalMs",
        StreamsApp.config("x", stateRoot, config).get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG));
    env.put(
        "processingGuarantee",
        StreamsApp.config("x", stateRoot, config).get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    env.put(
        "analyzerResumeSnapshots",
        config.getOrDefault(SalienceAnalyzer.RESUME_SNAPSHOTS_CONFIG, 1));
    env.put("loadAverageAtStart", loadAverage());
    Latency latency = runLatency ? latencyPhase() : null;
    env.put("loadAverageAfterLatency", loadAverage());
    Throughput throughput = runThroughput ? throughputPhase() : null;
    env.put("loadAverageAfterThroughput", loadAverage());
    return new Result(s, latency, throughput, env);
  }

  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  // ---------------------------------------------------------------------------------------------------------- topics

  private LoopTopics createTopics(String prefix) {
    try (Admin admin = admin()) {
      int brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
      short rf = (short) Math.min(3, brokers);
      List<NewTopic> wanted = new ArrayList<>();
      Topics t = Topics.withPrefix(prefix);
      for (var spec : Topics.specs()) {
        if (spec.tenantScoped()) {
          wanted.add(new NewTopic(t.name(spec), spec.partitions(), rf).configs(spec.configs()));
        }
      }
      wanted.add(new NewTopic(passThroughTopic(prefix), Topics.EXPERIMENT_PARTITIONS, rf));
      TopicInitializer.ensureTopics(admin, wanted).requireMatching();
      return LoopTopics.of(t);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot create the benchmark topics with prefix '" + prefix + "': " + e.getMessage(), e);
    }
  }

  private void deleteTopics(String prefix) {
    try (Admin admin = admin()) {
      List<String> names =
          admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
              .filter(n -> n.startsWith(prefix))
              .toList();
      admin.deleteTopics(names).all().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.println(
          "warning: could not delete the benchmark topics with prefix '"
              + prefix
              + "': "
              + e.getMessage());
    }
  }

  private static String passThroughTopic(String prefix) {
    return prefix + "bench.pass-through.v1";
  }

  private Admin admin() {
    Properties p = new Properties();
    p.putAll(clientProps());
    p.putIfAbsent(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.get("bootstrap.servers"));
    return Admin.create(p);
  }

  // ------------------------------------------------------------------------------------------------- latency phase

  Map<String, String> latencyParams() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("mode", "clean");
    p.put("totalSteps", Long.toString(s.steps()));
    p.put("initialWarmup", Long.toString(s.warmup()));
    p.put("finalSteps", Long.toString(s.finalSteps()));
    p.put("targetBudget", Integer.toString(Math.max(1, s.n() / 3)));
    p.put("tInit", Integer.toString(s.tInit()));
    p.put("tFinal", Integer.toString(s.tFinal()));
    return p;
  }

  AdapterLayout layout() {
    return AdapterLayout.uniform(s.matrices(), s.perLayer(), 768, 768, s.rank());
  }

  Latency latencyPhase() throws Exception {
    String prefix = "bench-" + runTag + "-lat.";
    LoopTopics topics = createTopics(prefix);
    log.printf(
        "latency: %d synthetic SalientLoRA trainers, N = %d (%d matrices x rank %d), %d steps each,"
            + " windows %d..%d steps, %d ms between steps, sync mode%n",
        s.experiments(),
        s.n(),
        s.matrices(),
        s.rank(),
        s.steps(),
        s.tInit(),
        s.tFinal(),
        s.stepIntervalMs());
    LoopLatency all = new LoopLatency();
    List<Trainer> trainers = new ArrayList<>();
    long steps = 0;
    double seconds = 0;
    long deadLetters;
    String measuredIds = "bench-" + runTag + "-m";
    List<Double> jitByRound = new ArrayList<>();
    List<Double> gcByRound = new ArrayList<>();
    try (LoopServices services =
        LoopServices.start(
            config, topics, stateRoot.resolve("latency"), "-bench-" + runTag, "bench")) {
      double lastJitShare = 0;
      for (int round = 0; ; round++) {
        boolean measured = measureRound(round, s.warmupRounds(), lastJitShare, s.warmupJitShare());
        String ids = measured ? measuredIds : "bench-" + runTag + "-w" + round;
        if (!measured) {
          log.printf("latency: warm-up round %d (not measured)%n", round + 1);
        }
        List<Trainer> roundTrainers = new ArrayList<>();
        for (int i = 0; i < s.experiments(); i++) {
          roundTrainers.add(new Trainer(topics, ids + "-" + i, i));
        }
        ExecutorService pool =
            Executors.newFixedThreadPool(
                s.experiments(),
                r -> {
                  Thread t = new Thread(r);
                  t.setName("bench-trainer-" + t.getId());
                  t.setDaemon(true);
                  return t;
                });
        long t0 = System.nanoTime();
        double jit0 = jitMillis();
        double gc0 = gcMillis();
        List<Future<Long>> futures = new ArrayList<>();
        for (Trainer t : roundTrainers) {
          futures.add(pool.submit(t::call));
        }
        long roundSteps = 0;
        try {
          for (Future<Long> f : futures) {
            roundSteps += f.get();
          }
        } finally {
          pool.shutdownNow();
        }
        double roundMillis = (System.nanoTime() - t0) / 1e6;
        double jit = jitMillis() - jit0;
        jitByRound.add(jit);
        gcByRound.add(gcMillis() - gc0);
        lastJitShare = Double.isNaN(jit) ? 0 : jit / roundMillis;
        log.printf(
            "latency: round %d: %.1f s, JIT compilation %.0f ms (%.0f %% of the round), GC %.0f ms%n",
            round + 1, roundMillis / 1e3, jit, 100 * lastJitShare, gcByRound.get(round));
        if (measured) {
          steps = roundSteps;
          seconds = (System.nanoTime() - t0) / 1e9;
          trainers.addAll(roundTrainers);
          break;
        }
      }
      for (Trainer t : trainers) {
        all.addAll(t.latency);
      }
      deadLetters = services.analyzer().metrics().deadLetters.sum();
    }
    double[] compute = computeMillis(topics.salienceReports(), measuredIds);
    deleteTopics(prefix);
    double[] v = all.snapshot();
    int windows = trainers.stream().mapToInt(t -> t.latency.count()).max().orElse(0);
    double[] p50ByWindow = new double[windows];
    double[] maxByWindow = new double[windows];
    for (int w = 0; w < windows; w++) {
      final int at = w;
      double[] col =
          trainers.stream()
              .map(t -> t.latency.snapshot())
              .filter(a -> a.length > at)
              .mapToDouble(a -> a[at])
              .toArray();
      p50ByWindow[w] = percentile(col, 50);
      maxByWindow[w] = percentile(col, 100);
    }
    return new Latency(
        v.length,
        all.percentile(50),
        all.percentile(95),
        all.percentile(99),
        all.percentile(100),
        Arrays.stream(v).average().orElse(Double.NaN),
        steps,
        seconds,
        steps / seconds,
        percentile(compute, 50),
        percentile(compute, 99),
        percentile(compute, 100),
        compute.length,
        deadLetters,
        p50ByWindow,
        maxByWindow,
        jitByRound.stream().mapToDouble(Double::doubleValue).toArray(),
        gcByRound.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /**
   * Whether round {@code round} (from 0) of the latency phase is the measured one: after at least
   * {@code minWarmup} unmeasured rounds, warm-up goes on while the JIT compilers spent more than
   * {@code maxJitShare} of the last round's wall time compiling, up to {@link #MAX_WARMUP_ROUNDS}.
   */
  static boolean measureRound(int round, int minWarmup, double lastJitShare, double maxJitShare) {
    return round >= minWarmup
        && (round == 0 || lastJitShare <= maxJitShare || round >= MAX_WARMUP_ROUNDS);
  }

  /**
   * Milliseconds this JVM's JIT compilers have spent so far (NaN where not supported). Measured per
   * latency round: with one warm-up round the C2 compiler was still busy during the measured round
   * — about a third of one of the 2 cores (compilations of 100-700 ms in the Kafka clients, the
   * broker and the pruner, which runs only 360 times per round), and every stage of the loop waited
   * for CPU.
   */
  static double jitMillis() {
    var jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported()
        ? jit.getTotalCompilationTime()
        : Double.NaN;
  }

  /** Milliseconds of garbage collection so far (all collectors, as the JVM reports them). */
  static double gcMillis() {
    long sum = 0;
    for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      sum += Math.max(0, gc.getCollectionTime());
    }
    return sum;
  }

  /**
   * One synthetic trainer: emits a random walk of singular values, applies the commands it
   * receives.
   */
  private final class Trainer {
    final LoopTopics topics;
    final String id;
    final int index;
    final LoopLatency latency = new LoopLatency();

    Trainer(LoopTopics topics, String id, int index) {
      this.topics = topics;
      this.id = id;
      this.index = index;
    }

    long call() throws Exception {
      Map<String, String> params = latencyParams();
      RankPolicy policy = Policies.create(SalientLoraPolicy.NAME, params, layout());
      ExperimentSpec spec =
          KafkaHosts.registration(
              id,
              "bench",
              policy,
              params,
              "synthetic",
              "synthetic",
              s.steps(),
              index,
              "kafka-sync");
      ExperimentClient client = new ExperimentClient(config, topics, id, id + "-run", 1, 0);
      SyntheticWalk walk = new SyntheticWalk(layout(), index);
      long done = 0;
      try (KafkaAllocationHost host =
          new KafkaAllocationHost(
              client, spec, KafkaAllocationHost.Mode.SYNC, policy::decidesAt, s.syncTimeout(), 0)) {
        host.register();
        // trainer i starts i/E of the start spread late: with identical schedules, a spread of one
        // step interval
        // makes every window end a burst of E decisions; a longer spread models experiments started
        // independently
        Thread.sleep(s.startSpreadMs() * index / Math.max(1, s.experiments()));
        for (long step = 0; step < s.steps(); step++) {
          for (Decision c : host.afterStep(walk.next(step))) {
            walk.apply(c);
          }
          done++;
          if (s.stepIntervalMs() > 0) {
            Thread.sleep(s.stepIntervalMs());
          }
        }
        latency.addAll(host.latency());
      }
      return done;
    }
  }

  /**
   * Deterministic per-experiment random walk of the N singular values; pruned values are exactly 0.
   */
  static final class SyntheticWalk {
    private final AdapterLayout layout;
    private final Random random;
    private final double[] lambda;
    private final List<boolean[]> keep = new ArrayList<>();

    SyntheticWalk(AdapterLayout layout, long seed) {
      this.layout = layout;
      this.random = new Random(0x5A11E47L + seed);
      this.lambda = new double[layout.totalRank()];
      for (int i = 0; i < lambda.length; i++) {
        lambda[i] = 0.5 + random.nextDouble();
      }
      for (AdapterLayout.Matrix m : layout.matrices()) {
        boolean[] k = new boolean[m.initialRank()];
        Arrays.fill(k, true);
        keep.add(k);
      }
    }

    TrainerStep next(long step) {
      List<MatrixStep> ms = new ArrayList<>(layout.size());
      int o = 0;
      for (int m = 0; m < layout.size(); m++) {
        AdapterLayout.Matrix mat = layout.matrices().get(m);
        boolean[] k = keep.get(m);
        double[] sv = new double[k.length];
        for (int i = 0; i < k.length; i++, o++) {
          lambda[o] = Math.abs(lambda[o] + 0.01 * random.nextGaussian());
          sv[i] = k[i] ? (float) lambda[o] : 0.0; // float32, as a trainer's λ
        }
        ms.add(new MatrixStep(mat.name(), mat.layer(), sv, k.clone()));
      }
      double orth = 0.05 + 0.5 * Math.exp(-step / 100.0) + 0.001 * random.nextDouble();
      return new TrainerStep(step, 1.0 / (1 + step), orth, 1e-3, ms, null, null);
    }

    /** Applies a decision's triplet mask (the walk has singular values only). */
    void apply(Decision d) {
      if (!(d.mask() instanceof MaskUpdate.TripletMask)) {
        throw new IllegalArgumentException(
            "the synthetic walk has singular values only, not "
                + d.mask().getClass().getSimpleName());
      }
      List<boolean[]> byMatrix = d.mask().byMatrix(layout);
      for (int m = 0; m < keep.size(); m++) {
        System.arraycopy(byMatrix.get(m), 0, keep.get(m), 0, keep.get(m).length);
      }
    }

    /** The keep bits in force per matrix (copies). */
    List<boolean[]> keep() {
      return keep.stream().map(boolean[]::clone).toList();
    }
  }

  /** The analyzer's window-end compute times of this run (from the committed salience reports). */
  private double[] computeMillis(String reportsTopic, String keyPrefix) {
    Map<String, Object> c = new HashMap<>(clientProps());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<Double> out = new ArrayList<>();
    try (KafkaConsumer<String, SalienceReport> consumer =
        new KafkaConsumer<>(
            c,
            new StringDeserializer(),
            EventSerdes.of(SalienceReport.class, config).deserializer())) {
      List<TopicPartition> tps =
          consumer.partitionsFor(reportsTopic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      Map<TopicPartition, Long> end = consumer.endOffsets(tps);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, SalienceReport> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.key() != null && r.key().startsWith(keyPrefix)) {
            out.add(r.value().getComputeMillis());
          }
        }
      }
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private Map<String, Object> clientProps() {
    return new HashMap<>(LayeredConfig.kafkaClientProperties(config));
  }

  static double percentile(double[] values, double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] s = values.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(p / 100.0 * s.length);
    return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
  }

  // ----------------------------------------------------------------------------------------------
  // throughput phase

  Throughput throughputPhase() throws Exception {
    String prefix = "bench-" + runTag + "-tp.";
    LoopTopics topics = createTopics(prefix);
    int k = s.throughputExperiments();
    long perExperiment = s.throughputRecords() / k;
    int records = (int) (perExperiment * k);
    log.printf(
        "throughput: producing %d singular-value events (%d experiments x %d steps, N = %d)...%n",
        records, k, perExperiment, s.n());
    long t0 = System.nanoTime();
    long bytes = produce(topics, k, perExperiment);
    double produceSeconds = (System.nanoTime() - t0) / 1e9;
    log.printf("throughput: produced %.1f MB in %.1f s%n", bytes / 1e6, produceSeconds);

    // Alternating runs A P A P A P (each from the beginning, fresh application id and state): each
    // app's first run
    // is slower (JIT; 11k against 17-20k records/s for the analyzer), later runs profit from a warm
    // broker, and the
    // machine's noise moves single runs by ±20%; medians of three alternating runs per app drop the
    // cold run of
    // each. Ratio = median analyzer rate / median pass-through rate.
    List<Pass> passes = new ArrayList<>();
    List<Pass> analyses = new ArrayList<>();
    long decisions = 0;
    long dead = 0;
    double computeSeconds = 0;
    for (int round = 0; round < THROUGHPUT_ROUNDS; round++) {
      String analyzerId =
          SalienceAnalyzer.DEFAULT_APPLICATION_ID + "-bench-tp" + round + "-" + runTag;
      long start = System.nanoTime();
      try (SalienceAnalyzer analyzer =
          SalienceAnalyzer.start(
              config,
              LoopServices.analyzerTopics(topics),
              stateRoot.resolve("tp-analyzer-" + round),
              analyzerId)) {
        var m = analyzer.metrics();
        Pass a =
            measure(
                "salience-analyzer",
                () -> m.steps.sum() + m.duplicates.sum() + m.deadLetters.sum(),
                records,
                start);
        analyses.add(a);
        decisions = m.decisions.sum();
        dead += m.deadLetters.sum();
        computeSeconds = m.decisionNanos.sum() / 1e9;
        log.printf(
            "throughput: salience-analyzer %.0f records/s (%d window ends, %.1f s of salience computation)%n",
            a.recordsPerSecond(), decisions, computeSeconds);
      }
      Pass p = passThrough(topics, prefix, "run" + round, records);
      passes.add(p);
      log.printf("throughput: pass-through %.0f records/s%n", p.recordsPerSecond());
    }
    deleteTopics(prefix);
    double passRate = median(passes);
    double analyzerRate = median(analyses);
    return new Throughput(
        records,
        k,
        bytes,
        produceSeconds,
        passRate,
        analyzerRate,
        analyzerRate / passRate,
        decisions,
        dead,
        computeSeconds,
        passes,
        analyses);
  }

  /** Runs of each app in the throughput phase (alternating, the analyzer first). */
  static final int THROUGHPUT_ROUNDS = 3;

  private static double median(List<Pass> runs) {
    double[] r = runs.stream().mapToDouble(Pass::recordsPerSecond).sorted().toArray();
    return r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
  }

  /**
   * A plain Streams app copying the bytes of both input topics to one output topic, read from the
   * beginning.
   */
  private Pass passThrough(LoopTopics topics, String prefix, String run, int records)
      throws InterruptedException {
    LongAdder copied = new LongAdder();
    Topology topology = new Topology();
    topology.addSource(
        "experiments",
        Serdes.Bytes().deserializer(),
        Serdes.ByteArray().deserializer(),
        topics.experiments());
    topology.addSource(
        "singular-values",
        Serdes.Bytes().deserializer(),
        Serdes.ByteArray().deserializer(),
        topics.singularValues());
    topology.addProcessor(
        "copy",
        () -> new CountingCopy(topics.singularValues(), copied),
        "experiments",
        "singular-values");
    topology.addSink(
        "out",
        passThroughTopic(prefix),
        Serdes.Bytes().serializer(),
        Serdes.ByteArray().serializer(),
        "copy");
    String passId = "salientstream-bench-pass-through-" + run + "-" + runTag;
    long start = System.nanoTime();
    try (StreamsApp app =
        StreamsApp.start(
            passId,
            topology,
            StreamsApp.config(passId, stateRoot.resolve("pass-" + run), config),
            Duration.ofSeconds(60))) {
      return measure("pass-through (" + run + ")", copied::sum, records, start);
    }
  }

  /**
   * Registrations, then the events of all experiments interleaved step by step; returns the value
   * bytes sent.
   */
  private long produce(LoopTopics topics, int k, long perExperiment) throws Exception {
    Map<String, Object> p = new HashMap<>(clientProps());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.put(
        ProducerConfig.COMPRESSION_TYPE_CONFIG,
        "none"); // as the trainers' producers (ExperimentClient)
    LongAdder bytes = new LongAdder();
    var serializer = EventSerdes.anyValue(config);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), Serdes.ByteArray().serializer())) {
      Map<String, String> params = new LinkedHashMap<>();
      params.put("mode", "clean");
      params.put("totalSteps", Long.toString(perExperiment));
      params.put("initialWarmup", Long.toString(perExperiment / 10));
      params.put("finalSteps", Long.toString(perExperiment / 10));
      params.put("targetBudget", Integer.toString(Math.max(1, s.n() / 3)));
      params.put("tInit", Integer.toString(s.throughputTInit()));
      params.put("tFinal", Integer.toString(s.throughputTFinal()));
      List<String> ids = new ArrayList<>();
      List<SyntheticWalk> walks = new ArrayList<>();
      for (int e = 0; e < k; e++) {
        String id = "bench-" + runTag + "-tp-" + e;
        RankPolicy policy = Policies.create(SalientLoraPolicy.NAME, params, layout());
        ExperimentSpec spec =
            KafkaHosts.registration(
                id,
                "bench",
                policy,
                params,
                "synthetic",
                "synthetic",
                perExperiment,
                e,
                "kafka-async");
        producer
            .send(
                new ProducerRecord<>(
                    topics.experiments(), id, serializer.serialize(topics.experiments(), spec)))
            .get();
        ids.add(id);
        walks.add(new SyntheticWalk(layout(), 1000 + e));
      }
      for (long step = 0; step < perExperiment; step++) {
        for (int e = 0; e < k; e++) {
          SingularValueStep event = toEvent(ids.get(e), walks.get(e).next(step));
          byte[] value = serializer.serialize(topics.singularValues(), event);
          bytes.add(value.length);
          producer.send(new ProducerRecord<>(topics.singularValues(), ids.get(e), value));
        }
      }
      producer.flush();
    }
    return bytes.sum();
  }

  /**
   * The event a trainer emits for {@code e} (asynchronous mode: no masks are ever applied here).
   */
  static SingularValueStep toEvent(String id, TrainerStep e) {
    List<MatrixSingularValues> ms = new ArrayList<>(e.matrices().size());
    for (MatrixStep m : e.matrices()) {
      List<Float> values = new ArrayList<>(m.singularValues().length);
      List<Boolean> mask = new ArrayList<>(m.keep().length);
      for (int i = 0; i < m.singularValues().length; i++) {
        values.add((float) m.singularValues()[i]);
        mask.add(m.keep()[i]);
      }
      ms.add(
          MatrixSingularValues.newBuilder()
              .setName(m.name())
              .setLayer(m.layer())
              .setSingularValues(values)
              .setMask(mask)
              .setImportance(null)
              .build());
    }
    return SingularValueStep.newBuilder()
        .setExperimentId(id)
        .setRunId(id + "-run")
        .setEpoch(1)
        .setStep(e.step())
        .setWallClockMs(Instant.now())
        .setOrthRegLoss(e.orthRegLoss())
        .setTaskLoss(e.taskLoss())
        .setLearningRate(e.learningRate())
        .setMatrices(ms)
        .build();
  }

  /** Copies every record to the output topic and counts the singular-value records. */
  private static final class CountingCopy implements Processor<Bytes, byte[], Bytes, byte[]> {
    private final String countedTopic;
    private final LongAdder counter;
    private ProcessorContext<Bytes, byte[]> context;

    CountingCopy(String countedTopic, LongAdder counter) {
      this.countedTopic = countedTopic;
      this.counter = counter;
    }

    @Override
    public void init(ProcessorContext<Bytes, byte[]> context) {
      this.context = context;
    }

    @Override
    public void process(Record<Bytes, byte[]> record) {
      context.forward(record);
      if (context.recordMetadata().map(m -> m.topic().equals(countedTopic)).orElse(false)) {
        counter.increment();
      }
    }
  }

  /**
   * Polls {@code processed} until it reaches {@code target}; the rate covers first to last observed
   * progress.
   */
  private Pass measure(String app, LongSupplier processed, long target, long startNanos)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    long firstCount = -1;
    long firstAt = 0;
    long nextLog = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (true) {
      long now = System.nanoTime();
      long c = processed.getAsLong();
      if (firstCount < 0 && c > 0) {
        firstCount = c;
        firstAt = now;
      }
      if (c >= target) {
        double seconds = (now - firstAt) / 1e9;
        double total = (now - startNanos) / 1e9;
        if (firstCount
            >= target) { // everything in one observation (tiny runs): only the time since start is
          // known
          return new Pass(app, target, total, target / total, total);
        }
        return new Pass(app, target, seconds, (target - firstCount) / seconds, total);
      }
      if (now > deadline) {
        throw new IllegalStateException(
            app + " processed " + c + " of " + target + " records within 10 minutes");
      }
      if (now > nextLog) {
        log.printf("  %s: %d / %d records%n", app, c, target);
        nextLog = now + Duration.ofSeconds(5).toNanos();
      }
      Thread.sleep(2);
    }
  }

  // -------------------------------------------------------------------------------------------------------- report

  private static String rates(List<Pass> runs) {
    return runs.stream()
        .map(p -> String.format("%.0f", p.recordsPerSecond()))
        .collect(Collectors.joining(" / "));
  }

  /** The human-readable table. */
  public static String table(Result r) {
    Settings s = r.settings();
    Latency l = r.latency();
    Throughput t = r.throughput();
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            "Control-loop benchmark (%d cores, commit.interval.ms %s, %s, analyzer resume snapshots %s)%n",
            r.environment().get("availableProcessors"),
            r.environment().get("commitIntervalMs"),
            r.environment().get("processingGuarantee"),
            r.environment().get("analyzerResumeSnapshots")));
    if (l != null) {
      b.append(
          String.format(
              "Loop latency: %d synthetic SalientLoRA experiments, N = %d, %d steps, windows %d..%d,"
                  + " %d ms between steps, starts spread over %d ms, sync mode, %d warm-up round(s) not measured%n",
              s.experiments(),
              s.n(),
              s.steps(),
              s.tInit(),
              s.tFinal(),
              s.stepIntervalMs(),
              s.startSpreadMs(),
              l.jitMillisByRound().length - 1));
      b.append(String.format("  %-34s %10s%n", "metric", "value"));
      b.append(String.format("  %-34s %10d%n", "window ends (samples)", l.samples()));
      b.append(String.format("  %-34s %10.1f%n", "latency p50 (ms)", l.p50()));
      b.append(String.format("  %-34s %10.1f%n", "latency p95 (ms)", l.p95()));
      b.append(
          String.format(
              "  %-34s %10.1f   target <= 100: %s%n",
              "latency p99 (ms)", l.p99(), l.p99() <= 100 ? "met" : "MISSED"));
      b.append(String.format("  %-34s %10.1f%n", "latency max (ms)", l.max()));
      b.append(String.format("  %-34s %10.1f%n", "steps/s (all experiments)", l.stepsPerSecond()));
      b.append(String.format("  %-34s %10.1f%n", "window-end compute p50 (ms)", l.computeP50()));
      b.append(String.format("  %-34s %10.1f%n", "window-end compute p99 (ms)", l.computeP99()));
      b.append(String.format("  %-34s %10d%n", "dead letters", l.deadLetters()));
      StringBuilder byWindow = new StringBuilder();
      for (int w = 0; w < l.p50ByWindow().length; w++) {
        byWindow.append(String.format(" %.0f/%.0f", l.p50ByWindow()[w], l.maxByWindow()[w]));
      }
      b.append("  p50/max (ms) by window end:").append(byWindow).append(String.format("%n"));
      StringBuilder rounds = new StringBuilder();
      for (int i = 0; i < l.jitMillisByRound().length; i++) {
        rounds.append(String.format(" %.0f/%.0f", l.jitMillisByRound()[i], l.gcMillisByRound()[i]));
      }
      b.append("  JIT/GC ms by round (last measured):").append(rounds).append(String.format("%n"));
    }
    if (t != null) {
      b.append(
          String.format(
              "Analyzer throughput: %d events of %d experiments (N = %d, %.1f KB each), windows %d..%d%n",
              t.records(),
              t.experiments(),
              s.n(),
              t.eventBytes() / 1e3 / t.records(),
              s.throughputTInit(),
              s.throughputTFinal()));
      b.append(
          String.format(
              "  %-34s %10.0f   (median of runs: %s)%n",
              "pass-through (records/s)", t.passThroughRate(), rates(t.passThroughRuns())));
      b.append(
          String.format(
              "  %-34s %10.0f   (median of runs: %s; %d window ends, %.1f s of salience computation)%n",
              "salience-analyzer (records/s)",
              t.analyzerRate(),
              rates(t.analyzerRuns()),
              t.analyzerDecisions(),
              t.analyzerComputeSeconds()));
      b.append(
          String.format(
              "  %-34s %9.0f%%   target >= 70%%: %s%n",
              "analyzer / pass-through", 100 * t.ratio(), t.ratio() >= 0.7 ? "met" : "MISSED"));
    }
    b.append(
        String.format(
            "Load average: %.2f at start, %.2f after latency, %.2f after throughput%n",
            r.environment().get("loadAverageAtStart"),
            r.environment().get("loadAverageAfterLatency"),
            r.environment().get("loadAverageAfterThroughput")));
    return b.toString();
  }

  /** Writes the result as JSON. */
  public static void writeJson(Result r, Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      JsonNumbers.mapper()
          .writerWithDefaultPrettyPrinter()
          .without(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .writeValue(file.toFile(), toMap(r));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report to " + file, e);
    }
  }

  static Map<String, Object> toMap(Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    Settings s = r.settings();
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("experiments", s.experiments());
    settings.put("matrices", s.matrices());
    settings.put("perLayer", s.perLayer());
    settings.put("rank", s.rank());
    settings.put("n", s.n());
    settings.put("steps", s.steps());
    settings.put("initialWarmup", s.warmup());
    settings.put("finalSteps", s.finalSteps());
    settings.put("tInit", s.tInit());
    settings.put("tFinal", s.tFinal());
    settings.put("stepIntervalMs", s.stepIntervalMs());
    settings.put("startSpreadMs", s.startSpreadMs());
    settings.put("throughputExperiments", s.throughputExperiments());
    settings.put("throughputRecords", s.throughputRecords());
    settings.put("throughputTInit", s.throughputTInit());
    settings.put("throughputTFinal", s.throughputTFinal());
    settings.put("warmupRounds", s.warmupRounds());
    settings.put("warmupJitShare", s.warmupJitShare());
    settings.put("syncTimeoutSeconds", s.syncTimeout().toSeconds());
    m.put("settings", settings);
    m.put("latency", r.latency());
    m.put("throughput", r.throughput());
    m.put("environment", r.environment());
    return m;
  }
}
