package io.salientstream.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.avro.SalienceReport;
import io.salientstream.loop.LoopTopics;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import io.salientstream.streams.LayeredConfig;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code salientstream bench dashboard}: E synthetic experiments each writing R steps per second
 * (with a salience report and a command every window and a status every 10 steps) for D seconds,
 * under a fresh topic prefix, while a dashboard follows them and a client reads its live stream as
 * the page does. Measures the dashboard's ingest rate against the offered rate, whether it fell
 * behind (records produced but not yet folded at the end), and the delay from a step event's wall
 * clock (stamped when the producer sends it) to the stream client receiving the update that carries
 * it.
 */
public final class DashboardBenchmark {

  /** What one run offers. */
  public record Settings(
      int experiments, double stepsPerSecond, int seconds, int layers, int rank, int window) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private DashboardBenchmark() {}

  public static Map<String, Object> run(Map<String, Object> config, Settings s, PrintStream out)
      throws Exception {
    String prefix = "bench-dashboard-" + Long.toString(System.currentTimeMillis(), 36) + ".";
    LoopTopics topics = LoopTopics.forPrefix(prefix);
    Map<String, Object> admin = new HashMap<>(LayeredConfig.kafkaClientProperties(config));
    try (Admin a = Admin.create(admin)) {
      TopicInitializer.ensureTopics(a, Topics.withPrefix(prefix), (short) 1);
    }
    Map<String, Object> p = new HashMap<>(LayeredConfig.kafkaClientProperties(config));
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    List<SyntheticExperiment> exps = new ArrayList<>();
    long totalSteps = (long) Math.ceil(s.stepsPerSecond() * s.seconds());
    for (int i = 0; i < s.experiments(); i++) {
      exps.add(
          new SyntheticExperiment(
              prefix + "exp-" + i, s.layers(), s.rank(), totalSteps + 1, s.window(), i));
    }
    List<Double> delays = new ArrayList<>();
    AtomicBoolean reading = new AtomicBoolean(true);
    long produced = 0;
    try (KafkaProducer<String, Object> producer =
            new KafkaProducer<>(p, new StringSerializer(), EventSerdes.anyValue(config));
        Dashboard dashboard =
            Dashboard.start(config, topics, prefix, Dashboard.Settings.local(0))) {
      for (SyntheticExperiment e : exps) {
        producer.send(new ProducerRecord<>(topics.experiments(), e.id(), e.spec()));
      }
      producer.flush();
      Thread reader = streamReader(dashboard.port(), delays, reading);
      reader.start();
      out.printf(
          Locale.ROOT,
          "offering %d experiments x %.1f steps/s for %d s (%d matrices x rank %d each) to %s%n",
          s.experiments(),
          s.stepsPerSecond(),
          s.seconds(),
          s.layers() * 6,
          s.rank(),
          dashboard.url());
      long t0 = System.nanoTime();
      long startRecords = dashboard.records();
      long intervalNanos = (long) (1e9 / s.stepsPerSecond());
      for (long step = 0; step < totalSteps; step++) {
        long due = t0 + step * intervalNanos;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        for (SyntheticExperiment e : exps) {
          long now = System.currentTimeMillis();
          producer.send(new ProducerRecord<>(topics.singularValues(), e.id(), e.step(step, now)));
          produced++;
          if (e.isWindowEnd(step)) {
            for (Object o : e.windowEnd(step, now)) {
              String t =
                  o instanceof SalienceReport ? topics.salienceReports() : topics.rankCommands();
              producer.send(new ProducerRecord<>(t, e.id(), o));
              produced++;
            }
          }
          if (step % 10 == 0) {
            producer.send(
                new ProducerRecord<>(
                    topics.trainerStatus(), e.id(), e.status(step, now, s.stepsPerSecond())));
            produced++;
          }
        }
      }
      producer.flush();
      double offerSeconds = (System.nanoTime() - t0) / 1e9;
      long foldedAtEnd = dashboard.records() - startRecords;
      long tc = System.nanoTime();
      while (dashboard.records() - startRecords < produced && System.nanoTime() - tc < 60e9) {
        Thread.sleep(20);
      }
      double catchUpSeconds = (System.nanoTime() - tc) / 1e9;
      double ingestSeconds = (System.nanoTime() - t0) / 1e9;
      Thread.sleep(500);
      reading.set(false);
      reader.interrupt();
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("settings", s);
      r.put("recordsProduced", produced);
      r.put("offeredRecordsPerSecond", round(produced / offerSeconds));
      r.put("stepEventsPerSecondOffered", round(s.experiments() * s.stepsPerSecond()));
      r.put("producerSeconds", round(offerSeconds));
      r.put("behindAtEndRecords", Math.max(0, produced - foldedAtEnd));
      r.put("catchUpSeconds", round(catchUpSeconds));
      r.put(
          "ingestedRecordsPerSecond", round((dashboard.records() - startRecords) / ingestSeconds));
      r.put("allFolded", dashboard.records() - startRecords >= produced);
      double[] d;
      synchronized (delays) {
        d = delays.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      }
      Map<String, Object> delay = new LinkedHashMap<>();
      delay.put("samples", d.length);
      delay.put("p50", round(pct(d, 50)));
      delay.put("p90", round(pct(d, 90)));
      delay.put("p99", round(pct(d, 99)));
      delay.put("max", round(d.length == 0 ? Double.NaN : d[d.length - 1]));
      r.put("stepToStreamDelayMs", delay);
      r.put("heapUsedMb", round(usedHeapMb()));
      return r;
    }
  }

  /** Reads /api/stream as the page does; one delay sample per experiment per update event. */
  private static Thread streamReader(int port, List<Double> delays, AtomicBoolean reading) {
    Thread t =
        new Thread(
            () -> {
              HttpClient http = HttpClient.newHttpClient();
              try {
                HttpResponse<InputStream> r =
                    http.send(
                        HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + port + "/api/stream"))
                            .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                  String line;
                  while (reading.get() && (line = in.readLine()) != null) {
                    if (!line.startsWith("data: ") || !line.contains("lastStepWallClockMs")) {
                      continue;
                    }
                    long received = System.currentTimeMillis();
                    JsonNode ev = JSON.readTree(line.substring(6));
                    for (JsonNode e : ev.get("experiments")) {
                      JsonNode w = e.get("lastStepWallClockMs");
                      if (w != null) {
                        synchronized (delays) {
                          delays.add((double) (received - w.asLong()));
                        }
                      }
                    }
                  }
                }
              } catch (Exception e) {
                if (reading.get()) {
                  System.err.println("bench: stream reader stopped: " + e);
                }
              }
            },
            "bench-stream-reader");
    t.setDaemon(true);
    return t;
  }

  private static double usedHeapMb() {
    Runtime rt = Runtime.getRuntime();
    return (rt.totalMemory() - rt.freeMemory()) / 1048576.0;
  }

  private static double pct(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 10) / 10.0 : -1;
  }

  /** A short table of a result. */
  public static String table(Map<String, Object> r) {
    StringBuilder sb = new StringBuilder();
    r.forEach(
        (k, v) ->
            sb.append(
                String.format(
                    Locale.ROOT,
                    "%-28s %s%n",
                    k,
                    v instanceof double[] a ? Arrays.toString(a) : v)));
    return sb.toString();
  }
}
