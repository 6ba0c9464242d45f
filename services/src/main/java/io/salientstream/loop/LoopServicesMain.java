package io.salientstream.loop;

import io.salientstream.analyzer.SalienceAnalyzer;
import io.salientstream.pruner.Pruner;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs {@link LoopServices} (analyzer + pruner) in a process of its own until it is stopped or
 * killed — used by the crash tests, which kill it without warning. Arguments: {@code bootstrap
 * registryUrl stateDir idSuffix [which=both|analyzer|pruner] [key=value ...]}; extra pairs are
 * Kafka/Streams properties. Prints {@code READY} once running.
 */
public final class LoopServicesMain {

  private LoopServicesMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println(
          "usage: LoopServicesMain bootstrap registryUrl stateDir idSuffix [both|analyzer|pruner] [key=value ...]");
      System.exit(2);
    }
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("bootstrap.servers", args[0]);
    config.put("schema.registry.url", args[1]);
    String which = "both";
    for (int i = 4; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq < 0) {
        which = args[i];
      } else {
        config.put(args[i].substring(0, eq), args[i].substring(eq + 1));
      }
    }
    Path state = Path.of(args[2]);
    LoopTopics topics = LoopTopics.forPrefix("");
    AutoCloseable running =
        switch (which) {
          case "analyzer" ->
              SalienceAnalyzer.start(
                  config,
                  LoopServices.analyzerTopics(topics),
                  state.resolve("analyzer"),
                  SalienceAnalyzer.DEFAULT_APPLICATION_ID + args[3]);
          case "pruner" ->
              Pruner.start(
                  config,
                  LoopServices.prunerTopics(topics),
                  state.resolve("pruner"),
                  Pruner.DEFAULT_APPLICATION_ID + args[3],
                  "crash-test");
          default -> LoopServices.start(config, topics, state, args[3], "crash-test");
        };
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    running.close();
                  } catch (Exception e) {
                    // exiting anyway
                  }
                  stop.countDown();
                }));
    System.out.println("READY");
    System.out.flush();
    stop.await();
  }
}
