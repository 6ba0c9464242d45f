package io.salientstream.loop.bench;

import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.json.JsonNumbers;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.salient.SalientLoraPolicy;
import io.salientstream.loop.ExperimentClient;
import io.salientstream.loop.KafkaAllocationHost;
import io.salientstream.loop.KafkaHosts;
import io.salientstream.loop.LoopTopics;
import io.salientstream.stack.EmbeddedKafkaCluster;
import io.salientstream.stack.RegistryService;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import io.salientstream.streams.LayeredConfig;
import io.salientstream.trainer.host.InProcessAllocationHost;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * The soak: long runs with flat memory. An in-process KRaft broker and registry (or given ones),
 * the salience-analyzer and the pruner each in a JVM of its own ({@link SoakAppMain}: the real
 * apps, default settings but for the idle retention and the grace period, which the report states),
 * and a stream of short synthetic SalientLoRA experiments in sync mode through the real {@link
 * KafkaAllocationHost}, a few at a time: most finish, some fail half-way (FAILED status, state kept
 * until the idle retention), some are abandoned half-way (the trainer's clients closed without a
 * word, as a killed trainer). Hostile records go to every input topic all along: length bombs,
 * random bytes, NaN singular values (for unknown experiments and, in some runs, for the running
 * experiment itself) and records of unknown experiments; every one must become a dead letter.
 *
 * <p>Each sample period it asks each app for its live heap after a full GC, its exact store entry
 * counts and RocksDB's {@code estimate-num-keys}, and reads its RSS ({@code /proc/<pid>/status}
 * VmRSS) and the size of its state folder on disk. At the end, once the last experiment ended and
 * the grace period and the idle retention have passed, it checks: store entries back to the start
 * plus {@link Settings#entryAllowance}, heap after GC within {@link Settings#heapBoundBytes} of the
 * start, every finished experiment's commands all applied with the in-process run's masks, no
 * unplanned experiment failure, at least one dead letter per hostile record.
 */
public final class SoakBenchmark {

  /** Sizes and timings of a run. */
  public record Settings(
      Duration duration,
      double experimentsPerMinute,
      int concurrency,
      long steps,
      int matrices,
      int perLayer,
      int rank,
      long stepIntervalMs,
      int abandonEvery,
      int failEvery,
      int nanEvery,
      Duration grace,
      Duration idleRetention,
      Duration sampleEvery,
      Duration hostileEvery,
      long heapBoundBytes,
      long entryAllowance,
      long seed,
      Duration syncTimeout) {

    public Settings {
      if (duration.isNegative() || duration.compareTo(Duration.ofSeconds(5)) < 0) {
        throw new IllegalArgumentException("--duration must be at least 5 s, got " + duration);
      }
      if (duration.compareTo(Duration.ofDays(7)) > 0) {
        throw new IllegalArgumentException("--duration must be at most 7 days, got " + duration);
      }
      if (!(experimentsPerMinute > 0 && experimentsPerMinute <= 600)) {
        throw new IllegalArgumentException(
            "--experiments-per-minute must be > 0 and <= 600, got " + experimentsPerMinute);
      }
      if (concurrency < 1 || concurrency > 64) {
        throw new IllegalArgumentException("--concurrency must be 1..64, got " + concurrency);
      }
      if (steps < 40 || steps > 100_000) {
        throw new IllegalArgumentException("steps must be 40..100000, got " + steps);
      }
      if (sampleEvery.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("--sample-every must be at least 1 s");
      }
      if (grace.getSeconds() < 1 || idleRetention.getSeconds() < 1) {
        throw new IllegalArgumentException("--grace and --idle-retention must be at least 1 s");
      }
    }

    public int n() {
      return matrices * rank;
    }

    /**
     * The run: 65 minutes, up to 20 experiments a minute (8 at a time), samples every
     * minute; the apps' idle retention shortened to 3 minutes (from 7 days), the grace period the
     * apps' default 30 s, the trainers' sync timeout the default 300 s.
     */
    public static Settings full(Duration duration) {
      return new Settings(
          duration,
          20,
          8,
          80,
          24,
          6,
          8,
          10,
          10,
          10,
          4,
          Duration.ofSeconds(30),
          Duration.ofMinutes(3),
          Duration.ofMinutes(1),
          Duration.ofSeconds(20),
          32L << 20,
          0,
          42,
          Duration.ofSeconds(300));
    }

    /**
     * The CI form: 25 s of experiments (4 at a time; one in three abandoned, one in three failed),
     * samples every 5 s, grace 3 s and idle retention 25 s (longer than an experiment's silence
     * between two decisions on a loaded machine, or a running experiment would be forgotten).
     */
    public static Settings ci() {
      return new Settings(
          Duration.ofSeconds(25),
          30,
          4,
          80,
          8,
          4,
          4,
          5,
          3,
          3,
          1,
          Duration.ofSeconds(3),
          Duration.ofSeconds(25),
          Duration.ofSeconds(5),
          Duration.ofSeconds(4),
          32L << 20,
          0,
          42,
          Duration.ofSeconds(120));
    }

    Settings with(
        Duration duration,
        Double perMinute,
        Integer concurrency,
        Duration idleRetention,
        Duration grace,
        Duration sampleEvery) {
      return new Settings(
          duration == null ? this.duration : duration,
          perMinute == null ? experimentsPerMinute : perMinute,
          concurrency == null ? this.concurrency : concurrency,
          steps,
          matrices,
          perLayer,
          rank,
          stepIntervalMs,
          abandonEvery,
          failEvery,
          nanEvery,
          grace == null ? this.grace : grace,
          idleRetention == null ? this.idleRetention : idleRetention,
          sampleEvery == null ? this.sampleEvery : sampleEvery,
          hostileEvery,
          heapBoundBytes,
          entryAllowance,
          seed,
          syncTimeout);
    }

    /** Copy with other sizes (command-line overrides; null keeps the value). */
    public Settings override(
        Duration duration,
        Double perMinute,
        Integer concurrency,
        Duration idleRetention,
        Duration grace,
        Duration sampleEvery) {
      return with(duration, perMinute, concurrency, idleRetention, grace, sampleEvery);
    }
  }

  /** How an experiment ends. */
  enum Ending {
    FINISHED,
    FAILED,
    ABANDONED
  }

  /** What one experiment did. */
  record Run(
      String id,
      Ending planned,
      long startMs,
      long endMs,
      long commandsApplied,
      int expectedCommands,
      boolean masksEqual,
      boolean nanInjected,
      String failure) {}

  private final Settings s;
  private final PrintStream log;
  private final Path state;
  private final String bootstrap;
  private final String registryUrl;
  private final String runTag = Long.toHexString(System.currentTimeMillis());
  private final String prefix;
  private final LoopTopics topics;
  private EmbeddedKafkaCluster cluster;
  private RegistryService registry;
  private Map<String, Object> config;
  private final List<Run> runs = Collections.synchronizedList(new ArrayList<>());
  private final List<Map<String, Object>> samples = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger ended = new AtomicInteger();
  private final AtomicLong hostileToAnalyzer = new AtomicLong();
  private final AtomicLong hostileToPruner = new AtomicLong();
  private final AtomicLong nanInLiveRuns = new AtomicLong();
  private KafkaProducer<String, byte[]> raw;
  private long t0Ms;

  /**
   * @param bootstrapServers a broker to use, or null for an in-process one (then also an in-process
   *     registry)
   * @param registryUrl the registry of {@code bootstrapServers}
   */
  public SoakBenchmark(
      Settings settings, Path state, PrintStream log, String bootstrapServers, String registryUrl) {
    this.s = settings;
    this.state = state;
    this.log = log;
    this.bootstrap = bootstrapServers;
    this.registryUrl = registryUrl;
    this.prefix = bootstrapServers == null ? "" : "soak-" + runTag + ".";
    this.topics = LoopTopics.forPrefix(prefix);
  }

  // ------------------------------------------------------------------------------ app JVMs

  /** The analyzer or the pruner in a JVM of its own. */
  final class App {
    final String name;
    final Path dir;
    final Path logFile;
    final List<String> command;
    final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    Process process;
    Writer stdin;

    App(String which) {
      this.name = which;
      this.dir = state.resolve(which);
      this.logFile = state.resolve(which + ".log");
      List<String> c = new ArrayList<>();
      c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      c.addAll(jvmOptions());
      c.add("-cp");
      c.add(System.getProperty("java.class.path"));
      c.add(SoakAppMain.class.getName());
      c.add(which);
      c.add(config.get("bootstrap.servers").toString());
      c.add(config.get("schema.registry.url").toString());
      c.add(dir.toString());
      c.add("-soak-" + runTag);
      c.add("soak.topic-prefix=" + prefix);
      c.addAll(appSettings());
      this.command = List.copyOf(c);
    }

    void start() {
      try {
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the " + name, e);
      }
      stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
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
                            Files.newBufferedWriter(logFile, StandardCharsets.UTF_8), true)) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    if (line.startsWith("SAMPLE ")) {
                      replies.add(line.substring(7));
                    } else {
                      out.println(line);
                      if (line.equals("READY")) {
                        ready.countDown();
                      }
                    }
                  }
                } catch (IOException e) {
                  log.println("the " + name + "'s output is lost: " + e);
                }
              },
              "soak-" + name);
      reader.setDaemon(true);
      reader.start();
      try {
        if (!ready.await(180, TimeUnit.SECONDS)) {
          throw new IllegalStateException(
              "the " + name + " did not start within 180 s; see " + logFile);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** One sample: the app's own figures, its RSS and the size of its state folder. */
    @SuppressWarnings("unchecked")
    Map<String, Object> sample() throws Exception {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("app", name);
      for (int attempt = 0; attempt < 5; attempt++) {
        stdin.write("SAMPLE\n");
        stdin.flush();
        String reply = replies.poll(120, TimeUnit.SECONDS);
        if (reply == null) {
          throw new IllegalStateException(
              "the " + name + " did not answer a sample within 120 s; see " + logFile);
        }
        Map<String, Object> got = JsonNumbers.mapper().readValue(reply, Map.class);
        if (got.containsKey("error")) {
          m.put("retriedAfter", got.get("error"));
          Thread.sleep(2_000);
          continue;
        }
        m.putAll(got);
        break;
      }
      m.put("rssBytes", rssBytes(process.pid()));
      m.put("stateDirBytes", folderBytes(dir));
      return m;
    }

    void stop() {
      if (process == null) {
        return;
      }
      try {
        stdin.write("STOP\n");
        stdin.flush();
      } catch (IOException e) {
        // gone already
      }
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  static List<String> jvmOptions() {
    return List.of("-Xmx384m", "-XX:+UseSerialGC");
  }

  /** The apps' settings the soak changes from the defaults (stated in the report). */
  List<String> appSettings() {
    return List.of(
        LayeredConfig.IDLE_RETENTION_SECONDS + "=" + s.idleRetention().toSeconds(),
        LayeredConfig.GRACE_SECONDS + "=" + s.grace().toSeconds());
  }

  /** VmRSS of a process, bytes (-1 where /proc is not there). */
  static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] f = line.trim().split("\\s+");
          return Long.parseLong(f[1]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return -1;
  }

  static long folderBytes(Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              f -> {
                try {
                  return Files.size(f);
                } catch (IOException e) {
                  return 0; // a file RocksDB just removed
                }
              })
          .sum();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  // ------------------------------------------------------------------------------ experiments

  AdapterLayout layout() {
    return AdapterLayout.uniform(s.matrices(), s.perLayer(), 768, 768, s.rank());
  }

  Map<String, String> params() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("mode", "clean");
    p.put("totalSteps", Long.toString(s.steps()));
    p.put("initialWarmup", "10");
    p.put("finalSteps", Long.toString(Math.max(10, s.steps() / 8)));
    p.put("targetBudget", Integer.toString(Math.max(1, s.n() / 3)));
    p.put("tInit", "10");
    p.put("tFinal", "20");
    return p;
  }

  Ending endingOf(int number) {
    if (s.abandonEvery() > 0 && number % s.abandonEvery() == s.abandonEvery() / 2) {
      return Ending.ABANDONED;
    }
    if (s.failEvery() > 0 && number % s.failEvery() == 0) {
      return Ending.FAILED;
    }
    return Ending.FINISHED;
  }

  /**
   * One synthetic experiment in sync mode, ended as planned; its in-process twin gives the commands
   * it must apply.
   */
  Run experiment(int number) {
    Ending ending = endingOf(number);
    boolean nan =
        ending == Ending.FINISHED && s.nanEvery() > 0 && number % s.nanEvery() == 1 % s.nanEvery();
    String id = "soak-" + runTag + "-" + number;
    Map<String, String> params = params();
    RankPolicy policy = Policies.create(SalientLoraPolicy.NAME, params, layout());
    RankPolicy twin = Policies.create(SalientLoraPolicy.NAME, params, layout());
    ExperimentSpec spec =
        KafkaHosts.registration(
            id, "", policy, params, "synthetic", "synthetic", s.steps(), number, "kafka-sync");
    LoopBenchmark.SyntheticWalk walk = new LoopBenchmark.SyntheticWalk(layout(), number);
    LoopBenchmark.SyntheticWalk twinWalk = new LoopBenchmark.SyntheticWalk(layout(), number);
    InProcessAllocationHost reference = new InProcessAllocationHost(twin);
    long stopAt = ending == Ending.FINISHED ? s.steps() : s.steps() / 2;
    long nanAt = s.steps() / 3;
    int expected = 0;
    long applied = 0;
    long start = System.currentTimeMillis();
    String failure = null;
    List<boolean[]> keep = null;
    List<boolean[]> twinKeep = null;
    ExperimentClient client = new ExperimentClient(config, topics, id, id + "-run", 1, 0);
    KafkaAllocationHost host =
        new KafkaAllocationHost(
            client, spec, KafkaAllocationHost.Mode.SYNC, policy::decidesAt, s.syncTimeout(), 0);
    try {
      host.register();
      for (long step = 0; step < stopAt; step++) {
        if (nan && step == nanAt) {
          // a NaN copy of the step the trainer is about to send, ahead of it: dead-lettered, the
          // real step right after it is processed as if nothing had happened
          raw.send(
                  new ProducerRecord<>(topics.singularValues(), id, nanStepBytes(id, step, number)))
              .get(30, TimeUnit.SECONDS);
          nanInLiveRuns.incrementAndGet();
          hostileToAnalyzer.incrementAndGet();
        }
        for (Decision c : host.afterStep(walk.next(step))) {
          walk.apply(c);
          keep = walk.keep();
        }
        for (Decision c : reference.afterStep(twinWalk.next(step))) {
          twinWalk.apply(c);
          twinKeep = twinWalk.keep();
          expected++;
        }
        if (s.stepIntervalMs() > 0) {
          Thread.sleep(s.stepIntervalMs());
        }
      }
      applied = host.commandsApplied();
      switch (ending) {
        case FINISHED -> host.close();
        case FAILED -> {
          host.fail(new IllegalStateException("soak: a planned failure half-way"));
          host.close();
        }
        case ABANDONED -> client.close(); // no status, no tombstone: a trainer that vanished
      }
    } catch (Exception e) {
      failure = e.getClass().getSimpleName() + ": " + e.getMessage();
      log.println("experiment " + id + " failed: " + failure);
      try {
        client.close();
      } catch (RuntimeException closing) {
        // already closed
      }
    }
    boolean equal = failure == null && sameMasks(keep, twinKeep);
    Run r =
        new Run(
            id, ending, start, System.currentTimeMillis(), applied, expected, equal, nan, failure);
    runs.add(r);
    ended.incrementAndGet();
    return r;
  }

  static boolean sameMasks(List<boolean[]> a, List<boolean[]> b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a.size() != b.size()) {
      return false;
    }
    for (int m = 0; m < a.size(); m++) {
      if (!Arrays.equals(a.get(m), b.get(m))) {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------------------ hostile records

  byte[] nanStepBytes(String id, long step, long seed) {
    SingularValueStep e =
        LoopBenchmark.toEvent(id, new LoopBenchmark.SyntheticWalk(layout(), seed).next(step));
    MatrixSingularValues m = e.getMatrices().get(0);
    List<Float> v = new ArrayList<>(m.getSingularValues());
    v.set(0, Float.NaN);
    m.setSingularValues(v);
    return EventSerdes.of(SingularValueStep.class, config)
        .serializer()
        .serialize(topics.singularValues(), e);
  }

  /**
   * A length bomb: {@code good}'s wire-format header (magic byte, schema id), then a first string
   * field announcing 2,000,000,000 bytes.
   */
  static byte[] lengthBomb(byte[] good) {
    byte[] b = Arrays.copyOf(good, 10);
    long zigzag = 2 * 2_000_000_000L;
    for (int i = 5; i < 10; i++) {
      b[i] = (byte) ((zigzag & 0x7f) | (i < 9 ? 0x80 : 0));
      zigzag >>>= 7;
    }
    return b;
  }

  static byte[] garbage(Random rnd) {
    byte[] b = new byte[16 + rnd.nextInt(200)];
    rnd.nextBytes(b);
    b[0] = 0; // past the magic-byte check
    return b;
  }

  /** One round of hostile records on every input topic. */
  void hostileRound(int round, Random rnd, KafkaConsumer<byte[], byte[]> reports) throws Exception {
    String ghost = "soak-" + runTag + "-ghost-" + round;
    AdapterLayout layout = layout();
    RankPolicy policy = Policies.create(SalientLoraPolicy.NAME, params(), layout);
    ExperimentSpec spec =
        KafkaHosts.registration(
            ghost, "", policy, params(), "synthetic", "synthetic", s.steps(), 0, "kafka-sync");
    byte[] goodSpec =
        EventSerdes.of(ExperimentSpec.class, config)
            .serializer()
            .serialize(topics.experiments(), spec);
    byte[] goodStep =
        EventSerdes.of(SingularValueStep.class, config)
            .serializer()
            .serialize(
                topics.singularValues(),
                LoopBenchmark.toEvent(
                    ghost, new LoopBenchmark.SyntheticWalk(layout, round).next(0)));
    List<ProducerRecord<String, byte[]>> out = new ArrayList<>();
    // experiments topic (both apps read it)
    out.add(new ProducerRecord<>(topics.experiments(), ghost, lengthBomb(goodSpec)));
    out.add(new ProducerRecord<>(topics.experiments(), ghost, garbage(rnd)));
    hostileToAnalyzer.addAndGet(2);
    hostileToPruner.addAndGet(2);
    // singular values (the analyzer's input)
    out.add(new ProducerRecord<>(topics.singularValues(), ghost, lengthBomb(goodStep)));
    out.add(new ProducerRecord<>(topics.singularValues(), ghost, garbage(rnd)));
    out.add(new ProducerRecord<>(topics.singularValues(), ghost, nanStepBytes(ghost, 1, round)));
    out.add(new ProducerRecord<>(topics.singularValues(), ghost, goodStep)); // unknown id
    hostileToAnalyzer.addAndGet(4);
    // salience reports (the pruner's input): a real one captured from the topic
    byte[] report = latestRaw(reports);
    out.add(new ProducerRecord<>(topics.salienceReports(), ghost, garbage(rnd)));
    hostileToPruner.addAndGet(1);
    if (report != null) {
      out.add(new ProducerRecord<>(topics.salienceReports(), ghost, lengthBomb(report)));
      out.add(new ProducerRecord<>(topics.salienceReports(), ghost, report)); // unknown id
      hostileToPruner.addAndGet(2);
    }
    for (ProducerRecord<String, byte[]> r : out) {
      raw.send(r);
    }
    raw.flush();
  }

  /** The value of the newest record of a topic (a real salience report), or null. */
  static byte[] latestRaw(KafkaConsumer<byte[], byte[]> consumer) {
    List<TopicPartition> tps = new ArrayList<>(consumer.assignment());
    Map<TopicPartition, Long> end = consumer.endOffsets(tps);
    boolean any = false;
    for (TopicPartition tp : tps) {
      long e = end.get(tp);
      if (e > 0) {
        consumer.seek(tp, e - 1);
        any = true;
      } else {
        consumer.seek(tp, 0);
      }
    }
    if (!any) {
      return null;
    }
    long deadline = System.currentTimeMillis() + 3_000;
    while (System.currentTimeMillis() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
        if (r.value() != null && r.value().length > 10) {
          return r.value();
        }
      }
    }
    return null;
  }

  // ------------------------------------------------------------------------------ the run

  public Map<String, Object> run() throws Exception {
    Map<String, Object> result = new LinkedHashMap<>();
    t0Ms = System.currentTimeMillis();
    App analyzer = null;
    App pruner = null;
    ExecutorService pool = null;
    try {
      Files.createDirectories(state);
      config = new HashMap<>();
      if (bootstrap == null) {
        cluster = EmbeddedKafkaCluster.of(1, 1).start();
        registry = new RegistryService();
        Properties rp = new Properties();
        rp.setProperty(RegistryService.TOPIC, Topics.withPrefix("").name(Topics.SCHEMAS));
        rp.setProperty(RegistryService.REPLICATION_FACTOR, "1");
        try (Admin admin = admin(cluster.bootstrapServers())) {
          TopicInitializer.ensureTopics(admin, Topics.withPrefix(prefix), (short) 1);
        }
        registry.start(cluster.bootstrapServers(), null, rp);
        config.put("bootstrap.servers", cluster.bootstrapServers());
        config.put("schema.registry.url", registry.url());
        log.printf(
            "in-process KRaft broker %s and registry %s ready in %.1f s%n",
            cluster.bootstrapServers(), registry.url(), (System.currentTimeMillis() - t0Ms) / 1e3);
      } else {
        config.put("bootstrap.servers", bootstrap);
        config.put("schema.registry.url", registryUrl);
        try (Admin admin = admin(bootstrap)) {
          TopicInitializer.ensureTopics(admin, Topics.withPrefix(prefix), (short) 1);
        }
        log.printf("broker %s, registry %s, topics under '%s'%n", bootstrap, registryUrl, prefix);
      }
      raw =
          new KafkaProducer<>(
              LayeredConfig.kafkaClientProperties(config),
              new StringSerializer(),
              new ByteArraySerializer());
      analyzer = new App("analyzer");
      pruner = new App("pruner");
      App a = analyzer;
      App p = pruner;
      Thread pt = new Thread(p::start);
      pt.start();
      a.start();
      pt.join();
      if (p.process == null || !p.process.isAlive()) {
        throw new IllegalStateException("the pruner did not start; see " + p.logFile);
      }
      log.printf(
          "analyzer (pid %d) and pruner (pid %d) running in JVMs of their own (%s; %s)%n",
          a.process.pid(), p.process.pid(), String.join(" ", jvmOptions()), appSettings());
      List<App> apps = List.of(a, p);
      long runStart = System.currentTimeMillis();
      Map<String, Map<String, Object>> startState = sampleAll(apps, runStart, "start");

      // the stream of experiments
      pool = Executors.newFixedThreadPool(s.concurrency());
      Semaphore slots = new Semaphore(s.concurrency());
      AtomicBoolean launching = new AtomicBoolean(true);
      long launchEnd = runStart + s.duration().toMillis();
      ExecutorService launchPool = pool;
      Thread launcher =
          new Thread(
              () -> {
                long every = Math.round(60_000 / s.experimentsPerMinute());
                long next = System.currentTimeMillis();
                try {
                  while (System.currentTimeMillis() < launchEnd) {
                    long wait = next - System.currentTimeMillis();
                    if (wait > 0) {
                      Thread.sleep(wait);
                    }
                    if (System.currentTimeMillis() >= launchEnd) {
                      break;
                    }
                    slots.acquire();
                    int number = started.incrementAndGet();
                    launchPool.submit(
                        () -> {
                          try {
                            experiment(number);
                          } finally {
                            slots.release();
                          }
                        });
                    next += every;
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  launching.set(false);
                }
              },
              "soak-launcher");
      launcher.start();

      // hostile records all along
      AtomicBoolean hostile = new AtomicBoolean(true);
      Thread hostileThread =
          new Thread(
              () -> {
                Map<String, Object> cc = new HashMap<>(LayeredConfig.kafkaClientProperties(config));
                try (KafkaConsumer<byte[], byte[]> reports =
                    new KafkaConsumer<>(
                        cc, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                  reports.assign(
                      reports.partitionsFor(topics.salienceReports()).stream()
                          .map(x -> new TopicPartition(x.topic(), x.partition()))
                          .toList());
                  Random rnd = new Random(s.seed());
                  int round = 0;
                  while (hostile.get()) {
                    hostileRound(++round, rnd, reports);
                    Thread.sleep(s.hostileEvery().toMillis());
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } catch (Exception e) {
                  log.println("hostile records stopped: " + e);
                }
              },
              "soak-hostile");
      hostileThread.start();

      // samples while experiments run
      long nextSample = runStart + s.sampleEvery().toMillis();
      while (launching.get() || ended.get() < started.get()) {
        long now = System.currentTimeMillis();
        if (now >= nextSample) {
          sampleAll(apps, runStart, "run");
          nextSample += s.sampleEvery().toMillis();
        } else {
          Thread.sleep(Math.min(1_000, nextSample - now));
        }
      }
      launcher.join();
      pool.shutdown();
      pool.awaitTermination(10, TimeUnit.MINUTES);
      hostile.set(false);
      hostileThread.join(60_000);
      long lastEnd = System.currentTimeMillis();
      log.printf(
          "%s: the last experiment ended (%d in all); waiting for the grace period (%d s) and the"
              + " idle retention (%d s)%n",
          clock(lastEnd, runStart),
          ended.get(),
          s.grace().toSeconds(),
          s.idleRetention().toSeconds());

      // the end state: back to the start once the grace period and the idle retention are over
      long earliest = lastEnd + Math.max(s.grace().toMillis(), s.idleRetention().toMillis());
      long latest =
          lastEnd
              + s.grace().toMillis()
              + s.idleRetention().toMillis()
              + Math.min(60_000, s.idleRetention().toMillis() / 4 + 1_000)
              + Math.max(30_000, 2 * s.sampleEvery().toMillis());
      Map<String, Map<String, Object>> endState;
      long settleEvery = Math.min(s.sampleEvery().toMillis(), 15_000);
      while (true) {
        long now = System.currentTimeMillis();
        if (now < earliest) {
          Thread.sleep(Math.min(settleEvery, earliest - now));
          if (System.currentTimeMillis() >= nextSample) {
            sampleAll(apps, runStart, "settle");
            nextSample += s.sampleEvery().toMillis();
          }
          continue;
        }
        Map<String, Map<String, Object>> now2 = sampleAll(apps, runStart, "settle");
        endState = now2;
        boolean back =
            apps.stream()
                .allMatch(
                    x ->
                        entries(now2.get(x.name))
                            <= entries(startState.get(x.name)) + s.entryAllowance());
        if (back || System.currentTimeMillis() >= latest) {
          break;
        }
        Thread.sleep(settleEvery);
      }
      endState.values().forEach(m -> m.put("phase", "end"));
      result.putAll(verdict(startState, endState, runStart, lastEnd));
    } finally {
      if (pool != null) {
        pool.shutdownNow();
      }
      if (analyzer != null) {
        analyzer.stop();
      }
      if (pruner != null) {
        pruner.stop();
      }
      if (raw != null) {
        raw.close();
      }
      if (registry != null) {
        registry.stop();
      }
      if (cluster != null) {
        cluster.close();
      }
    }
    result.put("settings", settings());
    result.put("wallSeconds", (System.currentTimeMillis() - t0Ms) / 1e3);
    result.put("loadAverage", LoopBenchmark.loadAverage());
    result.put("cpus", Runtime.getRuntime().availableProcessors());
    result.put("samples", new ArrayList<>(samples));
    return result;
  }

  static long entries(Map<String, Object> sample) {
    Object v = sample.get("storeEntriesTotal");
    return v instanceof Number n ? n.longValue() : Long.MAX_VALUE;
  }

  static long heap(Map<String, Object> sample) {
    Object v = sample.get("heapAfterGcBytes");
    return v instanceof Number n ? n.longValue() : Long.MAX_VALUE;
  }

  static long number(Map<String, Object> sample, String key) {
    Object v = sample.get(key);
    return v instanceof Number n ? n.longValue() : -1;
  }

  private static String clock(long now, long start) {
    long sec = (now - start) / 1000;
    return String.format("%d:%02d", sec / 60, sec % 60);
  }

  private Map<String, Map<String, Object>> sampleAll(List<App> apps, long runStart, String phase)
      throws Exception {
    Map<String, Map<String, Object>> byApp = new LinkedHashMap<>();
    long now = System.currentTimeMillis();
    StringBuilder line = new StringBuilder();
    line.append(
        String.format(
            "%s  experiments started %d, ended %d (failed/abandoned as planned %d)",
            clock(now, runStart),
            started.get(),
            ended.get(),
            runs.stream().filter(r -> r.planned() != Ending.FINISHED).count()));
    for (App a : apps) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("tSeconds", (now - runStart) / 1e3);
      m.put("phase", phase);
      m.put("experimentsStarted", started.get());
      m.put("experimentsEnded", ended.get());
      m.putAll(a.sample());
      samples.add(m);
      byApp.put(a.name, m);
      line.append(
          String.format(
              " | %s heap %.1f MB, RSS %.0f MB, disk %.1f MB, entries %d, dead letters %d",
              a.name,
              heap(m) / 1048576.0,
              number(m, "rssBytes") / 1048576.0,
              number(m, "stateDirBytes") / 1048576.0,
              entries(m),
              number(m, "deadLetters")));
    }
    log.println(line);
    return byApp;
  }

  private Map<String, Object> verdict(
      Map<String, Map<String, Object>> start,
      Map<String, Map<String, Object>> end,
      long runStart,
      long lastEnd) {
    List<String> problems = new ArrayList<>();
    Map<String, Object> apps = new LinkedHashMap<>();
    for (String app : start.keySet()) {
      Map<String, Object> a = start.get(app);
      Map<String, Object> b = end.get(app);
      long heapStart = heap(a);
      long heapEnd = heap(b);
      long peakHeap =
          samples.stream()
              .filter(x -> app.equals(x.get("app")))
              .mapToLong(x -> heap(x))
              .max()
              .orElse(-1);
      long peakRss =
          samples.stream()
              .filter(x -> app.equals(x.get("app")))
              .mapToLong(x -> number(x, "rssBytes"))
              .max()
              .orElse(-1);
      long peakEntries =
          samples.stream()
              .filter(x -> app.equals(x.get("app")))
              .mapToLong(SoakBenchmark::entries)
              .filter(v -> v != Long.MAX_VALUE)
              .max()
              .orElse(-1);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("heapAfterGcStartBytes", heapStart);
      m.put("heapAfterGcEndBytes", heapEnd);
      m.put("heapAfterGcPeakBytes", peakHeap);
      m.put("rssStartBytes", number(a, "rssBytes"));
      m.put("rssEndBytes", number(b, "rssBytes"));
      m.put("rssPeakBytes", peakRss);
      m.put("stateDirStartBytes", number(a, "stateDirBytes"));
      m.put("stateDirEndBytes", number(b, "stateDirBytes"));
      m.put("storeEntriesStart", a.get("storeEntries"));
      m.put("storeEntriesEnd", b.get("storeEntries"));
      m.put("storeEntriesPeak", peakEntries);
      m.put("estimateNumKeysEnd", b.get("estimateNumKeys"));
      m.put("deadLetters", number(b, "deadLetters") - number(a, "deadLetters"));
      apps.put(app, m);
      if (entries(b) > entries(a) + s.entryAllowance()) {
        problems.add(
            app
                + ": store entries "
                + entries(b)
                + " at the end, start "
                + entries(a)
                + " + "
                + s.entryAllowance()
                + " allowed: "
                + b.get("storeEntries"));
      }
      if (heapEnd > heapStart + s.heapBoundBytes()) {
        problems.add(
            String.format(
                "%s: heap after GC %.1f MB at the end, start %.1f MB + %.0f MB allowed",
                app, heapEnd / 1048576.0, heapStart / 1048576.0, s.heapBoundBytes() / 1048576.0));
      }
    }
    long analyzerDl =
        number(end.get("analyzer"), "deadLetters") - number(start.get("analyzer"), "deadLetters");
    long prunerDl =
        number(end.get("pruner"), "deadLetters") - number(start.get("pruner"), "deadLetters");
    if (analyzerDl < hostileToAnalyzer.get()) {
      problems.add(
          "analyzer: "
              + analyzerDl
              + " dead letters for "
              + hostileToAnalyzer.get()
              + " hostile records");
    }
    if (prunerDl < hostileToPruner.get()) {
      problems.add(
          "pruner: "
              + prunerDl
              + " dead letters for "
              + hostileToPruner.get()
              + " hostile records");
    }
    int finished = 0;
    int failed = 0;
    int abandoned = 0;
    int unplanned = 0;
    long commands = 0;
    int incomplete = 0;
    for (Run r : runs) {
      commands += r.commandsApplied();
      switch (r.planned()) {
        case FINISHED -> finished++;
        case FAILED -> failed++;
        case ABANDONED -> abandoned++;
      }
      if (r.failure() != null) {
        unplanned++;
        problems.add(r.id() + ": " + r.failure());
      } else if (r.commandsApplied() != r.expectedCommands() || !r.masksEqual()) {
        incomplete++;
        problems.add(
            r.id()
                + " ("
                + r.planned()
                + "): applied "
                + r.commandsApplied()
                + " of "
                + r.expectedCommands()
                + " commands, masks equal to in-process: "
                + r.masksEqual());
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("experiments", runs.size());
    m.put("experimentsFinished", finished);
    m.put("experimentsFailedAsPlanned", failed);
    m.put("experimentsAbandonedAsPlanned", abandoned);
    m.put("experimentsFailedUnplanned", unplanned);
    m.put("experimentsWithMissingCommands", incomplete);
    m.put("nanStepsInLiveRuns", nanInLiveRuns.get());
    m.put("commandsApplied", commands);
    m.put("experimentSeconds", (lastEnd - runStart) / 1e3);
    m.put("hostileRecordsToAnalyzer", hostileToAnalyzer.get());
    m.put("hostileRecordsToPruner", hostileToPruner.get());
    m.put("deadLettersAnalyzer", analyzerDl);
    m.put("deadLettersPruner", prunerDl);
    m.put("apps", apps);
    m.put("problems", problems);
    m.put("invariantsHold", problems.isEmpty());
    return m;
  }

  private Map<String, Object> settings() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("durationSeconds", s.duration().toSeconds());
    m.put("experimentsPerMinute", s.experimentsPerMinute());
    m.put("concurrency", s.concurrency());
    m.put("stepsPerExperiment", s.steps());
    m.put("matrices", s.matrices());
    m.put("rank", s.rank());
    m.put("n", s.n());
    m.put("stepIntervalMs", s.stepIntervalMs());
    m.put("abandonedEvery", s.abandonEvery());
    m.put("failedEvery", s.failEvery());
    m.put("nanInLiveRunEvery", s.nanEvery());
    m.put("hostileRoundEverySeconds", s.hostileEvery().toSeconds());
    m.put("sampleEverySeconds", s.sampleEvery().toSeconds());
    m.put("appSettings", appSettings());
    m.put("appJvmOptions", jvmOptions());
    m.put(
        "heapAfterGc",
        "System.gc() in the app's JVM (serial collector: a full collection), then MemoryMXBean heap used");
    m.put("storeEntries", "exact: interactive queries over every key of each store");
    m.put("rss", "/proc/<pid>/status VmRSS");
    m.put("disk", "bytes of all files under the app's state folder (RocksDB stores, checkpoints)");
    m.put("heapBoundBytes", s.heapBoundBytes());
    m.put("entryAllowance", s.entryAllowance());
    m.put("seed", s.seed());
    m.put("broker", bootstrap == null ? "in-process KRaft broker + registry" : bootstrap);
    return m;
  }

  private static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  // ------------------------------------------------------------------------------ outputs

  /** Writes the result as JSON. */
  public static void writeJson(Map<String, Object> result, Path file) {
    ChaosBenchmark.writeJson(result, file);
  }

  /** The plots: heap after GC, RSS, state folder size and store entries over time, per app. */
  @SuppressWarnings("unchecked")
  public static List<Path> plots(Map<String, Object> result, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Map<String, Object>> all = (List<Map<String, Object>>) result.get("samples");
    List<Path> files = new ArrayList<>();
    files.add(
        plot(
            dir.resolve("heap-after-gc.png"),
            all,
            "heapAfterGcBytes",
            "heap after full GC",
            "MB",
            1048576.0));
    files.add(
        plot(dir.resolve("rss.png"), all, "rssBytes", "resident set size (RSS)", "MB", 1048576.0));
    files.add(
        plot(
            dir.resolve("rocksdb-disk.png"),
            all,
            "stateDirBytes",
            "state folder on disk (RocksDB)",
            "MB",
            1048576.0));
    files.add(
        plot(
            dir.resolve("store-entries.png"),
            all,
            "storeEntriesTotal",
            "store entries (all stores)",
            "entries",
            1));
    return files;
  }

  private static Path plot(
      Path file, List<Map<String, Object>> all, String key, String title, String unit, double scale)
      throws IOException {
    XYChart chart =
        new XYChartBuilder()
            .width(800)
            .height(400)
            .title("soak: " + title)
            .xAxisTitle("minutes")
            .yAxisTitle(unit)
            .build();
    chart.getStyler().setYAxisMin(0.0);
    for (String app : List.of("analyzer", "pruner")) {
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (Map<String, Object> m : all) {
        if (app.equals(m.get("app")) && m.get(key) instanceof Number v) {
          x.add(((Number) m.get("tSeconds")).doubleValue() / 60);
          y.add(v.doubleValue() / scale);
        }
      }
      if (!x.isEmpty()) {
        chart.addSeries(app, x, y);
      }
    }
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    return file;
  }

  /** The Markdown summary. */
  @SuppressWarnings("unchecked")
  public static String markdown(Map<String, Object> r, String command) {
    StringBuilder b = new StringBuilder();
    Map<String, Object> st = (Map<String, Object>) r.get("settings");
    b.append("# Soak: long runs with flat memory\n\n");
    b.append("Command: `").append(command).append("`\n\n");
    b.append(
        String.format(
            "Experiments: %s (finished %s, failed as planned %s, abandoned as planned %s, unplanned failures %s,"
                + " with missing commands %s) over %.1f minutes of experiments; %s commands applied;"
                + " NaN steps injected into live runs: %s.%n%n",
            r.get("experiments"),
            r.get("experimentsFinished"),
            r.get("experimentsFailedAsPlanned"),
            r.get("experimentsAbandonedAsPlanned"),
            r.get("experimentsFailedUnplanned"),
            r.get("experimentsWithMissingCommands"),
            ((Number) r.get("experimentSeconds")).doubleValue() / 60,
            r.get("commandsApplied"),
            r.get("nanStepsInLiveRuns")));
    b.append(
        String.format(
            "Hostile records: %s to the analyzer's inputs, %s to the pruner's; dead letters: analyzer %s, pruner %s.%n%n",
            r.get("hostileRecordsToAnalyzer"),
            r.get("hostileRecordsToPruner"),
            r.get("deadLettersAnalyzer"),
            r.get("deadLettersPruner")));
    b.append(
        "| app | heap after GC start → end (peak) | RSS start → end (peak) | state folder start → end | store entries start → end (peak) |\n");
    b.append("|---|---|---|---|---|\n");
    Map<String, Object> apps = (Map<String, Object>) r.get("apps");
    for (Map.Entry<String, Object> e : apps.entrySet()) {
      Map<String, Object> a = (Map<String, Object>) e.getValue();
      b.append(
          String.format(
              "| %s | %.1f → %.1f MB (%.1f) | %.0f → %.0f MB (%.0f) | %.1f → %.1f MB | %s → %s (%s) |%n",
              e.getKey(),
              mb(a.get("heapAfterGcStartBytes")),
              mb(a.get("heapAfterGcEndBytes")),
              mb(a.get("heapAfterGcPeakBytes")),
              mb(a.get("rssStartBytes")),
              mb(a.get("rssEndBytes")),
              mb(a.get("rssPeakBytes")),
              mb(a.get("stateDirStartBytes")),
              mb(a.get("stateDirEndBytes")),
              total(a.get("storeEntriesStart")),
              total(a.get("storeEntriesEnd")),
              a.get("storeEntriesPeak")));
    }
    b.append('\n');
    b.append(
        String.format(
            "Invariant: at the end store entries = start + %s, heap after GC ≤ start + %.0f MB, every finished"
                + " experiment applied all its commands with the in-process run's masks, no unplanned failure,"
                + " a dead letter per hostile record. **Holds: %s**%n%n",
            st.get("entryAllowance"),
            ((Number) st.get("heapBoundBytes")).doubleValue() / 1048576.0,
            r.get("invariantsHold")));
    List<String> problems = (List<String>) r.get("problems");
    for (String p : problems.subList(0, Math.min(30, problems.size()))) {
      b.append("- PROBLEM ").append(p).append('\n');
    }
    b.append("\nSettings: ").append(st).append("\n\n");
    b.append(
        String.format(
            "Machine: %s CPUs, load average %s at the end; wall time %.1f min.%n",
            r.get("cpus"),
            r.get("loadAverage"),
            ((Number) r.get("wallSeconds")).doubleValue() / 60));
    return b.toString();
  }

  private static double mb(Object v) {
    return v instanceof Number n ? n.doubleValue() / 1048576.0 : -1;
  }

  @SuppressWarnings("unchecked")
  private static Object total(Object storeEntries) {
    if (storeEntries instanceof Map<?, ?> m) {
      long t = 0;
      for (Object v : m.values()) {
        t += ((Number) v).longValue();
      }
      return t;
    }
    return "?";
  }

  /** A few lines for the console. */
  @SuppressWarnings("unchecked")
  public static String summary(Map<String, Object> r) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            "experiments %s (finished %s, failed as planned %s, abandoned as planned %s, unplanned failures %s,"
                + " missing commands %s)%n",
            r.get("experiments"),
            r.get("experimentsFinished"),
            r.get("experimentsFailedAsPlanned"),
            r.get("experimentsAbandonedAsPlanned"),
            r.get("experimentsFailedUnplanned"),
            r.get("experimentsWithMissingCommands")));
    b.append(
        String.format(
            "dead letters: analyzer %s (hostile %s), pruner %s (hostile %s)%n",
            r.get("deadLettersAnalyzer"),
            r.get("hostileRecordsToAnalyzer"),
            r.get("deadLettersPruner"),
            r.get("hostileRecordsToPruner")));
    Map<String, Object> apps = (Map<String, Object>) r.get("apps");
    for (Map.Entry<String, Object> e : apps.entrySet()) {
      Map<String, Object> a = (Map<String, Object>) e.getValue();
      b.append(
          String.format(
              "%s: heap after GC %.1f -> %.1f MB (peak %.1f), RSS %.0f -> %.0f MB (peak %.0f), entries %s -> %s (peak %s)%n",
              e.getKey(),
              mb(a.get("heapAfterGcStartBytes")),
              mb(a.get("heapAfterGcEndBytes")),
              mb(a.get("heapAfterGcPeakBytes")),
              mb(a.get("rssStartBytes")),
              mb(a.get("rssEndBytes")),
              mb(a.get("rssPeakBytes")),
              total(a.get("storeEntriesStart")),
              total(a.get("storeEntriesEnd")),
              a.get("storeEntriesPeak")));
    }
    List<String> problems = (List<String>) r.get("problems");
    for (String p : problems.subList(0, Math.min(20, problems.size()))) {
      b.append("PROBLEM ").append(p).append('\n');
    }
    b.append("invariants hold: ").append(r.get("invariantsHold"));
    return b.toString();
  }
}
