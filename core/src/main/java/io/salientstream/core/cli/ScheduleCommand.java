package io.salientstream.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.core.salient.SalienceMode;
import io.salientstream.core.schedule.AdaptiveWindowSchedule;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code schedule --input FILE [--mode reference|clean]}: reads configurations in the golden-vector
 * format ({@code core/src/test/resources/golden/schedule-reference.json}) ({@code schedules.<name>}
 * with {@code initialWarmupSteps}, {@code finalSteps}, {@code totalSteps}, {@code matrices}, {@code
 * initialRankPerMatrix}, {@code targetRankPerMatrix}, optional {@code initialWindow}/{@code
 * finalWindow} (10/200); any other fields such as {@code windowEnds} are ignored) and prints {@code
 * {"schedules":{"<name>":{<its
 * configuration>,"mode":"reference|clean","windowEnds":[[step,budget,nextWindow],...]}}}}: the
 * configuration is repeated, so the output reads back as an input and gives the same window ends.
 */
@Command(
    name = "schedule",
    mixinStandardHelpOptions = true,
    description =
        "Print the SalientLoRA adaptive-window schedule (window ends) for each configuration in a file.")
public final class ScheduleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "FILE",
      description = "configurations in the schedule-reference.json format")
  Path input;

  @Option(
      names = "--mode",
      defaultValue = "reference",
      paramLabel = "reference|clean",
      description = "default: ${DEFAULT-VALUE}")
  String mode;

  @Override
  public Integer call() {
    SalienceMode m;
    try {
      m = SalienceMode.parse(mode);
    } catch (IllegalArgumentException e) {
      throw new InputException("--mode must be reference or clean, got '" + mode + "'");
    }
    JsonNode root;
    try {
      root = CliSupport.JSON.readTree(Files.readAllBytes(input));
    } catch (NoSuchFileException e) {
      throw new InputException(input + ": file not found", e);
    } catch (IOException e) {
      throw new InputException(input + ": cannot read JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject())
      throw new InputException(input + ": top level must be a JSON object");
    JsonNode schedules = root.get("schedules");
    if (schedules == null || !schedules.isObject())
      throw new InputException(input + ": missing object field 'schedules'");
    ObjectNode out = CliSupport.JSON.createObjectNode();
    ObjectNode outSchedules = out.putObject("schedules");
    for (Iterator<Map.Entry<String, JsonNode>> it = schedules.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String prefix = "schedules." + e.getKey() + ".";
      if (!e.getValue().isObject())
        throw new InputException(
            input + ": field 'schedules." + e.getKey() + "' must be an object");
      SalienceInput.Json j = new SalienceInput.Json(input, e.getValue());
      AdaptiveWindowSchedule.Config config;
      try {
        int matrices = positive(j, "matrices", prefix);
        int n =
            product(
                matrices,
                positive(j, "initialRankPerMatrix", prefix),
                "initialRankPerMatrix",
                prefix);
        int target =
            product(
                matrices,
                nonNegative(j, "targetRankPerMatrix", prefix),
                "targetRankPerMatrix",
                prefix);
        long totalSteps = longField(j, "totalSteps", prefix);
        if (totalSteps > MAX_TOTAL_STEPS)
          throw new InputException(
              input
                  + ": field '"
                  + prefix
                  + "totalSteps' must be at most "
                  + MAX_TOTAL_STEPS
                  + ", got "
                  + totalSteps);
        config =
            new AdaptiveWindowSchedule.Config(
                m,
                totalSteps,
                longField(j, "initialWarmupSteps", prefix),
                longField(j, "finalSteps", prefix),
                n,
                target,
                optInt(j, "initialWindow", 10, prefix),
                optInt(j, "finalWindow", 200, prefix));
      } catch (IllegalArgumentException ex) {
        throw new InputException(input + ": schedules." + e.getKey() + ": " + ex.getMessage());
      }
      long allocationSteps = config.allocationEnd() - config.initialWarmup();
      long minWindow = Math.min(config.tInit(), config.tFinal());
      if (allocationSteps / minWindow > MAX_WINDOW_ENDS)
        throw new InputException(
            input
                + ": schedules."
                + e.getKey()
                + ": "
                + allocationSteps
                + " allocation steps in windows as short as "
                + minWindow
                + " may give more than "
                + MAX_WINDOW_ENDS
                + " window ends; lower 'totalSteps' or raise 'initialWindow'/'finalWindow'");
      // the configuration is echoed, so the output is itself a valid input (its windowEnds are
      // replaced)
      ObjectNode outConfig = e.getValue().deepCopy();
      outConfig.remove("windowEnds");
      outConfig.put("mode", m.name().toLowerCase(Locale.ROOT));
      outSchedules.set(e.getKey(), outConfig);
      ArrayNode ends = outConfig.putArray("windowEnds");
      for (AdaptiveWindowSchedule.Tick t : AdaptiveWindowSchedule.windowEnds(config)) {
        ends.addArray().add(t.step()).add(t.budget()).add(t.nextWindow());
      }
    }
    PrintWriter pw = spec.commandLine().getOut();
    pw.println(out.toString());
    pw.flush();
    return 0;
  }

  /**
   * The most steps a schedule may have: window ends are listed one by one, and 1e15 steps would
   * list ~1e13 of them before running out of memory.
   */
  static final long MAX_TOTAL_STEPS = 100_000_000;

  /** The most window ends one schedule may list. */
  static final long MAX_WINDOW_ENDS = 1_000_000;

  /** {@code matrices × per}, refused when it does not fit an int, naming both fields. */
  private int product(int matrices, int per, String field, String prefix) {
    long v = (long) matrices * per;
    if (v > Integer.MAX_VALUE)
      throw new InputException(
          input
              + ": fields '"
              + prefix
              + "matrices' x '"
              + prefix
              + field
              + "' = "
              + v
              + ", must be below 2^31");
    return (int) v;
  }

  private int positive(SalienceInput.Json j, String name, String prefix) {
    int v = nonNegative(j, name, prefix);
    if (v == 0) throw new InputException(input + ": field '" + prefix + name + "' must be > 0");
    return v;
  }

  private int nonNegative(SalienceInput.Json j, String name, String prefix) {
    long v = longField(j, name, prefix);
    if (v < 0 || v > Integer.MAX_VALUE)
      throw new InputException(
          input + ": field '" + prefix + name + "' must be in [0, 2^31), got " + v);
    return (int) v;
  }

  private long longField(SalienceInput.Json j, String name, String prefix) {
    JsonNode v = j.node().get(name);
    if (v == null || v.isNull())
      throw new InputException(input + ": missing field '" + prefix + name + "'");
    if (!v.isIntegralNumber() || !v.canConvertToLong())
      throw new InputException(
          input + ": field '" + prefix + name + "' must be an integer, got " + v);
    return v.longValue();
  }

  private int optInt(SalienceInput.Json j, String name, int def, String prefix) {
    JsonNode v = j.node().get(name);
    return v == null || v.isNull() ? def : positive(j, name, prefix);
  }

  public static void main(String[] args) {
    System.exit(
        CliSupport.run(new ScheduleCommand(), args, CliSupport.stdout(), CliSupport.stderr()));
  }
}
