package io.salientstream.cli;

import io.salientstream.loop.Demo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code salientstream demo}: the main job — the whole closed loop with four concurrent
 * experiments.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Start broker + registry + salience-analyzer + pruner in this process and run four experiments",
      "concurrently over Kafka (SalientLoRA, AdaLoRA and PRILoRA on rank recovery, MiniLM + SalientLoRA on WordNet);",
      "print each one's final rank pattern, metrics and the control-loop latency."
    })
final class DemoCommand implements Callable<Integer> {

  @Option(
      names = "--quick",
      description = "Small sizes: finishes in about a minute (used by the tests).")
  boolean quick;

  @Option(names = "--report", paramLabel = "FILE", description = "Write a JSON summary here.")
  Path report;

  @Option(
      names = "--work-dir",
      paramLabel = "DIR",
      description = "Folder for the Streams state (default: a temporary folder).")
  Path workDir;

  @Override
  public Integer call() throws Exception {
    Path dir = workDir != null ? workDir : Files.createTempDirectory("salientstream-demo");
    Map<String, Object> summary = Demo.run(Demo.Settings.of(quick), dir, System.out);
    if (report != null) {
      Demo.writeReport(report, summary);
      System.out.println("report written to " + report);
    }
    return 0;
  }
}
