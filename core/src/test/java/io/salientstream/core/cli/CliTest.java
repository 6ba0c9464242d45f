package io.salientstream.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.core.Goldens;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
  record Run(int code, String out, String err) {}

  static Run run(Object command, String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    int code = CliSupport.run(command, args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void salienceReproducesAGoldenKeepMask() throws IOException {
    Path f = Goldens.dir().resolve("salience-m36-r10-T100-s22-pruned.json");
    Run r =
        run(new SalienceCommand(), "--input", f.toString(), "--mode", "reference", "--repeat", "3");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode out = new ObjectMapper().readTree(r.out());
    JsonNode golden = new ObjectMapper().readTree(f.toFile());
    assertThat(out.get("keepMask")).isEqualTo(golden.get("expected").get("keepMask"));
    assertThat(out.get("kept").asInt()).isEqualTo(golden.get("keep").asInt());
    assertThat(out.get("threshold").asDouble())
        .isCloseTo(golden.get("expected").get("threshold").asDouble(), Offset.offset(1e-6));
    assertThat(out.get("edges").asInt()).isPositive();
    assertThat(out.get("millis").asDouble()).isPositive();
    assertThat(r.out().trim().lines().count()).isEqualTo(1);
  }

  @Test
  void cleanModeViaCoreCliKeepsTheBudget() throws IOException {
    Path f = Goldens.dir().resolve("salience-m12-r6-T10-s1.json");
    Run r =
        run(
            new CoreCli(),
            "salience",
            "--input",
            f.toString(),
            "--mode",
            "clean",
            "--lambda",
            "0.6");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(new ObjectMapper().readTree(r.out()).get("kept").asInt()).isEqualTo(36);
  }

  @Test
  void scheduleMatchesTheGoldenFile() throws IOException {
    Path f = Goldens.scheduleFile();
    Run r = run(new ScheduleCommand(), "--input", f.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode out = new ObjectMapper().readTree(r.out()).get("schedules");
    JsonNode golden = new ObjectMapper().readTree(f.toFile()).get("schedules");
    assertThat(out.size()).isEqualTo(golden.size());
    golden
        .fields()
        .forEachRemaining(
            e ->
                assertThat(out.get(e.getKey()).get("windowEnds"))
                    .isEqualTo(e.getValue().get("windowEnds")));
  }

  @Test
  void badInputExitsWithTwoAndNamesFileAndField(@TempDir Path dir) throws IOException {
    Path missing = dir.resolve("missing.json");
    Run r1 = run(new SalienceCommand(), "--input", missing.toString());
    assertThat(r1.code()).isEqualTo(2);
    assertThat(r1.err()).contains(missing.toString()).contains("not found");

    Path malformed = dir.resolve("bad.json");
    Files.writeString(
        malformed,
        "{\"matrices\": 2, \"rankPerMatrix\": 2, \"windowLength\": 1, \"keep\": 2,"
            + " \"singularValues\": [[0.1, 0.2, \"x\", 0.4]], \"orthRegLoss\": [1.0]}");
    Run r2 = run(new SalienceCommand(), "--input", malformed.toString());
    assertThat(r2.code()).isEqualTo(2);
    assertThat(r2.err()).contains(malformed.toString()).contains("singularValues[0][2]");

    Path shortRow = dir.resolve("short.json");
    Files.writeString(
        shortRow,
        "{\"matrices\": 2, \"rankPerMatrix\": 2, \"windowLength\": 1, \"keep\": 2,"
            + " \"singularValues\": [[0.1, 0.2, 0.3]], \"orthRegLoss\": [1.0]}");
    assertThat(run(new SalienceCommand(), "--input", shortRow.toString()).err())
        .contains("singularValues[0]")
        .contains("expected");

    Path notJson = dir.resolve("text.json");
    Files.writeString(notJson, "hello");
    Run r3 = run(new ScheduleCommand(), "--input", notJson.toString());
    assertThat(r3.code()).isEqualTo(2);
    assertThat(r3.err()).contains(notJson.toString()).contains("JSON");

    Path badSchedule = dir.resolve("sched.json");
    Files.writeString(
        badSchedule,
        "{\"schedules\": {\"X\": {\"initialWarmupSteps\": 10, \"finalSteps\": 5,"
            + " \"totalSteps\": \"many\", \"matrices\": 2, \"initialRankPerMatrix\": 3, \"targetRankPerMatrix\": 1}}}");
    Run r4 = run(new ScheduleCommand(), "--input", badSchedule.toString());
    assertThat(r4.code()).isEqualTo(2);
    assertThat(r4.err()).contains("schedules.X.totalSteps");

    assertThat(run(new SalienceCommand(), "--input", missing.toString(), "--mode", "fast").code())
        .isEqualTo(2);
    assertThat(run(new SalienceCommand(), "--repeat", "3").code()).isEqualTo(2); // missing --input
    assertThat(run(new CoreCli()).code()).isEqualTo(2);
  }

  /**
   * Sizes that would exhaust memory or overflow are refused up front, naming the field (probes:
   * {@code totalSteps} 1e15 ran 45 s to an OutOfMemoryError; a size of 2e9 said "integer overflow"
   * with exit code 1; {@code gamma: -2} was accepted).
   */
  @Test
  void hugeSizesAndBadThresholdsAreRefusedNamingTheField(@TempDir Path dir) throws IOException {
    Path steps = dir.resolve("steps.json");
    Files.writeString(
        steps,
        "{\"schedules\": {\"X\": {\"initialWarmupSteps\": 10, \"finalSteps\": 5,"
            + " \"totalSteps\": 1000000000000000, \"matrices\": 2, \"initialRankPerMatrix\": 3,"
            + " \"targetRankPerMatrix\": 1}}}");
    long t0 = System.nanoTime();
    Run r1 = run(new ScheduleCommand(), "--input", steps.toString());
    assertThat(r1.code()).isEqualTo(2);
    assertThat(r1.err()).contains("schedules.X.totalSteps").contains("at most 100000000");
    assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5);

    Path tiny = dir.resolve("tiny-windows.json");
    Files.writeString(
        tiny,
        "{\"schedules\": {\"X\": {\"initialWarmupSteps\": 10, \"finalSteps\": 5,"
            + " \"totalSteps\": 90000000, \"matrices\": 2, \"initialRankPerMatrix\": 3,"
            + " \"targetRankPerMatrix\": 1, \"initialWindow\": 1, \"finalWindow\": 1}}}");
    Run r2 = run(new ScheduleCommand(), "--input", tiny.toString());
    assertThat(r2.code()).isEqualTo(2);
    assertThat(r2.err()).contains("schedules.X").contains("more than 1000000 window ends");

    Path overflow = dir.resolve("overflow.json");
    Files.writeString(
        overflow,
        "{\"schedules\": {\"X\": {\"initialWarmupSteps\": 10, \"finalSteps\": 5,"
            + " \"totalSteps\": 100, \"matrices\": 2000000000, \"initialRankPerMatrix\": 3,"
            + " \"targetRankPerMatrix\": 1}}}");
    Run r3 = run(new ScheduleCommand(), "--input", overflow.toString());
    assertThat(r3.code()).isEqualTo(2);
    assertThat(r3.err())
        .contains("schedules.X.matrices' x 'schedules.X.initialRankPerMatrix' = 6000000000")
        .doesNotContain("integer overflow");

    Path big = dir.resolve("big.json");
    Files.writeString(
        big,
        "{\"matrices\": 2000000000, \"rankPerMatrix\": 2, \"windowLength\": 1, \"keep\": 2,"
            + " \"singularValues\": [[0.1]], \"orthRegLoss\": [1.0]}");
    Run r4 = run(new SalienceCommand(), "--input", big.toString());
    assertThat(r4.code()).isEqualTo(2);
    assertThat(r4.err()).contains("'matrices' x 'rankPerMatrix' = 4000000000");

    Path gamma = dir.resolve("gamma.json");
    Files.writeString(
        gamma,
        "{\"matrices\": 2, \"rankPerMatrix\": 2, \"windowLength\": 1, \"keep\": 2,"
            + " \"gamma\": -2, \"singularValues\": [[0.1, 0.2, 0.3, 0.4]],"
            + " \"orthRegLoss\": [1.0]}");
    Run r5 = run(new SalienceCommand(), "--input", gamma.toString());
    assertThat(r5.code()).isEqualTo(2);
    assertThat(r5.err()).contains(gamma.toString()).contains("gamma").contains("> 0, got -2");
  }

  /**
   * A fully pruned matrix has NaN salience scores in reference mode; the command prints them as
   * null. Its output, put into a golden-format file as {@code expected}, reads back: null scores
   * are NaN, not an error.
   */
  @Test
  void salienceOutputWithNullScoresReadsBackAsGoldenInput(@TempDir Path dir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode window =
        (ObjectNode) json.readTree(Goldens.dir().resolve("salience-m12-r6-T10-s1.json").toFile());
    int r = window.get("rankPerMatrix").asInt();
    for (JsonNode row : window.get("singularValues")) {
      for (int i = 0; i < r; i++) ((ArrayNode) row).set(i, 0.0); // matrix 0 pruned in every row
    }
    window.put("keep", window.get("keep").asInt() - r);
    window.remove("expected");
    Path in = dir.resolve("pruned.json");
    json.writeValue(in.toFile(), window);
    Run first = run(new SalienceCommand(), "--input", in.toString(), "--mode", "reference");
    assertThat(first.code()).as(first.err()).isZero();
    JsonNode out = json.readTree(first.out());
    assertThat(out.get("scores").get(0).isNull())
        .as("a pruned matrix's score is NaN, printed as null")
        .isTrue();

    window.set("expected", out);
    Path back = dir.resolve("pruned-with-expected.json");
    json.writeValue(back.toFile(), window);
    SalienceInput read = SalienceInput.read(back);
    assertThat(read.expectedScores()[0]).isNaN();
    for (int i = 0; i < read.expectedScores().length; i++) {
      JsonNode s = out.get("scores").get(i);
      if (s.isNull()) assertThat(read.expectedScores()[i]).isNaN();
      else assertThat(read.expectedScores()[i]).isEqualTo(s.doubleValue());
    }
    Run second = run(new SalienceCommand(), "--input", back.toString(), "--mode", "reference");
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(json.readTree(second.out()).get("keepMask")).isEqualTo(out.get("keepMask"));

    // a score that is neither a number nor null is still refused, naming the field
    ((ArrayNode) window.get("expected").get("scores")).set(1, "high");
    Path bad = dir.resolve("bad-expected.json");
    json.writeValue(bad.toFile(), window);
    Run refused = run(new SalienceCommand(), "--input", bad.toString());
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err()).contains("scores[1]");
  }

  /**
   * The schedule command's output repeats each configuration, so it is a valid input giving the
   * same output.
   */
  @Test
  void scheduleOutputReadsBackAsInput(@TempDir Path dir) throws IOException {
    for (String mode : new String[] {"reference", "clean"}) {
      Run first =
          run(new ScheduleCommand(), "--input", Goldens.scheduleFile().toString(), "--mode", mode);
      assertThat(first.code()).as(first.err()).isZero();
      Path out = dir.resolve("schedule-" + mode + ".json");
      Files.writeString(out, first.out());
      Run second = run(new ScheduleCommand(), "--input", out.toString(), "--mode", mode);
      assertThat(second.code()).as(second.err()).isZero();
      assertThat(new ObjectMapper().readTree(second.out()))
          .isEqualTo(new ObjectMapper().readTree(first.out()));
    }
  }
}
