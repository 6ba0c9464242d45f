package io.salientstream.cli;

import io.salientstream.loop.Demo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
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
      "print each one's final rank pattern, metrics and the control-loop latency. A live dashboard follows them",
      "(its URL is printed) and stays up after they finish until Ctrl-C, unless --exit-at-end."
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

  @Option(
      names = "--dashboard-port",
      defaultValue = "8092",
      paramLabel = "PORT",
      description =
          "Port of the live dashboard on localhost (default: ${DEFAULT-VALUE}; when taken, any free port;"
              + " 0: any free port). Its URL is printed at the start.")
  int dashboardPort;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Run against this broker and registry instead of starting a stack: a client properties file"
              + " of the layered configuration with its credentials, e.g. the admin client file of"
              + " `local --secure` (<data-dir>/kafka/admin.properties). Trainers get it as"
              + " --allocation-config config=FILE.")
  Path config;

  @Option(
      names = "--exit-at-end",
      description =
          "Exit when the experiments are done (for scripts and tests); without it the dashboard stays up"
              + " until Ctrl-C.")
  boolean exitAtEnd;

  @Override
  public Integer call() throws Exception {
    if (dashboardPort < 0 || dashboardPort > 65535) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--dashboard-port must be in 0..65535, got " + dashboardPort);
    }
    Path dir = workDir != null ? workDir : Files.createTempDirectory("salientstream-demo");
    Demo.run(
        Demo.Settings.of(quick),
        dir,
        System.out,
        new Demo.Serving(dashboardPort, !exitAtEnd),
        summary -> {
          if (report != null) {
            try {
              Demo.writeReport(report, summary);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            System.out.println("report written to " + report);
          }
        },
        config);
    return 0;
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
}
