package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The launcher: every job is a subcommand, bad arguments exit with 2 and a message, outputs are
 * what the docs say.
 */
class LauncherTest {

  record Result(int rc, String out, String err) {}

  static Result run(String... args) {
    CommandLine cl = SalientStream.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int rc = cl.execute(args);
    return new Result(rc, out.toString(), err.toString());
  }

  @Test
  void helpListsEveryJob() {
    Result r = run("--help");
    assertThat(r.rc()).isZero();
    for (String cmd :
        new String[] {
          "demo",
          "train",
          "compare",
          "salience",
          "schedule",
          "local",
          "topics",
          "analyzer",
          "pruner",
          "watch"
        }) {
      assertThat(r.out()).contains("  " + cmd + " ");
    }
  }

  @Test
  void helpOfTheLauncherAndOfEveryCommandListsTheExitCodes() {
    for (String[] args :
        new String[][] {
          {"--help"},
          {"analyzer", "--help"},
          {"topics", "create", "--help"},
          {"train", "--help"},
          {"bench", "chaos", "--help"}
        }) {
      Result r = run(args);
      assertThat(r.rc()).isZero();
      assertThat(r.out())
          .as(String.join(" ", args))
          .contains("Exit codes:")
          .contains("0   success")
          .contains("1   failure while running")
          .contains("2   bad arguments or input")
          .contains("3   a dependency is missing or unreachable");
    }
  }

  @Test
  void hugeScheduleIsAUsageErrorNotAnOutOfMemoryError() throws Exception {
    Path f = Files.createTempFile("schedule-huge", ".json");
    try {
      Files.writeString(
          f,
          "{\"schedules\": {\"X\": {\"initialWarmupSteps\": 10, \"finalSteps\": 5,"
              + " \"totalSteps\": 1e15, \"matrices\": 2, \"initialRankPerMatrix\": 3,"
              + " \"targetRankPerMatrix\": 1}}}");
      Result r = run("schedule", "--input", f.toString());
      assertThat(r.rc()).isEqualTo(2);
      assertThat(r.err()).contains("schedules.X.totalSteps").doesNotContain("OutOfMemory");
    } finally {
      Files.deleteIfExists(f);
    }
  }

  @Test
  void badArgumentsExitWithTwoAndSayWhat() {
    Result unknown = run("local", "--kafka-port", "not-a-number");
    assertThat(unknown.rc()).isEqualTo(2);
    assertThat(unknown.err()).contains("--kafka-port").contains("not-a-number");

    Result range = run("local", "--kafka-port", "70000", "--data-dir", "target/never-used");
    assertThat(range.rc()).isEqualTo(2);
    assertThat(range.err()).contains("port 70000 is out of range");

    Result missing = run("schedule", "--input", "target/does-not-exist.json");
    assertThat(missing.rc()).isEqualTo(2);
    assertThat(missing.err()).contains("does-not-exist.json");

    Result kv = run("topics", "describe", "--kafka-config", "novalue");
    assertThat(kv.rc()).isEqualTo(2);
    assertThat(kv.err()).contains("--kafka-config expects key=value");

    Result size = run("bench", "chaos", "--size", "huge");
    assertThat(size.rc()).isEqualTo(2);
    assertThat(size.err()).contains("--size must be ci or full, got 'huge'");

    Result real = run("bench", "chaos", "--real-trainers", "99");
    assertThat(real.rc()).isEqualTo(2);
    assertThat(real.err()).contains("--real-trainers must be 0..20, got 99");

    Result noSuch = run("frobnicate");
    assertThat(noSuch.rc()).isEqualTo(2);
  }

  @Test
  void salienceCommandReproducesAGoldenWindow() throws Exception {
    Path golden;
    try (Stream<Path> files = Files.list(goldenDir())) {
      golden =
          files
              .filter(p -> p.getFileName().toString().equals("salience-m24-r8-T30-s4.json"))
              .findFirst()
              .orElseThrow();
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(buf, true, "UTF-8"));
    int rc;
    try {
      rc =
          SalientStream.commandLine()
              .execute("salience", "--input", golden.toString(), "--mode", "reference");
    } finally {
      System.setOut(old);
    }
    assertThat(rc).isZero();
    JsonNode out = new ObjectMapper().readTree(buf.toString("UTF-8"));
    JsonNode expected = new ObjectMapper().readTree(golden.toFile()).get("expected");
    assertThat(out.get("keepMask")).hasSize(expected.get("keepMask").size());
    for (int i = 0; i < expected.get("keepMask").size(); i++) {
      assertThat(out.get("keepMask").get(i).asInt())
          .as("keep[%d]", i)
          .isEqualTo(expected.get("keepMask").get(i).asInt());
    }
  }

  /**
   * The golden vectors kept in the core module's test resources; the test runs in this module's
   * folder (Maven's default working directory for tests), so they are one level up.
   */
  static Path goldenDir() {
    Path g =
        Path.of("..", "core", "src", "test", "resources", "golden").toAbsolutePath().normalize();
    if (!Files.isDirectory(g)) {
      throw new IllegalStateException(
          "golden vectors not found at " + g + " (run the tests from the cli module)");
    }
    return g;
  }
}
