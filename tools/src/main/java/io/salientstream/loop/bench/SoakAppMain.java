package io.salientstream.loop.bench;

import io.salientstream.analyzer.AnalyzerProcessor;
import io.salientstream.analyzer.SalienceAnalyzer;
import io.salientstream.core.json.JsonNumbers;
import io.salientstream.loop.LoopServices;
import io.salientstream.loop.LoopTopics;
import io.salientstream.pruner.Pruner;
import io.salientstream.pruner.PrunerProcessor;
import io.salientstream.streams.StreamsApp;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * One app of the soak ({@link SoakBenchmark}) in a JVM of its own: the salience-analyzer or the
 * pruner, started exactly as {@code LoopServicesMain} starts it (the real {@link
 * SalienceAnalyzer#start} / {@link Pruner#start} with the given settings). Prints {@code READY},
 * then answers each {@code SAMPLE} line on stdin with one line {@code SAMPLE {json}}: the live heap
 * after a full collection ({@link System#gc()}, a full stop-the-world collection under the serial
 * collector the soak starts it with, then {@code MemoryMXBean} heap used), the exact entry count of
 * each of the app's stores (interactive queries over every key), Kafka Streams' RocksDB metric
 * {@code estimate-num-keys} summed per store, and the app's dead-letter counter. Ends when stdin
 * closes or on {@code STOP}.
 *
 * <p>Arguments: {@code analyzer|pruner bootstrap registryUrl stateDir appIdSuffix [key=value ...]}.
 */
public final class SoakAppMain {

  private SoakAppMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println(
          "usage: SoakAppMain analyzer|pruner bootstrap registryUrl stateDir appIdSuffix [key=value ...]");
      System.exit(2);
    }
    String which = args[0];
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("bootstrap.servers", args[1]);
    config.put("schema.registry.url", args[2]);
    String prefix = "";
    for (int i = 5; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq < 0) {
        System.err.println("expected key=value, got '" + args[i] + "'");
        System.exit(2);
      }
      String k = args[i].substring(0, eq);
      String v = args[i].substring(eq + 1);
      if (k.equals("soak.topic-prefix")) {
        prefix = v;
      } else {
        config.put(k, v);
      }
    }
    Path state = Path.of(args[3]);
    LoopTopics topics = LoopTopics.forPrefix(prefix);
    StreamsApp app;
    LongAdder deadLetters;
    List<String> stores;
    AutoCloseable running;
    switch (which) {
      case "analyzer" -> {
        SalienceAnalyzer a =
            SalienceAnalyzer.start(
                config,
                LoopServices.analyzerTopics(topics),
                state,
                SalienceAnalyzer.DEFAULT_APPLICATION_ID + args[4]);
        app = a.app();
        deadLetters = a.metrics().deadLetters;
        stores = AnalyzerProcessor.STORES;
        running = a;
      }
      case "pruner" -> {
        Pruner p =
            Pruner.start(
                config,
                LoopServices.prunerTopics(topics),
                state,
                Pruner.DEFAULT_APPLICATION_ID + args[4],
                "soak");
        app = p.app();
        deadLetters = p.metrics().deadLetters;
        stores = PrunerProcessor.STORES;
        running = p;
      }
      default -> {
        System.err.println("first argument must be analyzer or pruner, got '" + which + "'");
        System.exit(2);
        return;
      }
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    running.close();
                  } catch (Exception e) {
                    // exiting anyway
                  }
                }));
    System.out.println("READY");
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null && !line.equals("STOP")) {
      if (line.equals("SAMPLE")) {
        String json;
        try {
          json = JsonNumbers.mapper().writeValueAsString(sample(app, stores, deadLetters));
        } catch (RuntimeException e) {
          // a rebalance in progress: stores not queryable this moment
          json = "{\"error\":" + quote(e.getClass().getSimpleName() + ": " + e.getMessage()) + "}";
        }
        System.out.println("SAMPLE " + json);
        System.out.flush();
      }
    }
    System.exit(0);
  }

  private static String quote(String s) {
    try {
      return JsonNumbers.mapper().writeValueAsString(s);
    } catch (Exception e) {
      return "\"?\"";
    }
  }

  static Map<String, Object> sample(StreamsApp app, List<String> stores, LongAdder deadLetters) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Long> entries = new LinkedHashMap<>();
    long total = 0;
    for (String store : stores) {
      ReadOnlyKeyValueStore<Object, Object> s =
          app.streams()
              .store(
                  StoreQueryParameters.fromNameAndType(
                      store, QueryableStoreTypes.<Object, Object>keyValueStore()));
      long n = 0;
      try (KeyValueIterator<Object, Object> it = s.all()) {
        while (it.hasNext()) {
          it.next();
          n++;
        }
      }
      entries.put(store, n);
      total += n;
    }
    Map<String, Long> estimate = new LinkedHashMap<>();
    for (Map.Entry<MetricName, ? extends Metric> e : app.streams().metrics().entrySet()) {
      MetricName n = e.getKey();
      if (n.name().equals("estimate-num-keys") && n.group().equals("stream-state-metrics")) {
        String store = n.tags().getOrDefault("rocksdb-state-id", "?");
        Object v = e.getValue().metricValue();
        if (v instanceof Number num) {
          estimate.merge(store, num.longValue(), Long::sum);
        }
      }
    }
    long t0 = System.nanoTime();
    System.gc();
    long gcMs = (System.nanoTime() - t0) / 1_000_000;
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    m.put("heapAfterGcBytes", heap.getUsed());
    m.put("heapCommittedBytes", heap.getCommitted());
    m.put("fullGcMs", gcMs);
    m.put("storeEntries", entries);
    m.put("storeEntriesTotal", total);
    m.put("estimateNumKeys", estimate);
    m.put("deadLetters", deadLetters.sum());
    m.put("streamsState", app.streams().state().toString());
    return m;
  }
}
