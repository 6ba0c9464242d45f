package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command whose broker, registry, topics or port is missing says so in one line and exits
 * with 3 — no stack trace, no minute of retries (each case is a probe that failed before: a
 * MissingSourceTopicException trace for a ghost tenant, an analyzer running on with its registry
 * down, {@code watch --once} exiting 0 with an empty table, {@code / by zero} from a trainer, a
 * broker trace for a port in use, "cannot ensure topics: null" after 60 s).
 */
@WithSharedStack
class DependencyFailuresTest {

  static LauncherTest.Result run(String... args) {
    return LauncherTest.run(args);
  }

  /** A port nothing listens on (free a moment ago). */
  static int deadPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void assertOneLine(LauncherTest.Result r, int code, String... contains) {
    assertThat(r.rc()).as(r.err()).isEqualTo(code);
    String err = r.err().strip();
    assertThat(err.lines().count()).as(err).isEqualTo(1);
    assertThat(err).doesNotContain("Exception").doesNotContain("\tat ");
    for (String c : contains) {
      assertThat(err).contains(c);
    }
  }

  @Test
  void analyzerForATenantWithoutTopicsNamesThemAndTheFix(SharedStack stack, @TempDir Path state)
      throws IOException {
    long t0 = System.nanoTime();
    LauncherTest.Result r =
        run(
            "analyzer",
            "--tenant",
            "ghost.",
            "--bootstrap-servers",
            stack.bootstrapServers(),
            "--registry-url",
            stack.registryUrl(),
            "--state-dir",
            state.toString(),
            "--http-port",
            "0");
    assertOneLine(
        r,
        3,
        "topics missing",
        "ghost.salientstream.singular-values.v1",
        "salientstream topics create --tenant ghost.");
    assertThat((System.nanoTime() - t0) / 1e9).isLessThan(20);
  }

  @Test
  void analyzerAndPrunerWithTheRegistryDownRefuseToStart(SharedStack stack, @TempDir Path state)
      throws IOException {
    String registry = "http://localhost:" + deadPort();
    for (String app : new String[] {"analyzer", "pruner"}) {
      LauncherTest.Result r =
          run(
              app,
              "--bootstrap-servers",
              stack.bootstrapServers(),
              "--registry-url",
              registry,
              "--state-dir",
              state.resolve(app).toString(),
              "--http-port",
              "0");
      assertOneLine(r, 3, "schema registry at " + registry + " does not answer", "--registry-url");
    }
  }

  @Test
  void analyzerAndPrunerOnADeadBrokerNameIt(@TempDir Path state) throws IOException {
    String broker = "localhost:" + deadPort();
    for (String app : new String[] {"analyzer", "pruner"}) {
      long t0 = System.nanoTime();
      LauncherTest.Result r =
          run(
              app,
              "--bootstrap-servers",
              broker,
              "--state-dir",
              state.resolve(app).toString(),
              "--http-port",
              "0");
      assertOneLine(r, 3, "Kafka broker at " + broker + " does not answer", "--bootstrap-servers");
      assertThat((System.nanoTime() - t0) / 1e9).isLessThan(20);
    }
  }

  @Test
  void topicsOnADeadBrokerNameItWithinSeconds() throws IOException {
    String broker = "localhost:" + deadPort();
    for (String sub : new String[] {"create", "describe"}) {
      long t0 = System.nanoTime();
      LauncherTest.Result r = run("topics", sub, "--bootstrap-servers", broker);
      assertOneLine(r, 3, "Kafka broker at " + broker + " does not answer");
      assertThat(r.err()).doesNotContain(": null");
      assertThat((System.nanoTime() - t0) / 1e9).isLessThan(20);
    }
  }

  @Test
  void watchOnceWithTheRegistryDownExitsThreeInsteadOfAnEmptyTable(SharedStack stack)
      throws IOException {
    String registry = "http://localhost:" + deadPort();
    LauncherTest.Result r =
        run(
            "watch",
            "--once",
            "--bootstrap-servers",
            stack.bootstrapServers(),
            "--registry-url",
            registry);
    assertOneLine(r, 3, "schema registry at " + registry);
    assertThat(r.out()).doesNotContain("experiment");
  }

  @Test
  void localOnAPortInUseIsOneLine(@TempDir Path data) throws IOException {
    try (ServerSocket taken = new ServerSocket(0)) {
      LauncherTest.Result r =
          run(
              "local",
              "--data-dir",
              data.toString(),
              "--kafka-port",
              String.valueOf(taken.getLocalPort()),
              "--controller-port",
              String.valueOf(deadPort()),
              "--registry-port",
              String.valueOf(deadPort()));
      assertOneLine(
          r, 3, "port " + taken.getLocalPort() + " (Kafka broker) is in use", "--kafka-port");
    }
  }

  @Test
  void aKafkaTrainerForATenantWithoutTopicsIsOneLineNotDivisionByZero(SharedStack stack)
      throws IOException {
    LauncherTest.Result r =
        run(
            "train",
            "--task",
            "rank-recovery",
            "--policy",
            "salientlora",
            "--matrices",
            "4",
            "--dim",
            "8",
            "--max-true-rank",
            "2",
            "--steps",
            "20",
            "--no-progress",
            "--allocation",
            "kafka-sync",
            "--allocation-config",
            "bootstrap.servers=" + stack.bootstrapServers(),
            "--allocation-config",
            "schema.registry.url=" + stack.registryUrl(),
            "--allocation-config",
            "salientstream.tenant=ghost.");
    assertThat(r.rc()).as(r.err()).isEqualTo(3);
    assertThat(r.err())
        .contains("topics missing")
        .contains("ghost.salientstream.experiments.v1")
        .contains("topics create --tenant ghost.")
        .doesNotContain("/ by zero");
  }
}
